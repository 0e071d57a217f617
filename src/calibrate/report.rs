//! The fit report of a calibration: a Markdown page in the report
//! language, charts of each fitted distribution against the data (SVG and
//! PNG), and language-neutral CSV tables.

use std::fmt::Write as _;

use serde::Serialize;

use crate::calibrate::numeric::quantile;
use crate::calibrate::sample::LaunchStatistics;
use crate::calibrate::scenario_text::{local_time_text, offset_text};
use crate::calibrate::session::{ks_critical_5pct, LogNormal};
use crate::calibrate::validate::{Statistic, Validation};
use crate::calibrate::{Calibration, LaunchFamily};
use crate::i18n::Lang;
use crate::output::chart::{
    render_png, render_svg, BandPoint, BandSeries, ChartError, LineChart, VerticalMarker, YAxis,
};
use crate::output::csv::format_number;
use crate::time::SimDuration;

/// Chart size in pixels.
const WIDTH: u32 = 900;
const HEIGHT: u32 = 540;

/// Keep-alive times, in seconds, for which the report lists the share of
/// re-opens that would be hot starts. They are WeChat's 5 s suspension,
/// 1 minute, the 5 minutes of WeChat's 2019 docs, Alipay and Douyin, and
/// the 30 minutes of WeChat's current docs.
pub const KEEP_ALIVE_EXAMPLES_S: [f64; 4] = [5.0, 60.0, 300.0, 1_800.0];

/// Names of the files of a report in one language.
fn file_name(stem: &str, extension: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{stem}.{extension}"),
        Lang::ZhCn => format!("{stem}.zh-CN.{extension}"),
    }
}

/// Renders every file of the report: `fit-report.md` (or
/// `fit-report.zh-CN.md`), four charts as SVG and PNG with the same
/// language suffix, and `candidates.csv`, `segments.csv` and
/// `validation.csv`.
///
/// # Errors
/// Returns an error when a chart or a CSV table cannot be rendered.
pub fn render_report(
    calibration: &Calibration,
    validation: &Validation,
    trace_name: &str,
    scenario_name: &str,
    lang: Lang,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let charts = [
        ("gap-cdf", gap_chart(calibration, validation, lang)),
        ("session-cdf", session_chart(calibration, lang)),
        (
            "daily-profile",
            profile_chart(calibration, validation, lang),
        ),
        ("launch-rate-cdf", rate_chart(calibration, validation, lang)),
    ];
    let mut files = Vec::new();
    for (stem, chart) in &charts {
        files.push((
            file_name(stem, "svg", lang),
            render_svg(chart, WIDTH, HEIGHT)?.into_bytes(),
        ));
        files.push((
            file_name(stem, "png", lang),
            render_png(chart, WIDTH, HEIGHT).map_err(|e: ChartError| anyhow::anyhow!(e))?,
        ));
    }
    let markdown = markdown(calibration, validation, trace_name, scenario_name, lang);
    files.push((file_name("fit-report", "md", lang), markdown.into_bytes()));
    files.push(("candidates.csv".to_string(), candidates_csv(calibration)?));
    files.push(("segments.csv".to_string(), segments_csv(calibration)?));
    files.push(("validation.csv".to_string(), validation_csv(validation)?));
    Ok(files)
}

/// Returns the empirical distribution function of sorted values at `x`.
fn ecdf(sorted: &[f64], x: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted.partition_point(|&v| v <= x) as f64 / sorted.len() as f64
}

/// Builds a series without a band.
fn line(label: &str, points: impl Iterator<Item = (f64, f64)>) -> BandSeries {
    BandSeries {
        label: label.to_string(),
        points: points
            .map(|(x, mean)| BandPoint {
                x,
                mean,
                low: f64::NAN,
                high: f64::NAN,
            })
            .collect(),
    }
}

/// Builds a series of the mean over replications with the p05..p95 band.
fn banded(
    label: &str,
    xs: &[f64],
    by_replication: &[LaunchStatistics],
    value: impl Fn(&LaunchStatistics, f64) -> f64,
) -> BandSeries {
    let points = xs
        .iter()
        .map(|&x| {
            let mut values: Vec<f64> = by_replication
                .iter()
                .map(|stats| value(stats, x))
                .filter(|v| v.is_finite())
                .collect();
            values.sort_by(f64::total_cmp);
            let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
            BandPoint {
                x,
                mean: if values.is_empty() { f64::NAN } else { mean },
                low: quantile(&values, 0.05),
                high: quantile(&values, 0.95),
            }
        })
        .collect();
    BandSeries {
        label: label.to_string(),
        points,
    }
}

