//! The parallel runner: users are independent between global events, so
//! each is simulated on its own under every policy and the per-bin counters
//! are summed. Sums are integers, so any split across threads gives the
//! same result bit for bit.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use crate::engine::rng::{self, Stream};
use crate::model::launches::Visit;
use crate::model::population::{LaunchSource, PopulationPlan};
use crate::model::schedule::Schedule;
use crate::model::user::{simulate_user, PolicyStreams, RunContext, UserScratch};
use crate::scenario::Scenario;
use crate::stats::bins::Bins;
use crate::time::SimTime;

/// Users per unit of parallel work.
const CHUNK: u64 = 1024;

/// Overrides and execution settings of one run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Overrides `population.users`.
    pub users: Option<u64>,
    /// Overrides `run.replications`.
    pub replications: Option<u32>,
    /// Overrides `run.seed`.
    pub seed: Option<u64>,
    /// Simulate only shard `k` of `n` (0-based) of every replication's users.
    pub shard: Option<(u64, u64)>,
    /// Stops the run when set, for example by a signal handler. The runner
    /// reads it before each chunk of users and returns [`Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
}

/// The error [`run`] returns when [`RunOptions::cancel`] was set.
#[derive(Debug, thiserror::Error)]
#[error("the run was cancelled")]
pub struct Cancelled;

/// The counters of a run, by policy and replication.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// `bins[policy][replication]`.
    pub bins: Vec<Vec<Bins>>,
    /// Existing users simulated per replication.
    pub users: u64,
    /// Replications run.
    pub replications: u32,
    /// Master seed used.
    pub seed: u64,
}

/// Progress reporting: called with the number of users finished so far
/// (summed over replications) and the total to do.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Runs every policy of a scenario over all replications.
///
/// # Errors
/// Returns an error when the thread pool cannot be created, and
/// [`Cancelled`] when [`RunOptions::cancel`] was set during the run.
pub fn run(
    scenario: &Scenario,
    source: &LaunchSource,
    options: &RunOptions,
    progress: Progress,
) -> anyhow::Result<RunOutput> {
    let users = options.users.unwrap_or(match source {
        LaunchSource::Trace(trace) if scenario.population.users == 0 => trace.pairs.len() as u64,
        _ => scenario.population.users,
    });
    let replications = options.replications.unwrap_or(scenario.run.replications);
    let seed = options.seed.unwrap_or(scenario.run.seed);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()?;
    let schedule = Schedule::new(scenario);
    let plan = PopulationPlan::new(scenario, users, seed, source);
    let check_latency = scenario.client.check_latency.sampler();
    let ctx = RunContext {
        schedule: &schedule,
        client: &scenario.client,
        check_latency: &check_latency,
        horizon: SimTime::ZERO + scenario.run.horizon,
    };
    let bins = scenario.run.bins();
    let width = scenario.run.sample_every.0;
    let versions = scenario.versions.len();
    let policies = scenario.policies.len();
    let empty = || vec![Bins::new(bins, width, versions); policies];

    let arrivals: Vec<Vec<SimTime>> = (0..replications)
        .map(|r| plan.new_user_arrivals(r))
        .collect();
    let total_work: u64 = arrivals.iter().map(|a| users + a.len() as u64).sum();
    let done = AtomicU64::new(0);
    let cancelled = || {
        options
            .cancel
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    };

    let mut by_replication: Vec<Vec<Bins>> = Vec::with_capacity(replications as usize);
    for replication in 0..replications {
        let arrivals = &arrivals[replication as usize];
        let population = users + arrivals.len() as u64;
        let (first, last) = match options.shard {
            Some((k, n)) => (population * k / n, population * (k + 1) / n),
            None => (0, population),
        };
        let chunks = (last - first).div_ceil(CHUNK);
        let result = pool.install(|| {
            (0..chunks)
                .into_par_iter()
                .fold(
                    || (empty(), UserScratch::default(), Vec::<Visit>::new()),
                    |(mut acc, mut scratch, mut visits), chunk| {
                        // The partial sums are dropped after a cancel, so
                        // skipping the remaining chunks is enough.
                        if cancelled() {
                            return (acc, scratch, visits);
                        }
                        let start = first + chunk * CHUNK;
                        let end = (start + CHUNK).min(last);
                        for index in start..end {
                            let mut traits_rng =
                                rng::stream(seed, replication, index, Stream::Traits);
                            let mut launch_rng =
                                rng::stream(seed, replication, index, Stream::Launches);
                            let user = plan.user(replication, index, arrivals, &mut traits_rng);
                            plan.visits(
                                &user,
                                index,
                                &mut launch_rng,
                                &mut traits_rng,
                                &mut visits,
                            );
                            let network = &scenario.networks[user.network];
                            for (policy, bins) in scenario.policies.iter().zip(acc.iter_mut()) {
                                let mut streams = PolicyStreams {
                                    network: rng::stream(seed, replication, index, Stream::Network),
                                    checks: rng::stream(seed, replication, index, Stream::Checks),
                                    prompts: rng::stream(seed, replication, index, Stream::Prompts),
                                };
                                simulate_user(
                                    &ctx,
                                    &user.traits,
                                    network,
                                    &visits,
                                    &policy.action,
                                    &mut streams,
                                    &mut scratch,
                                    bins,
                                );
                            }
                        }
                        let finished =
                            done.fetch_add(end - start, Ordering::Relaxed) + (end - start);
                        progress(finished, total_work);
                        (acc, scratch, visits)
                    },
                )
                .map(|(acc, _, _)| acc)
                .reduce(empty, |mut a, b| {
                    for (x, y) in a.iter_mut().zip(&b) {
                        x.merge(y);
                    }
                    a
                })
        });
        if cancelled() {
            return Err(Cancelled.into());
        }
        by_replication.push(result);
    }
    // Reorder from [replication][policy] to [policy][replication].
    let mut per_policy: Vec<Vec<Bins>> = (0..policies)
        .map(|_| Vec::with_capacity(replications as usize))
        .collect();
    for replication in by_replication {
        for (policy, bins) in replication.into_iter().enumerate() {
            per_policy[policy].push(bins);
        }
    }
    Ok(RunOutput {
        bins: per_policy,
        users,
        replications,
        seed,
    })
}
