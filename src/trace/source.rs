//! Reading the trace that a scenario's `population.trace*` keys select.

use crate::scenario::TraceSource;
use crate::trace::{read_trace, Trace, TraceError, TraceOptions};

impl TraceOptions {
    /// Builds the reader options from a scenario's trace settings: an
    /// empty `trace_apps` keeps every app.
    pub fn from_source(source: &TraceSource) -> TraceOptions {
        TraceOptions {
            apps: (!source.apps.is_empty()).then(|| source.apps.clone()),
            exclude_apps: source.exclude_apps.clone(),
            merge_gap_ms: source.merge_gap.0,
        }
    }
}

/// Reads and checks the trace file of a scenario.
///
/// # Errors
/// Returns a [`TraceError`] naming the file, and the line and column where
/// there is one, when the file cannot be read or is invalid. Callers report
/// it as invalid input (exit code 2).
pub fn read_source(source: &TraceSource) -> Result<Trace, TraceError> {
    read_trace(&source.path, &TraceOptions::from_source(source))
}
