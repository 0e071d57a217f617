//! Helpers shared by the statistical tests: running an in-memory scenario,
//! Bonferroni critical values, bin averages of closed forms, tolerance checks
//! and the invariants that every run must satisfy.
//!
//! The method is described in `docs/statistics.md`.

#![allow(dead_code)]

use rollout_sim::engine::runner::{run, RunOptions, RunOutput};
use rollout_sim::model::population::LaunchSource;
use rollout_sim::scenario::{self, Scenario, UpdateAction};
use rollout_sim::stats::aggregate::{aggregate, RunResult, Series};
use rollout_sim::stats::bins::{Bins, Counter, Gauge};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Overall false-alarm rate of one test, shared by all the bins it checks.
pub const ALPHA: f64 = 1e-3;

/// A scenario with its counters and aggregated curves.
pub struct Simulation {
    pub scenario: Scenario,
    pub output: RunOutput,
    pub result: RunResult,
}

impl Simulation {
    /// Returns the curve of `metric` under policy `policy`.
    pub fn series(&self, policy: usize, metric: &str) -> &Series {
        self.result.policies[policy]
            .series
            .iter()
            .find(|s| s.metric == metric)
            .unwrap_or_else(|| panic!("no series named {metric}"))
    }

    /// Returns the counters of every replication of policy `policy`.
    pub fn reps(&self, policy: usize) -> &[Bins] {
        &self.output.bins[policy]
    }

    /// Returns a counter summed over every bin and replication.
    pub fn counter_total(&self, policy: usize, counter: Counter) -> u64 {
        self.reps(policy)
            .iter()
            .map(|b| b.counter_sum(counter))
            .sum()
    }

    /// Returns the bin boundaries `(start, end)` in hours.
    pub fn bin_hours(&self, bin: usize) -> (f64, f64) {
        let width = self.scenario.run.sample_every.as_hours();
        (bin as f64 * width, (bin + 1) as f64 * width)
    }

    /// Number of output bins.
    pub fn bins(&self) -> usize {
        self.scenario.run.bins()
    }
}

/// Parses a scenario written in the test, panicking with the rendered error.
pub fn parse(text: &str) -> Scenario {
    scenario::parse(text, "test.toml", None).unwrap_or_else(|error| panic!("{error}"))
}

/// Runs every policy of `scenario` with its own users, replications and seed,
/// aggregates the curves and checks the invariants.
pub fn simulate(scenario: Scenario) -> Simulation {
    let output = run(
        &scenario,
        &LaunchSource::Synthetic,
        &RunOptions::default(),
        &|_, _| {},
    )
    .expect("the run succeeds");
    let result = aggregate(&scenario, &output);
    check_invariants(&scenario, &output, &result);
    Simulation {
        scenario,
        output,
        result,
    }
}

/// Two-sided Bonferroni critical value of the standard normal: each of
/// `tests` comparisons is run at level `ALPHA / tests`, so the chance that
/// any of them fails by sampling noise alone is at most `ALPHA`.
pub fn bonferroni_z(tests: usize) -> f64 {
    let normal = Normal::standard();
    normal.inverse_cdf(1.0 - ALPHA / (2.0 * tests.max(1) as f64))
}

/// Returns the Student t counterpart of [`bonferroni_z`] with `df` degrees
/// of freedom.
pub fn bonferroni_t(tests: usize, df: f64) -> f64 {
    let t = StudentsT::new(0.0, 1.0, df).expect("positive degrees of freedom");
    t.inverse_cdf(1.0 - ALPHA / (2.0 * tests.max(1) as f64))
}

/// Average of `f` over `[a, b]` by composite Simpson's rule on 400 panels:
/// the closed forms here are smooth within a bin, so the quadrature error is
/// far below the statistical tolerances.
pub fn bin_mean(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let panels = 400;
    let h = (b - a) / panels as f64;
    let mut sum = f(a) + f(b);
    for i in 1..panels {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * f(a + i as f64 * h);
    }
    sum * h / 3.0 / (b - a)
}

/// Launch-weighted average of `1 − e^(−Λ)` over a bin in which the
/// integrated launch intensity goes from `from` to `to`. Because
/// `d(e^(−Λ)) = −λ e^(−Λ) dt`, the weighted average is exact:
/// `1 − (e^(−from) − e^(−to)) / (to − from)`.
pub fn exp_coverage_in_bin(from: f64, to: f64) -> f64 {
    if to - from < 1e-12 {
        return 1.0 - (-from).exp();
    }
    1.0 - ((-from).exp() - (-to).exp()) / (to - from)
}

