//! Output: CSV files, the manifest, the summary table, and all-or-nothing
//! writing.

pub mod csv;
pub mod files;
pub mod manifest;
pub mod table;
