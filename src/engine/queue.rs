//! The event queue: events ordered by (time, sequence number).
//!
//! Events at the same instant pop in the order they were scheduled, so a run
//! never depends on the queue's internal layout. Scheduling into the past is a
//! logic error and panics.
//!
//! The queue is a vector kept sorted from the latest to the earliest entry,
//! so the next event is popped from its end. One user's timeline has only a
//! handful of pending events: a check, a download, a background trip and a
//! timer (the next open or close and the periodic tick wait outside the
//! queue, in reserved slots). For so few entries a binary search and a short
//! shift cost less than the sift-down of a binary heap.

use crate::time::SimTime;

/// Handle of a scheduled event, usable to cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventKey(u64);

/// The place of an event in the queue's order: its time, then the order in
/// which it was scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    /// When the event happens.
    pub time: SimTime,
    seq: u64,
}

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

/// A priority queue of events keyed by simulated time.
pub struct EventQueue<E> {
    /// Pending entries sorted by descending (time, seq): the next one is last.
    entries: Vec<Entry<E>>,
    next_seq: u64,
    now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new(SimTime(i64::MIN / 2))
    }
}

impl<E> EventQueue<E> {
    /// Creates an empty queue whose clock starts at `now`.
    pub fn new(now: SimTime) -> Self {
        EventQueue {
            entries: Vec::new(),
            next_seq: 0,
            now,
        }
    }

    /// Empties the queue and resets the clock, keeping the allocation.
    pub fn reset(&mut self, now: SimTime) {
        self.entries.clear();
        self.next_seq = 0;
        self.now = now;
    }

    /// Returns the time of the last popped event, or the start time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time`.
    ///
    /// Costs O(log n) comparisons and a shift of the entries due after
    /// `time`, which is O(n) in the worst case and nothing when `time` is the
    /// latest.
    ///
    /// # Panics
    /// Panics if `time` is earlier than [`EventQueue::now`].
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) -> EventKey {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time:?} < {:?}",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        // Entries at the same time were scheduled earlier, so they pop first
        // and stay nearer the end than the new one.
        let position = self.entries.partition_point(|e| e.time > time);
        self.entries.insert(position, Entry { time, seq, event });
        EventKey(seq)
    }

    /// Takes the next place in the order for an event at `time` that the
    /// caller keeps outside the queue. Comparing the slot with
    /// [`EventQueue::peek_slot`] shows whether that event comes first, as if
    /// it had been scheduled now.
    ///
    /// # Panics
    /// Panics if `time` is earlier than [`EventQueue::now`].
    #[inline]
    pub fn reserve_slot(&mut self, time: SimTime) -> Slot {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time:?} < {:?}",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        Slot { time, seq }
    }

    /// Returns the slot of the next event, if any.
    #[inline]
    pub fn peek_slot(&self) -> Option<Slot> {
        self.entries.last().map(|e| Slot {
            time: e.time,
            seq: e.seq,
        })
    }

    /// Cancels a scheduled event; cancelling one that already popped is a
    /// no-op. O(n).
    pub fn cancel(&mut self, key: EventKey) {
        if let Some(position) = self.entries.iter().position(|e| e.seq == key.0) {
            self.entries.remove(position);
        }
    }

    /// Time of the next event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.entries.last().map(|e| e.time)
    }

    /// Removes and returns the earliest event, advancing the clock; O(1).
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = self.entries.pop()?;
        self.now = entry.time;
        Some((entry.time, entry.event))
    }

    /// Number of scheduled events.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns whether no event is scheduled.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_in_schedule_order() {
        let mut queue = EventQueue::new(SimTime(0));
        queue.schedule(SimTime(5), "b");
        queue.schedule(SimTime(1), "a");
        queue.schedule(SimTime(5), "c");
        queue.schedule(SimTime(5), "d");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    #[test]
    fn cancelled_event_never_pops() {
        let mut queue = EventQueue::new(SimTime(0));
        let first = queue.schedule(SimTime(1), 1);
        queue.schedule(SimTime(2), 2);
        queue.cancel(first);
        assert_eq!(queue.pop(), Some((SimTime(2), 2)));
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn cancel_keeps_other_events_in_order() {
        let mut queue = EventQueue::new(SimTime(0));
        queue.schedule(SimTime(3), 'c');
        let middle = queue.schedule(SimTime(2), 'b');
        queue.schedule(SimTime(1), 'a');
        queue.schedule(SimTime(2), 'x');
        queue.cancel(middle);
        assert_eq!(queue.len(), 3);
        let order: String = std::iter::from_fn(|| queue.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, "axc");
    }

    #[test]
    fn matches_sort_by_time_then_schedule_order() {
        // Interleave pops and pushes as a user timeline does. Nothing can be
        // scheduled before the clock, so the pop order must equal all
        // scheduled events sorted by (time, order of scheduling).
        let mut queue = EventQueue::new(SimTime(0));
        let mut popped = Vec::new();
        let mut scheduled = Vec::new();
        let mut state = 12_345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        for _ in 0..2_000 {
            for _ in 0..next() % 3 {
                let time = SimTime(queue.now().0 + (next() % 5) as i64);
                queue.schedule(time, scheduled.len());
                scheduled.push((time, scheduled.len()));
            }
            if let Some((_, index)) = queue.pop() {
                popped.push(index);
            }
        }
        while let Some((_, index)) = queue.pop() {
            popped.push(index);
        }
        scheduled.sort();
        let expected: Vec<usize> = scheduled.iter().map(|&(_, index)| index).collect();
        assert_eq!(popped, expected);
    }

    #[test]
    fn reserved_slot_orders_with_queued_events() {
        let mut queue = EventQueue::new(SimTime(0));
        queue.schedule(SimTime(5), 'a');
        let outside = queue.reserve_slot(SimTime(5));
        queue.schedule(SimTime(5), 'b');
        assert!(queue.peek_slot().expect("pending") < outside);
        queue.pop();
        assert!(outside < queue.peek_slot().expect("pending"));
        assert_eq!(outside.time, SimTime(5));
    }

    #[test]
    #[should_panic(expected = "event scheduled in the past")]
    fn scheduling_into_past_panics() {
        let mut queue = EventQueue::new(SimTime(0));
        queue.schedule(SimTime(10), ());
        queue.pop();
        queue.schedule(SimTime(5), ());
    }
}
