//! One user's timeline under one policy.
//!
//! The user's visits (open, close, keep-alive) are drawn before the policy
//! runs and are the same for every policy: common random numbers. The
//! update logic then plays out as a small discrete-event simulation over
//! the user's own events, writing into per-bin counters.
//!
//! ```text
//! cold start ──► sync update needed? ──yes──► wait: check + download ──ok──► run new
//!      │                 │                        └─fail/timeout──► run cached (flag kept)
//!      │                 no
//!      ▼                 ▼
//!  run cached ──► async check ──► newer? ──► background download ──► onUpdateReady
//!                                                 (next cold start runs it; the
//!                                                  policy may applyUpdate now)
//! ```
//!
//! The field mechanisms (host clients, outages, stale first launches, brief
//! trips to the background, on-device rollback, the synchronous check on
//! every cold start) live in the submodules and hook into these steps.

mod sharing;
mod startup;
#[cfg(test)]
mod tests;
mod trips;

use sharing::{differ_only_in_action, Sharing, Snapshot};
pub use sharing::{Trail, TRAIL_BYTES_PER_VISIT};

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::engine::queue::{EventQueue, Slot};
use crate::engine::rng::SimRng;
use crate::model::background_trips::BackgroundTrip;
use crate::model::launches::Visit;
use crate::model::schedule::Schedule;
use crate::model::timeline::{SyncResult, TimelineEvent, TimelineKind};
use crate::scenario::dist::DurationSampler;
use crate::scenario::profile::SyncFailure;
use crate::scenario::{
    ClientConfig, Network, Policy, StaleSource, UpdateAction, UpdateReadyCallback,
};
use crate::stats::bins::{Bins, Counter, Gauge, Total};
use crate::stats::tally::{Recorder, Tally};
use crate::time::{round_to_i64, SimDuration, SimTime, MS_PER_DAY};

/// Per-user traits fixed for the whole run, the same under every policy.
#[derive(Clone, Debug)]
pub struct UserTraits {
    /// Rollout bucket in `[0, 100)`.
    pub bucket: f64,
    /// Whether the client runs the periodic check.
    pub periodic_check: bool,
    /// Offset of the periodic check within its interval.
    pub periodic_phase: SimDuration,
    /// Whether the base library has `UpdateManager`.
    pub update_manager: bool,
    /// When the user appears: t = 0 for existing users, the first launch
    /// for new users.
    pub present_from: SimTime,
    /// A new user: nothing cached before the first launch.
    pub is_new: bool,
    /// Index of the user's host client in `Scenario::hosts` (0 without hosts).
    pub host: u16,
    /// Whether `applyUpdate()` restarts the app on the user's host.
    pub apply_update_restarts: bool,
    /// How often the user's host fires `onUpdateReady`.
    pub update_ready_callback: UpdateReadyCallback,
    /// For a new user whose first launch runs a stale package: where the
    /// package comes from.
    pub stale_first_launch: Option<StaleSource>,
    /// Bit `p` set: package `p` fails to start on this device.
    pub start_failures: u64,
}

/// Settings shared by all users of one run.
pub struct RunContext<'a> {
    /// The release schedule.
    pub schedule: &'a Schedule,
    /// Client behaviour.
    pub client: &'a ClientConfig,
    /// Check latency sampler.
    pub check_latency: &'a DurationSampler,
    /// End of the simulated time.
    pub horizon: SimTime,
}

/// The random streams a policy run draws from (the launch stream is used
/// up before, in drawing the visits).
#[derive(Clone, PartialEq, Eq)]
pub struct PolicyStreams {
    /// Download durations and failures.
    pub network: SimRng,
    /// Check latencies.
    pub checks: SimRng,
    /// Prompt answers.
    pub prompts: SimRng,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Open(u32),
    Close(u32),
    CheckDone,
    DownloadDone {
        generation: u32,
        publication: u16,
        ok: bool,
        bytes: u64,
    },
    /// The app goes to the background for background trip `n`.
    Hide(u32),
    /// The app comes back from background trip `n`.
    Show(u32),
    /// The in-app timer check of the foreground stretch `n`.
    ForegroundTick(u32),
    /// `ON_NEXT_SUSPEND`: apply the update if the app is still in the
    /// background stretch that began after foreground stretch `n`.
    SuspendApply(u32),
}

/// Reusable per-thread buffers.
pub struct UserScratch {
    queue: EventQueue<Event>,
    trail: Trail,
    /// Per later policy: where it took over the lead's timeline.
    meetings: Vec<Option<usize>>,
}

impl Default for UserScratch {
    fn default() -> Self {
        UserScratch {
            queue: EventQueue::new(SimTime(i64::MIN / 2)),
            trail: Trail::default(),
            meetings: Vec::new(),
        }
    }
}

const NEVER_LAUNCHED: SimTime = SimTime(i64::MIN / 4);

/// Bytes of update state one policy run of one user keeps while it is
/// simulated (its traits, visits and pending events aside).
pub const USER_STATE_BYTES: usize = std::mem::size_of::<State>();

#[derive(Clone, PartialEq, Eq)]
struct State {
    cached: usize,
    cached_critical: bool,
    running: usize,
    foreground: bool,
    foreground_since: SimTime,
    alive_until: SimTime,
    last_launch: SimTime,
    last_close: SimTime,
    last_async_check: SimTime,
    downloading: bool,
    download_generation: u32,
    sync_pending: bool,
    ready_pending: bool,
    resume_armed: bool,
    installed_since: SimTime,
    active_since: SimTime,
    active_until: SimTime,
    active_package: usize,
    launched: bool,
    /// Counts foreground stretches (launches and returns from background
    /// trips), so timers can tell whether theirs is still on.
    foreground_epoch: u32,
    /// Inside a background trip: the process is alive, the app hidden.
    in_trip: bool,
    suspend_armed: bool,
    /// The package that last started without failing; an on-device rollback
    /// returns to it (0, the baseline or embedded bundle, at first).
    last_good: usize,
    /// Bit `p` set: package `p` failed to start here and is ignored.
    ignored: u64,
}

