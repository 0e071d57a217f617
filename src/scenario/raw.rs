//! The scenario file as written: every table and key the schema accepts,
//! with source spans so validation can point at the line of a bad value.
//!
//! Values whose meaning depends on a unit (durations, sizes, rates,
//! distributions) stay raw here; `build` parses them with messages of its own.

use serde::Deserialize;
use toml::Spanned;

/// A spanned raw TOML value.
pub type RawValue = Spanned<toml::Value>;

/// The whole file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub run: Option<RawRun>,
    pub population: Option<RawPopulation>,
    pub client: Option<RawClient>,
    pub console: Option<RawConsole>,
    pub network: Option<Vec<RawNetwork>>,
    pub release: Option<Vec<RawRelease>>,
    pub incident: Option<Vec<RawIncident>>,
    pub policy: Option<Vec<RawPolicy>>,
    pub host: Option<Vec<RawHost>>,
    pub outage: Option<Vec<RawOutage>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    pub name: Option<Spanned<String>>,
    pub horizon: Option<RawValue>,
    pub sample_every: Option<RawValue>,
    pub replications: Option<Spanned<i64>>,
    pub seed: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    pub users: Option<Spanned<i64>>,
    pub baseline_version: Option<Spanned<String>>,
    pub new_users_per_day: Option<Spanned<f64>>,
    pub timezone: Option<Spanned<String>>,
    pub start: Option<Spanned<String>>,
    pub daily_profile: Option<Spanned<Vec<f64>>>,
    pub trace: Option<Spanned<String>>,
    pub trace_start: Option<Spanned<String>>,
    pub trace_apps: Option<Spanned<Vec<String>>>,
    pub trace_exclude_apps: Option<Spanned<Vec<String>>>,
    pub trace_merge_gap: Option<RawValue>,
    pub segment: Option<Vec<RawSegment>>,
    pub stale_first_launch_share: Option<Spanned<f64>>,
    pub stale_first_launch_version: Option<Spanned<String>>,
    pub stale_first_launch_age: Option<RawValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSegment {
    pub name: Spanned<String>,
    pub share: Spanned<f64>,
    pub launches_per_day: Option<Spanned<f64>>,
    pub session: Option<RawValue>,
    pub keep_alive: Option<RawValue>,
    pub brief_backgrounds_per_hour: Option<Spanned<f64>>,
    pub brief_background: Option<RawValue>,
    pub burst: Option<RawBurst>,
}

/// `burst = { mean_visits = 2.5, gap = ... }` of a segment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBurst {
    pub mean_visits: Spanned<f64>,
    pub gap: RawValue,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    pub platform: Option<Spanned<String>>,
    pub periodic_check_share: Option<Spanned<f64>>,
    pub periodic_check_interval: Option<RawValue>,
    pub update_manager_share: Option<Spanned<f64>>,
    pub check_latency: Option<RawValue>,
    pub recently_used: Option<RawValue>,
    pub long_unused: Option<RawValue>,
    pub sync_timeout: Option<RawValue>,
    pub check_on_hot_start: Option<Spanned<bool>>,
    pub async_check_min_interval: Option<RawValue>,
    pub sync_failure: Option<Spanned<String>>,
    pub continue_after_timeout: Option<Spanned<bool>>,
    pub keep_alive: Option<RawValue>,
    pub phased_auto_complete: Option<RawValue>,
    pub minimum_required_attempts: Option<Spanned<i64>>,
    pub rollback_sync: Option<Spanned<bool>>,
    pub sync_check_on_cold_start: Option<Spanned<bool>>,
    pub skipped_critical: Option<Spanned<String>>,
    pub on_device_rollback: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConsole {
    pub prefer_local_version: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub name: Spanned<String>,
    pub share: Spanned<f64>,
    pub bandwidth: RawValue,
    pub failure: Option<Spanned<f64>>,
    pub jitter: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRelease {
    pub version: Option<Spanned<String>>,
    pub at: RawValue,
    pub size: Option<RawValue>,
    pub critical: Option<Spanned<bool>>,
    pub minimum_required: Option<Spanned<bool>>,
    pub rollout: Option<Spanned<Vec<RawRolloutStep>>>,
    pub pause: Option<Vec<RawPause>>,
    pub revert_at: Option<RawValue>,
    pub rollback_to: Option<Spanned<String>>,
    pub start_failure: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRolloutStep {
    pub at: RawValue,
    pub percent: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPause {
    pub from: RawValue,
    pub until: RawValue,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIncident {
    pub name: Option<Spanned<String>>,
    pub versions: Spanned<Vec<Spanned<String>>>,
    pub from: RawValue,
    pub until: Option<RawValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub name: Spanned<String>,
    pub on_update_ready: Option<Spanned<String>>,
    pub accept: Option<Spanned<f64>>,
    pub accept_critical: Option<Spanned<f64>>,
    pub min_background: Option<RawValue>,
    pub minimum_required: Option<Spanned<String>>,
    pub since_version: Option<Spanned<String>>,
    pub foreground_check_every: Option<RawValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHost {
    pub name: Spanned<String>,
    pub share: Spanned<f64>,
    pub periodic_check_share: Option<Spanned<f64>>,
    pub update_manager_share: Option<Spanned<f64>>,
    pub apply_update_restarts: Option<Spanned<bool>>,
    pub update_ready_callback: Option<Spanned<String>>,
    pub keep_alive: Option<RawValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutage {
    pub name: Option<Spanned<String>>,
    pub from: RawValue,
    pub until: Option<RawValue>,
    pub affects: Spanned<String>,
    pub failure: Option<Spanned<f64>>,
}

/// Parses the text into the raw schema, returning the serde error, its key
/// path and its byte span on failure.
pub fn parse_raw(text: &str) -> Result<RawScenario, (toml::de::Error, String)> {
    let deserializer = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        (error.into_inner(), path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_reports_path_and_span() {
        let text = "[population]\nusers = 5\n\n[[population.segment]]\nname = \"a\"\nshare = 1.0\nshre = 2\n";
        let (error, path) = parse_raw(text).unwrap_err();
        assert_eq!(path, "population.segment[0].shre");
        let span = error.span().expect("span");
        assert_eq!(&text[span.clone()], "shre");
        assert!(
            error.message().contains("unknown field `shre`"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn spanned_values_keep_positions() {
        let text = "[run]\nhorizon = \"7d\"\nreplications = 3\n";
        let raw = parse_raw(text).unwrap();
        let run = raw.run.unwrap();
        let horizon = run.horizon.unwrap();
        assert_eq!(&text[horizon.span()], "\"7d\"");
        assert_eq!(*run.replications.unwrap().get_ref(), 3);
    }
}
