//! The global release schedule: which package is newest at each instant,
//! which publication a given rollout bucket is offered, where the minimum
//! required version is set, and when server outages fail requests.
//!
//! Everything here is a pure function of the scenario, which is why users
//! can be simulated independently of each other.

use crate::model::outage::OutageWindows;
use crate::scenario::{Incident, Release, Scenario};
use crate::time::{SimDuration, SimTime};

/// A stretch of time with one newest package and one set of incidents.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epoch {
    /// First instant of the epoch; it lasts until the next epoch's start.
    pub start: SimTime,
    /// The newest package during the epoch.
    pub newest: usize,
    /// Bit `p` set: launches of package `p` are hit by an incident.
    pub affected: u64,
}

/// The release schedule of one scenario.
#[derive(Clone, Debug)]
pub struct Schedule {
    releases: Vec<Release>,
    auto_complete: SimDuration,
    epochs: Vec<Epoch>,
    /// Publication time of the newest release in the scenario (for tXX).
    pub last_release_at: SimTime,
    /// From this instant on, every rollout bucket is offered the same
    /// publication for the rest of time (see [`Schedule::is_settled`]).
    settled_at: SimTime,
    outages: OutageWindows,
}

/// Returns the last instant at which a release's offer can change: its
/// publication, rollout steps, pause ends, automatic completion or revert.
fn settled_at(releases: &[Release], auto_complete: SimDuration) -> SimTime {
    let mut settled = SimTime(i64::MIN / 4);
    for release in releases {
        settled = settled.max(release.at);
        if !release.rollout.is_empty() {
            settled = settled.max(release.at + auto_complete);
        }
        for &(step_at, _) in &release.rollout {
            settled = settled.max(step_at);
        }
        for &(from, until) in &release.pauses {
            settled = settled.max(from).max(until);
        }
        if let Some(revert) = release.revert_at {
            settled = settled.max(revert);
        }
    }
    settled
}

fn affected_mask(incidents: &[Incident], t: SimTime) -> u64 {
    incidents
        .iter()
        .filter(|inc| inc.from <= t && t < inc.until)
        .flat_map(|inc| inc.packages.iter())
        .fold(0u64, |mask, &p| mask | (1u64 << p))
}

impl Schedule {
    /// Builds the schedule from a validated scenario.
    pub fn new(scenario: &Scenario) -> Schedule {
        let releases = scenario.releases.clone();
        let auto_complete = scenario.client.phased_auto_complete;
        let mut changes: Vec<SimTime> = vec![SimTime(i64::MIN / 4)];
        for release in &releases[1..] {
            changes.push(release.at);
            if let Some(revert) = release.revert_at {
                changes.push(revert);
            }
        }
        for incident in &scenario.incidents {
            changes.push(incident.from);
            if incident.until < SimTime::NEVER {
                changes.push(incident.until);
            }
        }
        changes.sort_unstable();
        changes.dedup();
        let mut schedule = Schedule {
            releases,
            auto_complete,
            epochs: Vec::new(),
            last_release_at: SimTime::ZERO,
            settled_at: settled_at(&scenario.releases[1..], auto_complete),
            outages: OutageWindows::new(&scenario.outages),
        };
        schedule.last_release_at = schedule.releases.last().map_or(SimTime::ZERO, |r| r.at);
        let mut epochs: Vec<Epoch> = Vec::new();
        for start in changes {
            let epoch = Epoch {
                start,
                newest: schedule.newest_publication(start).package,
                affected: affected_mask(&scenario.incidents, start),
            };
            match epochs.last() {
                Some(last) if last.newest == epoch.newest && last.affected == epoch.affected => {}
                _ => epochs.push(epoch),
            }
        }
        schedule.epochs = epochs;
        schedule
    }

    /// Returns whether [`Schedule::target`] is constant in time from `t` on,
    /// for every bucket: no publication, rollout step, pause, automatic
    /// completion or revert happens after `t`.
    #[inline]
    pub fn is_settled(&self, t: SimTime) -> bool {
        t >= self.settled_at
    }

    /// Returns the publications, index 0 being the baseline.
    pub fn releases(&self) -> &[Release] {
        &self.releases
    }

    /// Epochs in time order; the first starts before any simulated instant.
    pub fn epochs(&self) -> &[Epoch] {
        &self.epochs
    }

