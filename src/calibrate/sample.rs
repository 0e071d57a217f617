//! Launch samples: the visits of each (user, app) pair with the window in
//! which its user was observed, from a trace or from a simulation, and the
//! launch statistics computed the same way for both.

use std::collections::HashMap;

use crate::calibrate::numeric::quantile;
use crate::time::{MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE};
use crate::trace::Trace;

/// The visits of one (user, app) pair and the window in which its user was
/// observed. Times are local milliseconds: Unix milliseconds plus the
/// calibration's UTC offset, so that `t.rem_euclid(MS_PER_DAY)` is the
/// local time of day.
#[derive(Clone, Debug, PartialEq)]
pub struct PairSample {
    /// Visits as (open, close), sorted and not overlapping.
    pub visits: Vec<(i64, i64)>,
    /// Start of the observation window, at or before the first open.
    pub window_start: i64,
    /// End of the observation window, at or after the last close.
    pub window_end: i64,
}

impl PairSample {
    /// Returns the window length in days.
    pub fn window_days(&self) -> f64 {
        (self.window_end - self.window_start) as f64 / MS_PER_DAY as f64
    }
}

/// Builds one sample per pair of `trace`, shifted to local time by
/// `utc_offset_ms`.
///
/// A pair's window is its user's span in `spans_from`: from the user's
/// first open to the user's last close over every app there. Passing the
/// trace read without an app selection gives apps that a user rarely opens
/// the same window as the user's busy apps, so a single visit in eight
/// days counts as a rate of one in eight days. Users missing from
/// `spans_from` get the span of their own pairs in `trace`.
pub fn samples_from_trace(
    trace: &Trace,
    spans_from: &Trace,
    utc_offset_ms: i64,
) -> Vec<PairSample> {
    let mut spans: HashMap<&str, (i64, i64)> = HashMap::new();
    for source in [spans_from, trace] {
        for pair in &source.pairs {
            let (Some(first), Some(last)) = (pair.visits.first(), pair.visits.last()) else {
                continue;
            };
            let span = spans
                .entry(pair.user_id.as_str())
                .or_insert((first.open_ms, last.close_ms));
            span.0 = span.0.min(first.open_ms);
            span.1 = span.1.max(last.close_ms);
        }
    }
    trace
        .pairs
        .iter()
        .map(|pair| {
            let (start, end) = spans[pair.user_id.as_str()];
            PairSample {
                visits: pair
                    .visits
                    .iter()
                    .map(|v| (v.open_ms + utc_offset_ms, v.close_ms + utc_offset_ms))
                    .collect(),
                window_start: start + utc_offset_ms,
                window_end: end + utc_offset_ms,
            }
        })
        .collect()
}

/// Returns the timestamp resolution of the samples in milliseconds: 1,000
/// when every open and close is a whole second, otherwise 1.
pub fn resolution_ms(samples: &[PairSample]) -> i64 {
    let whole_seconds = samples
        .iter()
        .flat_map(|s| s.visits.iter())
        .all(|&(open, close)| open % 1_000 == 0 && close % 1_000 == 0);
    if whole_seconds {
        1_000
    } else {
        1
    }
}

/// Returns the local hour of day (0 to 23) of a local instant.
pub fn local_hour(local_ms: i64) -> usize {
    (local_ms.rem_euclid(MS_PER_DAY) / MS_PER_HOUR) as usize
}

/// Adds the length of `[from, to)` falling in each local hour to
/// `by_hour`, in days.
pub fn add_exposure(from: i64, to: i64, by_hour: &mut [f64; 24]) {
    if to <= from {
        return;
    }
    let whole_days = (to - from) / MS_PER_DAY;
    for slot in by_hour.iter_mut() {
        *slot += whole_days as f64 / 24.0;
    }
    let mut cursor = from + whole_days * MS_PER_DAY;
    while cursor < to {
        let boundary = (cursor.div_euclid(MS_PER_HOUR) + 1) * MS_PER_HOUR;
        let next = boundary.min(to);
        by_hour[local_hour(cursor)] += (next - cursor) as f64 / MS_PER_DAY as f64;
        cursor = next;
    }
}

/// A ratio of sums over units (pairs or simulated users) with its standard
/// error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ratio {
    /// Σ numerator / Σ denominator.
    pub value: f64,
    /// Standard error by the linearization of a ratio estimator:
    /// `sqrt(n / (n - 1) · Σ (y_i - R x_i)²) / Σ x_i` over the `n` units.
    pub standard_error: f64,
}

