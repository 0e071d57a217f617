//! Output rows of the field mechanisms. Each metric appears only when the
//! scenario uses its mechanism, so a scenario without them writes the same
//! files as before they existed.
//!
//! Per-client results use the metric name with a `|client=<host name>`
//! suffix (`launch_coverage|client=desktop`, `t95_launch_coverage_h|client=desktop`)
//! rather than a new CSV column, so the fixed columns stay as they are.

use crate::engine::runner::RunOutput;
use crate::scenario::{Scenario, UpdateAction};
use crate::stats::aggregate::{self, mean_over, per_bin, PolicyResult, RunResult, Series};
use crate::stats::bins::{Bins, Counter, Total};

/// Timeseries metrics repeated per host client, in output order.
pub const CLIENT_SERIES: [&str; 17] = [
    "launch_coverage",
    "session_coverage",
    "installed_coverage",
    "active_user_coverage",
    "launches",
    "cold_starts",
    "hot_starts",
    "checks",
    "downloads_completed",
    "sync_updates",
    "prompts_shown",
    "prompts_accepted",
    "forced_restarts",
    "resume_restarts",
    "incident_launches",
    "incident_session_hours",
    "users",
];

/// Lists the count metrics of the field mechanisms that a scenario uses, as
/// (metric name, counter).
fn used_counters(scenario: &Scenario) -> Vec<(&'static str, Counter)> {
    let mut counters = Vec::new();
    if !scenario.outages.is_empty() {
        counters.push(("checks_failed", Counter::ChecksFailed));
    }
    if scenario.releases.iter().any(|r| r.start_failure > 0.0) {
        counters.push(("rollbacks", Counter::Rollbacks));
    }
    if scenario
        .policies
        .iter()
        .any(|p| matches!(p.action, UpdateAction::OnSuspend { .. }))
    {
        counters.push(("suspend_restarts", Counter::SuspendRestarts));
    }
    if scenario.hosts.iter().any(|h| !h.apply_update_restarts) {
        counters.push(("apply_update_ignored", Counter::ApplyIgnored));
    }
    if scenario
        .population
        .segments
        .iter()
        .any(|s| s.brief_background.is_some())
    {
        counters.push(("background_trips", Counter::BackgroundTrips));
    }
    if scenario.population.stale_first_launch.is_some() {
        counters.push(("stale_first_launches", Counter::StaleFirstLaunches));
    }
    counters
}

/// Per-bin counts of the field mechanisms the scenario uses.
pub fn series(scenario: &Scenario, reps: &[Bins]) -> Vec<Series> {
    used_counters(scenario)
        .into_iter()
        .map(|(name, counter)| Series {
            metric: name.into(),
            values: per_bin(reps, |b, i| Some(b.counter(counter)[i] as f64)),
        })
        .collect()
}

/// Whole-run figures of the field mechanisms the scenario uses: the mean
/// total per replication, and per 1,000 users for rollbacks and restarts.
pub fn summary(scenario: &Scenario, reps: &[Bins]) -> Vec<(String, Option<f64>)> {
    let mut summary = Vec::new();
    for (name, counter) in used_counters(scenario) {
        summary.push((
            format!("{name}_total"),
            Some(mean_over(reps, |b| b.counter_sum(counter) as f64)),
        ));
        if matches!(counter, Counter::Rollbacks | Counter::SuspendRestarts) {
            summary.push((
                format!("{name}_per_1k_users"),
                Some(mean_over(reps, |b| {
                    b.counter_sum(counter) as f64 * 1000.0 / b.total(Total::Users).max(1) as f64
                })),
            ));
        }
    }
    summary
}

/// Appends the `|client=<name>` rows of every host to each policy's series
/// and summary; does nothing without hosts.
pub fn append_clients(scenario: &Scenario, output: &RunOutput, result: &mut RunResult) {
    for (host, per_policy) in scenario.hosts.iter().zip(&output.clients) {
        let host_output = RunOutput {
            bins: per_policy.clone(),
            clients: Vec::new(),
            users: output.users,
            replications: output.replications,
            seed: output.seed,
            handled_events: 0,
        };
        let host_result = aggregate::aggregate(scenario, &host_output);
        let suffix = format!("|client={}", host.name);
        for (target, source) in result.policies.iter_mut().zip(host_result.policies) {
            append_client(target, source, &suffix);
        }
    }
}

fn append_client(target: &mut PolicyResult, source: PolicyResult, suffix: &str) {
    for series in source.series {
        if CLIENT_SERIES.contains(&series.metric.as_str()) {
            target.series.push(Series {
                metric: format!("{}{suffix}", series.metric),
                values: series.values,
            });
        }
    }
    for (name, value) in source.summary {
        target.summary.push((format!("{name}{suffix}"), value));
    }
}
