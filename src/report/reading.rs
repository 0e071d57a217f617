//! A short generated reading of the comparison table: which policy reaches
//! coverage soonest and at what cost, in the report language.

use crate::i18n::Lang;
use crate::report::table::{group_thousands, summary_value};
use crate::stats::aggregate::RunResult;
use crate::units::format_bytes;

/// A policy's value of one summary figure.
struct Figure<'a> {
    name: &'a str,
    value: Option<f64>,
}

fn figures<'a>(result: &'a RunResult, metric: &str) -> Vec<Figure<'a>> {
    result
        .policies
        .iter()
        .enumerate()
        .map(|(index, policy)| Figure {
            name: &policy.policy,
            value: summary_value(result, index, metric),
        })
        .collect()
}

/// Index of the lowest value, the first one on ties; `None` when no value
/// is present.
fn lowest(values: &[Option<f64>]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (index, value) in values.iter().enumerate() {
        if let Some(value) = value {
            if best.is_none_or(|(_, low)| *value < low) {
                best = Some((index, *value));
            }
        }
    }
    best.map(|(index, _)| index)
}

fn highest(values: &[Option<f64>]) -> Option<usize> {
    let negated: Vec<Option<f64>> = values.iter().map(|v| v.map(|x| -x)).collect();
    lowest(&negated)
}

/// Formats hours with the comparison table's two decimals, so a figure in
/// the sentence reads as in the table (17.25, not 17.2).
fn hours(value: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{value:.2} h"),
        Lang::ZhCn => format!("{value:.2} 小时"),
    }
}

/// Builds the speed-against-interruptions sentence: the policy that reaches 95 %
/// of launches soonest, against the policy that interrupts fewest sessions.
fn speed_and_cost(result: &RunResult, lang: Lang) -> String {
    let t95 = figures(result, "t95_launch_coverage_h");
    let interrupted = figures(result, "forced_restarts_per_1k_users");
    let t95_values: Vec<Option<f64>> = t95.iter().map(|f| f.value).collect();
    let cost: Vec<f64> = interrupted.iter().map(|f| f.value.unwrap_or(0.0)).collect();

    let Some(fastest_time) = t95_values.iter().flatten().copied().reduce(f64::min) else {
        return match lang {
            Lang::En => "No policy reaches 95 % of launches within the horizon.".to_string(),
            Lang::ZhCn => "在模拟时长内，没有任何策略使最新版本的启动占比达到 95%。".to_string(),
        };
    };
    // Among the fastest, the one that interrupts fewest sessions.
    let fastest = (0..t95.len())
        .filter(|&i| t95_values[i].is_some_and(|t| t <= fastest_time))
        .min_by(|&a, &b| cost[a].total_cmp(&cost[b]))
        .expect("one policy reaches 95 %");
    let gentlest =
        lowest(&cost.iter().map(|&c| Some(c)).collect::<Vec<_>>()).expect("at least one policy");
    let fast = &t95[fastest];
    let gentle = &t95[gentlest];
    let fast_cost = cost[fastest];
    let gentle_cost = cost[gentlest];

    if fastest == gentlest || t95_values[gentlest] == Some(fastest_time) {
        let cost_text = format!("{:.0}", gentle_cost);
        return match lang {
            Lang::En => format!(
                "{} reaches 95 % of launches as soon as any policy ({}) and interrupts the fewest sessions ({cost_text} per 1,000 users).",
                gentle.name,
                hours(fastest_time, lang)
            ),
            Lang::ZhCn => format!(
                "{} 与最快的策略同样在 {} 后使最新版本的启动占比达到 95%，且中断的会话最少（每千用户 {cost_text} 次）。",
                gentle.name,
                hours(fastest_time, lang)
            ),
        };
    }
    let extra = format!("{:.0}", fast_cost - gentle_cost);
    match t95_values[gentlest] {
        Some(slow_time) => {
            let sooner = hours(slow_time - fastest_time, lang);
            match lang {
                Lang::En => format!(
                    "{} reaches 95 % of launches {sooner} sooner than {} ({} against {}), at the cost of {extra} more interrupted sessions per 1,000 users.",
                    fast.name,
                    gentle.name,
                    hours(fastest_time, lang),
                    hours(slow_time, lang)
                ),
                Lang::ZhCn => format!(
                    "{} 使最新版本的启动占比达到 95% 比 {} 早 {sooner}（{} 对 {}），代价是每千用户多中断 {extra} 次会话。",
                    fast.name,
                    gentle.name,
                    hours(fastest_time, lang),
                    hours(slow_time, lang)
                ),
            }
        }
        None => match lang {
            Lang::En => format!(
                "{} reaches 95 % of launches after {}, at the cost of {extra} more interrupted sessions per 1,000 users; {} does not reach 95 % within the horizon.",
                fast.name,
                hours(fastest_time, lang),
                gentle.name
            ),
            Lang::ZhCn => format!(
                "{} 在 {} 后使最新版本的启动占比达到 95%，代价是每千用户多中断 {extra} 次会话；{} 在模拟时长内未达到 95%。",
                fast.name,
                hours(fastest_time, lang),
                gentle.name
            ),
        },
    }
}

