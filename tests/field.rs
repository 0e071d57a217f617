//! Field mechanisms: scenarios that use them show the expected effect, and
//! scenarios that do not use them give the same bytes as before they existed.

use rollout_sim::engine::runner::{self, RunOptions};
use rollout_sim::model::population::LaunchSource;
use rollout_sim::output::csv;
use rollout_sim::scenario::{self, Scenario};
use rollout_sim::stats::aggregate::{self, RunResult};
use sha2::{Digest, Sha256};

fn parse(text: &str) -> Scenario {
    match scenario::parse(text, "field-test.toml", None) {
        Ok(scenario) => scenario,
        Err(error) => panic!("{}", error.render(rollout_sim::i18n::Lang::En)),
    }
}

fn run(scenario: &Scenario, users: u64, replications: u32) -> RunResult {
    let options = RunOptions {
        threads: 2,
        users: Some(users),
        replications: Some(replications),
        ..RunOptions::default()
    };
    let output = runner::run(scenario, &LaunchSource::Synthetic, &options, &|_, _| {})
        .expect("the run succeeds");
    aggregate::aggregate(scenario, &output)
}

fn digest(result: &RunResult) -> String {
    let mut hasher = Sha256::new();
    hasher.update(csv::timeseries_csv(result).expect("timeseries renders"));
    hasher.update(csv::summary_csv(result).expect("summary renders"));
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A scenario that exercises the existing paths the field mechanisms sit
/// beside: a phased release, a minimum required hotfix, an incident, hot
/// start checks and downloads that continue after a synchronous timeout.
const EXISTING_PATHS: &str = r#"
[run]
horizon = "3d"
sample_every = "1h"
seed = 7

[population]
baseline_version = "1.0"
new_users_per_day = 300

[[population.segment]]
name = "daily"
share = 0.6
launches_per_day = 5
keep_alive = { dist = "exponential", mean = "20m" }

[[population.segment]]
name = "rare"
share = 0.4
launches_per_day = 0.3

[client]
check_on_hot_start = true
continue_after_timeout = true
sync_timeout = "2s"

[[network]]
name = "fast"
share = 0.7
bandwidth = "3MB/s"

[[network]]
name = "slow"
share = 0.3
bandwidth = "300KB/s"
failure = 0.05

[[release]]
version = "1.1"
at = "0h"
size = "2MB"
rollout = [{ at = "0h", percent = 20 }, { at = "12h", percent = 100 }]

[[release]]
version = "1.2"
at = "30h"
size = "1MB"
critical = true
minimum_required = true

[[incident]]
versions = ["1.0", "1.1"]
from = "20h"
until = "40h"

[[policy]]
name = "none"
on_update_ready = "none"

[[policy]]
name = "prompt"
on_update_ready = "prompt"
accept = 0.5
accept_critical = 0.9

[[policy]]
name = "force_critical"
on_update_ready = "force_critical"

[[policy]]
name = "on_resume"
on_update_ready = "on_resume"
min_background = "5m"
"#;

// The digests below were taken from the code before any field mechanism
// existed. A deliberate change in numbers must update them and say so in
// the commit message.
const DEFAULT_DIGEST: &str = "312484de2e85cacd9d028c4550bd38ef239219b54908744d1169f80bbab54b83";
const EXISTING_PATHS_DIGEST: &str =
    "7698f701ac5ce090f261c8cdb0e0975cdbd441db68a0db873275344daee34fc5";

#[test]
fn default_scenario_bytes_unchanged() {
    let scenario = scenario::builtin_default();
    assert_eq!(digest(&run(&scenario, 2_000, 2)), DEFAULT_DIGEST);
}

#[test]
fn existing_paths_bytes_unchanged() {
    let scenario = parse(EXISTING_PATHS);
    assert_eq!(digest(&run(&scenario, 2_000, 2)), EXISTING_PATHS_DIGEST);
}

#[test]
#[ignore = "writes the CSV files of the pinned scenarios for diffing"]
fn dump_pinned_outputs() {
    let dir = std::env::temp_dir().join("rollout-sim-field-pinned");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, scenario) in [
        ("default", scenario::builtin_default()),
        ("existing", parse(EXISTING_PATHS)),
    ] {
        let result = run(&scenario, 2_000, 2);
        std::fs::write(
            dir.join(format!("{name}-timeseries.csv")),
            csv::timeseries_csv(&result).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{name}-summary.csv")),
            csv::summary_csv(&result).unwrap(),
        )
        .unwrap();
    }
}
