//! Launch traces: recorded app open and close events, turned into visits.
//!
//! A trace is a CSV file with a header row. Column order is free, and
//! columns other than these are ignored:
//!
//! | column      | required | content                                             |
//! |-------------|----------|-----------------------------------------------------|
//! | `user_id`   | yes      | opaque user id, non-empty                           |
//! | `app`       | no       | app id, non-empty. Without the column every user has one app named `app` |
//! | `event`     | yes      | `open` or `close` (ASCII case ignored)              |
//! | `timestamp` | yes      | instant with a UTC offset, see below                |
//!
//! Accepted timestamps are RFC 3339 (`2021-03-04T09:35:00+01:00`, `Z` for
//! UTC, any number of fractional-second digits such as
//! `2021-03-04T09:35:00.250+01:00`), the same with a space in place of the
//! `T` (`2021-03-04 09:35:00+01:00`), and the ISO 8601 basic offset
//! `+0100`. Timestamps without an offset are rejected, because a local time
//! alone does not fix the instant. Digits below the millisecond are
//! truncated. Column names and values are trimmed of surrounding
//! whitespace, column names are case-sensitive, and a leading UTF-8 byte
//! order mark is ignored.
//!
//! Each (user_id, app) pair becomes one simulated user. Rows of different
//! pairs may come in any order. Within a pair the rows are sorted by time
//! (stable, so equal times keep file order) and must then alternate open,
//! close, open, close. At equal times a close comes first while a visit is
//! open, and an open comes first otherwise. So a visit may end and the next
//! start at the same second, and a visit may open and close at the same
//! second (real logs with 1 s resolution contain both). A trailing open with
//! no close is dropped and counted in [`Trace::dropped_open_without_close`].
//! Visits of a pair at most [`TraceOptions::merge_gap_ms`] apart are then
//! merged into one.
//!
//! Every row is checked for syntax, including rows of apps that the options
//! filter out. The open/close order is checked only for the pairs that are
//! kept. `docs/trace-format.md` describes the format with examples.

mod error;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use chrono::{DateTime, FixedOffset};

pub use error::TraceError;

/// Required columns of a trace file.
pub const REQUIRED_COLUMNS: [&str; 3] = ["user_id", "event", "timestamp"];

/// App name of every pair when the trace has no `app` column.
pub const DEFAULT_APP: &str = "app";

/// One foreground visit of an app, from `open_ms` to `close_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Visit {
    /// Open instant, Unix epoch milliseconds (UTC).
    pub open_ms: i64,
    /// Close instant, Unix epoch milliseconds (UTC). Never before `open_ms`.
    pub close_ms: i64,
}

/// The visits of one (user, app) pair, which the simulator runs as one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracePair {
    /// User id from the `user_id` column.
    pub user_id: String,
    /// App id from the `app` column, or [`DEFAULT_APP`] without that column.
    pub app: String,
    /// Visits sorted by `open_ms`. A visit's `open_ms` is never before the
    /// previous visit's `close_ms`. With a positive `merge_gap_ms` it is more
    /// than `merge_gap_ms` after it.
    pub visits: Vec<Visit>,
}

/// A parsed trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// Pairs with at least one visit, sorted by `user_id` and then `app`
    /// (byte order), so the result does not depend on the row order.
    pub pairs: Vec<TracePair>,
    /// Earliest `open_ms` of all visits.
    pub first_ms: i64,
    /// Latest `close_ms` of all visits.
    pub last_ms: i64,
    /// UTC offset, in seconds, of the timestamp that gave `first_ms`, for
    /// converting instants to the trace's local time of day.
    pub utc_offset_seconds: i32,
    /// Number of kept pairs whose last open had no close. Those opens are
    /// dropped.
    pub dropped_open_without_close: usize,
}

/// Options of a trace read: the app filters and the visit merge gap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceOptions {
    /// Keep only these apps. Each must occur in the file. `None` keeps all.
    pub apps: Option<Vec<String>>,
    /// Drop these apps, also when `apps` lists them. Names that do not occur
    /// in the file are ignored, so a generic exclusion list can be reused.
    pub exclude_apps: Vec<String>,
    /// Merge consecutive visits of a pair whose gap (close to next open) is
    /// at most this many milliseconds. 0 keeps every visit apart, also
    /// visits that touch. Negative values are rejected.
    pub merge_gap_ms: i64,
}

