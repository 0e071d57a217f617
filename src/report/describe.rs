//! The scenario in plain words for the report: population, client
//! behaviour, releases, incidents and policies, in the report language.

use chrono::{Duration, NaiveDateTime};

use crate::i18n::Lang;
use crate::report::table::group_thousands;
use crate::scenario::profile::SyncFailure;
use crate::scenario::{Policy, Release, Scenario, UpdateAction};
use crate::stats::aggregate::RunResult;
use crate::time::{SimTime, MS_PER_HOUR};
use crate::units::format_bytes;

/// A heading with its items, one sentence each.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// The heading in the report language.
    pub heading: String,
    /// Sentences in the report language.
    pub items: Vec<String>,
}

/// Local wall-clock time of a simulated instant, as `2026-12-07 13:00`;
/// `None` when the scenario's start cannot be read as a date and time.
pub fn wall_clock(scenario: &Scenario, at: SimTime) -> Option<String> {
    let start =
        NaiveDateTime::parse_from_str(&scenario.population.start_text, "%Y-%m-%dT%H:%M").ok()?;
    let local = start.checked_add_signed(Duration::milliseconds(at.0))?;
    Some(local.format("%Y-%m-%d %H:%M").to_string())
}

/// Hours since t = 0, with the local time where it is known.
fn instant(scenario: &Scenario, at: SimTime, lang: Lang) -> String {
    let hours = at.as_hours();
    match (wall_clock(scenario, at), lang) {
        (Some(clock), Lang::En) => format!("{hours:.1} h ({clock})"),
        (Some(clock), Lang::ZhCn) => format!("{hours:.1} 小时（{clock}）"),
        (None, Lang::En) => format!("{hours:.1} h"),
        (None, Lang::ZhCn) => format!("{hours:.1} 小时"),
    }
}

fn percent(share: f64) -> String {
    let text = format!("{:.1}", share * 100.0);
    format!("{} %", text.trim_end_matches(".0"))
}

/// Describes what the figures rest on: users, replications, seed, horizon.
pub fn basis(scenario: &Scenario, result: &RunResult, lang: Lang) -> String {
    let users = group_thousands(result.users as f64);
    let new_per_day = scenario.population.new_users_per_day;
    let run = &scenario.run;
    match lang {
        Lang::En => format!(
            "The figures rest on {users} existing users and about {new_per_day} new users a day, simulated {} times (replications) with seed {} over {} in bins of {}. Lines are the mean across replications; bands and p05/p95 values are the 5th and 95th percentiles across them.",
            result.replications, result.seed, run.horizon, run.sample_every
        ),
        Lang::ZhCn => format!(
            "以下数据基于 {users} 名存量用户和每天约 {new_per_day} 名新用户，共模拟 {} 次（重复），随机种子 {}，模拟时长 {}，每 {} 为一个时间段。曲线为各次重复的均值；色带和 p05/p95 为各次重复的第 5 和第 95 百分位数。",
            result.replications, result.seed, run.horizon, run.sample_every
        ),
    }
}