fn trace_label(lang: Lang) -> &'static str {
    lang.pick("trace", "轨迹")
}

fn simulated_label(lang: Lang) -> &'static str {
    lang.pick(
        "calibrated scenario, simulated (90 % band)",
        "校准场景的模拟结果（90 % 区间）",
    )
}

fn gap_chart(calibration: &Calibration, validation: &Validation, lang: Lang) -> LineChart {
    let minutes: Vec<f64> = (0..=240).map(|step| step as f64 * 0.5).collect();
    let trace = &calibration.statistics.gaps_s;
    LineChart {
        title: lang
            .pick(
                "Gap from a close to the next open",
                "从关闭到下次打开的间隔",
            )
            .to_string(),
        x_label: lang.pick("Gap (minutes)", "间隔（分钟）").to_string(),
        y_label: lang
            .pick("Share of re-opens within the gap", "间隔内再次打开的占比")
            .to_string(),
        series: vec![
            line(
                trace_label(lang),
                minutes.iter().map(|&m| (m, ecdf(trace, m * 60.0))),
            ),
            banded(
                simulated_label(lang),
                &minutes,
                &validation.by_replication,
                |stats, m| ecdf(&stats.gaps_s, m * 60.0),
            ),
        ],
        y_axis: YAxis::Fraction,
        markers: vec![
            VerticalMarker {
                x: 5.0,
                label: lang.pick("5 min", "5 分钟").to_string(),
            },
            VerticalMarker {
                x: 30.0,
                label: lang.pick("30 min", "30 分钟").to_string(),
            },
        ],
        horizontal_lines: Vec::new(),
    }
}

/// Returns each segment's share of visits under the chosen fit.
fn visit_shares(calibration: &Calibration) -> Vec<f64> {
    let weights: Vec<f64> = calibration
        .segments
        .iter()
        .map(|segment| segment.session.weight)
        .collect();
    let total: f64 = weights.iter().sum();
    weights
        .iter()
        .map(|w| w / total.max(f64::MIN_POSITIVE))
        .collect()
}

fn session_chart(calibration: &Calibration, lang: Lang) -> LineChart {
    let sessions = &calibration.statistics.sessions_s;
    let high = quantile(sessions, 0.95).max(10.0).ceil();
    let xs: Vec<f64> = (0..=200).map(|step| high * step as f64 / 200.0).collect();
    let shares = visit_shares(calibration);
    let model: Vec<(f64, LogNormal)> = shares
        .iter()
        .zip(&calibration.segments)
        .map(|(share, segment)| (*share, segment.session.distribution))
        .collect();
    LineChart {
        title: lang.pick("Visit length", "访问时长").to_string(),
        x_label: lang
            .pick("Visit length (seconds)", "访问时长（秒）")
            .to_string(),
        y_label: lang
            .pick(
                "Share of visits at most this long",
                "不超过该时长的访问占比",
            )
            .to_string(),
        series: vec![
            line(
                trace_label(lang),
                xs.iter().map(|&x| (x, ecdf(sessions, x))),
            ),
            line(
                lang.pick(
                    "fitted log-normal mixture (segments weighted by visits)",
                    "拟合的对数正态混合（按各分群访问量加权）",
                ),
                xs.iter().map(|&x| {
                    (
                        x,
                        model
                            .iter()
                            .map(|(share, ln)| share * ln.cdf(x))
                            .sum::<f64>(),
                    )
                }),
            ),
        ],
        y_axis: YAxis::Fraction,
        markers: Vec::new(),
        horizontal_lines: Vec::new(),
    }
}

