//! Forecast of a release's launch coverage from its first hours.
//!
//! [`forecast`] fits the parameters a team seldom has numbers for. A
//! Nelder–Mead search runs short simulations of the observed hours, all
//! with the same seed (common random numbers), and minimizes the squared
//! error between simulated and observed launch coverage. The parameters:
//!
//! - the share of clients with the periodic check;
//! - the prompt's accept rate, when the forecast policy is a prompt (the
//!   critical rate when the newest release is critical);
//! - a scale on every segment's keep-alive distribution.
//!
//! Their uncertainty comes from the Gauss–Newton approximation
//! `s² (JᵀJ)⁻¹` of the fit, with `J` the Jacobian of the simulated
//! coverage by central differences and `s²` the residual variance. The
//! forecast band simulates the whole horizon for parameter sets drawn from
//! that normal approximation, each with its own seed, so it contains both
//! the parameter uncertainty and the sampling noise of one replication.

pub mod observed;

use std::sync::atomic::{AtomicBool, Ordering};

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

use crate::engine::rng::{mix64, SimRng};
use crate::engine::runner::{self, RunOptions};
use crate::model::population::LaunchSource;
use crate::scenario::dist::DurationDist;
use crate::scenario::{Scenario, UpdateAction};
use crate::stats::aggregate::{band, time_to_reach, BandValue, Series, THRESHOLDS};
use crate::stats::bins::{Bins, Counter};
use crate::time::{SimDuration, MS_PER_HOUR, MS_PER_MINUTE};
use observed::ObservedPoint;

/// A parameter the forecast fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parameter {
    /// `client.periodic_check_share`.
    PeriodicCheckShare,
    /// The forecast policy's `accept` (or `accept_critical` when the newest
    /// release is critical).
    PromptAccept,
    /// Factor on every segment's keep-alive distribution.
    KeepAliveScale,
}

/// The search stops when the squared errors of the simplex differ by at
/// most this much, and its vertices by at most [`SEARCH_X_TOLERANCE`].
const SEARCH_TOLERANCE: f64 = 1e-8;
/// Largest distance on the search scale between simplex vertices at the
/// end of a search: 0.02 on the logit scale is about 0.5 percentage points
/// of a share near 0.5.
const SEARCH_X_TOLERANCE: f64 = 0.02;

/// Bounds of a share on the logit scale: 0.0009 to 0.9991.
const LOGIT_BOUND: f64 = 7.0;
/// Bounds of the keep-alive scale: 0.1 to 10.
const SCALE_BOUND: f64 = 10.0;

impl Parameter {
    /// Returns the name used in `forecast-summary.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Parameter::PeriodicCheckShare => "periodic_check_share",
            Parameter::PromptAccept => "prompt_accept",
            Parameter::KeepAliveScale => "keep_alive_scale",
        }
    }

    /// Maps a value to the unbounded scale of the search: logit for shares,
    /// natural log for the scale, clamped to the bounds.
    fn value_to_search(self, value: f64) -> f64 {
        match self {
            Parameter::KeepAliveScale => value
                .max(1e-9)
                .ln()
                .clamp(-SCALE_BOUND.ln(), SCALE_BOUND.ln()),
            _ => {
                let p = value.clamp(1e-6, 1.0 - 1e-6);
                (p / (1.0 - p)).ln().clamp(-LOGIT_BOUND, LOGIT_BOUND)
            }
        }
    }

    /// Maps a search value back, clamped to the bounds.
    fn search_to_value(self, x: f64) -> f64 {
        match self {
            Parameter::KeepAliveScale => x.clamp(-SCALE_BOUND.ln(), SCALE_BOUND.ln()).exp(),
            _ => 1.0 / (1.0 + (-x.clamp(-LOGIT_BOUND, LOGIT_BOUND)).exp()),
        }
    }

    /// Initial simplex step and finite-difference step on the search scale.
    fn steps(self) -> (f64, f64) {
        match self {
            Parameter::KeepAliveScale => (0.7, 0.15),
            _ => (1.0, 0.3),
        }
    }
}

/// Settings of a forecast.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastOptions {
    /// Index of the policy the app uses, in the scenario's order.
    pub policy: usize,
    /// Simulated existing users per run.
    pub users: u64,
    /// Parameter draws for the band.
    pub draws: usize,
    /// Master seed of the fitting runs; draw `d` uses a seed derived from
    /// it and `d`.
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Largest number of objective evaluations of the search.
    pub max_evaluations: usize,
}

