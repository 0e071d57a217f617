//! `run` writes report.html and the coverage charts in both languages;
//! their titles, legends and table values are checked against the run's
//! own summary.csv. `sweep` and `explain` are checked end to end as well.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

const SCENARIO: &str = "tests/data/report-small.toml";
const POLICIES: [&str; 4] = ["none", "prompt", "force", "on_resume"];

fn rollout_sim() -> Command {
    let mut command = Command::cargo_bin("rollout-sim").expect("binary is built");
    command
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    command
}

/// Runs the test scenario in `lang` and returns the output folder.
fn run_report(lang: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    rollout_sim()
        .args(["--lang", lang, "run", SCENARIO, "--out"])
        .arg(&out)
        .assert()
        .success();
    (dir, out)
}

/// `summary.csv` as (policy, metric) → value text.
fn read_summary(out: &Path) -> HashMap<(String, String), String> {
    let mut reader = csv::Reader::from_path(out.join("summary.csv")).expect("summary.csv");
    reader
        .records()
        .map(|record| {
            let record = record.expect("valid row");
            (
                (record[0].to_string(), record[1].to_string()),
                record[2].to_string(),
            )
        })
        .collect()
}

fn text_of(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap_or_default())
        .collect()
}

/// Titles of the inline SVG charts, in page order.
fn chart_titles(document: &roxmltree::Document) -> Vec<String> {
    document
        .descendants()
        .filter(|node| node.has_tag_name("svg"))
        .filter_map(|svg| svg.children().find(|child| child.has_tag_name("title")))
        .map(text_of)
        .collect()
}

fn by_id<'a>(document: &'a roxmltree::Document, id: &str) -> roxmltree::Node<'a, 'a> {
    document
        .descendants()
        .find(|node| node.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("element #{id} exists"))
}

fn aria_labels(node: roxmltree::Node) -> Vec<String> {
    node.descendants()
        .filter_map(|n| n.attribute("aria-label"))
        .map(str::to_string)
        .collect()
}

/// Expected texts of one language.
struct Expected {
    lang: &'static str,
    heading: &'static str,
    titles: [&'static str; 4],
    release_marker: &'static str,
    x_label: &'static str,
    not_reached: &'static str,
}

const ENGLISH: Expected = Expected {
    lang: "en",
    heading: "Release-planning report",
    titles: [
        "Launch coverage (mean, band p05–p95)",
        "Session coverage (mean, band p05–p95)",
        "Installed coverage (mean, band p05–p95)",
        "Active-user coverage (mean, band p05–p95)",
    ],
    release_marker: "2.0.0 released",
    x_label: "Hours since t = 0",
    not_reached: "not reached",
};

const CHINESE: Expected = Expected {
    lang: "zh-CN",
    heading: "版本发布规划报告",
    titles: [
        "启动覆盖率（均值，色带 p05–p95）",
        "会话覆盖率（均值，色带 p05–p95）",
        "安装覆盖率（均值，色带 p05–p95）",
        "活跃用户覆盖率（均值，色带 p05–p95）",
    ],
    release_marker: "2.0.0 发布",
    x_label: "t = 0 之后的小时数",
    not_reached: "未达到",
};

fn check_report(expected: &Expected) {
    let (_dir, out) = run_report(expected.lang);
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(&html, options)
        .expect("report.html is well-formed");
    let root = document.root_element();
    assert_eq!(root.attribute("lang"), Some(expected.lang));

    let h1 = document
        .descendants()
        .find(|n| n.has_tag_name("h1"))
        .expect("h1");
    assert_eq!(text_of(h1), expected.heading);

    // Self-contained: no scripts, no linked resources, nothing from the network.
    for node in document.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name().name();
        assert!(
            !matches!(tag, "script" | "link" | "iframe" | "img"),
            "<{tag}>"
        );
        for attribute in ["src", "href"] {
            if let Some(value) = node.attribute(attribute) {
                assert!(value.starts_with('#'), "{attribute}=\"{value}\"");
            }
        }
    }

    let titles = chart_titles(&document);
    for title in expected.titles {
        assert!(titles.iter().any(|t| t == title), "{title} in {titles:?}");
    }
    assert_eq!(titles.len(), 4 + 4 + 2 + 2 + 1, "{titles:?}");

