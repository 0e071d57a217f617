//! Counting targets of a user's timeline: [`Bins`] directly, or a
//! [`Recorder`] that logs every change in order, so that the changes made
//! after some point can also be added to another policy's counters.

use crate::stats::bins::{Bins, Change, Counter, Gauge, Total};
use crate::time::SimTime;

/// The counting operations a timeline uses.
pub trait Tally {
    /// Adds `amount` to a counter in the bin containing `t`.
    fn add(&mut self, counter: Counter, t: SimTime, amount: u64);
    /// Adds `amount` to a counter in bin `bin`.
    fn add_to_bin(&mut self, counter: Counter, bin: usize, amount: u64);
    /// Counts a launch of package `package` at `t`.
    fn add_version_launch(&mut self, package: usize, t: SimTime);
    /// Adds to a whole-run scalar.
    fn add_total(&mut self, total: Total, amount: u64);
    /// Counts a gauge at the sample instants in `[from, until)`.
    fn add_interval(&mut self, gauge: Gauge, from: SimTime, until: SimTime);
    /// Records the delay of one synchronous update.
    fn record_sync_delay(&mut self, ms: u64);
    /// Returns the bin width in milliseconds.
    fn width_ms(&self) -> i64;
    /// Returns the bin containing `t`.
    fn bin_of(&self, t: SimTime) -> usize;
    /// Returns the number of changes logged so far, 0 when nothing is logged.
    fn changes_recorded(&self) -> usize {
        0
    }
}

impl Tally for Bins {
    #[inline]
    fn add(&mut self, counter: Counter, t: SimTime, amount: u64) {
        Bins::add(self, counter, t, amount);
    }
    #[inline]
    fn add_to_bin(&mut self, counter: Counter, bin: usize, amount: u64) {
        Bins::add_to_bin(self, counter, bin, amount);
    }
    #[inline]
    fn add_version_launch(&mut self, package: usize, t: SimTime) {
        Bins::add_version_launch(self, package, t);
    }
    #[inline]
    fn add_total(&mut self, total: Total, amount: u64) {
        Bins::add_total(self, total, amount);
    }
    #[inline]
    fn add_interval(&mut self, gauge: Gauge, from: SimTime, until: SimTime) {
        Bins::add_interval(self, gauge, from, until);
    }
    #[inline]
    fn record_sync_delay(&mut self, ms: u64) {
        self.sync_delays.record(ms);
    }
    #[inline]
    fn width_ms(&self) -> i64 {
        Bins::width_ms(self)
    }
    #[inline]
    fn bin_of(&self, t: SimTime) -> usize {
        Bins::bin_of(self, t)
    }
}

/// Counts into a [`Bins`] and appends each change to a log, so that the
/// log can later be added to or taken back from counters of the same shape,
/// in whole or in parts.
pub struct Recorder<'a> {
    bins: &'a mut Bins,
    log: &'a mut Vec<Change>,
}

impl<'a> Recorder<'a> {
    /// Counts into `bins` and logs into `log`.
    pub fn new(bins: &'a mut Bins, log: &'a mut Vec<Change>) -> Recorder<'a> {
        Recorder { bins, log }
    }

    #[inline(always)]
    fn push(&mut self, change: Change) {
        self.bins.apply_one(change);
        self.log.push(change);
    }
}

// The tables' sizes fit in u32 (checked by `Bins::new`), so the slot
// conversions below never truncate.
impl Tally for Recorder<'_> {
    #[inline]
    fn add(&mut self, counter: Counter, t: SimTime, amount: u64) {
        let bin = self.bins.bin_of(t);
        self.add_to_bin(counter, bin, amount);
    }
    #[inline]
    fn add_to_bin(&mut self, counter: Counter, bin: usize, amount: u64) {
        let slot = self.bins.counter_slot(counter, bin) as u32;
        self.push(Change::Counter { slot, amount });
    }
    #[inline]
    fn add_version_launch(&mut self, package: usize, t: SimTime) {
        let slot = self.bins.version_slot(package, t) as u32;
        self.push(Change::VersionLaunch { slot });
    }
    #[inline]
    fn add_total(&mut self, total: Total, amount: u64) {
        self.push(Change::Total {
            total: total as u8,
            amount,
        });
    }
    #[inline]
    fn add_interval(&mut self, gauge: Gauge, from: SimTime, until: SimTime) {
        if let Some((first, last)) = self.bins.interval_slots(gauge, from, until) {
            self.push(Change::Interval {
                first: first as u32,
                last: last as u32,
            });
        }
    }
    #[inline]
    fn record_sync_delay(&mut self, ms: u64) {
        self.push(Change::SyncDelay { ms });
    }
    #[inline]
    fn width_ms(&self) -> i64 {
        self.bins.width_ms()
    }
    #[inline]
    fn bin_of(&self, t: SimTime) -> usize {
        self.bins.bin_of(t)
    }
    fn changes_recorded(&self) -> usize {
        self.log.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(tally: &mut impl Tally) {
        tally.add(Counter::Launches, SimTime(5), 2);
        tally.add_to_bin(Counter::Checks, 1, 3);
        tally.add_version_launch(1, SimTime(15));
        tally.add_total(Total::Users, 7);
        tally.add_interval(Gauge::ActiveUsers, SimTime(0), SimTime(25));
        tally.add_interval(Gauge::Users, SimTime(3), SimTime(4));
        tally.record_sync_delay(1_500);
    }

    #[test]
    fn replayed_log_equals_direct_counts() {
        let mut direct = Bins::new(3, 10, 2);
        exercise(&mut direct);
        let mut recorded = Bins::new(3, 10, 2);
        let mut log = Vec::new();
        exercise(&mut Recorder::new(&mut recorded, &mut log));
        assert_eq!(recorded, direct);
        // The empty interval writes nothing.
        assert_eq!(log.len(), 6);
        let mut replayed = Bins::new(3, 10, 2);
        replayed.apply(&log);
        assert_eq!(replayed, direct);
        let mut twice = direct.clone();
        twice.apply(&log);
        assert_eq!(twice.counter(Counter::Launches), [4, 0, 0]);
        assert_eq!(twice.gauge(Gauge::ActiveUsers), [2, 2, 0]);
    }

    #[test]
    fn retraction_cancels_after_merge() {
        let mut shape = Bins::new(3, 10, 2);
        let mut log = Vec::new();
        exercise(&mut Recorder::new(&mut shape, &mut log));
        // A part that contains only retractions wraps below zero, and merging
        // the changes back gives zero everywhere.
        let mut part = Bins::new(3, 10, 2);
        part.retract(&log[..4]);
        assert_eq!(part.counter(Counter::Launches)[0], u64::MAX - 1);
        let mut whole = Bins::new(3, 10, 2);
        whole.apply(&log);
        whole.merge(&part);
        let mut expected = Bins::new(3, 10, 2);
        expected.apply(&log[4..]);
        assert_eq!(
            whole.counter(Counter::Launches),
            expected.counter(Counter::Launches)
        );
        assert_eq!(whole.total(Total::Users), 0);
        assert_eq!(
            whole.gauge(Gauge::ActiveUsers),
            expected.gauge(Gauge::ActiveUsers)
        );
        assert_eq!(whole.sync_delays.count(), 1);
    }
}