/// A fitted parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParameterEstimate {
    /// Which parameter.
    pub parameter: Parameter,
    /// Best-fit value.
    pub estimate: f64,
    /// Value in the scenario before the fit.
    pub prior: f64,
    /// 5th percentile over the draws.
    pub low: f64,
    /// 95th percentile over the draws.
    pub high: f64,
    /// Standard error on the search scale (logit or log).
    pub search_standard_error: f64,
}

/// Hours from the newest release until launch coverage reaches a level and
/// stays there; `None` means not reached within the horizon.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reach {
    /// Coverage threshold in percent.
    pub threshold: u32,
    /// On the mean curve over the draws.
    pub estimate: Option<f64>,
    /// On the band's upper edge (the 95th percentile), the earliest.
    pub low: Option<f64>,
    /// On the band's lower edge (the 5th percentile), the latest.
    pub high: Option<f64>,
}

/// The result of a forecast.
#[derive(Clone, Debug)]
pub struct Forecast {
    /// The fitted parameters.
    pub parameters: Vec<ParameterEstimate>,
    /// Root mean squared error of the fit at the observed points.
    pub rmse: f64,
    /// Objective evaluations used by the search.
    pub evaluations: usize,
    /// The observed points.
    pub observed: Vec<ObservedPoint>,
    /// Simulated coverage at the observed intervals with the best fit.
    pub fitted_at_observed: Vec<f64>,
    /// Ends of the scenario's sample intervals, hours since t = 0.
    pub times_h: Vec<f64>,
    /// Best-fit launch coverage per interval.
    pub fitted: Vec<Option<f64>>,
    /// Mean and 90 % band over the draws per interval.
    pub band: Vec<Option<BandValue>>,
    /// Times to reach 50, 90, 95 and 99 % launch coverage.
    pub reach: Vec<Reach>,
    /// Publication of the newest release, hours since t = 0.
    pub release_h: f64,
}

/// Errors of [`forecast`].
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    /// Fewer observed points than parameters plus one.
    #[error("{found} observed points are too few to fit {parameters} parameters; give at least {needed}")]
    TooFewPoints {
        /// Points given.
        found: usize,
        /// Parameters fitted.
        parameters: usize,
        /// Points needed.
        needed: usize,
    },
    /// An observed interval ends before or at the newest release.
    #[error("the observed time {time_h} h at line {line} is not after the newest release at {release_h} h")]
    BeforeRelease {
        /// Line of the point.
        line: u64,
        /// Its time.
        time_h: f64,
        /// The newest release's publication.
        release_h: f64,
    },
    /// An observed interval ends after the scenario's horizon.
    #[error("the observed time {time_h} h at line {line} is after the scenario's horizon of {horizon_h} h")]
    AfterHorizon {
        /// Line of the point.
        line: u64,
        /// Its time.
        time_h: f64,
        /// The horizon.
        horizon_h: f64,
    },
    /// An observed time falls in the same whole minute as the previous one.
    #[error(
        "the observed time {time_h} h at line {line} rounds to the same minute as the previous row"
    )]
    SameMinute {
        /// Line of the point.
        line: u64,
        /// Its time.
        time_h: f64,
    },
    /// The scenario replays a trace, which the forecast does not support.
    #[error("the scenario replays a launch trace; forecast needs the synthetic launch model of population segments")]
    TraceScenario,
    /// The cancel flag of [`forecast_until`] was set.
    #[error("the forecast was cancelled")]
    Cancelled,
    /// A simulation failed.
    #[error(transparent)]
    Simulation(#[from] anyhow::Error),
}

/// Greatest common divisor.
fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs()
}

fn scale_distribution(dist: &DurationDist, factor: f64) -> DurationDist {
    let scale = |d: SimDuration| SimDuration((d.0 as f64 * factor).round() as i64);
    match dist {
        DurationDist::Fixed(d) => DurationDist::Fixed(scale(*d)),
        DurationDist::Exponential { mean } => DurationDist::Exponential {
            mean: SimDuration(scale(*mean).0.max(1)),
        },
        DurationDist::LogNormal { median, p90 } => {
            let median = SimDuration(scale(*median).0.max(1));
            DurationDist::LogNormal {
                median,
                p90: SimDuration(scale(*p90).0.max(median.0 + 1)),
            }
        }
        DurationDist::Uniform { min, max } => DurationDist::Uniform {
            min: scale(*min),
            max: scale(*max),
        },
    }
}

