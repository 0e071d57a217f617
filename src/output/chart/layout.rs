//! Sizes of the chart's parts, computed from the data and the text before
//! anything is drawn.

use std::ops::Range;

use super::axis::{self, TickFormat};
use super::style;
use super::text;
use super::{ChartError, LineChart};

/// Axis ranges, tick formats and the pixel sizes of the parts around the
/// plotting area.
pub(crate) struct Plan {
    pub x_range: Range<f64>,
    pub y_range: Range<f64>,
    pub x_format: TickFormat,
    pub y_format: TickFormat,
    /// Width of the area left of the plot: y axis label and tick labels.
    pub y_label_area: u32,
    /// Height of the area below the plot: tick labels and x axis label.
    pub x_label_area: u32,
    /// Space right of the plot, wide enough for half of the last x tick label.
    pub right_margin: u32,
    pub legend: LegendLayout,
}

/// Legend entries arranged in rows that fit the image width.
pub(crate) struct LegendLayout {
    pub rows: Vec<Vec<LegendEntry>>,
    /// Number of series left out because the legend may use at most a
    /// third of the image height.
    pub omitted: usize,
    pub height: u32,
}

/// One legend entry: the series index and its position in the row.
pub(crate) struct LegendEntry {
    pub series: usize,
    /// Offset of the swatch from the left end of the row.
    pub offset: u32,
    pub width: u32,
}

impl Plan {
    pub(crate) fn new(chart: &LineChart, width: u32, height: u32) -> Result<Plan, ChartError> {
        let x_range = axis::x_range(chart);
        let y_range = axis::y_range(chart);
        check_span("x", &x_range)?;
        check_span("y", &y_range)?;

        let x_ticks = axis::tick_values(&x_range, style::X_TICK_COUNT);
        let y_ticks = axis::tick_values(&y_range, style::Y_TICK_COUNT);
        let x_format = TickFormat::plain(&x_ticks);
        let y_format = TickFormat::for_axis(chart.y_axis, &y_ticks);

        let tick_label_width = |format: &TickFormat, ticks: &[f64]| {
            ticks
                .iter()
                .map(|&tick| text_width(&format.format(tick), style::TICK_LABEL_FONT_SIZE))
                .max()
                .unwrap_or(0)
        };
        let label_distance = 2 * style::TICK_MARK_SIZE;

        let mut y_label_area = label_distance + tick_label_width(&y_format, &y_ticks) + 4;
        if !chart.y_label.is_empty() {
            y_label_area += style::AXIS_LABEL_FONT_SIZE as u32 + style::AXIS_LABEL_GAP;
        }
        let mut x_label_area = label_distance + style::TICK_LABEL_FONT_SIZE as u32 + 4;
        if !chart.x_label.is_empty() {
            x_label_area += style::AXIS_LABEL_GAP + style::AXIS_LABEL_FONT_SIZE as u32;
        }
        let right_margin = style::OUTER_MARGIN.max(tick_label_width(&x_format, &x_ticks) / 2 + 4);

        let legend = LegendLayout::new(chart, width, height);

        Ok(Plan {
            x_range,
            y_range,
            x_format,
            y_format,
            y_label_area,
            x_label_area,
            right_margin,
            legend,
        })
    }
}

impl LegendLayout {
    fn new(chart: &LineChart, width: u32, height: u32) -> LegendLayout {
        let available = width.saturating_sub(2 * style::OUTER_MARGIN);
        let row_budget = (height / 3).saturating_sub(style::LEGEND_TOP_GAP + style::OUTER_MARGIN);
        let max_rows = (row_budget / style::LEGEND_ROW_HEIGHT) as usize;

        let mut rows: Vec<Vec<LegendEntry>> = Vec::new();
        let mut row_width = 0;
        let mut placed = 0;
        for (index, series) in chart.series.iter().enumerate() {
            let entry_width = style::LEGEND_SWATCH_WIDTH
                + style::LEGEND_SWATCH_GAP
                + text_width(&series.label, style::LEGEND_FONT_SIZE);
            // NOTE: an entry wider than the image gets a row of its own and
            // is cut off at the right edge, because labels are not wrapped.
            let starts_row =
                rows.is_empty() || row_width + style::LEGEND_ENTRY_GAP + entry_width > available;
            if starts_row {
                if rows.len() == max_rows {
                    break;
                }
                rows.push(Vec::new());
                row_width = 0;
            } else {
                row_width += style::LEGEND_ENTRY_GAP;
            }
            let row = rows.last_mut().expect("a row was pushed above");
            row.push(LegendEntry {
                series: index,
                offset: row_width,
                width: entry_width,
            });
            row_width += entry_width;
            placed += 1;
        }

        // Make room for the "+N" label that stands for the omitted series.
        if placed < chart.series.len() {
            if let Some(last_row) = rows.last_mut() {
                while last_row.len() > 1 {
                    let omitted_label = omitted_series_label(chart.series.len() - placed);
                    let label_width = style::LEGEND_ENTRY_GAP
                        + text_width(&omitted_label, style::LEGEND_FONT_SIZE);
                    if LegendLayout::row_width(last_row) + label_width <= available {
                        break;
                    }
                    last_row.pop();
                    placed -= 1;
                }
            }
        }

        let height = if rows.is_empty() {
            0
        } else {
            style::LEGEND_TOP_GAP
                + rows.len() as u32 * style::LEGEND_ROW_HEIGHT
                + style::OUTER_MARGIN
        };
        LegendLayout {
            rows,
            omitted: chart.series.len() - placed,
            height,
        }
    }

