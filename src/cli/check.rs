//! `rollout-sim check`: validate a scenario and print what it would
//! simulate, with the effective client settings and where each came from.

mod field;

use std::fmt::Write as _;

use crate::cli::args::CheckArgs;
use crate::cli::{limits, load_scenario, CliError};
use crate::engine::budget;
use crate::i18n::Lang;
use crate::scenario::{Origin, Scenario, UpdateAction};
use crate::units::format_bytes;

fn describe_action(action: &UpdateAction, lang: Lang) -> String {
    match (action, lang) {
        (UpdateAction::None, Lang::En) => "none: wait for the next cold start".into(),
        (UpdateAction::None, Lang::ZhCn) => "none：等待下次冷启动".into(),
        (UpdateAction::Force, Lang::En) => "force: applyUpdate() at once".into(),
        (UpdateAction::Force, Lang::ZhCn) => "force：立即 applyUpdate()".into(),
        (UpdateAction::ForceCritical, Lang::En) => {
            "force_critical: applyUpdate() for critical releases only".into()
        }
        (UpdateAction::ForceCritical, Lang::ZhCn) => {
            "force_critical：仅对关键版本立即 applyUpdate()".into()
        }
        (
            UpdateAction::Prompt {
                accept,
                accept_critical,
            },
            Lang::En,
        ) => {
            format!("prompt: accepted with probability {accept} ({accept_critical} for critical releases)")
        }
        (
            UpdateAction::Prompt {
                accept,
                accept_critical,
            },
            Lang::ZhCn,
        ) => {
            format!("prompt：用户接受概率 {accept}（关键版本 {accept_critical}）")
        }
        (UpdateAction::OnResume { min_background }, Lang::En) => {
            format!("on_resume: apply at the next foreground after at least {min_background} in the background")
        }
        (UpdateAction::OnResume { min_background }, Lang::ZhCn) => {
            format!("on_resume：在后台至少 {min_background} 后下次回到前台时应用")
        }
        (UpdateAction::OnSuspend { min_background }, Lang::En) => {
            format!("on_suspend: apply in the background once the app has been there for {min_background}")
        }
        (UpdateAction::OnSuspend { min_background }, Lang::ZhCn) => {
            format!("on_suspend：应用在后台停留满 {min_background} 后在后台应用更新")
        }
    }
}

/// Returns the note that a scenario without `[[policy]]` tables runs the
/// platform's default policy alone, or `None` when it has policies.
pub(crate) fn default_policy_note(scenario: &Scenario, lang: Lang) -> Option<String> {
    if !scenario.default_policy {
        return None;
    }
    let name = &scenario.policies[0].name;
    let platform = scenario.client.platform.name();
    Some(match lang {
        Lang::En => format!(
            "note: the scenario has no [[policy]] table, so the default policy `{name}` of platform {platform} will run; add [[policy]] tables to compare policies"
        ),
        Lang::ZhCn => format!(
            "提示：场景中没有 [[policy]] 表，因此将运行平台 {platform} 的默认策略 `{name}`；如需比较策略，请添加 [[policy]] 表"
        ),
    })
}

