//! Output folders are never lost: an existing folder is not overwritten by
//! another scenario's results without `--force`, and a run stopped by
//! SIGINT, SIGTERM or a full disk leaves the previous files unchanged and no
//! temporary file behind.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use sha2::{Digest, Sha256};

/// A small scenario that runs in well under a second with its own users.
const SCENARIO: &str = "\
[run]
horizon = \"1d\"
sample_every = \"1h\"
replications = 1

[population]
users = 200

[[release]]
version = \"2.0.0\"
at = \"1h\"

[[policy]]
name = \"none\"
on_update_ready = \"none\"
";

fn rollout_sim(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("rollout-sim").expect("binary is built");
    command
        .current_dir(dir)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C");
    command
}

/// Reads every file in `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("folder lists")
        .map(|entry| {
            let entry = entry.expect("entry");
            let name = entry.file_name().into_string().expect("UTF-8 name");
            (name, std::fs::read(entry.path()).expect("file reads"))
        })
        .collect()
}

/// Creates a folder with `s.toml` and the results of one run of it in `out`.
fn folder_with_results() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("s.toml"), SCENARIO).expect("scenario written");
    rollout_sim(dir.path())
        .args(["run", "s.toml", "--out", "out"])
        .assert()
        .success();
    dir
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn out_path_that_is_a_file_is_rejected() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("s.toml"), SCENARIO).expect("scenario written");
    std::fs::write(dir.path().join("results"), "keep me").expect("file written");
    rollout_sim(dir.path())
        .args(["run", "s.toml", "--out", "results"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "error: --out results is an existing file, not a folder; choose a folder path for --out\n",
        );
    let kept = std::fs::read_to_string(dir.path().join("results")).expect("file reads");
    assert_eq!(kept, "keep me");
}

#[test]
fn out_path_under_a_file_is_rejected() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("s.toml"), SCENARIO).expect("scenario written");
    std::fs::write(dir.path().join("results"), "keep me").expect("file written");
    rollout_sim(dir.path())
        .args(["run", "s.toml", "--out", "results/run1"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "error: --out results/run1: results is a file, not a folder; choose a folder path for --out\n",
        );
}

#[test]
fn uncreatable_out_folder_is_invalid() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("s.toml"), SCENARIO).expect("scenario written");
    // A folder inside a read-only place: /proc accepts no new folders,
    // even for root.
    if !Path::new("/proc/self").exists() {
        return;
    }
    let output = rollout_sim(dir.path())
        .args(["run", "s.toml", "--out", "/proc/no-such-folder/run"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with("error: cannot create the output folder /proc/no-such-folder/run ("),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("); choose an --out folder in a place you can write to\n"),
        "{stderr}"
    );
}

