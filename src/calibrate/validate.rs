//! Validation of a calibrated scenario: simulate its launch model over the
//! trace's observation windows and compare the launch statistics.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::calibrate::numeric::ks_two_sample;
use crate::calibrate::sample::{merge_close_visits, LaunchStatistics, PairSample, Ratio};
use crate::calibrate::session::ks_critical_two_sample_5pct;
use crate::engine::rng::{self, Stream};
use crate::engine::runner::Cancelled;
use crate::model::population::{LaunchSource, PopulationPlan};
use crate::scenario::Scenario;
use crate::time::{SimDuration, MS_PER_DAY, MS_PER_MINUTE};

/// Settings of a validation run.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidationOptions {
    /// Simulated users per trace pair in each replication.
    pub copies: usize,
    /// Independent replications.
    pub replications: u32,
    /// Master seed of the simulation.
    pub seed: u64,
    /// Visits at most this many milliseconds apart are merged, as in the
    /// trace.
    pub merge_gap_ms: i64,
}

/// Standard errors of tolerance for a scalar statistic: the difference of
/// two independent estimates exceeds 3 of its standard errors with
/// probability 0.27 % when both estimate the same value.
pub const SCALAR_Z: f64 = 3.0;

/// Standard errors of tolerance for each hour's share of opens. With 24
/// comparisons, 3.5 keeps the chance of any false failure near 1 %.
pub const HOURLY_Z: f64 = 3.5;

/// A statistic compared between trace and simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    /// Visits per unit per day.
    LaunchesPerDay,
    /// Share of re-opens within 5 minutes of the previous close.
    ReopenWithin5m,
    /// Share of re-opens within 30 minutes of the previous close.
    ReopenWithin30m,
    /// Share of opens in a local hour.
    HourlyShare(usize),
}

/// One comparison of a statistic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Comparison {
    /// Which statistic.
    pub statistic: Statistic,
    /// Value in the trace.
    pub trace: Ratio,
    /// Value in the simulation.
    pub simulated: Ratio,
    /// Largest accepted difference: z standard errors of the difference.
    pub tolerance: f64,
}

impl Comparison {
    fn new(statistic: Statistic, trace: Ratio, simulated: Ratio, z: f64) -> Comparison {
        let tolerance =
            z * (trace.standard_error.powi(2) + simulated.standard_error.powi(2)).sqrt();
        Comparison {
            statistic,
            trace,
            simulated,
            tolerance,
        }
    }

    /// Returns whether the difference is within the tolerance.
    pub fn passed(&self) -> bool {
        (self.simulated.value - self.trace.value).abs() <= self.tolerance
    }
}

/// The result of a validation.
#[derive(Clone, Debug)]
pub struct Validation {
    /// Statistics of all replications pooled.
    pub pooled: LaunchStatistics,
    /// Statistics of each replication, for bands in charts.
    pub by_replication: Vec<LaunchStatistics>,
    /// The comparisons: the three scalar statistics, then the 24 hours.
    pub comparisons: Vec<Comparison>,
    /// Two-sample Kolmogorov–Smirnov distance of the re-open gaps.
    pub gap_ks_distance: f64,
    /// Its 5 % critical value.
    pub gap_ks_critical: f64,
}

impl Validation {
    /// Returns whether every comparison passed.
    pub fn passed(&self) -> bool {
        self.comparisons.iter().all(Comparison::passed)
    }
}

/// An observation window: its start in local milliseconds (only the time
/// of day matters) and its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Start, local milliseconds.
    pub start_local_ms: i64,
    /// Length in milliseconds.
    pub length_ms: i64,
}

/// Simulates the launch model of `scenario` for `copies` users per window
/// and returns their visits in the trace's sample form.
///
/// User `i` is observed for window `windows[i % windows.len()]`, starting
/// at the first instant after t = 0 with the window's local time of day,
/// so the simulated days cover the same hours as the trace's. Visits at
/// most `merge_gap_ms` apart are merged, and users without any visit in
/// their window are dropped, because a trace only contains pairs with a
/// visit.
pub fn simulate_samples(
    scenario: &Scenario,
    windows: &[Window],
    copies: usize,
    replication: u32,
    seed: u64,
    merge_gap_ms: i64,
) -> Vec<PairSample> {
    let never = AtomicBool::new(false);
    simulate_samples_until(
        scenario,
        windows,
        copies,
        replication,
        seed,
        merge_gap_ms,
        &never,
    )
    .expect("an unset flag never cancels")
}

/// Users simulated between two reads of the cancel flag, as in the runner.
const CANCEL_CHECK_USERS: u64 = 1024;

