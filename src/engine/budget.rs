//! Resource estimates made before a run starts, so that a run too large for
//! the machine is rejected with a message instead of being killed by the
//! kernel's out-of-memory killer.
//!
//! Users are simulated one at a time, so memory does not grow with the
//! population. It grows with policies × replications × time bins ×
//! (counters and versions), once more per `[[host]]` client, plus
//! per-thread buffers that grow with the visits of the busiest user,
//! the new-user arrival times and a replayed trace. [`estimate_memory`]
//! adds these parts up from the same sizes the runner allocates. The
//! estimate is meant as an upper bound of the peak, so it rounds every part
//! up and adds a fixed base. Measured with `/usr/bin/time -v` (release
//! build, 2 threads), the built-in scenario is estimated at 103 MB and
//! peaks at 34 MB resident. The same scenario over 100 days, at 10,000
//! launches a day per user, is estimated at 529 MB and peaks at 120 MB.

use std::path::Path;

use crate::model::background_trips::BackgroundTrip;
use crate::model::launches::Visit;
use crate::model::user::TRAIL_BYTES_PER_VISIT;
use crate::scenario::{Scenario, Segment};
use crate::stats::bins::{COUNTERS, GAUGES};
use crate::time::MS_PER_DAY;

/// Memory limit used when neither `--memory-limit` nor the system gives
/// one: 4 GB, which fits the built-in scenario many times over and a
/// typical laptop.
pub const DEFAULT_MEMORY_LIMIT: u64 = 4_000_000_000;

/// Curves per policy besides the per-version shares: 4 coverages, 20
/// counts, incident session hours, download rate, users and active users.
/// A test compares it with what `stats::aggregate` produces.
pub const SERIES_PER_POLICY: u64 = 28;

/// Largest number of buckets of the sync-delay histogram: the bucket of
/// `u64::MAX` milliseconds in `stats::histogram` is 4479.
const HISTOGRAM_BUCKETS: u64 = 4480;

/// Memory of the program itself, the font and the chart rasters. The
/// built-in scenario at 100,000 users and 4 replications peaks at about
/// 17 MB resident (release build, measured with `/usr/bin/time -v`).
const BASE_BYTES: u64 = 64_000_000;

/// Fold accumulators alive per worker thread while rayon splits and joins
/// the chunks of one replication (an estimate: rayon keeps one per split
/// on each thread's stack, and joins them pairwise).
const ACCUMULATORS_PER_THREAD: u64 = 4;

/// Bytes of one `Option<BandValue>` of a curve: three `f64` and the tag.
const BAND_BYTES: u64 = 32;

/// Bytes of one row of `timeseries.csv` besides the policy name: the
/// metric name and three numbers, rounded up.
const CSV_ROW_BYTES: u64 = 100;

/// Bytes per visit of a user's buffers: the visit and the lead policy's
/// trail for it, twice over because a `Vec` doubles its capacity.
const VISIT_BYTES: u64 = 2 * (std::mem::size_of::<Visit>() + TRAIL_BYTES_PER_VISIT) as u64;

/// Bytes per background trip of a user, twice over for the same reason.
const TRIP_BYTES: u64 = 2 * std::mem::size_of::<BackgroundTrip>() as u64;

/// Bytes of a user's buffers that do not grow with its visits: the event
/// queue's few pending entries and the policies' takeover points, rounded
/// up generously.
const USER_FIXED_BYTES: u64 = 64 * 1024;

/// Standard deviations above the mean at which a user's visit count is
/// taken as the maximum over the users of a run. Over 10^9 users a normal count
/// passes 7 with probability about 1e-3; the counts' skew is covered by the
/// margin of [`Moments::likely_max`].
const VISIT_SIGMAS: f64 = 7.0;

/// Launches above which [`estimate_launches`] counts as a long run. At about
/// 3 million launches per second (release build, built-in scenario, 2-core
/// machine), this is about 9 hours.
pub const LONG_RUN_LAUNCHES: f64 = 1e11;

