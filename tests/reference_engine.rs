//! An independent cross-check of the engine. The reference is a plain
//! discrete-event simulation of the same model with every user's events in
//! one global binary heap, written from the documented semantics rather than
//! from the engine's code. It runs a scenario that has no closed form: a
//! phased rollout, a prompt policy, download failures and sync timeouts, the
//! periodic check, hot starts and long-unused users. The mean curves of the
//! two implementations must agree within their sampling error.
//!
//! The reference reads only the scenario text's numbers, hard-coded below in
//! `Model`, so a bug in scenario parsing would show too.

mod common;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use common::{bonferroni_t, parse, simulate};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, StandardNormal};
use rand_pcg::Pcg64;
use rollout_sim::stats::bins::{Counter, Gauge};

const SCENARIO: &str = r#"
[run]
horizon = "3d"
sample_every = "3h"
replications = 24
seed = 21

[population]
users = 6000
baseline_version = "1.0.0"

[[population.segment]]
name = "frequent"
share = 0.5
launches_per_day = 6.0
session = { dist = "exponential", mean = "5m" }
keep_alive = { dist = "exponential", mean = "2h" }

[[population.segment]]
name = "rare"
share = 0.5
launches_per_day = 0.5
session = "2m"
keep_alive = "30m"

[client]
platform = "wechat"
periodic_check_share = 0.5
periodic_check_interval = "24h"
update_manager_share = 0.8
check_latency = "500ms"
recently_used = "1d"
long_unused = "2d"
sync_timeout = "8s"
check_on_hot_start = false

[[network]]
name = "slow"
share = 1.0
bandwidth = "100KB/s"
failure = 0.25
jitter = 0.5

[[release]]
version = "2.0.0"
at = "0h"
size = "600KB"
rollout = [{ at = "0h", percent = 20 }, { at = "12h", percent = 60 }, { at = "36h", percent = 100 }]

[[policy]]
name = "none"
on_update_ready = "none"

[[policy]]
name = "prompt"
on_update_ready = "prompt"
accept = 0.5
accept_critical = 0.9
"#;

const MS_PER_HOUR: i64 = 3_600_000;

/// A segment of the reference model.
struct SegmentModel {
    /// Launches per millisecond.
    rate: f64,
    session: Duration,
    keep_alive: Duration,
}

/// A duration distribution of the reference model, in milliseconds.
enum Duration {
    Fixed(i64),
    Exponential(f64),
}

impl Duration {
    fn sample(&self, rng: &mut Pcg64) -> i64 {
        match *self {
            Duration::Fixed(ms) => ms,
            Duration::Exponential(mean) => {
                let exp = Exp::new(1.0 / mean).expect("positive mean");
                exp.sample(rng).round() as i64
            }
        }
    }
}

/// The numbers of `SCENARIO`, restated.
struct Model {
    users: usize,
    horizon: i64,
    bin_width: i64,
    segments: [SegmentModel; 2],
    periodic_share: f64,
    periodic_interval: i64,
    update_manager_share: f64,
    check_latency: i64,
    recently_used: i64,
    long_unused: i64,
    sync_timeout: i64,
    /// Nominal download time, size / bandwidth, in milliseconds.
    download_ms: f64,
    failure: f64,
    jitter: f64,
    /// (start, percent) steps of the rollout.
    rollout: [(i64, f64); 3],
}

impl Model {
    fn new() -> Model {
        let hour = MS_PER_HOUR as f64;
        Model {
            users: 6000,
            horizon: 72 * MS_PER_HOUR,
            bin_width: 3 * MS_PER_HOUR,
            segments: [
                SegmentModel {
                    rate: 6.0 / (24.0 * hour),
                    session: Duration::Exponential(5.0 * 60_000.0),
                    keep_alive: Duration::Exponential(2.0 * hour),
                },
                SegmentModel {
                    rate: 0.5 / (24.0 * hour),
                    session: Duration::Fixed(2 * 60_000),
                    keep_alive: Duration::Fixed(30 * 60_000),
                },
            ],
            periodic_share: 0.5,
            periodic_interval: 24 * MS_PER_HOUR,
            update_manager_share: 0.8,
            check_latency: 500,
            recently_used: 24 * MS_PER_HOUR,
            long_unused: 48 * MS_PER_HOUR,
            sync_timeout: 8_000,
            download_ms: 600e3 / 100e3 * 1000.0,
            failure: 0.25,
            jitter: 0.5,
            rollout: [
                (0, 20.0),
                (12 * MS_PER_HOUR, 60.0),
                (36 * MS_PER_HOUR, 100.0),
            ],
        }
    }

