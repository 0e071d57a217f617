//! What happens when a package starts. This covers a new user's first
//! launch (fresh, stale or blocked by an outage) and the synchronous check
//! on every cold start (the Expo pattern). It also covers on-device rollback
//! of a package that fails to start, and request failures in outages.

use rand::Rng;

use super::{Attempt, Event, SyncOutcome, TimedOutDownload, UserSim};
use crate::engine::queue::EventQueue;
use crate::model::timeline::TimelineKind;
use crate::scenario::{SkippedCritical, StaleSource};
use crate::stats::bins::Counter;
use crate::stats::tally::Tally;
use crate::time::{SimDuration, SimTime};

impl<T: Tally> UserSim<'_, '_, T> {
    /// A new user's first launch; returns the package it runs, or `None`
    /// when a download outage leaves it with nothing to run.
    pub(super) fn first_launch(
        &mut self,
        t: SimTime,
        queue: &mut EventQueue<Event>,
    ) -> Option<usize> {
        if let Some(source) = self.traits.stale_first_launch {
            return Some(self.stale_first_launch(t, source, queue));
        }
        let outage = self.ctx.schedule.outages().download_failure(t);
        if outage > 0.0 {
            let draw: f64 = self.streams.network.random();
            if draw < outage {
                self.bins.add(Counter::DownloadsStarted, t, 1);
                self.bins.add(Counter::DownloadsFailed, t, 1);
                return None;
            }
        }
        self.first_install(t);
        Some(self.state.cached)
    }

    /// Runs a first launch from a package the host prefetched earlier or the
    /// store binary embeds. Nothing is downloaded, and the launch checks for
    /// an update like any other cold start. So the newest version runs from a
    /// later cold start on, or at once if the policy restarts.
    // NOTE: the prefetch download itself is not counted in bytes_downloaded.
    fn stale_first_launch(
        &mut self,
        t: SimTime,
        source: StaleSource,
        queue: &mut EventQueue<Event>,
    ) -> usize {
        let schedule = self.ctx.schedule;
        let package = match source {
            StaleSource::Package(package) => package,
            StaleSource::Age(age) => {
                schedule.releases()[schedule.target(self.traits.bucket, t - age)].package
            }
        };
        self.bins.add(Counter::FirstLaunches, t, 1);
        self.bins.add(Counter::StaleFirstLaunches, t, 1);
        self.state.installed_since = t;
        self.set_installed(t, package, false);
        if self.ctx.client.sync_check_on_cold_start {
            let _ = self.sync_check_on_cold_start(t, queue);
        } else {
            self.async_check(t, queue);
        }
        self.state.cached
    }

    /// Runs the synchronous check of every cold start (Expo's check on launch
    /// with `fallbackToCacheTimeout`). The launch waits up to `sync_timeout`
    /// for the check and the download together, then opens what it has.
    pub(super) fn sync_check_on_cold_start(
        &mut self,
        t: SimTime,
        queue: &mut EventQueue<Event>,
    ) -> SyncOutcome {
        let client = self.ctx.client;
        let timeout = client.sync_timeout.0;
        let latency = self.ctx.check_latency.sample_ms(&mut self.streams.checks);
        self.bins.add(Counter::Checks, t, 1);

        if latency >= timeout {
            // The response comes after the launch stopped waiting. With
            // continue_after_timeout the check goes on in the background.
            self.record_startup_wait(t, timeout);
            if client.continue_after_timeout {
                if self.check_fails(t) {
                    self.bins.add(Counter::ChecksFailed, t, 1);
                    self.record(t, TimelineKind::CheckFailed { periodic: false });
                } else {
                    queue.schedule(t + SimDuration(latency), Event::CheckDone);
                }
            }
            return SyncOutcome::Failed;
        }
        if self.check_fails(t) {
            self.bins.add(Counter::ChecksFailed, t, 1);
            self.record(t, TimelineKind::CheckFailed { periodic: false });
            self.record_startup_wait(t, latency);
            return SyncOutcome::Failed;
        }

        let schedule = self.ctx.schedule;
        let publication = schedule.target(self.traits.bucket, t);
        let release = &schedule.releases()[publication];
        let (package, size, critical) = (release.package, release.size, release.critical);
        if package == self.state.cached || self.is_ignored(package) || self.state.downloading {
            self.record_startup_wait(t, latency);
            return SyncOutcome::UpToDate;
        }

        self.bins.add(Counter::SyncUpdates, t, 1);
        self.bins.add(Counter::DownloadsStarted, t, 1);
        let limit = timeout - latency;
        let (outcome, waited) = match self.attempt(t, size, Some(SimDuration(limit))) {
            Attempt::Ok { ms } => {
                self.bins.add(Counter::DownloadsCompleted, t, 1);
                self.bins.add(Counter::BytesDownloaded, t, size as u64);
                self.set_installed(t, package, critical);
                (SyncOutcome::Updated, latency + ms)
            }
            Attempt::Failed { ms, bytes } => {
                self.bins.add(Counter::DownloadsFailed, t, 1);
                self.bins.add(Counter::SyncFailures, t, 1);
                self.bins.add(Counter::BytesDownloaded, t, bytes);
                (SyncOutcome::Failed, latency + ms)
            }
            Attempt::TimedOut { full_ms, fails } => {
                self.bins.add(Counter::SyncFailures, t, 1);
                self.timed_out_download(
                    t,
                    queue,
                    TimedOutDownload {
                        publication,
                        size,
                        started_after_ms: latency,
                        full_ms,
                        fails,
                        waited_ms: limit,
                    },
                );
                (SyncOutcome::Failed, timeout)
            }
        };
        self.record_startup_wait(t, waited);
        outcome
    }

