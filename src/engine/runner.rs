//! The parallel runner: users are independent between global events, so
//! each is simulated on its own under every policy and the per-bin counters
//! are summed. Sums are integers, so any split across threads gives the
//! same result bit for bit.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::engine::rng::{ReplicationSeeds, Stream, UserSeeds};
use crate::engine::workers::run_chunks;
use crate::model::background_trips::BackgroundTrip;
use crate::model::launches::Visit;
use crate::model::population::{LaunchSource, PlannedUser, PopulationPlan};
use crate::model::schedule::Schedule;
use crate::model::user::{simulate_policies, PolicyStreams, RunContext, UserScratch};
use crate::scenario::dist::DurationSampler;
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
}

/// The error [`run_until`] returns when its cancel flag was set.
#[derive(Debug, thiserror::Error)]
#[error("the run was cancelled")]
pub struct Cancelled;

/// The counters of a run, by policy and replication.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// `bins[policy][replication]`.
    pub bins: Vec<Vec<Bins>>,
    /// `clients[host][policy][replication]`: the same counters split by host
    /// client; empty when the scenario has no `[[host]]` tables.
    pub clients: Vec<Vec<Vec<Bins>>>,
    /// Existing users simulated per replication.
    pub users: u64,
    /// Replications run.
    pub replications: u32,
    /// Master seed used.
    pub seed: u64,
    /// Events the engine handled itself. Policies that take over the end of
    /// the first policy's timeline count its events without handling them,
    /// so this is at most the sum of `Total::Events`. Merged shards and
    /// per-host outputs leave it 0.
    pub handled_events: u64,
}

/// Progress reporting: called with the number of users finished so far
/// (summed over replications) and the total to do.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Inputs that every user of a run is simulated from: the schedule, the
/// population plan and each replication's new-user arrivals. `run` and
/// `explain` both set users up through it, so `explain` replays exactly the
/// user that `run` simulated.
pub struct RunSetup<'a> {
    scenario: &'a Scenario,
    /// Existing users per replication.
    pub users: u64,
    /// Replications.
    pub replications: u32,
    /// Master seed.
    pub seed: u64,
    schedule: Schedule,
    plan: PopulationPlan<'a>,
    check_latency: DurationSampler,
    arrivals: Vec<Vec<SimTime>>,
}

impl<'a> RunSetup<'a> {
    /// Applies the overrides of `options` and prepares the population.
    pub fn new(
        scenario: &'a Scenario,
        source: &'a LaunchSource,
        options: &RunOptions,
    ) -> RunSetup<'a> {
        let users = options.users.unwrap_or(match source {
            LaunchSource::Trace(trace) if scenario.population.users == 0 => {
                trace.pairs.len() as u64
            }
            _ => scenario.population.users,
        });
        let replications = options.replications.unwrap_or(scenario.run.replications);
        let seed = options.seed.unwrap_or(scenario.run.seed);
        let plan = PopulationPlan::new(scenario, users, seed, source);
        let arrivals = (0..replications)
            .map(|r| plan.new_user_arrivals(r))
            .collect();
        RunSetup {
            scenario,
            users,
            replications,
            seed,
            schedule: Schedule::new(scenario),
            plan,
            check_latency: scenario.client.check_latency.sampler(),
            arrivals,
        }
    }

    /// Returns the inputs shared by all users of the run.
    pub fn context(&self) -> RunContext<'_> {
        RunContext {
            schedule: &self.schedule,
            client: &self.scenario.client,
            check_latency: &self.check_latency,
            horizon: SimTime::ZERO + self.scenario.run.horizon,
        }
    }

    /// Users of one replication: existing users, then new users in order of
    /// arrival.
    pub fn population(&self, replication: u32) -> u64 {
        self.users + self.arrivals[replication as usize].len() as u64
    }

    /// Creates user `index` of `replication` from its own streams and draws
    /// its visits into `visits` and its brief background trips into `trips`.
    pub fn prepare_user(
        &self,
        replication: u32,
        index: u64,
        visits: &mut Vec<Visit>,
        trips: &mut Vec<BackgroundTrip>,
    ) -> PlannedUser {
        let seeds = ReplicationSeeds::new(self.seed, replication).user(index);
        self.prepare_seeded_user(replication, index, seeds, visits, trips)
    }

    /// [`RunSetup::prepare_user`] with the user's stream seeds already
    /// derived, as the runner does once per user.
    pub fn prepare_seeded_user(
        &self,
        replication: u32,
        index: u64,
        seeds: UserSeeds,
        visits: &mut Vec<Visit>,
        trips: &mut Vec<BackgroundTrip>,
    ) -> PlannedUser {
        let mut traits_rng = seeds.stream(Stream::Traits);
        let mut launch_rng = seeds.stream(Stream::Launches);
        let arrivals = &self.arrivals[replication as usize];
        let user = self
            .plan
            .user(replication, index, arrivals, &mut traits_rng);
        self.plan
            .visits(&user, index, &mut launch_rng, &mut traits_rng, visits);
        self.plan
            .background_trips(&user, replication, index, visits, trips);
        user
    }

    /// Creates the streams one policy run of user `index` draws from. Every policy
    /// starts from the same streams: common random numbers.
    pub fn policy_streams(&self, replication: u32, index: u64) -> PolicyStreams {
        let seeds = ReplicationSeeds::new(self.seed, replication).user(index);
        PolicyStreams {
            network: seeds.stream(Stream::Network),
            checks: seeds.stream(Stream::Checks),
            prompts: seeds.stream(Stream::Prompts),
        }
    }
}

