//! Calibration from launch traces: parameters are recovered from synthetic
//! traces drawn from known scenarios, and scenarios calibrated from the
//! shipped Android trace reproduce its launch statistics.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use rollout_sim::calibrate::sample::{samples_from_trace, PairSample};
use rollout_sim::calibrate::scenario_text::{scenario_text, Provenance};
use rollout_sim::calibrate::validate::{
    simulate_samples, validate, validate_until, ValidationOptions, Window,
};
use rollout_sim::calibrate::{
    calibrate, calibrate_until, CalibrateError, CalibrateOptions, Calibration, LaunchFamily,
    DEFAULT_MAX_SEGMENTS,
};
use rollout_sim::i18n::Lang;
use rollout_sim::scenario::{self, Scenario};
use rollout_sim::time::MS_PER_DAY;
use rollout_sim::trace::{read_trace, TraceOptions};

const TRACE: &str = "data/android-app-usage-2021/app_events.csv";
const BERLIN_WINTER_MS: i64 = 3_600_000;

fn real_samples() -> Vec<PairSample> {
    let options = TraceOptions {
        merge_gap_ms: 1_000,
        ..TraceOptions::default()
    };
    let trace = read_trace(Path::new(TRACE), &options).expect("shipped trace parses");
    samples_from_trace(&trace, &trace, BERLIN_WINTER_MS)
}

fn options(max_segments: usize, utc_offset_ms: i64) -> CalibrateOptions {
    CalibrateOptions {
        max_segments,
        merge_gap_ms: 1_000,
        utc_offset_ms,
    }
}

fn write_scenario(calibration: &Calibration) -> Scenario {
    let text = scenario_text(
        calibration,
        &Provenance {
            trace: "test.csv",
            apps: None,
            excluded_apps: 0,
            template_name: scenario::DEFAULT_SCENARIO_NAME,
            template_text: scenario::DEFAULT_SCENARIO,
            report_dir: None,
        },
        Lang::En,
    )
    .expect("the built-in template is valid TOML");
    scenario::parse(&text, "calibrated.toml", None).expect("the calibrated scenario is valid")
}

fn assert_validation_passes(
    scenario: &Scenario,
    samples: &[PairSample],
    calibration_stats: &rollout_sim::calibrate::sample::LaunchStatistics,
) {
    let validation = validate(
        scenario,
        samples,
        calibration_stats,
        &ValidationOptions {
            copies: 10,
            replications: 2,
            seed: 7,
            merge_gap_ms: 1_000,
        },
    );
    for comparison in &validation.comparisons {
        assert!(
            comparison.passed(),
            "{:?}: trace {:?}, simulated {:?}, tolerance {}",
            comparison.statistic,
            comparison.trace,
            comparison.simulated,
            comparison.tolerance
        );
    }
}

#[test]
fn shipped_scenario_reproduces_trace() {
    // The tolerances are z standard errors of the difference between the
    // trace's and the simulation's ratio estimates (z = 3 for launches per
    // day and the 5 and 30 minute re-open shares, 3.5 for each hour), so a
    // correct model fails with a probability of about 1 %.
    let samples = real_samples();
    let stats = rollout_sim::calibrate::sample::LaunchStatistics::from_samples(&samples);
    let shipped = scenario::load(Path::new("scenarios/calibrated-android-2021.toml"))
        .expect("the shipped calibrated scenario is valid");
    assert!(shipped
        .population
        .segments
        .iter()
        .all(|segment| segment.burst.is_some()));
    assert_validation_passes(&shipped, &samples, &stats);
}

