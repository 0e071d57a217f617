//! The validated scenario: every value parsed, checked and resolved against
//! the platform profile, ready for the model.

use crate::scenario::dist::DurationDist;
use crate::scenario::profile::{Platform, SyncFailure};
use crate::time::{SimDuration, SimTime};

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it came from, or `<built-in default>`.
    pub source: String,
    /// Run settings.
    pub run: RunSettings,
    /// Users and their launch behaviour.
    pub population: Population,
    /// The client behaviour.
    pub client: ClientConfig,
    /// Network types and their shares.
    pub networks: Vec<Network>,
    /// Distinct version strings: index 0 is the baseline, then in order of
    /// first publication. A package id is an index into this list.
    pub versions: Vec<String>,
    /// Publications in order; index 0 is the baseline full release at t < 0.
    pub releases: Vec<Release>,
    /// Faults that hit launches of some versions.
    pub incidents: Vec<Incident>,
    /// The policies to compare.
    pub policies: Vec<Policy>,
    /// Whether the file has no `[[policy]]` table, so `policies` holds only
    /// the platform's default policy.
    pub default_policy: bool,
    /// Effective values with where each came from, for `check`.
    pub settings: Vec<Setting>,
    /// The mix of host clients (`[[host]]`); empty when the scenario
    /// describes none, and then every client follows `[client]`.
    pub hosts: Vec<Host>,
    /// Server outages that fail checks or downloads for a while.
    pub outages: Vec<Outage>,
}

/// `[run]`.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// Shown in reports.
    pub name: String,
    /// Simulated time after t = 0; a whole number of `sample_every`.
    pub horizon: SimDuration,
    /// Width of the output time bins.
    pub sample_every: SimDuration,
    /// Monte Carlo replications.
    pub replications: u32,
    /// Master seed.
    pub seed: u64,
}

impl RunSettings {
    /// Number of output bins.
    pub fn bins(&self) -> usize {
        (self.horizon.0 / self.sample_every.0) as usize
    }
}

/// `[population]`.
#[derive(Clone, Debug)]
pub struct Population {
    /// Existing users at t = 0.
    pub users: u64,
    /// Version every existing user has cached at t = 0.
    pub baseline_version: String,
    /// Mean first-time users per day, arriving over the horizon.
    pub new_users_per_day: f64,
    /// Offset of local time from UTC, in minutes.
    pub utc_offset_minutes: i32,
    /// Local wall-clock time of t = 0, minutes since local midnight.
    pub start_minute_of_day: u32,
    /// Local date and time of t = 0 as written.
    pub start_text: String,
    /// Relative launch intensity per local hour, scaled to a mean of 1.
    pub daily_profile: [f64; 24],
    /// Segments; shares sum to 1.
    pub segments: Vec<Segment>,
    /// A launch trace that replaces the synthetic launch model.
    pub trace: Option<TraceSource>,
    /// New users whose first launch runs a stale package, if any.
    pub stale_first_launch: Option<StaleFirstLaunch>,
}

/// A group of users with the same behaviour.
#[derive(Clone, Debug)]
pub struct Segment {
    /// Name, shown in `check`.
    pub name: String,
    /// Share of users.
    pub share: f64,
    /// Mean launches per day while not in the foreground.
    pub launches_per_day: f64,
    /// Foreground time of one visit.
    pub session: DurationDist,
    /// Time in the background before the process is destroyed.
    pub keep_alive: DurationDist,
    /// Brief trips to the background inside a session, if any.
    pub brief_background: Option<BriefBackground>,
    /// Visits grouped into episodes of use; `None` is the plain Poisson
    /// launch process.
    pub burst: Option<Burst>,
}

/// Bursty launches: a Poisson process of use episodes, each a geometric
/// number of visits separated by short gaps.
///
/// With a burst model, `launches_per_day` still counts every visit, so
/// episodes start at `launches_per_day / mean_visits` per day, and only
/// while no episode is in progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Burst {
    /// Mean visits per episode, at least 1. An episode continues after each
    /// visit with probability `1 - 1 / mean_visits`.
    pub mean_visits: f64,
    /// Time from a visit's close to the next open within one episode.
    pub gap: DurationDist,
}

/// Source of trace launches.
#[derive(Clone, Debug)]
pub struct TraceSource {
    /// The CSV file, resolved against the scenario's folder.
    pub path: std::path::PathBuf,
    /// The path as written in the scenario.
    pub written: String,
    /// The trace instant that maps to t = 0, Unix milliseconds.
    pub start_unix_ms: i64,
    /// Apps to keep (all if empty).
    pub apps: Vec<String>,
    /// Apps to drop.
    pub exclude_apps: Vec<String>,
    /// Visits of the same pair at most this far apart are merged.
    pub merge_gap: SimDuration,
}

