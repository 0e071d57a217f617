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

/// Returns the processes whose parent is `parent`, from `/proc`.
#[cfg(target_os = "linux")]
fn children_of(parent: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc lists").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The fields after the command name, which ends with ')': state, ppid.
        let after_name = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
        let ppid = after_name.split_whitespace().nth(1);
        if ppid.and_then(|p| p.parse::<u32>().ok()) == Some(parent) {
            children.push(pid);
        }
    }
    children
}

#[cfg(target_os = "linux")]
#[test]
fn killed_bench_takes_its_measurement_along() {
    use std::time::{Duration, Instant};

    // A size large enough that the measuring process is still running
    // when the parent is killed.
    let mut parent = std::process::Command::new(assert_cmd::cargo::cargo_bin("rollout-sim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "bench",
            "--users",
            "20000000",
            "--threads",
            "1",
            "--no-floor",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("bench starts");
    let started = Instant::now();
    let child = loop {
        if let Some(&child) = children_of(parent.id()).first() {
            break child;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no measuring process started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Let the measuring process get past its start-up.
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill only sends a signal to the process just spawned.
    assert_eq!(unsafe { libc::kill(parent.id() as i32, libc::SIGTERM) }, 0);
    parent.wait().expect("bench ends");
    let killed = Instant::now();
    while std::path::Path::new(&format!("/proc/{child}")).exists() {
        let state = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        // A zombie has ended; it only waits for init to reap it.
        if state.contains(") Z") {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "measuring process {child} still runs after bench was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