/// The scenario of the forecast policy, ready to take parameter values.
struct Model {
    base: Scenario,
    keep_alive: Vec<DurationDist>,
    parameters: Vec<Parameter>,
    accept_critical: bool,
}

impl Model {
    fn new(scenario: &Scenario, policy: usize) -> Model {
        let mut base = scenario.clone();
        base.policies = vec![scenario.policies[policy].clone()];
        let mut parameters = vec![Parameter::PeriodicCheckShare];
        if matches!(base.policies[0].action, UpdateAction::Prompt { .. }) {
            parameters.push(Parameter::PromptAccept);
        }
        parameters.push(Parameter::KeepAliveScale);
        let keep_alive = base
            .population
            .segments
            .iter()
            .map(|s| s.keep_alive.clone())
            .collect();
        let accept_critical = base.releases.last().is_some_and(|r| r.critical);
        Model {
            base,
            keep_alive,
            parameters,
            accept_critical,
        }
    }

    /// Returns the scenario's own values of the parameters.
    fn prior(&self) -> Vec<f64> {
        self.parameters
            .iter()
            .map(|parameter| match parameter {
                Parameter::PeriodicCheckShare => self.base.client.periodic_check_share,
                Parameter::PromptAccept => match self.base.policies[0].action {
                    UpdateAction::Prompt {
                        accept,
                        accept_critical,
                    } => {
                        if self.accept_critical {
                            accept_critical
                        } else {
                            accept
                        }
                    }
                    _ => 0.5,
                },
                Parameter::KeepAliveScale => 1.0,
            })
            .collect()
    }

    /// Returns the scenario with the given values (natural scale).
    fn with_values(&self, values: &[f64]) -> Scenario {
        let mut scenario = self.base.clone();
        for (parameter, &value) in self.parameters.iter().zip(values) {
            match parameter {
                Parameter::PeriodicCheckShare => scenario.client.periodic_check_share = value,
                Parameter::PromptAccept => {
                    if let UpdateAction::Prompt {
                        accept,
                        accept_critical,
                    } = &mut scenario.policies[0].action
                    {
                        if self.accept_critical {
                            *accept_critical = value;
                        } else {
                            *accept = value;
                        }
                    }
                }
                Parameter::KeepAliveScale => {
                    for (segment, base) in scenario
                        .population
                        .segments
                        .iter_mut()
                        .zip(&self.keep_alive)
                    {
                        segment.keep_alive = scale_distribution(base, value);
                    }
                }
            }
        }
        scenario
    }

    fn values(&self, search: &[f64]) -> Vec<f64> {
        self.parameters
            .iter()
            .zip(search)
            .map(|(p, &x)| p.search_to_value(x))
            .collect()
    }
}

/// Runs one replication of `scenario` and returns its counters. It stops
/// between chunks of users when `cancel` is set.
fn simulate(
    scenario: &Scenario,
    options: &ForecastOptions,
    seed: u64,
    cancel: &AtomicBool,
) -> Result<Bins, ForecastError> {
    let run_options = RunOptions {
        threads: options.threads,
        users: Some(options.users),
        replications: Some(1),
        seed: Some(seed),
        shard: None,
    };
    let output = runner::run_until(
        scenario,
        &LaunchSource::Synthetic,
        &run_options,
        &|_, _| {},
        cancel,
    )
    .map_err(|error| {
        if error.is::<runner::Cancelled>() {
            ForecastError::Cancelled
        } else {
            ForecastError::Simulation(error)
        }
    })?;
    Ok(output
        .bins
        .into_iter()
        .next()
        .and_then(|reps| reps.into_iter().next())
        .expect("one policy and one replication"))
}

/// Launch coverage of each interval `(start, end]` given in bins; NaN for
/// an interval without simulated launches.
fn interval_coverage(bins: &Bins, intervals: &[(usize, usize)]) -> Vec<f64> {
    let newest = bins.counter(Counter::LaunchesNewest);
    let launches = bins.counter(Counter::Launches);
    intervals
        .iter()
        .map(|&(first, last)| {
            let n: u64 = newest[first..last].iter().sum();
            let d: u64 = launches[first..last].iter().sum();
            if d == 0 {
                f64::NAN
            } else {
                n as f64 / d as f64
            }
        })
        .collect()
}

