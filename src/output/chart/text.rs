//! Text layout and glyph outlines from the embedded font.
//!
//! Both chart backends draw text from these outlines: the SVG backend writes
//! them as `<path>` data, and the bitmap backend rasterizes them. The layout
//! places glyphs by their advance widths from left to right. It applies no
//! kerning and no OpenType shaping, which Latin and CJK labels do not need.

use std::fmt::Write as _;

use ab_glyph_rasterizer::{point, Rasterizer};
use plotters_backend::text_anchor::{HPos, Pos, VPos};
use plotters_backend::FontTransform;
use ttf_parser::{GlyphId, OutlineBuilder};

use super::font;

/// A point in device pixels, y pointing down.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Point {
    pub x: f32,
    pub y: f32,
}

/// One drawing command of a glyph outline, in device pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Segment {
    MoveTo(Point),
    LineTo(Point),
    QuadTo(Point, Point),
    CubicTo(Point, Point, Point),
    Close,
}

/// Width and height of a laid-out line of text, in pixels.
///
/// The height is one em: the font's typographic ascender plus descender
/// (880 + 120 units of 1000 for Noto Sans CJK), which is the ideographic
/// em box. Latin descenders reach slightly below it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TextExtent {
    pub width: f32,
    pub height: f32,
}

/// Measures `text` set at `size` pixels per em, before any rotation.
pub(crate) fn measure(text: &str, size: f32) -> TextExtent {
    let scale = size / f32::from(font::face().units_per_em());
    let advance: u32 = text
        .chars()
        .map(|c| u32::from(advance_units(glyph_or_notdef(c))))
        .sum();
    TextExtent {
        width: advance as f32 * scale,
        height: size,
    }
}

/// Returns the outline of `text` set at `size` pixels per em, placed like
/// plotters places text: the `anchor` point of the unrotated text box lies
/// at `origin`, and the text is then rotated around `origin`.
pub(crate) fn outline(
    text: &str,
    size: f32,
    anchor: Pos,
    transform: &FontTransform,
    origin: (f32, f32),
) -> Vec<Segment> {
    let face = font::face();
    let scale = size / f32::from(face.units_per_em());
    let extent = measure(text, size);
    let ascender = f32::from(ascender_units()) * scale;

    let box_left = match anchor.h_pos {
        HPos::Left => 0.0,
        HPos::Center => -extent.width / 2.0,
        HPos::Right => -extent.width,
    };
    let box_top = match anchor.v_pos {
        VPos::Top => 0.0,
        VPos::Center => -extent.height / 2.0,
        VPos::Bottom => -extent.height,
    };
    let baseline = box_top + ascender;

    let mut builder = DeviceOutline {
        segments: Vec::new(),
        scale,
        pen_x: box_left,
        baseline,
        transform: transform.clone(),
        origin,
    };
    for character in text.chars() {
        let glyph = glyph_or_notdef(character);
        face.outline_glyph(glyph, &mut builder);
        builder.pen_x += f32::from(advance_units(glyph)) * scale;
    }
    builder.segments
}

/// Formats outline segments as SVG path data, rounded to 0.1 pixel.
pub(crate) fn svg_path_data(segments: &[Segment]) -> String {
    let mut data = String::with_capacity(segments.len() * 16);
    for segment in segments {
        match *segment {
            Segment::MoveTo(p) => write_command(&mut data, 'M', &[p]),
            Segment::LineTo(p) => write_command(&mut data, 'L', &[p]),
            Segment::QuadTo(c, p) => write_command(&mut data, 'Q', &[c, p]),
            Segment::CubicTo(c1, c2, p) => write_command(&mut data, 'C', &[c1, c2, p]),
            Segment::Close => data.push('Z'),
        }
    }
    data
}

