//! One function per chart kind: each builds a [`LineChart`] from the chart
//! data in `series`, with title, axis labels and legend in the report
//! language. Drawing is [`render_svg`](crate::output::chart::render_svg)'s
//! and [`render_png`](crate::output::chart::render_png)'s job.

use crate::i18n::Lang;
use crate::output::chart::{BandSeries, HorizontalLine, LineChart, VerticalMarker, YAxis};
use crate::report::series;
use crate::scenario::{Scenario, UpdateAction};
use crate::stats::aggregate::RunResult;
use crate::sweep::SweepParam;
use crate::units::format_bytes;

/// Width of the charts in the report and of `coverage.svg`, in pixels.
pub const CHART_WIDTH: u32 = 960;
/// Height of the charts in the report and of `coverage.svg`, in pixels.
pub const CHART_HEIGHT: u32 = 520;

/// The coverage measures, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// Share of launches that run the newest version.
    Launch,
    /// Share of foreground time spent on the newest version.
    Session,
    /// Share of users whose cached package is the newest version.
    Installed,
    /// Among users who launched in the trailing 24 hours, the share whose
    /// last launch ran the newest version.
    ActiveUser,
}

impl Coverage {
    /// All measures, in report order.
    pub const ALL: [Coverage; 4] = [
        Coverage::Launch,
        Coverage::Session,
        Coverage::Installed,
        Coverage::ActiveUser,
    ];

    /// Returns the metric name in `timeseries.csv`.
    pub fn metric(self) -> &'static str {
        match self {
            Coverage::Launch => "launch_coverage",
            Coverage::Session => "session_coverage",
            Coverage::Installed => "installed_coverage",
            Coverage::ActiveUser => "active_user_coverage",
        }
    }

    /// Returns the measure's name, as a chart title and table heading.
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Coverage::Launch, Lang::En) => "Launch coverage",
            (Coverage::Launch, Lang::ZhCn) => "启动覆盖率",
            (Coverage::Session, Lang::En) => "Session coverage",
            (Coverage::Session, Lang::ZhCn) => "会话覆盖率",
            (Coverage::Installed, Lang::En) => "Installed coverage",
            (Coverage::Installed, Lang::ZhCn) => "安装覆盖率",
            (Coverage::ActiveUser, Lang::En) => "Active-user coverage",
            (Coverage::ActiveUser, Lang::ZhCn) => "活跃用户覆盖率",
        }
    }

    /// Returns what the measure's fraction counts, as the y axis label.
    pub fn y_label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Coverage::Launch, Lang::En) => "Launches on the newest version",
            (Coverage::Launch, Lang::ZhCn) => "运行最新版本的启动占比",
            (Coverage::Session, Lang::En) => "Foreground time on the newest version",
            (Coverage::Session, Lang::ZhCn) => "最新版本占前台时长的比例",
            (Coverage::Installed, Lang::En) => "Users with the newest version cached",
            (Coverage::Installed, Lang::ZhCn) => "已缓存最新版本的用户占比",
            (Coverage::ActiveUser, Lang::En) => "Active users on the newest version",
            (Coverage::ActiveUser, Lang::ZhCn) => "最新版本的活跃用户占比",
        }
    }
}

/// Returns the x axis label shared by all time charts.
fn hours_label(lang: Lang) -> String {
    lang.pick("Hours since t = 0", "t = 0 之后的小时数")
        .to_string()
}

fn band_note(lang: Lang) -> &'static str {
    lang.pick("mean, band p05–p95", "均值，色带 p05–p95")
}

/// Width of one output bin as words, for the y labels of per-bin counts.
fn per_bin(scenario: &Scenario, lang: Lang) -> String {
    let width = scenario.run.sample_every;
    match lang {
        Lang::En => format!("per {width} bin"),
        Lang::ZhCn => format!("每 {width} 时间段"),
    }
}

/// Builds the chart of a coverage measure over time, one line and band per
/// policy, with the releases marked and a dashed 95 % line.
pub fn coverage(
    result: &RunResult,
    scenario: &Scenario,
    measure: Coverage,
    lang: Lang,
) -> LineChart {
    LineChart {
        title: match lang {
            Lang::En => format!("{} ({})", measure.name(lang), band_note(lang)),
            Lang::ZhCn => format!("{}（{}）", measure.name(lang), band_note(lang)),
        },
        x_label: hours_label(lang),
        y_label: measure.y_label(lang).to_string(),
        series: series::per_policy(result, measure.metric()),
        y_axis: YAxis::Fraction,
        markers: series::release_markers(scenario, lang),
        horizontal_lines: vec![HorizontalLine {
            y: 0.95,
            label: "95 %".to_string(),
        }],
    }
}

