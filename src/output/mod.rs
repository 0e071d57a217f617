//! Output formats: charts rendered to SVG and PNG.

pub mod chart;
