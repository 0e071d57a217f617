//! The calibrated scenario file: the fitted `[population]` with a comment
//! on how each value was fitted, and every other table from a template
//! scenario.

use std::fmt::Write as _;

use chrono::DateTime;

use crate::calibrate::{Calibration, LaunchFamily};
use crate::i18n::Lang;
use crate::time::SimDuration;

/// Origin of a calibration, for the file's header comment.
#[derive(Clone, Debug)]
pub struct Provenance<'a> {
    /// The trace file as given on the command line.
    pub trace: &'a str,
    /// The selected apps, or `None` for all.
    pub apps: Option<&'a [String]>,
    /// Number of app names in the exclusion list.
    pub excluded_apps: usize,
    /// The template scenario's name, for the header comment.
    pub template_name: &'a str,
    /// The template scenario's text.
    pub template_text: &'a str,
    /// The fit report's folder, if one was written.
    pub report_dir: Option<&'a str>,
}

/// Errors of [`scenario_text`].
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template is not valid TOML.
    #[error("the template scenario {name} is not valid TOML: {detail}")]
    InvalidToml {
        /// Template name.
        name: String,
        /// Parser message.
        detail: String,
    },
}

/// Formats a duration in seconds in the scenario's syntax: whole seconds
/// from 10 s on, whole milliseconds below.
pub fn duration_text(seconds: f64) -> String {
    duration_ms(seconds).to_string()
}

fn duration_ms(seconds: f64) -> SimDuration {
    if seconds >= 10.0 {
        SimDuration(seconds.round() as i64 * 1_000)
    } else {
        SimDuration(((seconds * 1_000.0).round() as i64).max(1))
    }
}

/// Returns a (median, p90) pair of duration strings whose p90 is longer
/// than the median after rounding, as the scenario requires.
fn lognormal_text(median_s: f64, p90_s: f64) -> (String, String) {
    let median = duration_ms(median_s);
    let mut p90 = duration_ms(p90_s);
    if p90 <= median {
        p90 = SimDuration(median.0 + if median.0 >= 10_000 { 1_000 } else { 1 });
    }
    (median.to_string(), p90.to_string())
}

/// Rounds to `digits` significant digits for display in the file.
fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 || !value.is_finite() {
        return "0".to_string();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    format!("{value:.decimals$}")
}

/// Formats local milliseconds as a date and time with the offset.
pub fn local_time_text(local_ms: i64, utc_offset_ms: i64) -> String {
    let offset_minutes = utc_offset_ms / 60_000;
    match DateTime::from_timestamp_millis(local_ms) {
        Some(time) => format!(
            "{} ({})",
            time.format("%Y-%m-%d %H:%M"),
            offset_text(offset_minutes as i32)
        ),
        None => local_ms.to_string(),
    }
}

/// Formats a UTC offset in minutes as `+hh:mm`.
pub fn offset_text(offset_minutes: i32) -> String {
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let minutes = offset_minutes.abs();
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Writes the calibrated scenario: a header comment, `[run]` from the
/// template with a new name, the fitted `[population]`, and the template's
/// other tables unchanged.
///
/// The template's population size, baseline version, new users per day and
/// start time are kept; its time zone, profile, segments and trace keys are
/// replaced.
///
/// # Errors
/// Returns [`TemplateError`] when the template is not valid TOML.
pub fn scenario_text(
    calibration: &Calibration,
    provenance: &Provenance,
    lang: Lang,
) -> Result<String, TemplateError> {
    let mut document: toml_edit::DocumentMut =
        provenance
            .template_text
            .parse()
            .map_err(|error: toml_edit::TomlError| TemplateError::InvalidToml {
                name: provenance.template_name.to_string(),
                detail: error.message().to_string(),
            })?;
    let population = document.remove("population");
    let kept = |key: &str| -> Option<String> {
        population
            .as_ref()
            .and_then(|p| p.get(key))
            .and_then(|item| item.as_value())
            .map(|value| value.clone().decorated("", "").to_string())
    };
    let users = kept("users").unwrap_or_else(|| "100000".to_string());
    let baseline = kept("baseline_version").unwrap_or_else(|| "\"1.0.0\"".to_string());
    let new_users = kept("new_users_per_day").unwrap_or_else(|| "0".to_string());
    let start = kept("start").unwrap_or_else(|| "\"2026-12-07T10:00\"".to_string());

    let mut run = document.remove("run").unwrap_or_else(toml_edit::table);
    if let Some(table) = run.as_table_mut() {
        table.decor_mut().set_prefix("");
        let name = match lang {
            Lang::En => format!("Calibrated from {}", file_name(provenance.trace)),
            Lang::ZhCn => format!("由 {} 校准", file_name(provenance.trace)),
        };
        table.insert("name", toml_edit::value(name));
    }
    let mut run_document = toml_edit::DocumentMut::new();
    run_document.insert("run", run);

    let mut out = header(calibration, provenance, lang);
    out.push('\n');
    out.push_str(&run_document.to_string());
    out.push('\n');
    write_population(
        &mut out,
        calibration,
        &users,
        &baseline,
        &new_users,
        &start,
        lang,
    );
    let rest = document.to_string();
    if !rest.trim().is_empty() {
        out.push('\n');
        out.push_str(rest.trim_start_matches('\n'));
    }
    Ok(out)
}

fn file_name(path: &str) -> &str {
    std::path::Path::new(path)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(path)
}

fn family_text(family: LaunchFamily, lang: Lang) -> &'static str {
    match (family, lang) {
        (LaunchFamily::Poisson, Lang::En) => "Poisson",
        (LaunchFamily::Poisson, Lang::ZhCn) => "泊松",
        (LaunchFamily::Bursty, Lang::En) => "bursty (episodes of use)",
        (LaunchFamily::Bursty, Lang::ZhCn) => "连续访问（使用片段）",
    }
}