/// Builds the chart of each version's share of launches under one policy.
pub fn version_shares(
    result: &RunResult,
    scenario: &Scenario,
    policy: usize,
    lang: Lang,
) -> LineChart {
    let name = &result.policies[policy].policy;
    LineChart {
        title: match lang {
            Lang::En => format!("Launches by version under {name} ({})", band_note(lang)),
            Lang::ZhCn => format!("{name} 策略下各版本的启动占比（{}）", band_note(lang)),
        },
        x_label: hours_label(lang),
        y_label: lang.pick("Share of launches", "启动占比").to_string(),
        series: series::version_shares(result, scenario, policy),
        y_axis: YAxis::Fraction,
        markers: series::release_markers(scenario, lang),
        horizontal_lines: Vec::new(),
    }
}

/// Completed downloads per bin, one line per policy.
pub fn downloads(result: &RunResult, scenario: &Scenario, lang: Lang) -> LineChart {
    LineChart {
        title: match lang {
            Lang::En => format!("Completed downloads ({})", band_note(lang)),
            Lang::ZhCn => format!("完成的下载次数（{}）", band_note(lang)),
        },
        x_label: hours_label(lang),
        y_label: match lang {
            Lang::En => format!("Downloads {}", per_bin(scenario, lang)),
            Lang::ZhCn => format!("{}下载次数", per_bin(scenario, lang)),
        },
        series: series::per_policy(result, "downloads_completed"),
        y_axis: YAxis::Count,
        markers: series::release_markers(scenario, lang),
        horizontal_lines: Vec::new(),
    }
}

/// Download rate (bytes received per second, averaged over each bin), one
/// line per policy, with each policy's peak marked.
pub fn download_rate(result: &RunResult, scenario: &Scenario, lang: Lang) -> LineChart {
    let mut markers = series::release_markers(scenario, lang);
    let mut peaks: Vec<(f64, f64, Vec<&str>)> = Vec::new();
    for (index, policy) in result.policies.iter().enumerate() {
        let Some((time, rate)) = series::peak(result, index, "download_bytes_per_s") else {
            continue;
        };
        match peaks.iter_mut().find(|(t, r, _)| *t == time && *r == rate) {
            Some((_, _, names)) => names.push(&policy.policy),
            None => peaks.push((time, rate, vec![&policy.policy])),
        }
    }
    for (time, rate, names) in peaks {
        let names = names.join(", ");
        let rate = format_bytes(rate);
        markers.push(VerticalMarker {
            x: time,
            label: match lang {
                Lang::En => format!("peak {rate}/s ({names})"),
                Lang::ZhCn => format!("峰值 {rate}/s（{names}）"),
            },
        });
    }
    LineChart {
        title: match lang {
            Lang::En => format!("Download rate ({})", band_note(lang)),
            Lang::ZhCn => format!("下载速率（{}）", band_note(lang)),
        },
        x_label: hours_label(lang),
        y_label: match lang {
            Lang::En => format!("Bytes per second, mean {}", per_bin(scenario, lang)),
            Lang::ZhCn => format!("{}平均每秒字节数", per_bin(scenario, lang)),
        },
        series: series::per_policy(result, "download_bytes_per_s"),
        y_axis: YAxis::Rate,
        markers,
        horizontal_lines: Vec::new(),
    }
}

/// Forced restarts (interrupted sessions) per bin, one line per policy.
pub fn forced_restarts(result: &RunResult, scenario: &Scenario, lang: Lang) -> LineChart {
    LineChart {
        title: match lang {
            Lang::En => format!(
                "Forced restarts: interrupted sessions ({})",
                band_note(lang)
            ),
            Lang::ZhCn => format!("强制重启：被中断的会话（{}）", band_note(lang)),
        },
        x_label: hours_label(lang),
        y_label: match lang {
            Lang::En => format!("Restarts {}", per_bin(scenario, lang)),
            Lang::ZhCn => format!("{}重启次数", per_bin(scenario, lang)),
        },
        series: series::per_policy(result, "forced_restarts"),
        y_axis: YAxis::Count,
        markers: series::release_markers(scenario, lang),
        horizontal_lines: Vec::new(),
    }
}