    /// Index of the epoch containing `t`.
    #[inline]
    pub fn epoch_index(&self, t: SimTime) -> usize {
        self.epochs
            .partition_point(|e| e.start <= t)
            .saturating_sub(1)
    }

    /// Returns the epoch containing `t`.
    #[inline]
    pub fn epoch_at(&self, t: SimTime) -> &Epoch {
        &self.epochs[self.epoch_index(t)]
    }

    /// Returns the newest package at `t`: that of the latest publication made by
    /// `t` that has not been reverted.
    #[inline]
    pub fn newest_package(&self, t: SimTime) -> usize {
        self.epoch_at(t).newest
    }

    fn newest_publication(&self, t: SimTime) -> &Release {
        self.releases
            .iter()
            .rev()
            .find(|r| r.at <= t && r.revert_at.is_none_or(|revert| t < revert))
            .unwrap_or(&self.releases[0])
    }

    /// Returns the publication a user in rollout bucket `bucket` (in `[0, 100)`) is
    /// offered at `t`: the latest one published, not reverted, whose rollout
    /// percentage exceeds the bucket.
    #[inline]
    pub fn target(&self, bucket: f64, t: SimTime) -> usize {
        for (index, release) in self.releases.iter().enumerate().rev() {
            if index == 0 {
                return 0;
            }
            if release.at <= t && bucket < release.percent_at(t, self.auto_complete) {
                return index;
            }
        }
        0
    }

    /// Returns the minimum required package for `bucket` at `t`: the highest of the
    /// releases marked `minimum_required` and the policy's own choice
    /// (`policy_minimum`, a publication index), among those published and
    /// offered to the bucket.
    #[inline]
    pub fn minimum_package_with(
        &self,
        bucket: f64,
        t: SimTime,
        policy_minimum: Option<usize>,
    ) -> Option<usize> {
        let from_policy = policy_minimum
            .map(|index| &self.releases[index])
            .filter(|r| r.at <= t && bucket < r.percent_at(t, self.auto_complete))
            .map(|r| r.package);
        self.minimum_package(bucket, t).max(from_policy)
    }

    /// Returns the server outages, for lookups by time.
    #[inline]
    pub fn outages(&self) -> &OutageWindows {
        &self.outages
    }

    /// Returns whether a critical release was published between
    /// `from_package` (excluded) and the package of `publication`
    /// (included). This is the CodePush server rule that makes an update
    /// critical for a user who skipped a critical release. Rollback
    /// publications republish an older package and add no critical flag.
    pub fn skipped_critical(&self, from_package: usize, publication: usize) -> bool {
        let target = self.releases[publication].package;
        self.releases[1..=publication].iter().any(|release| {
            release.critical
                && !release.is_rollback
                && release.package > from_package
                && release.package <= target
        })
    }