/// Simulates one user's timeline under one policy, adding to `bins`; with
/// `log`, also appends every step to it in order. `trips` are the brief
/// trips to the background inside `visits`.
#[allow(clippy::too_many_arguments)]
pub fn simulate_user(
    ctx: &RunContext,
    traits: &UserTraits,
    network: &Network,
    visits: &[Visit],
    trips: &[BackgroundTrip],
    policy: &Policy,
    streams: &mut PolicyStreams,
    scratch: &mut UserScratch,
    bins: &mut Bins,
    log: Option<&mut Vec<TimelineEvent>>,
) {
    let user = UserInputs {
        ctx,
        traits,
        network,
        visits,
        trips,
    };
    let played = play(
        &user,
        policy,
        streams,
        &mut scratch.queue,
        bins,
        log,
        Sharing::Off,
    );
    bins.add_total(Total::Events, played.events);
}

/// Simulates one user under every policy, from the same `streams` (common
/// random numbers); policy `p` counts into `bins[first + p × step]`.
///
/// The first policy counts into `shared`, which must be merged into every
/// policy's counters. When every later policy took over the end of the
/// first policy's timeline (see [`Trail`]), each takes back the part before
/// its takeover point. Otherwise the first policy's changes move from
/// `shared` to its own counters. Returns the events handled, which is fewer
/// than the events counted when policies shared the end of a timeline.
#[allow(clippy::too_many_arguments)]
pub fn simulate_policies(
    ctx: &RunContext,
    traits: &UserTraits,
    network: &Network,
    visits: &[Visit],
    trips: &[BackgroundTrip],
    policies: &[Policy],
    streams: &PolicyStreams,
    scratch: &mut UserScratch,
    bins: &mut [Bins],
    shared: &mut Bins,
    first: usize,
    step: usize,
) -> u64 {
    let Some((lead, others)) = policies.split_first() else {
        return 0;
    };
    let user = UserInputs {
        ctx,
        traits,
        network,
        visits,
        trips,
    };
    let UserScratch {
        queue,
        trail,
        meetings,
    } = scratch;
    trail.clear();
    meetings.clear();
    // Counters of later policy `p` (0 for the second policy).
    let follower = |p: usize| first + (p + 1) * step;

    let mut lead_streams = streams.clone();
    let played = play(
        &user,
        lead,
        &mut lead_streams,
        queue,
        &mut Recorder::new(shared, &mut trail.changes),
        None,
        Sharing::Lead(&mut trail.snapshots),
    );
    bins[first].add_total(Total::Events, played.events);
    trail.streams = Some(lead_streams);
    trail.events = played.events;
    trail.action_reads = played.action_reads;
    let mut handled = played.handled;

    for (p, policy) in others.iter().enumerate() {
        let same_timeline = differ_only_in_action(lead, policy);
        let bins = &mut bins[follower(p)];
        if same_timeline && trail.action_reads == 0 {
            // The lead never consulted its action, so a policy that differs
            // only there has the lead's whole timeline: it takes over from
            // the start without being played.
            bins.add_total(Total::Events, trail.events);
            meetings.push(Some(0));
            continue;
        }
        let sharing = if same_timeline {
            Sharing::Follow(trail)
        } else {
            Sharing::Off
        };
        let played = play(
            &user,
            policy,
            &mut streams.clone(),
            queue,
            bins,
            None,
            sharing,
        );
        bins.add_total(Total::Events, played.events);
        handled += played.handled;
        meetings.push(played.met);
    }

    // The lead counted into `shared`, which every policy receives. Later
    // policies take back what came before their takeover point. When one
    // of them never took over, the lead's changes move to its own counters.
    let changes = &trail.changes;
    if meetings.iter().all(Option::is_some) {
        for (p, met) in meetings.iter().enumerate() {
            let from = met.unwrap_or_default();
            bins[follower(p)].retract(&changes[..from]);
        }
    } else {
        shared.retract(changes);
        bins[first].apply(changes);
        for (p, met) in meetings.iter().enumerate() {
            if let Some(from) = *met {
                bins[follower(p)].apply(&changes[from..]);
            }
        }
    }
    handled
}

/// The inputs one user is simulated from under every policy.
struct UserInputs<'a> {
    ctx: &'a RunContext<'a>,
    traits: &'a UserTraits,
    network: &'a Network,
    visits: &'a [Visit],
    trips: &'a [BackgroundTrip],
}

/// The outcome of one timeline.
struct Played {
    /// Events of the timeline, those taken over from the lead included.
    events: u64,
    /// Events this timeline handled itself.
    handled: u64,
    /// Times the timeline consulted the policy's action.
    action_reads: u32,
    /// The takeover point: the position in the lead's changes from which
    /// they belong to this timeline too.
    met: Option<usize>,
}

