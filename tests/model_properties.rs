//! Invariants of the model on random small scenarios: random segments,
//! networks, client settings, releases (phased, critical, minimum required,
//! reverted or rolled back), incidents and policies, with few users and a
//! short horizon. Each case is written as TOML, so it also passes through
//! the parser's validation.

use proptest::prelude::*;
use rollout_sim::engine::runner::{run, RunOptions, RunOutput, RunSetup};
use rollout_sim::model::population::LaunchSource;
use rollout_sim::model::user::{simulate_user, UserScratch};
use rollout_sim::scenario::{self, Scenario, UpdateAction};
use rollout_sim::stats::aggregate;
use rollout_sim::stats::bins::{Bins, Counter, Gauge};

/// A duration distribution in TOML, from a kind and two sizes in minutes.
fn distribution(kind: u8, a: u32, b: u32) -> String {
    let (low, high) = (a.min(b), a.max(b) + 1);
    match kind % 4 {
        0 => format!("\"{low}m\""),
        1 => format!("{{ dist = \"exponential\", mean = \"{high}m\" }}"),
        2 => format!(
            "{{ dist = \"lognormal\", median = \"{high}m\", p90 = \"{}m\" }}",
            high * 3
        ),
        _ => format!("{{ dist = \"uniform\", min = \"{low}m\", max = \"{high}m\" }}"),
    }
}

/// Shares from positive weights, printed so that they sum to 1 within
/// 1e-9: every share but the last is rounded to 6 decimals, and the last
/// takes the rest.
fn shares(weights: &[u32]) -> Vec<String> {
    let total: u32 = weights.iter().sum();
    let mut printed = Vec::new();
    let mut used = 0.0;
    for weight in &weights[..weights.len() - 1] {
        let share = (f64::from(*weight) / f64::from(total) * 1e6).round() / 1e6;
        used += share;
        printed.push(format!("{share:.6}"));
    }
    printed.push(format!("{:.6}", (1.0 - used).max(0.0)));
    printed
}

#[derive(Clone, Debug)]
struct Segment {
    weight: u32,
    launches_per_day: f64,
    session: (u8, u32, u32),
    keep_alive: (u8, u32, u32),
}

#[derive(Clone, Debug)]
struct Network {
    weight: u32,
    kilobytes_per_s: u32,
    failure: f64,
}

#[derive(Clone, Debug)]
struct Release {
    gap_h: u32,
    size_kb: u32,
    critical: bool,
    minimum_required: bool,
    rollout: Option<(u32, u32)>,
}

/// Field mechanisms, each on or off, so that the comparison of shared and
/// full timelines meets every kind of event and policy setting.
#[derive(Clone, Debug)]
struct Field {
    /// A second host: `applyUpdate()` restarts, and the callback (0 once,
    /// 1 never, 2 repeat).
    host: Option<(bool, u8)>,
    /// An outage: start and length in hours, what it affects (0 checks,
    /// 1 downloads, 2 both) and its failure probability.
    outage: Option<(u32, u32, u8, f64)>,
    /// Brief trips to the background per foreground hour, in segment 0.
    trips_per_hour: Option<f64>,
    /// An in-app timer check in minutes, for every policy or the last one.
    timer: Option<(u32, bool)>,
    /// The last policy's handler ships with the first release.
    since_first_release: bool,
    /// The first release fails to start on this share of devices, which
    /// roll back.
    start_failure: Option<f64>,
    /// Every cold start waits for a check, and the download continues
    /// after the timeout.
    sync_check: Option<bool>,
    /// Share of new users whose first launch runs the baseline.
    stale_share: Option<f64>,
}

#[derive(Clone, Debug)]
struct Params {
    platform: usize,
    users: u32,
    replications: u32,
    days: u32,
    new_users_per_day: u32,
    periodic_check_share: f64,
    update_manager_share: f64,
    check_on_hot_start: bool,
    sync_timeout_s: u32,
    segments: Vec<Segment>,
    networks: Vec<Network>,
    releases: Vec<Release>,
    /// 0: none, 1: revert the first release, 2: roll back to the baseline.
    undo: u8,
    incident: Option<(u32, u32)>,
    policies: Vec<usize>,
    prompt_accept: f64,
    seed: u64,
    field: Field,
}

const PLATFORMS: [&str; 4] = ["wechat", "wechat-2019", "alipay", "douyin"];
const ACTIONS: [&str; 6] = [
    "none",
    "prompt",
    "force",
    "force_critical",
    "on_resume",
    "on_suspend",
];

