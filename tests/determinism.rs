//! Determinism: the same scenario and seed give the same bytes whatever the
//! number of threads, and another seed gives other bytes. Checked through
//! the binary, as a user runs it, and through the library.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rollout_sim::engine::runner::{run, RunOptions};
use rollout_sim::model::population::LaunchSource;
use rollout_sim::scenario::builtin_default;
use rollout_sim::stats::bins::Bins;

/// The files whose bytes must repeat.
const RESULT_FILES: [&str; 2] = ["timeseries.csv", "summary.csv"];

/// Runs the built-in scenario with 2,100 users (three chunks of 1,024 users,
/// so two threads really split the work) and 2 replications into `dir/name`, and returns
/// the output folder.
fn run_cli(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    Command::cargo_bin("rollout-sim")
        .expect("the binary is built")
        .args([
            "run",
            "--users",
            "2100",
            "--replications",
            "2",
            "--lang",
            "en",
        ])
        .arg("--out")
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    out
}

fn read(out: &Path, file: &str) -> Vec<u8> {
    std::fs::read(out.join(file)).unwrap_or_else(|e| panic!("{}: {e}", out.join(file).display()))
}

#[test]
fn thread_count_leaves_bytes_unchanged() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let one = run_cli(dir.path(), "one", &["--threads", "1"]);
    let two = run_cli(dir.path(), "two", &["--threads", "2"]);
    for file in RESULT_FILES {
        let (a, b) = (read(&one, file), read(&two, file));
        assert!(!a.is_empty(), "{file} is empty");
        assert!(a == b, "{file} differs between 1 and 2 threads");
    }
}

#[test]
fn same_seed_repeats_bytes() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let first = run_cli(dir.path(), "first", &["--seed", "5"]);
    let second = run_cli(dir.path(), "second", &["--seed", "5"]);
    for file in RESULT_FILES {
        assert!(
            read(&first, file) == read(&second, file),
            "{file} differs between two runs with seed 5"
        );
    }
}

#[test]
fn other_seed_changes_bytes() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let five = run_cli(dir.path(), "five", &["--seed", "5"]);
    let six = run_cli(dir.path(), "six", &["--seed", "6"]);
    for file in RESULT_FILES {
        assert!(
            read(&five, file) != read(&six, file),
            "{file} is the same with seeds 5 and 6"
        );
    }
}

fn run_library(options: &RunOptions) -> Vec<Vec<Bins>> {
    let scenario = builtin_default();
    run(&scenario, &LaunchSource::Synthetic, options, &|_, _| {})
        .expect("the run succeeds")
        .bins
}

#[test]
fn shards_sum_to_whole_run() {
    // Users are independent, so the counters of disjoint shards of the
    // population add up to those of the whole run, exactly.
    let base = RunOptions {
        threads: 2,
        users: Some(2_500),
        replications: Some(2),
        seed: Some(3),
        shard: None,
    };
    let whole = run_library(&base);
    let mut merged: Option<Vec<Vec<Bins>>> = None;
    for k in 0..3 {
        let part = run_library(&RunOptions {
            shard: Some((k, 3)),
            ..base.clone()
        });
        match &mut merged {
            None => merged = Some(part),
            Some(sum) => {
                for (policy, reps) in sum.iter_mut().zip(&part) {
                    for (a, b) in policy.iter_mut().zip(reps) {
                        a.merge(b);
                    }
                }
            }
        }
    }
    assert!(
        merged.expect("three shards ran") == whole,
        "the sum of three shards differs from the whole run"
    );
}
