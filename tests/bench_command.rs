//! `rollout-sim bench`: one row per size, measured in child processes.
//! Timing values are printed, never asserted.

use assert_cmd::Command;
use predicates::str::contains;

fn rollout_sim() -> Command {
    let mut command = Command::cargo_bin("rollout-sim").expect("binary built");
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command.env_remove("LANG").env_remove("LC_ALL");
    command
}

#[test]
fn bench_prints_a_row_per_size() {
    let output = rollout_sim()
        .args(["bench", "--users", "500,1000,1500", "--threads", "1"])
        .args(["--horizon", "2d"])
        .output()
        .expect("bench runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("horizon 2d, replications 1, threads 1"),
        "{stdout}"
    );
    for users in ["500", "1000", "1500"] {
        assert!(
            stdout
                .lines()
                .any(|line| line.starts_with(&format!("│ {users} "))),
            "no row for {users} users:\n{stdout}"
        );
    }
    assert!(stdout.contains("time / floor"), "{stdout}");
    assert!(stdout.contains("state per user:"), "{stdout}");
}

#[test]
fn bench_child_reports_events_and_peak_memory() {
    let output = rollout_sim()
        .args(["bench", "--users", "800", "--threads", "2", "--child"])
        .args(["--horizon", "1d", "--no-floor"])
        .output()
        .expect("bench runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    let table: toml::Table = text.parse().expect("the child prints TOML");
    assert_eq!(table["users"].as_integer(), Some(800));
    assert_eq!(table["threads"].as_integer(), Some(2));
    assert!(table["events"].as_integer().unwrap_or(0) > 0, "{text}");
    assert!(!table.contains_key("floor_s"), "{text}");
    if cfg!(target_os = "linux") {
        assert!(table["peak_kib"].as_integer().unwrap_or(0) > 0, "{text}");
    }
}

#[test]
fn bench_rejects_horizon_off_the_bins() {
    rollout_sim()
        .args(["bench", "--users", "100", "--horizon", "100m"])
        .assert()
        .code(2)
        .stderr(contains("invalid value 100m for --horizon"))
        .stderr(contains("multiple of run.sample_every (15m)"));
}

#[test]
fn bench_rejects_horizon_before_a_release() {
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/handler-since-version.toml"
    );
    rollout_sim()
        .args(["bench", scenario, "--users", "100", "--horizon", "1h"])
        .assert()
        .code(2)
        .stderr(contains(
            "the scenario publishes 2.0.1 at 1d, at or after this horizon",
        ));
}
