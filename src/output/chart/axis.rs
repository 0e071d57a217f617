//! Axis ranges and tick labels, computed from the chart data before drawing.

use std::ops::Range;

use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;

use super::{LineChart, YAxis};

/// Smallest span an axis may have, relative to the magnitude of its values.
/// Narrower spans are widened, because plotters' tick placement loses
/// precision, and a flat line looks best in the middle of a visible range.
const MIN_RELATIVE_SPAN: f64 = 1e-9;
/// Smallest absolute span, for values at or near zero.
const MIN_ABSOLUTE_SPAN: f64 = 1e-12;
/// Headroom above the highest count or rate, as a fraction of the span, so
/// the top of a line does not touch the frame.
const TOP_HEADROOM: f64 = 0.05;

/// Returns the x range: every finite x of the data and of the vertical
/// markers, or 0..1 when there is none. A single value is widened around it.
pub(crate) fn x_range(chart: &LineChart) -> Range<f64> {
    let data = chart
        .series
        .iter()
        .flat_map(|series| series.points.iter())
        .filter(|point| has_value(point.mean) || (has_value(point.low) && has_value(point.high)))
        .map(|point| point.x);
    let markers = chart.markers.iter().map(|marker| marker.x);
    match finite_bounds(data.chain(markers)) {
        Some((low, high)) => widen_if_narrow(low, high),
        None => 0.0..1.0,
    }
}

/// Returns the y range, which always contains zero and every drawn value:
/// finite means, band edges where both edges are finite, and horizontal lines.
///
/// A fraction axis spans at least 0..1. Count and rate axes end slightly
/// above their highest value.
pub(crate) fn y_range(chart: &LineChart) -> Range<f64> {
    let data = chart
        .series
        .iter()
        .flat_map(|series| series.points.iter())
        .filter(|point| point.x.is_finite())
        .flat_map(|point| {
            // A band is drawn only where both of its edges are known.
            let band_known = has_value(point.low) && has_value(point.high);
            let (low, high) = if band_known {
                (point.low, point.high)
            } else {
                (f64::NAN, f64::NAN)
            };
            [point.mean, low, high]
        });
    let lines = chart.horizontal_lines.iter().map(|line| line.y);
    let (low, high) = finite_bounds(data.chain(lines)).unwrap_or((0.0, 0.0));

    match chart.y_axis {
        YAxis::Fraction => low.min(0.0)..high.max(1.0),
        YAxis::Count | YAxis::Rate => {
            let low = low.min(0.0);
            let high = high.max(0.0);
            if high - low == 0.0 {
                return 0.0..1.0;
            }
            let span = widen_if_narrow(low, high);
            let headroom = if span.end > 0.0 {
                (span.end - span.start) * TOP_HEADROOM
            } else {
                0.0
            };
            span.start..span.end + headroom
        }
    }
}

/// Returns the tick values that plotters draws for `range` with at most
/// `max_ticks` labels.
pub(crate) fn tick_values(range: &Range<f64>, max_ticks: usize) -> Vec<f64> {
    RangedCoordf64::from(range.clone()).key_points(max_ticks)
}

/// Tick label format of one axis: unit, decimals and suffix.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TickFormat {
    /// Value that one displayed unit stands for (1000 for kB/s, 0.01 for %).
    unit_value: f64,
    /// Digits after the decimal point, enough to tell neighbouring ticks apart.
    decimals: usize,
    /// Text after the number, such as `%` or ` MB/s`.
    suffix: &'static str,
}

/// Byte rate units with their value in bytes per second (SI prefixes).
const RATE_UNITS: [(f64, &str); 5] = [
    (1.0, " B/s"),
    (1e3, " kB/s"),
    (1e6, " MB/s"),
    (1e9, " GB/s"),
    (1e12, " TB/s"),
];

impl TickFormat {
    /// Plain numbers with thousands separators, used for counts and the x axis.
    pub(crate) fn plain(ticks: &[f64]) -> TickFormat {
        TickFormat {
            unit_value: 1.0,
            decimals: decimals_for(ticks, 1.0),
            suffix: "",
        }
    }

