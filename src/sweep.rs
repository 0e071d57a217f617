//! Parameter sweeps: a `--param KEY=START:END:STEP` range, and the
//! scenario text with one value of it written in.
//!
//! Values are written into the TOML text with `toml_edit`, which keeps the
//! rest of the file as it is, and the result is validated like any other
//! scenario file. So a value the scenario rules reject fails with the usual
//! message, and line numbers in it still point into the user's file.

use toml_edit::{DocumentMut, Item, Table};

use crate::i18n::Lang;
use crate::output::csv::format_number;
use crate::units::{self, DURATION_UNITS, SIZE_UNITS};

/// Most values one sweep may run.
pub const MAX_VALUES: usize = 200;

/// Kind of values a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A plain number, such as a probability or a share.
    Number,
    /// A whole number.
    Integer,
    /// A duration with a unit, written as a string such as `"15m"`.
    Duration,
    /// A size with a unit, such as `"1.5MB"`.
    Size,
    /// A rate with a unit, such as `"2MB/s"`.
    Rate,
}

/// Location of a key: a plain table, or one named entry of an array of
/// tables.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    /// `[table]` key `field`.
    Table { table: &'static str },
    /// The entry of `[[path]]` whose `name_key` equals `name`.
    Entry {
        path: &'static [&'static str],
        name_key: &'static str,
        name: String,
    },
}

/// A supported key pattern: `prefix.<name>.field` for arrays of tables,
/// `table.field` for tables.
struct Pattern {
    /// The key as the list of supported keys prints it.
    key_pattern: &'static str,
    kind: ValueKind,
}

/// The keys a sweep can vary, as shown to users.
const PATTERNS: &[Pattern] = &[
    Pattern {
        key_pattern: "policy.<name>.accept",
        kind: ValueKind::Number,
    },
    Pattern {
        key_pattern: "policy.<name>.accept_critical",
        kind: ValueKind::Number,
    },
    Pattern {
        key_pattern: "policy.<name>.min_background",
        kind: ValueKind::Duration,
    },
    Pattern {
        key_pattern: "population.segment.<name>.keep_alive",
        kind: ValueKind::Duration,
    },
    Pattern {
        key_pattern: "population.segment.<name>.session",
        kind: ValueKind::Duration,
    },
    Pattern {
        key_pattern: "population.segment.<name>.launches_per_day",
        kind: ValueKind::Number,
    },
    Pattern {
        key_pattern: "population.users",
        kind: ValueKind::Integer,
    },
    Pattern {
        key_pattern: "population.new_users_per_day",
        kind: ValueKind::Number,
    },
    Pattern {
        key_pattern: "client.periodic_check_share",
        kind: ValueKind::Number,
    },
    Pattern {
        key_pattern: "client.update_manager_share",
        kind: ValueKind::Number,
    },
    Pattern {
        key_pattern: "client.periodic_check_interval",
        kind: ValueKind::Duration,
    },
    Pattern {
        key_pattern: "client.recently_used",
        kind: ValueKind::Duration,
    },
    Pattern {
        key_pattern: "client.long_unused",
        kind: ValueKind::Duration,
    },
    Pattern {
        key_pattern: "client.sync_timeout",
        kind: ValueKind::Duration,
    },
    Pattern {
        key_pattern: "client.check_latency",
        kind: ValueKind::Duration,
    },
    Pattern {
        key_pattern: "network.<name>.failure",
        kind: ValueKind::Number,
    },
    Pattern {
        key_pattern: "network.<name>.bandwidth",
        kind: ValueKind::Rate,
    },
    Pattern {
        key_pattern: "network.<name>.jitter",
        kind: ValueKind::Number,
    },
    Pattern {
        key_pattern: "release.<version>.size",
        kind: ValueKind::Size,
    },
];

/// Lists the supported keys, one per line, for help and error messages.
pub fn supported_keys() -> String {
    PATTERNS
        .iter()
        .map(|pattern| format!("  {}", pattern.key_pattern))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One value of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepValue {
    /// The value as written into the scenario and into `sweep.csv`, e.g.
    /// `0.6` or `15m`.
    pub text: String,
    /// The value as a number in the unit of the range's start (minutes for
    /// `5m:60m:5m`), for the chart's x axis.
    pub x: f64,
}

/// A parsed `--param`.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepParam {
    /// The key as given, e.g. `policy.prompt.accept`.
    pub key: String,
    /// Kind of the values.
    pub kind: ValueKind,
    /// The unit of the values for durations, sizes and rates (`m`, `MB`,
    /// `MB/s`); empty for numbers.
    pub unit: String,
    /// Values from start to end, in order.
    pub values: Vec<SweepValue>,
    place: Place,
    field: String,
}

