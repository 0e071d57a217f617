//! The update model: the release schedule, launches, the population, and
//! one user's timeline under a policy.

pub mod background_trips;
pub mod launches;
pub mod outage;
pub mod population;
pub mod schedule;
pub mod timeline;
pub mod user;
