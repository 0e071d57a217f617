//! The mixture of launch rates: segments of pairs, each with a Poisson or a
//! bursty launch process, fitted by expectation–maximization (EM) on the
//! gaps between visits and chosen by the Bayesian information criterion.
//!
//! Every gap of a pair is one observation:
//!
//! - an *interior* gap, from a close to the next open, has the density
//!   `r · LN(g; mu, sigma) + (1 - r) · lambda · p(open) · exp(-lambda · u)`:
//!   with probability `r` the episode of use continues after a log-normal
//!   gap `g`, otherwise the next episode starts at the Poisson clock's next
//!   arrival. Here `u` is the gap in *operational days*, the integral of the
//!   daily profile `p` (mean 1) over the gap, as the simulator's clock
//!   integrates it;
//! - the *censored* gap from the last close to the end of the user's window
//!   contributes the probability that no open followed:
//!   `r · (1 - F_LN(g)) + (1 - r) · exp(-lambda · u)`;
//! - the *initial* gap from the window start to the first open is a
//!   Poisson arrival: `lambda · p(open) · exp(-lambda · u)`. Pairs whose
//!   first open starts the window have none.
//!
//! The Poisson family is the same with `r = 0`. A pair belongs to segment
//! `k` with probability `share_k`, and all its gaps follow that segment's
//! parameters. Times in densities are seconds.

use crate::calibrate::numeric::normal_sf;
use crate::calibrate::sample::{local_hour, PairSample};
use crate::model::launches::LaunchClock;
use crate::time::{SimTime, MS_PER_DAY, MS_PER_HOUR};

/// Natural log of the seconds in a day, to turn a rate per day into a
/// density per second.
const LN_SECONDS_PER_DAY: f64 = 11.366_742_954_792_146;

/// Largest number of EM iterations of one fit.
const MAX_ITERATIONS: usize = 2_000;

/// EM stops when the log-likelihood improves by less than this.
const TOLERANCE: f64 = 1e-7;

/// Smallest log-normal sigma of the burst gap, which keeps a segment from
/// collapsing onto a single repeated gap value.
const MIN_SIGMA: f64 = 0.05;

/// The launch process of every segment of a fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchFamily {
    /// Visits are a Poisson process shaped by the daily profile.
    Poisson,
    /// Episodes are a Poisson process, each with a geometric number of
    /// visits separated by log-normal gaps.
    Bursty,
}

impl LaunchFamily {
    /// Returns the free parameters of one segment.
    fn parameters_per_segment(self) -> usize {
        match self {
            LaunchFamily::Poisson => 1,
            LaunchFamily::Bursty => 4,
        }
    }
}

/// The launch parameters of one segment.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentRates {
    /// Share of pairs.
    pub share: f64,
    /// Episodes per operational day (visits per day for a Poisson segment).
    pub episodes_per_day: f64,
    /// Probability that an episode continues after a visit; 0 for Poisson.
    pub continue_probability: f64,
    /// Mean of the log burst gap in seconds.
    pub gap_mu: f64,
    /// Standard deviation of the log burst gap.
    pub gap_sigma: f64,
}

impl SegmentRates {
    /// Returns the mean visits per episode, `1 / (1 - r)`.
    pub fn mean_visits(&self) -> f64 {
        1.0 / (1.0 - self.continue_probability)
    }

    /// Returns the mean visits per day, the value of `launches_per_day`.
    pub fn launches_per_day(&self) -> f64 {
        self.episodes_per_day * self.mean_visits()
    }
}

/// One fitted mixture.
#[derive(Clone, Debug)]
pub struct MixtureFit {
    /// The launch process of the segments.
    pub family: LaunchFamily,
    /// Segments, sorted by launches per day, highest first.
    pub segments: Vec<SegmentRates>,
    /// Maximized log-likelihood, with densities per second.
    pub log_likelihood: f64,
    /// Observations: interior, censored and initial gaps.
    pub observations: usize,
    /// EM iterations used.
    pub iterations: usize,
    /// Whether EM met its tolerance before the iteration limit.
    pub converged: bool,
    /// Posterior segment probabilities, one row per pair.
    pub responsibilities: Vec<Vec<f64>>,
}