/// Error in a `--param` value or in one of the values it produces.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamError {
    /// Not of the form `KEY=START:END:STEP`.
    Syntax(String),
    /// A key that sweeps do not support.
    UnknownKey(String),
    /// A bound or step that does not parse as the key's kind of value.
    BadValue {
        /// The key.
        key: String,
        /// The text that failed.
        value: String,
        /// Kind of value the key expects.
        kind: ValueKind,
    },
    /// A range whose step is not positive, whose end is below its start,
    /// or that has more than [`MAX_VALUES`] values.
    BadRange {
        /// The whole `--param` value.
        spec: String,
        /// The problem, in English and Chinese.
        reason: (String, String),
    },
    /// No entry with that name in the scenario.
    UnknownName {
        /// The key.
        key: String,
        /// The name given.
        name: String,
        /// The names present in the scenario.
        present: Vec<String>,
    },
    /// The scenario text is not valid TOML.
    Toml(String),
}

fn kind_text(kind: ValueKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (ValueKind::Number, Lang::En) => "a number, e.g. 0.1:0.9:0.1",
        (ValueKind::Number, Lang::ZhCn) => "数字，例如 0.1:0.9:0.1",
        (ValueKind::Integer, Lang::En) => "a whole number, e.g. 10000:50000:10000",
        (ValueKind::Integer, Lang::ZhCn) => "整数，例如 10000:50000:10000",
        (ValueKind::Duration, Lang::En) => {
            "a duration with a unit (ms, s, m, h, d), e.g. 5m:60m:5m"
        }
        (ValueKind::Duration, Lang::ZhCn) => "带单位（ms、s、m、h、d）的时长，例如 5m:60m:5m",
        (ValueKind::Size, Lang::En) => "a size with a unit (B, KB, MB, GB), e.g. 0.5MB:2MB:0.5MB",
        (ValueKind::Size, Lang::ZhCn) => "带单位（B、KB、MB、GB）的大小，例如 0.5MB:2MB:0.5MB",
        (ValueKind::Rate, Lang::En) => "a rate with a unit, e.g. 0.5MB/s:4MB/s:0.5MB/s",
        (ValueKind::Rate, Lang::ZhCn) => "带单位的速率，例如 0.5MB/s:4MB/s:0.5MB/s",
    }
}

impl ParamError {
    /// Renders the error in the given language, with the fix.
    pub fn render(&self, lang: Lang) -> String {
        match (self, lang) {
            (ParamError::Syntax(spec), Lang::En) => format!(
                "invalid value '{spec}' for --param: expected KEY=START:END:STEP, e.g. policy.prompt.accept=0.1:0.9:0.1; supported keys:\n{}",
                supported_keys()
            ),
            (ParamError::Syntax(spec), Lang::ZhCn) => format!(
                "--param 的取值 '{spec}' 无效：格式应为 KEY=START:END:STEP，例如 policy.prompt.accept=0.1:0.9:0.1；支持的键：\n{}",
                supported_keys()
            ),
            (ParamError::UnknownKey(key), Lang::En) => format!(
                "invalid key '{key}' for --param: sweeps do not support it; supported keys:\n{}",
                supported_keys()
            ),
            (ParamError::UnknownKey(key), Lang::ZhCn) => format!(
                "--param 的键 '{key}' 无效：扫描不支持该键；支持的键：\n{}",
                supported_keys()
            ),
            (ParamError::BadValue { key, value, kind }, Lang::En) => format!(
                "invalid value '{value}' in --param {key}: expected {}",
                kind_text(*kind, lang)
            ),
            (ParamError::BadValue { key, value, kind }, Lang::ZhCn) => format!(
                "--param {key} 中的取值 '{value}' 无效：应为{}",
                kind_text(*kind, lang)
            ),
            (ParamError::BadRange { spec, reason }, Lang::En) => {
                format!("invalid range in --param {spec}: {}", reason.0)
            }
            (ParamError::BadRange { spec, reason }, Lang::ZhCn) => {
                format!("--param {spec} 的范围无效：{}", reason.1)
            }
            (ParamError::UnknownName { key, name, present }, Lang::En) => format!(
                "invalid key '{key}' for --param: the scenario has no entry named '{name}'; use one of {}",
                present.join(", ")
            ),
            (ParamError::UnknownName { key, name, present }, Lang::ZhCn) => format!(
                "--param 的键 '{key}' 无效：场景中没有名为 '{name}' 的条目；请使用 {} 之一",
                present.join("、")
            ),
            (ParamError::Toml(error), Lang::En) => {
                format!("cannot read the scenario as TOML: {error}")
            }
            (ParamError::Toml(error), Lang::ZhCn) => format!("无法按 TOML 读取场景：{error}"),
        }
    }
}

