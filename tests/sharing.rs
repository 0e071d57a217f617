//! Policies that take over the end of the first policy's timeline must give
//! exactly the counters of simulating every policy in full. For every
//! shipped scenario, each user of one replication is simulated both ways
//! and the counters are compared bin by bin.

use std::path::Path;

use rollout_sim::engine::runner::{RunOptions, RunSetup};
use rollout_sim::model::population::load_launch_source;
use rollout_sim::model::user::{simulate_policies, simulate_user, UserScratch};
use rollout_sim::scenario;
use rollout_sim::stats::bins::{Bins, Total};

/// Users compared per scenario (all of them when the scenario has fewer).
const USERS: u64 = 3_000;

/// Simulates the users of replication 0 both ways and returns the events
/// counted and the events handled with sharing.
fn compare(path: &Path) -> (u64, u64) {
    let scenario = scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
    let source = load_launch_source(&scenario).expect("the trace loads");
    let options = RunOptions {
        users: Some(scenario.population.users.clamp(1, USERS)),
        ..RunOptions::default()
    };
    let setup = RunSetup::new(&scenario, &source, &options);

    let ctx = setup.context();
    let hosts = scenario.hosts.len().max(1);
    let policies = scenario.policies.len();
    let shape = || {
        Bins::new(
            scenario.run.bins(),
            scenario.run.sample_every.0,
            scenario.versions.len(),
        )
    };
    let mut shared_way = vec![shape(); policies * hosts];
    let mut shared = vec![shape(); hosts];
    let mut full_way = vec![shape(); policies * hosts];
    let (mut visits, mut trips) = (Vec::new(), Vec::new());
    let mut scratch = UserScratch::default();
    let mut handled = 0;

    for index in 0..setup.population(0) {
        let user = setup.prepare_user(0, index, &mut visits, &mut trips);
        let network = &scenario.networks[user.network];
        let host = user.traits.host as usize;
        let streams = setup.policy_streams(0, index);
        handled += simulate_policies(
            &ctx,
            &user.traits,
            network,
            &visits,
            &trips,
            &scenario.policies,
            &streams,
            &mut scratch,
            &mut shared_way,
            &mut shared[host],
            host,
            hosts,
        );
        for (p, policy) in scenario.policies.iter().enumerate() {
            simulate_user(
                &ctx,
                &user.traits,
                network,
                &visits,
                &trips,
                policy,
                &mut streams.clone(),
                &mut scratch,
                &mut full_way[host + p * hosts],
                None,
            );
        }
    }

    for (index, bins) in shared_way.iter_mut().enumerate() {
        bins.merge(&shared[index % hosts]);
    }
    for (index, (a, b)) in shared_way.iter().zip(&full_way).enumerate() {
        assert!(
            a == b,
            "{}: policy {} host {} differs with sharing",
            path.display(),
            index / hosts,
            index % hosts
        );
    }

    let events = full_way.iter().map(|b| b.total(Total::Events)).sum();
    (events, handled)
}

#[test]
fn sharing_matches_full_simulation() {
    let mut paths: Vec<_> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .expect("scenarios/ exists")
            .map(|entry| entry.expect("readable").path())
            .filter(|path| path.extension().is_some_and(|e| e == "toml"))
            .collect();
    paths.sort();
    assert!(paths.len() >= 9, "{paths:?}");
    for path in &paths {
        let (events, handled) = compare(path);
        assert!(handled <= events, "{}", path.display());
        if path.ends_with("wechat-default.toml") {
            // The comparison must not pass because nothing was shared.
            assert!(
                handled * 2 < events,
                "only {handled} of {events} events were shared"
            );
        }
    }
}