/// One part of a memory estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryPart {
    /// Per-bin counters of every (policy, replication).
    Counters,
    /// Partial counters and user buffers of the worker threads.
    ThreadBuffers,
    /// Curves across replications, per policy.
    Curves,
    /// The text of `timeseries.csv` before it is written.
    OutputFiles,
    /// Arrival times of new users, for every replication.
    NewUsers,
    /// A replayed launch trace.
    Trace,
    /// The trace `calibrate` reads, and the samples and gaps fitted from it.
    CalibrationTrace,
    /// The simulated visits and statistics of `calibrate`'s validation.
    Validation,
    /// The curves of `forecast`'s parameter draws and its output rows.
    ForecastCurves,
    /// The program, its font and the charts.
    Base,
}

/// A memory estimate in bytes, by part.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEstimate {
    /// Parts in a fixed order, each in bytes.
    pub parts: Vec<(MemoryPart, u64)>,
}

impl MemoryEstimate {
    /// Returns the sum of all parts, in bytes.
    pub fn total(&self) -> u64 {
        self.parts
            .iter()
            .fold(0u64, |sum, (_, bytes)| sum.saturating_add(*bytes))
    }

    /// Returns the largest part, which is what a fix should shrink.
    pub fn largest(&self) -> (MemoryPart, u64) {
        self.parts
            .iter()
            .copied()
            .max_by_key(|(_, bytes)| *bytes)
            .unwrap_or((MemoryPart::Base, 0))
    }
}

/// Returns the bytes of one `Bins` (the counters of one policy and
/// replication) with `bins` time bins and `versions` packages.
pub fn bins_bytes(bins: u64, versions: u64) -> u64 {
    let counters = COUNTERS as u64 * bins;
    let version_launches = versions * bins;
    let gauges = GAUGES as u64 * (bins + 1);
    8 * (counters + version_launches + gauges + HISTOGRAM_BUCKETS)
}

/// Visits of one user over the horizon in one segment.
#[derive(Clone, Copy, Debug, PartialEq)]
struct VisitCount {
    /// The mean.
    mean: f64,
    /// The maximum over the users of a large run, as far as it can be foreseen.
    likely_max: f64,
}

/// A count's mean and standard deviation.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Moments {
    mean: f64,
    std_dev: f64,
}

impl Moments {
    /// Returns the expected maximum over the users of a large run.
    fn likely_max(self) -> f64 {
        self.mean + VISIT_SIGMAS * self.std_dev + 16.0
    }
}

/// Returns the visits of one user of `segment` over `horizon_ms`, each
/// figure the smaller of two counts:
///
/// - the launch process alone: `launches_per_day` per day, a Poisson count
///   of episodes of geometric length when the segment is bursty;
/// - a renewal count: each visit lasts a session, and the next one starts
///   a gap later, no shorter on average than the gap at the busiest hour
///   of the daily profile (or the burst gap). Launches come only while the
///   app is not in the foreground, so sessions that fill the day cap the
///   launches whatever the rate.
fn visit_count(segment: &Segment, profile_peak: f64, horizon_ms: f64) -> VisitCount {
    let days = horizon_ms / MS_PER_DAY as f64;
    let mean_visits = segment
        .burst
        .as_ref()
        .map_or(1.0, |burst| burst.mean_visits);
    let poisson_mean = segment.launches_per_day * days;
    // A sum of a Poisson number of geometric episodes of mean v has
    // variance mean × (2v − 1).
    let poisson = Moments {
        mean: poisson_mean,
        std_dev: (poisson_mean * (2.0 * mean_visits - 1.0)).sqrt(),
    };

    let episodes_per_ms = segment.launches_per_day / mean_visits / MS_PER_DAY as f64;
    let peak_gap = 1.0 / (episodes_per_ms * profile_peak);
    let gap = match &segment.burst {
        Some(burst) => peak_gap.min(burst.gap.mean_ms()),
        None => peak_gap,
    };
    let cycle = segment.session.mean_ms() + gap;
    let cycle_variance = segment.session.variance_ms2() + gap * gap;
    let renewal = Moments {
        mean: horizon_ms / cycle,
        // For a renewal count N(t), Var N ≈ t σ² / μ³.
        std_dev: (horizon_ms * cycle_variance / cycle.powi(3)).sqrt(),
    };
    VisitCount {
        mean: poisson.mean.min(renewal.mean),
        likely_max: poisson.likely_max().min(renewal.likely_max()),
    }
}

