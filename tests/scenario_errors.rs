//! Messages for invalid input, word for word: every bad scenario, flag or
//! trace is rejected with exit code 2 before anything is simulated, with a
//! message naming the file, key, line, column, value and fix.
//!
//! The expected texts are snapshots. When a message changes on purpose,
//! update its row here.

use std::path::Path;

use assert_cmd::Command;
use rollout_sim::engine::budget;
use rollout_sim::units::format_bytes;

/// One invalid scenario and the exact message `check` prints for it.
struct Case {
    name: &'static str,
    scenario: &'static str,
    message: &'static str,
}

/// English messages; the scenario file is `s.toml` in the working folder.
const ENGLISH: &[Case] = &[
    Case {
        name: "unknown_top_level_key",
        scenario: "[releese]\nversion = \"2.0.0\"\n",
        message: "error: s.toml:1:2: key `releese`: unknown key; did you mean `release`? Valid keys here: `run`, `population`, `client`, `console`, `network`, `release`, `incident`, `policy`, `host`, `outage`",
    },
    Case {
        name: "unknown_run_key",
        scenario: "[run]\nhorizn = \"7d\"\n",
        message: "error: s.toml:2:1: key `run.horizn`: unknown key; did you mean `horizon`? Valid keys here: `name`, `horizon`, `sample_every`, `replications`, `seed`",
    },
    Case {
        name: "unknown_population_key",
        scenario: "[population]\nuser = 5\n",
        message: "error: s.toml:2:1: key `population.user`: unknown key; did you mean `users`? Valid keys here: `users`, `baseline_version`, `new_users_per_day`, `timezone`, `start`, `daily_profile`, `trace`, `trace_start`, `trace_apps`, `trace_exclude_apps`, `trace_merge_gap`, `segment`, `stale_first_launch_share`, `stale_first_launch_version`, `stale_first_launch_age`",
    },
    Case {
        name: "unknown_segment_key",
        scenario: "[[population.segment]]\nname = \"a\"\nshare = 1.0\nshre = 2\n",
        message: "error: s.toml:4:1: key `population.segment[0].shre`: unknown key; did you mean `share`? Valid keys here: `name`, `share`, `launches_per_day`, `session`, `keep_alive`, `brief_backgrounds_per_hour`, `brief_background`, `burst`",
    },
    Case {
        name: "unknown_client_key",
        scenario: "[client]\nsync_timout = \"10s\"\n",
        message: "error: s.toml:2:1: key `client.sync_timout`: unknown key; did you mean `sync_timeout`? Valid keys here: `platform`, `periodic_check_share`, `periodic_check_interval`, `update_manager_share`, `check_latency`, `recently_used`, `long_unused`, `sync_timeout`, `check_on_hot_start`, `async_check_min_interval`, `sync_failure`, `continue_after_timeout`, `keep_alive`, `phased_auto_complete`, `minimum_required_attempts`, `rollback_sync`, `sync_check_on_cold_start`, `skipped_critical`, `on_device_rollback`",
    },
    Case {
        name: "unknown_console_key",
        scenario: "[console]\nprefer_local = \"1.0.0\"\n",
        message: "error: s.toml:2:1: key `console.prefer_local`: unknown key; valid keys here: `prefer_local_version`",
    },
    Case {
        name: "unknown_network_key",
        scenario: "[[network]]\nname = \"wifi\"\nshare = 1.0\nbandwith = \"2MB/s\"\n",
        message: "error: s.toml:4:1: key `network[0].bandwith`: unknown key; did you mean `bandwidth`? Valid keys here: `name`, `share`, `bandwidth`, `failure`, `jitter`",
    },
    Case {
        name: "unknown_release_key",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\ncritcal = true\n",
        message: "error: s.toml:4:1: key `release[0].critcal`: unknown key; did you mean `critical`? Valid keys here: `version`, `at`, `size`, `critical`, `minimum_required`, `rollout`, `pause`, `revert_at`, `rollback_to`, `start_failure`",
    },
    Case {
        name: "unknown_rollout_step_key",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\nrollout = [{ at = \"0h\", percnt = 10 }]\n",
        message: "error: s.toml:4:25: key `release[0].rollout[0].percnt`: unknown key; did you mean `percent`? Valid keys here: `at`, `percent`",
    },
    Case {
        name: "unknown_pause_key",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\nrollout = [{ at = \"0h\", percent = 10 }]\npause = [{ from = \"1h\", untl = \"2h\" }]\n",
        message: "error: s.toml:5:25: key `release[0].pause[0].untl`: unknown key; did you mean `until`? Valid keys here: `from`, `until`",
    },
    Case {
        name: "unknown_incident_key",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[incident]]\nversions = [\"1.0.0\"]\nfrom = \"1h\"\nuntill = \"2h\"\n",
        message: "error: s.toml:7:1: key `incident[0].untill`: unknown key; did you mean `until`? Valid keys here: `name`, `versions`, `from`, `until`",
    },
    Case {
        name: "unknown_policy_key",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[policy]]\nname = \"p\"\non_update_ready = \"prompt\"\naccept = 0.5\naccept_critcal = 0.9\n",
        message: "error: s.toml:8:1: key `policy[0].accept_critcal`: unknown key; did you mean `accept_critical`? Valid keys here: `name`, `on_update_ready`, `accept`, `accept_critical`, `min_background`, `minimum_required`, `since_version`, `foreground_check_every`",
    },
    Case {
        name: "unknown_distribution_key",
        scenario: "[[population.segment]]\nname = \"a\"\nshare = 1.0\nlaunches_per_day = 1\nsession = { dist = \"lognormal\", median = \"3m\", p9 = \"12m\" }\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n",
        message: "error: s.toml:5:48: key `population.segment[0].session.p9`: unknown key; did you mean `p90`? Valid keys here: `dist`, `median`, `p90`",
    },
    Case {
        name: "unknown_distribution_key_subtable",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[client.keep_alive]\ndist = \"uniform\"\nmin = \"5m\"\nmaxx = \"30m\"\n",
        message: "error: s.toml:7:1: key `client.keep_alive.maxx`: unknown key; did you mean `max`? Valid keys here: `dist`, `min`, `max`",
    },
    Case {
        name: "wrong_type_integer_for_string",
        scenario: "[run]\nname = 5\n",
        message: "error: s.toml:2:8: key `run.name` = 5: wrong type: expected a string in quotes, such as \"name\", found an integer; put it in quotes: \"5\"",
    },
    Case {
        name: "wrong_type_string_for_number",
        scenario: "[[network]]\nname = \"wifi\"\nshare = \"0.5\"\nbandwidth = \"2MB/s\"\n",
        message: "error: s.toml:3:9: key `network[0].share` = \"0.5\": wrong type: expected a number such as 0.5, found a string; remove the quotes: 0.5",
    },
    Case {
        name: "wrong_type_float_for_integer",
        scenario: "[population]\nusers = 5e3\n",
        message: "error: s.toml:2:9: key `population.users` = 5e3: wrong type: expected a whole number such as 20, found a floating-point number; write it without a decimal point or exponent: 5000",
    },
    Case {
        name: "wrong_type_string_for_boolean",
        scenario: "[client]\ncheck_on_hot_start = \"yes\"\n",
        message: "error: s.toml:2:22: key `client.check_on_hot_start` = \"yes\": wrong type: expected true or false, found a string",
    },
    Case {
        name: "wrong_type_number_for_duration",
        scenario: "[run]\nhorizon = 7\n",
        message: "error: s.toml:2:11: key `run.horizon` = 7: wrong type: expected a duration string with a unit, such as \"30m\", found an integer; write it in quotes with a unit, such as \"7s\", \"7m\" or \"7h\"",
    },
    Case {
        name: "wrong_type_number_for_size",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\nsize = 1.5\n",
        message: "error: s.toml:4:8: key `release[0].size` = 1.5: wrong type: expected a size string with a unit, such as \"1.5MB\", found a floating-point number; write it in quotes with a unit, such as \"1.5MB\"",
    },
    Case {
        name: "wrong_type_table_for_run",
        scenario: "run = 5\n",
        message: "error: s.toml:1:7: key `run` = 5: wrong type: expected a table, found an integer",
    },
    Case {
        name: "wrong_type_in_array",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[incident]]\nversions = [1]\nfrom = \"1h\"\n",
        message: "error: s.toml:5:13: key `incident[0].versions[0]` = 1: wrong type: expected a string in quotes, such as \"name\", found an integer; put it in quotes: \"1\"",
    },
    Case {
        name: "wrong_type_in_distribution",
        scenario: "[[population.segment]]\nname = \"a\"\nshare = 1.0\nlaunches_per_day = 1\nsession = { dist = \"lognormal\", median = \"3m\", p90 = 12 }\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n",
        message: "error: s.toml:5:54: key `population.segment[0].session.p90` = 12: wrong type: expected a duration string with a unit, such as \"30m\", found an integer; write it in quotes with a unit, such as \"12s\", \"12m\" or \"12h\"",
    },
    Case {
        name: "wrong_type_datetime_for_string",
        scenario: "[population]\nstart = 2026-12-07T10:00:00\n",
        message: "error: s.toml:2:9: key `population.start` = 2026-12-07T10:00:00: wrong type: expected a string in quotes, such as \"name\", found a date-time; put it in quotes: \"2026-12-07T10:00:00\"",
    },
    Case {
        name: "start_with_seconds",
        scenario: "[population]\nstart = \"2026-12-07T23:59:59\"\n",
        message: "error: s.toml:2:9: key `population.start` = \"2026-12-07T23:59:59\": seconds are not supported: the run starts on a whole minute; drop the seconds, such as \"2026-12-07T10:00\"",
    },
    Case {
        name: "missing_required_key",
        scenario: "[[network]]\nname = \"wifi\"\nshare = 1.0\n",
        message: "error: s.toml:1:1: key `network[0].bandwidth`: missing required key; add it to the table",
    },
    Case {
        name: "missing_distribution_kind",
        scenario: "[[population.segment]]\nname = \"a\"\nshare = 1.0\nlaunches_per_day = 1\nsession = { median = \"3m\", p90 = \"12m\" }\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n",
        message: "error: s.toml:5:11: key `population.segment[0].session.dist`: missing required key; add it to the table",
    },
    Case {
        name: "missing_release",
        scenario: "[run]\nseed = 1\n",
        message: "error: s.toml: key `release`: the scenario publishes no release; add a [[release]] table with version, at and size",
    },
    Case {
        name: "unit_spelled_out",
        scenario: "[run]\nhorizon = \"5 minutes\"\n",
        message: "error: s.toml:2:11: key `run.horizon` = \"5 minutes\": invalid duration: unknown unit `minutes`; did you mean `m`? Use one of ms, s, m, h, d, e.g. \"250ms\", \"90s\", \"30m\", \"24h\", \"7d\"",
    },
    Case {
        name: "unit_abbreviated",
        scenario: "[run]\nsample_every = \"5mins\"\n",
        message: "error: s.toml:2:16: key `run.sample_every` = \"5mins\": invalid duration: unknown unit `mins`; did you mean `m`? Use one of ms, s, m, h, d, e.g. \"250ms\", \"90s\", \"30m\", \"24h\", \"7d\"",
    },
    Case {
        name: "unit_missing",
        scenario: "[client]\nsync_timeout = \"10\"\n",
        message: "error: s.toml:2:16: key `client.sync_timeout` = \"10\": invalid duration: the unit is missing; add one of ms, s, m, h, d, e.g. \"250ms\", \"90s\", \"30m\", \"24h\", \"7d\"",
    },
    Case {
        name: "unit_unknown_size",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\nsize = \"2MiB\"\n",
        message: "error: s.toml:4:8: key `release[0].size` = \"2MiB\": invalid size: unknown unit `MiB`; did you mean `MB`? Use one of B, KB, MB, GB, e.g. \"800KB\", \"1.5MB\"",
    },
    Case {
        name: "unit_rate_without_per_second",
        scenario: "[[network]]\nname = \"wifi\"\nshare = 1.0\nbandwidth = \"2MB\"\n",
        message: "error: s.toml:4:13: key `network[0].bandwidth` = \"2MB\": invalid rate: unknown unit `MB`; did you mean `MB/s`? Use one of B/s, KB/s, MB/s, GB/s, e.g. \"500KB/s\", \"2MB/s\"",
    },
    Case {
        name: "duration_negative",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[incident]]\nversions = [\"1.0.0\"]\nfrom = \"-1h\"\n",
        message: "error: s.toml:6:8: key `incident[0].from` = \"-1h\": invalid duration: negative; use a value of 0 or more",
    },
    Case {
        name: "duration_zero_horizon",
        scenario: "[run]\nhorizon = \"0s\"\n",
        message: "error: s.toml:2:11: key `run.horizon` = \"0s\": must be longer than zero; use a positive duration such as \"30m\"",
    },
    Case {
        name: "duration_zero_sync_timeout",
        scenario: "[client]\nsync_timeout = \"0s\"\n",
        message: "error: s.toml:2:16: key `client.sync_timeout` = \"0s\": must be longer than zero; use a positive duration such as \"30m\"",
    },
    Case {
        name: "duration_zero_exponential_mean",
        scenario: "[[population.segment]]\nname = \"a\"\nshare = 1.0\nlaunches_per_day = 1\nsession = { dist = \"exponential\", mean = \"0s\" }\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n",
        message: "error: s.toml:5:42: key `population.segment[0].session.mean` = \"0s\": must be longer than zero; use a positive duration such as \"30m\"",
    },
    Case {
        name: "distribution_unknown_kind",
        scenario: "[[population.segment]]\nname = \"a\"\nshare = 1.0\nlaunches_per_day = 1\nsession = { dist = \"lognorm\", median = \"3m\", p90 = \"12m\" }\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n",
        message: "error: s.toml:5:20: key `population.segment[0].session.dist` = \"lognorm\": unknown distribution (did you mean \"lognormal\"?); use \"fixed\", \"exponential\", \"lognormal\" or \"uniform\"",
    },
    Case {
        name: "distribution_p90_below_median",
        scenario: "[[population.segment]]\nname = \"a\"\nshare = 1.0\nlaunches_per_day = 1\nsession = { dist = \"lognormal\", median = \"3m\", p90 = \"1m\" }\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n",
        message: "error: s.toml:5:54: key `population.segment[0].session.p90` = \"1m\": p90 must be greater than the median 3m; raise p90 or use dist = \"fixed\" for a constant",
    },
    Case {
        name: "distribution_max_below_min",
        scenario: "[[population.segment]]\nname = \"a\"\nshare = 1.0\nlaunches_per_day = 1\nkeep_alive = { dist = \"uniform\", min = \"30m\", max = \"5m\" }\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n",
        message: "error: s.toml:5:53: key `population.segment[0].keep_alive.max` = \"5m\": max is less than min 30m; make max at least min",
    },
    Case {
        name: "sample_every_not_dividing",
        scenario: "[run]\nhorizon = \"7d\"\nsample_every = \"11m\"\n",
        message: "error: s.toml:3:16: key `run.sample_every` = \"11m\": the horizon 7d is not a whole number of sample intervals of 11m; choose a sample_every that divides the horizon, e.g. \"15m\", \"30m\" or \"1h\"",
    },
    Case {
        name: "probability_above_one",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[policy]]\nname = \"p\"\non_update_ready = \"prompt\"\naccept = 1.2\n",
        message: "error: s.toml:7:10: key `policy[0].accept` = 1.2: out of range; use a number from 0 to 1",
    },
    Case {
        name: "probability_negative",
        scenario: "[client]\nupdate_manager_share = -0.1\n",
        message: "error: s.toml:2:24: key `client.update_manager_share` = -0.1: out of range; use a number from 0 to 1",
    },
    Case {
        name: "share_above_one",
        scenario: "[[network]]\nname = \"wifi\"\nshare = 1.5\nbandwidth = \"2MB/s\"\n",
        message: "error: s.toml:3:9: key `network[0].share` = 1.5: out of range; use a number from 0 to 1",
    },
    Case {
        name: "failure_nan",
        scenario: "[[network]]\nname = \"wifi\"\nshare = 1.0\nbandwidth = \"2MB/s\"\nfailure = nan\n",
        message: "error: s.toml:5:11: key `network[0].failure` = nan: out of range; use a number from 0 to 1",
    },
    Case {
        name: "segment_shares_sum",
        scenario: "[[population.segment]]\nname = \"a\"\nshare = 0.3\nlaunches_per_day = 1\n\n[[population.segment]]\nname = \"b\"\nshare = 0.6\nlaunches_per_day = 2\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n",
        message: "error: s.toml:3:9: key `population.segment[*].share`: the shares 0.3 + 0.6 sum to 0.9, not 1; adjust them so they sum to 1 (within 1e-9)",
    },
    Case {
        name: "network_shares_sum",
        scenario: "[[network]]\nname = \"wifi\"\nshare = 0.6\nbandwidth = \"4MB/s\"\n\n[[network]]\nname = \"4g\"\nshare = 0.5\nbandwidth = \"2MB/s\"\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n",
        message: "error: s.toml:3:9: key `network[*].share`: the shares 0.6 + 0.5 sum to 1.1, not 1; adjust them so they sum to 1 (within 1e-9)",
    },
    Case {
        name: "releases_out_of_order",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"2h\"\n\n[[release]]\nversion = \"2.0.1\"\nat = \"1h\"\n",
        message: "error: s.toml:7:6: key `release[1].at` = \"1h\": releases are out of order: this one is published before the previous one; list [[release]] tables in order of `at`",
    },
    Case {
        name: "release_duplicate_version",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n\n[[release]]\nversion = \"2.0.0\"\nat = \"1h\"\n",
        message: "error: s.toml:6:11: key `release[1].version` = \"2.0.0\": version 2.0.0 is published twice; give each release a new version, or use rollback_to to republish an older one",
    },
    Case {
        name: "release_is_baseline",
        scenario: "[population]\nbaseline_version = \"2.0.0\"\n\n[[release]]\nversion = \"2.0.0\"\nat = \"1h\"\n",
        message: "error: s.toml:5:11: key `release[0].version` = \"2.0.0\": version 2.0.0 is population.baseline_version, which every existing user already has; give the release a new version, or change population.baseline_version",
    },
    Case {
        name: "release_after_horizon",
        scenario: "[run]\nhorizon = \"2d\"\nsample_every = \"1h\"\n\n[[release]]\nversion = \"2.0.0\"\nat = \"3d\"\n",
        message: "error: s.toml:7:6: key `release[0].at` = \"3d\": the release is published at or after the horizon 2d; publish it before run.horizon, or lengthen run.horizon",
    },
    Case {
        name: "rollout_decreasing",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\nrollout = [{ at = \"0h\", percent = 50 }, { at = \"6h\", percent = 10 }]\n",
        message: "error: s.toml:4:64: key `release[0].rollout[1].percent` = 10: the rollout percentage decreases from 50 to 10; a phased release can only grow, so use revert_at to cancel it or a rollback_to release to go back",
    },
    Case {
        name: "rollout_empty",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\nrollout = []\n",
        message: "error: s.toml:4:11: key `release[0].rollout` = []: the rollout list is empty; remove `rollout` for a full release at `at`, or add steps such as { at = \"0h\", percent = 10 }",
    },
    Case {
        name: "rollout_percent_above_100",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\nrollout = [{ at = \"0h\", percent = 150 }]\n",
        message: "error: s.toml:4:35: key `release[0].rollout[0].percent` = 150: out of range; use a number from 0 to 100",
    },
    Case {
        name: "rollback_to_unknown_version",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n\n[[release]]\nrollback_to = \"1.5.0\"\nat = \"2h\"\n",
        message: "error: s.toml:6:15: key `release[1].rollback_to` = \"1.5.0\": cannot roll back to 1.5.0: it was never published; name the baseline or an earlier release: 1.0.0, 2.0.0",
    },
    Case {
        name: "rollback_to_reverted_version",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"1h\"\nrollout = [{ at = \"0h\", percent = 10 }]\nrevert_at = \"4h\"\n\n[[release]]\nversion = \"3.0.0\"\nat = \"10h\"\n\n[[release]]\nrollback_to = \"2.0.0\"\nat = \"20h\"\n",
        message: "error: s.toml:12:15: key `release[2].rollback_to` = \"2.0.0\": cannot roll back to 2.0.0: release[0] reverted it at t = 5h, before this rollback; roll back to a version that was not reverted (1.0.0), or, to halt a phased release and resume it later, give release[0] a pause instead of revert_at",
    },
    Case {
        name: "stale_first_launch_version_published_later",
        scenario: "[population]\nnew_users_per_day = 100\nstale_first_launch_share = 0.3\nstale_first_launch_version = \"2.0.0\"\n\n[[release]]\nversion = \"2.0.0\"\nat = \"2h\"\n",
        message: "error: s.toml:4:30: key `population.stale_first_launch_version` = \"2.0.0\": version 2.0.0 is first published at t = 2h, but new users launch from t = 0 on, so the first of them would start from a version that does not exist yet; name the baseline or a version released at \"0h\", or use stale_first_launch_age for a package offered some time before each first launch",
    },
    Case {
        name: "incident_unknown_version",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[incident]]\nversions = [\"1.9.0\"]\nfrom = \"3h\"\n",
        message: "error: s.toml:5:13: key `incident[0].versions` = \"1.9.0\": unknown version 1.9.0; name the baseline or a released version: 1.0.0, 2.0.0",
    },
    Case {
        name: "incident_ends_before_start",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[incident]]\nversions = [\"1.0.0\"]\nfrom = \"3h\"\nuntil = \"1h\"\n",
        message: "error: s.toml:7:9: key `incident[0].until` = \"1h\": the incident ends before it starts; make until later than from",
    },
    Case {
        name: "policy_unknown_action",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[policy]]\nname = \"p\"\non_update_ready = \"forse\"\n",
        message: "error: s.toml:6:19: key `policy[0].on_update_ready` = \"forse\": unknown policy action (did you mean \"force\"?); use one of none, prompt, force, force_critical, on_resume, on_suspend",
    },
    Case {
        name: "policy_prompt_without_accept",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[policy]]\nname = \"p\"\non_update_ready = \"prompt\"\n",
        message: "error: s.toml:6:19: key `policy[0].accept`: missing: on_update_ready = \"prompt\" needs `accept`, the probability that a user accepts the prompt; add a number from 0 to 1, such as accept = 0.6",
    },
    Case {
        name: "population_without_users",
        scenario: "[population]\nusers = 0\n",
        message: "error: s.toml:2:9: key `population.users` = 0: a run with no existing users needs new users; set users to 1 or more, or set population.new_users_per_day above 0",
    },
    Case {
        name: "policy_accept_on_force",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[policy]]\nname = \"hard\"\non_update_ready = \"force\"\naccept = 0.5\n",
        message: "error: s.toml:7:10: key `policy[0].accept` = 0.5: `accept` applies to on_update_ready = \"prompt\" only; remove it or set on_update_ready = \"prompt\"",
    },
    Case {
        name: "policy_min_background_on_prompt",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n[[policy]]\nname = \"p\"\non_update_ready = \"prompt\"\naccept = 0.5\nmin_background = \"5m\"\n",
        message: "error: s.toml:8:18: key `policy[0].min_background` = \"5m\": `min_background` applies to on_update_ready = \"on_resume\" or \"on_suspend\" only; remove it or set on_update_ready = \"on_resume\" or \"on_suspend\"",
    },
    Case {
        name: "platform_unknown",
        scenario: "[client]\nplatform = \"wexin\"\n",
        message: "error: s.toml:2:12: key `client.platform` = \"wexin\": unknown platform; use one of wechat, wechat-2019, alipay, douyin, codepush, expo",
    },
    Case {
        name: "toml_syntax_table_header",
        scenario: "[run\nseed = 1\n",
        message: "error: s.toml:1:5: invalid TOML: invalid table header; expected `.`, `]`",
    },
    Case {
        name: "toml_syntax_duplicate_key",
        scenario: "[run]\nseed = 1\nseed = 2\n",
        message: "error: s.toml:3:1: invalid TOML: duplicate key `seed` in table `run`",
    },
    Case {
        name: "toml_syntax_unclosed_string",
        scenario: "[run]\nname = \"a\n",
        message: "error: s.toml:2:10: invalid TOML: invalid basic string",
    },
];

/// Chinese messages (`--lang zh-CN`), including the translated TOML syntax
/// and serde messages.
const CHINESE: &[Case] = &[
    Case {
        name: "unknown_key",
        scenario: "[run]\nhorizn = \"7d\"\n",
        message: "错误：s.toml:2:1: 键 `run.horizn`: 未知的键；是否想写 `horizon`？此处可用的键：`name`、`horizon`、`sample_every`、`replications`、`seed`",
    },
    Case {
        name: "wrong_type",
        scenario: "[run]\nname = 5\n",
        message: "错误：s.toml:2:8: 键 `run.name` = 5: 类型错误：应为带引号的字符串，例如 \"name\"，实际为整数；请加上引号：\"5\"",
    },
    Case {
        name: "unit_spelled_out",
        scenario: "[run]\nhorizon = \"5 minutes\"\n",
        message: "错误：s.toml:2:11: 键 `run.horizon` = \"5 minutes\": 无效的时长：未知单位 `minutes`；是否想写 `m`？请使用 ms, s, m, h, d 之一，例如 \"250ms\", \"90s\", \"30m\", \"24h\", \"7d\"",
    },
    Case {
        name: "shares_sum",
        scenario: "[[network]]\nname = \"wifi\"\nshare = 0.6\nbandwidth = \"4MB/s\"\n\n[[network]]\nname = \"4g\"\nshare = 0.5\nbandwidth = \"2MB/s\"\n",
        message: "错误：s.toml:3:9: 键 `network[*].share`: 各份额 0.6 + 0.5 之和为 1.1，不等于 1；请调整使其总和为 1（误差不超过 1e-9）",
    },
    Case {
        name: "missing_key",
        scenario: "[[network]]\nname = \"wifi\"\nshare = 1.0\n",
        message: "错误：s.toml:1:1: 键 `network[0].bandwidth`: 缺少必填的键；请在该表中添加",
    },
    Case {
        name: "syntax",
        scenario: "[run\nseed = 1\n",
        message: "错误：s.toml:1:5: TOML 语法错误：无效的表头；此处应为 `.`、`]`",
    },
    Case {
        name: "duplicate_key",
        scenario: "[run]\nseed = 1\nseed = 2\n",
        message: "错误：s.toml:3:1: TOML 语法错误：表 `run` 中的键 `seed` 重复",
    },
    Case {
        name: "rollback_to_reverted_version",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"1h\"\nrollout = [{ at = \"0h\", percent = 10 }]\nrevert_at = \"4h\"\n\n[[release]]\nversion = \"3.0.0\"\nat = \"10h\"\n\n[[release]]\nrollback_to = \"2.0.0\"\nat = \"20h\"\n",
        message: "错误：s.toml:12:15: 键 `release[2].rollback_to` = \"2.0.0\": 无法回退到 2.0.0：release[0] 已在 t = 5h 撤回该版本，早于本次回退；请回退到未撤回的版本（1.0.0）；如需暂停分阶段发布并在之后继续，请为 release[0] 设置 pause 而不是 revert_at",
    },
    Case {
        name: "stale_first_launch_version_published_later",
        scenario: "[population]\nnew_users_per_day = 100\nstale_first_launch_share = 0.3\nstale_first_launch_version = \"2.0.0\"\n\n[[release]]\nversion = \"2.0.0\"\nat = \"2h\"\n",
        message: "错误：s.toml:4:30: 键 `population.stale_first_launch_version` = \"2.0.0\": 版本 2.0.0 首次发布于 t = 2h，但新用户从 t = 0 起就开始启动，最早的新用户会从尚不存在的版本启动；请填写基线版本或在 \"0h\" 发布的版本，或改用 stale_first_launch_age 表示每次首次启动前一段时间提供的包",
    },
    Case {
        name: "rollout_decreasing",
        scenario: "[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\nrollout = [{ at = \"0h\", percent = 50 }, { at = \"6h\", percent = 10 }]\n",
        message: "错误：s.toml:4:64: 键 `release[0].rollout[1].percent` = 10: 灰度比例从 50 降到了 10；分阶段发布只能扩大，如需取消请用 revert_at，如需回退请发布 rollback_to",
    },
];

/// The binary with a fixed English locale, so the environment of the test
/// run does not pick the language.
fn rollout_sim(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("rollout-sim").expect("binary is built");
    command
        .current_dir(dir)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C");
    command
}

/// Runs every case with `args` plus the scenario path and returns one line
/// per case whose exit code, stdout or stderr differs.
fn mismatches(cases: &[Case], args: &[&str], check_no_output: bool) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("s.toml"), case.scenario).expect("scenario written");
        let output = rollout_sim(dir.path())
            .args(args)
            .arg("s.toml")
            .output()
            .expect("binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() != Some(2) {
            failures.push(format!(
                "{}: exit code {:?}, expected 2",
                case.name,
                output.status.code()
            ));
        }
        if !output.stdout.is_empty() {
            failures.push(format!(
                "{}: unexpected stdout {:?}",
                case.name,
                String::from_utf8_lossy(&output.stdout)
            ));
        }
        if stderr.trim_end() != case.message {
            failures.push(format!(
                "{}:\n  expected {:?}\n  actual   {:?}",
                case.name,
                case.message,
                stderr.trim_end()
            ));
        }
        if check_no_output && dir.path().join("out").exists() {
            failures.push(format!("{}: the output folder was created", case.name));
        }
    }
    failures
}

