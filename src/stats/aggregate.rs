//! From counters to curves: per-bin values of each replication, then their
//! mean and 90 % band across replications, and the per-policy summary.

use crate::engine::runner::RunOutput;
use crate::scenario::Scenario;
use crate::stats::bins::{Bins, Counter, Gauge, Total};
use crate::stats::field;
use crate::stats::histogram::Histogram;
use crate::time::{SimTime, MS_PER_HOUR};

/// One metric's value in one bin, across replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandValue {
    /// Mean over replications with a value.
    pub mean: f64,
    /// 5th percentile across replications.
    pub p05: f64,
    /// 95th percentile across replications.
    pub p95: f64,
}

/// A metric's curve: one optional band per bin (`None`: no replication had
/// data in the bin, e.g. no launches).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The metric name, as in `timeseries.csv`.
    pub metric: String,
    /// Values by bin.
    pub values: Vec<Option<BandValue>>,
}

/// The curves and summary of one policy.
#[derive(Clone, Debug)]
pub struct PolicyResult {
    /// Policy name.
    pub policy: String,
    /// Curves in output order.
    pub series: Vec<Series>,
    /// Summary figures in output order; `None` means "not reached".
    pub summary: Vec<(String, Option<f64>)>,
}

/// Everything the output files are made from.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// Sample instants (end of each bin), in hours since t = 0.
    pub times_h: Vec<f64>,
    /// One entry per policy, in scenario order.
    pub policies: Vec<PolicyResult>,
    /// Existing users per replication.
    pub users: u64,
    /// Replications.
    pub replications: u32,
    /// Master seed.
    pub seed: u64,
    /// Publication time of the newest release, hours.
    pub last_release_h: f64,
}

/// Percentile with linear interpolation between order statistics (the
/// "type 7" definition used by NumPy and R by default).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = q * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    let fraction = position - low as f64;
    sorted[low] + (sorted[high] - sorted[low]) * fraction
}

