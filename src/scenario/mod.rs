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
    let bytes = std::fs::read(path).map_err(|error| ScenarioError {
        file: file.clone(),
        key: String::new(),
        line: None,
        column: None,
        value: None,
        problem: Problem::Io {
            kind: error.kind(),
            text: error.to_string(),
        },
    })?;
    let text = decode_text(&file, bytes)?;
    parse(&text, &file, path.parent())
}

/// Decodes a scenario file's bytes as UTF-8; `file` is for messages.
///
/// # Errors
/// Returns a [`ScenarioError`] at the first byte that is not UTF-8.
#[allow(clippy::result_large_err)] // cold path: the error is returned once
pub fn decode_text(file: &str, bytes: Vec<u8>) -> Result<String, ScenarioError> {
    String::from_utf8(bytes).map_err(|error| not_utf8(file, error.as_bytes(), error.utf8_error()))
}

/// Builds the error for a scenario file that is not UTF-8, at the first
/// invalid byte (the column counts bytes).
fn not_utf8(file: &str, bytes: &[u8], error: std::str::Utf8Error) -> ScenarioError {
    let before = &bytes[..error.valid_up_to()];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    ScenarioError {
        file: file.to_string(),
        key: String::new(),
        line: Some(before.iter().filter(|&&b| b == b'\n').count() + 1),
        column: Some(before.len() - line_start + 1),
        value: None,
        problem: Problem::Rule {
            en: "the file is not UTF-8 text".into(),
            zh: "文件不是 UTF-8 文本".into(),
            fix_en: "save the scenario as UTF-8 (GBK and other encodings are not read)".into(),
            fix_zh: "请把场景文件另存为 UTF-8 编码（不读取 GBK 等其他编码）".into(),
        },
    }
}

/// Validates the built-in default scenario.
pub fn builtin_default() -> Scenario {
    parse(DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME, None).expect("the built-in scenario is valid")
}
