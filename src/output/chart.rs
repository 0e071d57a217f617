//! Line charts with uncertainty bands, rendered to self-contained SVG and PNG.
//!
//! A [`LineChart`] describes what to show: series of mean values with a
//! low..high band (typically p05..p95 over simulation runs), release
//! markers and target lines. [`render_svg`] and [`render_png`] draw it with
//! plotters. All text, in any language the caller passes, is drawn from a
//! font embedded in the binary, so the output looks the same on machines
//! without installed fonts:
//!
//! - SVG files contain text as glyph outline paths, never `<text>`
//!   elements. Each path keeps its text in an `aria-label` attribute, and
//!   the chart title is the document's `<title>`.
//! - PNG files contain text rasterized with anti-aliasing.
//!
//! Colours, font sizes and spacing are constants in the `style` submodule.

mod axis;
mod backend;
mod draw;
mod font;
mod layout;
mod style;
mod svg;
mod text;

use std::cell::RefCell;

use plotters::backend::{BitMapBackend, RGBPixel, SVGBackend};
use plotters::drawing::IntoDrawingArea;
use thiserror::Error;

use backend::{OutlineTextBackend, TextOutput};
use layout::Plan;

pub use font::missing_glyphs;

/// Smallest image width in pixels that leaves room for axes and labels.
pub const MIN_WIDTH: u32 = 320;
/// Smallest image height in pixels that leaves room for axes and labels.
pub const MIN_HEIGHT: u32 = 240;
/// Largest image width or height in pixels, which bounds the PNG pixel
/// buffer at 8192 × 8192 × 3 bytes (192 MiB).
pub const MAX_SIDE: u32 = 8192;

/// One x position of a series: the mean and its low..high band.
///
/// A NaN or infinite `mean` is missing data: the mean line breaks there.
/// The band breaks wherever `low` or `high` is not finite. Points with a
/// non-finite `x` are ignored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandPoint {
    /// Position on the x axis, in the caller's unit (such as hours).
    pub x: f64,
    /// Mean over runs, or NaN where no run has data.
    pub mean: f64,
    /// Lower edge of the band, such as the 5th percentile.
    pub low: f64,
    /// Upper edge of the band, such as the 95th percentile.
    pub high: f64,
}

/// A named series, drawn as a mean line over a translucent band.
///
/// Points may come in any x order, because they are drawn sorted by x.
#[derive(Clone, Debug, PartialEq)]
pub struct BandSeries {
    /// Legend text.
    pub label: String,
    /// Data points, in any x order.
    pub points: Vec<BandPoint>,
}

/// Kind of values on the y axis, which sets its range and tick labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YAxis {
    /// Fractions from 0 to 1, labelled as percentages (0% to 100%). The
    /// axis always spans 0..1 and grows to include values outside it.
    Fraction,
    /// Counts, labelled with thousands separators. The axis starts at zero
    /// unless values are negative.
    Count,
    /// Byte rates in bytes per second, labelled in B/s, kB/s, MB/s, GB/s or
    /// TB/s (powers of 1000). The axis starts at zero unless values are
    /// negative.
    Rate,
}

/// A dashed vertical line across the plot, such as a release time.
#[derive(Clone, Debug, PartialEq)]
pub struct VerticalMarker {
    /// Position on the x axis.
    pub x: f64,
    /// Text shown at the top of the line; empty for none.
    pub label: String,
}

/// A dashed horizontal line across the plot, such as a 95 % coverage target.
#[derive(Clone, Debug, PartialEq)]
pub struct HorizontalLine {
    /// Height in y axis units (a fraction for [`YAxis::Fraction`]).
    pub y: f64,
    /// Text shown at the right end of the line; empty for none.
    pub label: String,
}

/// A line chart with bands, markers and reference lines.
///
/// Texts may be in any language that the embedded font covers (Latin and
/// Simplified Chinese, see [`missing_glyphs`]). Empty texts are left out.
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    /// Title above the plot.
    pub title: String,
    /// Label below the x axis, such as "Hours since release".
    pub x_label: String,
    /// Label left of the y axis, rotated to read bottom to top.
    pub y_label: String,
    /// Series in legend order. Series `i` takes palette colour `i % 10`.
    pub series: Vec<BandSeries>,
    /// Kind of values on the y axis.
    pub y_axis: YAxis,
    /// Dashed vertical lines, such as release times.
    pub markers: Vec<VerticalMarker>,
    /// Dashed horizontal lines, such as coverage targets.
    pub horizontal_lines: Vec<HorizontalLine>,
}

