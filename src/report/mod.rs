//! Charts and the release-planning report built from a run's results.
//!
//! `series` builds chart data (means and bands across replications),
//! `charts` turns it into labelled [`LineChart`]s, one function per chart
//! kind, and `render_*` draw them with the chart module. `report.html` is
//! filled from `templates/report.html`, so its markup stays out of this
//! code.

pub mod charts;
pub mod describe;
pub mod reading;
pub mod series;
pub mod table;

use anyhow::Context as _;
use askama::Template;

use crate::i18n::Lang;
use crate::output::chart::{render_png, render_svg, LineChart};
use crate::scenario::Scenario;
use crate::stats::aggregate::RunResult;

use charts::{Coverage, CHART_HEIGHT, CHART_WIDTH};
use describe::Section;
use table::ComparisonTable;

/// Width of `coverage.png` in pixels: larger than the SVG, so the raster
/// stays sharp when it is pasted into slides.
const PNG_WIDTH: u32 = 1440;
/// Height of `coverage.png` in pixels.
const PNG_HEIGHT: u32 = 780;

/// Renders the coverage chart files: `coverage.svg` and `coverage.png`
/// (launch coverage over time, one line and band per policy).
///
/// # Errors
/// Returns an error when the chart cannot be drawn.
pub fn render_charts(
    scenario: &Scenario,
    result: &RunResult,
    lang: Lang,
) -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
    let chart = charts::coverage(result, scenario, Coverage::Launch, lang);
    let svg = render_svg(&chart, CHART_WIDTH, CHART_HEIGHT).context("cannot draw coverage.svg")?;
    let png = render_png(&chart, PNG_WIDTH, PNG_HEIGHT).context("cannot draw coverage.png")?;
    Ok(vec![
        ("coverage.svg", svg.into_bytes()),
        ("coverage.png", png),
    ])
}

/// A chart in the report.
struct Figure {
    /// Anchor id, unique in the page.
    id: String,
    /// The SVG document, whose text is glyph outlines.
    svg: String,
    /// The caption under the chart.
    caption: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    zh: bool,
    lang_tag: &'a str,
    version: &'a str,
    title: String,
    scenario_name: &'a str,
    basis: String,
    scenario_sections: Vec<Section>,
    reading: Vec<String>,
    table: ComparisonTable,
    coverage_figures: Vec<Figure>,
    version_figures: Vec<Figure>,
    download_figures: Vec<Figure>,
    interruption_figures: Vec<Figure>,
    incident_figures: Vec<Figure>,
}

fn figure(id: String, chart: &LineChart, caption: String) -> anyhow::Result<Figure> {
    let svg = render_svg(chart, CHART_WIDTH, CHART_HEIGHT)
        .with_context(|| format!("cannot draw the chart {id} of report.html"))?;
    // The standalone document's XML declaration is not allowed inside HTML.
    let svg = match svg.find("<svg") {
        Some(start) => svg[start..].to_string(),
        None => svg,
    };
    Ok(Figure { id, svg, caption })
}

fn replications_caption(result: &RunResult, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "Lines: mean of {} replications; bands: 5th to 95th percentile across them.",
            result.replications
        ),
        Lang::ZhCn => format!(
            "曲线：{} 次重复的均值；色带：各次重复的第 5 至第 95 百分位数。",
            result.replications
        ),
    }
}

/// Renders `report.html`: one self-contained page with the scenario in
/// plain words, the key findings, the policy comparison, the charts and the
/// model's assumptions, in the report language.
///
/// # Errors
/// Returns an error when a chart cannot be drawn or the template fails.
pub fn render_report(
    scenario: &Scenario,
    result: &RunResult,
    lang: Lang,
) -> anyhow::Result<Vec<u8>> {
    let caption = replications_caption(result, lang);

    let mut coverage_figures = Vec::new();
    for measure in Coverage::ALL {
        let chart = charts::coverage(result, scenario, measure, lang);
        coverage_figures.push(figure(
            measure.metric().replace('_', "-"),
            &chart,
            caption.clone(),
        )?);
    }

    let mut version_figures = Vec::new();
    for index in 0..result.policies.len() {
        let chart = charts::version_shares(result, scenario, index, lang);
        version_figures.push(figure(
            format!("versions-{index}"),
            &chart,
            caption.clone(),
        )?);
    }

    let download_figures = vec![
        figure(
            "downloads".into(),
            &charts::downloads(result, scenario, lang),
            caption.clone(),
        )?,
        figure(
            "download-rate".into(),
            &charts::download_rate(result, scenario, lang),
            caption.clone(),
        )?,
    ];

    let mut interruption_figures = vec![figure(
        "forced-restarts".into(),
        &charts::forced_restarts(result, scenario, lang),
        caption.clone(),
    )?];
    if let Some(chart) = charts::prompts(result, scenario, lang) {
        interruption_figures.push(figure("prompts".into(), &chart, caption.clone())?);
    }

    let mut incident_figures = Vec::new();
    if let Some(chart) = charts::incident_launches(result, scenario, lang) {
        incident_figures.push(figure("incident-launches".into(), &chart, caption.clone())?);
    }

    let page = ReportPage {
        zh: lang == Lang::ZhCn,
        lang_tag: lang.tag(),
        version: env!("CARGO_PKG_VERSION"),
        title: match lang {
            Lang::En => format!("Release-planning report: {}", scenario.run.name),
            Lang::ZhCn => format!("版本发布规划报告：{}", scenario.run.name),
        },
        scenario_name: &scenario.run.name,
        basis: describe::basis(scenario, result, lang),
        scenario_sections: describe::describe(scenario, result, lang),
        reading: reading::reading(result, lang),
        table: table::comparison_table(result, lang),
        coverage_figures,
        version_figures,
        download_figures,
        interruption_figures,
        incident_figures,
    };
    let html = page.render().context("cannot fill the report template")?;
    Ok(html.into_bytes())
}