#[test]
fn another_scenario_needs_force() {
    let dir = folder_with_results();
    let before = snapshot(&dir.path().join("out"));
    let other = SCENARIO.replace("users = 200", "users = 300");
    std::fs::write(dir.path().join("other.toml"), other).expect("scenario written");

    rollout_sim(dir.path())
        .args(["run", "other.toml", "--out", "out"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: out holds the results of another scenario (s.toml); choose another --out folder, or add --force to overwrite them\n");
    assert_eq!(snapshot(&dir.path().join("out")), before);

    rollout_sim(dir.path())
        .args(["run", "other.toml", "--out", "out", "--force"])
        .assert()
        .success();
    let manifest = std::fs::read_to_string(dir.path().join("out/manifest.toml")).expect("manifest");
    assert!(manifest.contains("scenario = \"other.toml\""), "{manifest}");
    assert!(manifest.contains("users = 300"), "{manifest}");
}

#[test]
fn same_scenario_overwrites_without_force() {
    let dir = folder_with_results();
    rollout_sim(dir.path())
        .args(["run", "s.toml", "--out", "out", "--seed", "9"])
        .assert()
        .success();
    let manifest = std::fs::read_to_string(dir.path().join("out/manifest.toml")).expect("manifest");
    assert!(manifest.contains("seed = 9"), "{manifest}");
}

#[test]
fn results_without_manifest_need_force() {
    let dir = folder_with_results();
    std::fs::remove_file(dir.path().join("out/manifest.toml")).expect("manifest removed");
    let before = snapshot(&dir.path().join("out"));
    rollout_sim(dir.path())
        .args(["run", "s.toml", "--out", "out"])
        .assert()
        .code(2)
        .stderr("error: out holds timeseries.csv but no manifest.toml, so its scenario is unknown; choose another --out folder, or add --force to overwrite the results\n");
    assert_eq!(snapshot(&dir.path().join("out")), before);
    rollout_sim(dir.path())
        .args(["run", "s.toml", "--out", "out", "--force"])
        .assert()
        .success();
}

#[test]
fn invalid_manifest_needs_force() {
    let dir = folder_with_results();
    std::fs::write(dir.path().join("out/manifest.toml"), "not = [toml").expect("written");
    let output = rollout_sim(dir.path())
        .args(["run", "s.toml", "--out", "out"])
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with("error: out/manifest.toml is invalid ("),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("), so the results in out cannot be matched to a scenario; choose another --out folder, or add --force to overwrite them\n"),
        "{stderr}"
    );
}

#[test]
fn manifest_records_provenance() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("s.toml"), SCENARIO).expect("scenario written");
    rollout_sim(dir.path())
        .args(["run", "s.toml", "--out", "out", "--seed", "42"])
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.path().join("out/manifest.toml")).expect("manifest");
    let manifest: toml::Table = toml::from_str(&text).expect("manifest is TOML");

    let digest = Sha256::digest(SCENARIO.as_bytes());
    let hash: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(manifest["scenario_sha256"].as_str(), Some(hash.as_str()));
    assert_eq!(manifest["scenario"].as_str(), Some("s.toml"));
    assert_eq!(manifest["seed"].as_integer(), Some(42));
    assert_eq!(manifest["users"].as_integer(), Some(200));
    assert_eq!(manifest["replications"].as_integer(), Some(1));
    assert_eq!(
        manifest["rollout_sim_version"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    let created = manifest["created"].as_str().expect("created is a string");
    chrono::DateTime::parse_from_rfc3339(created).expect("created is RFC 3339");
}

/// Signals sent to a running simulation, on Linux where
/// `/proc/<pid>/status` shows when the handlers are installed.
#[cfg(target_os = "linux")]
mod signals {
    use super::*;
    use std::process::{Child, Stdio};
    use std::time::{Duration, Instant};

    /// Returns whether the process catches `signal`, from the `SigCgt`
    /// mask in `/proc/<pid>/status` (bit `signal - 1`).
    fn catches(pid: u32, signal: i32) -> bool {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            return false;
        };
        status
            .lines()
            .find_map(|line| line.strip_prefix("SigCgt:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .is_some_and(|mask| mask & (1 << (signal - 1)) != 0)
    }

    /// Polls until `condition` holds. The limit only keeps a broken build
    /// from hanging the test suite; it is no statement about speed.
    fn wait_until(mut condition: impl FnMut() -> bool, what: &str) {
        let limit = Instant::now() + Duration::from_secs(120);
        while !condition() {
            assert!(Instant::now() < limit, "gave up waiting until {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
        let mut status = None;
        wait_until(
            || {
                status = child.try_wait().expect("child status");
                status.is_some()
            },
            "the run stops",
        );
        status.expect("exited")
    }

    /// Starts `rollout-sim` with `args` in `dir`, sends `signal` once the
    /// handlers are installed, and returns the exit status and output.
    fn interrupt_command(dir: &Path, args: &[&str], signal: i32) -> std::process::Output {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rollout-sim"))
            .current_dir(dir)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "C")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        wait_until(|| catches(child.id(), signal), "the handlers are installed");
        // SAFETY: kill(2) only sends a signal; the pid is our own child,
        // which has not been waited for, so it cannot have been reused.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        assert_eq!(sent, 0, "kill failed");
        let status = wait_for_exit(&mut child);
        let output = child.wait_with_output().expect("output");
        assert_eq!(output.status, status);
        output
    }

    /// Starts a run far too large to finish, sends `signal` once the
    /// handlers are installed, and checks the exit code, the message and
    /// that `out` is unchanged.
    fn interrupt_run(signal: i32, name: &str, code: i32) {
        let dir = folder_with_results();
        let before = snapshot(&dir.path().join("out"));
        let output = interrupt_command(
            dir.path(),
            &["run", "s.toml", "--out", "out", "--users", "200000000"],
            signal,
        );

        assert_eq!(output.status.code(), Some(code), "{}", stderr_of(&output));
        assert_eq!(
            stderr_of(&output),
            format!("error: interrupted by {name}; nothing was written, and the files already in out are unchanged\n")
        );
        assert!(output.stdout.is_empty());
        assert_eq!(snapshot(&dir.path().join("out")), before);
    }

    #[test]
    fn sigint_keeps_previous_outputs() {
        interrupt_run(libc::SIGINT, "SIGINT", 130);
    }

    #[test]
    fn sigterm_keeps_previous_outputs() {
        interrupt_run(libc::SIGTERM, "SIGTERM", 143);
    }

    /// Creates a folder with `s.toml`, a forecast scenario `f.toml`, its
    /// observed coverage `observed.csv`, and the files of earlier results:
    /// `out/` of a sweep or forecast, and `fitted.toml` with `fitted-fit/`
    /// of a calibration. Their contents only need to be recognizable.
    fn folder_with_earlier_outputs() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("s.toml"), SCENARIO).expect("scenario written");
        let forecast_scenario = SCENARIO.replace(
            "[[release]]",
            "[[population.segment]]\nname = \"daily\"\nshare = 1.0\nlaunches_per_day = 6.0\n\n[[release]]",
        );
        std::fs::write(dir.path().join("f.toml"), forecast_scenario).expect("scenario written");
        std::fs::write(
            dir.path().join("observed.csv"),
            "time_h,launch_coverage\n2,0.15\n3,0.3\n4,0.42\n5,0.52\n6,0.6\n",
        )
        .expect("observed coverage written");
        std::fs::create_dir(dir.path().join("out")).expect("folder created");
        for name in ["sweep.csv", "forecast.csv", "forecast.svg"] {
            std::fs::write(dir.path().join("out").join(name), format!("earlier {name}"))
                .expect("file written");
        }
        std::fs::write(dir.path().join("fitted.toml"), "# earlier calibration\n")
            .expect("file written");
        std::fs::create_dir(dir.path().join("fitted-fit")).expect("folder created");
        std::fs::write(
            dir.path().join("fitted-fit/fit-report.md"),
            "earlier report",
        )
        .expect("file written");
        dir
    }

    /// Returns every file name under `dir`, one folder deep.
    fn names_under(dir: &Path) -> Vec<String> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).expect("folder lists") {
            let entry = entry.expect("entry");
            let name = entry.file_name().into_string().expect("UTF-8 name");
            if entry.path().is_dir() {
                for inner in std::fs::read_dir(entry.path()).expect("folder lists") {
                    let inner = inner.expect("entry").file_name();
                    names.push(format!("{name}/{}", inner.to_string_lossy()));
                }
            }
            names.push(name);
        }
        names.sort();
        names
    }

    #[test]
    fn sigint_stops_sweep() {
        let dir = folder_with_earlier_outputs();
        let names = names_under(dir.path());
        let before = snapshot(&dir.path().join("out"));
        let output = interrupt_command(
            dir.path(),
            &[
                "sweep",
                "s.toml",
                "--param",
                "client.periodic_check_share=0.2:0.4:0.1",
                "--out",
                "out",
                "--users",
                "200000000",
            ],
            libc::SIGINT,
        );

        assert_eq!(output.status.code(), Some(130), "{}", stderr_of(&output));
        assert_eq!(
            stderr_of(&output),
            "error: interrupted by SIGINT; nothing was written, and the files already in out are unchanged\n"
        );
        assert!(output.stdout.is_empty());
        assert_eq!(snapshot(&dir.path().join("out")), before);
        assert_eq!(names_under(dir.path()), names, "no new or temporary file");
    }

    #[test]
    fn sigterm_stops_sweep_into_new_folder() {
        let dir = folder_with_earlier_outputs();
        let names = names_under(dir.path());
        let output = interrupt_command(
            dir.path(),
            &[
                "sweep",
                "s.toml",
                "--param",
                "client.periodic_check_share=0.2:0.4:0.1",
                "--out",
                "fresh",
                "--users",
                "200000000",
            ],
            libc::SIGTERM,
        );

        assert_eq!(output.status.code(), Some(143), "{}", stderr_of(&output));
        assert_eq!(
            stderr_of(&output),
            "error: interrupted by SIGTERM; nothing was written, and the new output folder fresh was removed\n"
        );
        assert_eq!(names_under(dir.path()), names, "the new folder is removed");
    }

    #[test]
    fn sigterm_stops_calibrate() {
        let dir = folder_with_earlier_outputs();
        let names = names_under(dir.path());
        let earlier_scenario = std::fs::read(dir.path().join("fitted.toml")).expect("reads");
        let earlier_report = snapshot(&dir.path().join("fitted-fit"));
        let trace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/android-app-usage-2021/app_events.csv");
        let output = interrupt_command(
            dir.path(),
            &[
                "calibrate",
                trace.to_str().expect("UTF-8 path"),
                "--out",
                "fitted.toml",
                "--force",
            ],
            libc::SIGTERM,
        );

        assert_eq!(output.status.code(), Some(143), "{}", stderr_of(&output));
        assert_eq!(
            stderr_of(&output),
            "error: interrupted by SIGTERM; nothing was written, and fitted.toml and the files already in fitted-fit are unchanged\n"
        );
        assert!(output.stdout.is_empty());
        let scenario = std::fs::read(dir.path().join("fitted.toml")).expect("reads");
        assert_eq!(scenario, earlier_scenario);
        assert_eq!(snapshot(&dir.path().join("fitted-fit")), earlier_report);
        assert_eq!(names_under(dir.path()), names, "no new or temporary file");
    }

    #[test]
    fn sigint_stops_forecast_in_chinese() {
        let dir = folder_with_earlier_outputs();
        let names = names_under(dir.path());
        let before = snapshot(&dir.path().join("out"));
        let output = interrupt_command(
            dir.path(),
            &[
                "--lang",
                "zh-CN",
                "forecast",
                "f.toml",
                "--observed",
                "observed.csv",
                "--out",
                "out",
                "--users",
                "200000000",
            ],
            libc::SIGINT,
        );

        assert_eq!(output.status.code(), Some(130), "{}", stderr_of(&output));
        assert_eq!(
            stderr_of(&output),
            "错误：收到 SIGINT，运行已中断；没有写出任何文件，out 中已有的文件保持不变\n"
        );
        assert!(output.stdout.is_empty());
        assert_eq!(snapshot(&dir.path().join("out")), before);
        assert_eq!(names_under(dir.path()), names, "no new or temporary file");
    }

    #[test]
    fn interrupted_new_folder_is_removed() {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("s.toml"), SCENARIO).expect("scenario written");
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rollout-sim"))
            .current_dir(dir.path())
            .args(["run", "s.toml", "--out", "fresh", "--users", "200000000"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        wait_until(
            || catches(child.id(), libc::SIGINT),
            "the handlers are installed",
        );
        wait_until(
            || dir.path().join("fresh").exists(),
            "the folder is created",
        );
        // SAFETY: as in `interrupt_run`.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        assert_eq!(sent, 0, "kill failed");
        assert_eq!(wait_for_exit(&mut child).code(), Some(130));
        assert!(!dir.path().join("fresh").exists());
        let mut stderr = String::new();
        std::io::Read::read_to_string(
            &mut child.stderr.take().expect("stderr is piped"),
            &mut stderr,
        )
        .expect("stderr reads");
        assert!(
            stderr.contains(
                "interrupted by SIGINT; nothing was written, and the new output folder fresh was removed"
            ),
            "{stderr}"
        );
    }
}

