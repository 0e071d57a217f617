//! rollout-sim: a discrete-event simulator of mini-program update rollouts.
#![warn(missing_docs)]

pub mod calibrate;
pub mod cli;
pub mod engine;
pub mod forecast;
pub mod i18n;
pub mod model;
pub mod output;
pub mod report;
pub mod scenario;
pub mod stats;
pub mod time;
pub mod trace;
pub mod units;