fn header(calibration: &Calibration, provenance: &Provenance, lang: Lang) -> String {
    let stats = &calibration.statistics;
    let offset = calibration.options.utc_offset_ms;
    let from = local_time_text(calibration.span.0, offset);
    let until = local_time_text(calibration.span.1, offset);
    let merge = SimDuration(calibration.options.merge_gap_ms);
    let apps = match provenance.apps {
        Some(apps) => apps.join(", "),
        None => lang.pick("all", "全部").to_string(),
    };
    let chosen = &calibration.chosen;
    let tried = calibration.options.max_segments;
    let mut lines = Vec::new();
    match lang {
        Lang::En => {
            lines.push(format!(
                "Calibrated by `rollout-sim calibrate` (rollout-sim {}) from the launch trace {}: {} (user, app) pairs, {} visits after merging visits at most {merge} apart, from {from} to {until}.",
                env!("CARGO_PKG_VERSION"),
                provenance.trace,
                stats.units,
                stats.visits
            ));
            lines.push(format!(
                "Apps: {apps}; {} app names on the exclusion list.",
                provenance.excluded_apps
            ));
            lines.push(format!(
                "Launch model: {}, {} segments, the lowest BIC of {} candidates (Poisson and bursty, 1 to {tried} segments).",
                family_text(chosen.family, lang),
                chosen.segments.len(),
                calibration.candidates.len()
            ));
            if let Some(dir) = provenance.report_dir {
                lines.push(format!("Fit report with charts and goodness of fit: {dir}"));
            }
            lines.push(format!(
                "Fitted: population.timezone, daily_profile and the segments. Not fitted: keep-alive (the platform's, see [client]), the population size, releases, policies and networks, which come from the template {}.",
                provenance.template_name
            ));
        }
        Lang::ZhCn => {
            lines.push(format!(
                "由 `rollout-sim calibrate`（rollout-sim {}）根据启动轨迹 {} 校准：{} 个（用户，应用）对，合并间隔不超过 {merge} 的访问后共 {} 次访问，时间从 {from} 到 {until}。",
                env!("CARGO_PKG_VERSION"),
                provenance.trace,
                stats.units,
                stats.visits
            ));
            lines.push(format!(
                "应用：{apps}；排除列表中有 {} 个应用名。",
                provenance.excluded_apps
            ));
            lines.push(format!(
                "启动模型：{}，{} 个分群，是 {} 个候选模型（泊松与连续访问，1 到 {tried} 个分群）中 BIC 最低的。",
                family_text(chosen.family, lang),
                chosen.segments.len(),
                calibration.candidates.len()
            ));
            if let Some(dir) = provenance.report_dir {
                lines.push(format!("拟合报告（含图表和拟合优度）：{dir}"));
            }
            lines.push(format!(
                "拟合得到：population.timezone、daily_profile 和各分群。未拟合：后台存活时间（取平台默认值，见 [client]）、用户数、版本发布、策略和网络，均取自模板 {}。",
                provenance.template_name
            ));
        }
    }
    let mut out = String::new();
    for line in lines {
        push_comment(&mut out, &line);
    }
    out
}

/// Largest width of a comment line, counting a CJK character as two
/// columns.
const COMMENT_WIDTH: usize = 78;

fn char_width(c: char) -> usize {
    if c >= '\u{2E80}' {
        2
    } else {
        1
    }
}

