//! Opens report.html in headless Chromium, as a reader would, in both
//! languages: the page must load without any console message and render
//! to a screenshot that is not blank. Screenshots are kept in
//! `target/report-screenshots/` for inspection.
//!
//! Without `/usr/bin/chromium` the test is skipped with a message, unless
//! `CI` is set (to anything but `false` or `0`): then it fails, because CI
//! installs Chromium with `.ci/install-chromium`.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;

const CHROMIUM: &str = "/usr/bin/chromium";
const SCENARIO: &str = "tests/data/report-small.toml";
/// Viewport of the screenshot: wide enough for the comparison table, tall
/// enough to show the scenario, the findings, the table and a chart.
const WINDOW: (u32, u32) = (1280, 3000);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "false" | "0"))
}

/// Returns whether Chromium is there; panics in CI when it is not.
fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        !in_ci(),
        "{CHROMIUM} not found but CI is set; run .ci/install-chromium before the tests"
    );
    eprintln!(
        "skipped: {CHROMIUM} not found; install it with .ci/install-chromium to run this test"
    );
    false
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

/// Chromium's console messages: with `--enable-logging=stderr` each one is
/// a log line tagged `CONSOLE`, whatever its level. The report has no
/// scripts, so any message is an error, such as a blocked resource.
fn console_messages(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect()
}

fn render_and_check(lang: &str, file_name: &str) {
    let work = tempfile::tempdir().expect("temporary folder");
    let out = work.path().join("out");
    Command::cargo_bin("rollout-sim")
        .expect("binary is built")
        .args(["--lang", lang, "run", SCENARIO, "--out"])
        .arg(&out)
        .assert()
        .success();

    let profile = tempfile::tempdir().expect("Chromium profile folder");
    let screenshot = screenshot_dir().join(file_name);
    let _ = std::fs::remove_file(&screenshot);
    let report = out.join("report.html");
    let output = Process::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("Chromium starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Chromium failed:\n{stderr}");
    let console = console_messages(&stderr);
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );

    let png = std::fs::read(&screenshot).expect("screenshot written");
    let mut reader = png::Decoder::new(png.as_slice())
        .read_info()
        .expect("screenshot decodes");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("screenshot data");
    assert_eq!((info.width, info.height), WINDOW);
    let channels = info.color_type.samples();
    let drawn = pixels[..info.buffer_size()]
        .chunks(channels)
        .filter(|pixel| pixel[..3] != [255, 255, 255])
        .count();
    // Text, table rules and a chart cover far more than 1 % of the page.
    let total = (WINDOW.0 * WINDOW.1) as usize;
    assert!(drawn * 100 > total, "only {drawn} of {total} pixels drawn");
}

#[test]
fn console_check_detects_messages() {
    let stderr = "[1:1:1204/204333.89:INFO:CONSOLE:0] \"Loading the image 'x.png' violates the following Content Security Policy directive\", source: file:///r.html (0)\n[1:1:1204/204333.61:WARNING:sandbox_linux.cc:405] InitializeSandbox() called\n";
    assert_eq!(console_messages(stderr).len(), 1);
}

#[test]
fn report_opens_in_chromium() {
    if !chromium_available() {
        return;
    }
    render_and_check("en", "report-en.png");
    render_and_check("zh-CN", "report-zh-CN.png");
}
