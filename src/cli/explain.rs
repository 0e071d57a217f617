//! `rollout-sim explain`: one simulated user's whole timeline under one
//! policy, replayed through the same per-user setup as `run`, so it shows
//! exactly the events that the run counted for that user.

use std::fmt::Write as _;

use chrono::{Duration, NaiveDateTime};

use crate::cli::args::ExplainArgs;
use crate::cli::run::launch_source;
use crate::cli::{load_scenario, CliError};
use crate::engine::runner::{RunOptions, RunSetup};
use crate::i18n::Lang;
use crate::model::launches::Visit;
use crate::model::population::{LaunchSource, PlannedUser};
use crate::model::timeline::{SyncResult, TimelineEvent, TimelineKind};
use crate::model::user::{simulate_user, UserScratch};
use crate::scenario::{self, Scenario};
use crate::stats::bins::{Bins, Counter};
use crate::time::{SimTime, MS_PER_HOUR};
use crate::units::format_bytes;

/// One user's replayed timeline and the counters it added.
pub(crate) struct Replay {
    /// The user as the run created it.
    pub user: PlannedUser,
    /// Every step in order.
    pub log: Vec<TimelineEvent>,
    /// The counters this user alone added under the policy.
    pub bins: Bins,
}

/// The user to replay, by replication, index and policy.
pub(crate) struct Selection {
    /// Replication index.
    pub replication: u32,
    /// User index within the replication: existing users first, then new
    /// users in order of arrival.
    pub user: u64,
    /// Policy index.
    pub policy: usize,
}

/// Replays one user through the runner's own per-user setup.
///
/// # Errors
/// Returns [`CliError::Invalid`] when the replication or the user index is
/// out of range.
pub(crate) fn replay(
    scenario: &Scenario,
    source: &LaunchSource,
    options: &RunOptions,
    selection: &Selection,
    lang: Lang,
) -> Result<Replay, CliError> {
    let setup = RunSetup::new(scenario, source, options);
    if selection.replication >= setup.replications {
        return Err(CliError::Invalid(match lang {
            Lang::En => format!(
                "invalid value {} for --replication: the run has {} replications; use 0 to {}",
                selection.replication,
                setup.replications,
                setup.replications - 1
            ),
            Lang::ZhCn => format!(
                "--replication 的取值 {} 无效：本次运行有 {} 次重复；请使用 0 到 {}",
                selection.replication,
                setup.replications,
                setup.replications - 1
            ),
        }));
    }
    let population = setup.population(selection.replication);
    if selection.user >= population {
        return Err(CliError::Invalid(match lang {
            Lang::En => format!(
                "invalid value {} for --user: replication {} has {population} users ({} existing, then new users); use 0 to {}",
                selection.user,
                selection.replication,
                setup.users,
                population.saturating_sub(1)
            ),
            Lang::ZhCn => format!(
                "--user 的取值 {} 无效：第 {} 次重复共有 {population} 名用户（{} 名存量用户，其后为新用户）；请使用 0 到 {}",
                selection.user,
                selection.replication,
                setup.users,
                population.saturating_sub(1)
            ),
        }));
    }
    let mut visits: Vec<Visit> = Vec::new();
    let mut trips = Vec::new();
    let user = setup.prepare_user(
        selection.replication,
        selection.user,
        &mut visits,
        &mut trips,
    );
    let mut streams = setup.policy_streams(selection.replication, selection.user);
    let mut bins = Bins::new(
        scenario.run.bins(),
        scenario.run.sample_every.0,
        scenario.versions.len(),
    );
    let mut log = Vec::new();
    simulate_user(
        &setup.context(),
        &user.traits,
        &scenario.networks[user.network],
        &visits,
        &trips,
        &scenario.policies[selection.policy],
        &mut streams,
        &mut UserScratch::default(),
        &mut bins,
        Some(&mut log),
    );
    Ok(Replay { user, log, bins })
}

/// Formats hours since t = 0 and the local time, e.g. `+26.517 h  12-08 12:31:02`.
fn stamp(start: Option<NaiveDateTime>, at: SimTime) -> String {
    let hours = at.0 as f64 / MS_PER_HOUR as f64;
    let clock = start
        .and_then(|start| start.checked_add_signed(Duration::milliseconds(at.0)))
        .map(|local| local.format("%m-%d %H:%M:%S").to_string())
        .unwrap_or_default();
    format!("{hours:>+9.3} h  {clock}")
}