/// A full disk, made with a small tmpfs. Mounting needs root on Linux, so
/// without root the test only prints why it did nothing. The unit tests of
/// `output::files` inject the same failure without a mount.
#[cfg(target_os = "linux")]
#[test]
fn full_disk_keeps_previous_outputs() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("full_disk_keeps_previous_outputs: not root, no tmpfs mounted, nothing tested");
        return;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let mount_point = dir.path().join("disk");
    std::fs::create_dir(&mount_point).expect("mount point");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&mount_point)
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        eprintln!("full_disk_keeps_previous_outputs: mount failed, nothing tested");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&mount_point);

    std::fs::write(dir.path().join("s.toml"), SCENARIO).expect("scenario written");
    let out = mount_point.join("out");
    rollout_sim(dir.path())
        .args(["run", "s.toml", "--out"])
        .arg(&out)
        .assert()
        .success();
    let before = snapshot(&out);
    let used: usize = before.values().map(Vec::len).sum();
    // Fill the disk so that the next run's temporary files cannot fit next
    // to the previous outputs, whatever the page rounding of tmpfs.
    let free = 4 * 1024 * 1024 - used;
    let filler = vec![0u8; free.saturating_sub(used / 2)];
    let _ = std::fs::write(mount_point.join("filler"), filler);

    let output = rollout_sim(dir.path())
        .args(["run", "s.toml", "--seed", "2", "--out"])
        .arg(&out)
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("are unchanged"), "{stderr}");
    assert_eq!(snapshot(&out), before);
}

