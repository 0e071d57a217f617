//! Benchmarks of the engine's hot paths on the built-in default scenario:
//! the event queue, drawing visits, one user's timeline under each policy,
//! and a whole run of 100,000 users.
//!
//! Run with `cargo bench --bench engine`; `rollout-sim bench` measures the
//! large populations.

use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use rollout_sim::engine::queue::EventQueue;
use rollout_sim::engine::rng::{ReplicationSeeds, Stream};
use rollout_sim::engine::runner::{self, RunOptions, RunSetup};
use rollout_sim::model::launches::draw_visits;
use rollout_sim::model::population::{LaunchSource, PopulationPlan};
use rollout_sim::model::user::{simulate_policies, simulate_user, UserScratch};
use rollout_sim::scenario;
use rollout_sim::stats::bins::Bins;
use rollout_sim::time::{SimTime, MS_PER_HOUR};

/// Users per iteration of the per-user benchmarks.
const USERS: u64 = 1_000;

/// Returns the pattern of one user's timeline: a few pending events, each
/// pop followed by one or two new events a little later.
fn queue_pattern() -> Vec<(i64, u32)> {
    let mut state = 7u64;
    (0..64)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let delay = ((state >> 33) % (6 * MS_PER_HOUR as u64)) as i64;
            let extra = ((state >> 20) & 1) as u32;
            (delay, extra)
        })
        .collect()
}

fn bench_event_queue(c: &mut Criterion) {
    let pattern = queue_pattern();
    let mut group = c.benchmark_group("event_queue");
    group.throughput(Throughput::Elements(pattern.len() as u64));
    group.bench_function("sorted_vec", |b| {
        let mut queue: EventQueue<u32> = EventQueue::new(SimTime(0));
        b.iter(|| {
            queue.reset(SimTime(0));
            queue.schedule(SimTime(0), 0);
            queue.schedule(SimTime(MS_PER_HOUR), 1);
            for &(delay, extra) in &pattern {
                let (now, event) = queue.pop().expect("an event is pending");
                queue.schedule(SimTime(now.0 + delay), event);
                if extra == 1 && queue.len() < 4 {
                    queue.schedule(SimTime(now.0 + delay / 2), event + 1);
                }
            }
            black_box(queue.len())
        });
    });
    // The same pattern on std's binary heap, for comparison.
    group.bench_function("binary_heap", |b| {
        let mut heap: BinaryHeap<std::cmp::Reverse<(i64, u64, u32)>> = BinaryHeap::new();
        b.iter(|| {
            heap.clear();
            let mut seq = 0u64;
            let mut push = |heap: &mut BinaryHeap<_>, time: i64, event: u32| {
                heap.push(std::cmp::Reverse((time, seq, event)));
                seq += 1;
            };
            push(&mut heap, 0, 0);
            push(&mut heap, MS_PER_HOUR, 1);
            for &(delay, extra) in &pattern {
                let std::cmp::Reverse((now, _, event)) = heap.pop().expect("pending");
                push(&mut heap, now + delay, event);
                if extra == 1 && heap.len() < 4 {
                    push(&mut heap, now + delay / 2, event + 1);
                }
            }
            black_box(heap.len())
        });
    });
    group.finish();
}

fn bench_draw_visits(c: &mut Criterion) {
    let scenario = scenario::builtin_default();
    let source = LaunchSource::Synthetic;
    let plan = PopulationPlan::new(&scenario, USERS, scenario.run.seed, &source);
    let horizon = SimTime::ZERO + scenario.run.horizon;
    let seeds = ReplicationSeeds::new(scenario.run.seed, 0);
    let mut group = c.benchmark_group("draw_visits");
    group.throughput(Throughput::Elements(USERS));
    for (segment, model) in plan.segments.iter().enumerate() {
        let name = &scenario.population.segments[segment].name;
        group.bench_function(name.as_str(), |b| {
            let mut visits = Vec::new();
            b.iter(|| {
                let mut drawn = 0;
                for index in 0..USERS {
                    let mut rng = seeds.user(index).stream(Stream::Launches);
                    draw_visits(
                        &mut rng,
                        &model.clock,
                        &model.session,
                        &model.keep_alive,
                        model.burst.as_ref(),
                        SimTime::ZERO,
                        true,
                        None,
                        horizon,
                        &mut visits,
                    );
                    drawn += visits.len();
                }
                black_box(drawn)
            });
        });
    }
    group.finish();
}

fn bench_simulate_user(c: &mut Criterion) {
    let scenario = scenario::builtin_default();
    let source = LaunchSource::Synthetic;
    let options = RunOptions {
        users: Some(USERS),
        replications: Some(1),
        ..RunOptions::default()
    };
    let setup = RunSetup::new(&scenario, &source, &options);
    let ctx = setup.context();
    let users: Vec<_> = (0..USERS)
        .map(|index| {
            let (mut visits, mut trips) = (Vec::new(), Vec::new());
            let user = setup.prepare_user(0, index, &mut visits, &mut trips);
            (user, visits, trips)
        })
        .collect();
    let mut group = c.benchmark_group("simulate_user");
    group.throughput(Throughput::Elements(USERS));
    for policy in &scenario.policies {
        group.bench_function(policy.name.as_str(), |b| {
            let mut scratch = UserScratch::default();
            b.iter_batched_ref(
                || {
                    Bins::new(
                        scenario.run.bins(),
                        scenario.run.sample_every.0,
                        scenario.versions.len(),
                    )
                },
                |bins| {
                    for (index, (user, visits, trips)) in users.iter().enumerate() {
                        let mut streams = setup.policy_streams(0, index as u64);
                        simulate_user(
                            &ctx,
                            &user.traits,
                            &scenario.networks[user.network],
                            visits,
                            trips,
                            policy,
                            &mut streams,
                            &mut scratch,
                            bins,
                            None,
                        );
                    }
                },
                BatchSize::LargeInput,
            );
        });
    }
    // Every policy in one call, where later policies take over the end of
    // the first one's timeline, against the sum of the four above.
    group.bench_function("all_policies_shared", |b| {
        let mut scratch = UserScratch::default();
        let shape = || {
            Bins::new(
                scenario.run.bins(),
                scenario.run.sample_every.0,
                scenario.versions.len(),
            )
        };
        b.iter_batched_ref(
            || (vec![shape(); scenario.policies.len()], shape()),
            |(bins, shared)| {
                for (index, (user, visits, trips)) in users.iter().enumerate() {
                    let streams = setup.policy_streams(0, index as u64);
                    simulate_policies(
                        &ctx,
                        &user.traits,
                        &scenario.networks[user.network],
                        visits,
                        trips,
                        &scenario.policies,
                        &streams,
                        &mut scratch,
                        bins,
                        shared,
                        0,
                        1,
                    );
                }
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn bench_default_run(c: &mut Criterion) {
    let scenario = scenario::builtin_default();
    let options = RunOptions {
        users: Some(100_000),
        replications: Some(1),
        ..RunOptions::default()
    };
    let mut group = c.benchmark_group("default_scenario");
    group.sample_size(10);
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("100k_users_1_replication", |b| {
        b.iter(|| {
            let output = runner::run(&scenario, &LaunchSource::Synthetic, &options, &|_, _| {})
                .expect("the run succeeds");
            black_box(output.bins.len())
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_event_queue,
    bench_draw_visits,
    bench_simulate_user,
    bench_default_run
);
criterion_main!(benches);