fn seconds(ms: i64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{:.1} s", ms as f64 / 1000.0),
        Lang::ZhCn => format!("{:.1} 秒", ms as f64 / 1000.0),
    }
}

/// Describes one step in the report language. `download_start` is when the
/// background download that `DownloadFinished` ends began, if known.
fn describe(
    kind: &TimelineKind,
    at: SimTime,
    download_start: Option<SimTime>,
    versions: &[String],
    lang: Lang,
) -> String {
    let v = |package: usize| versions[package].as_str();
    match (*kind, lang) {
        (TimelineKind::LaunchBeforeStart { package }, Lang::En) => format!(
            "last launch before t = 0, on {} (sets the starting state, not counted)",
            v(package)
        ),
        (TimelineKind::LaunchBeforeStart { package }, Lang::ZhCn) => {
            format!("t = 0 之前的最后一次启动，运行 {}（只决定初始状态，不计数）", v(package))
        }
        (TimelineKind::ColdStart { package: Some(p) }, Lang::En) => {
            format!("cold start: runs {}", v(p))
        }
        (TimelineKind::ColdStart { package: Some(p) }, Lang::ZhCn) => {
            format!("冷启动：运行 {}", v(p))
        }
        (TimelineKind::ColdStart { package: None }, Lang::En) => {
            "cold start failed: an error page opens, no version runs".into()
        }
        (TimelineKind::ColdStart { package: None }, Lang::ZhCn) => {
            "冷启动失败：显示错误页，没有版本运行".into()
        }
        (TimelineKind::HotStart { package }, Lang::En) => format!(
            "hot start: runs {} (the process was alive in the background)",
            v(package)
        ),
        (TimelineKind::HotStart { package }, Lang::ZhCn) => {
            format!("热启动：运行 {}（进程仍在后台存活）", v(package))
        }
        (TimelineKind::FirstInstall { package }, Lang::En) => format!(
            "first launch of a new user: downloads {} before opening",
            v(package)
        ),
        (TimelineKind::FirstInstall { package }, Lang::ZhCn) => {
            format!("新用户首次启动：打开前下载 {}", v(package))
        }
        (
            TimelineKind::SyncUpdate {
                package,
                result,
                waited,
                attempts,
            },
            _,
        ) => describe_sync(v(package), result, seconds(waited.0, lang), attempts, lang),
        (TimelineKind::CheckStarted, Lang::En) => "asynchronous update check sent".into(),
        (TimelineKind::CheckStarted, Lang::ZhCn) => "发出异步更新检查".into(),
        (TimelineKind::CheckDone { offered: Some(p) }, Lang::En) => {
            format!("check result: {} is available", v(p))
        }
        (TimelineKind::CheckDone { offered: Some(p) }, Lang::ZhCn) => {
            format!("检查结果：有新版本 {}", v(p))
        }
        (TimelineKind::CheckDone { offered: None }, Lang::En) => {
            "check result: no newer version".into()
        }
        (TimelineKind::CheckDone { offered: None }, Lang::ZhCn) => "检查结果：没有新版本".into(),
        (TimelineKind::DownloadStarted { package }, Lang::En) => {
            format!("background download of {} starts", v(package))
        }
        (TimelineKind::DownloadStarted { package }, Lang::ZhCn) => {
            format!("开始在后台下载 {}", v(package))
        }
        (TimelineKind::DownloadFinished { package, ok, bytes }, _) => {
            let took = download_start.map(|start| seconds((at - start).0, lang));
            let size = format_bytes(bytes as f64);
            match (lang, ok, took) {
                (Lang::En, true, Some(took)) => {
                    format!("download of {} completed in {took} ({size})", v(package))
                }
                (Lang::En, true, None) => format!("download of {} completed ({size})", v(package)),
                (Lang::En, false, Some(took)) => format!(
                    "download of {} failed after {took} ({size} received); retried at a later cold start",
                    v(package)
                ),
                (Lang::En, false, None) => format!(
                    "download of {} failed ({size} received); retried at a later cold start",
                    v(package)
                ),
                (Lang::ZhCn, true, Some(took)) => {
                    format!("{} 下载完成，用时 {took}（{size}）", v(package))
                }
                (Lang::ZhCn, true, None) => format!("{} 下载完成（{size}）", v(package)),
                (Lang::ZhCn, false, Some(took)) => format!(
                    "{} 下载失败，用时 {took}（已接收 {size}）；之后的冷启动会重试",
                    v(package)
                ),
                (Lang::ZhCn, false, None) => format!(
                    "{} 下载失败（已接收 {size}）；之后的冷启动会重试",
                    v(package)
                ),
            }
        }
        (TimelineKind::PeriodicCheck { found: true }, Lang::En) => {
            "periodic client check: a newer version found; the next cold start updates synchronously".into()
        }
        (TimelineKind::PeriodicCheck { found: true }, Lang::ZhCn) => {
            "客户端定期检查：发现新版本，下次冷启动将同步更新".into()
        }
        (TimelineKind::PeriodicCheck { found: false }, Lang::En) => {
            "periodic client check: nothing newer".into()
        }
        (TimelineKind::PeriodicCheck { found: false }, Lang::ZhCn) => {
            "客户端定期检查：没有新版本".into()
        }
        (TimelineKind::UpdateReady { package, deferred }, Lang::En) => format!(
            "onUpdateReady: {} is ready{}",
            v(package),
            if deferred {
                " (fired in the background, runs at this resume)"
            } else {
                ""
            }
        ),
        (TimelineKind::UpdateReady { package, deferred }, Lang::ZhCn) => format!(
            "onUpdateReady：{} 已就绪{}",
            v(package),
            if deferred {
                "（在后台触发，于本次回到前台时执行）"
            } else {
                ""
            }
        ),
        (TimelineKind::PromptAnswered { accepted: true }, Lang::En) => {
            "update prompt shown: the user accepts".into()
        }
        (TimelineKind::PromptAnswered { accepted: true }, Lang::ZhCn) => {
            "显示更新提示：用户接受".into()
        }
        (TimelineKind::PromptAnswered { accepted: false }, Lang::En) => {
            "update prompt shown: the user declines; the update waits for the next cold start"
                .into()
        }
        (TimelineKind::PromptAnswered { accepted: false }, Lang::ZhCn) => {
            "显示更新提示：用户拒绝，更新留到下次冷启动".into()
        }
        (TimelineKind::Restart { package, at_resume: false }, Lang::En) => format!(
            "applyUpdate(): the session is interrupted and restarts on {}",
            v(package)
        ),
        (TimelineKind::Restart { package, at_resume: false }, Lang::ZhCn) => {
            format!("applyUpdate()：会话被中断，以 {} 重启", v(package))
        }
        (TimelineKind::Restart { package, at_resume: true }, Lang::En) => format!(
            "applyUpdate() at the resume: this launch runs {}",
            v(package)
        ),
        (TimelineKind::Restart { package, at_resume: true }, Lang::ZhCn) => {
            format!("回到前台时 applyUpdate()：本次启动运行 {}", v(package))
        }
        (TimelineKind::CheckFailed { periodic: false }, Lang::En) => {
            "the update check failed (server outage)".to_string()
        }
        (TimelineKind::CheckFailed { periodic: false }, Lang::ZhCn) => {
            "更新检查失败（服务中断）".to_string()
        }
        (TimelineKind::CheckFailed { periodic: true }, Lang::En) => {
            "the client's periodic check failed (server outage)".to_string()
        }
        (TimelineKind::CheckFailed { periodic: true }, Lang::ZhCn) => {
            "客户端定期检查失败（服务中断）".to_string()
        }
        (TimelineKind::ApplyIgnored, Lang::En) => {
            "applyUpdate() is ignored by this host; the new version waits for the next cold start"
                .to_string()
        }
        (TimelineKind::ApplyIgnored, Lang::ZhCn) => {
            "宿主客户端忽略 applyUpdate()；新版本等到下次冷启动".to_string()
        }
        (TimelineKind::SuspendRestart { package }, Lang::En) => format!(
            "applyUpdate() in the background (on_suspend): the next resume shows {}",
            v(package)
        ),
        (TimelineKind::SuspendRestart { package }, Lang::ZhCn) => {
            format!("在后台 applyUpdate()（on_suspend）：下次回到前台显示 {}", v(package))
        }
        (TimelineKind::BriefBackground, Lang::En) => {
            "briefly to the background (a dialog or payment page); the process stays alive"
                .to_string()
        }
        (TimelineKind::BriefBackground, Lang::ZhCn) => {
            "短暂切到后台（对话框或支付页面），进程保持存活".to_string()
        }
        (TimelineKind::BriefReturn, Lang::En) => "back to the foreground".to_string(),
        (TimelineKind::BriefReturn, Lang::ZhCn) => "回到前台".to_string(),
        (TimelineKind::Close { alive_until }, Lang::En) => format!(
            "to the background; the process is destroyed after {} unless reopened",
            seconds_or_minutes((alive_until - at).0, lang)
        ),
        (TimelineKind::Close { alive_until }, Lang::ZhCn) => format!(
            "进入后台；若不再打开，进程在 {} 后销毁",
            seconds_or_minutes((alive_until - at).0, lang)
        ),
    }
}