fn population(scenario: &Scenario, result: &RunResult, lang: Lang) -> Section {
    let population = &scenario.population;
    let users = group_thousands(result.users as f64);
    let start =
        wall_clock(scenario, SimTime::ZERO).unwrap_or_else(|| population.start_text.clone());
    let offset = format!(
        "UTC{}{:02}:{:02}",
        if population.utc_offset_minutes < 0 {
            '-'
        } else {
            '+'
        },
        population.utc_offset_minutes.abs() / 60,
        population.utc_offset_minutes.abs() % 60
    );
    let mut items = vec![match lang {
        Lang::En => format!(
            "{users} existing users have {} cached at t = 0; about {} new users arrive per day and download the newest eligible version at their first launch. t = 0 is {start}, local time {offset}.",
            population.baseline_version, population.new_users_per_day
        ),
        Lang::ZhCn => format!(
            "t = 0 时 {users} 名存量用户缓存的是 {}；每天约新增 {} 名用户，首次启动时下载其可获得的最新版本。t = 0 为 {start}，本地时区 {offset}。",
            population.baseline_version, population.new_users_per_day
        ),
    }];
    if let Some(trace) = &population.trace {
        items.push(match lang {
            Lang::En => format!(
                "Launch times are replayed from the trace {}.",
                trace.written
            ),
            Lang::ZhCn => format!("启动时间取自轨迹文件 {}。", trace.written),
        });
    }
    for segment in &population.segments {
        items.push(match lang {
            Lang::En => format!(
                "Segment {} ({}): {} launches a day on average, sessions {}, process kept alive {} in the background.",
                segment.name,
                percent(segment.share),
                segment.launches_per_day,
                segment.session,
                segment.keep_alive
            ),
            Lang::ZhCn => format!(
                "分群 {}（{}）：平均每天启动 {} 次，会话时长 {}，进入后台后进程存活 {}。",
                segment.name,
                percent(segment.share),
                segment.launches_per_day,
                segment.session,
                segment.keep_alive
            ),
        });
    }
    for network in &scenario.networks {
        items.push(match lang {
            Lang::En => format!(
                "Network {} ({}): {}/s, {} of downloads fail.",
                network.name,
                percent(network.share),
                format_bytes(network.bandwidth),
                percent(network.failure)
            ),
            Lang::ZhCn => format!(
                "网络 {}（{}）：{}/s，{} 的下载失败。",
                network.name,
                percent(network.share),
                format_bytes(network.bandwidth),
                percent(network.failure)
            ),
        });
    }
    Section {
        heading: lang.pick("Population", "用户群体").to_string(),
        items,
    }
}

fn client(scenario: &Scenario, lang: Lang) -> Section {
    let client = &scenario.client;
    let mut items = vec![match lang {
        Lang::En => format!(
            "Platform profile {}. A cold start opens the cached package and checks for a newer version in the background{}; the downloaded version runs from the next cold start on.",
            client.platform.name(),
            if client.check_on_hot_start { ", and so does a hot start" } else { "" }
        ),
        Lang::ZhCn => format!(
            "平台配置 {}。冷启动时先打开本地缓存的版本，同时在后台检查新版本{}；下载完成的版本从下次冷启动起生效。",
            client.platform.name(),
            if client.check_on_hot_start { "（热启动也检查）" } else { "" }
        ),
    }];
    items.push(match lang {
        Lang::En => format!(
            "{} of clients check every mini-program used within {} every {}; a found update makes the next cold start wait for a synchronous download. A cold start after {} without a launch updates synchronously too.",
            percent(client.periodic_check_share),
            client.recently_used,
            client.periodic_check_interval,
            client.long_unused
        ),
        Lang::ZhCn => format!(
            "{} 的客户端每 {} 检查一次 {} 内用过的小程序；发现新版本后，下次冷启动会同步等待下载。超过 {} 未启动后的冷启动也会同步更新。",
            percent(client.periodic_check_share),
            client.periodic_check_interval,
            client.recently_used,
            client.long_unused
        ),
    });
    let fallback = match (client.sync_failure, lang) {
        (SyncFailure::Cached, Lang::En) => "the cached version opens",
        (SyncFailure::Cached, Lang::ZhCn) => "打开本地缓存的版本",
        (SyncFailure::Error, Lang::En) => "the launch shows an error page",
        (SyncFailure::Error, Lang::ZhCn) => "启动显示错误页",
    };
    items.push(match lang {
        Lang::En => format!(
            "A synchronous update slower than {} or a failed one gives up and {fallback}. {} of clients have UpdateManager (base library 1.9.90 or later); the others behave as policy none. Update checks take {}.",
            client.sync_timeout,
            percent(client.update_manager_share),
            client.check_latency
        ),
        Lang::ZhCn => format!(
            "同步更新超过 {} 或下载失败时放弃，{fallback}。{} 的客户端支持 UpdateManager（基础库 1.9.90 及以上），其余按 none 策略处理。更新检查耗时 {}。",
            client.sync_timeout,
            percent(client.update_manager_share),
            client.check_latency
        ),
    });
    Section {
        heading: lang.pick("Client behaviour", "客户端行为").to_string(),
        items,
    }
}