fn params() -> impl Strategy<Value = Params> {
    let segment = (
        1u32..10,
        0.2f64..12.0,
        (0u8..4, 0u32..20, 0u32..20),
        (0u8..4, 0u32..40, 0u32..40),
    )
        .prop_map(|(weight, launches_per_day, session, keep_alive)| Segment {
            weight,
            launches_per_day,
            session,
            keep_alive,
        });
    let network =
        (1u32..10, 20u32..5000, 0.0f64..0.6).prop_map(|(weight, kilobytes_per_s, failure)| {
            Network {
                weight,
                kilobytes_per_s,
                failure,
            }
        });
    let release = (
        0u32..8,
        100u32..3000,
        any::<bool>(),
        any::<bool>(),
        prop::option::of((1u32..60, 0u32..12)),
    )
        .prop_map(
            |(gap_h, size_kb, critical, minimum_required, rollout)| Release {
                gap_h,
                size_kb,
                critical,
                minimum_required,
                rollout,
            },
        );
    let field = (
        (
            prop::option::of((any::<bool>(), 0u8..3)),
            prop::option::of((0u32..20, 1u32..10, 0u8..3, 0.05f64..=1.0)),
            prop::option::of(0.2f64..4.0),
            prop::option::of((1u32..60, any::<bool>())),
        ),
        (
            any::<bool>(),
            prop::option::of(0.0f64..0.5),
            prop::option::of(any::<bool>()),
            prop::option::of(0.0f64..=1.0),
        ),
    )
        .prop_map(
            |(
                (host, outage, trips_per_hour, timer),
                (since_first_release, start_failure, sync_check, stale_share),
            )| Field {
                host,
                outage,
                trips_per_hour,
                timer,
                since_first_release,
                start_failure,
                sync_check,
                stale_share,
            },
        );
    (
        (0usize..4, 5u32..60, 1u32..3, 1u32..3, 0u32..40),
        (0.0f64..=1.0, 0.0f64..=1.0, any::<bool>(), 1u32..30),
        prop::collection::vec(segment, 1..4),
        prop::collection::vec(network, 1..3),
        prop::collection::vec(release, 1..4),
        (0u8..3, prop::option::of((0u32..20, 1u32..20))),
        (
            prop::sample::subsequence((0..ACTIONS.len()).collect::<Vec<_>>(), 1..=ACTIONS.len()),
            0.0f64..=1.0,
            any::<u64>(),
        ),
        field,
    )
        .prop_map(
            |(
                (platform, users, replications, days, new_users_per_day),
                (periodic_check_share, update_manager_share, check_on_hot_start, sync_timeout_s),
                segments,
                networks,
                releases,
                (undo, incident),
                (policies, prompt_accept, seed),
                field,
            )| Params {
                platform,
                users,
                replications,
                days,
                new_users_per_day,
                periodic_check_share,
                update_manager_share,
                check_on_hot_start,
                sync_timeout_s,
                segments,
                networks,
                releases,
                undo,
                incident,
                policies,
                prompt_accept,
                seed,
                field,
            },
        )
}

