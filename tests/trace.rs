//! Tests of the launch-trace reader against in-memory traces and the shipped
//! app-usage subset.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::DateTime;
use rollout_sim::i18n::Lang;
use rollout_sim::trace::{
    parse_trace, read_trace, Trace, TraceError, TraceOptions, Visit, DEFAULT_APP,
};

fn parse(text: &str, options: &TraceOptions) -> Result<Trace, TraceError> {
    parse_trace(text.as_bytes(), "test.csv", options)
}

fn parse_default(text: &str) -> Trace {
    parse(text, &TraceOptions::default()).expect("trace parses")
}

fn parse_error(text: &str, options: &TraceOptions) -> TraceError {
    match parse(text, options) {
        Ok(trace) => panic!("expected an error, got {trace:?}"),
        Err(error) => error,
    }
}

fn ms(timestamp: &str) -> i64 {
    DateTime::parse_from_rfc3339(timestamp)
        .expect("test timestamp is RFC 3339")
        .timestamp_millis()
}

fn visit(open: &str, close: &str) -> Visit {
    Visit {
        open_ms: ms(open),
        close_ms: ms(close),
    }
}

fn pair_keys(trace: &Trace) -> Vec<(String, String)> {
    trace
        .pairs
        .iter()
        .map(|pair| (pair.user_id.clone(), pair.app.clone()))
        .collect()
}

fn visit_count(trace: &Trace) -> usize {
    trace.pairs.iter().map(|pair| pair.visits.len()).sum()
}

const SMALL: &str = "\
user_id,app,event,timestamp
u2,chat,open,2021-03-04T10:00:00+01:00
u1,chat,open,2021-03-04T09:00:00+01:00
u1,chat,close,2021-03-04T09:05:00+01:00
u2,chat,close,2021-03-04T10:01:00+01:00
u1,browser,open,2021-03-04T09:02:00+01:00
u1,browser,close,2021-03-04T09:03:30+01:00
u1,chat,open,2021-03-04T12:00:00+01:00
u1,chat,close,2021-03-04T12:00:45+01:00
";

#[test]
fn small_trace_parses() {
    let trace = parse_default(SMALL);

    assert_eq!(
        pair_keys(&trace),
        vec![
            ("u1".to_string(), "browser".to_string()),
            ("u1".to_string(), "chat".to_string()),
            ("u2".to_string(), "chat".to_string()),
        ]
    );
    assert_eq!(
        trace.pairs[0].visits,
        vec![visit(
            "2021-03-04T09:02:00+01:00",
            "2021-03-04T09:03:30+01:00"
        )]
    );
    assert_eq!(
        trace.pairs[1].visits,
        vec![
            visit("2021-03-04T09:00:00+01:00", "2021-03-04T09:05:00+01:00"),
            visit("2021-03-04T12:00:00+01:00", "2021-03-04T12:00:45+01:00"),
        ]
    );
    assert_eq!(trace.first_ms, ms("2021-03-04T08:00:00Z"));
    assert_eq!(trace.last_ms, ms("2021-03-04T11:00:45Z"));
    assert_eq!(trace.utc_offset_seconds, 3600);
    assert_eq!(trace.dropped_open_without_close, 0);
}

#[test]
fn row_order_across_pairs_is_free() {
    let mut rows: Vec<&str> = SMALL.lines().skip(1).collect();
    let sorted = parse_default(SMALL);

    rows.reverse();
    let reversed = format!("user_id,app,event,timestamp\n{}\n", rows.join("\n"));
    assert_eq!(parse_default(&reversed), sorted);

    // Rows within a pair may be out of order too, as long as the time order alternates.
    rows.sort_by_key(|row| row.split(',').nth(2).map(str::to_string));
    let grouped_by_event = format!("user_id,app,event,timestamp\n{}\n", rows.join("\n"));
    assert_eq!(parse_default(&grouped_by_event), sorted);
}

#[test]
fn missing_app_column_gives_one_app() {
    let text = "\
timestamp,user_id,event,device
2021-03-04T09:00:00+01:00,u1,open,phone
2021-03-04T09:01:00+01:00,u1,close,phone
";
    let trace = parse_default(text);

    assert_eq!(trace.pairs.len(), 1);
    assert_eq!(trace.pairs[0].user_id, "u1");
    assert_eq!(trace.pairs[0].app, DEFAULT_APP);
    assert_eq!(trace.pairs[0].visits.len(), 1);
}

