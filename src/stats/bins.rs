//! Per-bin counters of one (policy, replication): integer sums only, so
//! merging partial results in any order gives the same bytes.

use serde::{Deserialize, Serialize};

use crate::stats::histogram::Histogram;
use crate::time::SimTime;

/// Event counters kept per time bin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Counter {
    /// Launches (cold and hot starts that opened a version).
    Launches,
    /// Launches that ran the newest version.
    LaunchesNewest,
    /// Cold starts, failed ones included.
    ColdStarts,
    /// Hot starts.
    HotStarts,
    /// Update checks: asynchronous, synchronous and periodic.
    Checks,
    /// Downloads started.
    DownloadsStarted,
    /// Downloads completed.
    DownloadsCompleted,
    /// Downloads failed.
    DownloadsFailed,
    /// Bytes received, partial bytes of failed downloads included.
    BytesDownloaded,
    /// Cold starts that waited for a synchronous download.
    SyncUpdates,
    /// Synchronous downloads that failed or timed out.
    SyncFailures,
    /// Milliseconds cold starts waited for synchronous updates.
    SyncDelayMs,
    /// Prompts shown.
    PromptsShown,
    /// Prompts accepted.
    PromptsAccepted,
    /// Prompts declined.
    PromptsDeclined,
    /// `applyUpdate` restarts of a session in the foreground.
    ForcedRestarts,
    /// `applyUpdate` restarts at a resume.
    ResumeRestarts,
    /// Launches of a version hit by an incident while it is on.
    IncidentLaunches,
    /// Cold starts that failed to open any version.
    FailedLaunches,
    /// First launches of new users.
    FirstLaunches,
    /// Foreground milliseconds.
    ForegroundMs,
    /// Foreground milliseconds on the newest version.
    ForegroundNewestMs,
    /// Foreground milliseconds on a version hit by an incident while it is on.
    IncidentForegroundMs,
    /// Update checks that failed in a server outage.
    ChecksFailed,
    /// On-device rollbacks of a package that failed to start.
    Rollbacks,
    /// `on_suspend` restarts, made in the background.
    SuspendRestarts,
    /// `applyUpdate()` calls the host ignored.
    ApplyIgnored,
    /// Returns from brief trips to the background inside a session.
    BackgroundTrips,
    /// First launches of new users that ran a stale package.
    StaleFirstLaunches,
}

/// Number of [`Counter`] variants.
pub const COUNTERS: usize = Counter::StaleFirstLaunches as usize + 1;

/// State counts sampled at the end of each bin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Gauge {
    /// Users who exist (existing users, and new users after their first launch).
    Users,
    /// Users whose newest downloaded package is the newest version.
    InstalledNewest,
    /// Users who launched in the trailing 24 hours.
    ActiveUsers,
    /// Active users whose latest session ran the newest version.
    ActiveNewest,
}

/// Number of [`Gauge`] variants.
pub const GAUGES: usize = Gauge::ActiveNewest as usize + 1;

/// Whole-run scalars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Total {
    /// Launches on another version than the newest, from 24 h after the
    /// newest release on.
    OldLaunchesAfter24h,
    /// The same from 72 h on.
    OldLaunchesAfter72h,
    /// Users simulated (existing and new).
    Users,
    /// Events the engine processed.
    Events,
}

/// Number of [`Total`] variants.
pub const TOTALS: usize = Total::Events as usize + 1;

/// One change to a [`Bins`], with its table position already resolved, so
/// that adding it again costs no bin arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// `amount` added to the counter table at `slot`.
    Counter {
        /// Position in the counter table.
        slot: u32,
        /// Amount added.
        amount: u64,
    },
    /// One launch added to the launch table at `slot`.
    VersionLaunch {
        /// Position in the launch table.
        slot: u32,
    },
    /// A gauge interval: +1 at `first` and −1 at `last` of the gauge deltas.
    Interval {
        /// Position of the +1.
        first: u32,
        /// Position of the −1.
        last: u32,
    },
    /// `amount` added to a whole-run scalar.
    Total {
        /// The scalar's index.
        total: u8,
        /// Amount added.
        amount: u64,
    },
    /// One synchronous-update delay recorded.
    SyncDelay {
        /// The delay in milliseconds.
        ms: u64,
    },
}

