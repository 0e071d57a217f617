//! rollout-sim: a discrete-event simulator of mini-program update rollouts.
//!
//! A release planner describes users, clients, networks, releases and update
//! policies in a TOML scenario. rollout-sim simulates every user's launches
//! and the host app's update path (WeChat, Alipay, Douyin) under each policy,
//! over Monte Carlo replications. It reports version coverage over time and
//! what each policy costs.
//!
//! # A simulation's life
//!
//! 1. [`scenario::parse`] reads the TOML, checks every value (errors carry the
//!    key, line and fix) and applies the platform profile.
//! 2. [`engine::runner::run`] simulates each user independently: its visits
//!    are drawn once ([`model::launches`]), then [`model::user`] plays the
//!    update logic for every policy on the same visits (common random numbers),
//!    adding into integer per-bin counters ([`stats::bins::Bins`]).
//! 3. [`stats::aggregate::aggregate`] turns counters into curves (mean, p05,
//!    p95 across replications) and per-policy summaries.
//! 4. [`output`] writes `timeseries.csv`, `summary.csv` and charts, all or
//!    nothing.
//!
//! ```text
//!   cold start ──► sync update due? ──yes──► wait for check + download
//!       │                no                        │ ok: run new version
//!       ▼                ▼                         │ fail: run cached
//!   run cached ──► async check ──► newer? ──► background download
//!                                                  │
//!                      onUpdateReady ◄─────────────┘
//!        none │ prompt │ force │ force_critical │ on_resume
//! ```
//!
//! # Example
//!
//! ```
//! use rollout_sim::engine::runner::{run, RunOptions};
//! use rollout_sim::model::population::LaunchSource;
//! use rollout_sim::stats::aggregate::aggregate;
//!
//! let text = r#"
//! [run]
//! horizon = "2d"
//! sample_every = "1h"
//! replications = 2
//! [population]
//! users = 2000
//! [[release]]
//! version = "2.0.0"
//! at = "0h"
//! [[policy]]
//! name = "none"
//! on_update_ready = "none"
//! "#;
//! let scenario = rollout_sim::scenario::parse(text, "example.toml", None)?;
//! let output = run(&scenario, &LaunchSource::Synthetic, &RunOptions::default(), &|_, _| {})?;
//! let result = aggregate(&scenario, &output);
//! let summary = &result.policies[0].summary;
//! let t50 = summary.iter().find(|(name, _)| name == "t50_launch_coverage_h").unwrap().1;
//! assert!(t50.is_some(), "half of the launches run 2.0.0 within two days");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
// `ScenarioError` carries the file, key, value and bilingual problem text on
// purpose; errors are rare, so the size of the `Err` variant does not matter.
#![allow(clippy::result_large_err)]

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
pub mod sweep;
pub mod time;
pub mod trace;
pub mod units;