    /// Whether a user in `bucket` (uniform in [0, 100)) is offered the new
    /// version at `t`.
    fn eligible(&self, bucket: f64, t: i64) -> bool {
        let percent = self
            .rollout
            .iter()
            .rev()
            .find(|(start, _)| *start <= t)
            .map_or(0.0, |(_, percent)| *percent);
        bucket < percent
    }

    fn bins(&self) -> usize {
        (self.horizon / self.bin_width) as usize
    }
}

/// What a policy does when a downloaded update is ready.
#[derive(Clone, Copy)]
enum Policy {
    None,
    Prompt(f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Open,
    Close,
    CheckDone,
    DownloadDone { attempt: u32, ok: bool },
    PeriodicCheck,
}

/// One user of the reference model. Versions are 0 (old) and 1 (new).
struct User {
    segment: usize,
    bucket: f64,
    update_manager: bool,
    cached: u8,
    running: u8,
    foreground: bool,
    /// The process is destroyed at this instant unless reopened before.
    alive_until: i64,
    last_launch: i64,
    /// When the cached package became the new version.
    installed_at: Option<i64>,
    downloading: bool,
    /// Identifies the latest background download.
    attempt: u32,
    /// A periodic check or a failed synchronous update left an update due.
    sync_due: bool,
    /// A download completed in the background while the process was alive.
    ready_pending: bool,
    rng: Pcg64,
}

/// Per-bin counts of one replication of one policy.
struct Counts {
    launches: Vec<u64>,
    launches_new: Vec<u64>,
    cold_starts: Vec<u64>,
    installed_new: Vec<u64>,
    prompts_shown: u64,
    prompts_accepted: u64,
}

/// How a download attempt ends.
enum Outcome {
    Ok(i64),
    Failed(i64),
    TimedOut,
}

struct Sim<'a> {
    model: &'a Model,
    policy: Policy,
    users: Vec<User>,
    heap: BinaryHeap<Reverse<(i64, u64, usize, Event)>>,
    seq: u64,
    counts: Counts,
}