    /// Returns the package of the highest minimum-required publication offered to
    /// `bucket` at `t`, if any.
    #[inline]
    pub fn minimum_package(&self, bucket: f64, t: SimTime) -> Option<usize> {
        self.releases
            .iter()
            .rev()
            .filter(|r| r.minimum_required)
            .find(|r| r.at <= t && bucket < r.percent_at(t, self.auto_complete))
            .map(|r| r.package)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;
    use crate::time::{MS_PER_DAY, MS_PER_HOUR};

    fn scenario_with(releases: &str) -> Scenario {
        let text = format!("[population]\nusers = 10\nbaseline_version = \"1.0\"\n{releases}");
        scenario::parse(&text, "test.toml", None).expect("valid scenario")
    }

    #[test]
    fn settled_schedule_offers_no_change() {
        // A phased release with a pause, and a second one reverted: the
        // offer of some bucket changes at each of these instants, and at
        // none after the last.
        let s = scenario_with(
            "[[release]]\nversion = \"2.0\"\nat = \"1h\"\nrollout = [{ at = \"0h\", percent = 10 }, { at = \"30h\", percent = 60 }]\npause = [{ from = \"20h\", until = \"40h\" }]\n[[release]]\nversion = \"2.1\"\nat = \"50h\"\nrevert_at = \"60h\"\n",
        );
        let schedule = Schedule::new(&s);
        let hour = |h: i64| SimTime(h * MS_PER_HOUR);
        // The automatic completion of the phased release comes last.
        let settled = hour(1) + s.client.phased_auto_complete;
        assert!(schedule.is_settled(settled));
        assert!(!schedule.is_settled(settled - SimDuration(1)));
        let buckets: Vec<f64> = (0..100).map(|b| b as f64 + 0.5).collect();
        let offers = |t: SimTime| {
            buckets
                .iter()
                .map(|&b| schedule.target(b, t))
                .collect::<Vec<_>>()
        };
        let final_offer = offers(settled);
        for later in [1, MS_PER_HOUR, 30 * MS_PER_DAY, 400 * MS_PER_DAY] {
            assert_eq!(offers(settled + SimDuration(later)), final_offer);
        }
        // Just before, some bucket is still offered something else.
        assert_ne!(offers(settled - SimDuration(1)), final_offer);
    }

    #[test]
    fn phased_bucket_stays_eligible() {
        let s = scenario_with(
            "[[release]]\nversion = \"2.0\"\nat = \"1h\"\nrollout = [{ at = \"0h\", percent = 10 }, { at = \"5h\", percent = 50 }]\n",
        );
        let schedule = Schedule::new(&s);
        let hour = |h: i64| SimTime(h * 3_600_000);
        assert_eq!(schedule.target(5.0, hour(0)), 0);
        assert_eq!(schedule.target(5.0, hour(1)), 1);
        assert_eq!(schedule.target(30.0, hour(2)), 0);
        assert_eq!(schedule.target(30.0, hour(6)), 1);
        assert_eq!(schedule.target(5.0, hour(6)), 1);
        // Day 15 after publication completes the rollout.
        assert_eq!(schedule.target(99.0, hour(1 + 15 * 24)), 1);
        assert_eq!(schedule.newest_package(hour(2)), 1);
    }

    #[test]
    fn revert_returns_to_previous_release() {
        let s = scenario_with(
            "[[release]]\nversion = \"2.0\"\nat = \"0h\"\nrollout = [{ at = \"0h\", percent = 20 }]\nrevert_at = \"10h\"\n",
        );
        let schedule = Schedule::new(&s);
        assert_eq!(schedule.target(5.0, SimTime(3_600_000)), 1);
        assert_eq!(schedule.target(5.0, SimTime(11 * 3_600_000)), 0);
        assert_eq!(schedule.newest_package(SimTime(11 * 3_600_000)), 0);
    }

    #[test]
    fn pause_freezes_percentage() {
        let s = scenario_with(
            "[[release]]\nversion = \"2.0\"\nat = \"0h\"\nrollout = [{ at = \"0h\", percent = 10 }, { at = \"24h\", percent = 50 }]\npause = [{ from = \"20h\", until = \"30h\" }]\n",
        );
        let schedule = Schedule::new(&s);
        let hour = |h: i64| SimTime(h * 3_600_000);
        assert_eq!(schedule.target(30.0, hour(25)), 0, "paused at 10 %");
        assert_eq!(schedule.target(30.0, hour(31)), 1, "resumed at 50 %");
    }

    #[test]
    fn skipped_critical_release_is_found() {
        let s = scenario_with(
            "[[release]]\nversion = \"1.1\"\nat = \"0h\"\ncritical = true\n[[release]]\nversion = \"1.2\"\nat = \"1h\"\n",
        );
        let schedule = Schedule::new(&s);
        assert!(
            schedule.skipped_critical(0, 2),
            "1.0 to 1.2 skips critical 1.1"
        );
        assert!(!schedule.skipped_critical(1, 2), "1.1 to 1.2 skips nothing");
        assert!(schedule.skipped_critical(0, 1), "1.1 is critical itself");
    }

    #[test]
    fn rollback_republishes_old_package() {
        let s = scenario_with(
            "[[release]]\nversion = \"2.0\"\nat = \"0h\"\n[[release]]\nrollback_to = \"1.0\"\nat = \"2h\"\n",
        );
        let schedule = Schedule::new(&s);
        assert_eq!(schedule.newest_package(SimTime(3 * 3_600_000)), 0);
        assert_eq!(schedule.target(50.0, SimTime(3 * 3_600_000)), 2);
        assert_eq!(schedule.releases()[2].package, 0);
    }
}