#[test]
fn header_bom_and_spaces_are_ignored() {
    let text = "\u{feff}user_id , event,  timestamp\n u1 , OPEN , 2021-03-04T09:00:00Z\nu1,Close,2021-03-04T09:01:00Z\n";
    let trace = parse_default(text);

    assert_eq!(trace.pairs[0].user_id, "u1");
    assert_eq!(
        trace.pairs[0].visits,
        vec![visit("2021-03-04T09:00:00Z", "2021-03-04T09:01:00Z")]
    );
    assert_eq!(trace.utc_offset_seconds, 0);
}

#[test]
fn timestamp_forms_are_accepted() {
    let text = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00.250+01:00
u1,a,close,2021-03-04T09:00:01.5+01:00
u1,a,open,2021-03-04 09:10:00+01:00
u1,a,close,2021-03-04T08:11:00Z
u1,a,open,2021-03-04T09:20:00.123456789+0100
u1,a,close,2021-03-04 09:21:00.9999+0100
";
    let trace = parse_default(text);
    let visits = &trace.pairs[0].visits;

    assert_eq!(visits.len(), 3);
    assert_eq!(visits[0].open_ms, ms("2021-03-04T08:00:00Z") + 250);
    assert_eq!(visits[0].close_ms, ms("2021-03-04T08:00:01Z") + 500);
    assert_eq!(visits[1].open_ms, ms("2021-03-04T08:10:00Z"));
    assert_eq!(visits[1].close_ms, ms("2021-03-04T08:11:00Z"));
    // Digits below the millisecond are truncated.
    assert_eq!(visits[2].open_ms, ms("2021-03-04T08:20:00Z") + 123);
    assert_eq!(visits[2].close_ms, ms("2021-03-04T08:21:00Z") + 999);
}

#[test]
fn first_offset_comes_from_earliest_open() {
    let text = "\
user_id,app,event,timestamp
late,a,open,2021-03-04T12:00:00+01:00
late,a,close,2021-03-04T12:30:00+01:00
early,a,open,2021-03-04T09:00:00+08:00
early,a,close,2021-03-04T09:30:00+08:00
";
    let trace = parse_default(text);

    assert_eq!(trace.first_ms, ms("2021-03-04T01:00:00Z"));
    assert_eq!(trace.utc_offset_seconds, 8 * 3600);
}

#[test]
fn equal_time_events_pair() {
    // File order puts the close first at equal times, as the shipped data
    // does. The first two visits touch, and the third has zero length.
    let text = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00Z
u1,a,close,2021-03-04T09:00:10Z
u1,a,open,2021-03-04T09:00:10Z
u1,a,close,2021-03-04T09:00:20Z
u1,a,close,2021-03-04T09:00:30Z
u1,a,open,2021-03-04T09:00:30Z
";
    let trace = parse_default(text);

    assert_eq!(
        trace.pairs[0].visits,
        vec![
            visit("2021-03-04T09:00:00Z", "2021-03-04T09:00:10Z"),
            visit("2021-03-04T09:00:10Z", "2021-03-04T09:00:20Z"),
            visit("2021-03-04T09:00:30Z", "2021-03-04T09:00:30Z"),
        ]
    );
}

#[test]
fn trailing_open_is_dropped_and_counted() {
    let text = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00Z
u1,a,close,2021-03-04T09:01:00Z
u1,a,open,2021-03-04T23:00:00Z
u2,a,open,2021-03-04T10:00:00Z
u2,a,close,2021-03-04T10:01:00Z
";
    let trace = parse_default(text);

    assert_eq!(trace.dropped_open_without_close, 1);
    assert_eq!(trace.pairs[0].visits.len(), 1);
    assert_eq!(trace.last_ms, ms("2021-03-04T10:01:00Z"));
}

const GAPS: &str = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00Z
u1,a,close,2021-03-04T09:00:10Z
u1,a,open,2021-03-04T09:00:10Z
u1,a,close,2021-03-04T09:00:20Z
u1,a,open,2021-03-04T09:00:21Z
u1,a,close,2021-03-04T09:00:30Z
u1,a,open,2021-03-04T09:00:31.001Z
u1,a,close,2021-03-04T09:00:40Z
";

