//! The policy comparison table of the report: summary figures by row,
//! policies by column, and the best value of each row marked.

use crate::i18n::Lang;
use crate::output::csv::format_number;
use crate::report::charts::Coverage;
use crate::stats::aggregate::{RunResult, THRESHOLDS};
use crate::units::format_bytes;

/// Display format of a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Hours; `None` is "not reached".
    Hours,
    /// A mean count.
    Count,
    /// A rate per 1,000 users, one decimal.
    PerThousand,
    /// Seconds; `None` is "no synchronous update".
    Seconds,
    /// Bytes per second.
    Rate,
}

/// One cell: a policy's value of one figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// The policy's name.
    pub policy: String,
    /// The value exactly as `summary.csv` writes it (empty: none).
    pub csv_value: String,
    /// The value as the report shows it.
    pub text: String,
    /// The row's best value: the lowest, marked only where the policies
    /// differ.
    pub best: bool,
}

/// One figure across the policies.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The metric name in `summary.csv`.
    pub metric: String,
    /// The figure's name in the report language.
    pub label: String,
    /// One cell per policy, in scenario order.
    pub cells: Vec<Cell>,
}

/// Rows under one heading.
#[derive(Clone, Debug, PartialEq)]
pub struct RowGroup {
    /// The heading in the report language.
    pub heading: String,
    /// The rows.
    pub rows: Vec<Row>,
}

/// The whole comparison table.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonTable {
    /// Column headings: the policy names in scenario order.
    pub policies: Vec<String>,
    /// Row groups in report order.
    pub groups: Vec<RowGroup>,
}

/// Returns a policy's summary figure, or `None` when it is empty or absent.
pub fn summary_value(result: &RunResult, policy: usize, metric: &str) -> Option<f64> {
    result.policies[policy]
        .summary
        .iter()
        .find(|(name, _)| name == metric)
        .and_then(|(_, value)| *value)
}

fn has_metric(result: &RunResult, metric: &str) -> bool {
    result
        .policies
        .first()
        .is_some_and(|policy| policy.summary.iter().any(|(name, _)| name == metric))
}

fn format_value(value: Option<f64>, format: Format, lang: Lang) -> String {
    let Some(value) = value else {
        return match format {
            Format::Hours => lang.pick("not reached", "未达到").to_string(),
            _ => "–".to_string(),
        };
    };
    match format {
        Format::Hours => format!("{value:.2}"),
        Format::Count => group_thousands(value.round()),
        Format::PerThousand => format!("{value:.1}"),
        Format::Seconds => format!("{value:.2}"),
        Format::Rate => format!("{}/s", format_bytes(value)),
    }
}

/// Formats a number rounded to a whole number (halves away from zero) with a
/// comma between groups of three digits.
pub fn group_thousands(value: f64) -> String {
    // `{:.0}` alone rounds halves to even, so 1,062.5 would read 1,062 in a
    // sentence and 1,063 in the table.
    let digits = format!("{:.0}", value.abs().round());
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if value < 0.0 && digits != "0" {
        grouped.insert(0, '-');
    }
    grouped
}

/// Builds a row, marking the lowest value. A missing time ("not reached")
/// counts as the worst; other missing values take no part.
fn row(result: &RunResult, metric: &str, label: String, format: Format, lang: Lang) -> Row {
    let values: Vec<Option<f64>> = (0..result.policies.len())
        .map(|policy| summary_value(result, policy, metric))
        .collect();
    let comparable: Vec<Option<f64>> = values
        .iter()
        .map(|value| match (value, format) {
            (None, Format::Hours) => Some(f64::INFINITY),
            _ => *value,
        })
        .collect();
    let present: Vec<f64> = comparable.iter().flatten().copied().collect();
    let lowest = present.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // Values closer than a billionth of the lowest value (and at least
    // 1e-9) are equal, so ties are all marked and rounding noise is not.
    let tolerance = 1e-9 * lowest.abs().max(1.0);
    let differ = present.len() > 1 && highest - lowest > tolerance;
    let cells = result
        .policies
        .iter()
        .zip(values.iter().zip(&comparable))
        .map(|(policy, (value, compared))| Cell {
            policy: policy.policy.clone(),
            csv_value: value.map(format_number).unwrap_or_default(),
            text: format_value(*value, format, lang),
            best: differ
                && lowest.is_finite()
                && compared.is_some_and(|v| (v - lowest).abs() <= tolerance),
        })
        .collect();
    Row {
        metric: metric.to_string(),
        label,
        cells,
    }
}

