//! Chart data built from a run's results: one curve per policy (or per
//! version) with the mean and the p05–p95 band across replications, and the
//! instants worth marking. Nothing here draws; `charts` turns these into
//! [`LineChart`](crate::output::chart::LineChart)s.

use crate::i18n::Lang;
use crate::output::chart::{BandPoint, BandSeries, VerticalMarker};
use crate::scenario::Scenario;
use crate::stats::aggregate::{PolicyResult, RunResult, Series};
use crate::time::SimTime;

/// Returns the curve of `metric` for one policy, if the run produced it.
pub fn find_series<'a>(policy: &'a PolicyResult, metric: &str) -> Option<&'a Series> {
    policy.series.iter().find(|series| series.metric == metric)
}

/// Converts a curve into chart points at the sample instants `times_h`. A
/// bin without data becomes NaN, so the line breaks there.
pub fn band_series(times_h: &[f64], series: &Series, label: String) -> BandSeries {
    let points = times_h
        .iter()
        .zip(&series.values)
        .map(|(&x, value)| match value {
            Some(band) => BandPoint {
                x,
                mean: band.mean,
                low: band.p05,
                high: band.p95,
            },
            None => BandPoint {
                x,
                mean: f64::NAN,
                low: f64::NAN,
                high: f64::NAN,
            },
        })
        .collect();
    BandSeries { label, points }
}

/// Builds one curve of `metric` per policy, labelled with the policy name, in
/// scenario order. A policy without that metric gets an empty curve, so
/// every policy keeps its colour across charts.
pub fn per_policy(result: &RunResult, metric: &str) -> Vec<BandSeries> {
    result
        .policies
        .iter()
        .map(|policy| match find_series(policy, metric) {
            Some(series) => band_series(&result.times_h, series, policy.policy.clone()),
            None => BandSeries {
                label: policy.policy.clone(),
                points: Vec::new(),
            },
        })
        .collect()
}

/// One curve per version with that version's share of launches under one
/// policy, labelled with the version. Versions that no launch ran are left
/// out.
pub fn version_shares(result: &RunResult, scenario: &Scenario, policy: usize) -> Vec<BandSeries> {
    let policy = &result.policies[policy];
    scenario
        .versions
        .iter()
        .filter_map(|version| {
            let series = find_series(policy, &format!("version_share:{version}"))?;
            let launched = series.values.iter().flatten().any(|band| band.mean > 0.0);
            launched.then(|| band_series(&result.times_h, series, version.clone()))
        })
        .collect()
}

/// Finds the bin with the highest mean of `metric` under one policy and
/// returns (sample instant in hours, mean). Returns `None` when the curve
/// is missing or never above zero.
pub fn peak(result: &RunResult, policy: usize, metric: &str) -> Option<(f64, f64)> {
    let series = find_series(&result.policies[policy], metric)?;
    let mut best: Option<(f64, f64)> = None;
    for (&time, value) in result.times_h.iter().zip(&series.values) {
        let Some(band) = value else { continue };
        if band.mean > 0.0 && best.is_none_or(|(_, mean)| band.mean > mean) {
            best = Some((time, band.mean));
        }
    }
    best
}

/// Builds one line per policy through the values of a sweep: `values[policy][i]`
/// is the summary figure at `xs[i]`, `None` where it is empty (such as
/// "not reached"). Sweep figures are means, so the lines have no band.
pub fn sweep_lines(xs: &[f64], policies: &[(String, Vec<Option<f64>>)]) -> Vec<BandSeries> {
    policies
        .iter()
        .map(|(name, values)| BandSeries {
            label: name.clone(),
            points: xs
                .iter()
                .zip(values)
                .map(|(&x, value)| BandPoint {
                    x,
                    mean: value.unwrap_or(f64::NAN),
                    low: f64::NAN,
                    high: f64::NAN,
                })
                .collect(),
        })
        .collect()
}

