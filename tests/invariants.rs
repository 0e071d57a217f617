//! Counter invariants (see `common::check_invariants`) on scenarios that use
//! every feature at once. They have phased releases with a revert, a critical
//! hotfix with a minimum required version, a rollback, incidents, new users,
//! every policy, timeouts that continue in the background, and the Alipay
//! error page. These runs have no closed form, but the relations between
//! counters must hold exactly in all of them.

mod common;

use common::{parse, simulate};
use rollout_sim::scenario::builtin_default;
use rollout_sim::stats::bins::Counter;

const POLICIES: &str = r#"
[[policy]]
name = "none"
on_update_ready = "none"

[[policy]]
name = "prompt"
on_update_ready = "prompt"
accept = 0.5
accept_critical = 0.9

[[policy]]
name = "force"
on_update_ready = "force"

[[policy]]
name = "force_critical"
on_update_ready = "force_critical"

[[policy]]
name = "on_resume"
on_update_ready = "on_resume"
min_background = "10m"
"#;

fn wechat_stress() -> String {
    format!(
        r#"
[run]
horizon = "4d"
sample_every = "1h"
replications = 2
seed = 3

[population]
users = 3000
baseline_version = "1.0.0"
new_users_per_day = 400

[[population.segment]]
name = "heavy"
share = 0.5
launches_per_day = 8.0
session = {{ dist = "lognormal", median = "3m", p90 = "20m" }}
keep_alive = {{ dist = "uniform", min = "1m", max = "40m" }}

[[population.segment]]
name = "light"
share = 0.5
launches_per_day = 0.3
session = {{ dist = "exponential", mean = "2m" }}
keep_alive = "5m"

[client]
platform = "wechat"
periodic_check_share = 0.7
recently_used = "2d"
long_unused = "3d"
sync_timeout = "3s"
continue_after_timeout = true
check_on_hot_start = true
update_manager_share = 0.9

[[network]]
name = "wifi"
share = 0.7
bandwidth = "2MB/s"
failure = 0.05

[[network]]
name = "weak"
share = 0.3
bandwidth = "150KB/s"
failure = 0.3
jitter = 0.8

[[release]]
version = "1.1.0"
at = "0h"
size = "800KB"
rollout = [{{ at = "0h", percent = 10 }}, {{ at = "6h", percent = 50 }}]
revert_at = "20h"

[[release]]
version = "1.2.0"
at = "30h"
size = "1MB"
critical = true
minimum_required = true

[[release]]
rollback_to = "1.0.0"
at = "70h"

[[incident]]
versions = ["1.0.0"]
from = "10h"
until = "40h"

{POLICIES}
"#
    )
}

fn alipay_stress() -> String {
    format!(
        r#"
[run]
horizon = "3d"
sample_every = "30m"
replications = 2
seed = 4

[population]
users = 2000
baseline_version = "3.0.0"
new_users_per_day = 200

[[population.segment]]
name = "all"
share = 1.0
launches_per_day = 3.0

[client]
platform = "alipay"
sync_timeout = "2s"

[[network]]
name = "weak"
share = 1.0
bandwidth = "200KB/s"
failure = 0.4

[[release]]
version = "3.1.0"
at = "2h"
size = "1.2MB"
critical = true
rollout = [{{ at = "0h", percent = 10 }}, {{ at = "12h", percent = 50 }}]

{POLICIES}
"#
    )
}

#[test]
fn wechat_features_keep_invariants() {
    let sim = simulate(parse(&wechat_stress()));
    // The scenario exercises the paths it is meant to.
    for counter in [
        Counter::SyncUpdates,
        Counter::SyncFailures,
        Counter::IncidentLaunches,
        Counter::FirstLaunches,
        Counter::HotStarts,
        Counter::DownloadsFailed,
    ] {
        assert!(
            sim.counter_total(0, counter) > 0,
            "{counter:?} never happens under none"
        );
    }
    assert!(sim.counter_total(1, Counter::PromptsDeclined) > 0);
    assert!(sim.counter_total(2, Counter::ForcedRestarts) > 0);
    assert!(sim.counter_total(3, Counter::ForcedRestarts) > 0);
    assert!(sim.counter_total(4, Counter::ResumeRestarts) > 0);
}

#[test]
fn alipay_error_page_keeps_invariants() {
    let sim = simulate(parse(&alipay_stress()));
    assert!(
        sim.counter_total(0, Counter::FailedLaunches) > 0,
        "a failed synchronous check shows the error page"
    );
}

#[test]
fn builtin_scenario_keeps_invariants() {
    let mut scenario = builtin_default();
    scenario.population.users = 4_000;
    scenario.run.replications = 2;
    simulate(scenario);
}
