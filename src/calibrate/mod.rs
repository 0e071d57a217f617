//! Calibration of a scenario's population from a launch trace.
//!
//! [`calibrate`] fits, from the visits of each (user, app) pair:
//!
//! 1. the daily profile: opens that start an episode of use, per local
//!    hour, divided by the time the pairs were observed outside a visit in
//!    that hour, each pair's time weighted by its fitted rate
//!    ([`mixture::estimate_profile`]);
//! 2. the segments: a mixture of launch rates fitted by EM on the gaps
//!    between visits, for 1 to `max_segments` segments and for both launch
//!    processes (Poisson, and bursty episodes of use), choosing the lowest
//!    BIC ([`mixture`]). The profile is estimated again from the chosen
//!    fit's episode starts, and the candidates are refitted with it;
//! 3. each segment's visit length: a log-normal fitted by interval-censored
//!    maximum likelihood, weighted by the pairs' segment probabilities
//!    ([`session`]).
//!
//! Keep-alive is not fitted, because a trace shows when users come back,
//! not when the platform destroys a process. It stays the platform
//! profile's; [`Calibration::hot_start_shares`] shows which share of
//! re-opens each keep-alive would make hot.
//!
//! [`scenario_text`] writes the result as a commented scenario, and
//! [`validate`] simulates that scenario and compares its launch
//! statistics with the trace's.

pub mod mixture;
pub mod numeric;
pub mod report;
pub mod sample;
pub mod scenario_text;
pub mod session;
pub mod validate;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::time::MS_PER_SECOND;
use mixture::{episode_start_weights, estimate_profile, fit_mixture, pair_rates, prepare_gaps};
pub use mixture::{LaunchFamily, MixtureFit};
use sample::{resolution_ms, LaunchStatistics, PairSample};
use session::{fit_with_goodness, LogNormalFit};

/// Largest number of segments a calibration may try.
pub const MAX_SEGMENTS: usize = 8;

/// Default largest number of segments. On the shipped Android trace the
/// BIC falls up to 5 segments and rises at 6, so 6 lets the criterion
/// choose rather than the limit.
pub const DEFAULT_MAX_SEGMENTS: usize = 6;

/// Settings of a calibration.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrateOptions {
    /// Largest number of segments to try, 1 to [`MAX_SEGMENTS`].
    pub max_segments: usize,
    /// Visits of a pair at most this many milliseconds apart were merged
    /// when the trace was read; recorded for the report and the validation.
    pub merge_gap_ms: i64,
    /// Offset of the trace's local time from UTC, in milliseconds.
    pub utc_offset_ms: i64,
}

/// One candidate model of the selection.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Launch process.
    pub family: LaunchFamily,
    /// Number of segments.
    pub segments: usize,
    /// Maximized log-likelihood.
    pub log_likelihood: f64,
    /// Free parameters.
    pub parameters: usize,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Whether EM converged.
    pub converged: bool,
}

/// One fitted segment, ready to be written as a scenario segment.
#[derive(Clone, Debug)]
pub struct FittedSegment {
    /// Name in the scenario.
    pub name: String,
    /// Share of users.
    pub share: f64,
    /// Pairs whose most probable segment this is.
    pub pairs: usize,
    /// Mean visits per day (the scenario's `launches_per_day`).
    pub launches_per_day: f64,
    /// Episodes of use per day.
    pub episodes_per_day: f64,
    /// Bursts, when the bursty process was chosen.
    pub burst: Option<FittedBurst>,
    /// Visit length.
    pub session: LogNormalFit,
}

/// The burst parameters of a fitted segment.
#[derive(Clone, Copy, Debug)]
pub struct FittedBurst {
    /// Mean visits per episode.
    pub mean_visits: f64,
    /// Gap between visits of an episode.
    pub gap: session::LogNormal,
}