#[test]
fn merge_gap_zero_keeps_touching_visits() {
    let trace = parse_default(GAPS);

    assert_eq!(trace.pairs[0].visits.len(), 4);
}

#[test]
fn merge_gap_merges_up_to_limit() {
    let options = TraceOptions {
        merge_gap_ms: 1000,
        ..TraceOptions::default()
    };
    let trace = parse(GAPS, &options).expect("trace parses");

    // Gaps of 0 ms and 1000 ms merge, and the gap of 1001 ms does not.
    assert_eq!(
        trace.pairs[0].visits,
        vec![
            visit("2021-03-04T09:00:00Z", "2021-03-04T09:00:30Z"),
            visit("2021-03-04T09:00:31.001Z", "2021-03-04T09:00:40Z"),
        ]
    );
}

#[test]
fn merge_gap_large_merges_all() {
    let options = TraceOptions {
        merge_gap_ms: i64::MAX,
        ..TraceOptions::default()
    };
    let trace = parse(GAPS, &options).expect("trace parses");

    assert_eq!(
        trace.pairs[0].visits,
        vec![visit("2021-03-04T09:00:00Z", "2021-03-04T09:00:40Z")]
    );
}

#[test]
fn merge_gap_negative_is_rejected() {
    let options = TraceOptions {
        merge_gap_ms: -1,
        ..TraceOptions::default()
    };
    let error = parse_error(GAPS, &options);

    assert!(matches!(
        error,
        TraceError::NegativeMergeGap { merge_gap_ms: -1 }
    ));
    assert_eq!(
        error.to_string(),
        "invalid merge gap -1 ms. Use 0 to keep every visit, or a positive number of milliseconds."
    );
}

#[test]
fn app_filter_keeps_listed_apps() {
    let options = TraceOptions {
        apps: Some(vec!["chat".to_string()]),
        ..TraceOptions::default()
    };
    let trace = parse(SMALL, &options).expect("trace parses");

    assert_eq!(
        pair_keys(&trace),
        vec![
            ("u1".to_string(), "chat".to_string()),
            ("u2".to_string(), "chat".to_string()),
        ]
    );
    assert_eq!(trace.first_ms, ms("2021-03-04T08:00:00Z"));
}

#[test]
fn exclude_apps_drops_apps() {
    let options = TraceOptions {
        exclude_apps: vec!["chat".to_string(), "never.seen".to_string()],
        ..TraceOptions::default()
    };
    let trace = parse(SMALL, &options).expect("trace parses");

    assert_eq!(
        pair_keys(&trace),
        vec![("u1".to_string(), "browser".to_string())]
    );
}

#[test]
fn exclude_apps_wins_over_apps() {
    let options = TraceOptions {
        apps: Some(vec!["chat".to_string(), "browser".to_string()]),
        exclude_apps: vec!["chat".to_string()],
        ..TraceOptions::default()
    };
    let trace = parse(SMALL, &options).expect("trace parses");

    assert_eq!(
        pair_keys(&trace),
        vec![("u1".to_string(), "browser".to_string())]
    );
}

