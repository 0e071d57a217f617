//! `run --shard K/N` and `merge`: merged shards give the unsharded run's
//! bytes, and merge rejects incomplete or foreign sets of shards.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use predicates::str::contains;

const SCENARIO: &str = "scenarios/wechat-default.toml";
const USERS: &str = "3000";
const REPLICATIONS: &str = "2";

fn rollout_sim() -> Command {
    let mut command = Command::cargo_bin("rollout-sim").expect("binary built");
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command.env_remove("LANG").env_remove("LC_ALL");
    command
}

fn run_args(out: &Path) -> Vec<String> {
    vec![
        "run".into(),
        SCENARIO.into(),
        "--users".into(),
        USERS.into(),
        "--replications".into(),
        REPLICATIONS.into(),
        "--out".into(),
        out.display().to_string(),
    ]
}

/// An unsharded run and three shards of the same run, made once.
struct Runs {
    root: PathBuf,
}

impl Runs {
    fn whole(&self) -> PathBuf {
        self.root.join("whole")
    }

    fn shard(&self, index: u64) -> PathBuf {
        self.root.join(format!("shard-{index}"))
    }
}

fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        // A static is never dropped, so a `TempDir` here would stay in the
        // system's temporary folder after every test run. This folder under
        // the build directory is replaced by the next run instead.
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shard_merge");
        if root.exists() {
            std::fs::remove_dir_all(&root).expect("previous runs removed");
        }
        std::fs::create_dir_all(&root).expect("folder created");
        let runs = Runs { root };
        rollout_sim()
            .args(run_args(&runs.whole()))
            .args(["--threads", "2"])
            .assert()
            .success();
        for index in 0..3 {
            rollout_sim()
                .args(run_args(&runs.shard(index)))
                .args(["--shard", &format!("{index}/3"), "--threads", "1"])
                .assert()
                .success()
                .stdout(contains(format!("shard {index}/3")));
        }
        runs
    })
}

fn merge(shards: &[PathBuf], out: &Path) -> Command {
    let mut command = rollout_sim();
    command
        .arg("merge")
        .arg(SCENARIO)
        .args(shards)
        .arg("--out")
        .arg(out);
    command
}

#[test]
fn merged_shards_equal_unsharded_run() {
    let runs = runs();
    let out = runs.root.join("merged-equal");
    let shards: Vec<PathBuf> = (0..3).map(|i| runs.shard(i)).collect();
    merge(&shards, &out).assert().success();
    for name in ["timeseries.csv", "summary.csv"] {
        let merged = std::fs::read(out.join(name)).expect("merged file");
        let whole = std::fs::read(runs.whole().join(name)).expect("unsharded file");
        assert!(merged == whole, "{name} differs from the unsharded run");
    }
}

#[test]
fn merge_accepts_shards_in_any_order_and_files() {
    let runs = runs();
    let out = runs.root.join("merged-order");
    let shards = vec![
        runs.shard(2).join("shard.bin"),
        runs.shard(0),
        runs.shard(1),
    ];
    merge(&shards, &out).assert().success();
    let merged = std::fs::read(out.join("timeseries.csv")).expect("merged file");
    let whole = std::fs::read(runs.whole().join("timeseries.csv")).expect("unsharded file");
    assert!(
        merged == whole,
        "timeseries.csv differs from the unsharded run"
    );
}

#[test]
fn shard_run_writes_counters_not_csv() {
    let runs = runs();
    let shard = runs.shard(1);
    assert!(shard.join("shard.bin").is_file());
    assert!(shard.join("manifest.toml").is_file());
    assert!(!shard.join("timeseries.csv").exists());
    let manifest = std::fs::read_to_string(shard.join("manifest.toml")).expect("manifest");
    assert!(manifest.contains("shard = \"1/3\""), "{manifest}");
}

#[test]
fn merge_rejects_missing_shard() {
    let runs = runs();
    let out = runs.root.join("merged-missing");
    merge(&[runs.shard(0), runs.shard(2)], &out)
        .assert()
        .code(2)
        .stderr(contains(
            "error: 1 of 3 shards missing: --shard 1/3; run them and pass all the shards",
        ));
    assert!(
        !out.exists(),
        "a failed merge must not create its output folder"
    );
}