/// The result of a calibration.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// The options used.
    pub options: CalibrateOptions,
    /// Resolution of the trace's timestamps, milliseconds.
    pub resolution_ms: i64,
    /// Statistics of the trace.
    pub statistics: LaunchStatistics,
    /// Relative launch intensity per local hour, mean 1.
    pub daily_profile: [f64; 24],
    /// Every candidate model, in the order tried.
    pub candidates: Vec<Candidate>,
    /// The chosen mixture.
    pub chosen: MixtureFit,
    /// The chosen segments in scenario form.
    pub segments: Vec<FittedSegment>,
    /// First open and last close of the trace, local milliseconds.
    pub span: (i64, i64),
}

impl Calibration {
    /// Returns the share of the trace's re-opens that would be hot starts
    /// for a keep-alive of each of `keep_alive_s` seconds: the share of
    /// gaps from a close to the next open of at most that long.
    pub fn hot_start_shares(&self, keep_alive_s: &[f64]) -> Vec<f64> {
        keep_alive_s
            .iter()
            .map(|&seconds| self.statistics.share_of_gaps_within(seconds))
            .collect()
    }
}

/// Errors of a calibration.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalibrateError {
    /// The trace has no pair with a re-open, so no gap can be fitted.
    #[error("the trace has no (user, app) pair with two visits, so there is no gap between visits to fit")]
    NoReopens,
    /// `max_segments` is outside 1 to [`MAX_SEGMENTS`].
    #[error("invalid maximum number of segments {0}: use 1 to {MAX_SEGMENTS}")]
    InvalidMaxSegments(usize),
    /// The cancel flag of [`calibrate_until`] was set.
    #[error("the calibration was cancelled")]
    Cancelled,
}

/// Fits every candidate model under one profile and returns them with the
/// index of the lowest BIC. `cancel` is read before each candidate's fit.
fn fit_candidates(
    samples: &[PairSample],
    profile: &[f64; 24],
    options: &CalibrateOptions,
    floor_ms: i64,
    cancel: &AtomicBool,
) -> Result<(Vec<MixtureFit>, usize), CalibrateError> {
    let data = prepare_gaps(samples, profile, floor_ms);
    let max_k = options.max_segments.min(samples.len());
    let mut fits = Vec::new();
    for family in [LaunchFamily::Poisson, LaunchFamily::Bursty] {
        for k in 1..=max_k {
            if cancel.load(Ordering::Relaxed) {
                return Err(CalibrateError::Cancelled);
            }
            fits.push(fit_mixture(family, &data, k));
        }
    }
    let best = (0..fits.len())
        .min_by(|&a, &b| fits[a].bic().total_cmp(&fits[b].bic()))
        .expect("at least one candidate");
    Ok((fits, best))
}

/// Segment names by rank of launch rate, highest first.
fn segment_names(count: usize) -> Vec<String> {
    let names: &[&str] = match count {
        1 => &["all"],
        2 => &["frequent", "occasional"],
        3 => &["frequent", "regular", "occasional"],
        4 => &["frequent", "regular", "occasional", "rare"],
        5 => &["very-frequent", "frequent", "regular", "occasional", "rare"],
        _ => &[],
    };
    if names.is_empty() {
        (1..=count).map(|k| format!("segment-{k}")).collect()
    } else {
        names.iter().map(|n| n.to_string()).collect()
    }
}

/// Calibrates a population from trace samples.
///
/// # Errors
/// Returns [`CalibrateError`] for an invalid `max_segments` or a trace
/// without any re-open.
pub fn calibrate(
    samples: &[PairSample],
    options: &CalibrateOptions,
) -> Result<Calibration, CalibrateError> {
    calibrate_until(samples, options, &AtomicBool::new(false))
}