/// Compares the mean launch coverage of each bin with `expected[bin]`.
///
/// A replication's launch coverage in a bin is `X_r / n_r`, the share of its
/// `n_r` launches that ran the newest version. If launches were independent
/// with probability `p`, `Var(X_r / n_r) = p(1 − p) / n_r`, and the mean over
/// the `R'` replications with launches has variance
/// `p(1 − p) / R'² · Σ 1 / n_r`. Launches of one user in one bin are not
/// independent. The design effect of clusters with correlation at most 1 is
/// at most `1 + m`, where `m` is the mean number of further launches of a
/// user in the bin given one. For Poisson launches `m` is the mean launches
/// per user per bin, and the variance is multiplied by `1 + m`. The tolerance
/// is `z · sd + 1 / Σ n_r` with `z` the Bonferroni critical value over the
/// bins checked; the last term is a continuity correction that keeps bins
/// with `p` at 0 or 1 from demanding exact equality of a discrete count.
pub fn assert_launch_coverage(
    sim: &Simulation,
    policy: usize,
    expected: &[f64],
    launches_per_user_bin: f64,
    label: &str,
) -> f64 {
    let reps = sim.reps(policy);
    let series = sim.series(policy, "launch_coverage");
    let checked: Vec<usize> = (0..sim.bins())
        .filter(|&bin| series.values[bin].is_some())
        .collect();
    assert!(
        checked.len() * 2 > sim.bins(),
        "{label}: only {} of {} bins have launches",
        checked.len(),
        sim.bins()
    );
    let z = bonferroni_z(checked.len());
    let design_effect = 1.0 + launches_per_user_bin;
    let mut worst: f64 = 0.0;
    for bin in checked {
        let p = expected[bin];
        let counts: Vec<u64> = reps
            .iter()
            .map(|b| b.counter(Counter::Launches)[bin])
            .filter(|&n| n > 0)
            .collect();
        let replications = counts.len() as f64;
        let inverse_sum: f64 = counts.iter().map(|&n| 1.0 / n as f64).sum();
        let total: u64 = counts.iter().sum();
        let p_clamped = p.clamp(0.0, 1.0);
        let variance = p_clamped * (1.0 - p_clamped) * inverse_sum / (replications * replications)
            * design_effect;
        let tolerance = z * variance.sqrt() + 1.0 / total as f64;
        let observed = series.values[bin].expect("bin has launches").mean;
        let (from, to) = sim.bin_hours(bin);
        assert!(
            (observed - p).abs() <= tolerance,
            "{label}: launch coverage in bin {bin} ({from} h to {to} h) is {observed:.5}, \
             expected {p:.5} ± {tolerance:.5} ({total} launches)"
        );
        worst = worst.max((observed - p).abs() / tolerance);
    }
    println!("{label}: largest deviation is {worst:.2} of the tolerance");
    worst
}

/// Compares a coverage measured on users (`installed_coverage` or
/// `active_user_coverage`) at each sample instant with `expected[bin]`.
///
/// Users are simulated independently, so a replication's numerator is
/// binomial given its denominator `n_r`, and the mean over replications has
/// variance `p(1 − p) / R² · Σ 1 / n_r` with no design effect. The tolerance
/// is `z · sd + 1 / Σ n_r` as in [`assert_launch_coverage`].
pub fn assert_user_coverage(
    sim: &Simulation,
    policy: usize,
    metric: &str,
    denominator: Gauge,
    expected: &[f64],
) -> f64 {
    let series = sim.series(policy, metric);
    let reps = sim.reps(policy);
    let z = bonferroni_z(sim.bins());
    let gauges: Vec<Vec<u64>> = reps.iter().map(|b| b.gauge(denominator)).collect();
    let mut worst: f64 = 0.0;
    for (bin, p) in expected.iter().enumerate() {
        let counts: Vec<u64> = gauges.iter().map(|g| g[bin]).filter(|&n| n > 0).collect();
        let replications = counts.len() as f64;
        let inverse_sum: f64 = counts.iter().map(|&n| 1.0 / n as f64).sum();
        let total: u64 = counts.iter().sum();
        let p_clamped = p.clamp(0.0, 1.0);
        let variance = p_clamped * (1.0 - p_clamped) * inverse_sum / (replications * replications);
        let tolerance = z * variance.sqrt() + 1.0 / total as f64;
        let observed = series.values[bin]
            .unwrap_or_else(|| panic!("{metric} has no value in bin {bin}"))
            .mean;
        let (_, end) = sim.bin_hours(bin);
        assert!(
            (observed - p).abs() <= tolerance,
            "{metric} at {end} h is {observed:.5}, expected {p:.5} ± {tolerance:.5} ({total} users)"
        );
        worst = worst.max((observed - p).abs() / tolerance);
    }
    println!("{metric}: largest deviation is {worst:.2} of the tolerance");
    worst
}

/// Checks a count summed over replications against its expectation under
/// Poisson variance inflated by `dispersion` (the variance-to-mean ratio
/// bound), at the critical value `z`, with one unit of continuity slack.
pub fn assert_count(observed: u64, expected: f64, dispersion: f64, z: f64, label: &str) {
    let tolerance = z * (expected * dispersion).sqrt() + 1.0;
    assert!(
        (observed as f64 - expected).abs() <= tolerance,
        "{label}: observed {observed}, expected {expected:.1} ± {tolerance:.1}"
    );
}