/// Reads and parses the trace file at `path`.
///
/// See the [module documentation](self) for the format. Errors name the
/// file as `path.display()` prints it.
pub fn read_trace(path: &Path, options: &TraceOptions) -> Result<Trace, TraceError> {
    let source_name = path.display().to_string();
    let file = File::open(path).map_err(|source| TraceError::Io {
        file: source_name.clone(),
        source,
    })?;
    parse_trace(BufReader::new(file), &source_name, options)
}

/// Parses a trace from `reader`, naming it `source_name` in errors.
///
/// This is [`read_trace`] without the file system, for tests, fuzzing and
/// embedded traces. A `&[u8]` or `text.as_bytes()` works as the reader.
pub fn parse_trace<R: Read>(
    reader: R,
    source_name: &str,
    options: &TraceOptions,
) -> Result<Trace, TraceError> {
    if options.merge_gap_ms < 0 {
        return Err(TraceError::NegativeMergeGap {
            merge_gap_ms: options.merge_gap_ms,
        });
    }

    let rows = read_rows(reader, source_name, options)?;
    check_selected_apps(&rows.apps_seen, source_name, options)?;
    build_trace(rows.pairs, source_name, options.merge_gap_ms)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    Open,
    Close,
}

/// One parsed row of a kept pair.
#[derive(Clone, Copy, Debug)]
struct Event {
    time_ms: i64,
    offset_seconds: i32,
    kind: EventKind,
    line: u64,
}

/// Column indices found in the header.
struct Columns {
    user_id: usize,
    app: Option<usize>,
    event: usize,
    timestamp: usize,
}

/// Events of the kept pairs, and every app name seen in the file.
struct Rows {
    pairs: BTreeMap<(String, String), Vec<Event>>,
    apps_seen: BTreeSet<String>,
}

fn read_rows<R: Read>(
    reader: R,
    source_name: &str,
    options: &TraceOptions,
) -> Result<Rows, TraceError> {
    let mut csv_reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header = csv_reader
        .headers()
        .map_err(|error| csv_error(error, source_name))?
        .clone();
    let columns = find_columns(&header, source_name)?;

    let selected: Option<HashSet<&str>> = options
        .apps
        .as_ref()
        .map(|apps| apps.iter().map(String::as_str).collect());
    let excluded: HashSet<&str> = options.exclude_apps.iter().map(String::as_str).collect();

    let mut rows = Rows {
        pairs: BTreeMap::new(),
        apps_seen: BTreeSet::new(),
    };
    let mut record = csv::StringRecord::new();
    while csv_reader
        .read_record(&mut record)
        .map_err(|error| csv_error(error, source_name))?
    {
        let line = record.position().map_or(0, |position| position.line());
        let user_id = required_value(&record, columns.user_id, "user_id", line, source_name)?;
        let app = match columns.app {
            Some(index) => required_value(&record, index, "app", line, source_name)?,
            None => DEFAULT_APP,
        };
        let kind = parse_event(&record[columns.event], line, source_name)?;
        let time = parse_timestamp(&record[columns.timestamp]).ok_or_else(|| {
            TraceError::InvalidTimestamp {
                file: source_name.to_string(),
                line,
                column: "timestamp".to_string(),
                value: record[columns.timestamp].to_string(),
            }
        })?;

        if !rows.apps_seen.contains(app) {
            rows.apps_seen.insert(app.to_string());
        }
        let is_selected = selected.as_ref().is_none_or(|apps| apps.contains(app));
        if !is_selected || excluded.contains(app) {
            continue;
        }
        rows.pairs
            .entry((user_id.to_string(), app.to_string()))
            .or_default()
            .push(Event {
                time_ms: time.timestamp_millis(),
                offset_seconds: time.offset().local_minus_utc(),
                kind,
                line,
            });
    }
    Ok(rows)
}