/// Describes a validated scenario in the given language.
pub fn describe(scenario: &Scenario, lang: Lang) -> String {
    let mut out = String::new();
    let run = &scenario.run;
    let population = &scenario.population;
    let zh = lang == Lang::ZhCn;
    let _ = writeln!(out, "{}: {}", lang.pick("scenario", "场景"), run.name);
    let _ = writeln!(
        out,
        "{}",
        if zh {
            format!(
                "时长 {}，每 {} 采样一次（{} 个时间分箱），{} 次重复，种子 {}",
                run.horizon,
                run.sample_every,
                run.bins(),
                run.replications,
                run.seed
            )
        } else {
            format!(
                "horizon {}, sampled every {} ({} bins), {} replications, seed {}",
                run.horizon,
                run.sample_every,
                run.bins(),
                run.replications,
                run.seed
            )
        }
    );
    // `users = 0` means one user per pair with a trace, and only new
    // users without one.
    let users_text = match (population.users, &population.trace) {
        (0, Some(_)) => lang
            .pick("one per trace pair", "每个轨迹对一个")
            .to_string(),
        (0, None) => lang
            .pick("0 (new users only)", "0（只有新用户）")
            .to_string(),
        (users, _) => users.to_string(),
    };
    let _ = writeln!(
        out,
        "{}",
        if zh {
            format!(
                "用户：{}，基线版本 {}，每天新增 {}；t = 0 为本地时间 {}（UTC{:+}分钟）",
                users_text,
                population.baseline_version,
                population.new_users_per_day,
                population.start_text,
                population.utc_offset_minutes
            )
        } else {
            format!(
                "users: {}, baseline version {}, {} new users per day; t = 0 is {} local time (UTC{:+} min)",
                users_text, population.baseline_version, population.new_users_per_day, population.start_text, population.utc_offset_minutes
            )
        }
    );
    if let Some(trace) = &population.trace {
        let _ = writeln!(
            out,
            "{} {}",
            lang.pick("launches replayed from", "启动来自轨迹文件"),
            trace.written
        );
    }
    for segment in &population.segments {
        let _ = writeln!(
            out,
            "  {} {}: {} {:.1} %, {} {}/{}, {} {}, {} {}",
            lang.pick("segment", "分群"),
            segment.name,
            lang.pick("share", "占比"),
            segment.share * 100.0,
            lang.pick("launches", "启动"),
            segment.launches_per_day,
            lang.pick("day", "天"),
            lang.pick("session", "会话"),
            segment.session,
            lang.pick("keep-alive", "后台存活"),
            segment.keep_alive
        );
        if let Some(burst) = &segment.burst {
            let _ = writeln!(
                out,
                "    {} {:.2} {}, {} {}",
                lang.pick("bursts: mean", "连续访问：平均"),
                burst.mean_visits,
                lang.pick("visits per episode", "次访问/使用片段"),
                lang.pick("gap", "间隔"),
                burst.gap
            );
        }
    }
    for network in &scenario.networks {
        let _ = writeln!(
            out,
            "  {} {}: {} {:.1} %, {} {}/s, {} {}",
            lang.pick("network", "网络"),
            network.name,
            lang.pick("share", "占比"),
            network.share * 100.0,
            lang.pick("bandwidth", "带宽"),
            format_bytes(network.bandwidth),
            lang.pick("failure", "失败率"),
            network.failure
        );
    }
    let _ = writeln!(out, "{}", lang.pick("releases:", "版本发布："));
    for release in &scenario.releases[1..] {
        let mut line = format!(
            "  {} {} {} {:.2} h, {}",
            release.version,
            lang.pick("at", "于"),
            "",
            release.at.as_hours(),
            format_bytes(release.size)
        );
        if release.is_rollback {
            line.push_str(lang.pick(", rollback", "，回退"));
        }
        if release.critical {
            line.push_str(lang.pick(", critical", "，关键版本"));
        }
        if release.minimum_required {
            line.push_str(lang.pick(", minimum required", "，最低可用版本"));
        }
        if !release.rollout.is_empty() {
            let steps: Vec<String> = release
                .rollout
                .iter()
                .map(|(t, p)| format!("{p}% @ {:.1} h", t.as_hours()))
                .collect();
            let _ = write!(
                line,
                ", {} {}",
                lang.pick("rollout", "灰度"),
                steps.join(" → ")
            );
        }
        for (from, until) in &release.pauses {
            let _ = write!(
                line,
                ", {} {:.1}–{:.1} h",
                lang.pick("paused", "暂停"),
                from.as_hours(),
                until.as_hours()
            );
        }
        if let Some(revert) = release.revert_at {
            let _ = write!(
                line,
                ", {} {:.1} h",
                lang.pick("reverted at", "撤回于"),
                revert.as_hours()
            );
        }
        let _ = writeln!(
            out,
            "{}",
            line.replace("  at  ", " at ").replace(" 于  ", " 于 ")
        );
    }
    for incident in &scenario.incidents {
        let versions: Vec<&str> = incident
            .packages
            .iter()
            .map(|&p| scenario.versions[p].as_str())
            .collect();
        let until = if incident.until.0 >= crate::time::SimTime::NEVER.0 {
            "∞".to_string()
        } else {
            format!("{:.1} h", incident.until.as_hours())
        };
        let _ = writeln!(
            out,
            "{} {}: {} {}, {:.1} h – {}",
            lang.pick("incident", "故障"),
            incident.name,
            lang.pick("versions", "版本"),
            versions.join(", "),
            incident.from.as_hours(),
            until
        );
    }
    let _ = writeln!(out, "{}", lang.pick("policies:", "策略："));
    for policy in &scenario.policies {
        let _ = writeln!(
            out,
            "  {}: {}{}",
            policy.name,
            describe_action(&policy.action, lang),
            crate::report::describe::policy_settings(scenario, policy, lang)
                .iter()
                .map(|clause| format!("{}{clause}", lang.pick("; ", "；")))
                .collect::<String>()
        );
    }
    if let Some(note) = default_policy_note(scenario, lang) {
        let _ = writeln!(out, "{note}");
    }
    field::describe(scenario, lang, &mut out);
    let _ = writeln!(
        out,
        "{}",
        lang.pick(
            "effective settings (value, origin):",
            "生效的设置（取值，来源）："
        )
    );
    for setting in &scenario.settings {
        let origin = match (&setting.origin, lang) {
            (Origin::File(line), Lang::En) => format!("scenario line {line}"),
            (Origin::File(line), Lang::ZhCn) => format!("场景文件第 {line} 行"),
            (Origin::Profile(name, (en, _)), Lang::En) => format!("profile {name}: {en}"),
            (Origin::Profile(name, (_, zh)), Lang::ZhCn) => format!("平台配置 {name}：{zh}"),
            (Origin::Builtin, Lang::En) => "default".to_string(),
            (Origin::Builtin, Lang::ZhCn) => "默认值".to_string(),
        };
        let _ = writeln!(out, "  {} = {}  ({origin})", setting.key, setting.value);
    }
    out
}