#[test]
fn merge_rejects_missing_shard_in_chinese() {
    let runs = runs();
    let out = runs.root.join("merged-missing-zh");
    merge(&[runs.shard(1)], &out)
        .args(["--lang", "zh-CN"])
        .assert()
        .code(2)
        .stderr(contains(
            "错误：共 3 个分片，缺少 2 个：--shard 0/3, --shard 2/3；请运行它们并传入全部分片",
        ));
}

#[test]
fn merge_rejects_duplicate_shard() {
    let runs = runs();
    let out = runs.root.join("merged-duplicate");
    let shards = vec![runs.shard(0), runs.shard(1), runs.shard(2), runs.shard(1)];
    merge(&shards, &out)
        .assert()
        .code(2)
        .stderr(contains("shard 1/3 was given twice"))
        .stderr(contains("pass each shard once"));
    assert!(!out.exists());
}

#[test]
fn merge_rejects_other_scenario() {
    let runs = runs();
    let out = runs.root.join("merged-other");
    let shards: Vec<PathBuf> = (0..3).map(|i| runs.shard(i)).collect();
    rollout_sim()
        .arg("merge")
        .arg("scenarios/phased-release.toml")
        .args(&shards)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("the shard was run from another scenario"))
        .stderr(contains(
            "merge with the exact scenario file the shards were run from",
        ));
    assert!(!out.exists());
}

#[test]
fn merge_rejects_shards_of_another_seed() {
    let runs = runs();
    let other = runs.root.join("seed-9-shard-0");
    rollout_sim()
        .args(run_args(&other))
        .args(["--shard", "0/3", "--seed", "9"])
        .assert()
        .success();
    let out = runs.root.join("merged-seed");
    let shards = vec![runs.shard(1), other, runs.shard(2)];
    merge(&shards, &out)
        .assert()
        .code(2)
        .stderr(contains("seed is 9, but"))
        .stderr(contains("merge only shards of one run"));
}

#[test]
fn merge_rejects_non_shard_file() {
    let runs = runs();
    let out = runs.root.join("merged-not-shard");
    let shards = vec![runs.whole().join("summary.csv")];
    merge(&shards, &out)
        .assert()
        .code(2)
        .stderr(contains("not a rollout-sim shard file"));
}

#[test]
fn run_rejects_invalid_shard_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    for value in ["3/3", "1-3", "a/b", "0/0"] {
        rollout_sim()
            .args(run_args(dir.path()))
            .args(["--shard", value])
            .assert()
            .code(2)
            .stderr(contains(format!("invalid value {value} for --shard")))
            .stderr(contains("0 <= K < N"));
    }
}

#[test]
fn merged_shards_keep_per_host_rows() {
    // host-mix.toml splits users over several super-app hosts, whose
    // counters the shard files carry beside the totals.
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = "scenarios/host-mix.toml";
    let common = ["--users", "2000", "--replications", "2"];
    let whole = dir.path().join("whole");
    rollout_sim()
        .args(["run", scenario])
        .args(common)
        .arg("--out")
        .arg(&whole)
        .assert()
        .success();
    let mut shards = Vec::new();
    for index in 0..2 {
        let shard = dir.path().join(format!("shard-{index}"));
        rollout_sim()
            .args(["run", scenario])
            .args(common)
            .args(["--shard", &format!("{index}/2")])
            .arg("--out")
            .arg(&shard)
            .assert()
            .success();
        shards.push(shard);
    }
    let merged = dir.path().join("merged");
    rollout_sim()
        .args(["merge", scenario])
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    let whole_series = std::fs::read_to_string(whole.join("timeseries.csv")).expect("whole");
    let merged_series = std::fs::read_to_string(merged.join("timeseries.csv")).expect("merged");
    assert!(
        whole_series.contains("client="),
        "the scenario writes per-host rows"
    );
    assert!(merged_series == whole_series, "timeseries.csv differs");
}