/// Writes the scenario as TOML.
fn scenario_text(p: &Params) -> String {
    let platform = PLATFORMS[p.platform];
    let mut text = format!(
        "[run]\nhorizon = \"{}d\"\nsample_every = \"1h\"\nreplications = {}\nseed = {}\n\n",
        p.days,
        p.replications,
        p.seed >> 1
    );
    text += &format!(
        "[population]\nusers = {}\nbaseline_version = \"1.0.0\"\nnew_users_per_day = {}\n",
        p.users, p.new_users_per_day
    );
    if let Some(share) = p.field.stale_share {
        text += &format!(
            "stale_first_launch_share = {share:.3}\nstale_first_launch_version = \"1.0.0\"\n"
        );
    }
    text += "\n";
    let segment_shares = shares(&p.segments.iter().map(|s| s.weight).collect::<Vec<_>>());
    for (i, (segment, share)) in p.segments.iter().zip(&segment_shares).enumerate() {
        let (kind, a, b) = segment.session;
        let (keep_kind, keep_a, keep_b) = segment.keep_alive;
        text += &format!(
            "[[population.segment]]\nname = \"s{i}\"\nshare = {share}\nlaunches_per_day = {:.3}\nsession = {}\nkeep_alive = {}\n",
            segment.launches_per_day,
            distribution(kind, a, b),
            distribution(keep_kind, keep_a, keep_b),
        );
        if let (0, Some(per_hour)) = (i, p.field.trips_per_hour) {
            text +=
                &format!("brief_backgrounds_per_hour = {per_hour:.3}\nbrief_background = \"2m\"\n");
        }
        text += "\n";
    }
    text += &format!(
        "[client]\nplatform = \"{platform}\"\nperiodic_check_share = {:.4}\nupdate_manager_share = {:.4}\ncheck_on_hot_start = {}\nsync_timeout = \"{}s\"\n",
        p.periodic_check_share, p.update_manager_share, p.check_on_hot_start, p.sync_timeout_s
    );
    if let Some(continue_after_timeout) = p.field.sync_check {
        text += &format!(
            "sync_check_on_cold_start = true\ncontinue_after_timeout = {continue_after_timeout}\n"
        );
    }
    if p.field.start_failure.is_some() {
        text += "on_device_rollback = true\n";
    }
    text += "\n";
    if let Some((restarts, callback)) = p.field.host {
        let callback = ["once", "never", "repeat"][callback as usize];
        text += "[[host]]\nname = \"phone\"\nshare = 0.6\n\n";
        text += &format!(
            "[[host]]\nname = \"other\"\nshare = 0.4\napply_update_restarts = {restarts}\nupdate_ready_callback = \"{callback}\"\nkeep_alive = \"20m\"\n\n"
        );
    }
    if let Some((from_h, length_h, affects, failure)) = p.field.outage {
        let affects = ["checks", "downloads", "both"][affects as usize];
        text += &format!(
            "[[outage]]\nname = \"o\"\nfrom = \"{from_h}h\"\nuntil = \"{}h\"\naffects = \"{affects}\"\nfailure = {failure:.3}\n\n",
            from_h + length_h
        );
    }
    let network_shares = shares(&p.networks.iter().map(|n| n.weight).collect::<Vec<_>>());
    for (i, (network, share)) in p.networks.iter().zip(&network_shares).enumerate() {
        text += &format!(
            "[[network]]\nname = \"n{i}\"\nshare = {share}\nbandwidth = \"{}KB/s\"\nfailure = {:.4}\n\n",
            network.kilobytes_per_s, network.failure
        );
    }
    // Releases stay inside the shortest horizon (1 day): at most 3 gaps of
    // 7 hours and a rollback 1 hour later.
    let alipay = platform == "alipay";
    let mut at_h = 0;
    for (i, release) in p.releases.iter().enumerate() {
        at_h += release.gap_h;
        text += &format!(
            "[[release]]\nversion = \"2.{i}.0\"\nat = \"{at_h}h\"\nsize = \"{}KB\"\ncritical = {}\n",
            release.size_kb, release.critical
        );
        if let (0, Some(share)) = (i, p.field.start_failure) {
            text += &format!("start_failure = {share:.3}\n");
        }
        if release.minimum_required && !alipay {
            text += "minimum_required = true\n";
        }
        if let Some((first, step_h)) = release.rollout {
            // Alipay offers 10, 30, 50 and 100 % only.
            let (first, second) = if alipay {
                (10, 50)
            } else {
                (first, (first * 2).min(100))
            };
            text += &format!(
                "rollout = [{{ at = \"0h\", percent = {first} }}, {{ at = \"{}h\", percent = {second} }}]\n",
                step_h + 1
            );
            if i == 0 && p.undo == 1 {
                text += &format!("revert_at = \"{}h\"\n", step_h + 2);
            }
        }
        text += "\n";
    }
    if p.undo == 2 {
        text += &format!(
            "[[release]]\nrollback_to = \"1.0.0\"\nat = \"{}h\"\n\n",
            at_h + 1
        );
    }
    if let Some((from_h, length_h)) = p.incident {
        text += &format!(
            "[[incident]]\nversions = [\"1.0.0\"]\nfrom = \"{from_h}h\"\nuntil = \"{}h\"\n\n",
            from_h + length_h
        );
    }
    for (position, &action) in p.policies.iter().enumerate() {
        let name = ACTIONS[action];
        let last = position + 1 == p.policies.len();
        text += &format!("[[policy]]\nname = \"{name}\"\non_update_ready = \"{name}\"\n");
        if let Some((minutes, every_policy)) = p.field.timer {
            if every_policy || last {
                text += &format!("foreground_check_every = \"{minutes}m\"\n");
            }
        }
        if p.field.since_first_release && last {
            text += "since_version = \"2.0.0\"\n";
        }
        match name {
            "prompt" => text += &format!("accept = {:.3}\n", p.prompt_accept),
            "on_resume" | "on_suspend" => text += "min_background = \"10m\"\n",
            _ => {}
        }
        text += "\n";
    }
    text
}