#[test]
fn real_trace_prefers_bursty_launches() {
    let samples = real_samples();
    let calibration =
        calibrate(&samples, &options(DEFAULT_MAX_SEGMENTS, BERLIN_WINTER_MS)).unwrap();
    assert_eq!(calibration.chosen.family, LaunchFamily::Bursty);
    // The BIC has a minimum below the largest number of segments tried, so
    // the criterion and not the limit chose the number.
    assert!(calibration.segments.len() < DEFAULT_MAX_SEGMENTS);
    let best_poisson = calibration
        .candidates
        .iter()
        .filter(|c| c.family == LaunchFamily::Poisson)
        .map(|c| c.bic)
        .fold(f64::INFINITY, f64::min);
    // A BIC difference above 10 is conventionally "very strong" evidence;
    // on this trace it is in the thousands.
    assert!(best_poisson - calibration.chosen.bic() > 10.0);
    let stats = calibration.statistics.clone();
    assert!((stats.reopen_within_5m.value - 0.491).abs() < 0.001);
    assert_validation_passes(&write_scenario(&calibration), &samples, &stats);
}

#[test]
fn set_cancel_flag_stops_calibration() {
    let samples = real_samples();
    let cancel = AtomicBool::new(true);
    let error = calibrate_until(&samples, &options(2, BERLIN_WINTER_MS), &cancel).unwrap_err();
    assert_eq!(error, CalibrateError::Cancelled);

    let calibration = calibrate(&samples, &options(1, BERLIN_WINTER_MS)).unwrap();
    let validation = validate_until(
        &write_scenario(&calibration),
        &samples,
        &calibration.statistics,
        &ValidationOptions {
            copies: 1,
            replications: 1,
            seed: 7,
            merge_gap_ms: 1_000,
        },
        &cancel,
    );
    assert!(validation.is_err(), "the validation ran despite the flag");
}

/// Builds a scenario with a day-night profile and the given segments.
fn synthetic_scenario(segments: &str) -> Scenario {
    let text = format!(
        "[population]\ntimezone = \"+08:00\"\nstart = \"2026-12-07T00:00\"\n\
         daily_profile = [0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.2, 1.4, 1.4, 1.3, 1.4,\n\
         1.6, 1.4, 1.2, 1.2, 1.3, 1.4, 1.5, 1.7, 1.8, 1.6, 1.1, 0.6]\n\
         {segments}\n[[release]]\nversion = \"2.0.0\"\nat = \"0h\"\n\n\
         [[policy]]\nname = \"none\"\non_update_ready = \"none\"\n"
    );
    scenario::parse(&text, "synthetic.toml", None).expect("synthetic scenario is valid")
}

/// Draws a synthetic trace of `pairs` users observed for `days` days from
/// local midnight.
fn synthetic_samples(scenario: &Scenario, pairs: usize, days: i64) -> Vec<PairSample> {
    let windows = vec![
        Window {
            start_local_ms: 0,
            length_ms: days * MS_PER_DAY,
        };
        pairs
    ];
    simulate_samples(scenario, &windows, 1, 0, 42, 1_000)
}

fn relative_error(estimate: f64, truth: f64) -> f64 {
    (estimate / truth - 1.0).abs()
}