fn seconds_or_minutes(ms: i64, lang: Lang) -> String {
    match (ms >= 60_000, lang) {
        (true, Lang::En) => format!("{:.1} min", ms as f64 / 60_000.0),
        (true, Lang::ZhCn) => format!("{:.1} 分钟", ms as f64 / 60_000.0),
        (false, _) => seconds(ms, lang),
    }
}

fn describe_sync(
    version: &str,
    result: SyncResult,
    waited: String,
    attempts: u32,
    lang: Lang,
) -> String {
    match (result, lang) {
        (SyncResult::UpToDate, Lang::En) => {
            format!("synchronous check: {version} is up to date (start-up waited {waited})")
        }
        (SyncResult::UpToDate, Lang::ZhCn) => {
            format!("同步检查：{version} 已是最新（启动等待 {waited}）")
        }
        (SyncResult::Updated, Lang::En) => format!(
            "synchronous update: {version} downloaded before opening (start-up waited {waited}, {attempts} attempt(s))"
        ),
        (SyncResult::Updated, Lang::ZhCn) => format!(
            "同步更新：打开前下载了 {version}（启动等待 {waited}，尝试 {attempts} 次）"
        ),
        (SyncResult::Failed, Lang::En) => format!(
            "synchronous update to {version} failed (start-up waited {waited}); retried at the next cold start"
        ),
        (SyncResult::Failed, Lang::ZhCn) => {
            format!("同步更新到 {version} 失败（启动等待 {waited}）；下次冷启动重试")
        }
        (SyncResult::TimedOut, Lang::En) => format!(
            "synchronous update to {version} timed out (start-up waited {waited}); retried at the next cold start"
        ),
        (SyncResult::TimedOut, Lang::ZhCn) => {
            format!("同步更新到 {version} 超时（启动等待 {waited}）；下次冷启动重试")
        }
        (SyncResult::Blocked, Lang::En) => format!(
            "below the minimum required version: {attempts} download attempt(s) of {version} failed (waited {waited}); the app cannot open"
        ),
        (SyncResult::Blocked, Lang::ZhCn) => format!(
            "低于最低可用版本：{version} 下载 {attempts} 次均失败（等待 {waited}），小程序无法打开"
        ),
    }
}

