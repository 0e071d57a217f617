//! The part of `check` that describes the field mechanisms: host clients,
//! outages, stale first launches, brief trips to the background, start
//! failures.

use std::fmt::Write as _;

use crate::i18n::Lang;
use crate::scenario::{Scenario, StaleSource, UpdateReadyCallback};
use crate::time::SimTime;

fn hours_or_open(t: SimTime) -> String {
    if t >= SimTime::NEVER {
        "∞".to_string()
    } else {
        format!("{:.1} h", t.as_hours())
    }
}

/// Writes the lines about hosts, outages, stale first launches, background
/// trips and start failures. A scenario without them gets no lines.
pub(super) fn describe(scenario: &Scenario, lang: Lang, out: &mut String) {
    for host in &scenario.hosts {
        let callback = match (host.update_ready_callback, lang) {
            (UpdateReadyCallback::Once, Lang::En) => "onUpdateReady once",
            (UpdateReadyCallback::Once, Lang::ZhCn) => "onUpdateReady 触发一次",
            (UpdateReadyCallback::Never, Lang::En) => "onUpdateReady never fires",
            (UpdateReadyCallback::Never, Lang::ZhCn) => "onUpdateReady 从不触发",
            (UpdateReadyCallback::Repeat, Lang::En) => "onUpdateReady at every resume",
            (UpdateReadyCallback::Repeat, Lang::ZhCn) => "onUpdateReady 每次回到前台都触发",
        };
        let apply = match (host.apply_update_restarts, lang) {
            (true, Lang::En) => "applyUpdate restarts",
            (true, Lang::ZhCn) => "applyUpdate 会重启",
            (false, Lang::En) => "applyUpdate does nothing",
            (false, Lang::ZhCn) => "applyUpdate 无效",
        };
        let keep_alive = host.keep_alive.as_ref().map_or_else(
            || lang.pick("segment's", "按分群").to_string(),
            |k| k.to_string(),
        );
        let _ = writeln!(
            out,
            "{} {}: {} {:.1} %, {} {}, UpdateManager {}, {}, {}, {} {}",
            lang.pick("host", "宿主"),
            host.name,
            lang.pick("share", "占比"),
            host.share * 100.0,
            lang.pick("periodic check", "定时检查"),
            host.periodic_check_share,
            host.update_manager_share,
            callback,
            apply,
            lang.pick("keep-alive", "后台存活"),
            keep_alive
        );
    }
    for outage in &scenario.outages {
        let affects = match (outage.checks, outage.downloads, lang) {
            (true, true, Lang::En) => "checks and downloads",
            (true, true, Lang::ZhCn) => "检查与下载",
            (true, false, Lang::En) => "checks",
            (true, false, Lang::ZhCn) => "检查",
            (_, _, Lang::En) => "downloads",
            (_, _, Lang::ZhCn) => "下载",
        };
        let (from, until) = (outage.from.as_hours(), hours_or_open(outage.until));
        let _ = match lang {
            Lang::En => writeln!(
                out,
                "outage {}: {from:.1} h – {until}, {affects} fail with probability {}",
                outage.name, outage.failure
            ),
            Lang::ZhCn => writeln!(
                out,
                "服务故障 {}：{from:.1} h – {until}，{affects}以概率 {} 失败",
                outage.name, outage.failure
            ),
        };
    }
    if let Some(stale) = &scenario.population.stale_first_launch {
        let source = match (stale.source, lang) {
            (StaleSource::Package(package), Lang::En) => {
                format!("version {}", scenario.versions[package])
            }
            (StaleSource::Package(package), Lang::ZhCn) => {
                format!("版本 {}", scenario.versions[package])
            }
            (StaleSource::Age(age), Lang::En) => format!("the version offered {age} earlier"),
            (StaleSource::Age(age), Lang::ZhCn) => format!("{age} 前可获得的版本"),
        };
        let _ = match lang {
            Lang::En => writeln!(
                out,
                "stale first launches: {:.1} % of new users start from {source}",
                stale.share * 100.0
            ),
            Lang::ZhCn => writeln!(
                out,
                "旧包首次启动：{:.1} % 的新用户从{source}开始",
                stale.share * 100.0
            ),
        };
    }
    for segment in &scenario.population.segments {
        if let Some(trips) = &segment.brief_background {
            let _ = match lang {
                Lang::En => writeln!(
                    out,
                    "segment {}: {} brief trips to the background per foreground hour, each {}",
                    segment.name, trips.per_hour, trips.duration
                ),
                Lang::ZhCn => writeln!(
                    out,
                    "分群 {}：每小时前台时间短暂切到后台 {} 次，每次 {}",
                    segment.name, trips.per_hour, trips.duration
                ),
            };
        }
    }
    for release in scenario.releases.iter().filter(|r| r.start_failure > 0.0) {
        let _ = match lang {
            Lang::En => writeln!(
                out,
                "release {} fails to start on {:.1} % of devices, which roll back and ignore it",
                release.version,
                release.start_failure * 100.0
            ),
            Lang::ZhCn => writeln!(
                out,
                "版本 {} 在 {:.1} % 的设备上无法启动，这些设备回退并忽略该版本",
                release.version,
                release.start_failure * 100.0
            ),
        };
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::check::describe;
    use crate::i18n::Lang;
    use crate::scenario;

    fn example(name: &str) -> scenario::Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name);
        scenario::load(&path).expect("the example scenario is valid")
    }

    #[test]
    fn field_lines_in_both_languages() {
        // (scenario, English line, Chinese line)
        let cases = [
            (
                "host-mix.toml",
                "host desktop: share 20.0 %, periodic check 0, UpdateManager 0.99, onUpdateReady once, applyUpdate restarts, keep-alive uniform(1d..5d)",
                "宿主 desktop: 占比 20.0 %, 定时检查 0, UpdateManager 0.99, onUpdateReady 触发一次, applyUpdate 会重启, 后台存活 uniform(1d..5d)",
            ),
            (
                "outage.toml",
                "outage CDN down: 0.0 h – 3.0 h, downloads fail with probability 1",
                "服务故障 CDN down：0.0 h – 3.0 h，下载以概率 1 失败",
            ),
            (
                "handler-since-version.toml",
                "  force-from-2.0.0: force: applyUpdate() at once; the handler ships from 2.0.0 on, and older versions behave as none",
                "  force-from-2.0.0: force：立即 applyUpdate()；处理代码自 2.0.0 起才有，更早的版本相当于 none",
            ),
            (
                "codepush-rollback.toml",
                "release v42 fails to start on 8.0 % of devices, which roll back and ignore it",
                "版本 v42 在 8.0 % 的设备上无法启动，这些设备回退并忽略该版本",
            ),
        ];
        for (name, english, chinese) in cases {
            let scenario = example(name);
            let en = describe(&scenario, Lang::En);
            let zh = describe(&scenario, Lang::ZhCn);
            assert!(en.lines().any(|l| l == english), "{name}:\n{en}");
            assert!(zh.lines().any(|l| l == chinese), "{name}:\n{zh}");
        }
    }

    #[test]
    fn scenario_without_field_keys_adds_no_lines() {
        let scenario = scenario::builtin_default();
        let mut out = String::new();
        super::describe(&scenario, Lang::En, &mut out);
        assert_eq!(out, "");
    }
}