fn per_bin_coverage(bins: &Bins) -> Vec<Option<f64>> {
    let newest = bins.counter(Counter::LaunchesNewest);
    let launches = bins.counter(Counter::Launches);
    newest
        .iter()
        .zip(launches)
        .map(|(&n, &d)| (d > 0).then(|| n as f64 / d as f64))
        .collect()
}

/// Inverts a small symmetric positive-definite matrix by Gauss–Jordan
/// elimination; `None` when it is singular.
fn invert(matrix: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = matrix.len();
    let mut a: Vec<Vec<f64>> = matrix
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut extended = row.clone();
            extended.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            extended
        })
        .collect();
    for column in 0..n {
        let pivot =
            (column..n).max_by(|&x, &y| a[x][column].abs().total_cmp(&a[y][column].abs()))?;
        if a[pivot][column].abs() < 1e-300 {
            return None;
        }
        a.swap(column, pivot);
        let divisor = a[column][column];
        for value in a[column].iter_mut() {
            *value /= divisor;
        }
        for row in 0..n {
            if row != column {
                let factor = a[row][column];
                let pivot_row = a[column].clone();
                for (value, pivot_value) in a[row].iter_mut().zip(pivot_row) {
                    *value -= factor * pivot_value;
                }
            }
        }
    }
    Some(a.into_iter().map(|row| row[n..].to_vec()).collect())
}

/// Returns the lower Cholesky factor of a symmetric positive-definite
/// matrix, with non-positive pivots set to zero.
fn cholesky(matrix: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = matrix.len();
    let mut lower = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| lower[i][k] * lower[j][k]).sum();
            if i == j {
                lower[i][j] = (matrix[i][i] - sum).max(0.0).sqrt();
            } else if lower[j][j] > 0.0 {
                lower[i][j] = (matrix[i][j] - sum) / lower[j][j];
            }
        }
    }
    lower
}

fn percentile_of(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    crate::stats::aggregate::percentile(values, q)
}

/// Rounds an observed time in hours to whole minutes.
fn whole_minutes(time_h: f64) -> i64 {
    (time_h * 60.0).round() as i64
}

/// Returns the bin width of the fitting runs and their horizon, in
/// minutes. The bins are as wide as the largest whole number of minutes
/// that divides the scenario's bins, the newest release's publication and
/// every observed time, so each observed interval is a whole number of
/// bins. The horizon ends at the last observed time (0 without points).
fn fit_resolution(scenario: &Scenario, points: &[ObservedPoint]) -> (i64, i64) {
    let release_minutes = scenario.releases.last().map_or(0, |r| r.at.0) / MS_PER_MINUTE;
    let mut width_minutes = scenario.run.sample_every.0 / MS_PER_MINUTE;
    width_minutes = gcd(width_minutes, release_minutes);
    for point in points {
        width_minutes = gcd(width_minutes, whole_minutes(point.time_h));
    }
    let last_minutes = points.last().map_or(0, |p| whole_minutes(p.time_h));
    (width_minutes.max(1), last_minutes)
}

/// Returns the number of time bins of the fitting runs for `points`, which
/// the memory estimate of a forecast needs before it starts.
/// Times after the horizon count as the horizon, because the forecast
/// rejects them before any run.
pub fn fit_bins(scenario: &Scenario, points: &[ObservedPoint]) -> u64 {
    let (width_minutes, last_minutes) = fit_resolution(scenario, points);
    let horizon_minutes = scenario.run.horizon.0 / MS_PER_MINUTE;
    (last_minutes.clamp(0, horizon_minutes) / width_minutes) as u64
}

/// Fits the uncertain parameters of `scenario` under policy
/// `options.policy` to the observed launch coverage and forecasts the rest
/// of the curve.
///
/// Observed times are rounded to whole minutes. The first point's interval
/// starts at the newest release.
///
/// # Errors
/// Returns [`ForecastError`] for too few points, a point outside the
/// release-to-horizon span, a trace-replaying scenario, or a failed
/// simulation.
///
/// # Panics
/// Panics when `options.policy` is not a policy index of the scenario.
pub fn forecast(
    scenario: &Scenario,
    points: &[ObservedPoint],
    options: &ForecastOptions,
) -> Result<Forecast, ForecastError> {
    forecast_until(scenario, points, options, &AtomicBool::new(false))
}

