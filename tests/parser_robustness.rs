//! The scenario parser and the trace reader on hostile input, on stable
//! Rust: arbitrary text and mutated valid files must give a result or an
//! error that names the file, never a panic. `fuzz/` runs the same targets
//! under libFuzzer for much longer (see `docs/fuzzing.md`); these tests keep
//! a bounded number of cases in the normal test suite.

use proptest::prelude::*;
use rollout_sim::engine::budget;
use rollout_sim::i18n::Lang;
use rollout_sim::scenario;
use rollout_sim::trace::{parse_trace, TraceOptions};

/// Valid scenarios that the mutations start from, covering every table.
const SEEDS: [&str; 5] = [
    include_str!("../scenarios/wechat-default.toml"),
    include_str!("../fuzz/seeds/scenario_parse/phased-rollback.toml"),
    include_str!("../scenarios/host-mix.toml"),
    include_str!("../scenarios/outage.toml"),
    include_str!("../scenarios/codepush-rollback.toml"),
];

const TRACE: &str = "\
user_id,app,event,timestamp
u1,a,open,2021-03-04T09:00:00+01:00
u1,a,close,2021-03-04T09:05:00+01:00
u2,b,open,2021-03-04 10:00:00.250+0100
u2,b,close,2021-03-04T09:01:00Z
";

/// Fragments a mutation inserts: TOML syntax, keys, values at and beyond
/// the limits of the schema, and CSV pieces.
const TOKENS: &[&str] = &[
    "\n",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "=",
    ",",
    "\"",
    "'",
    "#",
    ".",
    "-",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1",
    "0",
    "0.0",
    "1.0000000001",
    "9223372036854775807",
    "true",
    "2026-12-07T10:00:00",
    "\"0s\"",
    "\"-5m\"",
    "\"5 minutes\"",
    "\"1e9d\"",
    "\"99999999999d\"",
    "\"0MB\"",
    "\"1e400GB\"",
    "\"2MB\"",
    "\"0KB/s\"",
    "share",
    "dist",
    "\"lognormal\"",
    "p90",
    "rollout",
    "percent",
    "rollback_to",
    "revert_at",
    "versions",
    "\"1.9.0\"",
    "horizon",
    "sample_every",
    "\"1ms\"",
    "replications",
    "users",
    "\u{fffd}",
    "é",
    "用户",
    "open",
    "close",
    "user_id",
    "timestamp",
    "2021-03-04T09:00:00",
    "+01:00",
    "Z",
];

/// One edit of a text: delete a range, insert a token, or duplicate a range.
#[derive(Clone, Debug)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Duplicate { at: usize, len: usize },
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Edit::Insert { at, token }),
        (any::<usize>(), 0usize..200).prop_map(|(at, len)| Edit::Duplicate { at, len }),
    ]
}

/// Moves a byte offset back to the nearest char boundary.
fn boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_string();
    for edit in edits {
        let len = text.len().max(1);
        match *edit {
            Edit::Delete { at, len: count } => {
                let start = boundary(&text, at % len);
                let end = boundary(&text, start + count);
                text.replace_range(start..end, "");
            }
            Edit::Insert { at, token } => {
                let at = boundary(&text, at % len);
                text.insert_str(at, TOKENS[token]);
            }
            Edit::Duplicate { at, len: count } => {
                let start = boundary(&text, at % len);
                let end = boundary(&text, start + count);
                let copy = text[start..end].to_string();
                text.insert_str(end, &copy);
            }
        }
    }
    text
}

/// Parses a scenario text and checks what any outcome must satisfy.
fn check_scenario(text: &str) -> Result<(), TestCaseError> {
    match scenario::parse(text, "fuzz.toml", None) {
        Ok(parsed) => {
            let sum: f64 = parsed.population.segments.iter().map(|s| s.share).sum();
            prop_assert!((sum - 1.0).abs() <= 1e-9, "segment shares sum to {sum}");
            let sum: f64 = parsed.networks.iter().map(|n| n.share).sum();
            prop_assert!((sum - 1.0).abs() <= 1e-9, "network shares sum to {sum}");
            prop_assert!(parsed.run.bins() >= 1);
            prop_assert!(!parsed.policies.is_empty());
            // The estimate multiplies the scenario's sizes; it must not
            // overflow or panic either.
            let estimate = budget::estimate_memory(&parsed, parsed.run.replications, 2);
            prop_assert!(estimate.total() > 0);
        }
        Err(error) => {
            let english = error.render(Lang::En);
            let chinese = error.render(Lang::ZhCn);
            prop_assert!(english.starts_with("fuzz.toml"), "{english}");
            prop_assert!(chinese.starts_with("fuzz.toml"), "{chinese}");
        }
    }
    Ok(())
}

fn check_trace(bytes: &[u8], options: &TraceOptions) -> Result<(), TestCaseError> {
    match parse_trace(bytes, "fuzz.csv", options) {
        Ok(trace) => {
            for pair in &trace.pairs {
                for visit in &pair.visits {
                    prop_assert!(visit.open_ms <= visit.close_ms);
                }
            }
        }
        Err(error) => {
            let english = error.render(Lang::En);
            let chinese = error.render(Lang::ZhCn);
            prop_assert!(english.contains("fuzz.csv"), "{english}");
            prop_assert!(chinese.contains("fuzz.csv"), "{chinese}");
        }
    }
    Ok(())
}

#[test]
fn seeds_are_valid() {
    for (index, seed) in SEEDS.iter().enumerate() {
        if let Err(error) = scenario::parse(seed, "seed.toml", None) {
            panic!("seed {index}: {error}");
        }
    }
    parse_trace(TRACE.as_bytes(), "t.csv", &TraceOptions::default()).expect("trace");
}

// proptest runs 256 cases per test by default; PROPTEST_CASES=100000 runs
// a longer search locally.
proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,600}") {
        check_scenario(&text)?;
    }

    #[test]
    fn mutated_scenarios_never_panic(
        seed in 0..SEEDS.len(),
        edits in prop::collection::vec(edit_strategy(), 1..8),
    ) {
        check_scenario(&apply(SEEDS[seed], &edits))?;
    }

    #[test]
    fn mutated_traces_never_panic(
        edits in prop::collection::vec(edit_strategy(), 1..8),
        merge_gap_s in 0i64..100,
        filter in any::<bool>(),
    ) {
        let options = TraceOptions {
            apps: filter.then(|| vec!["a".to_string()]),
            exclude_apps: Vec::new(),
            merge_gap_ms: merge_gap_s * 1000,
        };
        check_trace(apply(TRACE, &edits).as_bytes(), &options)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_trace(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_trace(&bytes, &TraceOptions::default())?;
    }
}
