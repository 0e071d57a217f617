//! Simulated curves against closed forms, in settings that make the closed
//! form exact: sessions of 1 ms, instant checks, downloads of 1 ms, a flat
//! daily profile unless stated. Each test derives its expected curve in a
//! comment and compares it bin by bin within a tolerance derived from the
//! sample size (see `common::assert_launch_coverage`).

mod common;

use common::{
    assert_count, assert_launch_coverage, assert_user_coverage, bin_mean, bonferroni_z,
    exp_coverage_in_bin, parse, simulate,
};
use rollout_sim::model::launches::LaunchClock;
use rollout_sim::scenario::builtin_default;
use rollout_sim::stats::bins::{Counter, Gauge, Total};
use rollout_sim::time::{SimTime, MS_PER_HOUR};

/// The settings of one closed-form scenario; everything else is fixed so
/// that launches are Poisson and updates take no time.
struct Setup {
    users: u64,
    replications: u32,
    seed: u64,
    horizon: &'static str,
    sample_every: &'static str,
    launches_per_day: f64,
    /// Session length as a TOML value.
    session: &'static str,
    /// Keep-alive as a TOML value.
    keep_alive: &'static str,
    /// Extra `[population]` keys, e.g. a daily profile.
    population: &'static str,
    periodic_check_share: f64,
    recently_used: &'static str,
    check_on_hot_start: bool,
    /// Extra `[client]` keys.
    client: &'static str,
    bandwidth: &'static str,
    failure: f64,
    size: &'static str,
    /// Extra `[[release]]` keys, e.g. a rollout.
    release: &'static str,
    /// The `[[policy]]` tables.
    policies: &'static str,
}

const NONE_POLICY: &str = "[[policy]]\nname = \"none\"\non_update_ready = \"none\"\n";

impl Default for Setup {
    fn default() -> Self {
        Setup {
            users: 20_000,
            replications: 4,
            seed: 7,
            horizon: "2d",
            sample_every: "3h",
            launches_per_day: 2.0,
            session: r#""1ms""#,
            keep_alive: r#""0s""#,
            population: "",
            periodic_check_share: 0.0,
            recently_used: "1000d",
            check_on_hot_start: false,
            client: "",
            bandwidth: "1000MB/s",
            failure: 0.0,
            size: "1KB",
            release: "",
            policies: NONE_POLICY,
        }
    }
}

impl Setup {
    fn text(&self) -> String {
        format!(
            r#"
[run]
horizon = "{horizon}"
sample_every = "{sample_every}"
replications = {replications}
seed = {seed}

[population]
users = {users}
baseline_version = "1.0.0"
{population}

[[population.segment]]
name = "all"
share = 1.0
launches_per_day = {launches_per_day}
session = {session}
keep_alive = {keep_alive}

[client]
platform = "wechat"
periodic_check_share = {periodic_check_share}
periodic_check_interval = "24h"
update_manager_share = 1.0
check_latency = "0ms"
recently_used = "{recently_used}"
long_unused = "1000d"
check_on_hot_start = {check_on_hot_start}
{client}

[[network]]
name = "network"
share = 1.0
bandwidth = "{bandwidth}"
failure = {failure}
jitter = 0.0

[[release]]
version = "2.0.0"
at = "0h"
size = "{size}"
{release}

{policies}
"#,
            horizon = self.horizon,
            sample_every = self.sample_every,
            replications = self.replications,
            seed = self.seed,
            users = self.users,
            population = self.population,
            launches_per_day = self.launches_per_day,
            session = self.session,
            keep_alive = self.keep_alive,
            periodic_check_share = self.periodic_check_share,
            recently_used = self.recently_used,
            check_on_hot_start = self.check_on_hot_start,
            client = self.client,
            bandwidth = self.bandwidth,
            failure = self.failure,
            size = self.size,
            release = self.release,
            policies = self.policies,
        )
    }
}

/// Launch rate per hour of a setup's single segment.
fn rate_per_hour(setup: &Setup) -> f64 {
    setup.launches_per_day / 24.0
}