/// Runs the `check` command.
pub fn execute(args: &CheckArgs, lang: Lang) -> Result<(), CliError> {
    let (scenario, _) = load_scenario(args.scenario.as_deref(), lang)?;
    let source = crate::cli::run::launch_source(&scenario, lang)?;
    let flag_limit = match &args.memory_limit {
        Some(text) => Some(limits::parse_memory_limit(text, lang)?),
        None => None,
    };
    let limit = budget::memory_limit(flag_limit);
    let replications = scenario.run.replications;
    limits::check_memory(&scenario, replications, 0, &limit, lang)?;
    print!("{}", describe(&scenario, lang));
    println!(
        "{}",
        limits::describe_memory(&scenario, replications, 0, &limit, lang)
    );
    if let crate::model::population::LaunchSource::Trace(trace) = &source {
        let visits: usize = trace.pairs.iter().map(|p| p.len()).sum();
        match lang {
            Lang::En => println!(
                "trace: {} (user, app) pairs, {} visits",
                trace.pairs.len(),
                visits
            ),
            Lang::ZhCn => println!(
                "轨迹：{} 个（用户，应用）对，{} 次访问",
                trace.pairs.len(),
                visits
            ),
        }
    }
    println!("{}", lang.pick("the scenario is valid", "场景有效"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: &str = "[[release]]\nversion = \"2.0.0\"\nat = \"1h\"\n";

    #[test]
    fn default_policy_note_in_both_languages() {
        let scenario = crate::scenario::parse(RELEASE, "s.toml", None).unwrap();
        assert!(scenario.default_policy);
        let english = describe(&scenario, Lang::En);
        assert!(
            english.lines().any(|line| line
                == "note: the scenario has no [[policy]] table, so the default policy `none` of platform wechat will run; add [[policy]] tables to compare policies"),
            "{english}"
        );
        let chinese = describe(&scenario, Lang::ZhCn);
        assert!(
            chinese.lines().any(|line| line
                == "提示：场景中没有 [[policy]] 表，因此将运行平台 wechat 的默认策略 `none`；如需比较策略，请添加 [[policy]] 表"),
            "{chinese}"
        );
    }

    #[test]
    fn new_users_only_without_trace() {
        let text = format!("[population]\nusers = 0\nnew_users_per_day = 100\n\n{RELEASE}");
        let scenario = crate::scenario::parse(&text, "s.toml", None).unwrap();
        let english = describe(&scenario, Lang::En);
        assert!(english.contains("users: 0 (new users only),"), "{english}");
        assert!(!english.contains("trace pair"), "{english}");
        let chinese = describe(&scenario, Lang::ZhCn);
        assert!(chinese.contains("用户：0（只有新用户），"), "{chinese}");
    }

    #[test]
    fn named_policies_get_no_note() {
        let text = format!("{RELEASE}\n[[policy]]\nname = \"none\"\non_update_ready = \"none\"\n");
        let scenario = crate::scenario::parse(&text, "s.toml", None).unwrap();
        assert!(!scenario.default_policy);
        assert_eq!(default_policy_note(&scenario, Lang::En), None);
        assert!(!describe(&scenario, Lang::En).contains("note:"));
    }
}
