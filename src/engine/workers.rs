//! Parallel loops over chunks of users with one working set per thread.
//!
//! Rayon's `fold` splits a range into a few long jobs and makes a fresh
//! accumulator for each. Near the end of a replication, one thread could
//! then sit idle while the other finished a job of a quarter of the users.
//! Here every chunk is its own job, and a job borrows a working set
//! (counters and scratch buffers) left idle by a finished job, so there are
//! about as many working sets as threads.

use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

/// Runs `work` on every chunk in `0..chunks` on the current rayon pool, one
/// job per chunk. Each job gets a working set from the idle ones, or a new
/// one from `make`. Returns every working set made, in no fixed order, so
/// the caller must combine them in a way that does not depend on order.
pub fn run_chunks<T, M, W>(chunks: u64, make: M, work: W) -> Vec<T>
where
    T: Send,
    M: Fn() -> T + Sync,
    W: Fn(&mut T, u64) + Sync,
{
    let idle = Mutex::new(Vec::new());
    let take = || {
        idle.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_else(&make)
    };
    // Rayon cannot cap the job length on a range of u64, so the chunks are
    // counted in usize.
    let count = usize::try_from(chunks).expect("the chunk count fits in usize");
    (0..count)
        .into_par_iter()
        .with_max_len(1)
        .for_each(|chunk| {
            let mut set = take();
            work(&mut set, chunk as u64);
            idle.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(set);
        });
    idle.into_inner().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_runs_once() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("pool");
        let sets = pool.install(|| {
            run_chunks(1_000, Vec::new, |seen: &mut Vec<u64>, chunk| {
                seen.push(chunk)
            })
        });
        assert!(!sets.is_empty());
        assert!(sets.len() <= 1_000);
        let mut all: Vec<u64> = sets.into_iter().flatten().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1_000).collect::<Vec<_>>());
    }
}