/// Orders the log for display. A cold start sends its asynchronous check
/// while it opens, so the model logs the check first, but the launch reads
/// better before it.
fn launches_first(log: &[TimelineEvent]) -> Vec<&TimelineEvent> {
    let mut ordered: Vec<&TimelineEvent> = log.iter().collect();
    for index in 1..ordered.len() {
        let launch = ordered[index];
        if launch.kind.launched_package().is_none() {
            continue;
        }
        // The steps of the check this launch sent, at the same instant:
        // its start and, when the schedule already gave the result, its
        // result or failure.
        let mut first = index;
        while first > 0 {
            let step = ordered[first - 1];
            let of_check = matches!(
                step.kind,
                TimelineKind::CheckStarted
                    | TimelineKind::CheckDone { .. }
                    | TimelineKind::CheckFailed { periodic: false }
            );
            if step.at != launch.at || !of_check {
                break;
            }
            first -= 1;
        }
        ordered[first..=index].rotate_right(1);
    }
    ordered
}

/// Renders a replayed timeline: who the user is, every step, and the
/// launches counted per version.
pub(crate) fn render(
    scenario: &Scenario,
    selection: &Selection,
    replay: &Replay,
    lang: Lang,
) -> String {
    let mut out = String::new();
    let user = &replay.user;
    let traits = &user.traits;
    let policy = &scenario.policies[selection.policy].name;
    let segment = &scenario.population.segments[user.segment].name;
    let network = &scenario.networks[user.network].name;
    let yes_no = |flag: bool| match (flag, lang) {
        (true, Lang::En) => "yes",
        (false, Lang::En) => "no",
        (true, Lang::ZhCn) => "是",
        (false, Lang::ZhCn) => "否",
    };
    let _ = writeln!(
        out,
        "{}",
        match lang {
            Lang::En => format!(
                "user {} of replication {}, policy {policy}: segment {segment}, network {network}, rollout bucket {:.2}, periodic check {}, UpdateManager {}",
                selection.user,
                selection.replication,
                traits.bucket,
                yes_no(traits.periodic_check),
                yes_no(traits.update_manager)
            ),
            Lang::ZhCn => format!(
                "第 {} 次重复的用户 {}，策略 {policy}：分群 {segment}，网络 {network}，灰度分桶 {:.2}，定期检查 {}，UpdateManager {}",
                selection.replication,
                selection.user,
                traits.bucket,
                yes_no(traits.periodic_check),
                yes_no(traits.update_manager)
            ),
        }
    );
    if let Some(host) = scenario.hosts.get(traits.host as usize) {
        let restarts = yes_no(traits.apply_update_restarts);
        let _ = writeln!(
            out,
            "{}",
            match lang {
                Lang::En => format!(
                    "host client {}: applyUpdate() restarts {restarts}",
                    host.name
                ),
                Lang::ZhCn => format!("宿主客户端 {}：applyUpdate() 会重启 {restarts}", host.name),
            }
        );
    }
    if traits.is_new {
        let _ = writeln!(
            out,
            "{}",
            match lang {
                Lang::En => format!(
                    "a new user: first launch at {:.3} h",
                    traits.present_from.as_hours()
                ),
                Lang::ZhCn => format!(
                    "新用户：首次启动于 {:.3} 小时",
                    traits.present_from.as_hours()
                ),
            }
        );
    }

    let start =
        NaiveDateTime::parse_from_str(&scenario.population.start_text, "%Y-%m-%dT%H:%M").ok();
    let mut download_start: Option<SimTime> = None;
    for event in launches_first(&replay.log) {
        let started = match event.kind {
            TimelineKind::DownloadFinished { .. } => download_start.take(),
            _ => None,
        };
        if let TimelineKind::DownloadStarted { .. } = event.kind {
            download_start = Some(event.at);
        }
        let text = describe(&event.kind, event.at, started, &scenario.versions, lang);
        let _ = writeln!(out, "{}  {text}", stamp(start, event.at));
    }

    let launches = replay.bins.counter_sum(Counter::Launches);
    let cold = replay.bins.counter_sum(Counter::ColdStarts);
    let hot = replay.bins.counter_sum(Counter::HotStarts);
    let by_version: Vec<String> = scenario
        .versions
        .iter()
        .enumerate()
        .filter_map(|(package, version)| {
            let count: u64 = replay.bins.version_launches(package).iter().sum();
            (count > 0).then(|| format!("{version} × {count}"))
        })
        .collect();
    let by_version = if by_version.is_empty() {
        lang.pick("none", "无").to_string()
    } else {
        by_version.join(lang.pick(", ", "，"))
    };
    let _ = writeln!(
        out,
        "{}",
        match lang {
            Lang::En => format!(
                "launches counted: {launches} ({cold} cold starts, failed ones included; {hot} hot starts); by version: {by_version}"
            ),
            Lang::ZhCn => format!(
                "计入的启动：{launches} 次（冷启动 {cold} 次，含失败的冷启动；热启动 {hot} 次）；按版本：{by_version}"
            ),
        }
    );
    out
}