#[test]
fn check_rejects_bad_scenarios_in_english() {
    let failures = mismatches(ENGLISH, &["check"], false);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn run_rejects_bad_scenarios_before_output() {
    // `run` validates with the same code as `check`, before it creates the
    // output folder or simulates anything.
    let failures = mismatches(ENGLISH, &["run", "--out", "out"], true);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_rejects_bad_scenarios_in_chinese() {
    let failures = mismatches(CHINESE, &["--lang", "zh-CN", "check"], false);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn chinese_locale_selects_chinese_messages() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("s.toml"), CHINESE[0].scenario).expect("scenario written");
    rollout_sim(dir.path())
        .env("LANG", "zh_CN.UTF-8")
        .args(["check", "s.toml"])
        .assert()
        .code(2)
        .stderr(format!("{}\n", CHINESE[0].message));
}

#[test]
fn scenario_that_is_not_utf8_is_invalid_input() {
    let dir = tempfile::tempdir().expect("temporary folder");
    // "名称" in GBK, which is not UTF-8.
    std::fs::write(
        dir.path().join("s.toml"),
        b"[run]\nname = \"\xc3\xfb\xb3\xc6\"\n",
    )
    .expect("scenario written");
    for command in ["check", "run"] {
        rollout_sim(dir.path())
            .args([command, "s.toml"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                "error: s.toml:2:9: the file is not UTF-8 text; save the scenario as UTF-8 (GBK and other encodings are not read)\n",
            );
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn missing_scenario_file_is_invalid_input() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let assert = rollout_sim(dir.path())
        .args(["check", "absent.toml"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.starts_with("error: absent.toml: cannot read the scenario file: "),
        "{stderr}"
    );
}

#[test]
fn missing_scenario_file_in_chinese() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let assert = rollout_sim(dir.path())
        .args(["--lang", "zh-CN", "check", "absent.toml"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    // The operating system's text for the same missing file.
    let os_text = std::fs::read(dir.path().join("absent.toml"))
        .expect_err("the file is absent")
        .to_string();
    assert_eq!(
        stderr,
        format!("错误：absent.toml：无法读取场景文件：文件或目录不存在（{os_text}）\n")
    );
}

#[test]
fn invalid_flags_are_rejected() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (args, message) in [
        (
            &["run", "--users", "0", "--out", "out"][..],
            "error: invalid value 0 for --users: use a number from 1 to 2000000000\n",
        ),
        (
            &["run", "--seed", "9223372036854775808", "--out", "out"][..],
            "error: invalid value '9223372036854775808' for '--seed <N>': 9223372036854775808 is not in 0..=9223372036854775807\n\nFor more information, try '--help'.\n",
        ),
        (
            &["run", "--replications", "0", "--out", "out"][..],
            "error: invalid value 0 for --replications: use a number from 1 to 10000\n",
        ),
        (
            &["--lang", "fr", "check"][..],
            "error: invalid value 'fr' for '--lang'; use en or zh-CN\n",
        ),
        (
            &["run", "--memory-limit", "8", "--out", "out"][..],
            "error: invalid value 8 for --memory-limit: use a size with a unit, such as 8GB or 500MB\n",
        ),
    ] {
        rollout_sim(dir.path())
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(message);
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn command_line_errors_in_chinese() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (args, message) in [
        (
            &["--lang", "zh-CN", "check", "--bogus"][..],
            "错误：未知的参数 '--bogus'。运行 'rollout-sim --help' 查看用法。\n",
        ),
        (
            &["--lang", "zh-CN", "chek"][..],
            "错误：未知的子命令 'chek'；是否想写 'check'？运行 'rollout-sim --help' 查看用法。\n",
        ),
        (
            &["--lang", "zh-CN", "run", "--users", "abc"][..],
            "错误：'--users <N>' 的取值 'abc' 无效：数字中含有无效字符。运行 'rollout-sim --help' 查看用法。\n",
        ),
        (
            &["--lang", "zh-CN", "run", "--seed", "9223372036854775808", "--out", "out"][..],
            "错误：'--seed <N>' 的取值 '9223372036854775808' 无效：9223372036854775808 不在 0..=9223372036854775807 范围内。运行 'rollout-sim --help' 查看用法。\n",
        ),
        (
            &["--lang", "zh-CN", "run", "--users", "0", "--out", "out"][..],
            "错误：--users 的取值 0 无效：请使用 1 到 2000000000 之间的数\n",
        ),
    ] {
        rollout_sim(dir.path())
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(message);
    }
}

/// 30 replications of 10,080 one-minute bins: about 86 MB of counters.
const LARGE_SCENARIO: &str = "\
[run]
horizon = \"7d\"
sample_every = \"1m\"
replications = 30

[[release]]
version = \"2.0.0\"
at = \"0h\"
";

#[test]
fn run_over_memory_limit_is_rejected() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("s.toml"), LARGE_SCENARIO).expect("scenario written");
    // One thread, so the estimate does not depend on the machine's cores.
    let args = [
        "run",
        "s.toml",
        "--threads",
        "1",
        "--memory-limit",
        "100MB",
        "--out",
        "out",
    ];
    // The sizes come from the library, so that a counter added to the model
    // changes the numbers here and not the test; the formula has unit
    // tests in `engine::budget`.
    let scenario = rollout_sim::scenario::parse(LARGE_SCENARIO, "s.toml", None).expect("valid");
    let estimate = budget::estimate_memory(&scenario, 30, 1);
    let total = format_bytes(estimate.total() as f64);
    let (part, counters) = estimate.largest();
    assert_eq!(part, budget::MemoryPart::Counters);
    let counters = format_bytes(counters as f64);
    rollout_sim(dir.path())
        .args(args)
        .assert()
        .code(2)
        .stdout("")
        .stderr(format!("error: the run needs about {total} of memory (estimate), more than the limit of 100 MB (set by --memory-limit); the largest part is the per-bin counters of every policy and replication, {counters}. To fix it, use fewer replications (--replications) or policies, or fewer time bins (a longer run.sample_every or a shorter run.horizon), or raise the limit with --memory-limit, e.g. --memory-limit 1GB\n"));
    rollout_sim(dir.path())
        .args(["--lang", "zh-CN"])
        .args(args)
        .assert()
        .code(2)
        .stderr(format!("错误：本次运行约需 {total} 内存（估计值），超过上限 100 MB（由 --memory-limit 设置）；其中最大的部分是每个策略和每次重复的分箱计数器，{counters}。解决办法：请减少重复次数（--replications）或策略数，或减少时间分箱（加大 run.sample_every 或缩短 run.horizon），或用 --memory-limit 提高上限，例如 --memory-limit 1GB\n"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn check_over_memory_limit_is_rejected() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("s.toml"), LARGE_SCENARIO).expect("scenario written");
    let output = rollout_sim(dir.path())
        .args(["check", "s.toml", "--memory-limit", "100MB"])
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The total includes one buffer per core, so only its frame is fixed.
    assert!(
        stderr.starts_with("error: the run needs about "),
        "{stderr}"
    );
    assert!(
        stderr.contains("more than the limit of 100 MB (set by --memory-limit)"),
        "{stderr}"
    );
}

#[test]
fn check_prints_memory_estimate() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("s.toml"), LARGE_SCENARIO).expect("scenario written");
    let assert = rollout_sim(dir.path())
        .args(["check", "s.toml", "--memory-limit", "8GB"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("memory: about "), "{stdout}");
    assert!(
        stdout.contains(" (estimate), limit 8.00 GB (set by --memory-limit)\n"),
        "{stdout}"
    );
}

#[test]
fn run_notes_default_policy() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = "[population]\nusers = 50\n\n[[release]]\nversion = \"2.0.0\"\nat = \"1h\"\n";
    std::fs::write(dir.path().join("s.toml"), text).expect("scenario written");
    let assert = rollout_sim(dir.path())
        .args(["run", "s.toml", "--out", "out", "--replications", "1"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(
        stderr,
        "note: the scenario has no [[policy]] table, so the default policy `none` of platform wechat will run; add [[policy]] tables to compare policies\n"
    );
    assert!(dir.path().join("out/summary.csv").is_file());
}

const TRACE_SCENARIO: &str = "\
[population]
trace = \"trace.csv\"
trace_start = \"2021-03-04T00:00:00+01:00\"

[[release]]
version = \"2.0.0\"
at = \"0h\"
";

/// Bad traces and the exact English message, with the row where there is one.
const BAD_TRACES: &[(&str, &str, &str)] = &[
    (
        "missing_column",
        "user_id,event\nu1,open\n",
        "error: missing column `timestamp` in the header (line 1) of trace.csv. The header has `user_id`, `event`, and a trace needs `user_id`, `event` and `timestamp` (`app` is optional).\n",
    ),
    (
        "timestamp_without_offset",
        "user_id,event,timestamp\nu1,open,2021-03-04T10:00\n",
        "error: invalid timestamp \"2021-03-04T10:00\" in column `timestamp` at line 2 of trace.csv. Write it as RFC 3339 with a UTC offset, for example 2021-03-04T09:35:00+01:00, 2021-03-04T09:35:00.250+01:00, 2021-03-04T08:35:00Z or 2021-03-04 09:35:00+01:00.\n",
    ),
    (
        "close_before_open",
        "user_id,event,timestamp\nu1,open,2021-03-04T10:00:00Z\nu1,close,2021-03-04T09:00:00Z\n",
        "error: close without an open at line 3 of trace.csv (user `u1`, app `app`). Each close must follow an open of the same user and app, so add the missing open or remove this close.\n",
    ),
];

fn write_trace_scenario(dir: &Path, trace: &str) {
    std::fs::write(dir.join("s.toml"), TRACE_SCENARIO).expect("scenario written");
    std::fs::write(dir.join("trace.csv"), trace).expect("trace written");
}

#[test]
fn check_rejects_bad_traces() {
    for (name, trace, message) in BAD_TRACES {
        let dir = tempfile::tempdir().expect("temporary folder");
        write_trace_scenario(dir.path(), trace);
        let output = rollout_sim(dir.path())
            .args(["check", "s.toml"])
            .output()
            .expect("binary runs");
        assert_eq!(output.status.code(), Some(2), "{name}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), *message, "{name}");
        assert!(output.stdout.is_empty(), "{name}");
    }
}

#[test]
fn check_accepts_valid_trace() {
    let dir = tempfile::tempdir().expect("temporary folder");
    write_trace_scenario(
        dir.path(),
        "user_id,event,timestamp\nu1,open,2021-03-04T10:00:00Z\nu1,close,2021-03-04T10:05:00Z\n",
    );
    let assert = rollout_sim(dir.path())
        .args(["check", "s.toml"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        stdout.contains("trace: 1 (user, app) pairs, 1 visits\n"),
        "{stdout}"
    );
}

#[test]
fn run_rejects_bad_traces() {
    for (name, trace, message) in BAD_TRACES {
        let dir = tempfile::tempdir().expect("temporary folder");
        write_trace_scenario(dir.path(), trace);
        let output = rollout_sim(dir.path())
            .args(["run", "s.toml", "--out", "out"])
            .output()
            .expect("binary runs");
        assert_eq!(output.status.code(), Some(2), "{name}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), *message, "{name}");
        assert!(!dir.path().join("out").exists(), "{name}");
    }
}