/// Builds the comparison table from the run's summary figures.
pub fn comparison_table(result: &RunResult, lang: Lang) -> ComparisonTable {
    let mut groups = Vec::new();
    for measure in Coverage::ALL {
        let rows = THRESHOLDS
            .iter()
            .map(|threshold| {
                let metric = format!("t{threshold}_{}_h", measure.metric());
                let label = match lang {
                    Lang::En => format!("{threshold} % reached after (h)"),
                    Lang::ZhCn => format!("达到 {threshold}% 所需小时数"),
                };
                row(result, &metric, label, Format::Hours, lang)
            })
            .collect();
        groups.push(RowGroup {
            heading: measure.name(lang).to_string(),
            rows,
        });
    }

    let old = [
        (
            "old_launches_after_24h",
            "Old-version launches from 24 h after the release",
            "发布 24 小时后的旧版本启动次数",
        ),
        (
            "old_launches_after_72h",
            "Old-version launches from 72 h after the release",
            "发布 72 小时后的旧版本启动次数",
        ),
    ];
    groups.push(RowGroup {
        heading: lang
            .pick(
                "Launches on an old version (mean per replication)",
                "旧版本启动（每次重复的均值）",
            )
            .to_string(),
        rows: old
            .iter()
            .map(|(metric, en, zh)| {
                row(
                    result,
                    metric,
                    lang.pick(en, zh).into(),
                    Format::Count,
                    lang,
                )
            })
            .collect(),
    });

    let costs = [
        (
            "forced_restarts_per_1k_users",
            "Interrupted sessions per 1,000 users",
            "每千用户被中断的会话数",
            Format::PerThousand,
        ),
        (
            "sync_delay_p50_s",
            "Added start-up delay of synchronous updates, p50 (s)",
            "同步更新增加的启动耗时 p50（秒）",
            Format::Seconds,
        ),
        (
            "sync_delay_p95_s",
            "Added start-up delay of synchronous updates, p95 (s)",
            "同步更新增加的启动耗时 p95（秒）",
            Format::Seconds,
        ),
        (
            "peak_download_bytes_per_s",
            "Download peak",
            "下载峰值",
            Format::Rate,
        ),
        (
            "incident_launches_total",
            "Launches hit by an incident (mean per replication)",
            "受故障影响的启动次数（每次重复的均值）",
            Format::Count,
        ),
    ];
    groups.push(RowGroup {
        heading: lang.pick("Costs and damage", "代价与损失").to_string(),
        rows: costs
            .iter()
            .filter(|(metric, ..)| has_metric(result, metric))
            .map(|(metric, en, zh, format)| {
                row(result, metric, lang.pick(en, zh).into(), *format, lang)
            })
            .collect(),
    });

    ComparisonTable {
        policies: result.policies.iter().map(|p| p.policy.clone()).collect(),
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::aggregate::PolicyResult;

    fn result_with(metric: &str, values: &[Option<f64>]) -> RunResult {
        RunResult {
            times_h: vec![1.0],
            policies: values
                .iter()
                .enumerate()
                .map(|(index, value)| PolicyResult {
                    policy: format!("p{index}"),
                    series: Vec::new(),
                    summary: vec![(metric.to_string(), *value)],
                })
                .collect(),
            users: 10,
            replications: 1,
            seed: 1,
            last_release_h: 0.0,
        }
    }

    #[test]
    fn lowest_time_is_best_and_unreached_is_worst() {
        let result = result_with("t95_launch_coverage_h", &[None, Some(20.5), Some(12.25)]);
        let row = row(
            &result,
            "t95_launch_coverage_h",
            "x".into(),
            Format::Hours,
            Lang::En,
        );
        let best: Vec<bool> = row.cells.iter().map(|cell| cell.best).collect();
        assert_eq!(best, [false, false, true]);
        assert_eq!(row.cells[0].text, "not reached");
        assert_eq!(row.cells[0].csv_value, "");
        assert_eq!(row.cells[2].text, "12.25");
        assert_eq!(row.cells[2].csv_value, "12.25");
    }

    #[test]
    fn ties_are_all_marked() {
        let result = result_with(
            "forced_restarts_per_1k_users",
            &[Some(0.0), Some(0.0), Some(310.0)],
        );
        let row = row(
            &result,
            "forced_restarts_per_1k_users",
            "x".into(),
            Format::PerThousand,
            Lang::En,
        );
        let best: Vec<bool> = row.cells.iter().map(|cell| cell.best).collect();
        assert_eq!(best, [true, true, false]);
    }

    #[test]
    fn equal_values_mark_nothing() {
        let result = result_with(
            "peak_download_bytes_per_s",
            &[Some(607_000.0), Some(607_000.0)],
        );
        let row = row(
            &result,
            "peak_download_bytes_per_s",
            "x".into(),
            Format::Rate,
            Lang::En,
        );
        assert!(row.cells.iter().all(|cell| !cell.best));
        assert_eq!(row.cells[0].text, "607 KB/s");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0.0), "0");
        assert_eq!(group_thousands(999.0), "999");
        assert_eq!(group_thousands(1234.4), "1,234");
        assert_eq!(group_thousands(1_234_567.0), "1,234,567");
    }

    #[test]
    fn halves_round_away_from_zero() {
        assert_eq!(group_thousands(1_062.5), "1,063");
        assert_eq!(group_thousands(2.5), "3");
        assert_eq!(group_thousands(-2.5), "-3");
    }
}
