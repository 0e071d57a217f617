//! The `forecast` command end to end: outputs, and invalid observed files
//! rejected with exit code 2 and the file, line, column and value.

use assert_cmd::Command;
use predicates::str::contains;

const SCENARIO: &str = r#"
[run]
horizon = "1d"
sample_every = "1h"

[population]
users = 1500

[[population.segment]]
name = "daily"
share = 1.0
launches_per_day = 6.0

[[release]]
version = "2.0.0"
at = "0h"

[[policy]]
name = "none"
on_update_ready = "none"
"#;

fn setup(observed: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("release.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let observed_path = dir.path().join("observed.csv");
    std::fs::write(&observed_path, observed).unwrap();
    (dir, scenario, observed_path)
}

fn forecast(
    scenario: &std::path::Path,
    observed: &std::path::Path,
    out: &std::path::Path,
) -> Command {
    let mut command = Command::cargo_bin("rollout-sim").unwrap();
    command
        .args(["--lang", "en", "forecast"])
        .arg(scenario)
        .arg("--observed")
        .arg(observed)
        .arg("--out")
        .arg(out)
        .args(["--draws", "3", "--max-evaluations", "12"]);
    command
}

#[test]
fn forecast_writes_outputs() {
    let (dir, scenario, observed) =
        setup("time_h,launch_coverage\n1,0.15\n2,0.3\n3,0.42\n4,0.52\n5,0.6\n6,0.66\n");
    let out = dir.path().join("out");
    forecast(&scenario, &observed, &out)
        .assert()
        .success()
        .stdout(contains("periodic check share"))
        .stdout(contains("T95 launch coverage"));
    for name in [
        "forecast.csv",
        "observed-fit.csv",
        "forecast-summary.csv",
        "forecast.svg",
        "forecast.png",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let summary = std::fs::read_to_string(out.join("forecast-summary.csv")).unwrap();
    assert!(
        summary.starts_with("platform,figure,estimate,p05,p95\n"),
        "{summary}"
    );
    assert!(summary.contains("wechat,keep_alive_scale,"), "{summary}");
}

#[test]
fn forecast_rejects_missing_column() {
    let (dir, scenario, observed) = setup("time_h,coverage\n1,0.2\n");
    forecast(&scenario, &observed, &dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(contains(
            "missing column `launch_coverage` in the header (line 1) of",
        ))
        .stderr(contains("observed.csv"));
}

#[test]
fn forecast_rejects_non_monotone_times() {
    let (dir, scenario, observed) = setup("time_h,launch_coverage\n1,0.2\n3,0.4\n2,0.5\n");
    forecast(&scenario, &observed, &dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(contains("time 2 in column `time_h` at line 4 of"))
        .stderr(contains("is not after 3 at line 3"));
}

#[test]
fn forecast_rejects_coverage_out_of_range() {
    let (dir, scenario, observed) = setup("time_h,launch_coverage\n1,0.2\n2,1.3\n");
    forecast(&scenario, &observed, &dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(contains(
            "value 1.3 in column `launch_coverage` at line 3 of",
        ))
        .stderr(contains("Write a share from 0 to 1"));
}

#[test]
fn forecast_rejects_too_few_points() {
    let (dir, scenario, observed) = setup("time_h,launch_coverage\n1,0.2\n2,0.3\n");
    forecast(&scenario, &observed, &dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(contains(
            "2 observed points are too few to fit 2 parameters; give at least 3 rows",
        ));
}

#[test]
fn forecast_rejects_unknown_policy() {
    let (dir, scenario, observed) = setup("time_h,launch_coverage\n1,0.2\n2,0.3\n3,0.4\n");
    forecast(&scenario, &observed, &dir.path().join("out"))
        .args(["--policy", "prompt"])
        .assert()
        .code(2)
        .stderr(contains(
            "invalid value 'prompt' for --policy: the scenario's policies are none",
        ));
}

#[test]
fn forecast_rejects_sub_minute_interval() {
    let (dir, scenario, observed) =
        setup("time_h,launch_coverage\n1,0.2\n1.001,0.21\n2,0.3\n3,0.4\n");
    forecast(&scenario, &observed, &dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(contains("value 1.001 in column `time_h` at line 3 of"))
        .stderr(contains(
            "rounds to the same whole minute as the previous row",
        ));
}

#[test]
fn forecast_over_memory_limit_is_rejected() {
    let (dir, scenario, observed) =
        setup("time_h,launch_coverage\n1,0.15\n2,0.3\n3,0.42\n4,0.52\n");
    let out = dir.path().join("out");
    // A million draws keep a million curves of 24 hourly intervals.
    let output = Command::cargo_bin("rollout-sim")
        .unwrap()
        .args(["--lang", "zh-CN", "forecast"])
        .arg(&scenario)
        .arg("--observed")
        .arg(&observed)
        .arg("--out")
        .arg(&out)
        .args(["--draws", "1000000", "--memory-limit", "200MB"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("错误：本次预测约需 "), "{stderr}");
    assert!(
        stderr.contains("超过上限 200 MB（由 --memory-limit 设置）"),
        "{stderr}"
    );
    assert!(
        stderr.contains("其中最大的部分是参数抽样的曲线和输出行"),
        "{stderr}"
    );
    assert!(stderr.contains("请减少抽样次数（--draws）"), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(!out.exists(), "no output folder");
}

#[test]
fn csv_error_in_chinese_keeps_library_text() {
    // Line 3 has three fields where the header has two.
    let (dir, scenario, observed) = setup("time_h,launch_coverage\n1,0.2\n2,0.3,9\n3,0.4\n");
    let output = Command::cargo_bin("rollout-sim")
        .unwrap()
        .args(["--lang", "zh-CN", "forecast"])
        .arg(&scenario)
        .arg("--observed")
        .arg(&observed)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let prefix = format!("错误：{} 第 3 行解析失败（", observed.display());
    assert!(stderr.starts_with(&prefix), "{stderr}");
    // The csv crate's own text stays in the brackets.
    assert!(stderr.contains("found record with 3 fields"), "{stderr}");
    assert!(stderr.ends_with("）\n"), "{stderr}");
}

#[test]
fn forecast_rejects_a_file_as_out() {
    let (dir, scenario, observed) =
        setup("time_h,launch_coverage\n1,0.15\n2,0.3\n3,0.42\n4,0.52\n5,0.6\n6,0.66\n");
    let out = dir.path().join("taken");
    std::fs::write(&out, "not a folder\n").unwrap();
    forecast(&scenario, &observed, &out)
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains(
            "is an existing file, not a folder; choose a folder path for --out",
        ));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "not a folder\n");
}