/// Asserts the relations between counters that hold in every run, whatever
/// the scenario. They are exact, so any violation is a bookkeeping bug.
pub fn check_invariants(scenario: &Scenario, output: &RunOutput, result: &RunResult) {
    for (policy, reps) in scenario.policies.iter().zip(&output.bins) {
        let name = &policy.name;
        for (replication, bins) in reps.iter().enumerate() {
            let at = |counter| bins.counter(counter);
            let launches = at(Counter::Launches);
            let cold = at(Counter::ColdStarts);
            let hot = at(Counter::HotStarts);
            let failed = at(Counter::FailedLaunches);
            let newest = at(Counter::LaunchesNewest);
            let mut started = 0u64;
            let mut ended = 0u64;
            for bin in 0..bins.bins() {
                let where_ = format!("policy {name}, replication {replication}, bin {bin}");
                assert_eq!(
                    launches[bin] + failed[bin],
                    cold[bin] + hot[bin],
                    "launches + failed launches = cold + hot starts ({where_})"
                );
                assert!(
                    newest[bin] <= launches[bin],
                    "launches on the newest version exceed launches ({where_})"
                );
                let by_version: u64 = (0..bins.versions())
                    .map(|package| bins.version_launches(package)[bin])
                    .sum();
                assert_eq!(
                    by_version, launches[bin],
                    "launches by version add up to launches ({where_})"
                );
                assert_eq!(
                    at(Counter::PromptsShown)[bin],
                    at(Counter::PromptsAccepted)[bin] + at(Counter::PromptsDeclined)[bin],
                    "prompts shown = accepted + declined ({where_})"
                );
                assert!(
                    at(Counter::SyncFailures)[bin] <= at(Counter::SyncUpdates)[bin],
                    "sync failures exceed sync updates ({where_})"
                );
                // A download ends in a later bin than it starts, or never
                // (past the horizon, or superseded), so only the running
                // totals are ordered.
                started += at(Counter::DownloadsStarted)[bin];
                ended += at(Counter::DownloadsCompleted)[bin] + at(Counter::DownloadsFailed)[bin];
                assert!(
                    ended <= started,
                    "downloads completed + failed exceed downloads started by the end of bin {bin} \
                     (policy {name}, replication {replication})"
                );
            }
            // Every existing user exists at every sample instant, the last
            // one (the horizon) included.
            if output.users > 0 {
                for (bin, users) in bins.gauge(Gauge::Users).iter().enumerate() {
                    assert!(
                        *users >= output.users,
                        "{users} users counted at the end of bin {bin}, fewer than the {} existing \
                         users (policy {name}, replication {replication})",
                        output.users
                    );
                }
            }
            for (upper, lower) in [
                (Gauge::Users, Gauge::InstalledNewest),
                (Gauge::ActiveUsers, Gauge::ActiveNewest),
            ] {
                let upper_values = bins.gauge(upper);
                for (bin, value) in bins.gauge(lower).iter().enumerate() {
                    assert!(
                        *value <= upper_values[bin],
                        "gauge {lower:?} exceeds {upper:?} (policy {name}, replication {replication}, bin {bin})"
                    );
                }
            }
            let total = |counter| bins.counter_sum(counter);
            match policy.action {
                UpdateAction::None => {
                    assert_eq!(
                        total(Counter::ForcedRestarts),
                        0,
                        "forced restarts under none"
                    );
                    assert_eq!(
                        total(Counter::ResumeRestarts),
                        0,
                        "resume restarts under none"
                    );
                    assert_eq!(total(Counter::PromptsShown), 0, "prompts under none");
                }
                UpdateAction::OnResume { .. } => {
                    assert_eq!(
                        total(Counter::ForcedRestarts),
                        0,
                        "forced restarts under on_resume"
                    );
                    assert_eq!(total(Counter::PromptsShown), 0, "prompts under on_resume");
                }
                UpdateAction::Force | UpdateAction::ForceCritical => {
                    assert_eq!(total(Counter::PromptsShown), 0, "prompts under force");
                }
                UpdateAction::OnSuspend { .. } => {
                    assert_eq!(
                        total(Counter::ForcedRestarts),
                        0,
                        "forced restarts under on_suspend"
                    );
                    assert_eq!(total(Counter::PromptsShown), 0, "prompts under on_suspend");
                }
                UpdateAction::Prompt { .. } => {}
            }
        }
    }
    for policy in &result.policies {
        for series in &policy.series {
            let is_share =
                series.metric.ends_with("_coverage") || series.metric.starts_with("version_share:");
            for (bin, value) in series.values.iter().enumerate() {
                let Some(value) = value else { continue };
                let where_ = format!("{} of policy {}, bin {bin}", series.metric, policy.policy);
                // The mean may lie outside the band: one replication in 24
                // with a restart gives a positive mean and p95 = 0.
                assert!(
                    value.p05 <= value.p95,
                    "p05 above p95: {value:?} ({where_})"
                );
                if is_share {
                    for share in [value.p05, value.mean, value.p95] {
                        assert!(
                            (0.0..=1.0).contains(&share),
                            "share outside [0, 1]: {value:?} ({where_})"
                        );
                    }
                } else {
                    assert!(
                        value.p05 >= 0.0 && value.mean >= 0.0,
                        "negative count: {value:?} ({where_})"
                    );
                }
            }
        }
    }
}