/// Runs the `explain` command.
pub fn execute(args: &ExplainArgs, lang: Lang) -> Result<(), CliError> {
    let (scenario, _) = load_scenario(args.scenario.as_deref(), lang)?;
    let source = launch_source(&scenario, lang)?;
    let policy = match &args.policy {
        None => 0,
        Some(name) => scenario
            .policies
            .iter()
            .position(|policy| &policy.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = scenario.policies.iter().map(|p| p.name.as_str()).collect();
                CliError::Invalid(match lang {
                    Lang::En => format!(
                        "invalid value {name} for --policy: the scenario has no such policy; use one of {}",
                        names.join(", ")
                    ),
                    Lang::ZhCn => format!(
                        "--policy 的取值 {name} 无效：场景中没有该策略；请使用 {} 之一",
                        names.join("、")
                    ),
                })
            })?,
    };
    if let Some(users) = args.users {
        if users == 0 || users > scenario::MAX_USERS {
            return Err(CliError::Invalid(match lang {
                Lang::En => format!(
                    "invalid value {users} for --users: use a number from 1 to {}",
                    scenario::MAX_USERS
                ),
                Lang::ZhCn => format!(
                    "--users 的取值 {users} 无效：请使用 1 到 {} 之间的数",
                    scenario::MAX_USERS
                ),
            }));
        }
    }
    if args.replications == Some(0) {
        return Err(CliError::Invalid(match lang {
            Lang::En => "invalid value 0 for --replications: use at least 1".to_string(),
            Lang::ZhCn => "--replications 的取值 0 无效：至少为 1".to_string(),
        }));
    }
    let options = RunOptions {
        users: args.users,
        seed: args.seed,
        replications: args.replications,
        ..RunOptions::default()
    };
    let selection = Selection {
        replication: args.replication.unwrap_or(0),
        user: args.user,
        policy,
    };
    let replay = replay(&scenario, &source, &options, &selection, lang)?;
    print!("{}", render(&scenario, &selection, &replay, lang));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runner;
    use crate::time::SimTime;

    #[test]
    fn launch_precedes_its_check_steps() {
        let at = |ms: i64, kind: TimelineKind| TimelineEvent {
            at: SimTime(ms),
            kind,
        };
        let log = [
            at(5, TimelineKind::CheckStarted),
            at(9, TimelineKind::CheckStarted),
            at(9, TimelineKind::CheckDone { offered: None }),
            at(9, TimelineKind::ColdStart { package: Some(1) }),
            at(12, TimelineKind::CheckStarted),
        ];
        let kinds: Vec<_> = launches_first(&log)
            .iter()
            .map(|e| (e.at.0, e.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (5, TimelineKind::CheckStarted),
                (9, TimelineKind::ColdStart { package: Some(1) }),
                (9, TimelineKind::CheckStarted),
                (9, TimelineKind::CheckDone { offered: None }),
                (12, TimelineKind::CheckStarted),
            ]
        );
    }

    /// One busy user, two releases, a failure-prone network and three
    /// policies, so the timeline has sync updates, failed downloads,
    /// prompts and restarts.
    const ONE_USER: &str = r#"