/// Splits `text` into lines of at most `width` columns, breaking at spaces
/// and between CJK characters. A word longer than `width` gets a line of
/// its own.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    // Words with whether a space preceded them; each CJK character is a
    // word of its own, so a line may break after it.
    let mut words: Vec<(String, bool)> = Vec::new();
    let mut word = String::new();
    let mut space_before = false;
    for c in text.chars() {
        if c == ' ' {
            if !word.is_empty() {
                words.push((std::mem::take(&mut word), space_before));
            }
            space_before = true;
        } else if char_width(c) == 2 {
            if !word.is_empty() {
                words.push((std::mem::take(&mut word), space_before));
                space_before = false;
            }
            words.push((c.to_string(), space_before));
            space_before = false;
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        words.push((word, space_before));
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0;
    for (word, space) in words {
        let word_width: usize = word.chars().map(char_width).sum();
        let gap = usize::from(space && !line.is_empty());
        if !line.is_empty() && line_width + gap + word_width > width {
            lines.push(std::mem::take(&mut line));
            line_width = 0;
        } else if gap == 1 {
            line.push(' ');
            line_width += 1;
        }
        line.push_str(&word);
        line_width += word_width;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Appends `text` as `#` comment lines.
fn push_comment(out: &mut String, text: &str) {
    for line in wrap(text, COMMENT_WIDTH - 2) {
        let _ = writeln!(out, "# {line}");
    }
}

fn write_population(
    out: &mut String,
    calibration: &Calibration,
    users: &str,
    baseline: &str,
    new_users: &str,
    start: &str,
    lang: Lang,
) {
    let zh = lang == Lang::ZhCn;
    let offset_minutes = (calibration.options.utc_offset_ms / 60_000) as i32;
    let _ = writeln!(out, "[population]");
    let _ = writeln!(
        out,
        "users = {users}  # {}",
        lang.pick(
            "not fitted: the number of users to simulate",
            "未拟合：要模拟的用户数"
        )
    );
    let _ = writeln!(
        out,
        "baseline_version = {baseline}  # {}",
        lang.pick("from the template", "取自模板")
    );
    let _ = writeln!(
        out,
        "new_users_per_day = {new_users}  # {}",
        lang.pick(
            "from the template: a trace shows no first launches",
            "取自模板：轨迹中看不出首次启动"
        )
    );
    let _ = writeln!(
        out,
        "timezone = \"{}\"  # {}",
        offset_text(offset_minutes),
        lang.pick(
            "the trace's UTC offset, in which the profile below was counted",
            "轨迹的 UTC 偏移，下面的每日分布按此时区统计"
        )
    );
    let _ = writeln!(
        out,
        "start = {start}  # {}",
        lang.pick(
            "from the template: local time of the release at t = 0",
            "取自模板：t = 0 时刻（发布时间）的本地时间"
        )
    );
    push_comment(
        out,
        if zh {
            "每日分布：各本地小时内开启使用片段的启动次数（按模型的后验概率加权），除以用户在该小时内处于观测窗口且不在前台的时间（按各用户的拟合频率加权），再缩放到均值 1（最大似然估计）。"
        } else {
            "Daily profile: opens that start an episode of use in each local hour (weighted by the fit's posterior), divided by the time users were observed outside a visit in that hour (weighted by each user's fitted rate), scaled to a mean of 1 (the maximum-likelihood estimate)."
        },
    );
    let values: Vec<String> = calibration
        .daily_profile
        .iter()
        .map(|v| format!("{v:.3}"))
        .collect();
    let _ = writeln!(
        out,
        "daily_profile = [{},\n                 {}]",
        values[..12].join(", "),
        values[12..].join(", ")
    );
    let count = calibration.segments.len();
    let mut share_sum: f64 = 0.0;
    for (index, segment) in calibration.segments.iter().enumerate() {
        // Rounded shares must still sum to 1, so the last takes the rest.
        let share = if index + 1 == count {
            ((1.0 - share_sum) * 1e4).round() / 1e4
        } else {
            (segment.share * 1e4).round() / 1e4
        };
        share_sum += share;
        let _ = writeln!(out);
        let _ = writeln!(out, "[[population.segment]]");
        let _ = writeln!(out, "name = \"{}\"", segment.name);
        push_comment(
            out,
            &match lang {
                Lang::En => format!(
                    "EM mixture weight: {:.1} % of users ({} of {} pairs are most likely in this segment)",
                    segment.share * 100.0,
                    segment.pairs,
                    calibration.statistics.units
                ),
                Lang::ZhCn => format!(
                    "EM 混合权重：{:.1} % 的用户（{} 个对中有 {} 个最可能属于此分群）",
                    segment.share * 100.0,
                    calibration.statistics.units,
                    segment.pairs
                ),
            }
        );
        let _ = writeln!(out, "share = {share:.4}");
        let rate_comment = match (&segment.burst, lang) {
            (Some(burst), Lang::En) => format!(
                "visits per day: {} episodes of use per day (maximum likelihood on the gaps that start an episode) × {} visits per episode",
                significant(segment.episodes_per_day, 3),
                significant(burst.mean_visits, 3)
            ),
            (Some(burst), Lang::ZhCn) => format!(
                "每天访问次数：每天 {} 个使用片段（对开启片段的间隔做最大似然估计）× 每个片段 {} 次访问",
                significant(segment.episodes_per_day, 3),
                significant(burst.mean_visits, 3)
            ),
            (None, Lang::En) => {
                "visits per day: maximum likelihood of a Poisson process on the gaps between visits, the daily profile applied".to_string()
            }
            (None, Lang::ZhCn) => "每天访问次数：按每日分布对访问间隔做泊松过程的最大似然估计".to_string(),
        };
        push_comment(out, &rate_comment);
        let _ = writeln!(
            out,
            "launches_per_day = {}",
            significant(segment.launches_per_day, 4)
        );
        let session = &segment.session;
        let (median, p90) = lognormal_text(
            session.distribution.median_s(),
            session.distribution.p90_s(),
        );
        push_comment(
            out,
            &match lang {
                Lang::En => format!(
                    "log-normal maximum likelihood over visit lengths weighted by segment probability, each length an interval of the {} s timestamp resolution; Kolmogorov–Smirnov distance {:.3} over the {} visits of pairs assigned here",
                    calibration.resolution_ms as f64 / 1_000.0,
                    session.ks_distance,
                    session.ks_count
                ),
                Lang::ZhCn => format!(
                    "对访问时长按分群概率加权做对数正态最大似然估计，每个时长视为时间戳精度 {} 秒内的区间；对归入此分群的 {} 次访问，Kolmogorov–Smirnov 距离为 {:.3}",
                    calibration.resolution_ms as f64 / 1_000.0,
                    session.ks_count,
                    session.ks_distance
                ),
            }
        );
        let _ = writeln!(
            out,
            "session = {{ dist = \"lognormal\", median = \"{median}\", p90 = \"{p90}\" }}"
        );
        if let Some(burst) = &segment.burst {
            let (gap_median, gap_p90) = lognormal_text(burst.gap.median_s(), burst.gap.p90_s());
            let continued = 1.0 - 1.0 / burst.mean_visits;
            push_comment(
                out,
                &match lang {
                    Lang::En => format!(
                        "episodes of use: {:.1} % of gaps continue an episode (EM posterior), so 1 / (1 - {:.3}) visits per episode; the gap is the log-normal part of the gap mixture",
                        continued * 100.0,
                        continued
                    ),
                    Lang::ZhCn => format!(
                        "使用片段：{:.1} % 的间隔属于片段内的连续访问（EM 后验），因此每个片段 1 / (1 - {:.3}) 次访问；间隔取间隔混合模型中的对数正态部分",
                        continued * 100.0,
                        continued
                    ),
                }
            );
            let _ = writeln!(
                out,
                "burst = {{ mean_visits = {:.3}, gap = {{ dist = \"lognormal\", median = \"{gap_median}\", p90 = \"{gap_p90}\" }} }}",
                burst.mean_visits
            );
        }
        push_comment(
            out,
            lang.pick(
                "keep_alive is not fitted: the platform's keep-alive applies (client.keep_alive)",
                "keep_alive 未拟合：使用平台的后台存活时间（client.keep_alive）",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_scenario_units() {
        assert_eq!(duration_text(24.4), "24s");
        assert_eq!(duration_text(180.2), "3m");
        assert_eq!(duration_text(2.5), "2500ms");
        assert_eq!(duration_text(0.0), "1ms");
    }

    #[test]
    fn lognormal_text_keeps_p90_above_median() {
        assert_eq!(
            lognormal_text(30.2, 30.4),
            ("30s".to_string(), "31s".to_string())
        );
        assert_eq!(
            lognormal_text(1.0, 1.0),
            ("1s".to_string(), "1001ms".to_string())
        );
    }

    #[test]
    fn offsets_format_with_sign() {
        assert_eq!(offset_text(60), "+01:00");
        assert_eq!(offset_text(-330), "-05:30");
        assert_eq!(offset_text(0), "+00:00");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cjk() {
        assert_eq!(
            wrap("one two three four", 9),
            vec!["one two", "three", "four"]
        );
        assert_eq!(wrap("模型选择结果", 8), vec!["模型选择", "结果"]);
        assert_eq!(wrap("BIC 最低的", 7), vec!["BIC 最", "低的"]);
    }

    #[test]
    fn significant_digits() {
        assert_eq!(significant(13.694, 4), "13.69");
        assert_eq!(significant(0.012345, 3), "0.0123");
        assert_eq!(significant(1234.4, 3), "1234");
    }
}