/// Runs `args` with standard output going into a pipe whose read end is
/// already closed, as in `rollout-sim … | head` once `head` has exited.
#[cfg(unix)]
fn run_into_closed_pipe(dir: &Path, args: &[&str]) -> std::process::Output {
    use std::os::fd::{FromRawFd, OwnedFd};

    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe` writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe failed");
    // SAFETY: `pipe` just returned two open descriptors that nothing else owns.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("rollout-sim"));
    command
        .current_dir(dir)
        .env("LANG", "C")
        .args(args)
        .stdout(std::process::Stdio::from(write));
    command.output().expect("rollout-sim starts")
}

#[cfg(unix)]
#[test]
fn closed_stdout_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), SCENARIO).unwrap();
    for args in [
        &["check", "s.toml"][..],
        &["run", "s.toml", "--out", "out"][..],
    ] {
        let output = run_into_closed_pipe(dir.path(), args);
        let stderr = stderr_of(&output);
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert_eq!(
            output.status.signal(),
            Some(libc::SIGPIPE),
            "{args:?}: {stderr}"
        );
    }
    // `run` writes its files before it prints, so they are complete.
    let summary = std::fs::read_to_string(dir.path().join("out/summary.csv")).unwrap();
    assert!(summary.starts_with("policy,metric,value"), "{summary}");
}