/// One thread's working set: its partial counters and reusable buffers.
struct Worker {
    /// Counters by (policy, host), indexed `host + policy × hosts`.
    counters: Vec<Bins>,
    /// Per host: changes that every policy shares (see `simulate_policies`).
    shared: Vec<Bins>,
    /// Events handled.
    handled: u64,
    scratch: UserScratch,
    visits: Vec<Visit>,
    trips: Vec<BackgroundTrip>,
}

/// Runs every policy of a scenario over all replications.
///
/// # Errors
/// Returns an error when the thread pool cannot be created.
pub fn run(
    scenario: &Scenario,
    source: &LaunchSource,
    options: &RunOptions,
    progress: Progress,
) -> anyhow::Result<RunOutput> {
    run_until(scenario, source, options, progress, &AtomicBool::new(false))
}

/// Runs like [`run`], and stops when `cancel` is set, for example by a
/// signal handler. The flag is read before each chunk of users.
///
/// # Errors
/// Returns an error when the thread pool cannot be created, and
/// [`Cancelled`] when `cancel` was set during the run.
pub fn run_until(
    scenario: &Scenario,
    source: &LaunchSource,
    options: &RunOptions,
    progress: Progress,
    cancel: &AtomicBool,
) -> anyhow::Result<RunOutput> {
    let setup = RunSetup::new(scenario, source, options);
    let (users, replications, seed) = (setup.users, setup.replications, setup.seed);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()?;
    let ctx = setup.context();
    let bins = scenario.run.bins();
    let width = scenario.run.sample_every.0;
    let versions = scenario.versions.len();
    let policies = scenario.policies.len();
    // Counters are kept per (policy, host) and summed over hosts at the end.
    let hosts = scenario.hosts.len().max(1);
    let empty = || vec![Bins::new(bins, width, versions); policies * hosts];
    let shared_empty = || vec![Bins::new(bins, width, versions); hosts];

    let total_work: u64 = (0..replications).map(|r| setup.population(r)).sum();
    let done = AtomicU64::new(0);
    let cancelled = || cancel.load(Ordering::Relaxed);

    let mut by_replication: Vec<Vec<Bins>> = Vec::with_capacity(replications as usize);
    let mut handled_events = 0;
    for replication in 0..replications {
        let population = setup.population(replication);
        let (first, last) = match options.shard {
            Some((k, n)) => (population * k / n, population * (k + 1) / n),
            None => (0, population),
        };
        let chunks = (last - first).div_ceil(CHUNK);
        let replication_seeds = ReplicationSeeds::new(seed, replication);
        let sets = pool.install(|| {
            run_chunks(
                chunks,
                || Worker {
                    counters: empty(),
                    shared: shared_empty(),
                    handled: 0,
                    scratch: UserScratch::default(),
                    visits: Vec::new(),
                    trips: Vec::new(),
                },
                |worker, chunk| {
                    // The counters are dropped after a cancel, so skipping
                    // the remaining chunks is enough.
                    if cancelled() {
                        return;
                    }
                    let start = first + chunk * CHUNK;
                    let end = (start + CHUNK).min(last);
                    for index in start..end {
                        let seeds = replication_seeds.user(index);
                        let user = setup.prepare_seeded_user(
                            replication,
                            index,
                            seeds,
                            &mut worker.visits,
                            &mut worker.trips,
                        );
                        let network = &scenario.networks[user.network];
                        let host = user.traits.host as usize;
                        // Every policy starts from the same three streams
                        // (common random numbers), so they are seeded once
                        // and copied.
                        let streams = PolicyStreams {
                            network: seeds.stream(Stream::Network),
                            checks: seeds.stream(Stream::Checks),
                            prompts: seeds.stream(Stream::Prompts),
                        };
                        worker.handled += simulate_policies(
                            &ctx,
                            &user.traits,
                            network,
                            &worker.visits,
                            &worker.trips,
                            &scenario.policies,
                            &streams,
                            &mut worker.scratch,
                            &mut worker.counters,
                            &mut worker.shared[host],
                            host,
                            hosts,
                        );
                    }
                    let finished = done.fetch_add(end - start, Ordering::Relaxed) + (end - start);
                    progress(finished, total_work);
                },
            )
        });
        // Integer sums: the order of the working sets does not matter.
        let mut result = empty();
        for worker in &sets {
            for (index, bins) in result.iter_mut().enumerate() {
                bins.merge(&worker.counters[index]);
                // Changes every policy took from the first one's timeline.
                bins.merge(&worker.shared[index % hosts]);
            }
            handled_events += worker.handled;
        }
        if cancelled() {
            return Err(Cancelled.into());
        }
        by_replication.push(result);
    }
    // Reorder from [replication][policy × host] to [policy][replication]
    // summed over hosts, and [host][policy][replication] when hosts exist.
    let mut per_policy: Vec<Vec<Bins>> = (0..policies)
        .map(|_| Vec::with_capacity(replications as usize))
        .collect();
    let mut clients: Vec<Vec<Vec<Bins>>> = if scenario.hosts.is_empty() {
        Vec::new()
    } else {
        vec![vec![Vec::with_capacity(replications as usize); policies]; hosts]
    };
    for replication in by_replication {
        for (policy, per_host) in replication.chunks(hosts).enumerate() {
            let mut total = per_host[0].clone();
            for bins in &per_host[1..] {
                total.merge(bins);
            }
            per_policy[policy].push(total);
            for (host, bins) in per_host.iter().enumerate() {
                if let Some(client) = clients.get_mut(host) {
                    client[policy].push(bins.clone());
                }
            }
        }
    }
    Ok(RunOutput {
        bins: per_policy,
        clients,
        users,
        replications,
        seed,
        handled_events,
    })
}
