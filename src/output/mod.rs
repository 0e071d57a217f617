//! Output: CSV files, charts, the manifest, the summary table, and
//! all-or-nothing writing.

pub mod chart;
pub mod csv;
pub mod files;
pub mod manifest;
pub mod shard;
pub mod table;
