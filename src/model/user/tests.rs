//! The start state: at t = 0 each existing user's process is alive or not
//! according to its own launch history.

use super::*;
use crate::engine::rng::{self, Stream};
use crate::model::population::{LaunchSource, PopulationPlan};
use crate::scenario;
use crate::time::MS_PER_DAY;

/// Share of existing users whose first launch after t = 0 counts on
/// `counter`, with Poisson launches at 1 a day, 1 ms sessions, a fixed
/// keep-alive, no periodic check and the given `long_unused`.
fn first_launch_share(counter: Counter, keep_alive: &str, long_unused: &str, users: u64) -> f64 {
    let text = format!(
        r#"
[run]
horizon = "30d"
sample_every = "1d"

[population]
users = {users}

[[population.segment]]
name = "all"
share = 1.0
launches_per_day = 1.0
session = "1ms"
keep_alive = "{keep_alive}"

[client]
periodic_check_share = 0.0
long_unused = "{long_unused}"

[[release]]
version = "2.0"
at = "0h"
"#
    );
    let scenario = scenario::parse(&text, "start-state.toml", None).expect("valid scenario");
    let schedule = Schedule::new(&scenario);
    let source = LaunchSource::Synthetic;
    let seed = 41;
    let plan = PopulationPlan::new(&scenario, users, seed, &source);
    let check_latency = scenario.client.check_latency.sampler();
    let mut scratch = UserScratch::default();
    let mut visits = Vec::new();
    let (mut counted, mut launched) = (0u64, 0u64);
    for index in 0..users {
        let mut traits_rng = rng::stream(seed, 0, index, Stream::Traits);
        let mut launch_rng = rng::stream(seed, 0, index, Stream::Launches);
        let user = plan.user(0, index, &[], &mut traits_rng);
        plan.visits(&user, index, &mut launch_rng, &mut traits_rng, &mut visits);
        let Some(first) = visits.iter().find(|v| v.open.0 >= 0) else {
            continue;
        };
        // Stop the user's run right after its first launch, so the counters
        // hold that launch alone.
        let ctx = RunContext {
            schedule: &schedule,
            client: &scenario.client,
            check_latency: &check_latency,
            horizon: first.open + SimDuration(1),
        };
        let mut streams = PolicyStreams {
            network: rng::stream(seed, 0, index, Stream::Network),
            checks: rng::stream(seed, 0, index, Stream::Checks),
            prompts: rng::stream(seed, 0, index, Stream::Prompts),
        };
        let mut bins = Bins::new(1, 30 * MS_PER_DAY, scenario.versions.len());
        simulate_user(
            &ctx,
            &user.traits,
            &scenario.networks[user.network],
            &visits,
            &[],
            &scenario.policies[0],
            &mut streams,
            &mut scratch,
            &mut bins,
            None,
        );
        launched += 1;
        counted += bins.counter(counter)[0];
    }
    counted as f64 / launched as f64
}

#[test]
fn first_launch_hot_share_follows_history() {
    // The last launch before t = 0 lies E back and the first one after it
    // F ahead, both exponential with rate λ = 1 a day (sessions of 1 ms are
    // negligible). The process left by the last launch is still alive at
    // the first one when E + F < K, a Gamma(2, λ) event:
    // P = 1 - e^(-λK) (1 + λK). A run that started every process cold would
    // give 0, one that ignored the gap before t = 0 would give 1 - e^(-λK).
    // With n = 20,000 users the share's standard deviation is
    // sqrt(P (1 - P) / n) <= 0.0036; allow four of them.
    let users = 20_000;
    for (keep_alive, days) in [("1d", 1.0f64), ("3d", 3.0)] {
        let expected = 1.0 - (-days).exp() * (1.0 + days);
        let share = first_launch_share(Counter::HotStarts, keep_alive, "7d", users);
        let tolerance = 4.0 * (expected * (1.0 - expected) / users as f64).sqrt();
        assert!(
            (share - expected).abs() < tolerance,
            "keep-alive {keep_alive}: hot share {share}, expected {expected:.4}"
        );
    }
}

#[test]
fn short_keep_alive_starts_cold() {
    // With a keep-alive of 1 ms no process survives from before t = 0.
    let share = first_launch_share(Counter::HotStarts, "1ms", "7d", 2_000);
    assert_eq!(share, 0.0);
}

#[test]
fn first_launch_long_unused_share_follows_history() {
    // Every launch is cold (keep-alive 1 ms) and nothing else flags a
    // synchronous update, so the first launch after t = 0 updates
    // synchronously exactly when the gap since the last launch before t = 0
    // exceeds long_unused = L: E + F > L, with P = e^(-λL) (1 + λL) for the
    // same Gamma(2, λ) gap. At λ = 1 a day and L = 1 d, P = 0.7358; with
    // 20,000 users four standard deviations are 0.0125.
    let users = 20_000;
    let expected = 2.0 * (-1.0f64).exp();
    let share = first_launch_share(Counter::SyncUpdates, "1ms", "1d", users);
    let tolerance = 4.0 * (expected * (1.0 - expected) / users as f64).sqrt();
    assert!(
        (share - expected).abs() < tolerance,
        "synchronous share {share}, expected {expected:.4}"
    );
}