fn profile_chart(calibration: &Calibration, validation: &Validation, lang: Lang) -> LineChart {
    let hours: Vec<f64> = (0..24).map(|h| h as f64).collect();
    let trace = &calibration.statistics.hourly_share;
    let trace_series = BandSeries {
        label: lang
            .pick(
                "trace (band: ±1.96 standard errors)",
                "轨迹（区间：±1.96 个标准误）",
            )
            .to_string(),
        points: hours
            .iter()
            .map(|&h| {
                let ratio = trace[h as usize];
                BandPoint {
                    x: h,
                    mean: ratio.value * 100.0,
                    low: (ratio.value - 1.96 * ratio.standard_error) * 100.0,
                    high: (ratio.value + 1.96 * ratio.standard_error) * 100.0,
                }
            })
            .collect(),
    };
    LineChart {
        title: lang
            .pick("Opens by local hour", "按本地小时统计的打开次数")
            .to_string(),
        x_label: match lang {
            Lang::En => format!(
                "Local hour (UTC{})",
                offset_text((calibration.options.utc_offset_ms / 60_000) as i32)
            ),
            Lang::ZhCn => format!(
                "本地小时（UTC{}）",
                offset_text((calibration.options.utc_offset_ms / 60_000) as i32)
            ),
        },
        y_label: lang
            .pick("Share of opens (%)", "打开次数占比（%）")
            .to_string(),
        series: vec![
            trace_series,
            banded(
                simulated_label(lang),
                &hours,
                &validation.by_replication,
                |stats, h| stats.hourly_share[h as usize].value * 100.0,
            ),
        ],
        y_axis: YAxis::Count,
        markers: Vec::new(),
        horizontal_lines: Vec::new(),
    }
}

fn rate_chart(calibration: &Calibration, validation: &Validation, lang: Lang) -> LineChart {
    let rates = &calibration.statistics.unit_rates;
    let xs: Vec<f64> = (0..=160).map(|step| -2.0 + step as f64 * 0.025).collect();
    let log_ecdf = |sorted: &[f64], x: f64| ecdf(sorted, 10f64.powf(x));
    LineChart {
        title: lang
            .pick(
                "Visits per day of each (user, app) pair",
                "每个（用户，应用）对的每日访问次数",
            )
            .to_string(),
        x_label: lang
            .pick(
                "log10 of visits per day (0 = 1 per day, 1 = 10 per day)",
                "每日访问次数的 log10（0 = 每天 1 次，1 = 每天 10 次）",
            )
            .to_string(),
        y_label: lang
            .pick("Share of pairs at most this rate", "不超过该频率的对的占比")
            .to_string(),
        series: vec![
            line(
                trace_label(lang),
                xs.iter().map(|&x| (x, log_ecdf(rates, x))),
            ),
            banded(
                simulated_label(lang),
                &xs,
                &validation.by_replication,
                |stats, x| log_ecdf(&stats.unit_rates, x),
            ),
        ],
        y_axis: YAxis::Fraction,
        markers: Vec::new(),
        horizontal_lines: Vec::new(),
    }
}

fn family_name(family: LaunchFamily, lang: Lang) -> &'static str {
    match (family, lang) {
        (LaunchFamily::Poisson, Lang::En) => "Poisson",
        (LaunchFamily::Poisson, Lang::ZhCn) => "泊松",
        (LaunchFamily::Bursty, Lang::En) => "bursty",
        (LaunchFamily::Bursty, Lang::ZhCn) => "连续访问",
    }
}

fn statistic_name(statistic: Statistic, lang: Lang) -> String {
    match (statistic, lang) {
        (Statistic::LaunchesPerDay, Lang::En) => "visits per pair per day".into(),
        (Statistic::LaunchesPerDay, Lang::ZhCn) => "每个对每天的访问次数".into(),
        (Statistic::ReopenWithin5m, Lang::En) => "re-opens within 5 min of the close".into(),
        (Statistic::ReopenWithin5m, Lang::ZhCn) => "关闭后 5 分钟内再次打开的占比".into(),
        (Statistic::ReopenWithin30m, Lang::En) => "re-opens within 30 min of the close".into(),
        (Statistic::ReopenWithin30m, Lang::ZhCn) => "关闭后 30 分钟内再次打开的占比".into(),
        (Statistic::HourlyShare(hour), Lang::En) => format!("share of opens at {hour:02}:00"),
        (Statistic::HourlyShare(hour), Lang::ZhCn) => format!("{hour:02}:00 时段的打开占比"),
    }
}