/// Returns the expected maximum of one user's visits in any segment, and
/// the mean visits of one user over all segments.
fn visits_per_user(scenario: &Scenario) -> (f64, f64) {
    let horizon_ms = scenario.run.horizon.0 as f64;
    let population = &scenario.population;
    let peak = population.daily_profile.iter().copied().fold(0.0, f64::max);
    let counts = population
        .segments
        .iter()
        .map(|segment| (segment, visit_count(segment, peak, horizon_ms)));
    let max_visits = counts
        .clone()
        .map(|(_, count)| count.likely_max)
        .fold(0.0, f64::max);
    let mean = counts
        .map(|(segment, count)| segment.share * count.mean)
        .sum();
    (max_visits, mean)
}

/// Returns the background trips one visit of `segment` is expected to
/// have: `per_hour` over the mean session.
fn trips_per_visit(segment: &Segment) -> f64 {
    segment.brief_background.as_ref().map_or(0.0, |brief| {
        brief.per_hour * segment.session.mean_ms() / crate::time::MS_PER_HOUR as f64
    })
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |metadata| metadata.len())
}

/// The simulation's share of a run's memory, in bytes.
struct SimulationBytes {
    /// Per-bin counters of every (policy, replication).
    counters: u64,
    /// Partial counters and user buffers of the worker threads.
    thread_buffers: u64,
}

/// Estimates the counters and thread buffers of a run of `scenario` with
/// `bins` time bins, `policies` policies and `replications` replications.
fn simulation_bytes(
    scenario: &Scenario,
    bins: u64,
    policies: u64,
    replications: u64,
    threads: u64,
) -> SimulationBytes {
    let versions = scenario.versions.len() as u64;
    let one_bins = bins_bytes(bins, versions);
    let hosts = scenario.hosts.len() as u64;

    // With host clients the runner keeps counters per (policy, host), then
    // the totals and a copy per host, and the aggregation clones one host's
    // counters at a time.
    let copies = if hosts == 0 { 1 } else { hosts + 2 };
    let counters = (policies * copies)
        .saturating_mul(replications)
        .saturating_mul(one_bins);

    let (max_visits, _) = visits_per_user(scenario);
    let trips = scenario
        .population
        .segments
        .iter()
        .map(trips_per_visit)
        .fold(0.0, f64::max);
    // Trips are a Poisson count too: twice their mean covers the user with
    // the most of them.
    let per_visit = VISIT_BYTES as f64 + 2.0 * (trips + 1.0) * TRIP_BYTES as f64;
    let user_buffers = (max_visits * per_visit) as u64 + USER_FIXED_BYTES;
    // One more set per host counts the changes that all policies share.
    let accumulators = ACCUMULATORS_PER_THREAD * (policies + 1) * hosts.max(1) * one_bins;
    let thread_buffers = threads.saturating_mul(accumulators + user_buffers);
    SimulationBytes {
        counters,
        thread_buffers,
    }
}

/// Estimates the arrival times of new users over `replications`
/// replications, in bytes.
fn new_user_bytes(scenario: &Scenario, replications: u64) -> u64 {
    let days = scenario.run.horizon.0 as f64 / crate::time::MS_PER_DAY as f64;
    // Poisson arrivals exceed their mean by more than 10 % plus 100 with
    // negligible probability.
    let arrivals_per_replication = scenario.population.new_users_per_day * days * 1.1 + 100.0;
    (arrivals_per_replication * replications as f64 * 8.0) as u64
}