#[test]
fn cold_starts_follow_exponential() {
    // Every launch is cold (keep-alive 0) and checks; the download ends 1 ms
    // later, before the next launch can happen. So a launch at t runs the new
    // version iff the user launched in [0, t). Launches are Poisson at rate
    // λ, and given a launch at t the earlier ones are still Poisson, so the
    // coverage at t is 1 − e^(−λt), and its launch-weighted bin average is
    // exp_coverage_in_bin(λa, λb).
    let setup = Setup::default();

    let sim = simulate(parse(&setup.text()));
    let lambda = rate_per_hour(&setup);
    let expected: Vec<f64> = (0..sim.bins())
        .map(|bin| {
            let (a, b) = sim.bin_hours(bin);
            exp_coverage_in_bin(lambda * a, lambda * b)
        })
        .collect();
    let width = setup.launches_per_day / 8.0;
    assert_launch_coverage(&sim, 0, &expected, width, "cold starts");

    // A user's cached package is the new one at the sample instant t iff
    // it launched in [0, t): installed coverage is 1 − e^(−λt) at the bin
    // ends, with no averaging.
    let installed: Vec<f64> = (0..sim.bins())
        .map(|bin| 1.0 - (-lambda * sim.bin_hours(bin).1).exp())
        .collect();
    assert_user_coverage(&sim, 0, "installed_coverage", Gauge::Users, &installed);

    // Active users at t launched in (t − D, t], D = 24 h. The last launch
    // before t lies E ~ Exp(λ) back; the user is active iff E < D, and that
    // launch ran the new version iff it came after 0 and the user launched
    // in [0, t − E) as well. So among active users the share is
    //   ∫_0^m λ e^(−λe) (1 − e^(−λ(t − e))) de / (1 − e^(−λD))
    //   = (1 − e^(−λm) − λ m e^(−λt)) / (1 − e^(−λD)),  m = min(t, D).
    let active: Vec<f64> = (0..sim.bins())
        .map(|bin| {
            let t = sim.bin_hours(bin).1;
            let m = t.min(24.0);
            let numerator = 1.0 - (-lambda * m).exp() - lambda * m * (-lambda * t).exp();
            numerator / (1.0 - (-lambda * 24.0).exp())
        })
        .collect();
    assert_user_coverage(&sim, 0, "active_user_coverage", Gauge::ActiveUsers, &active);
}

#[test]
fn failed_downloads_thin_the_process() {
    // As above, but each download fails with probability f and is retried
    // at the next cold start. Failures are independent of the launch times,
    // so the launches whose download succeeds are a thinned Poisson process
    // of rate λ(1 − f): coverage at t is 1 − e^(−λ(1 − f)t).
    let setup = Setup {
        failure: 0.3,
        seed: 8,
        ..Setup::default()
    };

    let sim = simulate(parse(&setup.text()));
    let lambda = rate_per_hour(&setup) * (1.0 - setup.failure);
    let expected: Vec<f64> = (0..sim.bins())
        .map(|bin| {
            let (a, b) = sim.bin_hours(bin);
            exp_coverage_in_bin(lambda * a, lambda * b)
        })
        .collect();
    let per_bin = setup.launches_per_day / 8.0;
    assert_launch_coverage(&sim, 0, &expected, per_bin, "failed downloads");

    let failed = sim.counter_total(0, Counter::DownloadsFailed) as f64;
    let started = sim.counter_total(0, Counter::DownloadsStarted) as f64;
    // Each download fails independently: the pooled failure share is
    // binomial with n = started.
    let sd = (setup.failure * (1.0 - setup.failure) / started).sqrt();
    let share = failed / started;
    assert!(
        (share - setup.failure).abs() <= bonferroni_z(1) * sd,
        "failure share {share:.4} vs {} ± {:.4}",
        setup.failure,
        bonferroni_z(1) * sd
    );
}

#[test]
fn phased_release_saturates_at_percentage() {
    // A 30 % rollout stays at 30 % here, because the horizon is shorter than
    // the 15 days after which it completes. A user is eligible iff its
    // uniform bucket is below 30, independently of its launches, so coverage
    // is 0.3 · (1 − e^(−λt)). The newest version is 2.0.0 for every user.
    let setup = Setup {
        release: r#"rollout = [{ at = "0h", percent = 30 }]"#,
        seed: 9,
        ..Setup::default()
    };

    let sim = simulate(parse(&setup.text()));
    let lambda = rate_per_hour(&setup);
    let expected: Vec<f64> = (0..sim.bins())
        .map(|bin| {
            let (a, b) = sim.bin_hours(bin);
            0.3 * exp_coverage_in_bin(lambda * a, lambda * b)
        })
        .collect();
    let per_bin = setup.launches_per_day / 8.0;
    assert_launch_coverage(&sim, 0, &expected, per_bin, "phased release");
}