/// Finds the place and field of `key`, and its kind of value.
fn resolve(key: &str) -> Result<(Place, String, ValueKind), ParamError> {
    let unknown = || ParamError::UnknownKey(key.to_string());
    let (head, field) = key.rsplit_once('.').ok_or_else(unknown)?;
    let entry = |prefix: &str, path: &'static [&'static str], name_key: &'static str| {
        head.strip_prefix(prefix)
            .filter(|name| !name.is_empty())
            .map(|name| Place::Entry {
                path,
                name_key,
                name: name.to_string(),
            })
    };
    let (place, key_pattern) = if let Some(place) = entry("policy.", &["policy"], "name") {
        (place, format!("policy.<name>.{field}"))
    } else if let Some(place) = entry("population.segment.", &["population", "segment"], "name") {
        (place, format!("population.segment.<name>.{field}"))
    } else if let Some(place) = entry("network.", &["network"], "name") {
        (place, format!("network.<name>.{field}"))
    } else if let Some(place) = entry("release.", &["release"], "version") {
        (place, format!("release.<version>.{field}"))
    } else {
        match head {
            "population" => (
                Place::Table {
                    table: "population",
                },
                key.to_string(),
            ),
            "client" => (Place::Table { table: "client" }, key.to_string()),
            _ => return Err(unknown()),
        }
    };
    let pattern = PATTERNS
        .iter()
        .find(|pattern| pattern.key_pattern == key_pattern)
        .ok_or_else(unknown)?;
    Ok((place, field.to_string(), pattern.kind))
}

/// Parses a bound or step into (value in base units, unit text, unit size
/// in base units).
fn parse_quantity(text: &str, kind: ValueKind) -> Option<(f64, String, f64)> {
    let text = text.trim();
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e'))
        .unwrap_or(text.len());
    let unit = text[number_end..].trim().to_string();
    match kind {
        ValueKind::Number | ValueKind::Integer => {
            let value: f64 = text.parse().ok()?;
            let integral = kind == ValueKind::Number || value.fract() == 0.0;
            (value.is_finite() && integral).then_some((value, String::new(), 1.0))
        }
        ValueKind::Duration => {
            let span = units::parse_duration(text).ok()?;
            let (_, size) = DURATION_UNITS.iter().find(|(name, _)| *name == unit)?;
            Some((span.0 as f64, unit, *size as f64))
        }
        ValueKind::Size => {
            let bytes = units::parse_size(text).ok()?;
            let (_, size) = SIZE_UNITS.iter().find(|(name, _)| *name == unit)?;
            Some((bytes, unit, *size))
        }
        ValueKind::Rate => {
            let bytes = units::parse_rate(text).ok()?;
            let size_unit = unit.strip_suffix("/s")?;
            let (_, size) = SIZE_UNITS.iter().find(|(name, _)| *name == size_unit)?;
            Some((bytes, unit, *size))
        }
    }
}

