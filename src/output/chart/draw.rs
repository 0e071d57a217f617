//! Drawing a [`LineChart`] with plotters onto any backend.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::has_value;
use super::font::FONT_FAMILY;
use super::layout::{self, LegendLayout, Plan};
use super::style;
use super::{BandPoint, LineChart};

/// Result of a plotters drawing call on backend `DB`.
pub(crate) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Cartesian chart context with f64 axes, as built from a [`Plan`].
type Context<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Maximum number of rows that marker labels are staggered into before
/// labels may overlap.
const MARKER_LABEL_ROWS: usize = 3;

/// Draws the whole chart: frame, grid, bands, lines, reference lines and legend.
pub(crate) fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    plan: &Plan,
) -> DrawResult<DB> {
    root.fill(&style::BACKGROUND)?;
    let (_, height) = root.dim_in_pixel();
    let (chart_area, legend_area) =
        root.split_vertically(height.saturating_sub(plan.legend.height));

    let mut builder = ChartBuilder::on(&chart_area);
    builder
        .margin_top(style::OUTER_MARGIN)
        .margin_left(style::OUTER_MARGIN)
        .margin_right(plan.right_margin)
        .margin_bottom(if plan.legend.height == 0 {
            style::OUTER_MARGIN
        } else {
            0
        })
        .x_label_area_size(plan.x_label_area)
        .y_label_area_size(plan.y_label_area);
    if !chart.title.is_empty() {
        // NOTE: titles are not wrapped. A title wider than the image is cut
        // off at both edges.
        builder.caption(&chart.title, text_style(style::TITLE_FONT_SIZE));
    }
    let mut context = builder.build_cartesian_2d(plan.x_range.clone(), plan.y_range.clone())?;

    draw_mesh(&mut context, chart, plan)?;
    draw_bands(&mut context, chart)?;
    draw_mean_lines(&mut context, chart)?;
    draw_horizontal_lines(root, &mut context, chart, plan)?;
    draw_markers(root, &mut context, chart, plan)?;
    draw_legend(&legend_area, chart, &plan.legend)?;
    Ok(())
}

fn text_style(size: f64) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&style::TEXT_COLOR)
}

fn draw_mesh<DB: DrawingBackend>(
    context: &mut Context<'_, DB>,
    chart: &LineChart,
    plan: &Plan,
) -> DrawResult<DB> {
    let format_x = |value: &f64| plan.x_format.format(*value);
    let format_y = |value: &f64| plan.y_format.format(*value);

    let mut mesh = context.configure_mesh();
    mesh.x_labels(style::X_TICK_COUNT)
        .y_labels(style::Y_TICK_COUNT)
        .x_label_formatter(&format_x)
        .y_label_formatter(&format_y)
        .label_style(text_style(style::TICK_LABEL_FONT_SIZE))
        .axis_desc_style(text_style(style::AXIS_LABEL_FONT_SIZE))
        .bold_line_style(style::GRID_COLOR)
        .light_line_style(TRANSPARENT)
        .axis_style(style::AXIS_COLOR)
        .set_all_tick_mark_size(style::TICK_MARK_SIZE);
    if !chart.x_label.is_empty() {
        mesh.x_desc(&chart.x_label);
    }
    if !chart.y_label.is_empty() {
        mesh.y_desc(&chart.y_label);
    }
    mesh.draw()
}

/// Fills each series' low..high band. All bands are drawn before any mean
/// line, so no band covers another series' line.
fn draw_bands<DB: DrawingBackend>(
    context: &mut Context<'_, DB>,
    chart: &LineChart,
) -> DrawResult<DB> {
    for (index, series) in chart.series.iter().enumerate() {
        let color = series_color(index);
        for run in runs(&series.points, |point| {
            has_value(point.low) && has_value(point.high)
        }) {
            if run.iter().all(|point| point.x == run[0].x) {
                // Points at one x have no area: show their spread as a vertical bar.
                let low = run
                    .iter()
                    .map(|point| point.low)
                    .fold(f64::INFINITY, f64::min);
                let high = run
                    .iter()
                    .map(|point| point.high)
                    .fold(f64::NEG_INFINITY, f64::max);
                let bar = vec![(run[0].x, low), (run[0].x, high)];
                context.draw_series(std::iter::once(PathElement::new(
                    bar,
                    color.mix(0.5).stroke_width(2),
                )))?;
                continue;
            }
            let upper = run.iter().map(|point| (point.x, point.high));
            let lower = run.iter().rev().map(|point| (point.x, point.low));
            let outline: Vec<(f64, f64)> = upper.chain(lower).collect();
            context.draw_series(std::iter::once(Polygon::new(
                outline,
                color.mix(style::BAND_OPACITY).filled(),
            )))?;
        }
    }
    Ok(())
}