fn find_columns(header: &csv::StringRecord, source_name: &str) -> Result<Columns, TraceError> {
    // csv-core strips a leading UTF-8 byte order mark, and `Trim::All` trims the names.
    let names: Vec<String> = header.iter().map(str::to_string).collect();

    let find = |column: &str| -> Result<Option<usize>, TraceError> {
        let mut matches = names.iter().enumerate().filter(|(_, name)| *name == column);
        let first = matches.next().map(|(index, _)| index);
        if matches.next().is_some() {
            return Err(TraceError::DuplicateColumn {
                file: source_name.to_string(),
                column: column.to_string(),
            });
        }
        Ok(first)
    };
    let require = |column: &str| -> Result<usize, TraceError> {
        find(column)?.ok_or_else(|| TraceError::MissingColumn {
            file: source_name.to_string(),
            column: column.to_string(),
            found: names.clone(),
        })
    };

    Ok(Columns {
        user_id: require("user_id")?,
        app: find("app")?,
        event: require("event")?,
        timestamp: require("timestamp")?,
    })
}

fn csv_error(error: csv::Error, source_name: &str) -> TraceError {
    let file = source_name.to_string();
    let line = error.position().map(|position| position.line());
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => TraceError::FieldCount {
            file,
            line: pos.as_ref().map_or(0, |position| position.line()),
            expected: *expected_len,
            found: *len,
        },
        csv::ErrorKind::Utf8 { pos, .. } => TraceError::InvalidUtf8 {
            file,
            line: pos.as_ref().map_or(0, |position| position.line()),
        },
        csv::ErrorKind::Io(_) => match error.into_kind() {
            csv::ErrorKind::Io(source) => TraceError::Io { file, source },
            _ => unreachable!("the kind was matched as Io above"),
        },
        _ => TraceError::Csv {
            file,
            line,
            detail: error.to_string(),
        },
    }
}

fn required_value<'r>(
    record: &'r csv::StringRecord,
    index: usize,
    column: &str,
    line: u64,
    source_name: &str,
) -> Result<&'r str, TraceError> {
    let value = &record[index];
    if value.is_empty() {
        return Err(TraceError::EmptyValue {
            file: source_name.to_string(),
            line,
            column: column.to_string(),
        });
    }
    Ok(value)
}

fn parse_event(value: &str, line: u64, source_name: &str) -> Result<EventKind, TraceError> {
    if value.eq_ignore_ascii_case("open") {
        Ok(EventKind::Open)
    } else if value.eq_ignore_ascii_case("close") {
        Ok(EventKind::Close)
    } else {
        Err(TraceError::UnknownEvent {
            file: source_name.to_string(),
            line,
            column: "event".to_string(),
            value: value.to_string(),
        })
    }
}

/// Parses RFC 3339 (chrono also accepts a space for the `T`), falling back to
/// the ISO 8601 basic offset `+hhmm`.
fn parse_timestamp(value: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Some(time);
    }
    ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"]
        .iter()
        .find_map(|format| DateTime::parse_from_str(value, format).ok())
}

fn check_selected_apps(
    apps_seen: &BTreeSet<String>,
    source_name: &str,
    options: &TraceOptions,
) -> Result<(), TraceError> {
    let Some(selected) = &options.apps else {
        return Ok(());
    };
    for app in selected {
        if apps_seen.contains(app) {
            continue;
        }
        let closest = apps_seen
            .iter()
            .min_by_key(|candidate| strsim::damerau_levenshtein(app, candidate))
            .cloned();
        return Err(TraceError::UnknownApp {
            file: source_name.to_string(),
            app: app.clone(),
            closest,
        });
    }
    Ok(())
}

/// Visits of one pair, and the open event of its first visit.
struct PairedVisits {
    visits: Vec<Visit>,
    first_open: Option<Event>,
    dropped_open: bool,
}

/// A pairing error of one pair, before the pair's names are attached.
enum PairingError {
    CloseWithoutOpen { line: u64 },
    TwoOpens { line: u64, previous_line: u64 },
}

impl PairingError {
    fn line(&self) -> u64 {
        match self {
            PairingError::CloseWithoutOpen { line } | PairingError::TwoOpens { line, .. } => *line,
        }
    }
}