impl<'a> Sim<'a> {
    fn new(model: &'a Model, policy: Policy, seed: u64) -> Sim<'a> {
        let bins = model.bins();
        let mut sim = Sim {
            model,
            policy,
            users: Vec::with_capacity(model.users),
            heap: BinaryHeap::new(),
            seq: 0,
            counts: Counts {
                launches: vec![0; bins],
                launches_new: vec![0; bins],
                cold_starts: vec![0; bins],
                installed_new: vec![0; bins],
                prompts_shown: 0,
                prompts_accepted: 0,
            },
        };
        for index in 0..model.users {
            sim.add_user(index, seed);
        }
        sim
    }

    fn push(&mut self, t: i64, user: usize, event: Event) {
        if t < self.model.horizon {
            self.seq += 1;
            self.heap.push(Reverse((t, self.seq, user, event)));
        }
    }

    fn add_user(&mut self, index: usize, seed: u64) {
        let model = self.model;
        let mut rng =
            Pcg64::seed_from_u64(seed.wrapping_mul(0x9E37_79B9).wrapping_add(index as u64));
        // Segments in exact proportion: the first half of the users is the
        // first segment.
        let segment = if index < model.users / 2 { 0 } else { 1 };
        let seg = &model.segments[segment];

        let bucket = rng.random::<f64>() * 100.0;
        let periodic = rng.random::<f64>() < model.periodic_share;
        let update_manager = rng.random::<f64>() < model.update_manager_share;
        // The last launch before t = 0: launches are Poisson, so it lies an
        // exponential gap back. Its process lives a keep-alive after it closes.
        let gap = Exp::new(seg.rate).expect("positive rate").sample(&mut rng);
        let open = -(gap.ceil() as i64).max(1);
        let close = open + seg.session.sample(&mut rng);
        let alive_until = close + seg.keep_alive.sample(&mut rng);
        let in_foreground = close > 0;

        let user = User {
            segment,
            bucket,
            update_manager,
            cached: 0,
            running: 0,
            foreground: in_foreground,
            alive_until,
            last_launch: open,
            installed_at: None,
            downloading: false,
            attempt: 0,
            sync_due: false,
            ready_pending: false,
            rng,
        };
        self.users.push(user);
        if in_foreground {
            self.push(close, index, Event::Close);
        } else {
            self.schedule_next_open(0, index);
        }
        if periodic {
            let phase = self.users[index]
                .rng
                .random_range(0..model.periodic_interval);
            self.push(phase, index, Event::PeriodicCheck);
        }
    }

    /// Launches arrive at the segment's rate while the app is in the background.
    fn schedule_next_open(&mut self, after: i64, index: usize) {
        let rate = self.model.segments[self.users[index].segment].rate;
        let gap = Exp::new(rate)
            .expect("positive rate")
            .sample(&mut self.users[index].rng);
        self.push(after + (gap.ceil() as i64).max(1), index, Event::Open);
    }

    fn run(mut self) -> Counts {
        while let Some(Reverse((t, _, index, event))) = self.heap.pop() {
            match event {
                Event::Open => self.open(t, index),
                Event::Close => self.close(t, index),
                Event::CheckDone => self.check_done(t, index),
                Event::DownloadDone { attempt, ok } => self.download_done(t, index, attempt, ok),
                Event::PeriodicCheck => self.periodic_check(t, index),
            }
        }
        let model = self.model;
        for user in &self.users {
            if let Some(at) = user.installed_at {
                // Sample instants are the bin ends, the horizon included.
                for (bin, slot) in self.counts.installed_new.iter_mut().enumerate() {
                    if at <= (bin as i64 + 1) * model.bin_width {
                        *slot += 1;
                    }
                }
            }
        }
        self.counts
    }

    /// Draws one download of the package. It takes size / bandwidth times a
    /// log-normal factor, and a failing download breaks off at a uniform point.
    fn download(&mut self, index: usize, timeout: Option<i64>) -> Outcome {
        let model = self.model;
        let rng = &mut self.users[index].rng;
        let noise: f64 = StandardNormal.sample(rng);
        let full = ((model.download_ms * (model.jitter * noise).exp()).round() as i64).max(1);
        let fails = rng.random::<f64>() < model.failure;
        let end = if fails {
            ((full as f64 * rng.random::<f64>()) as i64).max(1)
        } else {
            full
        };
        match timeout {
            Some(limit) if end > limit => Outcome::TimedOut,
            _ if fails => Outcome::Failed(end),
            _ => Outcome::Ok(end),
        }
    }

    fn install(&mut self, t: i64, index: usize) {
        let user = &mut self.users[index];
        user.cached = 1;
        user.installed_at = Some(t);
    }

    fn open(&mut self, t: i64, index: usize) {
        let model = self.model;
        let user = &mut self.users[index];
        let hot = t < user.alive_until;
        if hot {
            if user.ready_pending {
                user.ready_pending = false;
                self.update_ready(index, true);
            }
        } else {
            self.counts.cold_starts[(t / model.bin_width) as usize] += 1;
            user.ready_pending = false;
            let long_unused = t - user.last_launch > model.long_unused;
            if user.sync_due || long_unused {
                // The cold start waits for the check and the download.
                if !model.eligible(user.bucket, t) || user.cached == 1 {
                    user.sync_due = false;
                } else {
                    match self.download(index, Some(model.sync_timeout)) {
                        Outcome::Ok(_) => {
                            self.users[index].sync_due = false;
                            self.install(t, index);
                        }
                        Outcome::Failed(_) | Outcome::TimedOut => {
                            // The cached package opens, and like every cold
                            // start that opens it, checks in the background.
                            self.users[index].sync_due = true;
                            if !self.users[index].downloading {
                                self.push(t + model.check_latency, index, Event::CheckDone);
                            }
                        }
                    }
                }
            } else if !user.downloading {
                self.push(t + model.check_latency, index, Event::CheckDone);
            }
            let user = &mut self.users[index];
            user.running = user.cached;
        }
        let user = &mut self.users[index];
        let bin = (t / model.bin_width) as usize;
        self.counts.launches[bin] += 1;
        if user.running == 1 {
            self.counts.launches_new[bin] += 1;
        }
        user.foreground = true;
        user.last_launch = t;
        let session = model.segments[user.segment].session.sample(&mut user.rng);
        self.push(t + session, index, Event::Close);
    }

    fn close(&mut self, t: i64, index: usize) {
        let model = self.model;
        let user = &mut self.users[index];
        user.foreground = false;
        user.alive_until = t + model.segments[user.segment]
            .keep_alive
            .sample(&mut user.rng);
        self.schedule_next_open(t, index);
    }

    fn check_done(&mut self, t: i64, index: usize) {
        let user = &self.users[index];
        if user.downloading || user.cached == 1 || !self.model.eligible(user.bucket, t) {
            return;
        }
        let (ok, ms) = match self.download(index, None) {
            Outcome::Ok(ms) => (true, ms),
            Outcome::Failed(ms) => (false, ms),
            Outcome::TimedOut => unreachable!("no timeout in the background"),
        };
        let user = &mut self.users[index];
        user.downloading = true;
        user.attempt += 1;
        let attempt = user.attempt;
        self.push(t + ms, index, Event::DownloadDone { attempt, ok });
    }

    fn download_done(&mut self, t: i64, index: usize, attempt: u32, ok: bool) {
        let user = &mut self.users[index];
        if attempt != user.attempt {
            return;
        }
        user.downloading = false;
        if !ok || user.cached == 1 {
            return;
        }
        self.install(t, index);
        let user = &mut self.users[index];
        if user.foreground {
            self.update_ready(index, false);
        } else if t < user.alive_until {
            // onUpdateReady fires when the app next comes to the foreground.
            user.ready_pending = true;
        }
    }

    fn update_ready(&mut self, index: usize, _at_resume: bool) {
        let user = &mut self.users[index];
        if !user.update_manager || user.cached == user.running {
            return;
        }
        if let Policy::Prompt(accept) = self.policy {
            self.counts.prompts_shown += 1;
            if user.rng.random::<f64>() < accept {
                self.counts.prompts_accepted += 1;
                user.running = user.cached;
            }
        }
    }

    fn periodic_check(&mut self, t: i64, index: usize) {
        let model = self.model;
        let user = &mut self.users[index];
        if t - user.last_launch <= model.recently_used
            && model.eligible(user.bucket, t)
            && user.cached == 0
        {
            user.sync_due = true;
        }
        self.push(t + model.periodic_interval, index, Event::PeriodicCheck);
    }
}

/// Per-replication values of one metric in one bin, for both engines.
struct Comparison {
    label: String,
    engine: Vec<f64>,
    reference: Vec<f64>,
}

fn mean_and_variance(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, variance)
}