/// Draws each series' mean as a line that breaks wherever the mean is
/// missing. A run of means that all lie at one position becomes a dot.
fn draw_mean_lines<DB: DrawingBackend>(
    context: &mut Context<'_, DB>,
    chart: &LineChart,
) -> DrawResult<DB> {
    for (index, series) in chart.series.iter().enumerate() {
        let color = series_color(index);
        for run in runs(&series.points, |point| has_value(point.mean)) {
            let first = run[0];
            if run
                .iter()
                .all(|point| point.x == first.x && point.mean == first.mean)
            {
                context.draw_series(std::iter::once(Circle::new(
                    (first.x, first.mean),
                    style::ISOLATED_POINT_RADIUS,
                    color.filled(),
                )))?;
                continue;
            }
            let line: Vec<(f64, f64)> = run.iter().map(|point| (point.x, point.mean)).collect();
            context.draw_series(std::iter::once(PathElement::new(
                line,
                color.stroke_width(style::MEAN_LINE_WIDTH),
            )))?;
        }
    }
    Ok(())
}

/// Draws dashed horizontal lines across the plot, each labelled at its
/// right end: above the line, or below it where there is no room above.
fn draw_horizontal_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    context: &mut Context<'_, DB>,
    chart: &LineChart,
    plan: &Plan,
) -> DrawResult<DB> {
    let (pixels_x, pixels_y) = context.plotting_area().get_pixel_range();
    for line in chart
        .horizontal_lines
        .iter()
        .filter(|line| line.y.is_finite())
    {
        let path = vec![(plan.x_range.start, line.y), (plan.x_range.end, line.y)];
        context.draw_series(std::iter::once(dashed_reference_line(path)))?;

        if line.label.is_empty() {
            continue;
        }
        let (_, line_y) = context.backend_coord(&(plan.x_range.start, line.y));
        let (box_width, box_height) = annotation_box_size(&line.label);
        let left = pixels_x.end - 2 - box_width;
        let top = if line_y - 2 - box_height >= pixels_y.start {
            line_y - 2 - box_height
        } else {
            line_y + 2
        };
        draw_annotation(root, &line.label, (left, top))?;
    }
    Ok(())
}

/// Draws dashed vertical marker lines, each labelled at the top of the plot
/// right of the line (left of it near the right edge). Labels that would
/// overlap move down into the next of [`MARKER_LABEL_ROWS`] rows.
fn draw_markers<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    context: &mut Context<'_, DB>,
    chart: &LineChart,
    plan: &Plan,
) -> DrawResult<DB> {
    let (pixels_x, pixels_y) = context.plotting_area().get_pixel_range();
    let mut markers: Vec<_> = chart
        .markers
        .iter()
        .filter(|marker| marker.x.is_finite())
        .collect();
    markers.sort_by(|a, b| a.x.total_cmp(&b.x));

    // Right end of the last label in each row.
    let mut row_ends = [i32::MIN; MARKER_LABEL_ROWS];
    for marker in markers {
        let path = vec![(marker.x, plan.y_range.start), (marker.x, plan.y_range.end)];
        context.draw_series(std::iter::once(dashed_reference_line(path)))?;

        if marker.label.is_empty() {
            continue;
        }
        let (line_x, _) = context.backend_coord(&(marker.x, plan.y_range.end));
        let (box_width, box_height) = annotation_box_size(&marker.label);
        let left = if line_x + 2 + box_width <= pixels_x.end {
            line_x + 2
        } else {
            line_x - 2 - box_width
        };
        let row = row_ends
            .iter()
            .position(|&end| end < left)
            .unwrap_or_else(|| row_with_leftmost_end(&row_ends));
        row_ends[row] = left + box_width;
        let top = pixels_y.start + 2 + row as i32 * (box_height + 2);
        draw_annotation(root, &marker.label, (left, top))?;
    }
    Ok(())
}

fn row_with_leftmost_end(row_ends: &[i32]) -> usize {
    row_ends
        .iter()
        .enumerate()
        .min_by_key(|&(_, end)| *end)
        .map_or(0, |(row, _)| row)
}

fn dashed_reference_line(
    path: Vec<(f64, f64)>,
) -> DashedPathElement<std::vec::IntoIter<(f64, f64)>, u32> {
    DashedPathElement::new(
        path,
        style::DASH_LENGTH,
        style::DASH_GAP,
        style::REFERENCE_COLOR.stroke_width(style::REFERENCE_LINE_WIDTH),
    )
}

fn annotation_box_size(label: &str) -> (i32, i32) {
    let padding = 2 * style::ANNOTATION_PADDING;
    let width = layout::text_width(label, style::ANNOTATION_FONT_SIZE) + padding;
    let height = style::ANNOTATION_FONT_SIZE as u32 + padding;
    (width as i32, height as i32)
}