impl MixtureFit {
    /// Returns the number of free parameters.
    pub fn parameters(&self) -> usize {
        let k = self.segments.len();
        k * self.family.parameters_per_segment() + k - 1
    }

    /// Returns the Bayesian information criterion,
    /// `-2 ln L + parameters · ln(observations)`; lower is better.
    pub fn bic(&self) -> f64 {
        -2.0 * self.log_likelihood + self.parameters() as f64 * (self.observations as f64).ln()
    }
}

/// An interior gap, from a close to the next open.
#[derive(Clone, Copy, Debug)]
struct InteriorGap {
    ln_seconds: f64,
    operational_days: f64,
    ln_profile: f64,
}

/// The gaps of one pair under a given daily profile.
#[derive(Clone, Debug)]
pub struct PairGaps {
    interior: Vec<InteriorGap>,
    /// (seconds, operational days) of the gap after the last close.
    censored: Option<(f64, f64)>,
    /// (operational days, ln profile at the open) before the first open.
    initial: Option<(f64, f64)>,
    crude_rate: f64,
}

impl PairGaps {
    /// Returns the number of observations of the pair.
    fn observations(&self) -> usize {
        self.interior.len()
            + usize::from(self.censored.is_some())
            + usize::from(self.initial.is_some())
    }
}

/// Computes the gaps of every sample under `profile` (24 hourly values
/// with mean 1). Gaps shorter than `floor_ms` count as `floor_ms`, so the
/// log-normal density stays finite when touching visits were not merged.
pub fn prepare_gaps(samples: &[PairSample], profile: &[f64; 24], floor_ms: i64) -> Vec<PairGaps> {
    let clock = LaunchClock::new(1.0, profile, 0);
    let operational = |from: i64, to: i64| clock.integrated(SimTime(from), SimTime(to));
    samples
        .iter()
        .map(|sample| {
            let mut interior = Vec::with_capacity(sample.visits.len().saturating_sub(1));
            for pair in sample.visits.windows(2) {
                let (close, open) = (pair[0].1, pair[1].0);
                let seconds = (open - close).max(floor_ms) as f64 / 1_000.0;
                interior.push(InteriorGap {
                    ln_seconds: seconds.ln(),
                    operational_days: operational(close, open),
                    ln_profile: profile[local_hour(open)].ln(),
                });
            }
            let censored = sample.visits.last().map(|&(_, close)| {
                let seconds = (sample.window_end - close).max(0) as f64 / 1_000.0;
                (seconds, operational(close, sample.window_end))
            });
            let initial = sample.visits.first().and_then(|&(open, _)| {
                (open > sample.window_start).then(|| {
                    (
                        operational(sample.window_start, open),
                        profile[local_hour(open)].ln(),
                    )
                })
            });
            let window_days = (sample.window_days()).max(MS_PER_HOUR as f64 / MS_PER_DAY as f64);
            PairGaps {
                interior,
                censored,
                initial,
                crude_rate: sample.visits.len() as f64 / window_days,
            }
        })
        .collect()
}

/// Log density of an interior gap and the posterior probability that it
/// continued an episode.
fn interior_term(segment: &SegmentRates, gap: &InteriorGap) -> (f64, f64) {
    let lambda = segment.episodes_per_day;
    let r = segment.continue_probability;
    let poisson = (1.0 - r).ln() + lambda.ln() - LN_SECONDS_PER_DAY + gap.ln_profile
        - lambda * gap.operational_days;
    if r <= 0.0 {
        return (poisson, 0.0);
    }
    let z = (gap.ln_seconds - segment.gap_mu) / segment.gap_sigma;
    let burst = r.ln()
        - 0.5 * z * z
        - gap.ln_seconds
        - segment.gap_sigma.ln()
        - 0.5 * (2.0 * std::f64::consts::PI).ln();
    let total = log_add(burst, poisson);
    (total, (burst - total).exp())
}