fn simulate(scenario: &Scenario, threads: usize) -> RunOutput {
    let options = RunOptions {
        threads,
        ..RunOptions::default()
    };
    run(scenario, &LaunchSource::Synthetic, &options, &|_, _| {}).expect("run completes")
}

/// Returns whether a release, revert or rollback changes "the newest
/// version" in the sample interval that ends at `end_ms`.
fn release_between(scenario: &Scenario, start_ms: i64, end_ms: i64) -> bool {
    scenario
        .releases
        .iter()
        .skip(1)
        .any(|release| (start_ms..=end_ms).contains(&release.at.0))
}

fn check_counts(bins: &Bins, policy: &str) -> Result<(), TestCaseError> {
    let launches = bins.counter(Counter::Launches);
    let failed = bins.counter(Counter::FailedLaunches);
    let cold = bins.counter(Counter::ColdStarts);
    let hot = bins.counter(Counter::HotStarts);
    for bin in 0..bins.bins() {
        // Every launch is a cold or a hot start; only cold starts fail.
        prop_assert_eq!(
            cold[bin] + hot[bin],
            launches[bin] + failed[bin],
            "{} bin {}",
            policy,
            bin
        );
        prop_assert!(failed[bin] <= cold[bin], "{policy} bin {bin}");
        prop_assert!(
            bins.counter(Counter::LaunchesNewest)[bin] <= launches[bin],
            "{policy} bin {bin}"
        );
        prop_assert!(
            bins.counter(Counter::ForegroundNewestMs)[bin]
                <= bins.counter(Counter::ForegroundMs)[bin],
            "{policy} bin {bin}"
        );
    }

    // A download ends in the bin it started or later, so at the end of
    // every bin the downloads that ended never exceed those started.
    let started = bins.counter(Counter::DownloadsStarted);
    let completed = bins.counter(Counter::DownloadsCompleted);
    let failed_downloads = bins.counter(Counter::DownloadsFailed);
    let (mut started_sum, mut ended_sum) = (0u64, 0u64);
    for bin in 0..bins.bins() {
        started_sum += started[bin];
        ended_sum += completed[bin] + failed_downloads[bin];
        prop_assert!(
            ended_sum <= started_sum,
            "{policy} bin {bin}: {ended_sum} > {started_sum}"
        );
    }

    let users = bins.gauge(Gauge::Users);
    let installed = bins.gauge(Gauge::InstalledNewest);
    let active = bins.gauge(Gauge::ActiveUsers);
    let active_newest = bins.gauge(Gauge::ActiveNewest);
    for bin in 0..bins.bins() {
        prop_assert!(installed[bin] <= users[bin], "{policy} bin {bin}");
        prop_assert!(active_newest[bin] <= active[bin], "{policy} bin {bin}");
        prop_assert!(active[bin] <= users[bin], "{policy} bin {bin}");
    }
    Ok(())
}

/// Simulates every user under every policy in full, one policy at a time,
/// with no sharing between policies: `[host][policy][replication]`.
fn full_simulation(scenario: &Scenario) -> Vec<Vec<Vec<Bins>>> {
    let source = LaunchSource::Synthetic;
    let setup = RunSetup::new(scenario, &source, &RunOptions::default());
    let ctx = setup.context();
    let shape = Bins::new(
        scenario.run.bins(),
        scenario.run.sample_every.0,
        scenario.versions.len(),
    );
    let hosts = scenario.hosts.len().max(1);
    let replications = setup.replications as usize;
    let mut out = vec![vec![vec![shape; replications]; scenario.policies.len()]; hosts];
    let (mut visits, mut trips) = (Vec::new(), Vec::new());
    let mut scratch = UserScratch::default();

    for replication in 0..setup.replications {
        for index in 0..setup.population(replication) {
            let user = setup.prepare_user(replication, index, &mut visits, &mut trips);
            let streams = setup.policy_streams(replication, index);
            let host = user.traits.host as usize;
            for (policy, per_policy) in scenario.policies.iter().zip(&mut out[host]) {
                simulate_user(
                    &ctx,
                    &user.traits,
                    &scenario.networks[user.network],
                    &visits,
                    &trips,
                    policy,
                    &mut streams.clone(),
                    &mut scratch,
                    &mut per_policy[replication as usize],
                    None,
                );
            }
        }
    }
    out
}