/// `[client]` after applying the platform profile.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The profile the defaults came from.
    pub platform: Platform,
    /// Share of clients that run the periodic check.
    pub periodic_check_share: f64,
    /// Interval of the periodic check.
    pub periodic_check_interval: SimDuration,
    /// Share of clients whose base library has `UpdateManager`.
    pub update_manager_share: f64,
    /// Round trip of an update check.
    pub check_latency: DurationDist,
    /// The periodic check covers mini-programs launched within this window.
    pub recently_used: SimDuration,
    /// A cold start after this long without a launch updates synchronously.
    pub long_unused: SimDuration,
    /// A synchronous update slower than this falls back.
    pub sync_timeout: SimDuration,
    /// Whether hot starts check for updates too.
    pub check_on_hot_start: bool,
    /// Minimum time between two asynchronous checks of one user.
    pub async_check_min_interval: SimDuration,
    /// Outcome of a failed or timed-out synchronous update.
    pub sync_failure: SyncFailure,
    /// Whether a timed-out synchronous download continues in the background.
    pub continue_after_timeout: bool,
    /// A phased release reaches 100 % on its own after this long.
    pub phased_auto_complete: SimDuration,
    /// Download attempts of a cold start below the minimum required version
    /// before the launch fails.
    pub minimum_required_attempts: u32,
    /// Whether a rollback publication makes the next cold start update
    /// synchronously.
    pub rollback_sync: bool,
    /// "Prefer local version": cold starts with at least this package id
    /// cached skip the periodic and long-unused synchronous updates.
    pub prefer_local_from: Option<usize>,
    /// Whether every cold start waits for an update check and download, up
    /// to `sync_timeout`, before opening the cached package.
    pub sync_check_on_cold_start: bool,
    /// Whether a critical release the user skipped makes a later update
    /// critical.
    pub skipped_critical: SkippedCritical,
    /// Whether a device rolls back a release that fails to start on it.
    pub on_device_rollback: bool,
}

/// A network type.
#[derive(Clone, Debug)]
pub struct Network {
    /// Name, shown in `check`.
    pub name: String,
    /// Share of users.
    pub share: f64,
    /// Median download bandwidth, bytes per second.
    pub bandwidth: f64,
    /// Probability that one download fails.
    pub failure: f64,
    /// Log-normal sigma of a download's time around size / bandwidth.
    pub jitter: f64,
}

/// One publication: a release, a hotfix, or a rollback to an older package.
#[derive(Clone, Debug)]
pub struct Release {
    /// The version string.
    pub version: String,
    /// Package id (index into `Scenario::versions`).
    pub package: usize,
    /// Publication time.
    pub at: SimTime,
    /// Package size in bytes.
    pub size: f64,
    /// Marked critical (for `force_critical` and `accept_critical`).
    pub critical: bool,
    /// Users below it must update before the app opens.
    pub minimum_required: bool,
    /// Rollout percentage over time: (absolute time, percent) steps in
    /// time order; empty means 100 % at `at`.
    pub rollout: Vec<(SimTime, f64)>,
    /// Intervals in which the percentage is frozen.
    pub pauses: Vec<(SimTime, SimTime)>,
    /// The phased release is cancelled at this time.
    pub revert_at: Option<SimTime>,
    /// This publication republishes an older package.
    pub is_rollback: bool,
    /// Share of devices on which this release fails to start.
    pub start_failure: f64,
}

impl Release {
    /// Returns whether the release is published inside a run of this
    /// `horizon`. A release at or after the horizon is invalid input: nothing
    /// of it would be simulated, which is almost always a unit mistake.
    pub fn published_within(&self, horizon: SimDuration) -> bool {
        self.at < SimTime::ZERO + horizon
    }

    /// Rollout percentage at time `t` (0 before publication or after a
    /// revert), including pauses and the automatic completion.
    pub fn percent_at(&self, t: SimTime, auto_complete: SimDuration) -> f64 {
        if t < self.at || self.revert_at.is_some_and(|r| t >= r) {
            return 0.0;
        }
        if self.rollout.is_empty() || t >= self.at + auto_complete {
            return 100.0;
        }
        // During a pause the percentage stays at its value when the pause began.
        let effective = self
            .pauses
            .iter()
            .find(|(from, until)| *from <= t && t < *until)
            .map_or(t, |(from, _)| *from);
        let mut percent = 0.0;
        for &(step_at, step_percent) in &self.rollout {
            if step_at <= effective {
                percent = step_percent;
            }
        }
        percent
    }
}

/// A fault hitting launches of some versions while it is on.
#[derive(Clone, Debug)]
pub struct Incident {
    /// Name, shown in reports.
    pub name: String,
    /// Affected package ids.
    pub packages: Vec<usize>,
    /// Start of the fault.
    pub from: SimTime,
    /// End of the fault (`SimTime::NEVER` if open-ended).
    pub until: SimTime,
}