[run]
horizon = "3d"
sample_every = "1h"
replications = 3
seed = 7

[population]
users = 1
baseline_version = "1.0"

[[population.segment]]
name = "busy"
share = 1.0
launches_per_day = 8.0
session = { dist = "exponential", mean = "6m" }
keep_alive = { dist = "uniform", min = "1m", max = "30m" }

[[network]]
name = "flaky"
share = 1.0
bandwidth = "200KB/s"
failure = 0.3

[[release]]
version = "2.0"
at = "2h"
size = "1MB"

[[release]]
version = "2.1"
at = "30h"
size = "1MB"
critical = true

[[policy]]
name = "none"
on_update_ready = "none"

[[policy]]
name = "prompt"
on_update_ready = "prompt"
accept = 0.5

[[policy]]
name = "force"
on_update_ready = "force"
"#;

    #[test]
    fn replay_matches_run_counters() {
        let scenario = scenario::parse(ONE_USER, "one-user.toml", None).expect("valid scenario");
        let source = LaunchSource::Synthetic;
        for seed in 1..=4 {
            let options = RunOptions {
                threads: 1,
                seed: Some(seed),
                ..RunOptions::default()
            };
            let output = runner::run(&scenario, &source, &options, &|_, _| {}).expect("run");
            for replication in 0..3 {
                for policy in 0..scenario.policies.len() {
                    let selection = Selection {
                        replication,
                        user: 0,
                        policy,
                    };
                    let replay = replay(&scenario, &source, &options, &selection, Lang::En)
                        .expect("user 0 exists");
                    let counted = &output.bins[policy][replication as usize];
                    let case = format!("seed {seed}, replication {replication}, policy {policy}");

                    let logged_launches = replay
                        .log
                        .iter()
                        .filter(|event| event.kind.launched_package().is_some())
                        .count() as u64;
                    assert_eq!(
                        logged_launches,
                        counted.counter_sum(Counter::Launches),
                        "launches, {case}"
                    );
                    for package in 0..scenario.versions.len() {
                        let logged = replay
                            .log
                            .iter()
                            .filter(|event| event.kind.launched_package() == Some(package))
                            .count() as u64;
                        let run: u64 = counted.version_launches(package).iter().sum();
                        assert_eq!(logged, run, "launches of package {package}, {case}");
                    }
                    assert_eq!(&replay.bins, counted, "all counters, {case}");
                }
            }
        }
    }

    #[test]
    fn timeline_shows_launches_in_order() {
        let scenario = scenario::parse(ONE_USER, "one-user.toml", None).expect("valid scenario");
        let selection = Selection {
            replication: 0,
            user: 0,
            policy: 2,
        };
        let options = RunOptions::default();
        let replay = replay(
            &scenario,
            &LaunchSource::Synthetic,
            &options,
            &selection,
            Lang::En,
        )
        .expect("user 0 exists");
        let times: Vec<SimTime> = replay.log.iter().map(|event| event.at).collect();
        assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
        let text = render(&scenario, &selection, &replay, Lang::En);
        let launches = replay.bins.counter_sum(Counter::Launches);
        assert!(
            text.contains(&format!("launches counted: {launches} (")),
            "{text}"
        );
        let printed = text
            .lines()
            .filter(|line| line.contains("cold start: runs") || line.contains("hot start: runs"))
            .count() as u64;
        assert_eq!(printed, launches);
    }

    /// Busy users on a host that ignores `applyUpdate()`, with brief trips
    /// to the background and a long outage of the update checks.
    const FIELD_USERS: &str = r#"
