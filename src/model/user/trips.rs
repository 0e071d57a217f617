//! Timers and background stretches inside a live process: brief trips to
//! the background within a visit, the in-app timer check while in the
//! foreground, and `on_suspend`, which applies an update in the background.

use super::{Event, UserSim};
use crate::engine::queue::EventQueue;
use crate::model::timeline::TimelineKind;
use crate::scenario::UpdateAction;
use crate::stats::bins::Counter;
use crate::stats::tally::Tally;
use crate::time::{SimDuration, SimTime};

impl<T: Tally> UserSim<'_, '_, T> {
    /// Schedules the first background trip of visit `visit`, if it has one.
    pub(super) fn schedule_first_trip(&mut self, visit: u32, queue: &mut EventQueue<Event>) {
        while self
            .trips
            .get(self.trip_cursor)
            .is_some_and(|trip| trip.visit < visit)
        {
            self.trip_cursor += 1;
        }
        if let Some(trip) = self.trips.get(self.trip_cursor) {
            if trip.visit == visit {
                queue.schedule(trip.hide, Event::Hide(self.trip_cursor as u32));
            }
        }
    }

    /// Hides the app for a moment (a dialog, a payment page) while the
    /// process stays alive. A visit whose launch failed has nothing in the
    /// foreground to hide.
    pub(super) fn hide(&mut self, t: SimTime, index: u32, queue: &mut EventQueue<Event>) {
        let trip = self.trips[index as usize];
        queue.schedule(trip.show, Event::Show(index));
        if !self.state.foreground {
            return;
        }
        self.account_foreground(self.state.foreground_since, t, self.state.running);
        self.record(t, TimelineKind::BriefBackground);
        self.state.foreground = false;
        self.state.in_trip = true;
        self.state.last_close = t;
        self.after_hide(t, queue);
    }

    /// Shows the app again after a background trip. This is not a launch,
    /// but the policy and deferred callbacks see it as a resume.
    pub(super) fn show(&mut self, t: SimTime, index: u32, queue: &mut EventQueue<Event>) {
        let trip = self.trips[index as usize];
        if let Some(next) = self.trips.get(index as usize + 1) {
            if next.visit == trip.visit {
                queue.schedule(next.hide, Event::Hide(index + 1));
            }
        }
        if !self.state.in_trip {
            return;
        }
        self.bins.add(Counter::BackgroundTrips, t, 1);
        self.record(t, TimelineKind::BriefReturn);
        self.state.in_trip = false;
        self.state.foreground = true;
        self.state.foreground_since = t;
        let background = t - self.state.last_close;
        self.resume(t, background);
        self.start_foreground(t, queue);
    }

    /// Starts a foreground stretch that began at `since` (a launch, the
    /// return from a trip, or the last visit before t = 0), and its in-app
    /// timer check if the policy has one.
    pub(super) fn start_foreground(&mut self, since: SimTime, queue: &mut EventQueue<Event>) {
        self.state.foreground_epoch = self.state.foreground_epoch.wrapping_add(1);
        let Some(every) = self.policy.foreground_check_every else {
            return;
        };
        // A stretch that began before t = 0 keeps its timer phase: the first
        // tick is the first one at or after t = 0.
        let elapsed = (SimTime::ZERO - since).0.max(0);
        let ticks_before_zero = (elapsed + every.0 - 1) / every.0;
        let first = since + SimDuration(every.0 * ticks_before_zero.max(1));
        queue.schedule(first, Event::ForegroundTick(self.state.foreground_epoch));
    }

    /// The in-app timer fires: the app checks for an update if its running
    /// version has the timer code, and sets the next tick.
    pub(super) fn foreground_tick(
        &mut self,
        t: SimTime,
        epoch: u32,
        queue: &mut EventQueue<Event>,
    ) {
        if epoch != self.state.foreground_epoch || !self.state.foreground {
            return;
        }
        if self.state.running >= self.policy.since_package {
            self.async_check(t, queue);
        }
        if let Some(every) = self.policy.foreground_check_every {
            queue.schedule(t + every, Event::ForegroundTick(epoch));
        }
    }

    /// Schedules the `on_suspend` apply after the app went to the background
    /// with an update ready. It fires once the app has stayed in the
    /// background for `min_background`.
    pub(super) fn after_hide(&mut self, t: SimTime, queue: &mut EventQueue<Event>) {
        if !self.state.suspend_armed {
            return;
        }
        if let UpdateAction::OnSuspend { min_background } = self.read_action() {
            queue.schedule(
                t + *min_background,
                Event::SuspendApply(self.state.foreground_epoch),
            );
        }
    }

    /// Applies the update in the background for `on_suspend`, if the app is
    /// still in the background stretch the apply was set for and the process
    /// is alive. The restart is not visible, and the next resume shows the
    /// new version.
    pub(super) fn suspend_apply(&mut self, t: SimTime, epoch: u32) {
        if epoch != self.state.foreground_epoch
            || self.state.foreground
            || !self.state.suspend_armed
            || !self.alive(t)
        {
            return;
        }
        self.state.suspend_armed = false;
        if self.state.cached == self.state.running {
            return;
        }
        if !self.traits.apply_update_restarts {
            self.bins.add(Counter::ApplyIgnored, t, 1);
            self.record(t, TimelineKind::ApplyIgnored);
            return;
        }
        self.bins.add(Counter::SuspendRestarts, t, 1);
        self.state.running = self.state.cached;
        let package = self.start_running(t);
        self.record(t, TimelineKind::SuspendRestart { package });
    }
}