/// Parses `KEY=START:END:STEP` into the values to run.
///
/// # Errors
/// Returns a [`ParamError`] for a malformed value, an unsupported key, a
/// bound that is not the key's kind of value, or a range that is empty,
/// descending, or longer than [`MAX_VALUES`].
pub fn parse_param(spec: &str) -> Result<SweepParam, ParamError> {
    let syntax = || ParamError::Syntax(spec.to_string());
    let (key, range) = spec.split_once('=').ok_or_else(syntax)?;
    let key = key.trim();
    let parts: Vec<&str> = range.split(':').collect();
    let [start, end, step] = parts[..] else {
        return Err(syntax());
    };
    let (place, field, kind) = resolve(key)?;

    let quantity = |text: &str| {
        parse_quantity(text, kind).ok_or_else(|| ParamError::BadValue {
            key: key.to_string(),
            value: text.trim().to_string(),
            kind,
        })
    };
    let (start, unit, unit_size) = quantity(start)?;
    let (end, _, _) = quantity(end)?;
    let (step, _, _) = quantity(step)?;

    let bad_range = |en: String, zh: String| ParamError::BadRange {
        spec: spec.to_string(),
        reason: (en, zh),
    };
    if step <= 0.0 {
        return Err(bad_range(
            "the step must be greater than zero".into(),
            "步长必须大于零".into(),
        ));
    }
    if end < start {
        return Err(bad_range(
            "the end is below the start; write the smaller value first".into(),
            "终点小于起点；请先写较小的值".into(),
        ));
    }

    // A relative slack of 1e-9 keeps an end that the steps hit exactly,
    // such as 0.9 in 0.1:0.9:0.1, despite binary rounding.
    let count = ((end - start) / step * (1.0 + 1e-9) + 1e-9).floor() as usize + 1;
    if count > MAX_VALUES {
        return Err(bad_range(
            format!("it has {count} values; use a larger step for at most {MAX_VALUES}"),
            format!("共有 {count} 个取值；请加大步长，使取值不超过 {MAX_VALUES} 个"),
        ));
    }

    let values = (0..count)
        .map(|index| {
            let base = start + index as f64 * step;
            // Rounding to 9 decimals of the unit removes binary noise such
            // as 0.30000000000000004.
            let x = (base / unit_size * 1e9).round() / 1e9;
            let text = match kind {
                ValueKind::Number | ValueKind::Integer => format_number(x),
                _ => format!("{}{unit}", format_number(x)),
            };
            SweepValue { text, x }
        })
        .collect();
    Ok(SweepParam {
        key: key.to_string(),
        kind,
        unit,
        values,
        place,
        field,
    })
}

fn table_path<'d>(document: &'d mut DocumentMut, path: &[&str]) -> Option<&'d mut Item> {
    let mut item = document.as_item_mut();
    for name in path {
        item = item.get_mut(name)?;
    }
    Some(item)
}

fn names_in(item: &Item, name_key: &str) -> Vec<String> {
    let name =
        |value: Option<&toml_edit::Value>| value.and_then(|v| v.as_str()).map(str::to_string);
    match item {
        Item::ArrayOfTables(array) => array
            .iter()
            .filter_map(|table| name(table.get(name_key).and_then(Item::as_value)))
            .collect(),
        Item::Value(toml_edit::Value::Array(array)) => array
            .iter()
            .filter_map(|value| name(value.as_inline_table().and_then(|t| t.get(name_key))))
            .collect(),
        _ => Vec::new(),
    }
}