[run]
horizon = "3d"
sample_every = "1h"
seed = 5

[population]
users = 20
baseline_version = "1.0"

[[population.segment]]
name = "busy"
share = 1.0
launches_per_day = 8.0
session = { dist = "exponential", mean = "20m" }
keep_alive = { dist = "uniform", min = "5m", max = "2h" }
brief_backgrounds_per_hour = 3.0
brief_background = "3m"

[[host]]
name = "phone"
share = 0.5

[[host]]
name = "other"
share = 0.5
apply_update_restarts = false

[[outage]]
name = "checks down"
from = "0h"
until = "20h"
affects = "checks"
failure = 0.5

[[release]]
version = "2.0"
at = "1h"
size = "1MB"

[[policy]]
name = "force"
on_update_ready = "force"

[[policy]]
name = "on_suspend"
on_update_ready = "on_suspend"
min_background = "1m"
"#;

    #[test]
    fn timeline_shows_field_steps() {
        let scenario =
            scenario::parse(FIELD_USERS, "field-users.toml", None).expect("valid scenario");
        let options = RunOptions::default();
        let steps = [
            // Asynchronous, synchronous and periodic checks.
            ("check failed (server outage)", Counter::ChecksFailed),
            ("applyUpdate() is ignored", Counter::ApplyIgnored),
            ("applyUpdate() in the background", Counter::SuspendRestarts),
            ("back to the foreground", Counter::BackgroundTrips),
        ];
        let mut seen = [0u64; 4];
        for policy in 0..2 {
            for user in 0..20 {
                let selection = Selection {
                    replication: 0,
                    user,
                    policy,
                };
                let replay = replay(
                    &scenario,
                    &LaunchSource::Synthetic,
                    &options,
                    &selection,
                    Lang::En,
                )
                .expect("the user exists");
                let text = render(&scenario, &selection, &replay, Lang::En);
                assert!(text.contains("host client "), "{text}");
                // Every counted step of these kinds has its line.
                for (i, (line, counter)) in steps.iter().enumerate() {
                    let printed = text.lines().filter(|l| l.contains(line)).count() as u64;
                    assert_eq!(printed, replay.bins.counter_sum(*counter), "{line}\n{text}");
                    seen[i] += printed;
                }
            }
        }
        // The scenario makes every kind happen.
        assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    }

    #[test]
    fn user_out_of_range_is_invalid() {
        let scenario = scenario::parse(ONE_USER, "one-user.toml", None).expect("valid scenario");
        let selection = Selection {
            replication: 0,
            user: 1,
            policy: 0,
        };
        let result = replay(
            &scenario,
            &LaunchSource::Synthetic,
            &RunOptions::default(),
            &selection,
            Lang::En,
        );
        let Err(CliError::Invalid(message)) = result else {
            panic!("user 1 of a one-user scenario must be rejected");
        };
        assert_eq!(
            message,
            "invalid value 1 for --user: replication 0 has 1 users (1 existing, then new users); use 0 to 0"
        );
    }
}