/// Rasterizes outline segments with the nonzero fill rule and calls
/// `paint(x, y, coverage)` for every pixel with coverage above zero.
/// Coverage runs from 0 (empty) to 1 (fully inside).
pub(crate) fn rasterize<E>(
    segments: &[Segment],
    mut paint: impl FnMut(i32, i32, f32) -> Result<(), E>,
) -> Result<(), E> {
    let Some((min, max)) = bounds(segments) else {
        return Ok(());
    };
    // Control points bound the curves, so every segment lies inside this
    // box; the rasterizer requires that.
    let left = min.x.floor();
    let top = min.y.floor();
    let width = (max.x.ceil() - left) as usize + 1;
    let height = (max.y.ceil() - top) as usize + 1;
    let local = |p: Point| point(p.x - left, p.y - top);

    let mut rasterizer = Rasterizer::new(width, height);
    let mut start = None;
    let mut current = None;
    for segment in segments {
        match *segment {
            Segment::MoveTo(p) => {
                close_contour(&mut rasterizer, current, start, local);
                start = Some(p);
                current = Some(p);
            }
            Segment::LineTo(p) => {
                if let Some(from) = current {
                    rasterizer.draw_line(local(from), local(p));
                }
                current = Some(p);
            }
            Segment::QuadTo(c, p) => {
                if let Some(from) = current {
                    rasterizer.draw_quad(local(from), local(c), local(p));
                }
                current = Some(p);
            }
            Segment::CubicTo(c1, c2, p) => {
                if let Some(from) = current {
                    rasterizer.draw_cubic(local(from), local(c1), local(c2), local(p));
                }
                current = Some(p);
            }
            Segment::Close => {
                close_contour(&mut rasterizer, current, start, local);
                current = start;
            }
        }
    }
    close_contour(&mut rasterizer, current, start, local);

    let mut result = Ok(());
    rasterizer.for_each_pixel_2d(|x, y, coverage| {
        if result.is_ok() && coverage > 0.0 {
            result = paint(
                left as i32 + x as i32,
                top as i32 + y as i32,
                coverage.min(1.0),
            );
        }
    });
    result
}

fn close_contour(
    rasterizer: &mut Rasterizer,
    current: Option<Point>,
    start: Option<Point>,
    local: impl Fn(Point) -> ab_glyph_rasterizer::Point,
) {
    if let (Some(from), Some(to)) = (current, start) {
        if from != to {
            rasterizer.draw_line(local(from), local(to));
        }
    }
}

fn bounds(segments: &[Segment]) -> Option<(Point, Point)> {
    let mut points = segments.iter().flat_map(|segment| match *segment {
        Segment::MoveTo(p) | Segment::LineTo(p) => vec![p],
        Segment::QuadTo(c, p) => vec![c, p],
        Segment::CubicTo(c1, c2, p) => vec![c1, c2, p],
        Segment::Close => vec![],
    });
    let first = points.next()?;
    Some(points.fold((first, first), |(min, max), p| {
        (
            Point {
                x: min.x.min(p.x),
                y: min.y.min(p.y),
            },
            Point {
                x: max.x.max(p.x),
                y: max.y.max(p.y),
            },
        )
    }))
}

fn write_command(data: &mut String, command: char, points: &[Point]) {
    data.push(command);
    for (index, p) in points.iter().enumerate() {
        if index > 0 {
            data.push(' ');
        }
        write_coordinate(data, p.x);
        data.push(' ');
        write_coordinate(data, p.y);
    }
}

/// Writes `value` with at most one decimal and no trailing `.0`.
fn write_coordinate(data: &mut String, value: f32) {
    let tenths = (value * 10.0).round() as i64;
    if tenths < 0 {
        data.push('-');
    }
    let tenths = tenths.unsigned_abs();
    let _ = write!(data, "{}", tenths / 10);
    if tenths % 10 != 0 {
        let _ = write!(data, ".{}", tenths % 10);
    }
}

/// Returns the glyph for `character`, or glyph 0 (`.notdef`, an empty box in
/// Noto fonts) when the font has none.
fn glyph_or_notdef(character: char) -> GlyphId {
    font::glyph_for(character).unwrap_or(GlyphId(0))
}

fn advance_units(glyph: GlyphId) -> u16 {
    font::face().glyph_hor_advance(glyph).unwrap_or(0)
}

/// Returns the ascender above the baseline in font units: the OS/2
/// typographic ascender, or the hhea ascender if the font has no OS/2 table.
fn ascender_units() -> i16 {
    let face = font::face();
    face.typographic_ascender()
        .unwrap_or_else(|| face.ascender())
}

/// Collects glyph outlines and maps font units (y up, origin at the pen
/// position on the baseline) to device pixels.
struct DeviceOutline {
    segments: Vec<Segment>,
    scale: f32,
    pen_x: f32,
    baseline: f32,
    transform: FontTransform,
    origin: (f32, f32),
}

impl DeviceOutline {
    fn map(&self, x: f32, y: f32) -> Point {
        let local_x = self.pen_x + x * self.scale;
        let local_y = self.baseline - y * self.scale;
        // Same rotations as plotters' FontTransform::transform, clockwise in
        // device space where y points down.
        let (rotated_x, rotated_y) = match self.transform {
            FontTransform::None => (local_x, local_y),
            FontTransform::Rotate90 => (-local_y, local_x),
            FontTransform::Rotate180 => (-local_x, -local_y),
            FontTransform::Rotate270 => (local_y, -local_x),
        };
        Point {
            x: self.origin.0 + rotated_x,
            y: self.origin.1 + rotated_y,
        }
    }
}