/// Simulates like [`simulate_samples`], and stops when `cancel` is set. The
/// flag is read before every [`CANCEL_CHECK_USERS`] users.
///
/// # Errors
/// Returns [`Cancelled`] when `cancel` was set.
pub fn simulate_samples_until(
    scenario: &Scenario,
    windows: &[Window],
    copies: usize,
    replication: u32,
    seed: u64,
    merge_gap_ms: i64,
    cancel: &AtomicBool,
) -> Result<Vec<PairSample>, Cancelled> {
    let mut scenario = scenario.clone();
    let longest = windows
        .iter()
        .map(|w| w.length_ms)
        .max()
        .unwrap_or(0)
        .max(1);
    scenario.run.horizon = SimDuration(longest + MS_PER_DAY);
    let users = (windows.len() * copies) as u64;
    let source = LaunchSource::Synthetic;
    let plan = PopulationPlan::new(&scenario, users, seed, &source);
    let local_origin = scenario.population.start_minute_of_day as i64 * MS_PER_MINUTE;
    let mut visits = Vec::new();
    let mut samples = Vec::with_capacity(users as usize);
    for index in 0..users {
        if index % CANCEL_CHECK_USERS == 0 && cancel.load(Ordering::Relaxed) {
            return Err(Cancelled);
        }
        let mut traits_rng = rng::stream(seed, replication, index, Stream::Traits);
        let mut launch_rng = rng::stream(seed, replication, index, Stream::Launches);
        let user = plan.user(replication, index, &[], &mut traits_rng);
        plan.visits(&user, index, &mut launch_rng, &mut traits_rng, &mut visits);
        let window = windows[index as usize % windows.len()];
        let from = (window.start_local_ms - local_origin).rem_euclid(MS_PER_DAY);
        let until = from + window.length_ms;
        let kept: Vec<(i64, i64)> = visits
            .iter()
            .filter(|v| v.open.0 >= from && v.open.0 < until)
            .map(|v| (v.open.0 + local_origin, v.close.0 + local_origin))
            .collect();
        let last_close = kept.last().map_or(0, |v| v.1);
        samples.push(PairSample {
            visits: kept,
            window_start: local_origin + from,
            window_end: (local_origin + until).max(last_close),
        });
    }
    merge_close_visits(&mut samples, merge_gap_ms);
    samples.retain(|s| !s.visits.is_empty());
    Ok(samples)
}

/// Simulates `scenario` over the windows of the trace samples and compares
/// the launch statistics with the trace's.
pub fn validate(
    scenario: &Scenario,
    trace_samples: &[PairSample],
    trace: &LaunchStatistics,
    options: &ValidationOptions,
) -> Validation {
    let never = AtomicBool::new(false);
    validate_until(scenario, trace_samples, trace, options, &never)
        .expect("an unset flag never cancels")
}

/// Validates like [`validate`], and stops when `cancel` is set. The flag is
/// read between chunks of simulated users.
///
/// # Errors
/// Returns [`Cancelled`] when `cancel` was set.
pub fn validate_until(
    scenario: &Scenario,
    trace_samples: &[PairSample],
    trace: &LaunchStatistics,
    options: &ValidationOptions,
    cancel: &AtomicBool,
) -> Result<Validation, Cancelled> {
    let windows: Vec<Window> = trace_samples
        .iter()
        .map(|s| Window {
            start_local_ms: s.window_start,
            length_ms: s.window_end - s.window_start,
        })
        .collect();
    let mut all = Vec::new();
    let mut by_replication = Vec::new();
    for replication in 0..options.replications {
        let samples = simulate_samples_until(
            scenario,
            &windows,
            options.copies,
            replication,
            options.seed,
            options.merge_gap_ms,
            cancel,
        )?;
        by_replication.push(LaunchStatistics::from_samples(&samples));
        all.extend(samples);
    }
    let pooled = LaunchStatistics::from_samples(&all);
    let mut comparisons = vec![
        Comparison::new(
            Statistic::LaunchesPerDay,
            trace.launches_per_day,
            pooled.launches_per_day,
            SCALAR_Z,
        ),
        Comparison::new(
            Statistic::ReopenWithin5m,
            trace.reopen_within_5m,
            pooled.reopen_within_5m,
            SCALAR_Z,
        ),
        Comparison::new(
            Statistic::ReopenWithin30m,
            trace.reopen_within_30m,
            pooled.reopen_within_30m,
            SCALAR_Z,
        ),
    ];
    for hour in 0..24 {
        comparisons.push(Comparison::new(
            Statistic::HourlyShare(hour),
            trace.hourly_share[hour],
            pooled.hourly_share[hour],
            HOURLY_Z,
        ));
    }
    let gap_ks_distance = ks_two_sample(&trace.gaps_s, &pooled.gaps_s);
    let gap_ks_critical =
        ks_critical_two_sample_5pct(trace.gaps_s.len().max(1), pooled.gaps_s.len().max(1));
    Ok(Validation {
        pooled,
        by_replication,
        comparisons,
        gap_ks_distance,
        gap_ks_critical,
    })
}