    let launch_figure = by_id(&document, "launch-coverage");
    let labels = aria_labels(launch_figure);
    for policy in POLICIES {
        assert!(labels.iter().any(|l| l == policy), "legend {policy}");
    }
    assert!(labels.iter().any(|l| l == expected.release_marker));
    assert!(labels.iter().any(|l| l == expected.x_label));

    let versions = aria_labels(by_id(&document, "versions-0"));
    for version in ["1.9.0", "2.0.0", "2.0.1"] {
        assert!(versions.iter().any(|l| l == version), "legend {version}");
    }

    check_table(&document, &out, expected);

    let reading = by_id(&document, "reading");
    let sentences = reading
        .descendants()
        .filter(|n| n.has_tag_name("li"))
        .count();
    assert!(sentences >= 3, "{sentences} sentences");
    assert!(by_id(&document, "incidents").is_element());
    let limits = by_id(&document, "assumptions")
        .descendants()
        .filter(|n| n.has_tag_name("li"))
        .count();
    assert!(limits >= 5, "{limits} assumptions");
}

/// Checks that every table cell carries the value of summary.csv and that
/// the marked cells contain the lowest value of their row.
fn check_table(document: &roxmltree::Document, out: &Path, expected: &Expected) {
    let summary = read_summary(out);
    let rows: Vec<roxmltree::Node> = document
        .descendants()
        .filter(|n| n.has_tag_name("tr") && n.attribute("data-metric").is_some())
        .collect();
    let metrics: Vec<&str> = rows
        .iter()
        .map(|row| row.attribute("data-metric").unwrap())
        .collect();
    for metric in [
        "t50_launch_coverage_h",
        "t99_active_user_coverage_h",
        "old_launches_after_24h",
        "old_launches_after_72h",
        "forced_restarts_per_1k_users",
        "sync_delay_p50_s",
        "sync_delay_p95_s",
        "peak_download_bytes_per_s",
        "incident_launches_total",
    ] {
        assert!(metrics.contains(&metric), "row {metric}");
    }
    assert_eq!(rows.len(), 16 + 2 + 5);

    for row in rows {
        let metric = row.attribute("data-metric").unwrap();
        let cells: Vec<roxmltree::Node> = row.children().filter(|n| n.has_tag_name("td")).collect();
        assert_eq!(cells.len(), POLICIES.len(), "{metric}");
        let mut values = Vec::new();
        for (cell, policy) in cells.iter().zip(POLICIES) {
            assert_eq!(cell.attribute("data-policy"), Some(policy));
            let value = cell.attribute("data-value").expect("data-value");
            let key = (policy.to_string(), metric.to_string());
            assert_eq!(Some(&value.to_string()), summary.get(&key), "{key:?}");
            let displayed = text_of(*cell);
            if value.is_empty() && metric.ends_with("_h") {
                assert_eq!(displayed, expected.not_reached, "{key:?}");
            } else if metric.ends_with("_h") {
                let number: f64 = value.parse().unwrap();
                assert_eq!(
                    displayed.trim_end_matches('★'),
                    format!("{number:.2}"),
                    "{key:?}"
                );
            }
            let parsed = if value.is_empty() {
                f64::INFINITY
            } else {
                value.parse().unwrap()
            };
            values.push((parsed, cell.attribute("class") == Some("best")));
        }
        let lowest = values.iter().map(|(v, _)| *v).fold(f64::INFINITY, f64::min);
        for (value, best) in &values {
            if *best {
                assert_eq!(*value, lowest, "marked cell of {metric} is the lowest");
            }
        }
        let all_equal = values.iter().all(|(v, _)| *v == values[0].0);
        let marked = values.iter().filter(|(_, best)| *best).count();
        if all_equal {
            assert_eq!(marked, 0, "{metric}: equal values are not marked");
        } else if lowest.is_finite() {
            assert!(marked > 0, "{metric}: the lowest value is marked");
        }
    }
}

#[test]
fn report_in_english_matches_summary() {
    check_report(&ENGLISH);
}

#[test]
fn report_in_chinese_matches_summary() {
    check_report(&CHINESE);
}