fn seconds_text(seconds: f64) -> String {
    crate::calibrate::scenario_text::duration_text(seconds)
}

fn markdown(
    calibration: &Calibration,
    validation: &Validation,
    trace_name: &str,
    scenario_name: &str,
    lang: Lang,
) -> String {
    let zh = lang == Lang::ZhCn;
    let stats = &calibration.statistics;
    let offset = calibration.options.utc_offset_ms;
    let mut out = String::new();
    let other = match lang {
        Lang::En => "[中文](fit-report.zh-CN.md)",
        Lang::ZhCn => "[English](fit-report.md)",
    };
    let _ = writeln!(
        out,
        "# {} {trace_name}\n\n{other}\n",
        lang.pick("Calibration report:", "校准报告：")
    );
    let _ = writeln!(
        out,
        "{}\n",
        match lang {
            Lang::En => format!(
                "Written by `rollout-sim calibrate` (rollout-sim {}). The calibrated scenario is `{scenario_name}`.",
                env!("CARGO_PKG_VERSION")
            ),
            Lang::ZhCn => format!(
                "由 `rollout-sim calibrate`（rollout-sim {}）生成。校准得到的场景为 `{scenario_name}`。",
                env!("CARGO_PKG_VERSION")
            ),
        }
    );

    let _ = writeln!(out, "## {}\n", lang.pick("The trace", "轨迹"));
    let _ = writeln!(
        out,
        "| {} | {} |\n|---|---:|",
        lang.pick("statistic", "统计量"),
        lang.pick("value", "数值")
    );
    let rows: Vec<(&str, String)> = vec![
        (
            lang.pick("(user, app) pairs", "（用户，应用）对"),
            stats.units.to_string(),
        ),
        (
            lang.pick("visits after merging", "合并后的访问次数"),
            stats.visits.to_string(),
        ),
        (
            lang.pick("visits merged when at most this far apart", "合并间隔上限"),
            SimDuration(calibration.options.merge_gap_ms).to_string(),
        ),
        (
            lang.pick("timestamp resolution", "时间戳精度"),
            SimDuration(calibration.resolution_ms).to_string(),
        ),
        (
            lang.pick("first open", "最早打开"),
            local_time_text(calibration.span.0, offset),
        ),
        (
            lang.pick("last close", "最晚关闭"),
            local_time_text(calibration.span.1, offset),
        ),
        (
            lang.pick("observed pair-days", "观测的对·天数"),
            format!("{:.1}", stats.exposure_days),
        ),
        (
            lang.pick("visits per pair per day", "每个对每天的访问次数"),
            format!(
                "{:.2} ± {:.2}",
                stats.launches_per_day.value, stats.launches_per_day.standard_error
            ),
        ),
        (
            lang.pick("re-opens", "再次打开次数"),
            stats.reopens.to_string(),
        ),
        (
            lang.pick("re-opens within 5 min", "5 分钟内再次打开"),
            format!("{:.1} %", stats.reopen_within_5m.value * 100.0),
        ),
        (
            lang.pick("re-opens within 30 min", "30 分钟内再次打开"),
            format!("{:.1} %", stats.reopen_within_30m.value * 100.0),
        ),
        (
            lang.pick("visit length, median", "访问时长中位数"),
            format!("{:.0} s", stats.session_median_s()),
        ),
        (
            lang.pick("visit length, p90", "访问时长 p90"),
            format!("{:.0} s", stats.session_p90_s()),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    let _ = writeln!(
        out,
        "\n{}\n",
        lang.pick(
            "A pair's observation window is its user's span, from the user's first open to the last close over every app of the trace. \"±\" gives one standard error of a ratio estimator over pairs.",
            "每个对的观测窗口是其用户的时间跨度：从该用户在轨迹中所有应用上的第一次打开到最后一次关闭。“±”后为按对计算的比率估计量的一个标准误。"
        )
    );

    let chosen = &calibration.chosen;
    let best_bic = chosen.bic();
    let _ = writeln!(out, "## {}\n", lang.pick("Model selection", "模型选择"));
    let _ = writeln!(
        out,
        "{}\n",
        lang.pick(
            "Each candidate is a mixture of segments fitted by EM to every gap of every pair: gaps between visits, the gap from the window start to the first open, and the censored gap after the last close. The Poisson process explains each gap as an arrival of launches shaped by the daily profile; the bursty process adds episodes of use, in which a visit is followed by another after a log-normal gap. The chosen model has the lowest BIC = −2 ln L + parameters × ln(observations).",
            "每个候选模型都是若干分群的混合，用 EM 拟合每个对的所有间隔：访问之间的间隔、窗口开始到第一次打开的间隔，以及最后一次关闭之后的删失间隔。泊松过程把每个间隔解释为受每日分布调节的启动到达；连续访问过程再加上使用片段：片段内一次访问之后，经过一个对数正态分布的间隔会有下一次访问。所选模型的 BIC = −2 ln L + 参数个数 × ln(观测数) 最低。"
        )
    );
    let _ = writeln!(
        out,
        "| {} | {} | ln L | {} | BIC | ΔBIC |\n|---|---:|---:|---:|---:|---:|",
        lang.pick("launch process", "启动过程"),
        lang.pick("segments", "分群数"),
        lang.pick("parameters", "参数个数"),
    );
    for candidate in &calibration.candidates {
        let mark =
            if candidate.family == chosen.family && candidate.segments == chosen.segments.len() {
                lang.pick(" (chosen)", "（选中）")
            } else {
                ""
            };
        let _ = writeln!(
            out,
            "| {}{mark} | {} | {:.1} | {} | {:.1} | {:.1} |",
            family_name(candidate.family, lang),
            candidate.segments,
            candidate.log_likelihood,
            candidate.parameters,
            candidate.bic,
            candidate.bic - best_bic
        );
    }
    let _ = writeln!(
        out,
        "\n{}\n",
        match lang {
            Lang::En =>
                format!(
                "Observations: {}. Candidates had 1 to {} segments. Every EM run converged: {}.",
                chosen.observations,
                calibration.options.max_segments,
                if calibration.candidates.iter().all(|c| c.converged) { "yes" } else { "no" }
            ),
            Lang::ZhCn => format!(
                "观测数：{}。候选模型的分群数为 1 到 {}。所有 EM 运行均收敛：{}。",
                chosen.observations,
                calibration.options.max_segments,
                if calibration.candidates.iter().all(|c| c.converged) {
                    "是"
                } else {
                    "否"
                }
            ),
        }
    );

    let _ = writeln!(out, "## {}\n", lang.pick("Segments", "分群"));
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | KS D (n) | {} |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        lang.pick("segment", "分群"),
        lang.pick("share", "占比"),
        lang.pick("pairs", "对数"),
        lang.pick("visits / day", "访问/天"),
        lang.pick("episodes / day", "片段/天"),
        lang.pick("visits / episode", "访问/片段"),
        lang.pick("gap median", "间隔中位数"),
        lang.pick("gap p90", "间隔 p90"),
        lang.pick("visit median", "访问时长中位数"),
        lang.pick("visit p90", "访问时长 p90"),
        lang.pick("5 % critical", "5 % 临界值"),
    );
    for segment in &calibration.segments {
        let (visits_per_episode, gap_median, gap_p90) = match &segment.burst {
            Some(burst) => (
                format!("{:.2}", burst.mean_visits),
                seconds_text(burst.gap.median_s()),
                seconds_text(burst.gap.p90_s()),
            ),
            None => ("1".to_string(), "–".to_string(), "–".to_string()),
        };
        let session = &segment.session;
        let critical = if session.ks_count > 0 {
            format!("{:.3}", ks_critical_5pct(session.ks_count))
        } else {
            "–".to_string()
        };
        let _ = writeln!(
            out,
            "| {} | {:.1} % | {} | {:.2} | {:.2} | {visits_per_episode} | {gap_median} | {gap_p90} | {} | {} | {:.3} ({}) | {critical} |",
            segment.name,
            segment.share * 100.0,
            segment.pairs,
            segment.launches_per_day,
            segment.episodes_per_day,
            seconds_text(session.distribution.median_s()),
            seconds_text(session.distribution.p90_s()),
            session.ks_distance,
            session.ks_count,
        );
    }
    let _ = writeln!(
        out,
        "\n{}\n",
        lang.pick(
            "Visit lengths are fitted per segment by log-normal maximum likelihood, with every pair's visits weighted by its probability of belonging to the segment and each length treated as an interval of the timestamp resolution. KS D is the Kolmogorov–Smirnov distance between that log-normal and the visits of the pairs most likely in the segment, evaluated at the edges of the rounding intervals. The 5 % critical value 1.358 / √n ignores that the parameters were fitted to the same data, so it is lenient, and with thousands of visits small but real departures exceed it.",
            "访问时长按分群做对数正态最大似然拟合：每个对的访问按其属于该分群的概率加权，每个时长视为时间戳精度内的一个区间。KS D 是该对数正态分布与最可能属于该分群的对的访问之间的 Kolmogorov–Smirnov 距离，在取整区间的端点处计算。5 % 临界值 1.358 / √n 没有考虑参数是用同一数据拟合的，因此偏宽松；访问有数千次时，小而真实的偏差也会超过它。"
        )
    );
    let _ = writeln!(
        out,
        "![{}]({})\n",
        lang.pick("Visit length", "访问时长"),
        file_name("session-cdf", "svg", lang)
    );

    let _ = writeln!(out, "## {}\n", lang.pick("Daily profile", "每日分布"));
    let values: Vec<String> = calibration
        .daily_profile
        .iter()
        .map(|v| format!("{v:.2}"))
        .collect();
    let _ = writeln!(
        out,
        "{}\n\n`[{}]`\n",
        match lang {
            Lang::En => format!(
                "Relative intensity of episode starts by local hour (UTC{}), mean 1. Opens are weighted by the chosen fit's probability that they start an episode and divided by the time the pairs were observed outside a visit in that hour, each pair's time weighted by its fitted rate. Hours without opens keep {} of the mean.",
                offset_text((offset / 60_000) as i32),
                crate::calibrate::mixture::MIN_PROFILE
            ),
            Lang::ZhCn => format!(
                "按本地小时（UTC{}）统计的使用片段开始强度，均值为 1。打开次数按所选模型判断其开启片段的概率加权，再除以各对在该小时内处于观测窗口且不在前台的时间，其中每个对的时间按其拟合频率加权。没有打开的小时保留均值的 {}。",
                offset_text((offset / 60_000) as i32),
                crate::calibrate::mixture::MIN_PROFILE
            ),
        },
        values.join(", ")
    );
    let _ = writeln!(
        out,
        "![{}]({})\n",
        lang.pick("Opens by local hour", "按本地小时统计的打开次数"),
        file_name("daily-profile", "svg", lang)
    );

    let _ = writeln!(
        out,
        "## {}\n",
        lang.pick("Gaps and keep-alive", "间隔与后台存活时间")
    );
    let _ = writeln!(
        out,
        "{}\n",
        lang.pick(
            "A re-open is a hot start when the process is still alive, that is when the gap since the close is shorter than the keep-alive. Keep-alive is a platform setting, so it is not fitted; the table shows which share of the trace's re-opens each keep-alive would make hot.",
            "再次打开时如果进程仍然存活（即距上次关闭的间隔短于后台存活时间），就是热启动。后台存活时间是平台设置，因此不做拟合；下表给出在不同后台存活时间下，轨迹中再次打开成为热启动的占比。"
        )
    );
    let _ = writeln!(
        out,
        "| {} | {} | {} |\n|---|---:|---:|",
        lang.pick("keep-alive", "后台存活时间"),
        lang.pick("hot re-opens, trace", "热启动占比（轨迹）"),
        lang.pick("hot re-opens, simulated", "热启动占比（模拟）"),
    );
    let trace_hot = calibration.hot_start_shares(&KEEP_ALIVE_EXAMPLES_S);
    for (seconds, hot) in KEEP_ALIVE_EXAMPLES_S.iter().zip(trace_hot) {
        let _ = writeln!(
            out,
            "| {} | {:.1} % | {:.1} % |",
            seconds_text(*seconds),
            hot * 100.0,
            validation.pooled.share_of_gaps_within(*seconds) * 100.0
        );
    }
    let _ = writeln!(
        out,
        "\n![{}]({})\n",
        lang.pick(
            "Gap from a close to the next open",
            "从关闭到下次打开的间隔"
        ),
        file_name("gap-cdf", "svg", lang)
    );

    let _ = writeln!(out, "## {}\n", lang.pick("Validation", "验证"));
    let _ = writeln!(
        out,
        "{}\n",
        match lang {
            Lang::En => format!(
                "The calibrated scenario's launch model was simulated over the trace's own observation windows: {} users in {} replications, each observed for the window of one trace pair, visits merged like the trace's and users without a visit dropped, as the trace has only pairs with a visit. A statistic passes when trace and simulation differ by at most z standard errors of the difference (z = 3; z = 3.5 for each of the 24 hours).",
                validation.by_replication.iter().map(|s| s.units).sum::<usize>(),
                validation.by_replication.len()
            ),
            Lang::ZhCn => format!(
                "在轨迹自身的观测窗口上模拟校准场景的启动模型：{} 个用户，{} 次重复，每个用户的观测窗口取一个轨迹对的窗口；访问按与轨迹相同的规则合并，没有访问的用户被剔除，因为轨迹中只有至少访问过一次的对。若轨迹与模拟之差不超过差值标准误的 z 倍（z = 3；24 个小时各自取 z = 3.5），该统计量通过。",
                validation.by_replication.iter().map(|s| s.units).sum::<usize>(),
                validation.by_replication.len()
            ),
        }
    );
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} |\n|---|---:|---:|---:|---|",
        lang.pick("statistic", "统计量"),
        lang.pick("trace", "轨迹"),
        lang.pick("simulated", "模拟"),
        lang.pick("tolerance", "容差"),
        lang.pick("result", "结果"),
    );
    let verdict = |passed: bool| {
        if passed {
            lang.pick("pass", "通过")
        } else {
            lang.pick("fail", "未通过")
        }
    };
    for comparison in &validation.comparisons[..3] {
        let percent = !matches!(comparison.statistic, Statistic::LaunchesPerDay);
        let scale = if percent { 100.0 } else { 1.0 };
        let unit = if percent { " %" } else { "" };
        let _ = writeln!(
            out,
            "| {} | {:.2}{unit} ± {:.2} | {:.2}{unit} ± {:.2} | {:.2} | {} |",
            statistic_name(comparison.statistic, lang),
            comparison.trace.value * scale,
            comparison.trace.standard_error * scale,
            comparison.simulated.value * scale,
            comparison.simulated.standard_error * scale,
            comparison.tolerance * scale,
            verdict(comparison.passed())
        );
    }
    let hourly = &validation.comparisons[3..];
    let passed_hours = hourly.iter().filter(|c| c.passed()).count();
    let largest = hourly
        .iter()
        .map(|c| (c.simulated.value - c.trace.value).abs())
        .fold(0.0, f64::max);
    let _ = writeln!(
        out,
        "| {} | – | – | – | {} |",
        lang.pick(
            "share of opens in each of 24 hours",
            "24 个小时各自的打开占比"
        ),
        match lang {
            Lang::En => format!(
                "{passed_hours} of 24 pass; largest difference {:.2} points",
                largest * 100.0
            ),
            Lang::ZhCn => format!(
                "24 个中 {passed_hours} 个通过；最大差值 {:.2} 个百分点",
                largest * 100.0
            ),
        }
    );
    let _ = writeln!(
        out,
        "\n{}\n",
        match lang {
            Lang::En => format!(
                "Two-sample Kolmogorov–Smirnov distance between the trace's and the simulation's re-open gaps: {:.3} (5 % critical value {:.3} for {} and {} gaps). {}",
                validation.gap_ks_distance,
                validation.gap_ks_critical,
                stats.gaps_s.len(),
                validation.pooled.gaps_s.len(),
                if validation.gap_ks_distance <= validation.gap_ks_critical {
                    "The test does not reject the model."
                } else {
                    "The test rejects the model at this sample size; the distance is the largest gap between the two curves in the chart above."
                }
            ),
            Lang::ZhCn => format!(
                "轨迹与模拟的再次打开间隔的双样本 Kolmogorov–Smirnov 距离：{:.3}（{} 个与 {} 个间隔时的 5 % 临界值为 {:.3}）。{}",
                validation.gap_ks_distance,
                stats.gaps_s.len(),
                validation.pooled.gaps_s.len(),
                validation.gap_ks_critical,
                if validation.gap_ks_distance <= validation.gap_ks_critical {
                    "检验不拒绝该模型。"
                } else {
                    "在此样本量下检验拒绝该模型；该距离即上图中两条曲线之间的最大差距。"
                }
            ),
        }
    );
    let _ = writeln!(
        out,
        "![{}]({})\n",
        lang.pick("Visits per day of each pair", "每个对的每日访问次数"),
        file_name("launch-rate-cdf", "svg", lang)
    );
    if zh {
        let _ = writeln!(
            out,
            "数据表：`candidates.csv`（候选模型）、`segments.csv`（分群参数）、`validation.csv`（验证）。"
        );
    } else {
        let _ = writeln!(
            out,
            "Tables: `candidates.csv` (candidate models), `segments.csv` (segment parameters), `validation.csv` (validation)."
        );
    }
    out
}