/// Draws a label on a translucent white box whose top left corner is
/// `corner`, in image pixels.
fn draw_annotation<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    label: &str,
    corner: (i32, i32),
) -> DrawResult<DB> {
    let (width, height) = annotation_box_size(label);
    let (left, top) = corner;
    root.draw(&Rectangle::new(
        [(left, top), (left + width, top + height)],
        style::BACKGROUND
            .mix(style::LABEL_BACKGROUND_OPACITY)
            .filled(),
    ))?;
    let padding = style::ANNOTATION_PADDING as i32;
    let text_style = text_style(style::ANNOTATION_FONT_SIZE).color(&style::REFERENCE_COLOR);
    root.draw(&Text::new(
        label.to_string(),
        (left + padding, top + padding),
        text_style,
    ))
}

/// Draws the legend rows centred in `area`, and "+N" after the last row when
/// series were left out.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    legend: &LegendLayout,
) -> DrawResult<DB> {
    let (width, _) = area.dim_in_pixel();
    let label_style = text_style(style::LEGEND_FONT_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let swatch_half_height = (style::LEGEND_ROW_HEIGHT / 2 - 4) as i32;

    for (row_index, row) in legend.rows.iter().enumerate() {
        let row_left = (width.saturating_sub(LegendLayout::row_width(row)) / 2) as i32;
        let center_y = (style::LEGEND_TOP_GAP
            + row_index as u32 * style::LEGEND_ROW_HEIGHT
            + style::LEGEND_ROW_HEIGHT / 2) as i32;
        for entry in row {
            let color = series_color(entry.series);
            let left = row_left + entry.offset as i32;
            let right = left + style::LEGEND_SWATCH_WIDTH as i32;
            area.draw(&Rectangle::new(
                [
                    (left, center_y - swatch_half_height),
                    (right, center_y + swatch_half_height),
                ],
                color.mix(style::BAND_OPACITY).filled(),
            ))?;
            area.draw(&PathElement::new(
                vec![(left, center_y), (right, center_y)],
                color.stroke_width(style::MEAN_LINE_WIDTH),
            ))?;
            let label_left = right + style::LEGEND_SWATCH_GAP as i32;
            area.draw(&Text::new(
                chart.series[entry.series].label.clone(),
                (label_left, center_y),
                label_style.clone(),
            ))?;
        }

        let is_last_row = row_index + 1 == legend.rows.len();
        if is_last_row && legend.omitted > 0 {
            let left = row_left + (LegendLayout::row_width(row) + style::LEGEND_ENTRY_GAP) as i32;
            area.draw(&Text::new(
                layout::omitted_series_label(legend.omitted),
                (left, center_y),
                label_style.clone(),
            ))?;
        }
    }
    Ok(())
}

fn series_color(index: usize) -> RGBColor {
    style::PALETTE[index % style::PALETTE.len()]
}

/// Splits the points with a finite x, in x order, into maximal runs of
/// consecutive points that satisfy `keep`. A point that fails `keep` ends
/// the current run, so the line or band breaks there.
fn runs(points: &[BandPoint], keep: impl Fn(&BandPoint) -> bool) -> Vec<Vec<BandPoint>> {
    let mut ordered: Vec<BandPoint> = points
        .iter()
        .copied()
        .filter(|point| point.x.is_finite())
        .collect();
    ordered.sort_by(|a, b| a.x.total_cmp(&b.x));

    let mut runs = Vec::new();
    let mut current = Vec::new();
    for point in ordered {
        if keep(&point) {
            current.push(point);
        } else if !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(x: f64, mean: f64) -> BandPoint {
        BandPoint {
            x,
            mean,
            low: mean,
            high: mean,
        }
    }

    fn xs(runs: &[Vec<BandPoint>]) -> Vec<Vec<f64>> {
        runs.iter()
            .map(|run| run.iter().map(|point| point.x).collect())
            .collect()
    }

    #[test]
    fn runs_break_at_nan() {
        let points = [
            point(0.0, 1.0),
            point(1.0, 2.0),
            point(2.0, f64::NAN),
            point(3.0, 4.0),
        ];
        let runs = runs(&points, |point| has_value(point.mean));
        assert_eq!(xs(&runs), vec![vec![0.0, 1.0], vec![3.0]]);
    }

    #[test]
    fn runs_sort_by_x_and_skip_bad_x() {
        let points = [
            point(2.0, 1.0),
            point(f64::NAN, 1.0),
            point(0.0, 1.0),
            point(f64::INFINITY, 1.0),
        ];
        let runs = runs(&points, |point| has_value(point.mean));
        assert_eq!(xs(&runs), vec![vec![0.0, 2.0]]);
    }

    #[test]
    fn runs_of_all_nan_are_empty() {
        let points = [point(0.0, f64::NAN), point(1.0, f64::NAN)];
        assert!(runs(&points, |point| has_value(point.mean)).is_empty());
        assert!(runs(&[], |point| has_value(point.mean)).is_empty());
    }

    #[test]
    fn leftmost_end_row_is_chosen() {
        assert_eq!(row_with_leftmost_end(&[30, 10, 20]), 1);
    }
}