fn check_coverage_files(expected: &Expected) {
    let (_dir, out) = run_report(expected.lang);
    let svg = std::fs::read_to_string(out.join("coverage.svg")).expect("coverage.svg");
    let document = roxmltree::Document::parse(&svg).expect("coverage.svg parses");
    let titles = chart_titles(&document);
    assert_eq!(titles, [expected.titles[0]]);
    let labels = aria_labels(document.root_element());
    for policy in POLICIES {
        assert!(labels.iter().any(|l| l == policy), "legend {policy}");
    }
    assert!(labels.iter().any(|l| l == expected.release_marker));
    assert!(labels.iter().any(|l| l == expected.x_label));
    assert_eq!(
        document
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .count(),
        0
    );

    let png = std::fs::read(out.join("coverage.png")).expect("coverage.png");
    let mut reader = png::Decoder::new(png.as_slice())
        .read_info()
        .expect("PNG decodes");
    let info = reader.info();
    assert_eq!((info.width, info.height), (1440, 780));
    let title = info
        .utf8_text
        .iter()
        .find(|chunk| chunk.keyword == "Title")
        .and_then(|chunk| chunk.get_text().ok());
    assert_eq!(title.as_deref(), Some(expected.titles[0]));
    let mut pixels = vec![0; reader.output_buffer_size()];
    reader.next_frame(&mut pixels).expect("PNG data decodes");
    let drawn = pixels.chunks(3).filter(|p| *p != [255, 255, 255]).count();
    assert!(drawn > 10_000, "{drawn} non-white pixels");
}

#[test]
fn coverage_files_in_english() {
    check_coverage_files(&ENGLISH);
}

#[test]
fn coverage_files_in_chinese() {
    check_coverage_files(&CHINESE);
}

#[test]
fn run_off_terminal_prints_no_progress() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let assert = rollout_sim()
        .args(["run", SCENARIO, "--out"])
        .arg(dir.path())
        .assert()
        .success();
    assert!(assert.get_output().stderr.is_empty());
}

