//! rollout-sim: a discrete-event simulator of mini-program update rollouts.
#![warn(missing_docs)]

pub mod i18n;
pub mod output;
pub mod time;