/// Estimates the peak memory of a run with `replications` replications
/// and `threads` worker threads. The number of users does not enter,
/// because users are simulated one at a time.
pub fn estimate_memory(scenario: &Scenario, replications: u32, threads: usize) -> MemoryEstimate {
    let bins = scenario.run.bins() as u64;
    let versions = scenario.versions.len() as u64;
    let policies = scenario.policies.len() as u64;
    let replications = u64::from(replications);
    let threads = threads.max(1) as u64;
    let hosts = scenario.hosts.len() as u64;
    let SimulationBytes {
        counters,
        thread_buffers,
    } = simulation_bytes(scenario, bins, policies, replications, threads);

    // Each host adds at most as many `|client=` curves as a policy has.
    let series = (SERIES_PER_POLICY + versions) * (1 + hosts);
    let band_curves = policies * series * bins * BAND_BYTES;
    // While one policy is aggregated, its gauges are copied per replication.
    let gauge_copies = replications.saturating_mul(GAUGES as u64 * bins * 8);
    let curves = band_curves.saturating_add(gauge_copies);

    let name_bytes: u64 = scenario
        .policies
        .iter()
        .map(|policy| policy.name.len() as u64)
        .sum();
    let output_files = (name_bytes + policies * CSV_ROW_BYTES) * series * bins;

    let new_users = new_user_bytes(scenario, replications);

    // The parsed trace keeps each row as a visit plus its user and app
    // strings, about the size of the file. Twice that covers the reader's
    // buffers.
    let trace = scenario
        .population
        .trace
        .as_ref()
        .map_or(0, |trace| 2 * file_size(&trace.path));

    MemoryEstimate {
        parts: vec![
            (MemoryPart::Counters, counters),
            (MemoryPart::ThreadBuffers, thread_buffers),
            (MemoryPart::Curves, curves),
            (MemoryPart::OutputFiles, output_files),
            (MemoryPart::NewUsers, new_users),
            (MemoryPart::Trace, trace),
            (MemoryPart::Base, BASE_BYTES),
        ],
    }
}

/// Bytes per visit of a loaded trace, as a multiple of the file's bytes per
/// visit: the parsed trace with its strings and the reader's buffers (2),
/// the samples of its visits (1) and the gaps the fit prepares (1). Each
/// visit takes two CSV rows of at least about 30 bytes, more than the 16
/// bytes of a sample's visit or a prepared gap.
const CALIBRATION_TRACE_COPIES: u64 = 4;

/// Bytes per simulated visit in the validation: the visit (16 bytes, with
/// room for a `Vec` doubling its capacity) and its visit length and gap in
/// the statistics of its replication and in the pooled ones (4 × 8 bytes).
const VALIDATION_BYTES_PER_VISIT: u64 = 2 * 16 + 4 * 8;

/// Bytes per simulated user in the validation: its sample and its rate in
/// two statistics, rounded up.
const VALIDATION_BYTES_PER_USER: u64 = 64;

/// Sizes of a calibration that its memory estimate needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalibrationSize {
    /// Bytes of the trace file.
    pub trace_bytes: u64,
    /// Whether the trace is read twice, once for the selected apps and
    /// once for all apps (`--apps`).
    pub read_twice: bool,
    /// Visits and (user, app) pairs of the selected apps, once the trace
    /// is read; `None` before.
    pub visits_and_pairs: Option<(u64, u64)>,
    /// Simulated users per pair in each validation replication.
    pub validation_copies: u64,
    /// Validation replications.
    pub validation_replications: u64,
}

/// Estimates the peak memory of `calibrate`. Before the trace is read, only
/// its file size is known, so the estimate covers reading and fitting. Once
/// the visits are counted, it adds the validation. That simulates
/// `copies × replications` users per pair, each with about as many visits
/// as the pair has, because the calibrated model matches the trace's visit
/// rate.
pub fn estimate_calibration_memory(size: &CalibrationSize) -> MemoryEstimate {
    let reads = if size.read_twice { 2 } else { 1 };
    // The second read keeps the whole parsed trace (2 copies) beside the
    // selected one.
    let copies = CALIBRATION_TRACE_COPIES + 2 * (reads - 1);
    let trace = size.trace_bytes.saturating_mul(copies);
    let validation = size.visits_and_pairs.map_or(0, |(visits, pairs)| {
        let simulated = size
            .validation_copies
            .saturating_mul(size.validation_replications);
        let per_copy = visits
            .saturating_mul(VALIDATION_BYTES_PER_VISIT)
            .saturating_add(pairs.saturating_mul(VALIDATION_BYTES_PER_USER));
        simulated.saturating_mul(per_copy)
    });
    MemoryEstimate {
        parts: vec![
            (MemoryPart::CalibrationTrace, trace),
            (MemoryPart::Validation, validation),
            (MemoryPart::Base, BASE_BYTES),
        ],
    }
}