/// Errors from rendering a chart.
#[derive(Debug, Error)]
pub enum ChartError {
    /// The requested image size is outside the supported range.
    #[error(
        "invalid chart size {width}×{height} pixels: width must be {MIN_WIDTH} to {MAX_SIDE} and height {MIN_HEIGHT} to {MAX_SIDE}"
    )]
    InvalidSize {
        /// Requested width in pixels.
        width: u32,
        /// Requested height in pixels.
        height: u32,
    },
    /// The data spans more than an f64 can represent on one axis.
    #[error(
        "{axis} axis range {start}..{end} is too large to draw; check the data for extreme values"
    )]
    RangeTooLarge {
        /// `x` or `y`.
        axis: &'static str,
        /// Lowest value on the axis.
        start: f64,
        /// Highest value on the axis.
        end: f64,
    },
    /// plotters failed to draw the chart.
    #[error("failed to draw chart: {0}")]
    Drawing(String),
    /// The SVG backend produced a document without the expected `<svg>` root.
    #[error("failed to assemble SVG document: plotters output has no <svg> root element")]
    MalformedSvg,
    /// Encoding the pixels as PNG failed.
    #[error("failed to encode chart as PNG: {0}")]
    PngEncoding(#[from] png::EncodingError),
}

/// Renders `chart` as a standalone SVG document of `width` × `height` pixels.
///
/// The SVG needs no fonts to display: all text is glyph outline paths, each
/// with its text in `aria-label`.
pub fn render_svg(chart: &LineChart, width: u32, height: u32) -> Result<String, ChartError> {
    check_size(width, height)?;
    let plan = prepare(chart, width, height)?;

    let mut document = String::new();
    let text_paths = RefCell::new(String::new());
    {
        let svg_backend = SVGBackend::with_string(&mut document, (width, height));
        let root = OutlineTextBackend::new(svg_backend, TextOutput::SvgPaths(&text_paths))
            .into_drawing_area();
        draw::draw_chart(&root, chart, &plan).map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    svg::finish_document(&document, &chart.title, &text_paths.into_inner())
        .ok_or(ChartError::MalformedSvg)
}

/// Renders `chart` as a PNG image of `width` × `height` pixels (8-bit RGB)
/// and returns the encoded file. The chart title is stored in an iTXt
/// `Title` chunk.
///
/// Text is anti-aliased. Lines and band edges are not, because plotters'
/// bitmap backend (0.3.7) draws them pixel by pixel without coverage.
pub fn render_png(chart: &LineChart, width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    check_size(width, height)?;
    let plan = prepare(chart, width, height)?;

    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let bitmap =
            BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut pixels, (width, height))
                .map_err(|error| ChartError::Drawing(error.to_string()))?;
        let root = OutlineTextBackend::new(bitmap, TextOutput::Rasterize).into_drawing_area();
        draw::draw_chart(&root, chart, &plan).map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    encode_png(&pixels, width, height, &chart.title)
}

fn check_size(width: u32, height: u32) -> Result<(), ChartError> {
    let width_ok = (MIN_WIDTH..=MAX_SIDE).contains(&width);
    let height_ok = (MIN_HEIGHT..=MAX_SIDE).contains(&height);
    if width_ok && height_ok {
        Ok(())
    } else {
        Err(ChartError::InvalidSize { width, height })
    }
}

fn prepare(chart: &LineChart, width: u32, height: u32) -> Result<Plan, ChartError> {
    font::register_with_plotters().map_err(ChartError::Drawing)?;
    Plan::new(chart, width, height)
}

fn drawing_error(error: impl std::fmt::Display) -> ChartError {
    ChartError::Drawing(error.to_string())
}

fn encode_png(pixels: &[u8], width: u32, height: u32, title: &str) -> Result<Vec<u8>, ChartError> {
    let mut encoded = Vec::new();
    let mut encoder = png::Encoder::new(&mut encoded, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    if !title.is_empty() {
        encoder.add_itxt_chunk("Title".to_string(), title.to_string())?;
    }
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_error_converts_to_anyhow() {
        let error: anyhow::Error = ChartError::InvalidSize {
            width: 0,
            height: 0,
        }
        .into();
        assert_eq!(
            error.to_string(),
            "invalid chart size 0×0 pixels: width must be 320 to 8192 and height 240 to 8192"
        );
    }
}