/// Probability that a launch at `s` hours still runs the old version when
/// every client checks periodically, given the parameters in hours and λ
/// per hour. See `periodic_check_updates_recent_users` for the derivation.
fn periodic_old_share(s: f64, lambda: f64, interval: f64, recently_used: f64) -> f64 {
    // ∫_0^m e^(−λ·max(0, R − φ)) dφ, the phases before s.
    let m = s.min(interval);
    let r = recently_used;
    let before = if r >= m {
        (-lambda * r).exp() * ((lambda * m).exp() - 1.0) / lambda
    } else {
        (-lambda * r).exp() * ((lambda * r).exp() - 1.0) / lambda + (m - r)
    };
    // Phases at or after s contribute e^(−λs) each, like phases before s
    // whose window is covered by [0, s).
    (-lambda * s).exp() * ((interval - m) + before) / interval
}

#[test]
fn periodic_check_updates_recent_users() {
    // Every client checks every 24 h at a phase φ uniform in [0, 24 h); the
    // check flags users whose last launch lies within R = 48 h, and the next
    // cold start then updates synchronously (instantly). A launch at s runs
    // the old version iff the user did not launch in [0, s) and, for every
    // check τ = φ + 24k < s, did not launch in [τ − R, τ]. Those windows and
    // [0, s) cover [min(0, φ − R), s), so
    //   P(old | φ) = e^(−λs)                     if s ≤ φ,
    //              = e^(−λ(s + max(0, R − φ)))    if s > φ,
    // using that the last launch before t = 0 lies an Exp(λ) back (the
    // launch process is Poisson on the whole line). Averaging over φ gives
    // `periodic_old_share`. From 24 h on, only users who were not recently
    // used at their check (probability e^(−λ(R − φ))) and did not launch
    // since the release still run the old version.
    let setup = Setup {
        users: 40_000,
        launches_per_day: 0.5,
        horizon: "3d",
        periodic_check_share: 1.0,
        recently_used: "48h",
        seed: 10,
        ..Setup::default()
    };

    let sim = simulate(parse(&setup.text()));
    let lambda = rate_per_hour(&setup);
    let expected: Vec<f64> = (0..sim.bins())
        .map(|bin| {
            let (a, b) = sim.bin_hours(bin);
            1.0 - bin_mean(|s| periodic_old_share(s, lambda, 24.0, 48.0), a, b)
        })
        .collect();
    let per_bin = setup.launches_per_day / 8.0;
    assert_launch_coverage(&sim, 0, &expected, per_bin, "periodic check");

    // Without the periodic check the coverage at 24 h to 27 h would be
    // about 0.40; with it, about 0.72.
    assert!(
        expected[8] > 0.7,
        "expected coverage after 24 h {}",
        expected[8]
    );
}

#[test]
fn diurnal_profile_integrates_rate() {
    // With a daily profile the launch process is non-homogeneous Poisson
    // with integrated intensity Λ(t), so coverage at t is 1 − e^(−Λ(t)).
    // Its launch-weighted average over a bin is exp_coverage_in_bin(Λ(a),
    // Λ(b)) exactly. Bins of 1 h align with the profile's local hours.
    let setup = Setup {
        users: 20_000,
        launches_per_day: 1.5,
        horizon: "2d",
        sample_every: "1h",
        population: r#"timezone = "+08:00"
start = "2026-12-07T10:00"
daily_profile = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 1.5, 1.2, 1.4,
                 2.0, 1.5, 1.2, 1.2, 1.3, 1.4, 1.6, 2.0, 2.2, 2.0, 1.4, 0.8]"#,
        seed: 11,
        ..Setup::default()
    };

    let sim = simulate(parse(&setup.text()));
    let population = &sim.scenario.population;
    let clock = LaunchClock::new(
        setup.launches_per_day,
        &population.daily_profile,
        population.start_minute_of_day,
    );
    let hour = |h: f64| SimTime((h * MS_PER_HOUR as f64).round() as i64);
    let expected: Vec<f64> = (0..sim.bins())
        .map(|bin| {
            let (a, b) = sim.bin_hours(bin);
            let from = clock.integrated(SimTime::ZERO, hour(a));
            let to = clock.integrated(SimTime::ZERO, hour(b));
            exp_coverage_in_bin(from, to)
        })
        .collect();
    // Mean launches per user in the busiest hour bounds the design effect.
    let peak = population.daily_profile.iter().copied().fold(0.0, f64::max);
    let per_bin = setup.launches_per_day * peak / 24.0;
    assert_launch_coverage(&sim, 0, &expected, per_bin, "daily profile");

    // The same curve without the profile would be wrong: check that the
    // profile matters at the tolerance of the test (night vs day rates).
    let flat = exp_coverage_in_bin(0.0, setup.launches_per_day / 24.0 * 14.0);
    let shaped = expected[13];
    assert!(
        (flat - shaped).abs() > 0.02,
        "flat {flat} vs shaped {shaped}"
    );
}