/// The app's action in `onUpdateReady`.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdateAction {
    /// Nothing: the new version waits for the next cold start.
    None,
    /// A modal asks the user to restart.
    Prompt {
        /// Probability the user accepts.
        accept: f64,
        /// Probability the user accepts for a critical release.
        accept_critical: f64,
    },
    /// `applyUpdate()` at once.
    Force,
    /// Force for critical releases, otherwise nothing.
    ForceCritical,
    /// Apply at the next foreground after a minimum time in the background.
    OnResume {
        /// Minimum background time.
        min_background: SimDuration,
    },
    /// Apply while the app is in the background, once it has stayed there
    /// for a minimum time (CodePush `ON_NEXT_SUSPEND`).
    OnSuspend {
        /// Minimum background time.
        min_background: SimDuration,
    },
}

/// A named update policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Name, used in output files.
    pub name: String,
    /// Action of `onUpdateReady`.
    pub action: UpdateAction,
    /// Publication this policy also makes the minimum required version,
    /// from its publication on (a console setting compared like a policy).
    pub minimum_required: Option<usize>,
    /// The update handler ships in this package and later ones; a user who
    /// runs an older package behaves as `none`. 0 (the baseline) means every
    /// version has it.
    pub since_package: usize,
    /// Interval of an in-app update check while the app is in the
    /// foreground, if the app has one.
    pub foreground_check_every: Option<SimDuration>,
}

/// An effective value and its origin, for `check`.
#[derive(Clone, Debug)]
pub struct Setting {
    /// Dotted key.
    pub key: String,
    /// Value as text.
    pub value: String,
    /// Origin.
    pub origin: Origin,
}

/// Origin of an effective value.
#[derive(Clone, Debug)]
pub enum Origin {
    /// Set in the scenario file at this line.
    File(usize),
    /// A platform profile default, with its source in both languages.
    Profile(&'static str, (&'static str, &'static str)),
    /// A built-in default.
    Builtin,
}

/// A host client: a phone or desktop build of the super-app, or another
/// super-app, with its own update capabilities.
#[derive(Clone, Debug)]
pub struct Host {
    /// Name, used in `client=<name>` output rows.
    pub name: String,
    /// Share of users.
    pub share: f64,
    /// Share of this host's clients that run the periodic check.
    pub periodic_check_share: f64,
    /// Share of this host's clients whose base library has `UpdateManager`.
    pub update_manager_share: f64,
    /// Whether `applyUpdate()` restarts the app; when false the call does
    /// nothing and the new version waits for the next cold start.
    pub apply_update_restarts: bool,
    /// How often `onUpdateReady` fires for one downloaded version.
    pub update_ready_callback: UpdateReadyCallback,
    /// Keep-alive of this host, replacing the segment's; `None` keeps it.
    pub keep_alive: Option<DurationDist>,
}

/// How often a host fires `onUpdateReady` for one downloaded version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateReadyCallback {
    /// Once, when the download completes (or at the next foreground).
    Once,
    /// Never: the app's handler does not run.
    Never,
    /// Once, and again at every later resume while the downloaded version
    /// is not running.
    Repeat,
}

/// A server outage: checks, downloads or both fail with a probability
/// between two instants.
#[derive(Clone, Debug)]
pub struct Outage {
    /// Name, shown in `check`.
    pub name: String,
    /// Start of the outage.
    pub from: SimTime,
    /// End of the outage (`SimTime::NEVER` if open-ended).
    pub until: SimTime,
    /// Whether update checks fail.
    pub checks: bool,
    /// Whether downloads fail.
    pub downloads: bool,
    /// Probability that one request started during the outage fails.
    pub failure: f64,
}

/// New users whose first launch runs a stale package: the host prefetched
/// it earlier, or an app store binary embeds an older bundle.
#[derive(Clone, Debug)]
pub struct StaleFirstLaunch {
    /// Share of new users.
    pub share: f64,
    /// Source of the package they start from.
    pub source: StaleSource,
}

/// The package a stale first launch runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaleSource {
    /// A fixed package id (a bundle embedded in the store binary).
    Package(usize),
    /// The package the user's rollout bucket was offered this long before
    /// the first launch (a prefetch).
    Age(SimDuration),
}

/// Brief trips to the background inside one session (a system dialog, a
/// payment page): the app is hidden and shown again without a new launch.
#[derive(Clone, Debug)]
pub struct BriefBackground {
    /// Mean number per hour of foreground time (a Poisson process).
    pub per_hour: f64,
    /// Time spent in the background each time.
    pub duration: DurationDist,
}

/// Whether a critical release that a user skipped makes a later update
/// critical for that user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkippedCritical {
    /// Each update carries its own release's flag only.
    Ignore,
    /// An update is critical when it or any release published between the
    /// user's cached version and it is critical (the CodePush server rule).
    Inherit,
}

impl SkippedCritical {
    /// Returns the name as a scenario writes it.
    pub fn name(self) -> &'static str {
        match self {
            SkippedCritical::Ignore => "ignore",
            SkippedCritical::Inherit => "inherit",
        }
    }
}
