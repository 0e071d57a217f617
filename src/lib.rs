//! rollout-sim: a discrete-event simulator of mini-program update rollouts.
#![warn(missing_docs)]
// `ScenarioError` carries the file, key, value and bilingual problem text on
// purpose; errors are rare, so the size of the `Err` variant does not matter.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod engine;
pub mod i18n;
pub mod model;
pub mod output;
pub mod report;
pub mod scenario;
pub mod stats;
pub mod sweep;
pub mod time;
pub mod trace;
pub mod units;