#[derive(Serialize)]
struct CandidateRow {
    family: &'static str,
    segments: usize,
    log_likelihood: String,
    parameters: usize,
    bic: String,
    chosen: bool,
}

fn candidates_csv(calibration: &Calibration) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for candidate in &calibration.candidates {
        writer.serialize(CandidateRow {
            family: family_name(candidate.family, Lang::En),
            segments: candidate.segments,
            log_likelihood: format_number(candidate.log_likelihood),
            parameters: candidate.parameters,
            bic: format_number(candidate.bic),
            chosen: candidate.family == calibration.chosen.family
                && candidate.segments == calibration.chosen.segments.len(),
        })?;
    }
    Ok(writer.into_inner()?)
}

#[derive(Serialize)]
struct SegmentRow<'a> {
    segment: &'a str,
    parameter: &'static str,
    value: String,
}

fn segments_csv(calibration: &Calibration) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for segment in &calibration.segments {
        let session = &segment.session;
        let mut rows: Vec<(&'static str, f64)> = vec![
            ("share", segment.share),
            ("pairs", segment.pairs as f64),
            ("launches_per_day", segment.launches_per_day),
            ("episodes_per_day", segment.episodes_per_day),
            ("session_median_s", session.distribution.median_s()),
            ("session_p90_s", session.distribution.p90_s()),
            ("session_ks_distance", session.ks_distance),
            ("session_ks_count", session.ks_count as f64),
        ];
        if let Some(burst) = &segment.burst {
            rows.push(("mean_visits", burst.mean_visits));
            rows.push(("gap_median_s", burst.gap.median_s()));
            rows.push(("gap_p90_s", burst.gap.p90_s()));
        }
        for (parameter, value) in rows {
            writer.serialize(SegmentRow {
                segment: &segment.name,
                parameter,
                value: format_number(value),
            })?;
        }
    }
    Ok(writer.into_inner()?)
}

