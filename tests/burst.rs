//! The optional `burst` key of a population segment: parsing, validation
//! messages, and that a scenario without it keeps the Poisson model.

use rollout_sim::i18n::Lang;
use rollout_sim::scenario::{self, dist::DurationDist, Burst};
use rollout_sim::time::SimDuration;

fn scenario_with_segment(segment_extra: &str) -> String {
    format!(
        "[[population.segment]]\nname = \"daily\"\nshare = 1.0\nlaunches_per_day = 4.0\n{segment_extra}\n\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n\n[[policy]]\nname = \"none\"\non_update_ready = \"none\"\n"
    )
}

#[test]
fn burst_key_parses() {
    let text = scenario_with_segment(
        "burst = { mean_visits = 2.5, gap = { dist = \"lognormal\", median = \"40s\", p90 = \"5m\" } }",
    );
    let scenario = scenario::parse(&text, "burst.toml", None).expect("valid scenario");
    let burst = scenario.population.segments[0].burst.as_ref();
    assert_eq!(
        burst,
        Some(&Burst {
            mean_visits: 2.5,
            gap: DurationDist::LogNormal {
                median: SimDuration(40_000),
                p90: SimDuration(300_000),
            },
        })
    );
}

#[test]
fn burst_absent_means_poisson() {
    let scenario = scenario::parse(&scenario_with_segment(""), "plain.toml", None).unwrap();
    assert_eq!(scenario.population.segments[0].burst, None);
    assert!(scenario::builtin_default()
        .population
        .segments
        .iter()
        .all(|segment| segment.burst.is_none()));
}

#[test]
fn burst_mean_visits_below_one_rejected() {
    let text = scenario_with_segment("burst = { mean_visits = 0.5, gap = \"30s\" }");
    let error = scenario::parse(&text, "burst.toml", None).unwrap_err();
    assert_eq!(error.key, "population.segment[0].burst.mean_visits");
    assert_eq!(error.line, Some(5));
    assert_eq!(error.value.as_deref(), Some("0.5"));
    let message = error.render(Lang::En);
    assert!(message.contains("must be from 1 to 1000"), "{message}");
    assert!(message.contains("such as 2.5"), "{message}");
}

#[test]
fn burst_unknown_key_rejected() {
    let text = scenario_with_segment("burst = { mean_visit = 2.0, gap = \"30s\" }");
    let error = scenario::parse(&text, "burst.toml", None).unwrap_err();
    let message = error.render(Lang::En);
    assert!(message.contains("mean_visit"), "{message}");
    assert!(message.contains("mean_visits"), "{message}");
}

#[test]
fn burst_gap_checked_as_distribution() {
    let text = scenario_with_segment("burst = { mean_visits = 2.0, gap = \"30 seconds\" }");
    let error = scenario::parse(&text, "burst.toml", None).unwrap_err();
    assert_eq!(error.key, "population.segment[0].burst.gap");
}
