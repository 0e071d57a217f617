//! Charts and reports built from a run's results.

use crate::i18n::Lang;
use crate::scenario::Scenario;
use crate::stats::aggregate::RunResult;

/// Renders the coverage charts: `coverage.svg` and `coverage.png`.
pub fn render_charts(
    scenario: &Scenario,
    result: &RunResult,
    lang: Lang,
) -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
    let _ = (scenario, result, lang);
    // TODO: draw with the chart module once it is merged; until then no chart files are written.
    Ok(Vec::new())
}