#[test]
fn app_filter_suggests_closest_app() {
    let options = TraceOptions {
        apps: Some(vec!["chat".to_string(), "browsr".to_string()]),
        ..TraceOptions::default()
    };
    let error = parse_error(SMALL, &options);

    match &error {
        TraceError::UnknownApp { app, closest, .. } => {
            assert_eq!(app, "browsr");
            assert_eq!(closest.as_deref(), Some("browser"));
        }
        other => panic!("expected UnknownApp, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "selected app `browsr` not found in test.csv. Did you mean `browser`?"
    );
}

#[test]
fn app_filter_on_empty_file_has_no_suggestion() {
    let options = TraceOptions {
        apps: Some(vec!["chat".to_string()]),
        ..TraceOptions::default()
    };
    let error = parse_error("user_id,app,event,timestamp\n", &options);

    assert!(matches!(
        error,
        TraceError::UnknownApp { closest: None, .. }
    ));
}

#[test]
fn no_visits_after_filter_is_error() {
    let options = TraceOptions {
        exclude_apps: vec!["chat".to_string(), "browser".to_string()],
        ..TraceOptions::default()
    };
    let error = parse_error(SMALL, &options);

    assert!(matches!(error, TraceError::NoVisits { .. }));
    assert_eq!(
        error.to_string(),
        "no complete visit in test.csv after filtering. Check the selected and excluded apps, \
         and that the file has both open and close rows."
    );
}

#[test]
fn header_only_file_has_no_visits() {
    let error = parse_error("user_id,app,event,timestamp\n", &TraceOptions::default());

    assert!(matches!(error, TraceError::NoVisits { .. }));
}

#[test]
fn missing_column_lists_columns() {
    let error = parse_error(
        "user_id,app,event,time\nu1,a,open,2021-03-04T09:00:00Z\n",
        &TraceOptions::default(),
    );

    match &error {
        TraceError::MissingColumn { column, found, .. } => {
            assert_eq!(column, "timestamp");
            assert_eq!(found, &["user_id", "app", "event", "time"]);
        }
        other => panic!("expected MissingColumn, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "missing column `timestamp` in the header (line 1) of test.csv. The header has \
         `user_id`, `app`, `event`, `time`, and a trace needs `user_id`, `event` and \
         `timestamp` (`app` is optional)."
    );
}

#[test]
fn empty_input_misses_columns() {
    let error = parse_error("", &TraceOptions::default());

    match &error {
        TraceError::MissingColumn { column, found, .. } => {
            assert_eq!(column, "user_id");
            assert!(found.is_empty());
        }
        other => panic!("expected MissingColumn, got {other:?}"),
    }
}

#[test]
fn duplicate_column_is_rejected() {
    let error = parse_error(
        "user_id,event,timestamp,event\nu1,open,2021-03-04T09:00:00Z,open\n",
        &TraceOptions::default(),
    );

    match &error {
        TraceError::DuplicateColumn { column, .. } => assert_eq!(column, "event"),
        other => panic!("expected DuplicateColumn, got {other:?}"),
    }
}

#[test]
fn invalid_timestamp_names_line_and_value() {
    let text = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00+01:00
u1,a,close,2021-03-04T09:05:00
";
    let error = parse_error(text, &TraceOptions::default());

    match &error {
        TraceError::InvalidTimestamp {
            line,
            column,
            value,
            file,
        } => {
            assert_eq!(*line, 3);
            assert_eq!(column, "timestamp");
            assert_eq!(value, "2021-03-04T09:05:00");
            assert_eq!(file, "test.csv");
        }
        other => panic!("expected InvalidTimestamp, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "invalid timestamp \"2021-03-04T09:05:00\" in column `timestamp` at line 3 of test.csv. \
         Write it as RFC 3339 with a UTC offset, for example 2021-03-04T09:35:00+01:00, \
         2021-03-04T09:35:00.250+01:00, 2021-03-04T08:35:00Z or 2021-03-04 09:35:00+01:00."
    );
}

#[test]
fn invalid_timestamp_checked_in_filtered_rows() {
    let text = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00Z
u1,a,close,2021-03-04T09:05:00Z
u1,b,open,yesterday
";
    let options = TraceOptions {
        apps: Some(vec!["a".to_string()]),
        ..TraceOptions::default()
    };
    let error = parse_error(text, &options);

    assert!(matches!(
        error,
        TraceError::InvalidTimestamp { line: 4, .. }
    ));
}

#[test]
fn unknown_event_names_line_and_value() {
    let text = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00Z
u1,a,close,2021-03-04T09:05:00Z
u1,a,start,2021-03-04T09:06:00Z
";
    let error = parse_error(text, &TraceOptions::default());

    match &error {
        TraceError::UnknownEvent {
            line,
            column,
            value,
            ..
        } => {
            assert_eq!(*line, 4);
            assert_eq!(column, "event");
            assert_eq!(value, "start");
        }
        other => panic!("expected UnknownEvent, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "invalid event \"start\" in column `event` at line 4 of test.csv. \
         Valid events are `open` and `close`."
    );
}

#[test]
fn close_without_open_names_close_line() {
    let text = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00Z
u1,a,close,2021-03-04T09:05:00Z
u1,a,close,2021-03-04T09:06:00Z
";
    let error = parse_error(text, &TraceOptions::default());

    match &error {
        TraceError::CloseWithoutOpen {
            line, user_id, app, ..
        } => {
            assert_eq!(*line, 4);
            assert_eq!(user_id, "u1");
            assert_eq!(app, "a");
        }
        other => panic!("expected CloseWithoutOpen, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "close without an open at line 4 of test.csv (user `u1`, app `a`). Each close must \
         follow an open of the same user and app, so add the missing open or remove this close."
    );
}

#[test]
fn close_before_open_in_time_is_rejected() {
    // The open row comes first in the file, but its time is after the close.
    let text = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:10:00Z
u1,a,close,2021-03-04T09:05:00Z
";
    let error = parse_error(text, &TraceOptions::default());

    assert!(matches!(
        error,
        TraceError::CloseWithoutOpen { line: 3, .. }
    ));
}

#[test]
fn two_opens_name_both_lines() {
    let text = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00Z
u2,a,open,2021-03-04T09:00:00Z
u2,a,close,2021-03-04T09:00:05Z
u1,a,open,2021-03-04T09:01:00Z
u1,a,close,2021-03-04T09:05:00Z
";
    let error = parse_error(text, &TraceOptions::default());

    match &error {
        TraceError::TwoOpens {
            line,
            previous_line,
            user_id,
            app,
            ..
        } => {
            assert_eq!(*line, 5);
            assert_eq!(*previous_line, 2);
            assert_eq!(user_id, "u1");
            assert_eq!(app, "a");
        }
        other => panic!("expected TwoOpens, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "second open in a row at line 5 of test.csv (user `u1`, app `a`). The open at line 2 \
         has no close, so add its close or remove one of the two opens."
    );
}

#[test]
fn order_error_reports_smallest_line() {
    // Pair (a, x) sorts first, but its error is at line 5. Pair (b, x) fails at line 3.
    let text = "\
user_id,app,event,timestamp
b,x,open,2021-03-04T09:00:00Z
b,x,open,2021-03-04T09:01:00Z
a,x,open,2021-03-04T09:00:00Z
a,x,close,2021-03-04T08:00:00Z
";
    let error = parse_error(text, &TraceOptions::default());

    assert!(matches!(
        error,
        TraceError::TwoOpens {
            line: 3,
            previous_line: 2,
            ..
        }
    ));
}

#[test]
fn field_count_names_line() {
    let text = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00Z
u1,a,b,close,2021-03-04T09:05:00Z
";
    let error = parse_error(text, &TraceOptions::default());

    match &error {
        TraceError::FieldCount {
            line,
            expected,
            found,
            ..
        } => {
            assert_eq!(*line, 3);
            assert_eq!(*expected, 4);
            assert_eq!(*found, 5);
        }
        other => panic!("expected FieldCount, got {other:?}"),
    }
}

#[test]
fn invalid_utf8_names_line() {
    let mut bytes = b"user_id,app,event,timestamp\nu1,a,open,2021-03-04T09:00:00Z\n".to_vec();
    bytes.extend_from_slice(b"u\xff,a,close,2021-03-04T09:05:00Z\n");
    let error = parse_trace(bytes.as_slice(), "test.csv", &TraceOptions::default())
        .expect_err("invalid UTF-8 is rejected");

    assert!(matches!(error, TraceError::InvalidUtf8 { line: 3, .. }));
}

#[test]
fn empty_value_names_column() {
    let text = "\
user_id,app,event,timestamp
u1,,open,2021-03-04T09:00:00Z
";
    let error = parse_error(text, &TraceOptions::default());

    match &error {
        TraceError::EmptyValue { line, column, .. } => {
            assert_eq!(*line, 2);
            assert_eq!(column, "app");
        }
        other => panic!("expected EmptyValue, got {other:?}"),
    }
}

#[test]
fn missing_file_is_io_error() {
    let path = Path::new("/nonexistent/rollout-sim/trace.csv");
    let error = read_trace(path, &TraceOptions::default()).expect_err("missing file fails");

    match &error {
        TraceError::Io { file, .. } => assert_eq!(file, "/nonexistent/rollout-sim/trace.csv"),
        other => panic!("expected Io, got {other:?}"),
    }
    assert!(error
        .to_string()
        .starts_with("failed to read trace file /nonexistent/rollout-sim/trace.csv: "));
}

#[test]
fn errors_render_in_chinese() {
    let error = parse_error(
        "user_id,app,event,timestamp\nu1,a,start,2021-03-04T09:00:00Z\n",
        &TraceOptions::default(),
    );
    let chinese = error.render(Lang::ZhCn);

    assert_eq!(error.render(Lang::En), error.to_string());
    assert_eq!(
        chinese,
        "test.csv 第 2 行 `event` 列的事件 \"start\" 无效。有效的事件为 `open` 和 `close`。"
    );
}

fn shipped_subset_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/android-app-usage-2021/app_events.csv")
}

#[test]
fn shipped_subset_matches_row_counts() {
    let path = shipped_subset_path();
    let text = std::fs::read_to_string(&path).expect("shipped subset is readable");

    // Count pairs and open rows with a plain split, independent of the parser.
    let mut opens_per_pair: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut apps = BTreeSet::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 4, "unexpected row {line:?}");
        let count = opens_per_pair
            .entry((fields[0].to_string(), fields[1].to_string()))
            .or_insert(0);
        if fields[2] == "open" {
            *count += 1;
        }
        apps.insert(fields[1].to_string());
    }
    let open_rows: usize = opens_per_pair.values().sum();

    let trace = read_trace(&path, &TraceOptions::default()).expect("shipped subset parses");

    assert_eq!(apps.len(), 5);
    assert_eq!(trace.pairs.len(), opens_per_pair.len());
    assert_eq!(trace.dropped_open_without_close, 0);
    assert_eq!(visit_count(&trace), open_rows);
    for pair in &trace.pairs {
        let key = (pair.user_id.clone(), pair.app.clone());
        assert_eq!(pair.visits.len(), opens_per_pair[&key], "pair {key:?}");
    }
    // The figures quoted in the data README.
    assert_eq!(trace.pairs.len(), 142);
    assert_eq!(open_rows, 15_266);
    assert_eq!(trace.first_ms, ms("2021-03-04T00:02:31+01:00"));
    assert_eq!(trace.last_ms, ms("2021-03-12T01:57:35+01:00"));
    assert_eq!(trace.utc_offset_seconds, 3600);
}

#[test]
fn shipped_subset_merges_to_readme_count() {
    let options = TraceOptions {
        merge_gap_ms: 1000,
        ..TraceOptions::default()
    };
    let trace = read_trace(&shipped_subset_path(), &options).expect("shipped subset parses");

    assert_eq!(visit_count(&trace), 11_092);
}

#[test]
fn shipped_excluded_list_keeps_subset_apps() {
    let list_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/android-app-usage-2021/excluded_packages_for_clean_stats.txt");
    let list = std::fs::read_to_string(list_path).expect("excluded list is readable");
    let options = TraceOptions {
        exclude_apps: list.lines().map(str::to_string).collect(),
        ..TraceOptions::default()
    };
    let trace = read_trace(&shipped_subset_path(), &options).expect("shipped subset parses");

    assert_eq!(trace.pairs.len(), 142);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Visits per (user_id, app) pair.
    type VisitsByPair = BTreeMap<(String, String), Vec<Visit>>;

    /// Builds rows for the given visit lengths and gaps (seconds) of a few
    /// pairs, and the visits they must parse to.
    fn rows_and_visits(pairs: &[Vec<(i64, i64)>]) -> (Vec<String>, VisitsByPair) {
        let start = ms("2021-03-04T00:00:00Z");
        let mut rows = Vec::new();
        let mut expected = BTreeMap::new();
        for (index, spans) in pairs.iter().enumerate() {
            let user_id = format!("user_{}", index % 3);
            let app = format!("app_{}", index / 3);
            let mut time = start;
            let mut visits = Vec::new();
            for &(gap, length) in spans {
                let open_ms = time + gap * 1000;
                let close_ms = open_ms + length * 1000;
                for (event, at) in [("open", open_ms), ("close", close_ms)] {
                    let timestamp = DateTime::from_timestamp_millis(at)
                        .expect("time in range")
                        .to_rfc3339();
                    rows.push(format!("{user_id},{app},{event},{timestamp}"));
                }
                visits.push(Visit { open_ms, close_ms });
                time = close_ms;
            }
            if !visits.is_empty() {
                expected.insert((user_id, app), visits);
            }
        }
        (rows, expected)
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(text in "\\PC{0,400}") {
            let _ = parse_trace(text.as_bytes(), "fuzz.csv", &TraceOptions::default());
        }

        #[test]
        fn shuffled_rows_parse_to_visits(
            pairs in prop::collection::vec(
                prop::collection::vec((0i64..5, 0i64..5), 0..6),
                1..7,
            ),
            seed in any::<u64>(),
        ) {
            let (mut rows, expected) = rows_and_visits(&pairs);
            prop_assume!(!expected.is_empty());

            // Any row order must parse to the same visits, also at equal
            // times, because gaps and lengths of 0 s make visits touch and
            // make zero-length visits. The shuffle is a Fisher-Yates pass
            // driven by xorshift64.
            let mut state = seed | 1;
            for i in (1..rows.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                rows.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let text = format!("user_id,app,event,timestamp\n{}\n", rows.join("\n"));
            let trace = parse(&text, &TraceOptions::default()).expect("generated trace parses");

            let parsed: VisitsByPair = trace
                .pairs
                .into_iter()
                .map(|pair| ((pair.user_id, pair.app), pair.visits))
                .collect();
            prop_assert_eq!(parsed, expected);
        }
    }
}

/// Returns the text of the first fenced block of `language` in a doc file.
fn doc_block(doc: &str, language: &str) -> String {
    let fence = format!("```{language}\n");
    let start = doc.find(&fence).expect("doc has the block") + fence.len();
    let length = doc[start..].find("```").expect("block is closed");
    doc[start..start + length].to_string()
}

#[test]
fn format_docs_match_reader() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let english = std::fs::read_to_string(docs.join("trace-format.md")).expect("doc is readable");
    let chinese =
        std::fs::read_to_string(docs.join("trace-format.zh-CN.md")).expect("doc is readable");

    for doc in [&english, &chinese] {
        let example = parse_default(&doc_block(doc, "csv"));
        assert_eq!(example.pairs.len(), 2);
        assert_eq!(example.pairs[0].visits.len(), 2);
        assert_eq!(example.pairs[1].visits.len(), 1);
    }

    let apps = TraceOptions {
        apps: Some(vec!["browsr".to_string()]),
        ..TraceOptions::default()
    };
    let cases = [
        (
            "user_id,app,event,time\nu1,a,open,2021-03-04T09:00:00Z\n",
            TraceOptions::default(),
        ),
        (
            "user_id,app,event,timestamp\nu1,a,open,2021-03-04T09:00:00+01:00\n\
             u1,a,close,2021-03-04T09:05:00\n",
            TraceOptions::default(),
        ),
        (
            "user_id,app,event,timestamp\nu1,a,open,2021-03-04T09:00:00Z\n\
             u1,a,close,2021-03-04T09:05:00Z\nu1,a,start,2021-03-04T09:06:00Z\n",
            TraceOptions::default(),
        ),
        (
            "user_id,app,event,timestamp\nu1,a,open,2021-03-04T09:00:00Z\n\
             u1,a,close,2021-03-04T09:05:00Z\nu1,a,close,2021-03-04T09:06:00Z\n",
            TraceOptions::default(),
        ),
        (
            "user_id,app,event,timestamp\nu1,a,open,2021-03-04T09:00:00Z\n\
             u2,a,open,2021-03-04T09:00:00Z\nu2,a,close,2021-03-04T09:00:05Z\n\
             u1,a,open,2021-03-04T09:01:00Z\nu1,a,close,2021-03-04T09:05:00Z\n",
            TraceOptions::default(),
        ),
        (SMALL, apps),
    ];
    let english_messages = doc_block(&english, "text");
    let chinese_messages = doc_block(&chinese, "text");
    for (text, options) in cases {
        let error = parse_trace(text.as_bytes(), "trace.csv", &options).expect_err("input fails");
        let in_english = error.render(Lang::En);
        let in_chinese = error.render(Lang::ZhCn);
        assert!(
            english_messages.contains(&in_english),
            "docs/trace-format.md lacks {in_english:?}"
        );
        assert!(
            chinese_messages.contains(&in_chinese),
            "docs/trace-format.zh-CN.md lacks {in_chinese:?}"
        );
    }
}