    /// Records the time a cold start waited for a synchronous check or
    /// update; a launch that did not wait records nothing.
    fn record_startup_wait(&mut self, t: SimTime, waited_ms: i64) {
        if waited_ms > 0 {
            self.bins.add(Counter::SyncDelayMs, t, waited_ms as u64);
            self.bins.record_sync_delay(waited_ms as u64);
        }
    }

    /// Records a synchronous update whose check failed in an outage. The
    /// launch waited for the check's response and opens without updating.
    pub(super) fn sync_failed_at_check(&mut self, t: SimTime, waited_ms: i64) {
        self.bins.add(Counter::ChecksFailed, t, 1);
        self.record(t, TimelineKind::CheckFailed { periodic: false });
        self.bins.add(Counter::SyncFailures, t, 1);
        self.bins.add(Counter::SyncDelayMs, t, waited_ms as u64);
        self.bins.record_sync_delay(waited_ms as u64);
    }

    /// Starts the package in `state.running`. On a device where it fails to
    /// start, the client rolls back to the last package that started, ignores
    /// the failed one from then on, and runs the older one. Returns the
    /// package that runs.
    pub(super) fn start_running(&mut self, t: SimTime) -> usize {
        let running = self.state.running;
        let fails = running < 64 && self.traits.start_failures & (1u64 << running) != 0;
        if !fails {
            self.state.last_good = running;
            return running;
        }
        self.bins.add(Counter::Rollbacks, t, 1);
        self.state.ignored |= 1u64 << running;
        let good = self.state.last_good;
        if self.state.cached == running {
            self.set_installed(t, good, false);
        }
        self.state.running = good;
        good
    }

    /// Returns whether this device ignores `package` because it failed to
    /// start here.
    #[inline]
    pub(super) fn is_ignored(&self, package: usize) -> bool {
        package < 64 && self.state.ignored & (1u64 << package) != 0
    }

    /// Returns whether the update to `publication` from the cached package is
    /// critical, following `client.skipped_critical`.
    pub(super) fn update_is_critical(&self, publication: usize) -> bool {
        let schedule = self.ctx.schedule;
        match self.ctx.client.skipped_critical {
            SkippedCritical::Ignore => schedule.releases()[publication].critical,
            SkippedCritical::Inherit => schedule.skipped_critical(self.state.cached, publication),
        }
    }

    /// Returns whether an update check started at `t` fails in an outage. It
    /// draws from the check stream only while an outage is on, so a scenario
    /// without outages keeps every draw.
    pub(super) fn check_fails(&mut self, t: SimTime) -> bool {
        let failure = self.ctx.schedule.outages().check_failure(t);
        if failure == 0.0 {
            return false;
        }
        let draw: f64 = self.streams.checks.random();
        draw < failure
    }

    /// Returns the probability that a download started at `t` fails: the
    /// network's own failure combined with any outage. Outside outages it is
    /// exactly the network's value, so the same uniform draw decides as before.
    pub(super) fn download_failure(&self, t: SimTime) -> f64 {
        let outage = self.ctx.schedule.outages().download_failure(t);
        if outage == 0.0 {
            self.network.failure
        } else {
            1.0 - (1.0 - self.network.failure) * (1.0 - outage)
        }
    }
}