/// Plays one user's timeline under `policy` into `bins`.
fn play<T: Tally>(
    user: &UserInputs,
    policy: &Policy,
    streams: &mut PolicyStreams,
    queue: &mut EventQueue<Event>,
    bins: &mut T,
    log: Option<&mut Vec<TimelineEvent>>,
    mut sharing: Sharing,
) -> Played {
    let UserInputs {
        ctx,
        traits,
        network,
        visits,
        trips,
    } = *user;
    let mut sim = UserSim {
        ctx,
        traits,
        network,
        visits,
        trips,
        trip_cursor: 0,
        policy,
        action: &policy.action,
        policy_minimum: policy.minimum_required,
        streams,
        bins,
        state: initial_state(traits),
        visit_step: None,
        action_reads: 0,
        events: 0,
        log,
    };
    queue.reset(SimTime(i64::MIN / 2));
    if let Some(first) = visits.first() {
        sim.schedule_visit_step(queue, first.open, Event::Open(0));
    }
    // The periodic tick stays outside the queue, which saves a push and a
    // pop per tick; its slot keeps its place among the queued events.
    let interval = ctx.client.periodic_check_interval;
    let mut tick = traits
        .periodic_check
        .then(|| queue.reserve_slot(SimTime::ZERO + traits.periodic_phase));
    loop {
        let head = queue.peek_slot();
        let visit_is_next = match (sim.visit_step, head) {
            (Some((visit, _)), Some(head)) => visit < head,
            (visit, _) => visit.is_some(),
        };
        let next_queued = if visit_is_next {
            sim.visit_step.map(|(slot, _)| slot)
        } else {
            head
        };
        let tick_is_next = match (tick, next_queued) {
            (Some(tick), Some(next)) => tick < next,
            (tick, _) => tick.is_some(),
        };
        if let (true, Some(slot)) = (tick_is_next, tick) {
            if slot.time >= ctx.horizon {
                break;
            }
            sim.events += 1;
            sim.periodic_tick(slot.time);
            let next = slot.time + interval;
            tick = (next < ctx.horizon).then(|| queue.reserve_slot(next));
            continue;
        }
        let next = if visit_is_next {
            sim.visit_step
                .take()
                .map(|(slot, event)| (slot.time, event))
        } else {
            queue.pop()
        };
        let Some((t, event)) = next else {
            break;
        };
        if t >= ctx.horizon {
            break;
        }
        if let Event::Open(index) = event {
            let next_tick = tick.map(|slot| slot.time);
            match &mut sharing {
                Sharing::Off => {}
                // A takeover needs a lead that never reads its action
                // afterwards, so snapshots before its first read are useless.
                Sharing::Lead(snapshots) if sim.action_reads > 0 => {
                    snapshots.push(Snapshot::of(&sim, index, next_tick, queue.is_empty()));
                }
                Sharing::Lead(_) => {}
                Sharing::Follow(trail) => {
                    if let Some(from) = trail.meets(&sim, index, t, next_tick, queue.is_empty()) {
                        return Played {
                            events: sim.events + (trail.events - from.events()),
                            handled: sim.events,
                            action_reads: sim.action_reads,
                            met: Some(from.changes()),
                        };
                    }
                }
            }
        }
        sim.events += 1;
        sim.handle(t, event, queue);
    }
    sim.finish();
    Played {
        events: sim.events,
        handled: sim.events,
        action_reads: sim.action_reads,
        met: None,
    }
}

fn initial_state(traits: &UserTraits) -> State {
    State {
        cached: 0,
        cached_critical: false,
        running: 0,
        foreground: false,
        foreground_since: SimTime::ZERO,
        alive_until: NEVER_LAUNCHED,
        last_launch: NEVER_LAUNCHED,
        last_close: NEVER_LAUNCHED,
        last_async_check: NEVER_LAUNCHED,
        downloading: false,
        download_generation: 0,
        sync_pending: false,
        ready_pending: false,
        resume_armed: false,
        installed_since: traits.present_from,
        active_since: NEVER_LAUNCHED,
        active_until: NEVER_LAUNCHED,
        active_package: 0,
        launched: false,
        foreground_epoch: 0,
        in_trip: false,
        suspend_armed: false,
        last_good: 0,
        ignored: 0,
    }
}

struct UserSim<'a, 'b, T: Tally> {
    ctx: &'a RunContext<'a>,
    traits: &'a UserTraits,
    network: &'a Network,
    visits: &'a [Visit],
    trips: &'a [BackgroundTrip],
    /// First background trip not yet scheduled.
    trip_cursor: usize,
    policy: &'a Policy,
    action: &'a UpdateAction,
    policy_minimum: Option<usize>,
    streams: &'b mut PolicyStreams,
    bins: &'b mut T,
    state: State,
    /// The next open or close of a visit. Opens and closes alternate, so at
    /// most one is pending. It waits outside the queue, which saves a push
    /// and a pop per step, and its slot keeps its place among queued events.
    visit_step: Option<(Slot, Event)>,
    /// Times the policy's action was consulted; a later policy can take
    /// over this timeline only from a point after which it never was.
    action_reads: u32,
    events: u64,
    log: Option<&'b mut Vec<TimelineEvent>>,
}

/// Outcome of a synchronous download attempt.
enum Attempt {
    /// Completed after `ms`.
    Ok { ms: i64 },
    /// Failed after `ms`, having received `bytes`.
    Failed { ms: i64, bytes: u64 },
    /// Still running at the timeout; it would take `full_ms` in all and
    /// fail at the end when `fails` is set.
    TimedOut { full_ms: i64, fails: bool },
}

/// Outcome of the synchronous part of a cold start.
enum SyncOutcome {
    /// No synchronous update was due.
    NotNeeded,
    /// A synchronous check found nothing newer.
    UpToDate,
    /// The new package was downloaded before the app opened.
    Updated,
    /// The synchronous download failed or timed out.
    Failed,
    /// Below the minimum required version and every attempt failed: the
    /// app cannot open.
    Blocked,
}

/// Timings of a synchronous download that ran past the launch's limit.
struct TimedOutDownload {
    /// The publication being downloaded.
    publication: usize,
    /// Package size in bytes.
    size: f64,
    /// Milliseconds from the cold start to the start of the download.
    started_after_ms: i64,
    /// Milliseconds the download takes in all.
    full_ms: i64,
    /// Whether it fails at its end.
    fails: bool,
    /// Milliseconds of it the launch waited for.
    waited_ms: i64,
}