/// Forecasts like [`forecast`], and stops when `cancel` is set, for
/// example by a signal handler. The flag is read before each simulation of
/// the search and between chunks of users within a simulation.
///
/// # Errors
/// As [`forecast`], and [`ForecastError::Cancelled`] when `cancel` was
/// set before the forecast finished.
///
/// # Panics
/// Panics when `options.policy` is not a policy index of the scenario.
pub fn forecast_until(
    scenario: &Scenario,
    points: &[ObservedPoint],
    options: &ForecastOptions,
    cancel: &AtomicBool,
) -> Result<Forecast, ForecastError> {
    if scenario.population.trace.is_some() {
        return Err(ForecastError::TraceScenario);
    }
    let model = Model::new(scenario, options.policy);
    let p = model.parameters.len();
    if points.len() < p + 1 {
        return Err(ForecastError::TooFewPoints {
            found: points.len(),
            parameters: p,
            needed: p + 1,
        });
    }
    let release = scenario.releases.last().map_or(0, |r| r.at.0);
    let release_h = release as f64 / MS_PER_HOUR as f64;
    let horizon_h = scenario.run.horizon.as_hours();
    let release_minutes = release / MS_PER_MINUTE;
    for (index, point) in points.iter().enumerate() {
        if index == 0 && whole_minutes(point.time_h) <= release_minutes {
            return Err(ForecastError::BeforeRelease {
                line: point.line,
                time_h: point.time_h,
                release_h,
            });
        }
        if point.time_h > horizon_h {
            return Err(ForecastError::AfterHorizon {
                line: point.line,
                time_h: point.time_h,
                horizon_h,
            });
        }
    }

    let (width_minutes, last_minutes) = fit_resolution(scenario, points);
    let mut fit_base = model.base.clone();
    fit_base.run.sample_every = SimDuration::from_minutes(width_minutes);
    fit_base.run.horizon = SimDuration::from_minutes(last_minutes);
    let fit_model = Model {
        base: fit_base,
        keep_alive: model.keep_alive.clone(),
        parameters: model.parameters.clone(),
        accept_critical: model.accept_critical,
    };
    let mut intervals = Vec::with_capacity(points.len());
    let mut start = release_minutes;
    for point in points {
        let end = whole_minutes(point.time_h);
        if end <= start {
            return Err(ForecastError::SameMinute {
                line: point.line,
                time_h: point.time_h,
            });
        }
        intervals.push((
            (start / width_minutes) as usize,
            (end / width_minutes) as usize,
        ));
        start = end;
    }
    let observed: Vec<f64> = points.iter().map(|p| p.launch_coverage).collect();

    let cancelled = || cancel.load(Ordering::Relaxed);
    let simulate_fit = |search: &[f64]| -> Result<Vec<f64>, ForecastError> {
        let scenario = fit_model.with_values(&fit_model.values(search));
        Ok(interval_coverage(
            &simulate(&scenario, options, options.seed, cancel)?,
            &intervals,
        ))
    };
    // An interval without simulated launches has no coverage to compare,
    // so it adds nothing rather than counting as 0 % coverage.
    let squared_error = |simulated: &[f64]| -> f64 {
        simulated
            .iter()
            .zip(&observed)
            .map(|(s, o)| (s - o).powi(2))
            .filter(|e| e.is_finite())
            .sum()
    };

    let prior = model.prior();
    let start_point: Vec<f64> = model
        .parameters
        .iter()
        .zip(&prior)
        .map(|(parameter, &value)| parameter.value_to_search(value).clamp(-4.0, 4.0))
        .collect();
    let simplex_step: Vec<f64> = model.parameters.iter().map(|p| p.steps().0).collect();
    let mut failure: Option<ForecastError> = None;
    let mut objective = |search: &[f64]| {
        // After a failed or cancelled simulation the search only finishes
        // its current iteration, so the remaining evaluations simulate
        // nothing.
        if failure.is_some() {
            return f64::INFINITY;
        }
        match simulate_fit(search) {
            Ok(simulated) => squared_error(&simulated),
            Err(error) => {
                failure = Some(error);
                f64::INFINITY
            }
        }
    };
    // A second search from the first one's result, with a fresh simplex,
    // leaves a collapsed simplex behind: the usual Nelder–Mead restart.
    let first = crate::calibrate::numeric::nelder_mead_until(
        &mut objective,
        &start_point,
        &simplex_step,
        SEARCH_TOLERANCE,
        SEARCH_X_TOLERANCE,
        options.max_evaluations / 2,
        &cancelled,
    );
    let second = crate::calibrate::numeric::nelder_mead_until(
        &mut objective,
        &first.point,
        &simplex_step,
        SEARCH_TOLERANCE,
        SEARCH_X_TOLERANCE,
        options.max_evaluations - options.max_evaluations / 2,
        &cancelled,
    );
    if let Some(error) = failure {
        return Err(error);
    }
    if cancelled() {
        return Err(ForecastError::Cancelled);
    }
    let evaluations = first.evaluations + second.evaluations;
    let best = if second.value <= first.value {
        second.point
    } else {
        first.point
    };
    let fitted_at_observed = simulate_fit(&best)?;
    let sse = squared_error(&fitted_at_observed);
    let n = points.len();

    // Gauss–Newton covariance on the search scale.
    let mut jacobian = vec![vec![0.0; p]; n];
    for j in 0..p {
        let h = model.parameters[j].steps().1;
        let mut up = best.clone();
        up[j] += h;
        let mut down = best.clone();
        down[j] -= h;
        let plus = simulate_fit(&up)?;
        let minus = simulate_fit(&down)?;
        for i in 0..n {
            let slope = (plus[i] - minus[i]) / (2.0 * h);
            jacobian[i][j] = if slope.is_finite() { slope } else { 0.0 };
        }
    }
    let mut information = vec![vec![0.0; p]; p];
    for row in &jacobian {
        for a in 0..p {
            for b in 0..p {
                information[a][b] += row[a] * row[b];
            }
        }
    }
    let ridge = 1e-9 + 1e-6 * (0..p).map(|a| information[a][a]).fold(0.0, f64::max);
    for (a, row) in information.iter_mut().enumerate() {
        row[a] += ridge;
    }
    let residual_variance = sse / (n - p) as f64;
    let covariance: Vec<Vec<f64>> = invert(&information)
        .unwrap_or_else(|| vec![vec![0.0; p]; p])
        .into_iter()
        .map(|row| row.into_iter().map(|v| v * residual_variance).collect())
        .collect();
    let lower = cholesky(&covariance);

    // Full-horizon runs: the best fit, then the draws.
    let fitted_bins = simulate(
        &model.with_values(&model.values(&best)),
        options,
        options.seed,
        cancel,
    )?;
    let fitted = per_bin_coverage(&fitted_bins);
    let bins = fitted.len();
    let width_ms = scenario.run.sample_every.0;
    let times_h: Vec<f64> = (1..=bins)
        .map(|k| (k as i64 * width_ms) as f64 / MS_PER_HOUR as f64)
        .collect();
    let mut draw_rng = SimRng::seed_from_u64(mix64(options.seed ^ 0x00F0_CA57));
    let mut draw_values: Vec<Vec<f64>> = Vec::with_capacity(options.draws);
    let mut draw_curves: Vec<Vec<Option<f64>>> = Vec::with_capacity(options.draws);
    for draw in 0..options.draws {
        let normals: Vec<f64> = (0..p)
            .map(|_| StandardNormal.sample(&mut draw_rng))
            .collect();
        let search: Vec<f64> = (0..p)
            .map(|i| best[i] + (0..=i).map(|k| lower[i][k] * normals[k]).sum::<f64>())
            .collect();
        let values = model.values(&search);
        let seed = mix64(options.seed.wrapping_add(draw as u64 + 1));
        let bins = simulate(&model.with_values(&values), options, seed, cancel)?;
        draw_curves.push(per_bin_coverage(&bins));
        draw_values.push(values);
    }
    let band_values: Vec<Option<BandValue>> = (0..bins)
        .map(|bin| band(&draw_curves.iter().map(|c| c[bin]).collect::<Vec<_>>()))
        .collect();

    // Coverage times follow `run`: the first sample from which the mean
    // curve stays at or above the level. The interval uses the band's
    // edges: the upper edge reaches the level first, the lower edge last.
    let edge = |pick: fn(&BandValue) -> f64| Series {
        metric: "launch_coverage".to_string(),
        values: band_values
            .iter()
            .map(|v| {
                v.map(|v| {
                    let value = pick(&v);
                    BandValue {
                        mean: value,
                        p05: value,
                        p95: value,
                    }
                })
            })
            .collect(),
    };
    let mean_curve = edge(|v| v.mean);
    let lower_edge = edge(|v| v.p05);
    let upper_edge = edge(|v| v.p95);
    let reach = THRESHOLDS
        .iter()
        .map(|&threshold| {
            let level = threshold as f64 / 100.0;
            Reach {
                threshold,
                estimate: time_to_reach(&times_h, &mean_curve, level, release_h),
                low: time_to_reach(&times_h, &upper_edge, level, release_h),
                high: time_to_reach(&times_h, &lower_edge, level, release_h),
            }
        })
        .collect();

    let best_values = model.values(&best);
    let parameters = model
        .parameters
        .iter()
        .enumerate()
        .map(|(i, &parameter)| {
            let mut drawn: Vec<f64> = draw_values.iter().map(|v| v[i]).collect();
            let (low, high) = if drawn.is_empty() {
                (best_values[i], best_values[i])
            } else {
                (
                    percentile_of(&mut drawn, 0.05),
                    percentile_of(&mut drawn, 0.95),
                )
            };
            ParameterEstimate {
                parameter,
                estimate: best_values[i],
                prior: prior[i],
                low,
                high,
                search_standard_error: covariance[i][i].max(0.0).sqrt(),
            }
        })
        .collect();
    Ok(Forecast {
        parameters,
        rmse: (sse / n as f64).sqrt(),
        evaluations,
        observed: points.to_vec(),
        fitted_at_observed,
        times_h,
        fitted,
        band: band_values,
        reach,
        release_h,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_scale_round_trips() {
        for parameter in [Parameter::PeriodicCheckShare, Parameter::KeepAliveScale] {
            for value in [0.2, 0.5, 0.9] {
                let back = parameter.search_to_value(parameter.value_to_search(value));
                assert!((back - value).abs() < 1e-12, "{parameter:?} {value} {back}");
            }
        }
        assert!((Parameter::KeepAliveScale.search_to_value(100.0) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn invert_two_by_two() {
        let inverse = invert(&[vec![4.0, 2.0], vec![2.0, 3.0]]).unwrap();
        // The inverse of [[4, 2], [2, 3]] is [[3, -2], [-2, 4]] / 8.
        assert!((inverse[0][0] - 0.375).abs() < 1e-12);
        assert!((inverse[0][1] + 0.25).abs() < 1e-12);
        assert!((inverse[1][1] - 0.5).abs() < 1e-12);
        assert!(invert(&[vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
    }

    #[test]
    fn cholesky_reproduces_matrix() {
        let matrix = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let lower = cholesky(&matrix);
        for i in 0..2 {
            for j in 0..2 {
                let product: f64 = (0..2).map(|k| lower[i][k] * lower[j][k]).sum();
                assert!((product - matrix[i][j]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn fit_bins_follow_observed_minutes() {
        let text = "[run]\nhorizon = \"2d\"\nsample_every = \"1h\"\n\n[[population.segment]]\nname = \"all\"\nshare = 1.0\nlaunches_per_day = 4.0\n\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n";
        let scenario = crate::scenario::parse(text, "s.toml", None).unwrap();
        let points = |hours: &[f64]| -> Vec<ObservedPoint> {
            hours
                .iter()
                .enumerate()
                .map(|(index, &time_h)| ObservedPoint {
                    line: index as u64 + 2,
                    time_h,
                    launch_coverage: 0.5,
                })
                .collect()
        };
        // Whole hours: hourly bins up to the last observed time.
        assert_eq!(fit_bins(&scenario, &points(&[1.0, 2.0, 3.0])), 3);
        // A half hour halves the width.
        assert_eq!(fit_bins(&scenario, &points(&[1.0, 1.5, 3.0])), 6);
        // 1.01 h is 61 minutes, so the bins are one minute wide.
        assert_eq!(fit_bins(&scenario, &points(&[1.0, 1.01, 3.0])), 180);
        // A time past the 2-day horizon counts as the horizon.
        assert_eq!(fit_bins(&scenario, &points(&[1.0, 500.0])), 48);
        assert_eq!(fit_bins(&scenario, &[]), 0);
    }

    #[test]
    fn gcd_of_minutes() {
        assert_eq!(gcd(15, 60), 15);
        assert_eq!(gcd(15, 0), 15);
        assert_eq!(gcd(60, 90), 30);
    }
}