/// Calibrates like [`calibrate`], and stops when `cancel` is set, for
/// example by a signal handler. The flag is read before each candidate
/// model's fit.
///
/// # Errors
/// As [`calibrate`], and [`CalibrateError::Cancelled`] when `cancel` was
/// set before the last fit.
pub fn calibrate_until(
    samples: &[PairSample],
    options: &CalibrateOptions,
    cancel: &AtomicBool,
) -> Result<Calibration, CalibrateError> {
    if !(1..=MAX_SEGMENTS).contains(&options.max_segments) {
        return Err(CalibrateError::InvalidMaxSegments(options.max_segments));
    }
    if samples.iter().all(|s| s.visits.len() < 2) {
        return Err(CalibrateError::NoReopens);
    }
    let resolution = resolution_ms(samples);
    // Gaps shorter than half the resolution are not measured; they count
    // as that long, which matters only when touching visits are kept.
    let floor_ms = (resolution / 2).max(1);

    let first_profile = estimate_profile(samples, None, None);
    let (first_fits, first_best) =
        fit_candidates(samples, &first_profile, options, floor_ms, cancel)?;
    let first_data = prepare_gaps(samples, &first_profile, floor_ms);
    let first_fit = &first_fits[first_best];
    let weights = episode_start_weights(first_fit, &first_data);
    let rates = pair_rates(first_fit);
    let daily_profile = estimate_profile(samples, Some(&weights), Some(&rates));
    let (fits, best) = fit_candidates(samples, &daily_profile, options, floor_ms, cancel)?;

    let candidates = fits
        .iter()
        .map(|fit| Candidate {
            family: fit.family,
            segments: fit.segments.len(),
            log_likelihood: fit.log_likelihood,
            parameters: fit.parameters(),
            bic: fit.bic(),
            converged: fit.converged,
        })
        .collect();
    let chosen = fits[best].clone();
    let segments = fitted_segments(samples, &chosen, resolution);
    let span = (
        samples
            .iter()
            .filter_map(|s| s.visits.first().map(|v| v.0))
            .min()
            .unwrap_or(0),
        samples
            .iter()
            .filter_map(|s| s.visits.last().map(|v| v.1))
            .max()
            .unwrap_or(0),
    );
    Ok(Calibration {
        options: options.clone(),
        resolution_ms: resolution,
        statistics: LaunchStatistics::from_samples(samples),
        daily_profile,
        candidates,
        chosen,
        segments,
        span,
    })
}

fn fitted_segments(
    samples: &[PairSample],
    fit: &MixtureFit,
    resolution_ms: i64,
) -> Vec<FittedSegment> {
    let names = segment_names(fit.segments.len());
    let resolution_s = resolution_ms as f64 / MS_PER_SECOND as f64;
    fit.segments
        .iter()
        .enumerate()
        .map(|(k, rates)| {
            let durations: Vec<(f64, f64)> = samples
                .iter()
                .zip(&fit.responsibilities)
                .flat_map(|(sample, row)| {
                    let weight = row[k];
                    sample
                        .visits
                        .iter()
                        .map(move |&(open, close)| ((close - open) as f64 / 1_000.0, weight))
                })
                .collect();
            let session = fit_with_goodness(&durations, resolution_s).unwrap_or(LogNormalFit {
                distribution: session::LogNormal {
                    mu: 60f64.ln(),
                    sigma: 1.0,
                },
                weight: 0.0,
                ks_distance: f64::NAN,
                ks_count: 0,
            });
            let pairs = fit
                .responsibilities
                .iter()
                .filter(|row| {
                    let best = (0..row.len())
                        .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                        .unwrap_or(0);
                    best == k
                })
                .count();
            let burst = (fit.family == LaunchFamily::Bursty).then(|| FittedBurst {
                mean_visits: rates.mean_visits(),
                gap: session::LogNormal {
                    mu: rates.gap_mu,
                    sigma: rates.gap_sigma,
                },
            });
            FittedSegment {
                name: names[k].clone(),
                share: rates.share,
                pairs,
                launches_per_day: rates.launches_per_day(),
                episodes_per_day: rates.episodes_per_day,
                burst,
                session,
            }
        })
        .collect()
}