impl OutlineBuilder for DeviceOutline {
    fn move_to(&mut self, x: f32, y: f32) {
        let p = self.map(x, y);
        self.segments.push(Segment::MoveTo(p));
    }

    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.map(x, y);
        self.segments.push(Segment::LineTo(p));
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let control = self.map(x1, y1);
        let p = self.map(x, y);
        self.segments.push(Segment::QuadTo(control, p));
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let control1 = self.map(x1, y1);
        let control2 = self.map(x2, y2);
        let p = self.map(x, y);
        self.segments.push(Segment::CubicTo(control1, control2, p));
    }

    fn close(&mut self) {
        self.segments.push(Segment::Close);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top_left() -> Pos {
        Pos::new(HPos::Left, VPos::Top)
    }

    #[test]
    fn measure_uses_advance_widths() {
        // Ideographs in Noto Sans CJK advance one full em.
        let extent = measure("覆盖率", 20.0);
        assert_eq!(extent.width, 60.0);
        assert_eq!(extent.height, 20.0);
        assert_eq!(measure("", 20.0).width, 0.0);
    }

    #[test]
    fn outline_stays_inside_em_box() {
        let segments = outline(
            "启动",
            100.0,
            top_left(),
            &FontTransform::None,
            (10.0, 20.0),
        );
        let (min, max) = bounds(&segments).expect("ideographs have outlines");
        assert!(min.x >= 10.0, "x starts at {}", min.x);
        assert!(max.x <= 210.0, "x ends at {}", max.x);
        assert!(min.y >= 20.0, "y starts at {}", min.y);
        assert!(max.y <= 120.0, "y ends at {}", max.y);
    }

    #[test]
    fn anchor_right_bottom_ends_at_origin() {
        let anchor = Pos::new(HPos::Right, VPos::Bottom);
        let segments = outline("启动", 100.0, anchor, &FontTransform::None, (300.0, 300.0));
        let (min, max) = bounds(&segments).expect("ideographs have outlines");
        assert!(min.x >= 100.0, "x starts at {}", min.x);
        assert!(max.x <= 300.0, "x ends at {}", max.x);
        assert!(min.y >= 200.0, "y starts at {}", min.y);
        assert!(max.y <= 300.0, "y ends at {}", max.y);
    }

    #[test]
    fn rotate270_reads_bottom_to_top() {
        // Text at the origin rotated a quarter turn counterclockwise: the
        // unrotated box below and right of the origin lies right of and
        // above it after rotation.
        let segments = outline(
            "启动",
            100.0,
            top_left(),
            &FontTransform::Rotate270,
            (500.0, 500.0),
        );
        let (min, max) = bounds(&segments).expect("ideographs have outlines");
        assert!(min.x >= 500.0, "x starts at {}", min.x);
        assert!(max.x <= 600.0, "x ends at {}", max.x);
        assert!(min.y >= 300.0, "y starts at {}", min.y);
        assert!(max.y <= 500.0, "y ends at {}", max.y);
    }

    #[test]
    fn space_has_no_outline() {
        assert!(outline(" ", 12.0, top_left(), &FontTransform::None, (0.0, 0.0)).is_empty());
    }

    #[test]
    fn svg_path_data_rounds_to_tenths() {
        let p = |x, y| Point { x, y };
        let segments = [
            Segment::MoveTo(p(1.0, 2.04)),
            Segment::LineTo(p(-0.06, 3.25)),
            Segment::QuadTo(p(4.0, 5.0), p(6.0, 7.0)),
            Segment::CubicTo(p(1.0, 1.0), p(2.0, 2.0), p(3.0, 3.0)),
            Segment::Close,
        ];
        assert_eq!(
            svg_path_data(&segments),
            "M1 2L-0.1 3.3Q4 5 6 7C1 1 2 2 3 3Z"
        );
    }

    #[test]
    fn rasterize_fills_glyph_interior() {
        // "一" is a single horizontal stroke: its middle row is fully covered.
        let segments = outline("一", 100.0, top_left(), &FontTransform::None, (0.0, 0.0));
        let mut covered = Vec::new();
        rasterize::<()>(&segments, |x, y, coverage| {
            covered.push((x, y, coverage));
            Ok(())
        })
        .unwrap();
        assert!(!covered.is_empty());
        assert!(covered.iter().all(|&(_, _, c)| c > 0.0));
        assert!(covered.iter().all(|&(_, _, c)| c <= 1.0));
        assert!(
            covered.iter().any(|&(x, _, c)| x == 50 && c == 1.0),
            "stroke middle should be solid"
        );
    }
}