/// Log survival of the censored gap and the posterior probability that the
/// episode was still going on.
fn censored_term(segment: &SegmentRates, seconds: f64, operational_days: f64) -> (f64, f64) {
    let r = segment.continue_probability;
    let poisson = (1.0 - r).ln() - segment.episodes_per_day * operational_days;
    if r <= 0.0 {
        return (poisson, 0.0);
    }
    let survival = if seconds > 0.0 {
        normal_sf((seconds.ln() - segment.gap_mu) / segment.gap_sigma)
    } else {
        1.0
    };
    let burst = r.ln() + survival.max(f64::MIN_POSITIVE).ln();
    let total = log_add(burst, poisson);
    (total, (burst - total).exp())
}

fn initial_term(segment: &SegmentRates, operational_days: f64, ln_profile: f64) -> f64 {
    let lambda = segment.episodes_per_day;
    lambda.ln() - LN_SECONDS_PER_DAY + ln_profile - lambda * operational_days
}

fn log_add(a: f64, b: f64) -> f64 {
    let high = a.max(b);
    if high == f64::NEG_INFINITY {
        return high;
    }
    high + ((a - high).exp() + (b - high).exp()).ln()
}

/// Returns the log-likelihood of one pair under one segment, without the
/// segment's share.
fn pair_log_likelihood(segment: &SegmentRates, gaps: &PairGaps) -> f64 {
    let mut total: f64 = gaps
        .interior
        .iter()
        .map(|gap| interior_term(segment, gap).0)
        .sum();
    if let Some((seconds, days)) = gaps.censored {
        total += censored_term(segment, seconds, days).0;
    }
    if let Some((days, ln_profile)) = gaps.initial {
        total += initial_term(segment, days, ln_profile);
    }
    total
}

/// Returns segment responsibilities of every pair and the log-likelihood.
fn expectation(segments: &[SegmentRates], data: &[PairGaps]) -> (Vec<Vec<f64>>, f64) {
    let mut log_likelihood = 0.0;
    let responsibilities = data
        .iter()
        .map(|gaps| {
            let logs: Vec<f64> = segments
                .iter()
                .map(|s| s.share.max(f64::MIN_POSITIVE).ln() + pair_log_likelihood(s, gaps))
                .collect();
            let high = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = logs.iter().map(|l| (l - high).exp()).sum();
            log_likelihood += high + sum.ln();
            logs.iter().map(|l| (l - high).exp() / sum).collect()
        })
        .collect();
    (responsibilities, log_likelihood)
}

/// Weighted sums of one segment for the maximization step.
#[derive(Default)]
struct Sums {
    weight: f64,
    burst: f64,
    continuable: f64,
    events: f64,
    exposure: f64,
    burst_weight: f64,
    burst_ln: f64,
    burst_ln2: f64,
}

fn maximization(
    family: LaunchFamily,
    segments: &[SegmentRates],
    data: &[PairGaps],
    responsibilities: &[Vec<f64>],
) -> Vec<SegmentRates> {
    segments
        .iter()
        .enumerate()
        .map(|(k, segment)| {
            let mut sums = Sums::default();
            for (gaps, row) in data.iter().zip(responsibilities) {
                let w = row[k];
                if w < 1e-12 {
                    continue;
                }
                sums.weight += w;
                for gap in &gaps.interior {
                    let (_, t) = interior_term(segment, gap);
                    sums.burst += w * t;
                    sums.continuable += w;
                    sums.events += w * (1.0 - t);
                    sums.exposure += w * (1.0 - t) * gap.operational_days;
                    sums.burst_weight += w * t;
                    sums.burst_ln += w * t * gap.ln_seconds;
                    sums.burst_ln2 += w * t * gap.ln_seconds * gap.ln_seconds;
                }
                if let Some((seconds, days)) = gaps.censored {
                    let (_, t) = censored_term(segment, seconds, days);
                    sums.burst += w * t;
                    sums.continuable += w;
                    sums.exposure += w * (1.0 - t) * days;
                }
                if let Some((days, _)) = gaps.initial {
                    sums.events += w;
                    sums.exposure += w * days;
                }
            }
            let mut next = segment.clone();
            next.share = sums.weight / data.len() as f64;
            if sums.weight < 1e-9 {
                return next;
            }
            if sums.exposure > 0.0 && sums.events > 0.0 {
                next.episodes_per_day = (sums.events / sums.exposure).max(1e-6);
            }
            if family == LaunchFamily::Bursty && sums.continuable > 0.0 {
                next.continue_probability = (sums.burst / sums.continuable).clamp(1e-6, 0.995);
                // The log-normal is fitted to interior gaps only: the
                // censored gaps' burst share is negligible, because they
                // last until the end of the window.
                if sums.burst_weight > 1e-9 {
                    let mu = sums.burst_ln / sums.burst_weight;
                    let variance = (sums.burst_ln2 / sums.burst_weight - mu * mu).max(0.0);
                    next.gap_mu = mu;
                    next.gap_sigma = variance.sqrt().max(MIN_SIGMA);
                }
            }
            next
        })
        .collect()
}

