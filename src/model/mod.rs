//! The update model: the release schedule, launches, the population, and
//! one user's timeline under a policy.

pub mod launches;
pub mod population;
pub mod schedule;
pub mod timeline;
pub mod user;