/// Probability that a launch at `t` hours runs the old version when the
/// keep-alive is exponential with rate `mu` and launches are Poisson with
/// rate `lambda` (both per hour). See `hot_starts_keep_running_version`.
fn hot_start_old_share(t: f64, lambda: f64, mu: f64) -> f64 {
    // Survival of Exp(λ) + Exp(μ): from "dead, cached old".
    let from_dead = (mu * (-lambda * t).exp() - lambda * (-mu * t).exp()) / (mu - lambda);
    // Survival of Exp(μ) + Exp(λ) + Exp(μ): from "alive, running old".
    let from_alive = (-mu * t).exp()
        + mu / (mu - lambda)
            * (mu * ((-lambda * t).exp() - (-mu * t).exp()) / (mu - lambda)
                - lambda * t * (-mu * t).exp());
    let alive_at_zero = lambda / (lambda + mu);
    alive_at_zero * from_alive + (1.0 - alive_at_zero) * from_dead
}

#[test]
fn hot_starts_keep_running_version() {
    // Keep-alive exponential with mean 1/μ = 3 h, launches Poisson at
    // λ = 4/day, sessions 1 ms, no check on hot starts. A launch is hot iff
    // the process is still alive, and a hot start runs the version its
    // process started with. With exponential keep-alive the user is a Markov
    // chain (the keep-alive is memoryless, so a process dies at rate μ
    // whatever launches renewed it):
    //   S1 alive, running old, cached old  --μ-->  S2
    //   S2 dead, cached old                --λ-->  S3 (cold start: runs
    //                                              old, downloads new)
    //   S3 alive, running old, cached new  --μ-->  S4 (hot starts stay)
    //   S4 dead, cached new                --λ-->  S5 (cold start, runs new)
    //   S5 alive, running new              --μ-->  S4
    // A launch at t runs the new version iff the chain is in S4 or S5 just
    // before t. At t = 0 the process of the last launch before 0 (an Exp(λ)
    // back) is alive iff its Exp(μ) keep-alive outlasts that gap:
    // P(S1) = λ / (λ + μ), else S2. The time to reach S4 is a sum of
    // exponentials: from S2 Exp(λ) + Exp(μ), from S1 Exp(μ) + Exp(λ) +
    // Exp(μ); `hot_start_old_share` gives their survival functions.
    let setup = Setup {
        launches_per_day: 4.0,
        keep_alive: r#"{ dist = "exponential", mean = "3h" }"#,
        seed: 12,
        ..Setup::default()
    };

    let sim = simulate(parse(&setup.text()));
    let lambda = rate_per_hour(&setup);
    let mu = 1.0 / 3.0;
    let expected: Vec<f64> = (0..sim.bins())
        .map(|bin| {
            let (a, b) = sim.bin_hours(bin);
            1.0 - bin_mean(|t| hot_start_old_share(t, lambda, mu), a, b)
        })
        .collect();
    let per_bin = setup.launches_per_day / 8.0;
    assert_launch_coverage(&sim, 0, &expected, per_bin, "hot starts");

    // A launch is hot iff the previous launch's keep-alive outlasts the gap:
    // P(hot) = P(Exp(μ) > Exp(λ)) = λ / (λ + μ) for every launch.
    let hot = sim.counter_total(0, Counter::HotStarts) as f64;
    let launches = sim.counter_total(0, Counter::Launches) as f64;
    let p_hot = lambda / (lambda + mu);
    // Given the launch times, each flag is an independent Bernoulli draw on
    // its own keep-alive, and the gaps are fresh Exp(λ) draws. So the pooled
    // share is binomial up to the dependence that the fixed horizon brings
    // through each user's launch count, which a factor 2 on the variance
    // covers.
    let sd = (2.0 * p_hot * (1.0 - p_hot) / launches).sqrt();
    assert!(
        (hot / launches - p_hot).abs() <= bonferroni_z(1) * sd,
        "hot share {:.4} vs {p_hot:.4} ± {:.4}",
        hot / launches,
        bonferroni_z(1) * sd
    );
}