    /// Total width of a row, from the first swatch to the end of the last label.
    pub(crate) fn row_width(row: &[LegendEntry]) -> u32 {
        row.last().map_or(0, |entry| entry.offset + entry.width)
    }
}

/// Formats the legend text that stands for `count` series left out of the legend.
pub(crate) fn omitted_series_label(count: usize) -> String {
    format!("+{count}")
}

/// Width of `text` in whole pixels, rounded up.
pub(crate) fn text_width(text: &str, font_size: f64) -> u32 {
    text::measure(text, font_size as f32).width.ceil() as u32
}

fn check_span(axis: &'static str, range: &Range<f64>) -> Result<(), ChartError> {
    if (range.end - range.start).is_finite() {
        Ok(())
    } else {
        Err(ChartError::RangeTooLarge {
            axis,
            start: range.start,
            end: range.end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::chart::{BandSeries, YAxis};

    fn chart_with_labels(labels: &[&str]) -> LineChart {
        LineChart {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            series: labels
                .iter()
                .map(|label| BandSeries {
                    label: label.to_string(),
                    points: Vec::new(),
                })
                .collect(),
            y_axis: YAxis::Count,
            markers: Vec::new(),
            horizontal_lines: Vec::new(),
        }
    }

    #[test]
    fn legend_fits_one_row_when_wide() {
        let legend = LegendLayout::new(&chart_with_labels(&["强制更新", "提示", "无"]), 900, 540);
        assert_eq!(legend.rows.len(), 1);
        assert_eq!(legend.omitted, 0);
        let offsets: Vec<u32> = legend.rows[0].iter().map(|entry| entry.offset).collect();
        let first_width = legend.rows[0][0].width;
        assert_eq!(offsets[0], 0);
        assert_eq!(offsets[1], first_width + style::LEGEND_ENTRY_GAP);
    }

    #[test]
    fn legend_wraps_into_rows() {
        let labels = ["a long policy label"; 6];
        let legend = LegendLayout::new(&chart_with_labels(&labels), 400, 540);
        assert!(legend.rows.len() > 1);
        assert_eq!(legend.omitted, 0);
        for row in &legend.rows {
            assert!(LegendLayout::row_width(row) <= 400 - 2 * style::OUTER_MARGIN);
        }
    }

    #[test]
    fn legend_omits_series_beyond_third_of_height() {
        let labels: Vec<String> = (0..40).map(|index| format!("policy {index}")).collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        let legend = LegendLayout::new(&chart_with_labels(&labels), 320, 240);
        assert!(legend.height <= 240 / 3, "legend height {}", legend.height);
        let shown: usize = legend.rows.iter().map(Vec::len).sum();
        assert!(legend.omitted > 0);
        assert_eq!(shown + legend.omitted, 40);

        let last_row = legend.rows.last().unwrap();
        let omitted_width = style::LEGEND_ENTRY_GAP
            + text_width(
                &omitted_series_label(legend.omitted),
                style::LEGEND_FONT_SIZE,
            );
        assert!(LegendLayout::row_width(last_row) + omitted_width <= 320 - 2 * style::OUTER_MARGIN);
    }

    #[test]
    fn legend_is_empty_without_series() {
        let legend = LegendLayout::new(&chart_with_labels(&[]), 900, 540);
        assert!(legend.rows.is_empty());
        assert_eq!(legend.height, 0);
        assert_eq!(legend.omitted, 0);
    }

    #[test]
    fn plan_reserves_space_for_axis_labels() {
        let mut chart = chart_with_labels(&["s"]);
        let without_labels = Plan::new(&chart, 900, 540).unwrap();
        chart.x_label = "Hours".into();
        chart.y_label = "Launches".into();
        let with_labels = Plan::new(&chart, 900, 540).unwrap();
        assert!(with_labels.x_label_area > without_labels.x_label_area);
        assert!(with_labels.y_label_area > without_labels.y_label_area);
    }
}