/// Prompts shown and accepted per bin, two lines per policy that prompts;
/// `None` when no policy of the scenario shows a prompt.
pub fn prompts(result: &RunResult, scenario: &Scenario, lang: Lang) -> Option<LineChart> {
    let mut lines: Vec<BandSeries> = Vec::new();
    for (index, policy) in scenario.policies.iter().enumerate() {
        if !matches!(policy.action, UpdateAction::Prompt { .. }) {
            continue;
        }
        let name = &policy.name;
        for (metric, en, zh) in [
            ("prompts_shown", "shown", "显示"),
            ("prompts_accepted", "accepted", "接受"),
        ] {
            let Some(curve) = series::find_series(&result.policies[index], metric) else {
                continue;
            };
            let label = match lang {
                Lang::En => format!("{name}: {en}"),
                Lang::ZhCn => format!("{name}：{zh}"),
            };
            lines.push(series::band_series(&result.times_h, curve, label));
        }
    }
    if lines.is_empty() {
        return None;
    }
    Some(LineChart {
        title: match lang {
            Lang::En => format!("Update prompts ({})", band_note(lang)),
            Lang::ZhCn => format!("更新提示（{}）", band_note(lang)),
        },
        x_label: hours_label(lang),
        y_label: match lang {
            Lang::En => format!("Prompts {}", per_bin(scenario, lang)),
            Lang::ZhCn => format!("{}提示次数", per_bin(scenario, lang)),
        },
        series: lines,
        y_axis: YAxis::Count,
        markers: series::release_markers(scenario, lang),
        horizontal_lines: Vec::new(),
    })
}

/// Builds the chart of launches of a version hit by an incident while it is
/// on, one line per policy, with the incidents' start and end marked.
/// Returns `None` when the scenario has no incident.
pub fn incident_launches(result: &RunResult, scenario: &Scenario, lang: Lang) -> Option<LineChart> {
    if scenario.incidents.is_empty() {
        return None;
    }
    let mut markers = series::release_markers(scenario, lang);
    markers.extend(series::incident_markers(scenario, lang));
    Some(LineChart {
        title: match lang {
            Lang::En => format!("Launches hit by an incident ({})", band_note(lang)),
            Lang::ZhCn => format!("受故障影响的启动（{}）", band_note(lang)),
        },
        x_label: hours_label(lang),
        y_label: match lang {
            Lang::En => format!("Launches {}", per_bin(scenario, lang)),
            Lang::ZhCn => format!("{}启动次数", per_bin(scenario, lang)),
        },
        series: series::per_policy(result, "incident_launches"),
        y_axis: YAxis::Count,
        markers,
        horizontal_lines: Vec::new(),
    })
}

/// Builds the chart of a summary figure against the swept parameter, one
/// line per policy.
/// `values[policy][i]` belongs to `param.values[i]`.
pub fn sweep(
    param: &SweepParam,
    metric: &str,
    values: &[(String, Vec<Option<f64>>)],
    lang: Lang,
) -> LineChart {
    let xs: Vec<f64> = param.values.iter().map(|value| value.x).collect();
    let (y_axis, unit) = if metric.ends_with("bytes_per_s") {
        (YAxis::Rate, "")
    } else if metric.ends_with("_h") {
        (YAxis::Count, lang.pick(" (h)", "（小时）"))
    } else if metric.ends_with("_s") {
        (YAxis::Count, lang.pick(" (s)", "（秒）"))
    } else {
        (YAxis::Count, "")
    };
    let x_label = if param.unit.is_empty() {
        param.key.clone()
    } else {
        match lang {
            Lang::En => format!("{} ({})", param.key, param.unit),
            Lang::ZhCn => format!("{}（{}）", param.key, param.unit),
        }
    };
    LineChart {
        title: match lang {
            Lang::En => format!("{metric} against {}", param.key),
            Lang::ZhCn => format!("{metric} 随 {} 的变化", param.key),
        },
        x_label,
        y_label: format!("{metric}{unit}"),
        series: series::sweep_lines(&xs, values),
        y_axis,
        markers: Vec::new(),
        horizontal_lines: Vec::new(),
    }
}
