//! The summary table printed on standard output after a run.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};

use crate::i18n::Lang;
use crate::stats::aggregate::RunResult;
use crate::units::format_bytes;

fn figure(summary: &[(String, Option<f64>)], name: &str) -> Option<f64> {
    summary
        .iter()
        .find(|(metric, _)| metric == name)
        .and_then(|(_, value)| *value)
}

fn hours(value: Option<f64>, lang: Lang) -> String {
    match value {
        Some(h) => format!("{h:.2}"),
        None => lang.pick("not reached", "未达到").to_string(),
    }
}

/// Renders the per-policy summary as a text table.
pub fn summary_table(result: &RunResult, lang: Lang) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let has_incident = result
        .policies
        .iter()
        .any(|p| figure(&p.summary, "incident_launches_total").is_some());
    let mut header = vec![
        lang.pick("policy", "策略"),
        lang.pick("T50 launch (h)", "启动覆盖 T50（小时）"),
        lang.pick("T90 (h)", "T90（小时）"),
        lang.pick("T95 (h)", "T95（小时）"),
        lang.pick("T99 (h)", "T99（小时）"),
        lang.pick("T95 session (h)", "会话覆盖 T95（小时）"),
        lang.pick("old launches after 24 h", "24 小时后旧版本启动数"),
        lang.pick("interruptions / 1k users", "每千用户被中断次数"),
        lang.pick("sync delay p95 (s)", "同步更新延迟 p95（秒）"),
        lang.pick("download peak", "下载峰值"),
    ];
    if has_incident {
        header.push(lang.pick("incident launches", "故障期间启动数"));
    }
    table.set_header(header);
    for policy in &result.policies {
        let s = &policy.summary;
        let delay =
            figure(s, "sync_delay_p95_s").map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
        let peak = figure(s, "peak_download_bytes_per_s")
            .map_or_else(|| "-".to_string(), |v| format!("{}/s", format_bytes(v)));
        let mut row = vec![
            policy.policy.clone(),
            hours(figure(s, "t50_launch_coverage_h"), lang),
            hours(figure(s, "t90_launch_coverage_h"), lang),
            hours(figure(s, "t95_launch_coverage_h"), lang),
            hours(figure(s, "t99_launch_coverage_h"), lang),
            hours(figure(s, "t95_session_coverage_h"), lang),
            figure(s, "old_launches_after_24h")
                .map_or_else(|| "-".to_string(), |v| format!("{v:.0}")),
            format!(
                "{:.1}",
                figure(s, "forced_restarts_per_1k_users").unwrap_or(0.0)
            ),
            delay,
            peak,
        ];
        if has_incident {
            let launches = figure(s, "incident_launches_total").unwrap_or(0.0);
            row.push(format!("{launches:.0}"));
        }
        table.add_row(row);
    }
    for index in 1..table.column_count() {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}