/// Initial segments from a grouping of the pairs.
fn initial_segments(
    family: LaunchFamily,
    data: &[PairGaps],
    groups: &[usize],
    k: usize,
) -> Vec<SegmentRates> {
    (0..k)
        .map(|group| {
            let members: Vec<&PairGaps> = data
                .iter()
                .zip(groups)
                .filter(|(_, g)| **g == group)
                .map(|(gaps, _)| gaps)
                .collect();
            let rate = if members.is_empty() {
                1.0
            } else {
                members.iter().map(|g| g.crude_rate).sum::<f64>() / members.len() as f64
            };
            let bursty = family == LaunchFamily::Bursty;
            SegmentRates {
                share: (members.len().max(1)) as f64 / data.len() as f64,
                episodes_per_day: if bursty { rate / 2.0 } else { rate }.max(1e-3),
                continue_probability: if bursty { 0.5 } else { 0.0 },
                gap_mu: 60f64.ln(),
                gap_sigma: 1.5,
            }
        })
        .collect()
}

/// Groups pairs into `k` groups of equal size by crude launch rate.
fn groups_by_rank(data: &[PairGaps], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by(|&a, &b| data[a].crude_rate.total_cmp(&data[b].crude_rate));
    let mut groups = vec![0; data.len()];
    for (rank, &index) in order.iter().enumerate() {
        groups[index] = rank * k / data.len().max(1);
    }
    groups
}

/// Groups pairs into `k` groups of equal width in log crude launch rate.
fn groups_by_log_rate(data: &[PairGaps], k: usize) -> Vec<usize> {
    let logs: Vec<f64> = data.iter().map(|g| g.crude_rate.max(1e-6).ln()).collect();
    let low = logs.iter().copied().fold(f64::INFINITY, f64::min);
    let high = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let width = (high - low).max(1e-9) / k as f64;
    logs.iter()
        .map(|l| (((l - low) / width) as usize).min(k - 1))
        .collect()
}

fn run_em(family: LaunchFamily, data: &[PairGaps], mut segments: Vec<SegmentRates>) -> MixtureFit {
    let observations = data.iter().map(PairGaps::observations).sum();
    let (mut responsibilities, mut log_likelihood) = expectation(&segments, data);
    let mut iterations = 0;
    let mut converged = false;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        segments = maximization(family, &segments, data, &responsibilities);
        let (next_responsibilities, next_log_likelihood) = expectation(&segments, data);
        let improvement = next_log_likelihood - log_likelihood;
        responsibilities = next_responsibilities;
        log_likelihood = next_log_likelihood;
        if improvement.abs() < TOLERANCE * log_likelihood.abs().max(1.0) {
            converged = true;
            break;
        }
    }
    // Sort segments by launches per day, highest first, and their
    // responsibility columns with them.
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by(|&a, &b| {
        segments[b]
            .launches_per_day()
            .total_cmp(&segments[a].launches_per_day())
    });
    let segments = order.iter().map(|&k| segments[k].clone()).collect();
    let responsibilities = responsibilities
        .iter()
        .map(|row| order.iter().map(|&k| row[k]).collect())
        .collect();
    MixtureFit {
        family,
        segments,
        log_likelihood,
        observations,
        iterations,
        converged,
        responsibilities,
    }
}

