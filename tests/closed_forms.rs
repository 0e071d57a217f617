//! Simulated curves against closed forms, in settings that make the closed
//! form exact: sessions of 1 ms, instant checks, downloads of 1 ms, a flat
//! daily profile unless stated. Each test derives its expected curve in a
//! comment and compares it bin by bin within a tolerance derived from the
//! sample size (see `common::assert_launch_coverage`).

mod common;

use common::{
    assert_launch_coverage, bin_mean, bonferroni_z, exp_coverage_in_bin, parse, simulate,
};
use rollout_sim::model::launches::LaunchClock;
use rollout_sim::stats::bins::Counter;
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
    failure: f64,
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
            failure: 0.0,
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

[[network]]
name = "instant"
share = 1.0
bandwidth = "1000MB/s"
failure = {failure}
jitter = 0.0

[[release]]
version = "2.0.0"
at = "0h"
size = "1KB"
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
            failure = self.failure,
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
    // A 30 % rollout that stays at 30 % (the horizon is shorter than the 15
    // days after which it completes): a user is eligible iff its uniform
    // bucket is below 30, independently of its launches, so coverage is
    // 0.3 · (1 − e^(−λt)). The newest version is 2.0.0 for every user.
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
    assert!(expected[8] > 0.7, "expected coverage after 24 h {}", expected[8]);
}

#[test]
fn diurnal_profile_integrates_rate() {
    // With a daily profile the launch process is non-homogeneous Poisson
    // with integrated intensity Λ(t); coverage at t is 1 − e^(−Λ(t)), and
    // its launch-weighted average over a bin is exp_coverage_in_bin(Λ(a),
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
    assert!((flat - shaped).abs() > 0.02, "flat {flat} vs shaped {shaped}");
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
    // its own keep-alive, and the gaps are fresh Exp(λ) draws, so the pooled
    // share is binomial up to the dependence that the fixed horizon brings
    // through each user's launch count; a factor 2 on the variance covers it.
    let sd = (2.0 * p_hot * (1.0 - p_hot) / launches).sqrt();
    assert!(
        (hot / launches - p_hot).abs() <= bonferroni_z(1) * sd,
        "hot share {:.4} vs {p_hot:.4} ± {:.4}",
        hot / launches,
        bonferroni_z(1) * sd
    );
}
