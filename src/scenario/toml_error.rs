//! Turning the errors of the TOML deserializer into [`ScenarioError`]s.
//!
//! serde reports a schema error as English text, such as ``unknown field
//! `shre`, expected one of `name`, `share` `` or ``invalid type: integer
//! `5`, expected a string``. These functions take that text apart into a
//! [`Problem`] that renders in both languages, and clean the key path.

use crate::scenario::build::Context;
use crate::scenario::closest;
use crate::scenario::error::{Expected, Problem, ScenarioError, TomlType};

/// The path segment that `serde_path_to_error` adds for the value inside a
/// `toml::Spanned`; users never write it.
const SPANNED_SEGMENT: &str = ".$__serde_spanned_private_value";

/// Removes the `Spanned` wrapper segments from a serde key path, and maps
/// the root path `.` to the empty string.
pub(crate) fn clean_path(path: &str) -> String {
    if path == "." {
        return String::new();
    }
    path.replace(SPANNED_SEGMENT, "")
}

/// Maps serde's "expected ..." text to the kind of value a key accepts.
fn expected_from_serde(expected: &str) -> Expected {
    match expected {
        "a string" | "a character" => Expected::String,
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" => Expected::Integer,
        "f32" | "f64" => Expected::Number,
        "a boolean" => Expected::Boolean,
        "a sequence" => Expected::Array,
        "a map" => Expected::Table,
        other if other.starts_with("struct ") => Expected::Table,
        other => Expected::Other(other.to_string()),
    }
}

/// Maps serde's "invalid type: ..." text to a TOML type, for when the
/// value's text cannot be read back.
fn found_from_serde(unexpected: &str) -> Option<TomlType> {
    let word = unexpected.split([' ', '`']).next().unwrap_or("");
    match word {
        "string" => Some(TomlType::String),
        "integer" => Some(TomlType::Integer),
        "floating" => Some(TomlType::Float),
        "boolean" => Some(TomlType::Boolean),
        "sequence" => Some(TomlType::Array),
        "map" => Some(TomlType::Table),
        _ => None,
    }
}

/// Converts a serde/TOML error into a [`ScenarioError`] with the key path,
/// the closest valid key for a typo, and the expected and found types.
pub(crate) fn from_toml_error(ctx: &Context, error: &toml::de::Error, path: &str) -> ScenarioError {
    let span = error.span();
    let message = error.message().trim().to_string();
    let key = clean_path(path);
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let valid: Vec<String> = tail
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, s)| s.to_string())
            .collect();
        let suggestion = closest(field, &valid);
        let mut scenario_error = ctx.error(&key, span, Problem::UnknownKey { suggestion, valid });
        scenario_error.value = None;
        return scenario_error;
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        let full_key = if key.is_empty() {
            field.to_string()
        } else {
            format!("{key}.{field}")
        };
        let mut scenario_error = ctx.error(&full_key, span, Problem::MissingKey);
        scenario_error.value = None;
        return scenario_error;
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (unexpected, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let found = span
            .clone()
            .and_then(|span| ctx.text().get(span))
            .and_then(TomlType::of_source)
            .or_else(|| found_from_serde(unexpected));
        let problem = Problem::WrongType {
            expected: expected_from_serde(expected),
            found,
        };
        return ctx.error(&key, span, problem);
    }
    let mut scenario_error = ctx.error(&key, span, Problem::Syntax(message));
    scenario_error.value = None;
    scenario_error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanned_segments_are_removed() {
        assert_eq!(
            clean_path("incident[0].versions.$__serde_spanned_private_value[0].$__serde_spanned_private_value"),
            "incident[0].versions[0]"
        );
        assert_eq!(
            clean_path("release[0].rollout.$__serde_spanned_private_value[1].percnt"),
            "release[0].rollout[1].percnt"
        );
        assert_eq!(clean_path("."), "");
    }

    #[test]
    fn serde_expected_words_map_to_kinds() {
        assert_eq!(expected_from_serde("i64"), Expected::Integer);
        assert_eq!(expected_from_serde("f64"), Expected::Number);
        assert_eq!(expected_from_serde("struct RawRun"), Expected::Table);
        assert_eq!(expected_from_serde("a sequence"), Expected::Array);
        assert_eq!(
            expected_from_serde("something else"),
            Expected::Other("something else".into())
        );
    }

    #[test]
    fn serde_found_words_map_to_types() {
        assert_eq!(found_from_serde("integer `5`"), Some(TomlType::Integer));
        assert_eq!(
            found_from_serde("floating point `1.5`"),
            Some(TomlType::Float)
        );
        assert_eq!(found_from_serde("string \"a\""), Some(TomlType::String));
        assert_eq!(found_from_serde("unit value"), None);
    }
}
