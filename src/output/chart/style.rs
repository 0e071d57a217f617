//! Colours, font sizes and spacing of all charts, in one place.
//!
//! Sizes are in pixels; font sizes are pixels per em.

use plotters::style::RGBColor;

/// Series colours (the Tableau 10 palette), used in order and repeated
/// after the last one.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];

pub(crate) const BACKGROUND: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);
pub(crate) const TEXT_COLOR: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const AXIS_COLOR: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(crate) const GRID_COLOR: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// Colour of release markers and target lines.
pub(crate) const REFERENCE_COLOR: RGBColor = RGBColor(0x66, 0x66, 0x66);

/// Opacity of the p05..p95 band fill, so overlapping bands stay readable.
pub(crate) const BAND_OPACITY: f64 = 0.2;
/// Opacity of the white box behind marker and line labels.
pub(crate) const LABEL_BACKGROUND_OPACITY: f64 = 0.8;

pub(crate) const MEAN_LINE_WIDTH: u32 = 2;
/// Radius of the dot drawn for a mean value with no neighbour to join.
pub(crate) const ISOLATED_POINT_RADIUS: u32 = 3;
pub(crate) const REFERENCE_LINE_WIDTH: u32 = 1;
pub(crate) const DASH_LENGTH: u32 = 6;
pub(crate) const DASH_GAP: u32 = 4;

pub(crate) const TITLE_FONT_SIZE: f64 = 20.0;
pub(crate) const AXIS_LABEL_FONT_SIZE: f64 = 14.0;
pub(crate) const TICK_LABEL_FONT_SIZE: f64 = 12.0;
pub(crate) const LEGEND_FONT_SIZE: f64 = 13.0;
/// Font size of marker and horizontal line labels.
pub(crate) const ANNOTATION_FONT_SIZE: f64 = 12.0;

/// Space between the image edge and the chart or legend.
pub(crate) const OUTER_MARGIN: u32 = 16;
/// Length of tick marks; plotters puts tick labels twice this far from the axis.
pub(crate) const TICK_MARK_SIZE: u32 = 5;
/// Space between tick labels and the axis label.
pub(crate) const AXIS_LABEL_GAP: u32 = 8;
/// Space between the x axis label and the legend.
pub(crate) const LEGEND_TOP_GAP: u32 = 8;
/// Width of the colour swatch in front of each legend label.
pub(crate) const LEGEND_SWATCH_WIDTH: u32 = 24;
/// Space between a legend swatch and its label.
pub(crate) const LEGEND_SWATCH_GAP: u32 = 6;
/// Space between two legend entries in a row.
pub(crate) const LEGEND_ENTRY_GAP: u32 = 20;
/// Height of one legend row.
pub(crate) const LEGEND_ROW_HEIGHT: u32 = 20;
/// Padding around marker and line labels, inside their white box.
pub(crate) const ANNOTATION_PADDING: u32 = 3;

/// Maximum number of labelled ticks per axis; plotters picks round values.
pub(crate) const X_TICK_COUNT: usize = 10;
pub(crate) const Y_TICK_COUNT: usize = 8;