fn check_case(p: &Params) -> Result<(), TestCaseError> {
    let text = scenario_text(p);
    let scenario = match scenario::parse(&text, "generated.toml", None) {
        Ok(scenario) => scenario,
        Err(error) => {
            return Err(TestCaseError::fail(format!(
                "{}\n{text}",
                error.render(rollout_sim::i18n::Lang::En)
            )))
        }
    };
    let output = simulate(&scenario, 1);

    // The same seed gives the same counters, on one thread or several.
    prop_assert!(simulate(&scenario, 1).bins == output.bins, "rerun differs");
    prop_assert!(
        simulate(&scenario, 3).bins == output.bins,
        "3 threads differ"
    );

    // Later policies that take over the first one's timeline give exactly
    // the counters of simulating every policy in full.
    let full = full_simulation(&scenario);
    if scenario.hosts.is_empty() {
        prop_assert!(
            full[0] == output.bins,
            "sharing differs from full simulation"
        );
    } else {
        prop_assert!(
            full == output.clients,
            "sharing differs from full simulation by host"
        );
    }

    let width = scenario.run.sample_every.0;
    // A revert, a rollback or an on-device rollback takes the newest
    // package away again.
    let undone = p.undo != 0 || p.field.start_failure.is_some();
    for (policy, reps) in scenario.policies.iter().zip(&output.bins) {
        for bins in reps {
            check_counts(bins, &policy.name)?;
            if policy.action == UpdateAction::None {
                prop_assert_eq!(bins.counter_sum(Counter::ForcedRestarts), 0);
                prop_assert_eq!(bins.counter_sum(Counter::ResumeRestarts), 0);
                prop_assert_eq!(bins.counter_sum(Counter::PromptsShown), 0);
            }
            // Users who hold the newest package keep it until a release
            // changes which version is newest, unless a revert or rollback
            // sends them back. The count is checked, not the share, because
            // new users join with the version their rollout bucket gets.
            if !undone {
                let installed = bins.gauge(Gauge::InstalledNewest);
                for bin in 1..installed.len() {
                    let start = bin as i64 * width;
                    if release_between(&scenario, start, start + width) {
                        continue;
                    }
                    prop_assert!(
                        installed[bin] >= installed[bin - 1],
                        "{}: installed newest fell from {} to {} in bin {}",
                        policy.name,
                        installed[bin - 1],
                        installed[bin],
                        bin
                    );
                }
            }
        }
    }

    let result = aggregate::aggregate(&scenario, &output);
    for policy in &result.policies {
        for series in policy
            .series
            .iter()
            .filter(|s| aggregate::COVERAGES.contains(&s.metric.as_str()))
        {
            for value in series.values.iter().flatten() {
                for number in [value.mean, value.p05, value.p95] {
                    prop_assert!(
                        (0.0..=1.0).contains(&number),
                        "{} {} = {}",
                        policy.policy,
                        series.metric,
                        number
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    // proptest's default of 256 cases takes about 10 s in a debug build on
    // 2 shared cores; PROPTEST_CASES=1500 (about 50 s) searches longer.

    #[test]
    fn model_invariants_hold(p in params()) {
        check_case(&p)?;
    }
}

#[test]
fn last_bin_counts_every_user() {
    // The last sample instant is the horizon itself; every existing user
    // still exists then, whatever the policy.
    let text = "[run]\nhorizon = \"1d\"\nsample_every = \"1h\"\nreplications = 2\n\n[population]\nusers = 50\n\n[[release]]\nversion = \"2.0.0\"\nat = \"1h\"\n\n[[policy]]\nname = \"none\"\non_update_ready = \"none\"\n\n[[policy]]\nname = \"force\"\non_update_ready = \"force\"\n";
    let scenario = scenario::parse(text, "s.toml", None).expect("scenario is valid");
    let output = simulate(&scenario, 1);
    for reps in &output.bins {
        for bins in reps {
            let users = bins.gauge(Gauge::Users);
            assert_eq!(users.first(), Some(&50));
            assert_eq!(users.last(), Some(&50));
        }
    }
}
