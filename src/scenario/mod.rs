//! Scenario files: parsing, platform profiles and validation.
//!
//! A scenario is read in two steps: [`raw`] deserializes the TOML with spans
//! and rejects unknown keys, then [`build`](build::build) checks every value
//! and applies the platform profile, producing a [`Scenario`].

mod build;
pub mod dist;
pub mod error;
mod locate;
pub mod profile;
#[allow(missing_docs)]
pub mod raw;
pub(crate) mod syntax_zh;
mod toml_error;
pub mod types;

use std::path::Path;

pub use build::{build as parse, closest, MAX_BINS, MAX_REPLICATIONS, MAX_USERS};
pub use error::{Problem, ScenarioError};
pub use types::*;

/// The built-in default scenario: the documented WeChat behaviour.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/wechat-default.toml");

/// Name under which the built-in scenario appears in messages and outputs.
pub const DEFAULT_SCENARIO_NAME: &str = "wechat-default.toml";

/// Reads and validates a scenario file.
///
/// # Errors
/// Returns a [`ScenarioError`] when the file cannot be read or is invalid.
#[allow(clippy::result_large_err)] // cold path: the error is returned once
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| ScenarioError {
        file: file.clone(),
        key: String::new(),
        line: None,
        column: None,
        value: None,
        problem: Problem::Io(error.to_string()),
    })?;
    parse(&text, &file, path.parent())
}

/// Validates the built-in default scenario.
pub fn builtin_default() -> Scenario {
    parse(DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME, None).expect("the built-in scenario is valid")
}