    /// Chooses the format for a y axis of the given kind.
    pub(crate) fn for_axis(axis: YAxis, ticks: &[f64]) -> TickFormat {
        match axis {
            YAxis::Count => TickFormat::plain(ticks),
            YAxis::Fraction => TickFormat {
                unit_value: 0.01,
                decimals: decimals_for(ticks, 0.01),
                suffix: "%",
            },
            YAxis::Rate => {
                let max_abs = ticks.iter().fold(0.0_f64, |max, tick| max.max(tick.abs()));
                let (unit_value, suffix) = RATE_UNITS
                    .iter()
                    .rev()
                    .find(|(unit_value, _)| max_abs >= *unit_value)
                    .copied()
                    .unwrap_or(RATE_UNITS[0]);
                TickFormat {
                    unit_value,
                    decimals: decimals_for(ticks, unit_value),
                    suffix,
                }
            }
        }
    }

    /// Formats one tick value, such as `1,250`, `95%` or `1.5 MB/s`.
    pub(crate) fn format(&self, value: f64) -> String {
        let scaled = value / self.unit_value;
        let mut text = format!("{:.*}", self.decimals, scaled);
        // Rounding can leave "-0" or "-0.0", which reads as a bug.
        if text
            .trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            text = text.trim_start_matches('-').to_string();
        }
        let mut label = group_thousands(&text);
        label.push_str(self.suffix);
        label
    }
}

/// Returns the fewest decimals (up to 6) that show every tick, measured in
/// `unit_value`, without rounding.
fn decimals_for(ticks: &[f64], unit_value: f64) -> usize {
    (0..=6)
        .find(|&decimals| {
            let factor = 10f64.powi(decimals as i32);
            ticks.iter().all(|tick| {
                let scaled = tick / unit_value * factor;
                (scaled - scaled.round()).abs() <= 1e-6 * scaled.abs().max(1.0)
            })
        })
        .unwrap_or(6)
}

/// Inserts a comma every three digits before the decimal point.
fn group_thousands(number: &str) -> String {
    let (sign, unsigned) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (integer, fraction) = match unsigned.find('.') {
        Some(dot) => unsigned.split_at(dot),
        None => (unsigned, ""),
    };
    let mut grouped = String::with_capacity(number.len() + integer.len() / 3);
    grouped.push_str(sign);
    for (index, digit) in integer.chars().enumerate() {
        if index > 0 && (integer.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped.push_str(fraction);
    grouped
}

/// Returns whether a value is drawn. NaN and infinities mark missing data.
pub(crate) fn has_value(value: f64) -> bool {
    value.is_finite()
}

fn finite_bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|value| value.is_finite())
        .fold(None, |bounds, value| match bounds {
            None => Some((value, value)),
            Some((low, high)) => Some((low.min(value), high.max(value))),
        })
}