/// Fits a mixture of `k` segments of one family, starting EM from two
/// groupings of the pairs (equal counts and equal log-rate widths) and
/// keeping the fit with the higher likelihood.
///
/// # Panics
/// Panics when `k` is 0 or `data` is empty.
pub fn fit_mixture(family: LaunchFamily, data: &[PairGaps], k: usize) -> MixtureFit {
    assert!(
        k > 0 && !data.is_empty(),
        "a mixture needs segments and pairs"
    );
    let mut best: Option<MixtureFit> = None;
    for groups in [groups_by_rank(data, k), groups_by_log_rate(data, k)] {
        let fit = run_em(family, data, initial_segments(family, data, &groups, k));
        if best
            .as_ref()
            .is_none_or(|b| fit.log_likelihood > b.log_likelihood)
        {
            best = Some(fit);
        }
    }
    best.expect("two starts ran")
}

/// Returns, for every visit of every pair, the probability that its open
/// started an episode (rather than continuing one) under `fit`. The first
/// visit of a pair always starts one.
pub fn episode_start_weights(fit: &MixtureFit, data: &[PairGaps]) -> Vec<Vec<f64>> {
    data.iter()
        .zip(&fit.responsibilities)
        .map(|(gaps, row)| {
            let mut weights = Vec::with_capacity(gaps.interior.len() + 1);
            weights.push(1.0);
            for gap in &gaps.interior {
                let burst: f64 = fit
                    .segments
                    .iter()
                    .zip(row)
                    .map(|(segment, w)| w * interior_term(segment, gap).1)
                    .sum();
                weights.push(1.0 - burst);
            }
            weights
        })
        .collect()
}

/// Smallest profile value relative to the mean, so that an hour without
/// observed opens keeps a small intensity rather than none.
pub const MIN_PROFILE: f64 = 0.01;

/// Returns each pair's expected episode rate under `fit`: the segments'
/// rates weighted by the pair's segment probabilities.
pub fn pair_rates(fit: &MixtureFit) -> Vec<f64> {
    fit.responsibilities
        .iter()
        .map(|row| {
            row.iter()
                .zip(&fit.segments)
                .map(|(w, segment)| w * segment.episodes_per_day)
                .sum()
        })
        .collect()
}

/// Estimates the daily profile from opens per local hour, each weighted by
/// `open_weights` (1 for every open when `None`). The opens are divided by
/// the time the pairs spent in their windows outside a visit in that hour,
/// and the result is scaled to a mean of 1. Each pair's time is weighted
/// by its rate in `pair_rates` (equal rates when `None`).
///
/// This is the maximum-likelihood estimate of a piecewise constant profile
/// that multiplies each pair's own rate. Without pair rates, heavy users
/// observed mostly in some hours would lift those hours.
pub fn estimate_profile(
    samples: &[PairSample],
    open_weights: Option<&[Vec<f64>]>,
    pair_rates: Option<&[f64]>,
) -> [f64; 24] {
    let mut opens = [0.0; 24];
    let mut exposure = [0.0; 24];
    for (index, sample) in samples.iter().enumerate() {
        let mut pair_exposure = [0.0; 24];
        let mut cursor = sample.window_start;
        for (visit, &(open, close)) in sample.visits.iter().enumerate() {
            let weight = open_weights.map_or(1.0, |w| w[index][visit]);
            opens[local_hour(open)] += weight;
            crate::calibrate::sample::add_exposure(cursor, open, &mut pair_exposure);
            cursor = close;
        }
        crate::calibrate::sample::add_exposure(cursor, sample.window_end, &mut pair_exposure);
        let rate = pair_rates.map_or(1.0, |rates| rates[index]);
        for (total, own) in exposure.iter_mut().zip(pair_exposure) {
            *total += rate * own;
        }
    }
    let mut profile = [0.0; 24];
    for hour in 0..24 {
        profile[hour] = if exposure[hour] > 0.0 {
            opens[hour] / exposure[hour]
        } else {
            0.0
        };
    }
    normalize_profile(&mut profile);
    for value in profile.iter_mut() {
        *value = value.max(MIN_PROFILE);
    }
    normalize_profile(&mut profile);
    profile
}

fn normalize_profile(profile: &mut [f64; 24]) {
    let mean = profile.iter().sum::<f64>() / 24.0;
    for value in profile.iter_mut() {
        *value = if mean > 0.0 { *value / mean } else { 1.0 };
    }
}
