//! The random-number floor of a run: the same users, seeded and drawn the
//! way the runner does it, with no model logic.
//!
//! A run cannot be faster than drawing its random numbers, so the engine's
//! time divided by the floor's time shows what the update model costs on
//! top of them. Per user and replication the floor does:
//!
//! - seed the five per-user streams as the runner does;
//! - draw the traits (rollout bucket, client capabilities, periodic check
//!   phase), the visits (launch times from the daily profile, session
//!   lengths, keep-alive times, or the trace's keep-alive times) and the
//!   brief background trips of segments that have them;
//! - for one policy, draw one check latency for every visit in
//!   `[0, horizon)` that opens after the previous visit's process died,
//!   which is a cold start by the visits alone, until the first such visit
//!   after the release schedule has settled. When there was such a launch,
//!   also draw the duration noise, failure draw and break point of one
//!   download.
//!
//! The last item is an estimate of what the engine draws for the first
//! policy. The engine skips the check of a cold start while a download
//! runs, adds the draws of synchronous updates and retries, and draws prompt
//! answers. Once the schedule has settled it draws no latency for a check
//! of a user who already has the package on offer, which is every check
//! after the first that found it. The other policies draw only until they take over the first
//! policy's timeline (see `model::user::Trail`), so the floor leaves them
//! out: it is the least that any run of these users must draw.

use std::sync::atomic::{AtomicU64, Ordering};

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::engine::rng::{ReplicationSeeds, Stream};
use crate::engine::runner::{Progress, RunOptions, RunSetup};
use crate::engine::workers::run_chunks;
use crate::model::background_trips::BackgroundTrip;
use crate::model::launches::Visit;
use crate::model::population::LaunchSource;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// Users per unit of parallel work, as in the runner.
const CHUNK: u64 = 1024;

/// Counts and a checksum of the floor's draws, which keep the compiler
/// from removing them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FloorOutput {
    /// Check latencies drawn, over all replications.
    pub check_draws: u64,
    /// Downloads drawn (three values each), over all replications.
    pub download_draws: u64,
    /// Visits drawn, over all replications.
    pub visits: u64,
    /// A wrapping sum of the drawn values' bits.
    pub checksum: u64,
}

impl FloorOutput {
    fn merge(mut self, other: FloorOutput) -> FloorOutput {
        self.check_draws += other.check_draws;
        self.download_draws += other.download_draws;
        self.visits += other.visits;
        self.checksum = self.checksum.wrapping_add(other.checksum);
        self
    }
}

/// Draws every random number of the run described by `scenario` and
/// `options`, as listed in the module documentation, and returns counts of
/// what was drawn.
///
/// # Errors
/// Returns an error when the thread pool cannot be created.
pub fn draw_only(
    scenario: &Scenario,
    source: &LaunchSource,
    options: &RunOptions,
    progress: Progress,
) -> anyhow::Result<FloorOutput> {
    let setup = RunSetup::new(scenario, source, options);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()?;
    let check_latency = scenario.client.check_latency.sampler();
    let schedule = setup.context().schedule;
    let horizon = SimTime::ZERO + scenario.run.horizon;
    let total_work: u64 = (0..setup.replications).map(|r| setup.population(r)).sum();
    let done = AtomicU64::new(0);

    let mut total = FloorOutput::default();
    for replication in 0..setup.replications {
        let population = setup.population(replication);
        let replication_seeds = ReplicationSeeds::new(setup.seed, replication);
        let chunks = population.div_ceil(CHUNK);
        let sets = pool.install(|| {
            run_chunks(
                chunks,
                || {
                    (
                        FloorOutput::default(),
                        Vec::<Visit>::new(),
                        Vec::<BackgroundTrip>::new(),
                    )
                },
                |(out, visits, trips), chunk| {
                    let start = chunk * CHUNK;
                    let end = (start + CHUNK).min(population);
                    for index in start..end {
                        let seeds = replication_seeds.user(index);
                        let user =
                            setup.prepare_seeded_user(replication, index, seeds, visits, trips);
                        out.visits += visits.len() as u64;
                        let mut network = seeds.stream(Stream::Network);
                        let mut checks = seeds.stream(Stream::Checks);
                        // The prompt stream is seeded like the others but
                        // drawn from only when a prompt shows.
                        std::hint::black_box(seeds.stream(Stream::Prompts));
                        let mut alive_until = SimTime(i64::MIN);
                        let mut cold_starts = 0u64;
                        let mut past_settled = false;
                        for visit in visits.iter() {
                            let cold = visit.open >= alive_until;
                            alive_until = visit.alive_until;
                            if cold
                                && visit.open >= SimTime::ZERO
                                && visit.open < horizon
                                && !past_settled
                            {
                                past_settled = schedule.is_settled(visit.open);
                                let latency = check_latency.sample_ms(&mut checks);
                                out.checksum = out.checksum.wrapping_add(latency as u64);
                                cold_starts += 1;
                            }
                        }
                        out.check_draws += cold_starts;
                        if cold_starts > 0 {
                            let noise: f64 = StandardNormal.sample(&mut network);
                            let failure: f64 = network.random();
                            let fraction: f64 = network.random();
                            out.checksum = out
                                .checksum
                                .wrapping_add((noise + failure + fraction).to_bits());
                            out.download_draws += 1;
                        }
                        out.checksum = out
                            .checksum
                            .wrapping_add(user.traits.bucket.to_bits())
                            .wrapping_add(visits.last().map_or(0, |v| v.close.0 as u64));
                    }
                    let finished = done.fetch_add(end - start, Ordering::Relaxed) + (end - start);
                    progress(finished, total_work);
                },
            )
        });
        let result = sets
            .into_iter()
            .map(|(out, _, _)| out)
            .fold(FloorOutput::default(), FloorOutput::merge);
        total = total.merge(result);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_draws_checks_until_settled() {
        // With one policy and every visit a cold start (keep-alive 0 and
        // sessions of 1 ms), the floor draws one check per visit before the
        // release settles the schedule at 1 d, one for the first visit
        // after it, and one download per user with such a visit.
        let text = r#"
[run]
horizon = "2d"
sample_every = "1h"
seed = 3

[population]
users = 500
baseline_version = "1.0"

[[population.segment]]
name = "all"
share = 1.0
launches_per_day = 2
session = "1ms"
keep_alive = "0ms"

[[release]]
version = "2.0"
at = "1d"

[[policy]]
name = "none"
on_update_ready = "none"
"#;
        let scenario = crate::scenario::parse(text, "floor-test.toml", None).expect("valid");
        let options = RunOptions {
            threads: 1,
            replications: Some(1),
            ..RunOptions::default()
        };
        let out = draw_only(&scenario, &LaunchSource::Synthetic, &options, &|_, _| {})
            .expect("floor runs");
        // Before 1 d: 500 users × 2 launches = 1,000 expected, a Poisson
        // count with variance 1,000. After it: one draw for each user with
        // a launch on day 2, 500 × (1 - e^-2) = 432.3 expected, with
        // binomial variance 58.5. The standard deviation of the sum is 32.5;
        // 5 deviations give ±163.
        let expected = 1_000.0 + 500.0 * (1.0 - (-2.0f64).exp());
        assert!(
            (out.check_draws as f64 - expected).abs() < 163.0,
            "{}",
            out.check_draws
        );
        // Each user's launch before t = 0 draws nothing, and so do all but
        // the first launch after 1 d.
        assert!(out.visits > out.check_draws + 500, "{out:?}");
        assert!(out.download_draws <= 500, "{out:?}");
        assert!(out.download_draws > 450, "{out:?}");
    }
}
