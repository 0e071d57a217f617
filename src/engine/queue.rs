//! The event queue: a binary heap ordered by (time, sequence number).
//!
//! Events at the same instant pop in the order they were scheduled, so a run
//! never depends on the heap's internal layout. Scheduling into the past is a
//! logic error and panics.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// Handle of a scheduled event, usable to cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventKey(u64);

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the earliest (time, seq) is on top.
        other
            .time
            .cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// A priority queue of events keyed by simulated time.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now: SimTime,
    cancelled: Vec<u64>,
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
            heap: BinaryHeap::new(),
            next_seq: 0,
            now,
            cancelled: Vec::new(),
        }
    }

    /// Empties the queue and resets the clock, keeping the allocation.
    pub fn reset(&mut self, now: SimTime) {
        self.heap.clear();
        self.cancelled.clear();
        self.next_seq = 0;
        self.now = now;
    }

    /// The time of the last popped event (or the start time).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time`; O(log n).
    ///
    /// # Panics
    /// Panics if `time` is earlier than [`EventQueue::now`].
    pub fn schedule(&mut self, time: SimTime, event: E) -> EventKey {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time:?} < {:?}",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
        EventKey(seq)
    }

    /// Cancels a scheduled event; cancelling one that already popped is a
    /// no-op. O(1) now, the entry is dropped when it reaches the top.
    pub fn cancel(&mut self, key: EventKey) {
        self.cancelled.push(key.0);
    }

    /// Time of the next live event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.skip_cancelled();
        self.heap.peek().map(|e| e.time)
    }

    /// Removes and returns the earliest event, advancing the clock.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.skip_cancelled();
        let entry = self.heap.pop()?;
        self.now = entry.time;
        Some((entry.time, entry.event))
    }

    fn skip_cancelled(&mut self) {
        while let Some(top) = self.heap.peek() {
            if let Some(index) = self.cancelled.iter().position(|&seq| seq == top.seq) {
                self.cancelled.swap_remove(index);
                self.heap.pop();
            } else {
                break;
            }
        }
    }

    /// Number of scheduled entries, cancelled ones included until they pop.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no entry is scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
    #[should_panic(expected = "event scheduled in the past")]
    fn scheduling_into_past_panics() {
        let mut queue = EventQueue::new(SimTime(0));
        queue.schedule(SimTime(10), ());
        queue.pop();
        queue.schedule(SimTime(5), ());
    }
}