/// Wording of a sentence about one figure's range across policies.
struct RangeWording {
    /// English subject, followed by the value or the range.
    en: &'static str,
    /// Chinese subject.
    zh: &'static str,
    /// Chinese words for the lowest and the highest value.
    zh_low_high: (&'static str, &'static str),
}

/// Describes the lowest and the highest value of a figure across policies,
/// or the shared value when every policy shows the same.
fn range_sentence(
    result: &RunResult,
    metric: &str,
    format: impl Fn(f64) -> String,
    wording: &RangeWording,
    lang: Lang,
) -> Option<String> {
    let figures = figures(result, metric);
    let values: Vec<Option<f64>> = figures.iter().map(|f| f.value).collect();
    let low = lowest(&values)?;
    let high = highest(&values)?;
    let low_text = format(values[low]?);
    let high_text = format(values[high]?);
    let (low_name, high_name) = (figures[low].name, figures[high].name);
    let (low_word, high_word) = wording.zh_low_high;
    Some(match (lang, low_text == high_text) {
        (Lang::En, true) => format!("{}: {low_text} under every policy.", wording.en),
        (Lang::ZhCn, true) => format!("{}：各策略均为 {low_text}。", wording.zh),
        (Lang::En, false) => format!(
            "{}: from {low_text} under {low_name} to {high_text} under {high_name}.",
            wording.en
        ),
        (Lang::ZhCn, false) => format!(
            "{}：{low_name} {low_word}（{low_text}），{high_name} {high_word}（{high_text}）。",
            wording.zh
        ),
    })
}

/// Builds the reading: two to four sentences in the report language.
pub fn reading(result: &RunResult, lang: Lang) -> Vec<String> {
    let mut sentences = vec![speed_and_cost(result, lang)];
    let counts = [
        (
            "old_launches_after_24h",
            RangeWording {
                en: "Launches on an old version from 24 h after the release (mean per replication)",
                zh: "发布 24 小时后的旧版本启动次数（每次重复的均值）",
                zh_low_high: ("最少", "最多"),
            },
        ),
        (
            "incident_launches_total",
            RangeWording {
                en: "Launches hit by an incident (mean per replication)",
                zh: "受故障影响的启动次数（每次重复的均值）",
                zh_low_high: ("最少", "最多"),
            },
        ),
    ];
    for (metric, wording) in &counts {
        sentences.extend(range_sentence(
            result,
            metric,
            group_thousands,
            wording,
            lang,
        ));
    }
    let peak = RangeWording {
        en: "Download peak",
        zh: "下载峰值",
        zh_low_high: ("最低", "最高"),
    };
    sentences.extend(range_sentence(
        result,
        "peak_download_bytes_per_s",
        |rate| format!("{}/s", format_bytes(rate)),
        &peak,
        lang,
    ));
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_keep_quarter_hours() {
        // tXX figures are multiples of the bin width, often a quarter hour.
        assert_eq!(hours(17.25, Lang::En), "17.25 h");
        assert_eq!(hours(0.75, Lang::ZhCn), "0.75 小时");
        assert_eq!(hours(3.0, Lang::En), "3.00 h");
    }
}
