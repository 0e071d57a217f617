//! Counters, histograms and statistics across replications.

pub mod aggregate;
pub mod bins;
pub mod field;
pub mod histogram;
pub mod tally;