#[test]
fn timed_out_sync_downloads_in_background() {
    // Every client checks periodically and flags its users, but every
    // synchronous update times out: the download takes 10 s and the timeout
    // is 5 s. The cached package then opens, and like any cold start that
    // opens a cached package it checks for an update in the background.
    // That download completes within the 1 min session, so the next launch
    // runs the new version whether or not the launch was flagged: coverage
    // is 1 − e^(−λt), as with every launch cold and no periodic check.
    let setup = Setup {
        session: r#""1m""#,
        periodic_check_share: 1.0,
        recently_used: "7d",
        client: r#"sync_timeout = "5s""#,
        bandwidth: "100KB/s",
        size: "1MB",
        seed: 15,
        ..Setup::default()
    };
    let sim = simulate(parse(&setup.text()));

    let sync_updates = sim.counter_total(0, Counter::SyncUpdates);
    assert!(sync_updates > 1_000, "only {sync_updates} sync updates");
    assert_eq!(
        sim.counter_total(0, Counter::SyncFailures),
        sync_updates,
        "every synchronous update times out"
    );
    let lambda = rate_per_hour(&setup);
    let expected: Vec<f64> = (0..sim.bins())
        .map(|bin| {
            let (a, b) = sim.bin_hours(bin);
            exp_coverage_in_bin(lambda * a, lambda * b)
        })
        .collect();
    let per_bin = setup.launches_per_day / 8.0;
    assert_launch_coverage(&sim, 0, &expected, per_bin, "timed-out sync");
}

#[test]
fn prompt_acceptance_matches_probability() {
    // Sessions of 30 min and downloads of 1 ms: every download completes in
    // the foreground of the cold start that began it, so `onUpdateReady`
    // shows the prompt at once. Each user sees at most one prompt (after a
    // decline the next cold start runs the downloaded package) and answers
    // it with its own draw, so accepted ~ Binomial(shown, p). Every accepted
    // prompt restarts a session in the foreground.
    let setup = Setup {
        session: r#""30m""#,
        policies: "[[policy]]\nname = \"prompt\"\non_update_ready = \"prompt\"\naccept = 0.4\naccept_critical = 0.9\n",
        seed: 13,
        ..Setup::default()
    };

    let sim = simulate(parse(&setup.text()));

    let shown = sim.counter_total(0, Counter::PromptsShown);
    let accepted = sim.counter_total(0, Counter::PromptsAccepted);
    let forced = sim.counter_total(0, Counter::ForcedRestarts);
    let resumed = sim.counter_total(0, Counter::ResumeRestarts);
    let launched_users: u64 = sim.reps(0).iter().map(|b| b.total(Total::Users)).sum();
    assert!(
        shown as f64 > 0.8 * launched_users as f64,
        "prompts shown {shown} for {launched_users} users"
    );

    let p = 0.4;
    let share = accepted as f64 / shown as f64;
    let tolerance = bonferroni_z(1) * (p * (1.0 - p) / shown as f64).sqrt();
    assert!(
        (share - p).abs() <= tolerance,
        "accepted share {share:.4}, expected {p} ± {tolerance:.4} ({shown} prompts)"
    );
    assert_eq!(forced, accepted, "forced restarts = accepted prompts");
    assert_eq!(resumed, 0, "no restart happens at a resume");

    // One prompt per user who launched after the release: P(launch in
    // [0, T)) = 1 − e^(−λT) with λT = 4 (sessions shift it negligibly).
    let users = (setup.users * setup.replications as u64) as f64;
    let q = 1.0 - (-4.0f64).exp();
    let tolerance = bonferroni_z(1) * (users * q * (1.0 - q)).sqrt() + 1.0;
    assert!(
        (shown as f64 - users * q).abs() <= tolerance,
        "prompts shown {shown}, expected {:.0} ± {tolerance:.0}",
        users * q
    );
}

/// The probability `u(s)` that, walking back from a launch at `s` hours,
/// every gap between consecutive launches in `[0, s]` is shorter than `b`,
/// tabulated on a grid of step `h`. See `on_resume_restarts_after_long_background`.
struct ShortGapChain {
    lambda: f64,
    h: f64,
    u: Vec<f64>,
}