/// Returns `floor((2^64 - 1) / width_ms)`.
///
/// # Panics
/// Panics if `width_ms` is not positive.
fn reciprocal(width_ms: i64) -> u64 {
    assert!(width_ms > 0, "bin width must be positive, not {width_ms}");
    u64::MAX / width_ms as u64
}

/// Counters of one (policy, replication), or a partial sum of them.
///
/// It serializes as is, so that shard runs can store their counters and a
/// merge can sum them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bins {
    bins: usize,
    width_ms: i64,
    /// `floor((2^64 - 1) / width_ms)`, which replaces the division by the
    /// width, the most frequent division of a run, with a multiplication.
    width_reciprocal: u64,
    counters: Vec<u64>,
    versions: usize,
    version_launches: Vec<u64>,
    gauge_deltas: Vec<i64>,
    totals: [u64; TOTALS],
    /// Delays of synchronous updates, in milliseconds.
    pub sync_delays: Histogram,
}

impl Bins {
    /// Creates zeroed counters for `bins` bins of `width_ms` and `versions` packages.
    ///
    /// # Panics
    /// Panics if a table would have more than `u32::MAX` entries, which
    /// [`Change`] cannot address (the memory check rejects such runs first).
    pub fn new(bins: usize, width_ms: i64, versions: usize) -> Bins {
        let largest = (COUNTERS * bins)
            .max(versions * bins)
            .max(GAUGES * (bins + 1));
        assert!(
            u32::try_from(largest).is_ok(),
            "{bins} bins of {versions} versions exceed the counter tables' size"
        );
        Bins {
            bins,
            width_ms,
            width_reciprocal: reciprocal(width_ms),
            counters: vec![0; COUNTERS * bins],
            versions,
            version_launches: vec![0; versions * bins],
            gauge_deltas: vec![0; GAUGES * (bins + 1)],
            totals: [0; TOTALS],
            sync_delays: Histogram::default(),
        }
    }

    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.bins
    }

    /// Bin width in milliseconds.
    pub fn width_ms(&self) -> i64 {
        self.width_ms
    }

    /// The bin containing `t`; `t` must lie in `[0, horizon)`.
    #[inline]
    pub fn bin_of(&self, t: SimTime) -> usize {
        debug_assert!(t.0 >= 0);
        (self.divide_by_width(t.0.max(0)) as usize).min(self.bins - 1)
    }

    /// Returns `value / width_ms` for a non-negative `value`, exactly.
    #[inline]
    fn divide_by_width(&self, value: i64) -> i64 {
        let value = value as u64;
        let width = self.width_ms as u64;
        // The reciprocal is rounded down, so the estimate is the quotient or
        // one less (for value < 2^63), and one comparison corrects it.
        let estimate = ((value as u128 * self.width_reciprocal as u128) >> 64) as u64;
        let quotient = if value - estimate * width >= width {
            estimate + 1
        } else {
            estimate
        };
        quotient as i64
    }

    /// Adds `amount` to a counter in the bin containing `t`.
    #[inline]
    pub fn add(&mut self, counter: Counter, t: SimTime, amount: u64) {
        let bin = self.bin_of(t);
        self.add_to_bin(counter, bin, amount);
    }

    /// Adds `amount` to a counter in bin `bin`.
    #[inline]
    pub fn add_to_bin(&mut self, counter: Counter, bin: usize, amount: u64) {
        let slot = self.counter_slot(counter, bin);
        self.counters[slot] += amount;
    }

    /// Counts a launch of package `package` at `t`.
    #[inline]
    pub fn add_version_launch(&mut self, package: usize, t: SimTime) {
        let slot = self.version_slot(package, t);
        self.version_launches[slot] += 1;
    }

    /// Adds to a whole-run scalar.
    #[inline]
    pub fn add_total(&mut self, total: Total, amount: u64) {
        self.totals[total as usize] += amount;
    }

    /// Counts a gauge as 1 at every sample instant `t_k = (k + 1) × width`
    /// with `from ≤ t_k < until`.
    #[inline]
    pub fn add_interval(&mut self, gauge: Gauge, from: SimTime, until: SimTime) {
        if let Some((first, last)) = self.interval_slots(gauge, from, until) {
            self.gauge_deltas[first] += 1;
            self.gauge_deltas[last] -= 1;
        }
    }

    /// Position of a counter's bin in the counter table.
    #[inline]
    pub(crate) fn counter_slot(&self, counter: Counter, bin: usize) -> usize {
        counter as usize * self.bins + bin
    }

    /// Position of a package's launches at `t` in the launch table.
    #[inline]
    pub(crate) fn version_slot(&self, package: usize, t: SimTime) -> usize {
        package * self.bins + self.bin_of(t)
    }

    /// Positions of the +1 and the −1 that [`Bins::add_interval`] writes into
    /// the gauge deltas, or `None` when the interval contains no sample instant.
    #[inline]
    pub(crate) fn interval_slots(
        &self,
        gauge: Gauge,
        from: SimTime,
        until: SimTime,
    ) -> Option<(usize, usize)> {
        let w = self.width_ms;
        let first = (self.divide_by_width(from.0.max(0) + w - 1) - 1).max(0);
        let last_exclusive =
            (self.divide_by_width(until.0.max(0) + w - 1) - 1).clamp(0, self.bins as i64);
        if last_exclusive <= first {
            return None;
        }
        let base = gauge as usize * (self.bins + 1);
        Some((base + first as usize, base + last_exclusive as usize))
    }

    /// Adds one change; [`Bins::apply`] adds each of a log this way.
    #[inline(always)]
    pub(crate) fn apply_one(&mut self, change: Change) {
        match change {
            Change::Counter { slot, amount } => {
                let value = &mut self.counters[slot as usize];
                *value = value.wrapping_add(amount);
            }
            Change::VersionLaunch { slot } => {
                let value = &mut self.version_launches[slot as usize];
                *value = value.wrapping_add(1);
            }
            Change::Interval { first, last } => {
                self.gauge_deltas[first as usize] += 1;
                self.gauge_deltas[last as usize] -= 1;
            }
            Change::Total { total, amount } => {
                let value = &mut self.totals[total as usize];
                *value = value.wrapping_add(amount);
            }
            Change::SyncDelay { ms } => self.sync_delays.record(ms),
        }
    }

    /// Adds changes recorded by a [`Recorder`](crate::stats::tally::Recorder)
    /// on counters of the same shape.
    pub fn apply(&mut self, changes: &[Change]) {
        for change in changes {
            self.apply_one(*change);
        }
    }

    /// Takes back changes that will be added through another [`Bins`]: a
    /// counter may wrap below zero here until the two are merged. All sums
    /// wrap modulo 2^64, so the merged counters are exact.
    pub fn retract(&mut self, changes: &[Change]) {
        for change in changes {
            match *change {
                Change::Counter { slot, amount } => {
                    let value = &mut self.counters[slot as usize];
                    *value = value.wrapping_sub(amount);
                }
                Change::VersionLaunch { slot } => {
                    let value = &mut self.version_launches[slot as usize];
                    *value = value.wrapping_sub(1);
                }
                Change::Interval { first, last } => {
                    self.gauge_deltas[first as usize] -= 1;
                    self.gauge_deltas[last as usize] += 1;
                }
                Change::Total { total, amount } => {
                    let value = &mut self.totals[total as usize];
                    *value = value.wrapping_sub(amount);
                }
                Change::SyncDelay { ms } => self.sync_delays.retract(ms),
            }
        }
    }

    /// Values of a counter per bin.
    pub fn counter(&self, counter: Counter) -> &[u64] {
        let start = counter as usize * self.bins;
        &self.counters[start..start + self.bins]
    }

    /// Launches of one package per bin.
    pub fn version_launches(&self, package: usize) -> &[u64] {
        &self.version_launches[package * self.bins..(package + 1) * self.bins]
    }

    /// Returns a gauge sampled at the end of each bin.
    pub fn gauge(&self, gauge: Gauge) -> Vec<u64> {
        let base = gauge as usize * (self.bins + 1);
        let mut running = 0i64;
        self.gauge_deltas[base..base + self.bins]
            .iter()
            .map(|delta| {
                running += delta;
                running.max(0) as u64
            })
            .collect()
    }

    /// Returns a whole-run scalar.
    pub fn total(&self, total: Total) -> u64 {
        self.totals[total as usize]
    }

    /// Sum of a counter over all bins.
    pub fn counter_sum(&self, counter: Counter) -> u64 {
        self.counter(counter).iter().sum()
    }

    /// Number of packages tracked.
    pub fn versions(&self) -> usize {
        self.versions
    }

    /// Returns whether the counters have the shape that `Bins::new(bins,
    /// width_ms, versions)` gives. Deserialized counters need not have it.
    pub fn has_shape(&self, bins: usize, width_ms: i64, versions: usize) -> bool {
        self.bins == bins
            && self.width_ms == width_ms
            && self.width_reciprocal == reciprocal(width_ms)
            && self.versions == versions
            && self.counters.len() == COUNTERS * bins
            && self.version_launches.len() == versions * bins
            && self.gauge_deltas.len() == GAUGES * (bins + 1)
    }

    /// Adds another partial result into this one.
    ///
    /// # Panics
    /// Panics if the two have different shapes.
    pub fn merge(&mut self, other: &Bins) {
        assert_eq!(
            (self.bins, self.versions),
            (other.bins, other.versions),
            "merging bins of different shapes"
        );
        // Parts may contain retracted changes (see `retract`), so sums wrap.
        for (a, b) in self.counters.iter_mut().zip(&other.counters) {
            *a = a.wrapping_add(*b);
        }
        for (a, b) in self
            .version_launches
            .iter_mut()
            .zip(&other.version_launches)
        {
            *a = a.wrapping_add(*b);
        }
        for (a, b) in self.gauge_deltas.iter_mut().zip(&other.gauge_deltas) {
            *a = a.wrapping_add(*b);
        }
        for (a, b) in self.totals.iter_mut().zip(&other.totals) {
            *a = a.wrapping_add(*b);
        }
        self.sync_delays.merge(&other.sync_delays);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_counts_sample_instants() {
        // Bins of 10 ms; sample instants 10, 20, 30, 40.
        let mut bins = Bins::new(4, 10, 1);
        bins.add_interval(Gauge::Users, SimTime(0), SimTime(100));
        bins.add_interval(Gauge::InstalledNewest, SimTime(15), SimTime(30));
        bins.add_interval(Gauge::ActiveUsers, SimTime(20), SimTime(21));
        bins.add_interval(Gauge::ActiveNewest, SimTime(-50), SimTime(10));
        assert_eq!(bins.gauge(Gauge::Users), [1, 1, 1, 1]);
        assert_eq!(bins.gauge(Gauge::InstalledNewest), [0, 1, 0, 0]);
        assert_eq!(bins.gauge(Gauge::ActiveUsers), [0, 1, 0, 0]);
        assert_eq!(bins.gauge(Gauge::ActiveNewest), [0, 0, 0, 0]);
    }

    #[test]
    fn width_division_is_exact() {
        let mut state = 5u64;
        for width in [1, 7, 1_000, 900_000, 86_400_000, 604_800_000, i64::MAX / 3] {
            let bins = Bins::new(1, width, 1);
            let mut values = vec![0, 1, width - 1, width, width + 1, i64::MAX - 1, i64::MAX];
            for _ in 0..10_000 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                values.push((state >> 1) as i64 >> (state % 63));
            }
            for value in values {
                assert_eq!(
                    bins.divide_by_width(value),
                    value / width,
                    "{value} / {width}"
                );
            }
        }
    }

    #[test]
    fn merge_adds_everything() {
        let mut a = Bins::new(2, 10, 2);
        let mut b = Bins::new(2, 10, 2);
        a.add(Counter::Launches, SimTime(5), 2);
        b.add(Counter::Launches, SimTime(15), 3);
        b.add_version_launch(1, SimTime(15));
        b.add_total(Total::Users, 7);
        a.merge(&b);
        assert_eq!(a.counter(Counter::Launches), [2, 3]);
        assert_eq!(a.version_launches(1), [0, 1]);
        assert_eq!(a.total(Total::Users), 7);
    }
}