#[test]
fn synthetic_bursty_parameters_recovered() {
    let scenario = synthetic_scenario(
        "[[population.segment]]\nname = \"heavy\"\nshare = 0.3\nlaunches_per_day = 12.0\n\
         session = { dist = \"lognormal\", median = \"30s\", p90 = \"3m\" }\n\
         burst = { mean_visits = 3.0, gap = { dist = \"lognormal\", median = \"40s\", p90 = \"5m\" } }\n\n\
         [[population.segment]]\nname = \"light\"\nshare = 0.7\nlaunches_per_day = 1.5\n\
         session = { dist = \"lognormal\", median = \"60s\", p90 = \"6m\" }\n\
         burst = { mean_visits = 1.5, gap = { dist = \"lognormal\", median = \"60s\", p90 = \"10m\" } }\n",
    );
    let samples = synthetic_samples(&scenario, 300, 14);
    let calibration = calibrate(&samples, &options(3, 8 * 3_600_000)).unwrap();
    assert_eq!(calibration.chosen.family, LaunchFamily::Bursty);
    assert_eq!(calibration.segments.len(), 2);
    let heavy = &calibration.segments[0];
    let light = &calibration.segments[1];

    // Shares: with 14 days per pair the segments separate almost surely,
    // so the share's standard error is sqrt(0.3 × 0.7 / 300) = 0.026; the
    // tolerance is about 4 of them.
    assert!(
        (heavy.share - 0.3).abs() < 0.1,
        "heavy share {}",
        heavy.share
    );

    // Rates: about 5,000 heavy and 2,900 light episodes give relative
    // standard errors of 1.4 % and 1.9 %; the tolerances allow 4 of them
    // plus the error of the estimated profile.
    assert!(
        relative_error(heavy.launches_per_day, 12.0) < 0.08,
        "{}",
        heavy.launches_per_day
    );
    assert!(
        relative_error(light.launches_per_day, 1.5) < 0.1,
        "{}",
        light.launches_per_day
    );

    // Bursts: the heavy segment's continue probability 2/3 rests on about
    // 15,000 gaps, a standard error of 0.004 or 0.036 visits per episode.
    // The light segment's rests on about 4,000 gaps of which a third
    // continue, and its gaps overlap more with the exponential part.
    let heavy_burst = heavy.burst.expect("bursty segment");
    let light_burst = light.burst.expect("bursty segment");
    assert!(
        relative_error(heavy_burst.mean_visits, 3.0) < 0.08,
        "{heavy_burst:?}"
    );
    assert!(
        relative_error(light_burst.mean_visits, 1.5) < 0.1,
        "{light_burst:?}"
    );
    // The heavy log gap has sigma 1.57 over about 10,000 gaps: the median's
    // log standard error is 0.016, and the p90 adds sigma's error.
    assert!(
        relative_error(heavy_burst.gap.median_s(), 40.0) < 0.1,
        "{heavy_burst:?}"
    );
    assert!(
        relative_error(heavy_burst.gap.p90_s(), 300.0) < 0.15,
        "{heavy_burst:?}"
    );

    // Sessions: 15,000 heavy visits with sigma 1.4 give a log standard
    // error of 0.011 for the median.
    let heavy_session = heavy.session.distribution;
    assert!(
        relative_error(heavy_session.median_s(), 30.0) < 0.05,
        "{heavy_session:?}"
    );
    assert!(
        relative_error(heavy_session.p90_s(), 180.0) < 0.08,
        "{heavy_session:?}"
    );
    let light_session = light.session.distribution;
    assert!(
        relative_error(light_session.median_s(), 60.0) < 0.08,
        "{light_session:?}"
    );

    // Profile: about 330 episode starts per hour on average give a relative
    // standard error near 5.5 %, so a mean absolute error of about 0.045;
    // the tolerance is about twice that.
    let truth = scenario.population.daily_profile;
    let error: f64 = calibration
        .daily_profile
        .iter()
        .zip(truth)
        .map(|(fitted, true_value)| (fitted - true_value).abs())
        .sum::<f64>()
        / 24.0;
    assert!(error < 0.1, "profile mean absolute error {error}");

    let stats = calibration.statistics.clone();
    assert_validation_passes(&write_scenario(&calibration), &samples, &stats);
}

#[test]
fn synthetic_poisson_trace_stays_poisson() {
    let scenario = synthetic_scenario(
        "[[population.segment]]\nname = \"all\"\nshare = 1.0\nlaunches_per_day = 5.0\n\
         session = { dist = \"lognormal\", median = \"30s\", p90 = \"3m\" }\n",
    );
    let samples = synthetic_samples(&scenario, 200, 10);
    let calibration = calibrate(&samples, &options(2, 8 * 3_600_000)).unwrap();
    assert_eq!(calibration.chosen.family, LaunchFamily::Poisson);
    assert_eq!(calibration.segments.len(), 1);
    assert!(calibration.segments[0].burst.is_none());
    // 10,000 visits: relative standard error 1 %; tolerance 4 of them.
    let rate = calibration.segments[0].launches_per_day;
    assert!(relative_error(rate, 5.0) < 0.04, "rate {rate}");
}
