//! `timeseries.csv` and `summary.csv`, in long form with a fixed column
//! order. Numbers are formatted the same way on every platform.

use serde::Serialize;

use crate::stats::aggregate::RunResult;

/// Formats a number for the CSV files: integers without a decimal point,
/// other values with at most 6 decimals and no trailing zeros.
pub fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    if value == value.trunc() && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let text = format!("{value:.6}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

#[derive(Serialize)]
struct TimeseriesRow<'a> {
    policy: &'a str,
    time_h: String,
    metric: &'a str,
    mean: String,
    p05: String,
    p95: String,
}

#[derive(Serialize)]
struct SummaryRow<'a> {
    policy: &'a str,
    metric: &'a str,
    value: String,
}

/// Renders `timeseries.csv`: one row per policy, sample time and metric.
///
/// # Errors
/// Returns a CSV error (only on an internal serialization failure).
pub fn timeseries_csv(result: &RunResult) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for policy in &result.policies {
        for (bin, time) in result.times_h.iter().enumerate() {
            let time_h = format_number(*time);
            for series in &policy.series {
                let value = series.values[bin];
                let field = |f: fn(&crate::stats::aggregate::BandValue) -> f64| {
                    value.as_ref().map(f).map(format_number).unwrap_or_default()
                };
                writer.serialize(TimeseriesRow {
                    policy: &policy.policy,
                    time_h: time_h.clone(),
                    metric: &series.metric,
                    mean: field(|v| v.mean),
                    p05: field(|v| v.p05),
                    p95: field(|v| v.p95),
                })?;
            }
        }
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// Renders `summary.csv`: one row per policy and figure; an empty value
/// means "not reached within the horizon".
///
/// # Errors
/// Returns a CSV error (only on an internal serialization failure).
pub fn summary_csv(result: &RunResult) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for policy in &result.policies {
        for (metric, value) in &policy.summary {
            writer.serialize(SummaryRow {
                policy: &policy.policy,
                metric,
                value: value.map(format_number).unwrap_or_default(),
            })?;
        }
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(0.25), "0.25");
        assert_eq!(format_number(1.0 / 3.0), "0.333333");
        assert_eq!(format_number(-0.0000001), "0");
        assert_eq!(format_number(f64::NAN), "");
    }
}