/// Widens a range narrower than the minimum span symmetrically around its
/// centre.
fn widen_if_narrow(low: f64, high: f64) -> Range<f64> {
    let centre = low / 2.0 + high / 2.0;
    let min_span = if low == high && centre != 0.0 {
        // A single value: show it in the middle of a span of ±10 % of it.
        centre.abs() * 0.2
    } else if low == high {
        1.0
    } else {
        (centre.abs() * MIN_RELATIVE_SPAN).max(MIN_ABSOLUTE_SPAN)
    };
    if high - low >= min_span {
        low..high
    } else {
        centre - min_span / 2.0..centre + min_span / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::chart::{BandPoint, BandSeries, HorizontalLine, VerticalMarker};

    fn point(x: f64, mean: f64, low: f64, high: f64) -> BandPoint {
        BandPoint { x, mean, low, high }
    }

    fn chart(axis: YAxis, points: Vec<BandPoint>) -> LineChart {
        LineChart {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            series: vec![BandSeries {
                label: "s".into(),
                points,
            }],
            y_axis: axis,
            markers: Vec::new(),
            horizontal_lines: Vec::new(),
        }
    }

    #[test]
    fn x_range_covers_data_and_markers() {
        let mut chart = chart(
            YAxis::Count,
            vec![point(2.0, 1.0, 0.0, 2.0), point(8.0, 1.0, 0.0, 2.0)],
        );
        chart.markers.push(VerticalMarker {
            x: 10.0,
            label: "v2".into(),
        });
        assert_eq!(x_range(&chart), 2.0..10.0);
    }

    #[test]
    fn x_range_defaults_without_data() {
        let empty = chart(YAxis::Count, Vec::new());
        assert_eq!(x_range(&empty), 0.0..1.0);
        let all_nan = chart(YAxis::Count, vec![point(1.0, f64::NAN, f64::NAN, f64::NAN)]);
        assert_eq!(x_range(&all_nan), 0.0..1.0);
    }

    #[test]
    fn x_range_widens_single_point() {
        let single = chart(YAxis::Count, vec![point(5.0, 1.0, 1.0, 1.0)]);
        assert_eq!(x_range(&single), 4.5..5.5);
        let at_zero = chart(YAxis::Count, vec![point(0.0, 1.0, 1.0, 1.0)]);
        assert_eq!(x_range(&at_zero), -0.5..0.5);
    }

    #[test]
    fn fraction_range_is_at_least_unit() {
        let chart = chart(YAxis::Fraction, vec![point(0.0, 0.5, 0.4, 0.6)]);
        assert_eq!(y_range(&chart), 0.0..1.0);
    }

    #[test]
    fn fraction_range_grows_for_outliers() {
        let mut chart = chart(YAxis::Fraction, vec![point(0.0, 0.5, -0.1, 1.2)]);
        chart.horizontal_lines.push(HorizontalLine {
            y: 0.95,
            label: "95%".into(),
        });
        assert_eq!(y_range(&chart), -0.1..1.2);
    }

    #[test]
    fn count_range_starts_at_zero_with_headroom() {
        let chart = chart(YAxis::Count, vec![point(0.0, 80.0, 60.0, 100.0)]);
        assert_eq!(y_range(&chart), 0.0..105.0);
    }

    #[test]
    fn count_range_of_zeros_is_unit() {
        let chart = chart(YAxis::Count, vec![point(0.0, 0.0, 0.0, 0.0)]);
        assert_eq!(y_range(&chart), 0.0..1.0);
    }

    #[test]
    fn tick_values_handle_tiny_span() {
        let range = widen_if_narrow(1.0, 1.0 + 1e-15);
        assert!(range.end - range.start >= 1e-9);
        assert!(!tick_values(&range, 8).is_empty());
    }

    #[test]
    fn fraction_ticks_format_as_percent() {
        let ticks = tick_values(&(0.0..1.0), 6);
        let format = TickFormat::for_axis(YAxis::Fraction, &ticks);
        assert_eq!(format.format(0.0), "0%");
        assert_eq!(format.format(0.95), "95%");
        assert_eq!(format.format(1.0), "100%");
        let fine = TickFormat::for_axis(YAxis::Fraction, &[0.0, 0.005, 0.01]);
        assert_eq!(fine.format(0.005), "0.5%");
    }

    #[test]
    fn rate_ticks_pick_one_unit() {
        let format = TickFormat::for_axis(YAxis::Rate, &[0.0, 500e3, 1e6, 1.5e6]);
        assert_eq!(format.format(0.0), "0.0 MB/s");
        assert_eq!(format.format(500e3), "0.5 MB/s");
        assert_eq!(format.format(1.5e6), "1.5 MB/s");
        let bytes = TickFormat::for_axis(YAxis::Rate, &[0.0, 200.0, 400.0]);
        assert_eq!(bytes.format(400.0), "400 B/s");
    }

    #[test]
    fn count_ticks_group_thousands() {
        let format = TickFormat::for_axis(YAxis::Count, &[0.0, 500_000.0, 1_000_000.0]);
        assert_eq!(format.format(1_000_000.0), "1,000,000");
        assert_eq!(format.format(-12_345.0), "-12,345");
        assert_eq!(format.format(999.0), "999");
    }

    #[test]
    fn count_ticks_keep_needed_decimals() {
        let format = TickFormat::plain(&[0.0, 0.25, 0.5]);
        assert_eq!(format.format(0.25), "0.25");
        assert_eq!(format.format(1234.5), "1,234.50");
    }

    #[test]
    fn negative_zero_formats_as_zero() {
        let format = TickFormat::plain(&[0.0, 0.5]);
        assert_eq!(format.format(-0.01), "0.0");
        assert_eq!(format.format(-0.0), "0.0");
    }
}
