//! Forecasts from early launch coverage: known parameters are recovered
//! from a simulated, noisy curve.

use rand::SeedableRng;
use rand_distr::{Binomial, Distribution};
use rand_pcg::Pcg64Mcg;
use rollout_sim::engine::runner::{self, RunOptions};
use rollout_sim::forecast::observed::ObservedPoint;
use rollout_sim::forecast::{forecast, forecast_until, ForecastError, ForecastOptions, Parameter};
use rollout_sim::model::population::LaunchSource;
use rollout_sim::scenario::{self, dist::DurationDist, Scenario, UpdateAction};
use rollout_sim::stats::aggregate;
use rollout_sim::stats::bins::Counter;
use rollout_sim::time::SimDuration;

const SCENARIO: &str = r#"
[run]
horizon = "2d"
sample_every = "1h"
seed = 3

[population]
users = 6000
start = "2026-12-07T10:00"

[[population.segment]]
name = "daily"
share = 0.5
launches_per_day = 8.0
session = { dist = "lognormal", median = "2m", p90 = "8m" }
keep_alive = { dist = "uniform", min = "5m", max = "30m" }

[[population.segment]]
name = "rare"
share = 0.5
launches_per_day = 0.7
session = { dist = "lognormal", median = "2m", p90 = "8m" }
keep_alive = { dist = "uniform", min = "5m", max = "30m" }

[client]
periodic_check_share = 0.9

[[release]]
version = "2.0.0"
at = "0h"

[[policy]]
name = "prompt"
on_update_ready = "prompt"
accept = 0.8
accept_critical = 0.9
"#;

/// Launches per observed hour in the test's telemetry: the binomial noise
/// added to each simulated hourly coverage.
const TELEMETRY_LAUNCHES: u64 = 1_500;

/// Simulates the "true" population, which has other parameters and other
/// users than the forecast's runs, and returns its hourly launch coverage
/// with binomial telemetry noise for the first `hours` hours, and its hours
/// to 95 % launch coverage.
fn observed_curve(truth: &Scenario, hours: usize) -> (Vec<ObservedPoint>, f64) {
    let output = runner::run(
        truth,
        &LaunchSource::Synthetic,
        &RunOptions {
            users: Some(20_000),
            replications: Some(1),
            seed: Some(991),
            ..RunOptions::default()
        },
        &|_, _| {},
    )
    .unwrap();
    let result = aggregate::aggregate(truth, &output);
    let t95 = result.policies[0]
        .summary
        .iter()
        .find(|(name, _)| name == "t95_launch_coverage_h")
        .and_then(|(_, value)| *value)
        .expect("the truth reaches 95 %");
    let bins = &output.bins[0][0];
    let newest = bins.counter(Counter::LaunchesNewest);
    let launches = bins.counter(Counter::Launches);
    let mut rng = Pcg64Mcg::seed_from_u64(5);
    let points = (0..hours)
        .map(|hour| {
            let share = newest[hour] as f64 / launches[hour] as f64;
            let noisy = Binomial::new(TELEMETRY_LAUNCHES, share)
                .unwrap()
                .sample(&mut rng) as f64
                / TELEMETRY_LAUNCHES as f64;
            ObservedPoint {
                time_h: (hour + 1) as f64,
                launch_coverage: noisy,
                line: hour as u64 + 2,
            }
        })
        .collect();
    (points, t95)
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

#[test]
fn forecast_recovers_known_parameters() {
    let scenario = scenario::parse(SCENARIO, "forecast.toml", None).unwrap();
    let mut truth = scenario.clone();
    truth.client.periodic_check_share = 0.4;
    truth.policies[0].action = UpdateAction::Prompt {
        accept: 0.3,
        accept_critical: 0.9,
    };
    // Twice the scenario's keep-alive: a scale of 2.
    for segment in &mut truth.population.segments {
        segment.keep_alive = DurationDist::Uniform {
            min: SimDuration::from_minutes(10),
            max: SimDuration::from_minutes(60),
        };
    }
    let (points, true_t95) = observed_curve(&truth, 24);
    let result = forecast(
        &scenario,
        &points,
        &ForecastOptions {
            policy: 0,
            users: 8_000,
            draws: 8,
            seed: 3,
            threads: 0,
            max_evaluations: 150,
        },
    )
    .unwrap();
    let estimate = |parameter: Parameter| {
        result
            .parameters
            .iter()
            .find(|p| p.parameter == parameter)
            .copied()
            .unwrap()
    };
    let share = estimate(Parameter::PeriodicCheckShare);
    let accept = estimate(Parameter::PromptAccept);
    let scale = estimate(Parameter::KeepAliveScale);

    // Each true value lies within 4 standard errors of the estimate on the
    // search scale (logit for shares, log for the scale). The Gauss–Newton
    // errors include the telemetry noise of 1,500 launches per hour, but
    // not all of the difference between the observed population and the
    // forecast's simulated one, hence 4 rather than 3.
    let within = |estimate: f64, truth: f64, error: f64| (estimate - truth).abs() <= 4.0 * error;
    assert!(
        within(
            logit(share.estimate),
            logit(0.4),
            share.search_standard_error
        ),
        "{share:?}"
    );
    assert!(
        within(
            logit(accept.estimate),
            logit(0.3),
            accept.search_standard_error
        ),
        "{accept:?}"
    );
    assert!(
        within(scale.estimate.ln(), 2f64.ln(), scale.search_standard_error),
        "{scale:?}"
    );
    // The errors are small enough to say something: a share known to
    // within about ±0.1 and a scale to within about ±35 %.
    assert!(share.search_standard_error < 0.5, "{share:?}");
    assert!(scale.search_standard_error < 0.3, "{scale:?}");

    // The forecast time to 95 % is within 2 hourly bins of the truth's.
    let t95 = result
        .reach
        .iter()
        .find(|r| r.threshold == 95)
        .and_then(|r| r.estimate)
        .expect("the forecast reaches 95 %");
    assert!(
        (t95 - true_t95).abs() <= 2.0,
        "forecast {t95} h, truth {true_t95} h"
    );
    assert!(result.rmse < 0.02, "rmse {}", result.rmse);
}

#[test]
fn set_cancel_flag_stops_forecast() {
    let scenario = scenario::parse(SCENARIO, "forecast.toml", None).unwrap();
    let (points, _) = observed_curve(&scenario, 6);
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let result = forecast_until(
        &scenario,
        &points,
        &ForecastOptions {
            policy: 0,
            users: 2_000,
            draws: 2,
            seed: 3,
            threads: 1,
            max_evaluations: 12,
        },
        &cancel,
    );
    assert!(
        matches!(result, Err(ForecastError::Cancelled)),
        "{:?}",
        result.map(|forecast| forecast.rmse)
    );
}
