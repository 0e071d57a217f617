//! The `calibrate` command end to end: files written, and invalid input
//! rejected with exit code 2.

use assert_cmd::Command;
use predicates::str::contains;

fn tiny_trace() -> String {
    let mut text = String::from("user_id,app,event,timestamp\n");
    // 12 users over 6 days with 3 visits a day: 216 visits, above the
    // smallest trace calibrate accepts (10 pairs, 200 visits).
    for index in 0..12 {
        let user = format!("u{}", index + 1);
        let start_hour = 8 + index;
        for day in 4..10 {
            for (minute, length) in [(0, 40), (3, 20), (50, 90)] {
                let open = format!("2021-03-0{day}T{start_hour:02}:{minute:02}:00+01:00");
                let close = format!(
                    "2021-03-0{day}T{start_hour:02}:{minute:02}:{}+01:00",
                    if length < 60 {
                        format!("{length:02}")
                    } else {
                        "59".to_string()
                    }
                );
                text.push_str(&format!(
                    "{user},app,open,{open}\n{user},app,close,{close}\n"
                ));
            }
        }
    }
    text
}

#[test]
fn calibrate_writes_scenario_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.csv");
    std::fs::write(&trace, tiny_trace()).unwrap();
    let out = dir.path().join("fitted.toml");
    Command::cargo_bin("rollout-sim")
        .unwrap()
        .args(["--lang", "en", "calibrate"])
        .arg(&trace)
        .arg("--out")
        .arg(&out)
        .args(["--max-segments", "2"])
        .assert()
        .success()
        .stdout(contains("12 pairs, 216 visits"));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("[[population.segment]]"), "{text}");
    assert!(text.contains("timezone = \"+01:00\""), "{text}");
    let report = dir.path().join("fitted-fit");
    for name in [
        "fit-report.md",
        "gap-cdf.svg",
        "gap-cdf.png",
        "session-cdf.svg",
        "daily-profile.png",
        "launch-rate-cdf.svg",
        "candidates.csv",
        "segments.csv",
        "validation.csv",
    ] {
        assert!(report.join(name).is_file(), "{name} missing");
    }
    Command::cargo_bin("rollout-sim")
        .unwrap()
        .arg("check")
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn calibrate_rejects_invalid_timezone() {
    Command::cargo_bin("rollout-sim")
        .unwrap()
        .args([
            "--lang",
            "en",
            "calibrate",
            "data/android-app-usage-2021/app_events.csv",
            "--out",
            "/nonexistent/x.toml",
            "--timezone",
            "+1",
        ])
        .assert()
        .code(2)
        .stderr(contains(
            "invalid value '+1' for --timezone: write a UTC offset such as +01:00, -05:00 or Z",
        ));
}

#[test]
fn calibrate_reports_missing_trace() {
    Command::cargo_bin("rollout-sim")
        .unwrap()
        .args([
            "--lang",
            "en",
            "calibrate",
            "no-such-trace.csv",
            "--out",
            "x.toml",
        ])
        .assert()
        .code(2)
        .stderr(contains("no-such-trace.csv"));
}

#[test]
fn missing_trace_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("absent.csv");
    let os_text = std::fs::read(&trace).expect_err("absent").to_string();
    let output = Command::cargo_bin("rollout-sim")
        .unwrap()
        .args(["--lang", "zh-CN", "calibrate"])
        .arg(&trace)
        .arg("--out")
        .arg(dir.path().join("x.toml"))
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "错误：读取轨迹文件 {} 失败：文件或目录不存在（{os_text}）。请检查路径是否存在且可读。\n",
            trace.display()
        )
    );
}

#[test]
fn calibrate_rejects_unknown_app() {
    Command::cargo_bin("rollout-sim")
        .unwrap()
        .args([
            "--lang",
            "en",
            "calibrate",
            "data/android-app-usage-2021/app_events.csv",
            "--out",
            "x.toml",
            "--apps",
            "com.whatsap",
        ])
        .assert()
        .code(2)
        .stderr(contains("Did you mean `com.whatsapp`?"));
}

#[test]
fn tiny_trace_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("tiny.csv");
    std::fs::write(
        &trace,
        "user_id,app,event,timestamp\n\
         u1,a,open,2021-03-04T09:00:00+01:00\n\
         u1,a,close,2021-03-04T09:05:00+01:00\n\
         u2,a,open,2021-03-04T10:00:00+01:00\n\
         u2,a,close,2021-03-04T10:01:00+01:00\n",
    )
    .unwrap();
    let out = dir.path().join("fitted.toml");
    let output = assert_cmd::Command::cargo_bin("rollout-sim")
        .unwrap()
        .args(["--lang", "en", "calibrate"])
        .arg(&trace)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("too little data to calibrate: 2 (user, app) pairs and 2 visits"),
        "{stderr}"
    );
    assert!(!out.exists(), "no scenario is written");
}

#[test]
fn calibrate_keeps_an_existing_out_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("edited.toml");
    std::fs::write(&out, "# edited by hand\n").unwrap();
    Command::cargo_bin("rollout-sim")
        .unwrap()
        .args([
            "--lang",
            "en",
            "calibrate",
            "data/android-app-usage-2021/app_events.csv",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains(
            "already exists; choose another --out file, or add --force to overwrite it",
        ));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "# edited by hand\n");
}

#[test]
fn calibrate_rejects_a_folder_as_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    std::fs::create_dir(&out).unwrap();
    Command::cargo_bin("rollout-sim")
        .unwrap()
        .args([
            "--lang",
            "en",
            "calibrate",
            "data/android-app-usage-2021/app_events.csv",
            "--force",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains(
            "is a folder; --out names the scenario file to write",
        ));
    // Nothing was fitted, so no report folder was written beside it.
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}

#[test]
fn calibrate_over_memory_limit_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fitted.toml");
    // The trace reads in well under 150 MB, but its validation simulates
    // about 2.2 million visits: the check after reading rejects it.
    let output = Command::cargo_bin("rollout-sim")
        .unwrap()
        .args([
            "--lang",
            "en",
            "calibrate",
            "data/android-app-usage-2021/app_events.csv",
            "--memory-limit",
            "150MB",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: the calibration needs about "),
        "{stderr}"
    );
    assert!(
        stderr.contains("more than the limit of 150 MB (set by --memory-limit)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the largest part is the validation"),
        "{stderr}"
    );
    assert!(stderr.contains("keep fewer apps with --apps"), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(!out.exists(), "no scenario is written");
    assert!(
        !dir.path().join("fitted-fit").exists(),
        "no report is written"
    );
}