impl Ratio {
    /// Computes the ratio and its standard error from per-unit
    /// (numerator, denominator) pairs. NaN when the denominators sum to 0.
    pub fn from_units(units: impl Iterator<Item = (f64, f64)> + Clone) -> Ratio {
        let (mut sum_y, mut sum_x, mut n) = (0.0, 0.0, 0usize);
        for (y, x) in units.clone() {
            sum_y += y;
            sum_x += x;
            n += 1;
        }
        if sum_x <= 0.0 {
            return Ratio {
                value: f64::NAN,
                standard_error: f64::NAN,
            };
        }
        let value = sum_y / sum_x;
        let residuals: f64 = units.map(|(y, x)| (y - value * x).powi(2)).sum();
        let standard_error = if n > 1 {
            (n as f64 / (n as f64 - 1.0) * residuals).sqrt() / sum_x
        } else {
            f64::NAN
        };
        Ratio {
            value,
            standard_error,
        }
    }
}

/// The launch statistics a calibration must reproduce, computed the same
/// way from a trace and from a simulation.
#[derive(Clone, Debug)]
pub struct LaunchStatistics {
    /// Units: (user, app) pairs or simulated users.
    pub units: usize,
    /// Visits in all windows.
    pub visits: u64,
    /// Re-opens: gaps between consecutive visits of a unit.
    pub reopens: u64,
    /// Sum of the observation windows, in days.
    pub exposure_days: f64,
    /// Visits per unit per day of observation window.
    pub launches_per_day: Ratio,
    /// Share of re-opens at most 5 minutes after the previous close.
    pub reopen_within_5m: Ratio,
    /// Share of re-opens at most 30 minutes after the previous close.
    pub reopen_within_30m: Ratio,
    /// Share of opens in each local hour.
    pub hourly_share: [Ratio; 24],
    /// Visit lengths in seconds, sorted.
    pub sessions_s: Vec<f64>,
    /// Re-open gaps (close to next open) in seconds, sorted.
    pub gaps_s: Vec<f64>,
    /// Visits per day of each unit with at least one visit, sorted.
    pub unit_rates: Vec<f64>,
}

impl LaunchStatistics {
    /// Computes the statistics of `samples`.
    pub fn from_samples(samples: &[PairSample]) -> LaunchStatistics {
        let mut sessions_s = Vec::new();
        let mut gaps_s = Vec::new();
        let mut unit_rates = Vec::new();
        let mut per_unit = Vec::with_capacity(samples.len());
        for sample in samples {
            let mut unit = UnitCounts {
                window_days: sample.window_days(),
                visits: sample.visits.len() as f64,
                ..UnitCounts::default()
            };
            for &(open, close) in &sample.visits {
                sessions_s.push((close - open) as f64 / 1_000.0);
                unit.opens_by_hour[local_hour(open)] += 1.0;
            }
            for pair in sample.visits.windows(2) {
                let gap = pair[1].0 - pair[0].1;
                gaps_s.push(gap as f64 / 1_000.0);
                unit.reopens += 1.0;
                if gap <= 5 * MS_PER_MINUTE {
                    unit.within_5m += 1.0;
                }
                if gap <= 30 * MS_PER_MINUTE {
                    unit.within_30m += 1.0;
                }
            }
            if !sample.visits.is_empty() && unit.window_days > 0.0 {
                unit_rates.push(unit.visits / unit.window_days);
            }
            per_unit.push(unit);
        }
        sessions_s.sort_by(f64::total_cmp);
        gaps_s.sort_by(f64::total_cmp);
        unit_rates.sort_by(f64::total_cmp);
        let ratio = |y: fn(&UnitCounts) -> f64, x: fn(&UnitCounts) -> f64| {
            Ratio::from_units(per_unit.iter().map(move |u| (y(u), x(u))))
        };
        let hourly_share = std::array::from_fn(|hour| {
            Ratio::from_units(
                per_unit
                    .iter()
                    .map(move |u| (u.opens_by_hour[hour], u.visits)),
            )
        });
        LaunchStatistics {
            units: samples.len(),
            visits: per_unit.iter().map(|u| u.visits as u64).sum(),
            reopens: per_unit.iter().map(|u| u.reopens as u64).sum(),
            exposure_days: per_unit.iter().map(|u| u.window_days).sum(),
            launches_per_day: ratio(|u| u.visits, |u| u.window_days),
            reopen_within_5m: ratio(|u| u.within_5m, |u| u.reopens),
            reopen_within_30m: ratio(|u| u.within_30m, |u| u.reopens),
            hourly_share,
            sessions_s,
            gaps_s,
            unit_rates,
        }
    }

    /// Returns the median visit length in seconds.
    pub fn session_median_s(&self) -> f64 {
        quantile(&self.sessions_s, 0.5)
    }