fn release_sentence(scenario: &Scenario, release: &Release, lang: Lang) -> String {
    let at = instant(scenario, release.at, lang);
    let size = format_bytes(release.size);
    let mut text = if release.is_rollback {
        match lang {
            Lang::En => format!(
                "At {at}: rollback, {} is published again as the newest version ({size}).",
                release.version
            ),
            Lang::ZhCn => format!(
                "{at}：回退，重新发布 {} 作为最新版本（{size}）。",
                release.version
            ),
        }
    } else {
        match lang {
            Lang::En => format!("At {at}: {} is published ({size}).", release.version),
            Lang::ZhCn => format!("{at}：发布 {}（{size}）。", release.version),
        }
    };
    if release.rollout.is_empty() {
        text.push_str(lang.pick(" All users are eligible at once.", "所有用户立即可获得。"));
    } else {
        let steps: Vec<String> = release
            .rollout
            .iter()
            .map(|(at, percent)| {
                let after = (*at - release.at).0 as f64 / MS_PER_HOUR as f64;
                match lang {
                    Lang::En => format!("{percent} % from {after:.1} h"),
                    Lang::ZhCn => format!("{after:.1} 小时起 {percent}%"),
                }
            })
            .collect();
        match lang {
            Lang::En => text.push_str(&format!(
                " Phased release after publication: {}; it completes on its own after {}.",
                steps.join(", "),
                scenario.client.phased_auto_complete
            )),
            Lang::ZhCn => text.push_str(&format!(
                "发布后分阶段灰度：{}；{} 后自动全量。",
                steps.join("，"),
                scenario.client.phased_auto_complete
            )),
        }
    }
    for (from, until) in &release.pauses {
        match lang {
            Lang::En => text.push_str(&format!(
                " Paused from {:.1} h to {:.1} h.",
                from.as_hours(),
                until.as_hours()
            )),
            Lang::ZhCn => text.push_str(&format!(
                "{:.1} 至 {:.1} 小时暂停。",
                from.as_hours(),
                until.as_hours()
            )),
        }
    }
    if let Some(revert) = release.revert_at {
        let at = instant(scenario, revert, lang);
        match lang {
            Lang::En => text.push_str(&format!(
                " Reverted at {at}: its users go back to the previous full release."
            )),
            Lang::ZhCn => text.push_str(&format!("{at} 撤回：其用户回到上一个全量版本。")),
        }
    }
    if release.critical {
        text.push_str(lang.pick(" Marked critical.", "标记为关键版本。"));
    }
    if release.minimum_required {
        text.push_str(lang.pick(
            " Minimum required version: users below it cannot open the mini-program until the download succeeds.",
            "设为最低可用版本：低于它的用户须下载成功才能打开小程序。",
        ));
    }
    text
}

fn releases(scenario: &Scenario, lang: Lang) -> Section {
    let mut items: Vec<String> = scenario.releases[1..]
        .iter()
        .map(|release| release_sentence(scenario, release, lang))
        .collect();
    if items.is_empty() {
        items.push(lang.pick("No release.", "没有版本发布。").to_string());
    }
    Section {
        heading: lang
            .pick("Releases and rollout schedule", "版本发布与灰度计划")
            .to_string(),
        items,
    }
}

