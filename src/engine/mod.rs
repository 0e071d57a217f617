//! The discrete-event engine: event queue, random streams, and the parallel
//! runner that simulates users independently and merges their counters.

pub mod budget;
pub mod floor;
pub mod queue;
pub mod rng;
pub mod runner;
pub mod workers;
