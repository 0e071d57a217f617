//! Fuzzes the launch-trace reader: any bytes must give a trace or an error
//! that renders in both languages, and never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rollout_sim::i18n::Lang;
use rollout_sim::trace::{parse_trace, TraceOptions};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the options, so merging and app filters are
    // fuzzed too; the rest is the file.
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let options = TraceOptions {
        apps: (selector & 1 == 1).then(|| vec!["app".to_string(), "b".to_string()]),
        exclude_apps: if selector & 2 == 2 {
            vec!["a".to_string()]
        } else {
            Vec::new()
        },
        merge_gap_ms: i64::from(selector >> 2) * 1000,
    };
    if let Err(error) = parse_trace(file, "fuzz.csv", &options) {
        let _ = error.render(Lang::En);
        let _ = error.render(Lang::ZhCn);
    }
});