impl SweepParam {
    /// Returns `text` with this parameter set to `value`; the rest of the
    /// text is kept as it was.
    ///
    /// # Errors
    /// Returns a [`ParamError`] when the text is not TOML or the scenario
    /// has no entry of the given name.
    pub fn apply(&self, text: &str, value: &SweepValue) -> Result<String, ParamError> {
        let mut document: DocumentMut = text
            .parse()
            .map_err(|error: toml_edit::TomlError| ParamError::Toml(error.to_string()))?;
        let new_value: toml_edit::Value = match self.kind {
            ValueKind::Number => value.x.into(),
            ValueKind::Integer => (value.x as i64).into(),
            _ => value.text.as_str().into(),
        };
        match &self.place {
            Place::Table { table } => {
                let item = document
                    .as_table_mut()
                    .entry(table)
                    .or_insert_with(|| Item::Table(Table::new()));
                let table = item
                    .as_table_like_mut()
                    .ok_or_else(|| ParamError::Toml(format!("[{table}] is not a table")))?;
                table.insert(&self.field, Item::Value(new_value));
            }
            Place::Entry {
                path,
                name_key,
                name,
            } => {
                let missing = |present: Vec<String>| ParamError::UnknownName {
                    key: self.key.clone(),
                    name: name.clone(),
                    present,
                };
                let item = table_path(&mut document, path).ok_or_else(|| missing(Vec::new()))?;
                let present = names_in(item, name_key);
                let is_named = |value: Option<&toml_edit::Value>| {
                    value.and_then(|v| v.as_str()) == Some(name.as_str())
                };
                let found = match item {
                    Item::ArrayOfTables(array) => array
                        .iter_mut()
                        .find(|table| is_named(table.get(name_key).and_then(Item::as_value)))
                        .map(|table| {
                            table.insert(&self.field, Item::Value(new_value.clone()));
                        }),
                    Item::Value(toml_edit::Value::Array(array)) => array
                        .iter_mut()
                        .filter_map(|value| value.as_inline_table_mut())
                        .find(|table| is_named(table.get(name_key)))
                        .map(|table| {
                            table.insert(&self.field, new_value.clone());
                        }),
                    _ => None,
                };
                found.ok_or_else(|| missing(present))?;
            }
        }
        Ok(document.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_range_hits_end() {
        let param = parse_param("policy.prompt.accept=0.1:0.9:0.1").unwrap();
        let texts: Vec<&str> = param.values.iter().map(|v| v.text.as_str()).collect();
        assert_eq!(
            texts,
            ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"]
        );
        assert_eq!(param.kind, ValueKind::Number);
    }

    #[test]
    fn duration_range_keeps_unit() {
        let param = parse_param("population.segment.daily.keep_alive=5m:60m:5m").unwrap();
        assert_eq!(param.values.len(), 12);
        assert_eq!(param.values[0].text, "5m");
        assert_eq!(param.values[0].x, 5.0);
        assert_eq!(param.values[11].text, "60m");
        assert_eq!(param.unit, "m");
    }

    #[test]
    fn mixed_units_convert_to_start_unit() {
        let param = parse_param("client.sync_timeout=30s:2m:30s").unwrap();
        let texts: Vec<&str> = param.values.iter().map(|v| v.text.as_str()).collect();
        assert_eq!(texts, ["30s", "60s", "90s", "120s"]);
    }

    #[test]
    fn bad_params_are_rejected() {
        assert!(matches!(
            parse_param("policy.prompt.accept"),
            Err(ParamError::Syntax(_))
        ));
        assert!(matches!(
            parse_param("policy.prompt.accept=0.1:0.9"),
            Err(ParamError::Syntax(_))
        ));
        assert!(matches!(
            parse_param("run.seed=1:5:1"),
            Err(ParamError::UnknownKey(_))
        ));
        assert!(matches!(
            parse_param("policy.prompt.colour=1:2:1"),
            Err(ParamError::UnknownKey(_))
        ));
        assert!(matches!(
            parse_param("population.segment.daily.keep_alive=5:60:5"),
            Err(ParamError::BadValue { .. })
        ));
        assert!(matches!(
            parse_param("client.periodic_check_share=0.9:0.5:0.1"),
            Err(ParamError::BadRange { .. })
        ));
        assert!(matches!(
            parse_param("client.periodic_check_share=0:1:0"),
            Err(ParamError::BadRange { .. })
        ));
        assert!(matches!(
            parse_param("client.periodic_check_share=0:1:0.001"),
            Err(ParamError::BadRange { .. })
        ));
        assert!(matches!(
            parse_param("population.users=1000:2000:0.5"),
            Err(ParamError::BadValue { .. })
        ));
    }

    #[test]
    fn apply_changes_only_the_entry() {
        let text = "[[policy]]\nname = \"none\"\non_update_ready = \"none\"\n\n\
            [[policy]]\nname = \"prompt\"\non_update_ready = \"prompt\"\naccept = 0.6 # estimate\n";
        let param = parse_param("policy.prompt.accept=0.2:0.4:0.2").unwrap();
        let changed = param.apply(text, &param.values[1]).unwrap();
        assert_eq!(
            changed,
            "[[policy]]\nname = \"none\"\non_update_ready = \"none\"\n\n\
            [[policy]]\nname = \"prompt\"\non_update_ready = \"prompt\"\naccept = 0.4\n"
        );
    }

    #[test]
    fn apply_adds_missing_client_key() {
        let text = "[run]\nname = \"x\"\n";
        let param = parse_param("client.periodic_check_share=0.5:0.5:0.1").unwrap();
        let changed = param.apply(text, &param.values[0]).unwrap();
        assert!(
            changed.contains("[client]\nperiodic_check_share = 0.5\n"),
            "{changed}"
        );
    }

    #[test]
    fn apply_rejects_unknown_name() {
        let text = "[[network]]\nname = \"wifi\"\nshare = 1.0\nbandwidth = \"4MB/s\"\n";
        let param = parse_param("network.5g.failure=0.1:0.2:0.1").unwrap();
        let error = param.apply(text, &param.values[0]).unwrap_err();
        assert_eq!(
            error.render(Lang::En),
            "invalid key 'network.5g.failure' for --param: the scenario has no entry named '5g'; use one of wifi"
        );
    }
}
