//! Sharing the tail of a timeline between policies.
//!
//! Policies differ only where a timeline consults the policy's action
//! (`onUpdateReady`, a resume or a suspend with an update waiting). Suppose
//! two policies have brought a user to the same state. If the first
//! policy's timeline never consults its action again, and never draws from
//! a stream whose position differs between the two, then the rest of the
//! two timelines is the same step for step.
//!
//! The first policy (the lead) counts into counters that every policy
//! receives, logs each change, and keeps a snapshot of its state at each
//! launch after its first action read (a takeover before that point would
//! meet a lead that still reads its action). Every later policy compares itself with the snapshot at each of
//! its launches. At the first match it stops and takes back the lead's
//! changes made before that point (`simulate_policies` in the parent
//! module). The result is exactly that of simulating every policy in full.

use super::{PolicyStreams, State, UserSim};
use crate::scenario::Policy;
use crate::stats::bins::Change;
use crate::stats::tally::Tally;
use crate::time::SimTime;

/// Bytes of the lead's trail per visit, for the memory estimate: one
/// snapshot and, as an estimate, up to 24 changes (a launch writes about
/// ten and each 15-minute bin of foreground time two more).
pub const TRAIL_BYTES_PER_VISIT: usize =
    std::mem::size_of::<Snapshot>() + 24 * std::mem::size_of::<Change>();

/// The lead's state when it was about to handle the open of one visit.
#[derive(Clone)]
pub(super) struct Snapshot {
    /// The visit.
    index: u32,
    state: State,
    streams: PolicyStreams,
    trip_cursor: usize,
    /// The next periodic tick.
    tick: Option<SimTime>,
    /// No other event was pending.
    queue_empty: bool,
    /// Changes the lead had recorded so far.
    changes: usize,
    /// Events the lead had handled so far.
    events: u64,
    /// Times the lead had consulted its action so far.
    action_reads: u32,
}

/// The record the lead policy's timeline leaves for the others: its
/// snapshots, its changes, and its streams, events and action reads at the
/// end.
#[derive(Default)]
pub struct Trail {
    pub(super) snapshots: Vec<Snapshot>,
    pub(super) changes: Vec<Change>,
    pub(super) streams: Option<PolicyStreams>,
    pub(super) events: u64,
    pub(super) action_reads: u32,
}

/// The part a timeline plays in sharing.
pub(super) enum Sharing<'s> {
    /// Simulated in full on its own.
    Off,
    /// The lead: keeps a snapshot at every launch after its first action
    /// read.
    Lead(&'s mut Vec<Snapshot>),
    /// Takes over the lead's timeline where the two meet.
    Follow(&'s Trail),
}

/// Returns whether two policies differ at most in their action, so that
/// one can take over the other's timeline.
pub(super) fn differ_only_in_action(a: &Policy, b: &Policy) -> bool {
    a.minimum_required == b.minimum_required
        && a.since_package == b.since_package
        && a.foreground_check_every == b.foreground_check_every
}

impl Trail {
    /// Empties the trail for the next user, keeping its buffers.
    pub(super) fn clear(&mut self) {
        self.snapshots.clear();
        self.changes.clear();
        self.streams = None;
        self.events = 0;
        self.action_reads = 0;
    }

    /// Returns the lead's snapshot that `sim`, about to handle the open of
    /// visit `index` at `t`, can continue from, if there is one.
    pub(super) fn meets<T: Tally>(
        &self,
        sim: &UserSim<'_, '_, T>,
        index: u32,
        t: SimTime,
        tick: Option<SimTime>,
        queue_empty: bool,
    ) -> Option<&Snapshot> {
        // Snapshots start at the lead's first launch after its first action
        // read and follow launch by launch.
        let first = self.snapshots.first()?.index;
        let snapshot = self
            .snapshots
            .get(index.checked_sub(first)? as usize)
            .filter(|s| s.index == index)?;
        let lead_end = self.streams.as_ref()?;
        // With no event pending and the next tick strictly later, the two
        // queues contain the same future in the same order.
        let quiet = snapshot.queue_empty
            && queue_empty
            && snapshot.tick == tick
            && tick.is_none_or(|tick| tick > t);
        let meets = quiet
            && self.action_reads == snapshot.action_reads
            && sim.trip_cursor == snapshot.trip_cursor
            && streams_agree(sim.streams, &snapshot.streams, lead_end)
            && sim.state == snapshot.state;
        meets.then_some(snapshot)
    }
}

/// Returns whether a timeline whose streams are at `now` can continue the
/// lead's from a snapshot with streams at `at`, the lead's ending at
/// `lead_end`. A stream may differ between the two only if the lead never
/// drew from it after the snapshot.
fn streams_agree(now: &PolicyStreams, at: &PolicyStreams, lead_end: &PolicyStreams) -> bool {
    (now.network == at.network || lead_end.network == at.network)
        && (now.checks == at.checks || lead_end.checks == at.checks)
        && (now.prompts == at.prompts || lead_end.prompts == at.prompts)
}

impl Snapshot {
    /// Takes a snapshot of the lead `sim` about to handle the open of visit
    /// `index`.
    pub(super) fn of<T: Tally>(
        sim: &UserSim<'_, '_, T>,
        index: u32,
        tick: Option<SimTime>,
        queue_empty: bool,
    ) -> Snapshot {
        Snapshot {
            index,
            state: sim.state.clone(),
            streams: sim.streams.clone(),
            trip_cursor: sim.trip_cursor,
            tick,
            queue_empty,
            changes: sim.bins.changes_recorded(),
            events: sim.events,
            action_reads: sim.action_reads,
        }
    }

    /// Changes the lead had recorded when it took this snapshot.
    pub(super) fn changes(&self) -> usize {
        self.changes
    }

    /// Events the lead had handled when it took this snapshot.
    pub(super) fn events(&self) -> u64 {
        self.events
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::engine::rng::SimRng;

    fn streams(seed: u64) -> PolicyStreams {
        PolicyStreams {
            network: SimRng::seed_from_u64(seed),
            checks: SimRng::seed_from_u64(seed + 1),
            prompts: SimRng::seed_from_u64(seed + 2),
        }
    }

    fn draw(rng: &mut SimRng) {
        let _: u64 = rng.random();
    }

    #[test]
    fn equal_streams_always_agree() {
        let at = streams(1);
        let mut lead_end = at.clone();
        draw(&mut lead_end.network);
        draw(&mut lead_end.checks);
        assert!(streams_agree(&at.clone(), &at, &lead_end));
    }

    #[test]
    fn undrawn_differing_stream_agrees() {
        let at = streams(1);
        let mut now = at.clone();
        draw(&mut now.network);
        let mut lead_end = at.clone();
        draw(&mut lead_end.checks);
        assert!(streams_agree(&now, &at, &lead_end));
    }

    #[test]
    fn drawn_differing_stream_disagrees() {
        let at = streams(1);
        let mut now = at.clone();
        draw(&mut now.network);
        let mut lead_end = at.clone();
        draw(&mut lead_end.network);
        assert!(!streams_agree(&now, &at, &lead_end));
        let mut now = at.clone();
        draw(&mut now.prompts);
        let mut lead_end = at.clone();
        draw(&mut lead_end.prompts);
        assert!(!streams_agree(&now, &at, &lead_end));
    }
}