#[test]
fn reference_engine_agrees_with_engine() {
    // Both implementations run the scenario with independent random numbers,
    // 24 replications each. For every policy, bin and metric (launch
    // coverage, installed coverage and the share of launches that are cold
    // starts) the difference of the means across
    // replications is compared with Welch's t test: t = (m1 − m2) /
    // sqrt(s1²/R + s2²/R), with the Welch–Satterthwaite degrees of freedom,
    // at the two-sided Bonferroni level ALPHA / (number of comparisons).
    // The replications of one engine are independent draws of the same
    // population, so the t statistic needs no model of the per-bin variance.
    let scenario = parse(SCENARIO);
    let replications = scenario.run.replications as usize;
    let sim = simulate(scenario);
    let model = Model::new();
    assert_eq!(sim.bins(), model.bins());
    let policies = [Policy::None, Policy::Prompt(0.5)];
    let mut comparisons = Vec::new();
    let mut prompt_totals = [(0u64, 0u64); 2];
    for (p, policy) in policies.iter().enumerate() {
        let name = &sim.scenario.policies[p].name;
        let reference: Vec<Counts> = (0..replications)
            .map(|r| Sim::new(&model, *policy, 1_000 + r as u64).run())
            .collect();
        for counts in &reference {
            prompt_totals[1].0 += counts.prompts_shown;
            prompt_totals[1].1 += counts.prompts_accepted;
        }
        prompt_totals[0].0 += sim.counter_total(p, Counter::PromptsShown);
        prompt_totals[0].1 += sim.counter_total(p, Counter::PromptsAccepted);
        for bin in 0..model.bins() {
            let engine_launch: Vec<f64> = sim
                .reps(p)
                .iter()
                .map(|b| {
                    b.counter(Counter::LaunchesNewest)[bin] as f64
                        / b.counter(Counter::Launches)[bin] as f64
                })
                .collect();
            let reference_launch: Vec<f64> = reference
                .iter()
                .map(|c| c.launches_new[bin] as f64 / c.launches[bin] as f64)
                .collect();
            comparisons.push(Comparison {
                label: format!("{name}: launch coverage in bin {bin}"),
                engine: engine_launch,
                reference: reference_launch,
            });
            let engine_cold: Vec<f64> = sim
                .reps(p)
                .iter()
                .map(|b| {
                    b.counter(Counter::ColdStarts)[bin] as f64
                        / b.counter(Counter::Launches)[bin] as f64
                })
                .collect();
            let reference_cold: Vec<f64> = reference
                .iter()
                .map(|c| c.cold_starts[bin] as f64 / c.launches[bin] as f64)
                .collect();
            comparisons.push(Comparison {
                label: format!("{name}: cold-start share in bin {bin}"),
                engine: engine_cold,
                reference: reference_cold,
            });
            let engine_installed: Vec<f64> = sim
                .reps(p)
                .iter()
                .map(|b| {
                    b.gauge(Gauge::InstalledNewest)[bin] as f64 / b.gauge(Gauge::Users)[bin] as f64
                })
                .collect();
            let reference_installed: Vec<f64> = reference
                .iter()
                .map(|c| c.installed_new[bin] as f64 / model.users as f64)
                .collect();
            comparisons.push(Comparison {
                label: format!("{name}: installed coverage in bin {bin}"),
                engine: engine_installed,
                reference: reference_installed,
            });
        }
    }
    let tests = comparisons.len();
    let mut worst: f64 = 0.0;
    for c in &comparisons {
        assert!(
            c.engine.iter().chain(&c.reference).all(|v| v.is_finite()),
            "{}: a replication has no value",
            c.label
        );
        let (m1, v1) = mean_and_variance(&c.engine);
        let (m2, v2) = mean_and_variance(&c.reference);
        let r = replications as f64;
        let se2 = v1 / r + v2 / r;
        if se2 == 0.0 {
            assert!((m1 - m2).abs() < 1e-12, "{}: {m1} vs {m2}", c.label);
            continue;
        }
        let df = se2 * se2 / ((v1 / r).powi(2) / (r - 1.0) + (v2 / r).powi(2) / (r - 1.0));
        let critical = bonferroni_t(tests, df);
        let t = (m1 - m2) / se2.sqrt();
        worst = worst.max(t.abs() / critical);
        assert!(
            t.abs() <= critical,
            "{}: engine {m1:.4}, reference {m2:.4}, t = {t:.2} beyond ±{critical:.2}",
            c.label
        );
    }
    println!("largest |t| is {worst:.2} of its critical value over {tests} comparisons");
    // Prompt answers: both engines accept about half of the prompts, and
    // show about as many (a binomial and a Poisson-like count).
    let (engine_shown, engine_accepted) = prompt_totals[0];
    let (reference_shown, reference_accepted) = prompt_totals[1];
    println!("prompts shown: engine {engine_shown}, reference {reference_shown}");
    println!("prompts accepted: engine {engine_accepted}, reference {reference_accepted}");
    let z = common::bonferroni_z(2);
    let difference = engine_shown as f64 - reference_shown as f64;
    let sd = ((engine_shown + reference_shown) as f64).sqrt();
    assert!(
        difference.abs() <= z * sd,
        "prompts shown: engine {engine_shown}, reference {reference_shown}"
    );
    let share = |accepted: u64, shown: u64| accepted as f64 / shown as f64;
    let sd = (0.25 / engine_shown as f64 + 0.25 / reference_shown as f64).sqrt();
    assert!(
        (share(engine_accepted, engine_shown) - share(reference_accepted, reference_shown)).abs()
            <= z * sd,
        "accepted shares differ"
    );
}