impl ShortGapChain {
    fn new(lambda: f64, b: f64, horizon: f64, h: f64) -> ShortGapChain {
        // w(s) = e^(λs) u(s) solves w(s) = 1 + λ ∫_{max(0, s−b)}^s w(x) dx.
        // The integral is advanced with the trapezoidal rule, implicit in the
        // new value, with the running integral c[i] = ∫_0^{ih} w.
        let steps = (horizon / h).round() as usize;
        let lag = (b / h).round() as usize;
        let mut w = vec![1.0; steps + 1];
        let mut c = vec![0.0; steps + 1];
        for i in 1..=steps {
            let window_start = if i > lag { c[i - lag] } else { 0.0 };
            let explicit = c[i - 1] + h * w[i - 1] / 2.0 - window_start;
            w[i] = (1.0 + lambda * explicit) / (1.0 - lambda * h / 2.0);
            c[i] = c[i - 1] + h * (w[i - 1] + w[i]) / 2.0;
        }
        let u = w
            .iter()
            .enumerate()
            .map(|(i, w)| w * (-lambda * i as f64 * h).exp())
            .collect();
        ShortGapChain { lambda, h, u }
    }

    /// `u(s)`, interpolated linearly.
    fn u(&self, s: f64) -> f64 {
        let x = (s / self.h).max(0.0);
        let i = (x.floor() as usize).min(self.u.len() - 2);
        let f = x - i as f64;
        self.u[i] * (1.0 - f) + self.u[i + 1] * f
    }

    /// Returns the probability that a launch at `s` is the restart. Its own
    /// background gap g is then at least b, the launch before it lies at or
    /// after 0, and all gaps before that one are short, which gives
    /// ∫_b^s λ e^(−λg) u(s − g) dg.
    fn restart_density(&self, s: f64, b: f64) -> f64 {
        if s <= b {
            return 0.0;
        }
        let lambda = self.lambda;
        bin_mean(|g| lambda * (-lambda * g).exp() * self.u(s - g), b, s) * (s - b)
    }
}

#[test]
fn on_resume_restarts_after_long_background() {
    // Keep-alive far beyond the horizon: every existing user's process is
    // alive from before t = 0 on, so every launch is a hot start, and hot
    // starts check for updates. The first launch L1 after 0 downloads the
    // new version, which is ready in the background 1 ms later. Each later
    // launch is a resume after a background gap g ~ Exp(λ), and `on_resume`
    // restarts it iff g ≥ b. That happens with probability e^(−λb) at each
    // resume, independently of the earlier ones. So a launch at s runs the new
    // version iff some gap between consecutive launches in [0, s] is at
    // least b. Walking back from s (the earlier launches are Poisson), the
    // probability u(s) that all those gaps are short satisfies
    //   u(s) = e^(−λs) + ∫_0^{min(s, b)} λ e^(−λg) u(s − g) dg,
    // (no earlier launch after 0, or a short first gap and the same event
    // further back), which `ShortGapChain` solves numerically. Launch
    // coverage is 1 − u(s); resume restarts in a bin number N λ ∫ r(s) ds
    // with r the restart density of a launch at s.
    let b_hours = 6.0;
    let setup = Setup {
        keep_alive: r#""1000d""#,
        check_on_hot_start: true,
        policies: "[[policy]]\nname = \"on_resume\"\non_update_ready = \"on_resume\"\nmin_background = \"6h\"\n",
        seed: 14,
        ..Setup::default()
    };

    let sim = simulate(parse(&setup.text()));
    assert_eq!(
        sim.counter_total(0, Counter::ColdStarts),
        0,
        "every launch is hot"
    );
    let lambda = rate_per_hour(&setup);
    let horizon = sim.scenario.run.horizon.as_hours();
    let chain = ShortGapChain::new(lambda, b_hours, horizon, 1.0 / 60.0);
    let expected: Vec<f64> = (0..sim.bins())
        .map(|bin| {
            let (a, b) = sim.bin_hours(bin);
            1.0 - bin_mean(|s| chain.u(s), a, b)
        })
        .collect();
    let per_bin = setup.launches_per_day / 8.0;
    assert_launch_coverage(&sim, 0, &expected, per_bin, "on_resume coverage");

    // Restarts per bin: at most one per user, users independent, so the
    // count is a sum of independent Bernoulli draws and its variance is at
    // most its mean.
    let users = (setup.users * setup.replications as u64) as f64;
    let z = common::bonferroni_z(sim.bins());
    let mut total_expected = 0.0;
    for bin in 0..sim.bins() {
        let (a, b) = sim.bin_hours(bin);
        let expected =
            users * lambda * (b - a) * bin_mean(|s| chain.restart_density(s, b_hours), a, b);
        total_expected += expected;
        let observed: u64 = sim
            .reps(0)
            .iter()
            .map(|r| r.counter(Counter::ResumeRestarts)[bin])
            .sum();
        assert_count(
            observed,
            expected,
            1.0,
            z,
            &format!("resume restarts in bin {bin} ({a} h to {b} h)"),
        );
    }
    // A restart at a resume is not an interruption.
    assert_eq!(sim.counter_total(0, Counter::ForcedRestarts), 0);
    let observed = sim.counter_total(0, Counter::ResumeRestarts);
    assert_count(
        observed,
        total_expected,
        1.0,
        bonferroni_z(1),
        "resume restarts in all",
    );
}