/// Builds a vertical marker at each publication (releases, hotfixes, rollbacks)
/// and at each revert of a phased release, in hours since t = 0. Events at
/// the same instant share one marker.
pub fn release_markers(scenario: &Scenario, lang: Lang) -> Vec<VerticalMarker> {
    let mut events: Vec<(SimTime, String)> = Vec::new();
    for release in &scenario.releases[1..] {
        let label = if release.is_rollback {
            match lang {
                Lang::En => format!("rollback to {}", release.version),
                Lang::ZhCn => format!("回退到 {}", release.version),
            }
        } else {
            match lang {
                Lang::En => format!("{} released", release.version),
                Lang::ZhCn => format!("{} 发布", release.version),
            }
        };
        events.push((release.at, label));
        if let Some(revert) = release.revert_at {
            let label = match lang {
                Lang::En => format!("{} reverted", release.version),
                Lang::ZhCn => format!("{} 撤回", release.version),
            };
            events.push((revert, label));
        }
    }
    merge_markers(events)
}

/// Builds a vertical marker at the start and the end of each incident.
pub fn incident_markers(scenario: &Scenario, lang: Lang) -> Vec<VerticalMarker> {
    let horizon = SimTime::ZERO + scenario.run.horizon;
    let mut events: Vec<(SimTime, String)> = Vec::new();
    for incident in &scenario.incidents {
        let start = match lang {
            Lang::En => format!("{} starts", incident.name),
            Lang::ZhCn => format!("{} 开始", incident.name),
        };
        events.push((incident.from, start));
        if incident.until < horizon {
            let end = match lang {
                Lang::En => format!("{} ends", incident.name),
                Lang::ZhCn => format!("{} 结束", incident.name),
            };
            events.push((incident.until, end));
        }
    }
    merge_markers(events)
}

fn merge_markers(mut events: Vec<(SimTime, String)>) -> Vec<VerticalMarker> {
    events.sort_by_key(|(at, _)| *at);
    let mut markers: Vec<(SimTime, VerticalMarker)> = Vec::new();
    for (at, label) in events {
        match markers.last_mut() {
            Some((last, marker)) if *last == at => {
                marker.label.push_str(", ");
                marker.label.push_str(&label);
            }
            _ => markers.push((
                at,
                VerticalMarker {
                    x: at.as_hours(),
                    label,
                },
            )),
        }
    }
    markers.into_iter().map(|(_, marker)| marker).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::aggregate::BandValue;

    fn band(mean: f64) -> Option<BandValue> {
        Some(BandValue {
            mean,
            p05: mean - 0.1,
            p95: mean + 0.1,
        })
    }

    #[test]
    fn missing_bins_become_nan() {
        let series = Series {
            metric: "launch_coverage".into(),
            values: vec![band(0.5), None],
        };
        let chart = band_series(&[0.25, 0.5], &series, "none".into());
        assert_eq!(chart.points[0].mean, 0.5);
        assert_eq!(chart.points[0].low, 0.4);
        assert_eq!(chart.points[0].high, 0.6);
        assert!(chart.points[1].mean.is_nan());
        assert!(chart.points[1].low.is_nan());
        assert_eq!(chart.points[1].x, 0.5);
    }

    #[test]
    fn markers_at_one_instant_merge() {
        let text = "[population]\nusers = 10\nbaseline_version = \"1.0\"\n\
            [[release]]\nversion = \"2.0\"\nat = \"1h\"\n\
            rollout = [{ at = \"0h\", percent = 10 }]\nrevert_at = \"2h\"\n\
            [[release]]\nversion = \"2.1\"\nat = \"3h\"\n";
        let scenario = crate::scenario::parse(text, "test.toml", None).expect("valid");
        let markers = release_markers(&scenario, Lang::En);
        assert_eq!(markers.len(), 2);
        assert_eq!(markers[0].x, 1.0);
        assert_eq!(markers[0].label, "2.0 released");
        assert_eq!(markers[1].x, 3.0);
        assert_eq!(markers[1].label, "2.0 reverted, 2.1 released");
    }
}