#[test]
fn sweep_writes_csv_and_chart() {
    let dir = tempfile::tempdir().expect("temporary folder");
    rollout_sim()
        .args([
            "sweep",
            SCENARIO,
            "--param",
            "policy.prompt.accept=0.2:0.8:0.3",
            "--replications",
            "2",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.path().join("sweep.csv")).expect("sweep.csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "param,param_value,policy,metric,value");
    assert_eq!(lines.len(), 1 + 3 * POLICIES.len());
    let values: Vec<&str> = lines[1..4]
        .iter()
        .map(|line| line.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(values, ["0.2", "0.5", "0.8"]);
    assert!(lines[1].starts_with("policy.prompt.accept,0.2,none,t95_launch_coverage_h,"));

    let svg = std::fs::read_to_string(dir.path().join("sweep.svg")).expect("sweep.svg");
    let document = roxmltree::Document::parse(&svg).expect("sweep.svg parses");
    assert_eq!(
        chart_titles(&document),
        ["t95_launch_coverage_h against policy.prompt.accept"]
    );
    assert!(dir.path().join("sweep.png").exists());
}

#[test]
fn sweep_with_one_policy_and_duration() {
    let dir = tempfile::tempdir().expect("temporary folder");
    rollout_sim()
        .args([
            "sweep",
            SCENARIO,
            "--param",
            "population.segment.daily.keep_alive=5m:25m:10m",
            "--policy",
            "on_resume",
            "--metric",
            "forced_restarts_per_1k_users",
            "--replications",
            "1",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.path().join("sweep.csv")).expect("sweep.csv");
    let keys: Vec<String> = text
        .lines()
        .skip(1)
        .map(|line| line.split(',').take(3).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(
        keys,
        [
            "population.segment.daily.keep_alive,5m,on_resume",
            "population.segment.daily.keep_alive,15m,on_resume",
            "population.segment.daily.keep_alive,25m,on_resume",
        ]
    );
}

#[test]
fn sweep_bad_param_lists_keys() {
    let assert = rollout_sim()
        .args(["sweep", SCENARIO, "--param", "run.seed=1:3:1"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.starts_with(
        "error: invalid key 'run.seed' for --param: sweeps do not support it; supported keys:\n"
    ));
    for key in [
        "policy.<name>.accept",
        "population.segment.<name>.keep_alive",
        "client.periodic_check_share",
        "network.<name>.failure",
    ] {
        assert!(stderr.contains(key), "{key}");
    }
}

#[test]
fn sweep_bad_param_in_chinese() {
    let assert = rollout_sim()
        .args([
            "--lang",
            "zh-CN",
            "sweep",
            SCENARIO,
            "--param",
            "policy.prompt.accept",
        ])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.starts_with(
            "错误：--param 的取值 'policy.prompt.accept' 无效：格式应为 KEY=START:END:STEP，例如 policy.prompt.accept=0.1:0.9:0.1；支持的键：\n  policy.<name>.accept\n"
        ),
        "{stderr}"
    );
}

#[test]
fn sweep_value_out_of_range_is_invalid() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let assert = rollout_sim()
        .args([
            "sweep",
            SCENARIO,
            "--param",
            "policy.prompt.accept=0.5:1.5:0.5",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.starts_with(
            "error: with --param policy.prompt.accept = 1.5: tests/data/report-small.toml:"
        ),
        "{stderr}"
    );
    assert!(!dir.path().join("sweep.csv").exists(), "no partial output");
}

#[test]
fn sweep_over_memory_limit_is_rejected() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("sweep");
    let assert = rollout_sim()
        .args([
            "sweep",
            SCENARIO,
            "--param",
            "policy.prompt.accept=0.5:0.7:0.1",
            "--memory-limit",
            "1MB",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("more than the limit of 1.00 MB (set by --memory-limit)"),
        "{stderr}"
    );
    assert!(!out.exists(), "no output folder");
}

/// A scenario of one user, so summary.csv's totals are that user's counts.
const ONE_USER: &str = r#"
[run]
horizon = "3d"
sample_every = "1h"
replications = 1
seed = 5

[population]
users = 1
baseline_version = "1.0"

[[population.segment]]
name = "busy"
share = 1.0
launches_per_day = 10.0
session = "4m"
keep_alive = { dist = "uniform", min = "1m", max = "20m" }

[[network]]
name = "slow"
share = 1.0
bandwidth = "100KB/s"
failure = 0.3

[[release]]
version = "2.0"
at = "3h"
size = "2MB"

[[policy]]
name = "none"
on_update_ready = "none"

[[policy]]
name = "force"
on_update_ready = "force"
"#;

#[test]
fn explain_matches_run_for_one_user() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = dir.path().join("one-user.toml");
    std::fs::write(&scenario, ONE_USER).expect("scenario written");
    let out = dir.path().join("out");
    rollout_sim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let summary = read_summary(&out);
    for policy in ["none", "force"] {
        let assert = rollout_sim()
            .arg("explain")
            .arg(&scenario)
            .args(["--user", "0", "--policy", policy])
            .assert()
            .success();
        let text = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
        let launches = &summary[&(policy.to_string(), "launches_total".to_string())];
        assert!(
            text.contains(&format!("launches counted: {launches} (")),
            "{policy}: {launches} launches in\n{text}"
        );
        let printed = text
            .lines()
            .filter(|line| line.contains("cold start: runs") || line.contains("hot start: runs"))
            .count();
        assert_eq!(printed.to_string(), *launches, "{policy}");
        let restarts = text
            .lines()
            .filter(|line| line.contains("applyUpdate(): the session is interrupted"))
            .count();
        let per_1k = &summary[&(
            policy.to_string(),
            "forced_restarts_per_1k_users".to_string(),
        )];
        assert_eq!((restarts * 1000).to_string(), *per_1k, "{policy}");
    }
}

#[test]
fn report_same_for_any_thread_count() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut outputs = Vec::new();
    for threads in ["1", "3"] {
        let out = dir.path().join(threads);
        rollout_sim()
            .args(["run", SCENARIO, "--threads", threads, "--out"])
            .arg(&out)
            .assert()
            .success();
        outputs.push(out);
    }
    for file in ["report.html", "coverage.svg", "coverage.png"] {
        let single = std::fs::read(outputs[0].join(file)).expect("first output");
        let parallel = std::fs::read(outputs[1].join(file)).expect("second output");
        assert!(single == parallel, "{file} differs between 1 and 3 threads");
    }
}