#[derive(Serialize)]
struct ValidationRow {
    statistic: String,
    trace: String,
    trace_se: String,
    simulated: String,
    simulated_se: String,
    tolerance: String,
    passed: bool,
}

fn validation_csv(validation: &Validation) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for comparison in &validation.comparisons {
        let statistic = match comparison.statistic {
            Statistic::LaunchesPerDay => "launches_per_day".to_string(),
            Statistic::ReopenWithin5m => "reopen_within_5m".to_string(),
            Statistic::ReopenWithin30m => "reopen_within_30m".to_string(),
            Statistic::HourlyShare(hour) => format!("hourly_share:{hour:02}"),
        };
        writer.serialize(ValidationRow {
            statistic,
            trace: format_number(comparison.trace.value),
            trace_se: format_number(comparison.trace.standard_error),
            simulated: format_number(comparison.simulated.value),
            simulated_se: format_number(comparison.simulated.standard_error),
            tolerance: format_number(comparison.tolerance),
            passed: comparison.passed(),
        })?;
    }
    writer.serialize(ValidationRow {
        statistic: "gap_ks_distance".to_string(),
        trace: String::new(),
        trace_se: String::new(),
        simulated: format_number(validation.gap_ks_distance),
        simulated_se: String::new(),
        tolerance: format_number(validation.gap_ks_critical),
        passed: validation.gap_ks_distance <= validation.gap_ks_critical,
    })?;
    Ok(writer.into_inner()?)
}