fn incidents(scenario: &Scenario, lang: Lang) -> Option<Section> {
    if scenario.incidents.is_empty() {
        return None;
    }
    let horizon = SimTime::ZERO + scenario.run.horizon;
    let items = scenario
        .incidents
        .iter()
        .map(|incident| {
            let versions: Vec<&str> = incident
                .packages
                .iter()
                .map(|&package| scenario.versions[package].as_str())
                .collect();
            let versions = versions.join(", ");
            let from = instant(scenario, incident.from, lang);
            let until = (incident.until < horizon).then(|| instant(scenario, incident.until, lang));
            match (lang, until) {
                (Lang::En, Some(until)) => format!(
                    "{}: launches of {versions} are hit from {from} to {until}.",
                    incident.name
                ),
                (Lang::En, None) => format!(
                    "{}: launches of {versions} are hit from {from} to the end of the run.",
                    incident.name
                ),
                (Lang::ZhCn, Some(until)) => format!(
                    "{}：从 {from} 到 {until}，运行 {versions} 的启动受影响。",
                    incident.name
                ),
                (Lang::ZhCn, None) => format!(
                    "{}：从 {from} 到模拟结束，运行 {versions} 的启动受影响。",
                    incident.name
                ),
            }
        })
        .collect();
    Some(Section {
        heading: lang.pick("Incidents", "故障").to_string(),
        items,
    })
}

/// Describes what a policy's app does in `onUpdateReady`, in the report
/// language.
pub fn describe_action(action: &UpdateAction, lang: Lang) -> String {
    match (action, lang) {
        (UpdateAction::None, Lang::En) => {
            "does nothing in onUpdateReady: the new version runs from the next cold start.".into()
        }
        (UpdateAction::None, Lang::ZhCn) => {
            "在 onUpdateReady 中不做处理：新版本从下次冷启动起生效。".into()
        }
        (UpdateAction::Force, Lang::En) => {
            "calls applyUpdate() as soon as the package is ready, restarting the session on the new version.".into()
        }
        (UpdateAction::Force, Lang::ZhCn) => {
            "新版本下载完成后立即调用 applyUpdate()，中断当前会话并以新版本重启。".into()
        }
        (UpdateAction::ForceCritical, Lang::En) => {
            "calls applyUpdate() at once for releases marked critical, otherwise does nothing.".into()
        }
        (UpdateAction::ForceCritical, Lang::ZhCn) => {
            "仅对关键版本立即调用 applyUpdate()，其他版本不做处理。".into()
        }
        (
            UpdateAction::Prompt {
                accept,
                accept_critical,
            },
            Lang::En,
        ) => format!(
            "shows a modal asking to restart now; users accept with probability {accept} ({accept_critical} for a critical release), and a declined prompt leaves the update for the next cold start."
        ),
        (
            UpdateAction::Prompt {
                accept,
                accept_critical,
            },
            Lang::ZhCn,
        ) => format!(
            "弹窗询问是否立即重启；用户接受的概率为 {accept}（关键版本 {accept_critical}），拒绝后更新留到下次冷启动。"
        ),
        (UpdateAction::OnResume { min_background }, Lang::En) => format!(
            "applies the update when the app comes back to the foreground after at least {min_background} in the background."
        ),
        (UpdateAction::OnResume { min_background }, Lang::ZhCn) => format!(
            "在后台停留至少 {min_background} 后回到前台时应用更新。"
        ),
        (UpdateAction::OnSuspend { min_background }, Lang::En) => format!(
            "applies the update while the app is in the background, once it has been there for at least {min_background}."
        ),
        (UpdateAction::OnSuspend { min_background }, Lang::ZhCn) => format!(
            "在后台停留至少 {min_background} 后在后台应用更新。"
        ),
    }
}