fn build_trace(
    pairs: BTreeMap<(String, String), Vec<Event>>,
    source_name: &str,
    merge_gap_ms: i64,
) -> Result<Trace, TraceError> {
    let mut trace_pairs = Vec::with_capacity(pairs.len());
    let mut first_open: Option<Event> = None;
    let mut last_ms = i64::MIN;
    let mut dropped_open_without_close = 0;
    // The error with the smallest line number across all pairs, so the
    // message does not depend on which pair happens to be checked first.
    let mut first_error: Option<(PairingError, String, String)> = None;

    for ((user_id, app), mut events) in pairs {
        let paired = match pair_events(&mut events) {
            Ok(paired) => paired,
            Err(error) => {
                let is_earlier = first_error
                    .as_ref()
                    .is_none_or(|(earlier, _, _)| error.line() < earlier.line());
                if is_earlier {
                    first_error = Some((error, user_id, app));
                }
                continue;
            }
        };
        if paired.dropped_open {
            dropped_open_without_close += 1;
        }
        if let Some(open) = paired.first_open {
            if first_open.is_none_or(|earliest| open.time_ms < earliest.time_ms) {
                first_open = Some(open);
            }
        }
        let visits = merge_visits(paired.visits, merge_gap_ms);
        if let Some(last) = visits.last() {
            last_ms = last_ms.max(last.close_ms);
            trace_pairs.push(TracePair {
                user_id,
                app,
                visits,
            });
        }
    }

    if let Some((error, user_id, app)) = first_error {
        let file = source_name.to_string();
        return Err(match error {
            PairingError::CloseWithoutOpen { line } => TraceError::CloseWithoutOpen {
                file,
                line,
                user_id,
                app,
            },
            PairingError::TwoOpens {
                line,
                previous_line,
            } => TraceError::TwoOpens {
                file,
                line,
                previous_line,
                user_id,
                app,
            },
        });
    }
    let Some(first_open) = first_open else {
        return Err(TraceError::NoVisits {
            file: source_name.to_string(),
        });
    };
    Ok(Trace {
        pairs: trace_pairs,
        first_ms: first_open.time_ms,
        last_ms,
        utc_offset_seconds: first_open.offset_seconds,
        dropped_open_without_close,
    })
}

/// Pairs each open with the next close of one pair's events.
fn pair_events(events: &mut [Event]) -> Result<PairedVisits, PairingError> {
    events.sort_by_key(|event| event.time_ms);

    let mut paired = PairedVisits {
        visits: Vec::with_capacity(events.len() / 2),
        first_open: None,
        dropped_open: false,
    };
    let mut open: Option<Event> = None;
    for group in events.chunk_by(|a, b| a.time_ms == b.time_ms) {
        // Within one instant, take a close while a visit is open and an open
        // otherwise, each in file order. This accepts visits that end and
        // start at the same instant, and zero-length visits.
        let mut opens = group.iter().filter(|event| event.kind == EventKind::Open);
        let mut closes = group.iter().filter(|event| event.kind == EventKind::Close);
        let mut next_open = opens.next();
        let mut next_close = closes.next();
        loop {
            match (open, next_open, next_close) {
                (Some(started), _, Some(close)) => {
                    paired.visits.push(Visit {
                        open_ms: started.time_ms,
                        close_ms: close.time_ms,
                    });
                    paired.first_open.get_or_insert(started);
                    open = None;
                    next_close = closes.next();
                }
                (None, Some(start), _) => {
                    open = Some(*start);
                    next_open = opens.next();
                }
                (Some(started), Some(start), None) => {
                    return Err(PairingError::TwoOpens {
                        line: start.line,
                        previous_line: started.line,
                    });
                }
                (None, None, Some(close)) => {
                    return Err(PairingError::CloseWithoutOpen { line: close.line });
                }
                (_, None, None) => break,
            }
        }
    }
    paired.dropped_open = open.is_some();
    Ok(paired)
}

/// Merges visits whose gap (close to next open) is at most `merge_gap_ms`;
/// 0 merges nothing.
fn merge_visits(visits: Vec<Visit>, merge_gap_ms: i64) -> Vec<Visit> {
    if merge_gap_ms == 0 {
        return visits;
    }
    let mut merged: Vec<Visit> = Vec::with_capacity(visits.len());
    for visit in visits {
        match merged.last_mut() {
            Some(last) if visit.open_ms - last.close_ms <= merge_gap_ms => {
                last.close_ms = visit.close_ms;
            }
            _ => merged.push(visit),
        }
    }
    merged
}