/// Bytes of one interval of a forecast curve: an `Option<f64>`.
const CURVE_POINT_BYTES: u64 = 16;

/// Estimates the peak memory of `forecast` for one observed curve of
/// `scenario`, forecast under one of its policies.
///
/// The fitting runs simulate the observed hours in `fit_bins` bins. The
/// best fit and the `draws` draws simulate the horizon in the scenario's
/// bins. Each run has one replication. Each draw's curve is kept until the
/// band is computed, and the results of `curves` curves are kept until the
/// files are written.
pub fn estimate_forecast_memory(
    scenario: &Scenario,
    fit_bins: u64,
    draws: u64,
    curves: u64,
    threads: usize,
) -> MemoryEstimate {
    let bins = scenario.run.bins() as u64;
    let threads = threads.max(1) as u64;
    let largest_bins = bins.max(fit_bins);
    let SimulationBytes {
        counters,
        thread_buffers,
    } = simulation_bytes(scenario, largest_bins, 1, 1, threads);
    let draw_curves = draws
        .saturating_add(1)
        .saturating_mul(bins)
        .saturating_mul(CURVE_POINT_BYTES);
    // Each result keeps the times, the fitted curve and the band, and its
    // rows of forecast.csv are rendered before the files are written.
    let results = curves
        .saturating_mul(bins)
        .saturating_mul(8 + CURVE_POINT_BYTES + BAND_BYTES + CSV_ROW_BYTES);
    MemoryEstimate {
        parts: vec![
            (MemoryPart::Counters, counters),
            (MemoryPart::ThreadBuffers, thread_buffers),
            (
                MemoryPart::ForecastCurves,
                draw_curves.saturating_add(results),
            ),
            (MemoryPart::NewUsers, new_user_bytes(scenario, 1)),
            (MemoryPart::Base, BASE_BYTES),
        ],
    }
}

/// Estimates the launches a run simulates: users (existing and new) ×
/// replications × policies × mean launches per user.
pub fn estimate_launches(scenario: &Scenario, users: u64, replications: u32) -> f64 {
    let (_, mean_launches) = visits_per_user(scenario);
    let days = scenario.run.horizon.0 as f64 / crate::time::MS_PER_DAY as f64;
    let new_users = scenario.population.new_users_per_day * days;
    (users as f64 + new_users)
        * f64::from(replications)
        * scenario.policies.len() as f64
        * mean_launches
}

/// The source of a memory limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitSource {
    /// `--memory-limit`.
    Flag,
    /// `MemAvailable` in `/proc/meminfo`.
    Available,
    /// The cgroup v2 limit in `/sys/fs/cgroup/memory.max`, less the
    /// memory the cgroup already uses.
    Cgroup,
    /// [`DEFAULT_MEMORY_LIMIT`], because the system gave no value.
    Default,
}

/// A memory limit in bytes and its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryLimit {
    /// The limit in bytes.
    pub bytes: u64,
    /// Its source.
    pub source: LimitSource,
}

/// Parses `MemAvailable` from the text of `/proc/meminfo`, in bytes.
pub fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text
        .lines()
        .find(|line| line.starts_with("MemAvailable:"))?;
    let mut words = line.split_whitespace().skip(1);
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => value.checked_mul(1024),
        None => Some(value),
        Some(_) => None,
    }
}

/// Returns the room left under a cgroup v2 limit, from the texts of
/// `memory.max` and `memory.current`; `None` when there is no limit.
pub fn parse_cgroup(max: &str, current: &str) -> Option<u64> {
    let max: u64 = max.trim().parse().ok()?;
    let current: u64 = current.trim().parse().unwrap_or(0);
    Some(max.saturating_sub(current))
}