/// Mean and percentiles of the values present.
pub fn band(values: &[Option<f64>]) -> Option<BandValue> {
    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
    if present.is_empty() {
        return None;
    }
    present.sort_by(|a, b| a.total_cmp(b));
    let mean = present.iter().sum::<f64>() / present.len() as f64;
    Some(BandValue {
        mean,
        p05: percentile(&present, 0.05),
        p95: percentile(&present, 0.95),
    })
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The coverage measures, as (metric name, summary prefix).
pub const COVERAGES: [&str; 4] = [
    "launch_coverage",
    "session_coverage",
    "installed_coverage",
    "active_user_coverage",
];

/// Thresholds of the tXX figures, in percent.
pub const THRESHOLDS: [u32; 4] = [50, 90, 95, 99];

pub(crate) fn per_bin(
    reps: &[Bins],
    f: impl Fn(&Bins, usize) -> Option<f64>,
) -> Vec<Option<BandValue>> {
    let bins = reps.first().map_or(0, |b| b.bins());
    (0..bins)
        .map(|bin| {
            let values: Vec<Option<f64>> = reps.iter().map(|b| f(b, bin)).collect();
            band(&values)
        })
        .collect()
}

/// Hours from `from_h` to the first sample at or after it from which the
/// mean stays at or above `threshold` until the horizon; bins without data
/// neither start nor break a run.
pub fn time_to_reach(times_h: &[f64], series: &Series, threshold: f64, from_h: f64) -> Option<f64> {
    let mut candidate: Option<f64> = None;
    for (time, value) in times_h.iter().zip(&series.values) {
        // A sample at the release instant closes a bin that lies wholly before it.
        if *time <= from_h {
            continue;
        }
        match value {
            Some(v) if v.mean >= threshold - 1e-12 => {
                candidate.get_or_insert(*time);
            }
            Some(_) => candidate = None,
            None => {}
        }
    }
    candidate.map(|t| t - from_h)
}

const COUNT_METRICS: [(&str, Counter); 20] = [
    ("launches", Counter::Launches),
    ("cold_starts", Counter::ColdStarts),
    ("hot_starts", Counter::HotStarts),
    ("checks", Counter::Checks),
    ("downloads_started", Counter::DownloadsStarted),
    ("downloads_completed", Counter::DownloadsCompleted),
    ("downloads_failed", Counter::DownloadsFailed),
    ("bytes_downloaded", Counter::BytesDownloaded),
    ("sync_updates", Counter::SyncUpdates),
    ("sync_failures", Counter::SyncFailures),
    ("prompts_shown", Counter::PromptsShown),
    ("prompts_accepted", Counter::PromptsAccepted),
    ("prompts_declined", Counter::PromptsDeclined),
    ("forced_restarts", Counter::ForcedRestarts),
    ("resume_restarts", Counter::ResumeRestarts),
    ("incident_launches", Counter::IncidentLaunches),
    ("failed_launches", Counter::FailedLaunches),
    ("first_launches", Counter::FirstLaunches),
    ("sync_delay_s", Counter::SyncDelayMs),
    ("foreground_hours", Counter::ForegroundMs),
];

/// Turns the counters of a run into curves and summaries.
pub fn aggregate(scenario: &Scenario, output: &RunOutput) -> RunResult {
    let bins = scenario.run.bins();
    let width_ms = scenario.run.sample_every.0;
    let times_h: Vec<f64> = (1..=bins)
        .map(|k| (k as i64 * width_ms) as f64 / MS_PER_HOUR as f64)
        .collect();
    let last_release = scenario.releases.last().map_or(SimTime::ZERO, |r| r.at);
    // Bins that end at or before the first release have no new version to
    // cover (see the coverage series below).
    let first_release = scenario.releases.get(1).map_or(SimTime::ZERO, |r| r.at);
    let before_release = bins_before(first_release, width_ms).min(bins);
    let last_release_h = last_release.as_hours();
    let width_s = width_ms as f64 / 1000.0;
    let policies = scenario
        .policies
        .iter()
        .zip(&output.bins)
        .map(|(policy, reps)| {
            let mut series = Vec::new();
            let launch = per_bin(reps, |b, i| {
                ratio(
                    b.counter(Counter::LaunchesNewest)[i],
                    b.counter(Counter::Launches)[i],
                )
            });
            let session = per_bin(reps, |b, i| {
                ratio(
                    b.counter(Counter::ForegroundNewestMs)[i],
                    b.counter(Counter::ForegroundMs)[i],
                )
            });
            let installed_gauges: Vec<(Vec<u64>, Vec<u64>)> = reps
                .iter()
                .map(|b| (b.gauge(Gauge::InstalledNewest), b.gauge(Gauge::Users)))
                .collect();
            let active_gauges: Vec<(Vec<u64>, Vec<u64>)> = reps
                .iter()
                .map(|b| (b.gauge(Gauge::ActiveNewest), b.gauge(Gauge::ActiveUsers)))
                .collect();
            let from_gauges = |gauges: &[(Vec<u64>, Vec<u64>)]| -> Vec<Option<BandValue>> {
                (0..bins)
                    .map(|i| {
                        band(
                            &gauges
                                .iter()
                                .map(|(n, d)| ratio(n[i], d[i]))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect()
            };
            let installed = from_gauges(&installed_gauges);
            let active = from_gauges(&active_gauges);
            for (name, mut values) in [
                ("launch_coverage", launch),
                ("session_coverage", session),
                ("installed_coverage", installed),
                ("active_user_coverage", active),
            ] {
                // Before the first release the baseline is the newest
                // version, so coverage would read 1. There is nothing to
                // cover yet, so those bins are left empty.
                values[..before_release].fill(None);
                series.push(Series {
                    metric: name.into(),
                    values,
                });
            }
            for (name, counter) in COUNT_METRICS {
                let scale = match counter {
                    Counter::SyncDelayMs => 1e-3,
                    Counter::ForegroundMs => 1.0 / MS_PER_HOUR as f64,
                    _ => 1.0,
                };
                series.push(Series {
                    metric: name.into(),
                    values: per_bin(reps, |b, i| Some(b.counter(counter)[i] as f64 * scale)),
                });
            }
            series.push(Series {
                metric: "incident_session_hours".into(),
                values: per_bin(reps, |b, i| {
                    Some(b.counter(Counter::IncidentForegroundMs)[i] as f64 / MS_PER_HOUR as f64)
                }),
            });
            series.push(Series {
                metric: "download_bytes_per_s".into(),
                values: per_bin(reps, |b, i| {
                    Some(b.counter(Counter::BytesDownloaded)[i] as f64 / width_s)
                }),
            });
            series.push(Series {
                metric: "users".into(),
                values: (0..bins)
                    .map(|i| {
                        band(
                            &installed_gauges
                                .iter()
                                .map(|(_, d)| Some(d[i] as f64))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect(),
            });
            series.push(Series {
                metric: "active_users".into(),
                values: (0..bins)
                    .map(|i| {
                        band(
                            &active_gauges
                                .iter()
                                .map(|(_, d)| Some(d[i] as f64))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect(),
            });
            for (package, version) in scenario.versions.iter().enumerate() {
                series.push(Series {
                    metric: format!("version_share:{version}"),
                    values: per_bin(reps, |b, i| {
                        ratio(
                            b.version_launches(package)[i],
                            b.counter(Counter::Launches)[i],
                        )
                    }),
                });
            }
            series.extend(field::series(scenario, reps));
            let mut summary = summarize(scenario, reps, &series, &times_h, last_release_h, width_s);
            summary.extend(field::summary(scenario, reps));
            PolicyResult {
                policy: policy.name.clone(),
                series,
                summary,
            }
        })
        .collect();
    let mut result = RunResult {
        times_h,
        policies,
        users: output.users,
        replications: output.replications,
        seed: output.seed,
        last_release_h,
    };
    field::append_clients(scenario, output, &mut result);
    result
}

pub(crate) fn mean_over(reps: &[Bins], f: impl Fn(&Bins) -> f64) -> f64 {
    reps.iter().map(f).sum::<f64>() / reps.len().max(1) as f64
}

fn summarize(
    scenario: &Scenario,
    reps: &[Bins],
    series: &[Series],
    times_h: &[f64],
    last_release_h: f64,
    width_s: f64,
) -> Vec<(String, Option<f64>)> {
    let mut summary = Vec::new();
    for name in COVERAGES {
        let curve = series
            .iter()
            .find(|s| s.metric == name)
            .expect("coverage series exists");
        for threshold in THRESHOLDS {
            let reached = time_to_reach(times_h, curve, threshold as f64 / 100.0, last_release_h);
            summary.push((format!("t{threshold}_{name}_h"), reached));
        }
    }
    // A window that starts at or after the horizon contains no launch to
    // count, so its figure is empty rather than 0.
    let horizon_h = scenario.run.horizon.0 as f64 / MS_PER_HOUR as f64;
    for (name, total, after_h) in [
        ("old_launches_after_24h", Total::OldLaunchesAfter24h, 24.0),
        ("old_launches_after_72h", Total::OldLaunchesAfter72h, 72.0),
    ] {
        let value = (last_release_h + after_h < horizon_h)
            .then(|| mean_over(reps, |b| b.total(total) as f64));
        summary.push((name.into(), value));
    }
    let per_1k = |counter: Counter| {
        Some(mean_over(reps, |b| {
            b.counter_sum(counter) as f64 * 1000.0 / b.total(Total::Users).max(1) as f64
        }))
    };
    summary.push((
        "forced_restarts_per_1k_users".into(),
        per_1k(Counter::ForcedRestarts),
    ));
    summary.push((
        "resume_restarts_per_1k_users".into(),
        per_1k(Counter::ResumeRestarts),
    ));
    summary.push((
        "prompts_shown_per_1k_users".into(),
        per_1k(Counter::PromptsShown),
    ));
    summary.push((
        "sync_updates_per_1k_users".into(),
        per_1k(Counter::SyncUpdates),
    ));
    let mut delays = Histogram::default();
    for b in reps {
        delays.merge(&b.sync_delays);
    }
    summary.push((
        "sync_delay_p50_s".into(),
        delays.quantile(0.5).map(|ms| ms / 1000.0),
    ));
    summary.push((
        "sync_delay_p95_s".into(),
        delays.quantile(0.95).map(|ms| ms / 1000.0),
    ));
    let rate = series
        .iter()
        .find(|s| s.metric == "download_bytes_per_s")
        .expect("rate series exists");
    let peak = rate
        .values
        .iter()
        .flatten()
        .map(|v| v.mean)
        .fold(0.0, f64::max);
    summary.push(("peak_download_bytes_per_s".into(), Some(peak)));
    let _ = width_s;
    summary.push((
        "bytes_downloaded_total".into(),
        Some(mean_over(reps, |b| {
            b.counter_sum(Counter::BytesDownloaded) as f64
        })),
    ));
    summary.push((
        "launches_total".into(),
        Some(mean_over(reps, |b| b.counter_sum(Counter::Launches) as f64)),
    ));
    summary.push((
        "failed_launches_total".into(),
        Some(mean_over(reps, |b| {
            b.counter_sum(Counter::FailedLaunches) as f64
        })),
    ));
    if !scenario.incidents.is_empty() {
        summary.push((
            "incident_launches_total".into(),
            Some(mean_over(reps, |b| {
                b.counter_sum(Counter::IncidentLaunches) as f64
            })),
        ));
        summary.push((
            "incident_session_hours_total".into(),
            Some(mean_over(reps, |b| {
                b.counter_sum(Counter::IncidentForegroundMs) as f64 / MS_PER_HOUR as f64
            })),
        ));
    }
    summary.push((
        "users_total".into(),
        Some(mean_over(reps, |b| b.total(Total::Users) as f64)),
    ));
    summary.push((
        "events_total".into(),
        Some(mean_over(reps, |b| b.total(Total::Events) as f64)),
    ));
    summary
}

/// Returns the number of bins of `width_ms` that end at or before `at`.
fn bins_before(at: SimTime, width_ms: i64) -> usize {
    (at.0.max(0) / width_ms) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates_linearly() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&sorted, 0.0), 1.0);
        assert_eq!(percentile(&sorted, 0.5), 3.0);
        assert!((percentile(&sorted, 0.05) - 1.2).abs() < 1e-12);
        assert!((percentile(&sorted, 0.95) - 4.8).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn time_to_reach_requires_staying_above() {
        let times = [1.0, 2.0, 3.0, 4.0, 5.0];
        let value = |mean: f64| {
            Some(BandValue {
                mean,
                p05: mean,
                p95: mean,
            })
        };
        let series = Series {
            metric: "x".into(),
            values: vec![value(0.5), value(0.96), value(0.9), value(0.97), None],
        };
        assert_eq!(time_to_reach(&times, &series, 0.95, 0.0), Some(4.0));
        assert_eq!(time_to_reach(&times, &series, 0.95, 1.0), Some(3.0));
        assert_eq!(time_to_reach(&times, &series, 0.99, 0.0), None);
        assert_eq!(time_to_reach(&times, &series, 0.5, 0.0), Some(1.0));
    }

    #[test]
    fn time_to_reach_skips_bin_ending_at_release() {
        // The sample at 2.0 closes the bin (1, 2], which lies wholly before a
        // release at 2.0, so even a high value there does not count.
        let times = [1.0, 2.0, 3.0];
        let value = |mean: f64| {
            Some(BandValue {
                mean,
                p05: mean,
                p95: mean,
            })
        };
        let series = Series {
            metric: "x".into(),
            values: vec![value(1.0), value(1.0), value(1.0)],
        };
        assert_eq!(time_to_reach(&times, &series, 0.5, 2.0), Some(1.0));
    }
}