    /// Returns the 90th percentile of visit length in seconds.
    pub fn session_p90_s(&self) -> f64 {
        quantile(&self.sessions_s, 0.9)
    }

    /// Returns the share of re-open gaps of at most `seconds`, which is the
    /// share of re-opens that are hot starts when the process survives
    /// exactly that long in the background.
    pub fn share_of_gaps_within(&self, seconds: f64) -> f64 {
        if self.gaps_s.is_empty() {
            return f64::NAN;
        }
        self.gaps_s.partition_point(|&g| g <= seconds) as f64 / self.gaps_s.len() as f64
    }
}

#[derive(Default)]
struct UnitCounts {
    window_days: f64,
    visits: f64,
    reopens: f64,
    within_5m: f64,
    within_30m: f64,
    opens_by_hour: [f64; 24],
}

/// Merges visits of each sample whose gap (close to next open) is at most
/// `merge_gap_ms`, as the trace reader does; 0 merges nothing.
pub fn merge_close_visits(samples: &mut [PairSample], merge_gap_ms: i64) {
    if merge_gap_ms <= 0 {
        return;
    }
    for sample in samples {
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(sample.visits.len());
        for &(open, close) in &sample.visits {
            match merged.last_mut() {
                Some(last) if open - last.1 <= merge_gap_ms => last.1 = close,
                _ => merged.push((open, close)),
            }
        }
        sample.visits = merged;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_splits_by_local_hour() {
        let mut by_hour = [0.0; 24];
        // 23:30 to 01:15 of the next day, then one whole day from 05:00.
        add_exposure(
            23 * MS_PER_HOUR + 30 * MS_PER_MINUTE,
            MS_PER_DAY + MS_PER_HOUR + 15 * MS_PER_MINUTE,
            &mut by_hour,
        );
        add_exposure(5 * MS_PER_HOUR, MS_PER_DAY + 5 * MS_PER_HOUR, &mut by_hour);
        let hour_in_days = 1.0 / 24.0;
        assert!((by_hour[23] - 1.5 * hour_in_days).abs() < 1e-12);
        assert!((by_hour[0] - 2.0 * hour_in_days).abs() < 1e-12);
        assert!((by_hour[1] - 1.25 * hour_in_days).abs() < 1e-12);
        assert!((by_hour[12] - hour_in_days).abs() < 1e-12);
        let total: f64 = by_hour.iter().sum();
        assert!((total - (1.75 / 24.0 + 1.0)).abs() < 1e-12);
    }

    #[test]
    fn ratio_standard_error_of_equal_units() {
        // Every unit has the same ratio, so the residuals and the standard
        // error are zero.
        let ratio = Ratio::from_units([(2.0, 1.0), (4.0, 2.0), (6.0, 3.0)].into_iter());
        assert_eq!(ratio.value, 2.0);
        assert_eq!(ratio.standard_error, 0.0);
    }

    #[test]
    fn statistics_of_two_pairs() {
        let minute = MS_PER_MINUTE;
        let samples = vec![
            PairSample {
                visits: vec![
                    (0, minute),
                    (3 * minute, 4 * minute),
                    (60 * minute, 61 * minute),
                ],
                window_start: 0,
                window_end: MS_PER_DAY,
            },
            PairSample {
                visits: vec![(13 * MS_PER_HOUR, 13 * MS_PER_HOUR + 30_000)],
                window_start: 0,
                window_end: MS_PER_DAY,
            },
        ];
        let stats = LaunchStatistics::from_samples(&samples);
        assert_eq!(stats.visits, 4);
        assert_eq!(stats.reopens, 2);
        assert_eq!(stats.launches_per_day.value, 2.0);
        assert_eq!(stats.reopen_within_5m.value, 0.5);
        assert_eq!(stats.reopen_within_30m.value, 0.5);
        assert_eq!(stats.hourly_share[0].value, 0.5);
        assert_eq!(stats.hourly_share[1].value, 0.25);
        assert_eq!(stats.hourly_share[13].value, 0.25);
        assert_eq!(stats.gaps_s, vec![120.0, 3_360.0]);
        assert_eq!(stats.unit_rates, vec![1.0, 3.0]);
        assert_eq!(stats.share_of_gaps_within(300.0), 0.5);
    }

    #[test]
    fn merge_joins_touching_visits() {
        let mut samples = vec![PairSample {
            visits: vec![(0, 1_000), (2_000, 3_000), (10_000, 11_000)],
            window_start: 0,
            window_end: 20_000,
        }];
        merge_close_visits(&mut samples, 1_000);
        assert_eq!(samples[0].visits, vec![(0, 3_000), (10_000, 11_000)]);
    }
}