/// Returns the memory limit of a run: `flag` when given, else the smaller
/// of the available memory and the cgroup room, else
/// [`DEFAULT_MEMORY_LIMIT`].
pub fn memory_limit(flag: Option<u64>) -> MemoryLimit {
    if let Some(bytes) = flag {
        return MemoryLimit {
            bytes,
            source: LimitSource::Flag,
        };
    }
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| parse_meminfo(&text))
        .map(|bytes| MemoryLimit {
            bytes,
            source: LimitSource::Available,
        });
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|max| {
            let current =
                std::fs::read_to_string("/sys/fs/cgroup/memory.current").unwrap_or_default();
            parse_cgroup(&max, &current)
        })
        .map(|bytes| MemoryLimit {
            bytes,
            source: LimitSource::Cgroup,
        });
    [available, cgroup]
        .into_iter()
        .flatten()
        .min_by_key(|limit| limit.bytes)
        .unwrap_or(MemoryLimit {
            bytes: DEFAULT_MEMORY_LIMIT,
            source: LimitSource::Default,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::dist::DurationDist;
    use crate::time::{SimDuration, SimTime};

    fn scenario(extra: &str) -> Scenario {
        let text = format!(
            "[run]\nhorizon = \"2d\"\nsample_every = \"1h\"\n\n[[release]]\nversion = \"2.0.0\"\nat = \"1h\"\n{extra}"
        );
        crate::scenario::parse(&text, "s.toml", None).expect("scenario is valid")
    }

    fn part(estimate: &MemoryEstimate, wanted: MemoryPart) -> u64 {
        estimate
            .parts
            .iter()
            .find(|(part, _)| *part == wanted)
            .map(|(_, bytes)| *bytes)
            .expect("part is present")
    }

    #[test]
    fn counters_scale_with_replications() {
        let scenario = scenario("");
        let one = estimate_memory(&scenario, 1, 1);
        let ten = estimate_memory(&scenario, 10, 1);
        let bins = bins_bytes(48, 2);
        assert_eq!(part(&one, MemoryPart::Counters), bins);
        assert_eq!(part(&ten, MemoryPart::Counters), 10 * bins);
    }

    #[test]
    fn host_clients_multiply_counters() {
        let text = include_str!("../../scenarios/host-mix.toml");
        let scenario = crate::scenario::parse(text, "host-mix.toml", None).expect("valid");
        let hosts = scenario.hosts.len() as u64;
        assert!(hosts > 0);
        let estimate = estimate_memory(&scenario, 3, 1);
        let one = bins_bytes(scenario.run.bins() as u64, scenario.versions.len() as u64);
        let policies = scenario.policies.len() as u64;
        assert_eq!(
            part(&estimate, MemoryPart::Counters),
            policies * (hosts + 2) * 3 * one
        );
    }

    #[test]
    fn counters_do_not_grow_with_users() {
        let small = scenario("[population]\nusers = 10\n");
        let large = scenario("[population]\nusers = 1000000000\n");
        assert_eq!(estimate_memory(&small, 3, 2), estimate_memory(&large, 3, 2));
    }

    #[test]
    fn new_users_add_arrival_times() {
        let scenario = scenario("[population]\nnew_users_per_day = 1000000\n");
        let estimate = estimate_memory(&scenario, 4, 1);
        // 4 replications × 2 days × 1e6 per day × 1.1 margin × 8 bytes.
        let expected = 4.0 * (2.0 * 1e6 * 1.1 + 100.0) * 8.0;
        assert_eq!(part(&estimate, MemoryPart::NewUsers), expected as u64);
    }

    #[test]
    fn largest_part_names_the_fix() {
        let scenario = scenario("");
        let estimate = estimate_memory(&scenario, 10_000, 1);
        assert_eq!(estimate.largest().0, MemoryPart::Counters);
        assert_eq!(
            estimate.total(),
            estimate.parts.iter().map(|(_, bytes)| bytes).sum::<u64>()
        );
    }

    #[test]
    fn series_count_matches_aggregate() {
        use crate::engine::runner::{run, RunOptions};
        use crate::model::population::LaunchSource;

        let scenario = scenario("[population]\nusers = 20\n");
        let options = RunOptions {
            threads: 1,
            replications: Some(1),
            ..RunOptions::default()
        };
        let output = run(&scenario, &LaunchSource::Synthetic, &options, &|_, _| {}).unwrap();
        let result = crate::stats::aggregate::aggregate(&scenario, &output);
        let series = result.policies[0].series.len() as u64;
        assert_eq!(series, SERIES_PER_POLICY + scenario.versions.len() as u64);
    }

    #[test]
    fn calibration_validation_needs_counted_visits() {
        let mut size = CalibrationSize {
            trace_bytes: 1_000_000,
            read_twice: false,
            visits_and_pairs: None,
            validation_copies: 20,
            validation_replications: 10,
        };
        let before_reading = estimate_calibration_memory(&size);
        assert_eq!(
            part(&before_reading, MemoryPart::CalibrationTrace),
            4_000_000
        );
        assert_eq!(part(&before_reading, MemoryPart::Validation), 0);

        size.read_twice = true;
        let two_reads = estimate_calibration_memory(&size);
        assert_eq!(part(&two_reads, MemoryPart::CalibrationTrace), 6_000_000);

        size.visits_and_pairs = Some((10_000, 100));
        let after_reading = estimate_calibration_memory(&size);
        // 200 simulated users per pair: 64 bytes per visit and per user.
        let expected = 200 * (10_000 * 64 + 100 * 64);
        assert_eq!(part(&after_reading, MemoryPart::Validation), expected);
        assert_eq!(after_reading.largest().0, MemoryPart::Validation);
    }

    #[test]
    fn forecast_memory_grows_with_draws_and_fit_bins() {
        let text = "[run]\nhorizon = \"2d\"\nsample_every = \"1h\"\n\n[[population.segment]]\nname = \"all\"\nshare = 1.0\nlaunches_per_day = 4.0\n\n[[release]]\nversion = \"2.0.0\"\nat = \"1h\"\n\n[[policy]]\nname = \"a\"\non_update_ready = \"none\"\n\n[[policy]]\nname = \"b\"\non_update_ready = \"force\"\n";
        let scenario = crate::scenario::parse(text, "s.toml", None).expect("valid");
        let few = estimate_forecast_memory(&scenario, 10, 10, 1, 1);
        let many = estimate_forecast_memory(&scenario, 10, 1_000, 1, 1);
        // Each draw keeps one curve of 48 intervals of 16 bytes.
        assert_eq!(
            part(&many, MemoryPart::ForecastCurves) - part(&few, MemoryPart::ForecastCurves),
            990 * 48 * 16
        );
        // One policy of the two is forecast, in one replication, with the
        // fitting runs' bins when they outnumber the scenario's.
        let versions = scenario.versions.len() as u64;
        assert_eq!(part(&few, MemoryPart::Counters), bins_bytes(48, versions));
        let fine = estimate_forecast_memory(&scenario, 2_880, 10, 1, 1);
        assert_eq!(
            part(&fine, MemoryPart::Counters),
            bins_bytes(2_880, versions)
        );
        assert!(part(&fine, MemoryPart::ThreadBuffers) > part(&few, MemoryPart::ThreadBuffers));
    }

    #[test]
    fn meminfo_available_in_bytes() {
        let text = "MemTotal:       24684036 kB\nMemFree:        12861532 kB\nMemAvailable:   23636676 kB\n";
        assert_eq!(parse_meminfo(text), Some(23_636_676 * 1024));
        assert_eq!(parse_meminfo("MemTotal: 5 kB\n"), None);
        assert_eq!(parse_meminfo("MemAvailable: x kB\n"), None);
    }

    #[test]
    fn cgroup_room_under_limit() {
        assert_eq!(parse_cgroup("max\n", "100\n"), None);
        assert_eq!(parse_cgroup("1000\n", "300\n"), Some(700));
        assert_eq!(parse_cgroup("1000\n", "2000\n"), Some(0));
    }

    #[test]
    fn flag_overrides_system_limit() {
        let limit = memory_limit(Some(123));
        assert_eq!(limit.bytes, 123);
        assert_eq!(limit.source, LimitSource::Flag);
    }

    fn segment(launches_per_day: f64, session: &str) -> Scenario {
        scenario(&format!(
            "[[population.segment]]\nname = \"a\"\nshare = 1.0\nlaunches_per_day = {launches_per_day}\nsession = \"{session}\"\nkeep_alive = \"0ms\"\n"
        ))
    }

    #[test]
    fn sessions_cap_visits_at_high_rates() {
        // 10,000 launches a day with 10-minute sessions: the app is in the
        // foreground almost all the time, so about 144 visits a day fit.
        let scenario = segment(10_000.0, "10m");
        let (max_visits, mean) = visits_per_user(&scenario);
        let cycle_minutes = 10.0 + 1440.0 / 10_000.0;
        let expected = 2.0 * 1440.0 / cycle_minutes;
        assert!(
            (mean - expected).abs() < 1e-6,
            "mean {mean}, expected {expected}"
        );
        assert!(max_visits < 2.0 * expected, "max_visits {max_visits}");
    }

    #[test]
    fn low_rates_stay_near_poisson_count() {
        // Three launches a day: sessions shorten the day by about 1 %.
        let scenario = segment(3.0, "3m");
        let (max_visits, mean) = visits_per_user(&scenario);
        let renewal_mean = 2.0 * 1440.0 / (3.0 + 1440.0 / 3.0);
        assert!((mean - renewal_mean).abs() < 1e-9, "mean {mean}");
        let poisson_max = 6.0 + VISIT_SIGMAS * 6f64.sqrt() + 16.0;
        assert!(max_visits <= poisson_max, "max_visits {max_visits}");
        assert!(max_visits > 0.95 * poisson_max, "max_visits {max_visits}");
    }

    #[test]
    fn visit_bound_covers_drawn_visits() {
        use crate::model::launches::{draw_visits, LaunchClock};
        use rand::SeedableRng;

        // A flat profile, 240 launches a day (a 6-minute mean gap) and
        // 4-minute sessions: a renewal process with a 10-minute cycle.
        let scenario = segment(240.0, "4m");
        let (max_visits, mean) = visits_per_user(&scenario);
        let clock = LaunchClock::new(240.0, &[1.0; 24], 0);
        let session = DurationDist::Fixed(SimDuration::from_minutes(4)).sampler();
        let keep_alive = DurationDist::Fixed(SimDuration::ZERO).sampler();
        let horizon = SimTime::ZERO + scenario.run.horizon;
        let mut rng = crate::engine::rng::SimRng::seed_from_u64(7);
        let mut visits = Vec::new();
        let users = 4000;
        let mut counts = Vec::with_capacity(users);
        for _ in 0..users {
            draw_visits(
                &mut rng,
                &clock,
                &session,
                &keep_alive,
                None,
                SimTime::ZERO,
                false,
                None,
                horizon,
                &mut visits,
            );
            counts.push(visits.len() as f64);
        }
        let observed = counts.iter().sum::<f64>() / users as f64;
        let max = counts.iter().copied().fold(0.0, f64::max);
        let variance =
            counts.iter().map(|c| (c - observed).powi(2)).sum::<f64>() / (users - 1) as f64;
        // Four standard errors, plus one visit for the renewal count's
        // edge terms, which the estimate leaves out.
        let tolerance = 4.0 * (variance / users as f64).sqrt() + 1.0;
        assert!(
            (observed - mean).abs() < tolerance,
            "observed mean {observed}, estimate {mean}, tolerance {tolerance}"
        );
        assert!(
            max <= max_visits,
            "a user drew {max} visits, above the bound {max_visits}"
        );
    }

    #[test]
    fn launches_scale_with_every_factor() {
        let scenario = segment(3.0, "3m");
        // 100 users × 2 replications × 1 policy × the visits of 2 days, in
        // which each visit is a 3-minute session and a mean gap of 8 h.
        let visits = 2.0 * 1440.0 / (3.0 + 480.0);
        let expected = 100.0 * 2.0 * visits;
        assert!((estimate_launches(&scenario, 100, 2) - expected).abs() < 1e-9);
    }
}