#[test]
fn wechat_default_reaches_99_percent_in_24h() {
    // WeChat documents that over 99 % of users run a full release within
    // 24 hours. The built-in scenario models that platform, so under the
    // `none` policy the mean launch coverage must stay at or above 0.99 in
    // every bin from 24 h after the release on. With 50,000 users a night
    // bin of 15 min holds only a few dozen launches per replication, so
    // each bin is tested one-sided: it fails when its mean lies
    // significantly below 0.99, with the binomial sd at p = 0.99 and a
    // Bonferroni critical value over the bins. The pooled share of all
    // launches from 24 h on (hundreds of thousands) must be at least 0.99
    // outright.
    let mut scenario = builtin_default();
    scenario.population.users = 50_000;
    scenario.run.replications = 4;
    scenario.policies.truncate(1);
    assert_eq!(scenario.policies[0].name, "none");
    let release_h = scenario.releases.last().expect("a release").at.as_hours();
    let sim = simulate(scenario);
    let width = sim.scenario.run.sample_every.as_hours();
    let first = ((release_h + 24.0) / width).round() as usize;
    let series = sim.series(0, "launch_coverage");
    let bins: Vec<usize> = (first..sim.bins())
        .filter(|&bin| series.values[bin].is_some())
        .collect();

    let z = bonferroni_z(bins.len());
    // The busiest segment launches 4 times a day at a peak profile weight
    // of 1.75 (profile mean 1): that bounds the launches per user per bin.
    let design_effect = 1.0 + 4.0 * 1.75 / 24.0 * width;
    let p = 0.99;

    let mut lowest = (f64::INFINITY, 0);
    for &bin in &bins {
        let counts: Vec<u64> = sim
            .reps(0)
            .iter()
            .map(|b| b.counter(Counter::Launches)[bin])
            .filter(|&n| n > 0)
            .collect();
        let r = counts.len() as f64;
        let inverse_sum: f64 = counts.iter().map(|&n| 1.0 / n as f64).sum();
        let total: u64 = counts.iter().sum();
        let sd = (p * (1.0 - p) * inverse_sum / (r * r) * design_effect).sqrt();
        let observed = series.values[bin].expect("bin has launches").mean;
        if observed < lowest.0 {
            lowest = (observed, bin);
        }
        let (from, to) = sim.bin_hours(bin);
        assert!(
            observed >= p - z * sd - 1.0 / total as f64,
            "launch coverage {observed:.4} in bin {from} h to {to} h is significantly below 0.99 \
             ({total} launches)"
        );
    }

    let (mut newest, mut launches) = (0, 0);
    for reps in sim.reps(0) {
        newest += reps.counter(Counter::LaunchesNewest)[first..]
            .iter()
            .sum::<u64>();
        launches += reps.counter(Counter::Launches)[first..].iter().sum::<u64>();
    }
    let pooled = newest as f64 / launches as f64;
    println!(
        "launch coverage from 24 h on: pooled {pooled:.5} over {launches} launches, lowest bin {:.4} (bin {})",
        lowest.0, lowest.1
    );
    assert!(
        pooled >= p,
        "pooled launch coverage from 24 h on is {pooled:.5} over {launches} launches"
    );
}