impl<'a, T: Tally> UserSim<'a, '_, T> {
    /// Returns the policy's action and counts the read (see [`Trail`]).
    #[inline]
    fn read_action(&mut self) -> &'a UpdateAction {
        self.action_reads += 1;
        self.action
    }

    /// Schedules the next open or close of a visit, outside the queue.
    #[inline]
    fn schedule_visit_step(&mut self, queue: &mut EventQueue<Event>, time: SimTime, event: Event) {
        debug_assert!(self.visit_step.is_none(), "two visit steps pending");
        self.visit_step = Some((queue.reserve_slot(time), event));
    }

    #[inline]
    fn record(&mut self, at: SimTime, kind: TimelineKind) {
        if let Some(log) = self.log.as_deref_mut() {
            log.push(TimelineEvent { at, kind });
        }
    }

    // Runs once per event. Without forced inlining the compiler leaves it
    // out of the event loop, which made the default scenario about 10 %
    // slower on one thread.
    #[inline(always)]
    fn handle(&mut self, t: SimTime, event: Event, queue: &mut EventQueue<Event>) {
        match event {
            Event::Open(index) => {
                let visit = self.visits[index as usize];
                if t.0 < 0 {
                    self.open_before_start(&visit, queue);
                } else {
                    self.open(t, queue);
                }
                self.schedule_visit_step(queue, visit.close.max(t), Event::Close(index));
                self.schedule_first_trip(index, queue);
            }
            Event::Close(index) => {
                let visit = self.visits[index as usize];
                let was_foreground = self.state.foreground;
                self.close(t, &visit);
                if was_foreground {
                    self.after_hide(t, queue);
                }
                if let Some(next) = self.visits.get(index as usize + 1) {
                    let open = next.open.max(t);
                    self.schedule_visit_step(queue, open, Event::Open(index + 1));
                }
            }
            Event::CheckDone => self.check_done(t, queue),
            Event::DownloadDone {
                generation,
                publication,
                ok,
                bytes,
            } => self.download_done(t, generation, publication as usize, ok, bytes),
            Event::Hide(trip) => self.hide(t, trip, queue),
            Event::Show(trip) => self.show(t, trip, queue),
            Event::ForegroundTick(epoch) => self.foreground_tick(t, epoch, queue),
            Event::SuspendApply(epoch) => self.suspend_apply(t, epoch),
        }
    }

    /// Applies an existing user's last visit before t = 0, which sets the
    /// state the run starts from but counts nothing.
    fn open_before_start(&mut self, visit: &Visit, queue: &mut EventQueue<Event>) {
        let s = &mut self.state;
        s.last_launch = visit.open;
        s.running = s.cached;
        s.foreground = true;
        s.foreground_since = SimTime::ZERO;
        s.active_since = visit.open;
        s.active_until = visit.open + SimDuration(MS_PER_DAY);
        s.active_package = s.running;
        s.launched = true;
        let package = s.running;
        self.record(visit.open, TimelineKind::LaunchBeforeStart { package });
        self.start_foreground(visit.open, queue);
    }

    fn alive(&self, t: SimTime) -> bool {
        self.state.foreground || self.state.in_trip || t < self.state.alive_until
    }

    fn open(&mut self, t: SimTime, queue: &mut EventQueue<Event>) {
        let hot = self.state.launched && t < self.state.alive_until;
        let mut launched_package = None;
        if hot {
            self.bins.add(Counter::HotStarts, t, 1);
            let background = t - self.state.last_close;
            self.resume(t, background);
            launched_package = Some(self.state.running);
            if self.ctx.client.check_on_hot_start {
                self.async_check(t, queue);
            }
        } else {
            self.bins.add(Counter::ColdStarts, t, 1);
            self.state.ready_pending = false;
            self.state.resume_armed = false;
            self.state.suspend_armed = false;
            if self.traits.is_new && !self.state.launched {
                launched_package = self.first_launch(t, queue);
            } else {
                match self.cold_start_sync(t, queue) {
                    SyncOutcome::Updated | SyncOutcome::UpToDate => {
                        launched_package = Some(self.state.cached)
                    }
                    SyncOutcome::Failed => {
                        if self.ctx.client.sync_failure == SyncFailure::Cached {
                            launched_package = Some(self.state.cached);
                            // The cached package opens like any cold start,
                            // so it also checks for an update in the background.
                            self.async_check(t, queue);
                        }
                    }
                    SyncOutcome::Blocked => {}
                    SyncOutcome::NotNeeded => {
                        launched_package = Some(self.state.cached);
                        self.async_check(t, queue);
                    }
                }
            }
            if let Some(package) = launched_package {
                self.state.running = package;
                launched_package = Some(self.start_running(t));
            }
        }
        let launch = match (hot, launched_package) {
            (true, Some(package)) => TimelineKind::HotStart { package },
            _ => TimelineKind::ColdStart {
                package: launched_package,
            },
        };
        self.record(t, launch);
        match launched_package {
            Some(package) => self.count_launch(t, package),
            None => {
                // The launch showed an error page: nothing runs, the process
                // does not stay alive, and the sync flag stays for next time.
                self.bins.add(Counter::FailedLaunches, t, 1);
                self.state.alive_until = t;
                self.state.foreground = false;
                self.state.last_launch = t;
                return;
            }
        }
        self.state.foreground = true;
        self.state.foreground_since = t;
        self.state.last_launch = t;
        self.state.launched = true;
        self.start_foreground(t, queue);
    }

    /// Runs the policy's resume step when the app comes back to the
    /// foreground in a live process (a hot start or the end of a background
    /// trip) after `background` away.
    fn resume(&mut self, t: SimTime, background: SimDuration) {
        if self.state.ready_pending {
            self.state.ready_pending = false;
            self.on_update_ready(t, Some(background));
        } else if self.state.resume_armed {
            if let UpdateAction::OnResume { min_background } = self.read_action() {
                if background >= *min_background {
                    self.restart(t, true);
                }
            }
        } else if self.traits.update_ready_callback == UpdateReadyCallback::Repeat {
            self.on_update_ready(t, Some(background));
        }
    }

    fn count_launch(&mut self, t: SimTime, package: usize) {
        let epoch = *self.ctx.schedule.epoch_at(t);
        self.bins.add(Counter::Launches, t, 1);
        self.bins.add_version_launch(package, t);
        let bin = self.bins.bin_of(t);
        if package == self.newest_at_bin_end(bin) {
            self.bins.add_to_bin(Counter::LaunchesNewest, bin, 1);
        }
        if package != epoch.newest {
            let since_release = t - self.ctx.schedule.last_release_at;
            if since_release >= SimDuration::from_hours(24) {
                self.bins.add_total(Total::OldLaunchesAfter24h, 1);
            }
            if since_release >= SimDuration::from_hours(72) {
                self.bins.add_total(Total::OldLaunchesAfter72h, 1);
            }
        }
        if epoch.affected & (1u64 << package) != 0 {
            self.bins.add(Counter::IncidentLaunches, t, 1);
        }
        self.close_active(t);
        self.state.active_since = t;
        self.state.active_until = t + SimDuration(MS_PER_DAY);
        self.state.active_package = package;
    }

    /// Returns the newest package at the last instant of `bin`, which the
    /// bin's coverage counts compare with. Comparing with the newest at the
    /// launch instead counted a bin that contains a release as covered by
    /// the launches made before the release.
    #[inline]
    fn newest_at_bin_end(&self, bin: usize) -> usize {
        let last_instant = SimTime((bin as i64 + 1) * self.bins.width_ms() - 1);
        self.ctx.schedule.newest_package(last_instant)
    }

    fn close_active(&mut self, t: SimTime) {
        let s = &self.state;
        if s.active_since == NEVER_LAUNCHED {
            return;
        }
        let until = t.min(s.active_until);
        let (since, package) = (s.active_since, s.active_package);
        if until > since {
            self.bins.add_interval(Gauge::ActiveUsers, since, until);
            self.add_newest_interval(Gauge::ActiveNewest, since, until, package);
        }
    }

    fn add_newest_interval(&mut self, gauge: Gauge, from: SimTime, until: SimTime, package: usize) {
        let epochs = self.ctx.schedule.epochs();
        let mut index = self.ctx.schedule.epoch_index(from);
        let mut cursor = from;
        while cursor < until {
            let end = epochs.get(index + 1).map_or(until, |e| e.start.min(until));
            if epochs[index].newest == package {
                self.bins.add_interval(gauge, cursor, end);
            }
            cursor = end;
            index += 1;
        }
    }

    fn set_installed(&mut self, t: SimTime, package: usize, critical: bool) {
        let since = self.state.installed_since;
        let old = self.state.cached;
        if t > since {
            self.add_newest_interval(Gauge::InstalledNewest, since, t, old);
        }
        self.state.installed_since = t;
        self.state.cached = package;
        self.state.cached_critical = critical;
    }

    fn first_install(&mut self, t: SimTime) {
        let publication = self.ctx.schedule.target(self.traits.bucket, t);
        let release = &self.ctx.schedule.releases()[publication];
        self.bins.add(Counter::FirstLaunches, t, 1);
        self.bins.add(Counter::DownloadsStarted, t, 1);
        self.bins.add(Counter::DownloadsCompleted, t, 1);
        self.bins
            .add(Counter::BytesDownloaded, t, release.size as u64);
        let (package, critical) = (release.package, release.critical);
        self.record(t, TimelineKind::FirstInstall { package });
        self.state.installed_since = t;
        self.set_installed(t, package, critical);
    }

    fn download_ms(&mut self, size: f64) -> i64 {
        let noise: f64 = StandardNormal.sample(&mut self.streams.network);
        let seconds = size / self.network.bandwidth * (self.network.jitter * noise).exp();
        round_to_i64(seconds * 1000.0).max(1)
    }

    fn attempt(&mut self, t: SimTime, size: f64, timeout: Option<SimDuration>) -> Attempt {
        let full_ms = self.download_ms(size);
        let draw: f64 = self.streams.network.random();
        let fraction: f64 = self.streams.network.random();
        let fails = draw < self.download_failure(t);
        // A failing download breaks off at a uniform point of its transfer.
        let end_ms = if fails {
            ((full_ms as f64 * fraction) as i64).max(1)
        } else {
            full_ms
        };
        match timeout {
            Some(limit) if end_ms > limit.0 => Attempt::TimedOut { full_ms, fails },
            _ if fails => Attempt::Failed {
                ms: end_ms,
                bytes: (size * fraction) as u64,
            },
            _ => Attempt::Ok { ms: full_ms },
        }
    }

    /// Runs the synchronous update of a cold start, when one is due.
    fn cold_start_sync(&mut self, t: SimTime, queue: &mut EventQueue<Event>) -> SyncOutcome {
        let client = self.ctx.client;
        let schedule = self.ctx.schedule;
        // A device that ignores the minimum package (it failed to start
        // there) cannot be held to it. Nor can a device be held above the
        // package the server offers it: after a rollback to an older
        // package, a minimum set earlier would otherwise block every cold
        // start and download the rollback package again each time.
        let publication = schedule.target(self.traits.bucket, t);
        let offered = schedule.releases()[publication].package;
        let below_minimum = schedule
            .minimum_package_with(self.traits.bucket, t, self.policy_minimum)
            .map(|minimum| minimum.min(offered))
            .is_some_and(|minimum| self.state.cached < minimum && !self.is_ignored(minimum));
        if below_minimum {
            return if self.blocking_update(t) {
                SyncOutcome::Updated
            } else {
                SyncOutcome::Blocked
            };
        }
        let long_unused = t - self.state.last_launch > client.long_unused;
        let prefer_local = client
            .prefer_local_from
            .is_some_and(|from| self.state.cached >= from);
        let rollback_pending = client.rollback_sync
            && schedule.releases()[publication].is_rollback
            && schedule.releases()[publication].package != self.state.cached;
        if !(rollback_pending || ((self.state.sync_pending || long_unused) && !prefer_local)) {
            return if client.sync_check_on_cold_start {
                self.sync_check_on_cold_start(t, queue)
            } else {
                SyncOutcome::NotNeeded
            };
        }
        let latency = self.ctx.check_latency.sample_ms(&mut self.streams.checks);
        self.bins.add(Counter::Checks, t, 1);
        if self.check_fails(t) {
            self.state.sync_pending = true;
            self.sync_failed_at_check(t, latency);
            return SyncOutcome::Failed;
        }
        let release = &schedule.releases()[publication];
        let (package, size, critical) = (release.package, release.size, release.critical);
        if package == self.state.cached || self.is_ignored(package) {
            self.state.sync_pending = false;
            let kind = TimelineKind::SyncUpdate {
                package,
                result: SyncResult::UpToDate,
                waited: SimDuration(latency),
                attempts: 0,
            };
            self.record(t, kind);
            return SyncOutcome::UpToDate;
        }
        self.bins.add(Counter::SyncUpdates, t, 1);
        self.bins.add(Counter::DownloadsStarted, t, 1);
        // NOTE: `sync_timeout` bounds the download alone; the check latency
        // before it is waited for in full and not counted against the timeout.
        let outcome = self.attempt(t, size, Some(client.sync_timeout));
        let waited = match outcome {
            Attempt::Ok { ms } => {
                self.bins.add(Counter::DownloadsCompleted, t, 1);
                self.bins.add(Counter::BytesDownloaded, t, size as u64);
                self.state.sync_pending = false;
                self.state.download_generation += 1;
                self.state.downloading = false;
                self.set_installed(t, package, critical);
                latency + ms
            }
            Attempt::Failed { ms, bytes } => {
                self.bins.add(Counter::DownloadsFailed, t, 1);
                self.bins.add(Counter::SyncFailures, t, 1);
                self.bins.add(Counter::BytesDownloaded, t, bytes);
                self.state.sync_pending = true;
                latency + ms
            }
            Attempt::TimedOut { full_ms, fails } => {
                self.bins.add(Counter::SyncFailures, t, 1);
                self.state.sync_pending = true;
                let timeout = client.sync_timeout.0;
                self.timed_out_download(
                    t,
                    queue,
                    TimedOutDownload {
                        publication,
                        size,
                        started_after_ms: latency,
                        full_ms,
                        fails,
                        waited_ms: timeout,
                    },
                );
                latency + timeout
            }
        };
        self.bins.add(Counter::SyncDelayMs, t, waited as u64);
        self.bins.record_sync_delay(waited as u64);
        let result = match outcome {
            Attempt::Ok { .. } => SyncResult::Updated,
            Attempt::Failed { .. } => SyncResult::Failed,
            Attempt::TimedOut { .. } => SyncResult::TimedOut,
        };
        let kind = TimelineKind::SyncUpdate {
            package,
            result,
            waited: SimDuration(waited),
            attempts: 1,
        };
        self.record(t, kind);
        if matches!(outcome, Attempt::Ok { .. }) {
            SyncOutcome::Updated
        } else {
            SyncOutcome::Failed
        }
    }

    /// Ends a synchronous download that ran past the launch's limit. With
    /// `continue_after_timeout` it goes on in the background and is used at
    /// the next cold start like an asynchronous one. Otherwise it is
    /// abandoned with the bytes received so far.
    fn timed_out_download(
        &mut self,
        t: SimTime,
        queue: &mut EventQueue<Event>,
        download: TimedOutDownload,
    ) {
        let TimedOutDownload {
            publication,
            size,
            started_after_ms,
            full_ms,
            fails,
            waited_ms,
        } = download;
        if self.ctx.client.continue_after_timeout && !fails && !self.state.downloading {
            self.state.downloading = true;
            self.state.download_generation += 1;
            let done = t + SimDuration(started_after_ms + full_ms);
            queue.schedule(
                done,
                Event::DownloadDone {
                    generation: self.state.download_generation,
                    publication: publication as u16,
                    ok: true,
                    bytes: size as u64,
                },
            );
        } else {
            self.bins.add(Counter::DownloadsFailed, t, 1);
            self.bins.add(
                Counter::BytesDownloaded,
                t,
                (size * waited_ms as f64 / full_ms.max(1) as f64).min(size) as u64,
            );
        }
    }

    /// A cold start below the minimum required version: the app does not
    /// open until a download succeeds, retrying up to the configured number
    /// of attempts.
    fn blocking_update(&mut self, t: SimTime) -> bool {
        let schedule = self.ctx.schedule;
        let publication = schedule.target(self.traits.bucket, t);
        let release = &schedule.releases()[publication];
        let (package, size, critical) = (release.package, release.size, release.critical);
        let mut waited = self.ctx.check_latency.sample_ms(&mut self.streams.checks);
        self.bins.add(Counter::Checks, t, 1);
        if self.check_fails(t) {
            self.sync_failed_at_check(t, waited);
            return false;
        }
        self.bins.add(Counter::SyncUpdates, t, 1);
        let mut ok = false;
        let mut attempts = 0;
        for _ in 0..self.ctx.client.minimum_required_attempts {
            attempts += 1;
            self.bins.add(Counter::DownloadsStarted, t, 1);
            match self.attempt(t, size, None) {
                Attempt::Ok { ms } => {
                    waited += ms;
                    ok = true;
                    break;
                }
                Attempt::Failed { ms, bytes } => {
                    waited += ms;
                    self.bins.add(Counter::DownloadsFailed, t, 1);
                    self.bins.add(Counter::BytesDownloaded, t, bytes);
                }
                Attempt::TimedOut { .. } => unreachable!("blocking updates have no timeout"),
            }
        }
        if ok {
            self.bins.add(Counter::DownloadsCompleted, t, 1);
            self.bins.add(Counter::BytesDownloaded, t, size as u64);
            self.state.sync_pending = false;
            self.state.download_generation += 1;
            self.state.downloading = false;
            self.set_installed(t, package, critical);
        } else {
            self.bins.add(Counter::SyncFailures, t, 1);
        }
        self.bins.add(Counter::SyncDelayMs, t, waited as u64);
        self.bins.record_sync_delay(waited as u64);
        let kind = TimelineKind::SyncUpdate {
            package,
            result: if ok {
                SyncResult::Updated
            } else {
                SyncResult::Blocked
            },
            waited: SimDuration(waited),
            attempts,
        };
        self.record(t, kind);
        ok
    }

    fn async_check(&mut self, t: SimTime, queue: &mut EventQueue<Event>) {
        if self.state.downloading
            || t - self.state.last_async_check < self.ctx.client.async_check_min_interval
        {
            return;
        }
        self.state.last_async_check = t;
        self.bins.add(Counter::Checks, t, 1);
        self.record(t, TimelineKind::CheckStarted);
        // A check whose result is known ends at once and draws no latency.
        // Those draws took about a sixth of a default run's time.
        let settled = self.check_finds_nothing(t);
        // TODO: every policy draws this log-normal latency again for the
        // same cold start. Drawing it once per visit and sharing it across
        // policies would keep common random numbers, but it would change
        // the stream layout and so every result.
        let latency = if settled {
            0
        } else {
            self.ctx.check_latency.sample_ms(&mut self.streams.checks)
        };
        if self.check_fails(t) {
            self.bins.add(Counter::ChecksFailed, t, 1);
            self.record(t, TimelineKind::CheckFailed { periodic: false });
            return;
        }
        if settled {
            self.record(t, TimelineKind::CheckDone { offered: None });
            return;
        }
        queue.schedule(t + SimDuration(latency), Event::CheckDone);
    }

    /// Returns whether an asynchronous check started at `t` finds nothing to
    /// download, whatever its latency: the schedule offers this user's
    /// bucket the cached package from `t` on. A sync update during the
    /// latency installs that same package, and an on-device rollback marks
    /// it ignored, so `check_done` would change nothing either way.
    fn check_finds_nothing(&self, t: SimTime) -> bool {
        let schedule = self.ctx.schedule;
        schedule.is_settled(t)
            && schedule.releases()[schedule.target(self.traits.bucket, t)].package
                == self.state.cached
    }

    fn check_done(&mut self, t: SimTime, queue: &mut EventQueue<Event>) {
        let schedule = self.ctx.schedule;
        let publication = schedule.target(self.traits.bucket, t);
        let release = &schedule.releases()[publication];
        let offered = (release.package != self.state.cached).then_some(release.package);
        self.record(t, TimelineKind::CheckDone { offered });
        if release.package == self.state.cached
            || self.state.downloading
            || self.is_ignored(release.package)
        {
            return;
        }
        let size = release.size;
        let package = release.package;
        self.record(t, TimelineKind::DownloadStarted { package });
        self.bins.add(Counter::DownloadsStarted, t, 1);
        self.state.downloading = true;
        self.state.download_generation += 1;
        let (ok, ms, bytes) = match self.attempt(t, size, None) {
            Attempt::Ok { ms } => (true, ms, size as u64),
            Attempt::Failed { ms, bytes } => (false, ms, bytes),
            Attempt::TimedOut { .. } => unreachable!("background downloads have no timeout"),
        };
        queue.schedule(
            t + SimDuration(ms),
            Event::DownloadDone {
                generation: self.state.download_generation,
                publication: publication as u16,
                ok,
                bytes,
            },
        );
    }

    fn download_done(
        &mut self,
        t: SimTime,
        generation: u32,
        publication: usize,
        ok: bool,
        bytes: u64,
    ) {
        if generation != self.state.download_generation || !self.state.downloading {
            return;
        }
        self.state.downloading = false;
        self.bins.add(Counter::BytesDownloaded, t, bytes);
        let package = self.ctx.schedule.releases()[publication].package;
        self.record(t, TimelineKind::DownloadFinished { package, ok, bytes });
        if !ok {
            self.bins.add(Counter::DownloadsFailed, t, 1);
            return;
        }
        self.bins.add(Counter::DownloadsCompleted, t, 1);
        let release = &self.ctx.schedule.releases()[publication];
        let package = release.package;
        if package == self.state.cached {
            return;
        }
        let critical = self.update_is_critical(publication);
        self.set_installed(t, package, critical);
        if self.state.foreground {
            self.on_update_ready(t, None);
        } else if self.alive(t) {
            // A callback that would fire in the background runs when the app
            // next comes to the foreground, if the process survives until then.
            self.state.ready_pending = true;
        }
    }

    /// `onUpdateReady` under the policy; `background` is the time spent in
    /// the background when the callback runs at a resume.
    fn on_update_ready(&mut self, t: SimTime, background: Option<SimDuration>) {
        if !self.traits.update_manager
            || self.state.cached == self.state.running
            || !self.handler_runs()
        {
            return;
        }
        let at_resume = background.is_some();
        let package = self.state.cached;
        self.record(
            t,
            TimelineKind::UpdateReady {
                package,
                deferred: at_resume,
            },
        );
        match self.read_action() {
            UpdateAction::None => {}
            UpdateAction::Force => self.restart(t, at_resume),
            UpdateAction::ForceCritical => {
                if self.state.cached_critical {
                    self.restart(t, at_resume);
                }
            }
            UpdateAction::Prompt {
                accept,
                accept_critical,
            } => {
                let p = if self.state.cached_critical {
                    *accept_critical
                } else {
                    *accept
                };
                self.bins.add(Counter::PromptsShown, t, 1);
                let draw: f64 = self.streams.prompts.random();
                self.record(t, TimelineKind::PromptAnswered { accepted: draw < p });
                if draw < p {
                    self.bins.add(Counter::PromptsAccepted, t, 1);
                    self.restart(t, at_resume);
                } else {
                    self.bins.add(Counter::PromptsDeclined, t, 1);
                }
            }
            UpdateAction::OnResume { min_background } => match background {
                Some(spent) if spent >= *min_background => self.restart(t, true),
                _ => self.state.resume_armed = true,
            },
            UpdateAction::OnSuspend { .. } => self.state.suspend_armed = true,
        }
    }

    /// Returns whether the app's `onUpdateReady` handler runs: the host fires
    /// the callback, and the running package is one that ships the handler.
    fn handler_runs(&self) -> bool {
        self.traits.update_ready_callback != UpdateReadyCallback::Never
            && self.state.running >= self.policy.since_package
    }

    /// `applyUpdate()`: the process restarts on the downloaded package.
    fn restart(&mut self, t: SimTime, at_resume: bool) {
        self.state.resume_armed = false;
        self.state.suspend_armed = false;
        if self.state.cached == self.state.running {
            return;
        }
        if !self.traits.apply_update_restarts {
            // The host ignores applyUpdate(): the new version waits for the
            // next cold start.
            self.bins.add(Counter::ApplyIgnored, t, 1);
            self.record(t, TimelineKind::ApplyIgnored);
            return;
        }
        let package = self.state.cached;
        self.record(t, TimelineKind::Restart { package, at_resume });
        if at_resume {
            self.bins.add(Counter::ResumeRestarts, t, 1);
        } else {
            self.bins.add(Counter::ForcedRestarts, t, 1);
            self.account_foreground(self.state.foreground_since, t, self.state.running);
            self.state.foreground_since = t;
            self.close_active(t);
            self.state.active_since = t;
            self.state.active_package = self.state.cached;
        }
        self.state.running = self.state.cached;
        let running = self.start_running(t);
        if !at_resume {
            self.state.active_package = running;
        }
    }

    fn close(&mut self, t: SimTime, visit: &Visit) {
        if !self.state.foreground {
            return;
        }
        if t.0 >= 0 {
            self.account_foreground(self.state.foreground_since, t, self.state.running);
        }
        self.state.foreground = false;
        self.state.last_close = t;
        self.state.alive_until = visit.alive_until.max(t);
        let alive_until = self.state.alive_until;
        self.record(t, TimelineKind::Close { alive_until });
    }

    fn account_foreground(&mut self, from: SimTime, until: SimTime, package: usize) {
        let from = from.max(SimTime::ZERO);
        let until = until.min(self.ctx.horizon);
        let width = self.bins.width_ms();
        let epochs = self.ctx.schedule.epochs();
        let mut index = self.ctx.schedule.epoch_index(from);
        let mut cursor = from;
        while cursor < until {
            let bin = self.bins.bin_of(cursor);
            let bin_end = SimTime((bin as i64 + 1) * width);
            let epoch_end = epochs.get(index + 1).map_or(SimTime::NEVER, |e| e.start);
            let end = until.min(bin_end).min(epoch_end);
            let span = (end - cursor).0 as u64;
            let epoch = epochs[index];
            self.bins.add_to_bin(Counter::ForegroundMs, bin, span);
            if self.newest_at_bin_end(bin) == package {
                self.bins.add_to_bin(Counter::ForegroundNewestMs, bin, span);
            }
            if epoch.affected & (1u64 << package) != 0 {
                self.bins
                    .add_to_bin(Counter::IncidentForegroundMs, bin, span);
            }
            if end == epoch_end {
                index += 1;
            }
            cursor = end;
        }
    }

    fn periodic_tick(&mut self, t: SimTime) {
        if t - self.state.last_launch > self.ctx.client.recently_used {
            return;
        }
        self.bins.add(Counter::Checks, t, 1);
        if self.check_fails(t) {
            self.bins.add(Counter::ChecksFailed, t, 1);
            self.record(t, TimelineKind::CheckFailed { periodic: true });
            return;
        }
        let publication = self.ctx.schedule.target(self.traits.bucket, t);
        let package = self.ctx.schedule.releases()[publication].package;
        let found = package != self.state.cached && !self.is_ignored(package);
        if found {
            self.state.sync_pending = true;
        }
        self.record(t, TimelineKind::PeriodicCheck { found });
    }

    fn finish(&mut self) {
        let horizon = self.ctx.horizon;
        if self.state.foreground {
            self.account_foreground(self.state.foreground_since, horizon, self.state.running);
        }
        // The last bin is sampled at the horizon itself, and gauge intervals
        // are half-open, so the state held at the end runs 1 ms past it.
        let end = horizon + SimDuration(1);
        if self.state.launched || !self.traits.is_new {
            let since = self.state.installed_since;
            let cached = self.state.cached;
            self.add_newest_interval(Gauge::InstalledNewest, since, end, cached);
            self.bins
                .add_interval(Gauge::Users, self.traits.present_from, end);
            self.bins.add_total(Total::Users, 1);
        }
        self.close_active(end);
    }
}