/// Describes what a policy sets besides its `onUpdateReady` action, one
/// clause per setting, in the report language: the version its handler
/// ships in, an in-app check in the foreground, and a minimum required
/// version. A policy with none of them gets no clause.
pub fn policy_settings(scenario: &Scenario, policy: &Policy, lang: Lang) -> Vec<String> {
    let mut clauses = Vec::new();
    if policy.since_package > 0 {
        let version = &scenario.versions[policy.since_package];
        clauses.push(match lang {
            Lang::En => {
                format!("the handler ships from {version} on, and older versions behave as none")
            }
            Lang::ZhCn => format!("处理代码自 {version} 起才有，更早的版本相当于 none"),
        });
    }
    if let Some(every) = policy.foreground_check_every {
        clauses.push(match lang {
            Lang::En => format!("the app checks for an update every {every} in the foreground"),
            Lang::ZhCn => format!("前台时每 {every} 在应用内检查一次更新"),
        });
    }
    if let Some(publication) = policy.minimum_required {
        let version = &scenario.releases[publication].version;
        clauses.push(match lang {
            Lang::En => format!(
                "{version} is the minimum required version from its release on, so a cold start below it updates synchronously before the app opens"
            ),
            Lang::ZhCn => format!(
                "自 {version} 发布起将其设为最低可用版本，低于它的冷启动会在打开前同步更新"
            ),
        });
    }
    clauses
}

fn policies(scenario: &Scenario, lang: Lang) -> Section {
    let items = scenario
        .policies
        .iter()
        .map(|policy| {
            let action = describe_action(&policy.action, lang);
            let settings = policy_settings(scenario, policy, lang);
            match (lang, settings.is_empty()) {
                (Lang::En, true) => format!("{}: the app {action}", policy.name),
                (Lang::En, false) => format!(
                    "{}: the app {action} Also, {}.",
                    policy.name,
                    settings.join("; ")
                ),
                (Lang::ZhCn, true) => format!("{}：小程序{action}", policy.name),
                (Lang::ZhCn, false) => {
                    format!(
                        "{}：小程序{action}此外，{}。",
                        policy.name,
                        settings.join("；")
                    )
                }
            }
        })
        .collect();
    Section {
        heading: lang.pick("Policies compared", "比较的更新策略").to_string(),
        items,
    }
}

/// Describes the scenario in plain words, by section.
pub fn describe(scenario: &Scenario, result: &RunResult, lang: Lang) -> Vec<Section> {
    let mut sections = vec![
        population(scenario, result, lang),
        client(scenario, lang),
        releases(scenario, lang),
    ];
    sections.extend(incidents(scenario, lang));
    sections.push(policies(scenario, lang));
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_settings_name_minimum_and_handler() {
        let text = include_str!("../../scenarios/hotfix-after-incident.toml");
        let scenario = crate::scenario::parse(text, "hotfix.toml", None).expect("valid");
        let minimum = scenario
            .policies
            .iter()
            .find(|policy| policy.minimum_required.is_some())
            .expect("the scenario has a minimum_required policy");
        let clauses = policy_settings(&scenario, minimum, Lang::En);
        assert_eq!(clauses.len(), 1, "{clauses:?}");
        assert!(
            clauses[0].starts_with("2.0.1 is the minimum required version"),
            "{clauses:?}"
        );
        let none = &scenario.policies[0];
        assert!(policy_settings(&scenario, none, Lang::En).is_empty());

        let text = include_str!("../../scenarios/handler-since-version.toml");
        let scenario = crate::scenario::parse(text, "since.toml", None).expect("valid");
        let clauses: Vec<Vec<String>> = scenario
            .policies
            .iter()
            .map(|policy| policy_settings(&scenario, policy, Lang::ZhCn))
            .collect();
        assert!(
            clauses.iter().any(|c| c
                .iter()
                .any(|clause| clause.starts_with("处理代码自 2.0.0 起"))),
            "{clauses:?}"
        );
    }

    #[test]
    fn wall_clock_adds_simulated_time() {
        let scenario = crate::scenario::builtin_default();
        let at = SimTime(26 * 3_600_000 + 30 * 60_000);
        assert_eq!(
            wall_clock(&scenario, at).as_deref(),
            Some("2026-12-08 12:30")
        );
    }

    #[test]
    fn percent_drops_trailing_zero() {
        assert_eq!(percent(0.3), "30 %");
        assert_eq!(percent(0.025), "2.5 %");
    }
}
