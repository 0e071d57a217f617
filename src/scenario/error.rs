//! Errors found while reading a scenario file, rendered in either language.

use std::fmt;

use crate::i18n::Lang;
use crate::scenario::syntax_zh;
use crate::units::UnitError;

/// Kind of quantity a string was meant to be, for unit errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityKind {
    /// A duration such as `"30m"`.
    Duration,
    /// A size such as `"1.5MB"`.
    Size,
    /// A rate such as `"2MB/s"`.
    Rate,
}

/// The TOML type of a value as written in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TomlType {
    /// `"text"` or `'text'`.
    String,
    /// `5`.
    Integer,
    /// `0.5`, `5e3`, `nan`.
    Float,
    /// `true` or `false`.
    Boolean,
    /// `2026-12-07T10:00:00`.
    Datetime,
    /// `[ ... ]`.
    Array,
    /// `{ ... }` or a `[table]`.
    Table,
}

impl TomlType {
    /// Returns the type of a parsed TOML value.
    pub fn of(value: &toml::Value) -> TomlType {
        match value {
            toml::Value::String(_) => TomlType::String,
            toml::Value::Integer(_) => TomlType::Integer,
            toml::Value::Float(_) => TomlType::Float,
            toml::Value::Boolean(_) => TomlType::Boolean,
            toml::Value::Datetime(_) => TomlType::Datetime,
            toml::Value::Array(_) => TomlType::Array,
            toml::Value::Table(_) => TomlType::Table,
        }
    }

    /// Returns the type of a value written as TOML source text, such as `5`
    /// or `"5m"`, or `None` when the text is not a single TOML value.
    pub fn of_source(text: &str) -> Option<TomlType> {
        let document: toml::Table = toml::from_str(&format!("v = {text}")).ok()?;
        document.get("v").map(TomlType::of)
    }

    fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (TomlType::String, Lang::En) => "a string",
            (TomlType::String, Lang::ZhCn) => "字符串",
            (TomlType::Integer, Lang::En) => "an integer",
            (TomlType::Integer, Lang::ZhCn) => "整数",
            (TomlType::Float, Lang::En) => "a floating-point number",
            (TomlType::Float, Lang::ZhCn) => "浮点数",
            (TomlType::Boolean, Lang::En) => "a boolean",
            (TomlType::Boolean, Lang::ZhCn) => "布尔值",
            (TomlType::Datetime, Lang::En) => "a date-time",
            (TomlType::Datetime, Lang::ZhCn) => "日期时间",
            (TomlType::Array, Lang::En) => "an array",
            (TomlType::Array, Lang::ZhCn) => "数组",
            (TomlType::Table, Lang::En) => "a table",
            (TomlType::Table, Lang::ZhCn) => "表",
        }
    }
}

/// The kind of value a key accepts, for messages about a value of the
/// wrong type.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// A string.
    String,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An array.
    Array,
    /// A table.
    Table,
    /// A duration string such as `"30m"`.
    Duration,
    /// A duration string or a distribution table.
    Distribution,
    /// A size string such as `"1.5MB"`.
    Size,
    /// A rate string such as `"2MB/s"`.
    Rate,
    /// Anything else, in the deserializer's words (not translated).
    Other(String),
}

impl Expected {
    fn text(&self, lang: Lang) -> String {
        let text = match (self, lang) {
            (Expected::String, Lang::En) => "a string in quotes, such as \"name\"",
            (Expected::String, Lang::ZhCn) => "带引号的字符串，例如 \"name\"",
            (Expected::Integer, Lang::En) => "a whole number such as 20",
            (Expected::Integer, Lang::ZhCn) => "整数，例如 20",
            (Expected::Number, Lang::En) => "a number such as 0.5",
            (Expected::Number, Lang::ZhCn) => "数值，例如 0.5",
            (Expected::Boolean, Lang::En) => "true or false",
            (Expected::Boolean, Lang::ZhCn) => "布尔值 true 或 false",
            (Expected::Array, Lang::En) => "an array in brackets, [ ... ]",
            (Expected::Array, Lang::ZhCn) => "方括号中的数组 [ ... ]",
            (Expected::Table, Lang::En) => "a table",
            (Expected::Table, Lang::ZhCn) => "表",
            (Expected::Duration, Lang::En) => "a duration string with a unit, such as \"30m\"",
            (Expected::Duration, Lang::ZhCn) => "带单位的时长字符串，例如 \"30m\"",
            (Expected::Distribution, Lang::En) => {
                "a duration string such as \"5m\" or a table such as { dist = \"exponential\", mean = \"30m\" }"
            }
            (Expected::Distribution, Lang::ZhCn) => {
                "时长字符串（例如 \"5m\"）或表（例如 { dist = \"exponential\", mean = \"30m\" }）"
            }
            (Expected::Size, Lang::En) => "a size string with a unit, such as \"1.5MB\"",
            (Expected::Size, Lang::ZhCn) => "带单位的大小字符串，例如 \"1.5MB\"",
            (Expected::Rate, Lang::En) => "a rate string with a unit, such as \"2MB/s\"",
            (Expected::Rate, Lang::ZhCn) => "带单位的速率字符串，例如 \"2MB/s\"",
            (Expected::Other(text), _) => text.as_str(),
        };
        text.to_string()
    }
}

/// Problem with the value at a key.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// The file is not valid TOML.
    Syntax(String),
    /// The file could not be read.
    Io {
        /// Kind of the I/O error.
        kind: std::io::ErrorKind,
        /// Text of the I/O error, from the operating system.
        text: String,
    },
    /// A key the schema does not have.
    UnknownKey {
        /// The closest valid key, when one is close enough.
        suggestion: Option<String>,
        /// Every key valid at that place.
        valid: Vec<String>,
    },
    /// A required key is absent.
    MissingKey,
    /// The value has the wrong TOML type.
    WrongType {
        /// Values the key accepts.
        expected: Expected,
        /// The type written, when known.
        found: Option<TomlType>,
    },
    /// A quantity string with a missing or unknown unit.
    BadQuantity {
        /// The quantity expected.
        kind: QuantityKind,
        /// Reason the parser rejected it.
        error: UnitError,
    },
    /// A number outside its valid range.
    OutOfRange {
        /// Smallest valid value.
        min: f64,
        /// Largest valid value.
        max: f64,
    },
    /// Shares of a list of tables do not sum to 1.
    SharesSum {
        /// The actual sum.
        sum: f64,
        /// Every share, in file order.
        shares: Vec<f64>,
    },
    /// Any other rule, with its explanation and fix in both languages.
    Rule {
        /// Problem, in English.
        en: String,
        /// Problem, in Chinese.
        zh: String,
        /// Valid alternative, in English.
        fix_en: String,
        /// Valid alternative, in Chinese.
        fix_zh: String,
    },
}

/// An invalid scenario: where, what value, what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioError {
    /// The scenario file as the user named it.
    pub file: String,
    /// Dotted key path, e.g. `population.segment[1].share`.
    pub key: String,
    /// 1-based line, when the key is in the file.
    pub line: Option<usize>,
    /// 1-based column, when the key is in the file.
    pub column: Option<usize>,
    /// The offending value as written.
    pub value: Option<String>,
    /// The problem.
    pub problem: Problem,
}

impl ScenarioError {
    /// Renders the message in the given language, with the location first.
    pub fn render(&self, lang: Lang) -> String {
        let mut location = self.file.clone();
        if let Some(line) = self.line {
            location.push_str(&format!(":{line}"));
            if let Some(column) = self.column {
                location.push_str(&format!(":{column}"));
            }
        }
        let subject = match (&self.value, self.key.is_empty(), lang) {
            (Some(value), false, Lang::En) => format!("key `{}` = {}", self.key, value),
            (Some(value), false, Lang::ZhCn) => format!("键 `{}` = {}", self.key, value),
            (None, false, Lang::En) => format!("key `{}`", self.key),
            (None, false, Lang::ZhCn) => format!("键 `{}`", self.key),
            (_, true, _) => String::new(),
        };
        let body = self.problem_text(lang);
        if subject.is_empty() {
            format!("{location}: {body}")
        } else {
            format!("{location}: {subject}: {body}")
        }
    }

    fn problem_text(&self, lang: Lang) -> String {
        match (&self.problem, lang) {
            (Problem::Syntax(message), Lang::En) => {
                let lines: Vec<&str> = message.lines().map(str::trim).collect();
                format!("invalid TOML: {}", lines.join("; "))
            }
            (Problem::Syntax(message), Lang::ZhCn) => {
                format!("TOML 语法错误：{}", syntax_zh::translate(message))
            }
            (Problem::Io { text, .. }, Lang::En) => {
                format!("cannot read the scenario file: {text}")
            }
            (Problem::Io { kind, text }, Lang::ZhCn) => format!(
                "无法读取场景文件：{}",
                crate::i18n::io_error_kind_text(*kind, text, lang)
            ),
            (Problem::UnknownKey { suggestion, valid }, _) => {
                let list = valid
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(lang.pick(", ", "、"));
                match (suggestion, lang) {
                    (Some(s), Lang::En) => {
                        format!("unknown key; did you mean `{s}`? Valid keys here: {list}")
                    }
                    (Some(s), Lang::ZhCn) => {
                        format!("未知的键；是否想写 `{s}`？此处可用的键：{list}")
                    }
                    (None, Lang::En) => format!("unknown key; valid keys here: {list}"),
                    (None, Lang::ZhCn) => format!("未知的键；此处可用的键：{list}"),
                }
            }
            (Problem::MissingKey, Lang::En) => {
                "missing required key; add it to the table".to_string()
            }
            (Problem::MissingKey, Lang::ZhCn) => "缺少必填的键；请在该表中添加".to_string(),
            (Problem::WrongType { expected, found }, _) => {
                wrong_type_text(expected, *found, self.value.as_deref(), lang)
            }
            (Problem::BadQuantity { kind, error }, _) => quantity_text(*kind, error, lang),
            (Problem::OutOfRange { min, max }, Lang::En) => format!(
                "out of range; use a number from {} to {}",
                format_limit(*min),
                format_limit(*max)
            ),
            (Problem::OutOfRange { min, max }, Lang::ZhCn) => format!(
                "超出范围；请使用 {} 到 {} 之间的数",
                format_limit(*min),
                format_limit(*max)
            ),
            (Problem::SharesSum { sum, shares }, Lang::En) => format!(
                "the shares {} sum to {}, not 1; adjust them so they sum to 1 (within 1e-9)",
                join_shares(shares),
                format_sum(*sum)
            ),
            (Problem::SharesSum { sum, shares }, Lang::ZhCn) => format!(
                "各份额 {} 之和为 {}，不等于 1；请调整使其总和为 1（误差不超过 1e-9）",
                join_shares(shares),
                format_sum(*sum)
            ),
            (Problem::Rule { en, fix_en, .. }, Lang::En) => format!("{en}; {fix_en}"),
            (Problem::Rule { zh, fix_zh, .. }, Lang::ZhCn) => format!("{zh}；{fix_zh}"),
        }
    }
}

/// Formats a range limit: whole numbers without a fraction, so the largest
/// seed reads 9223372036854775807 and not 9223372036854776000.
fn format_limit(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() <= i64::MAX as f64 {
        (value as i64).to_string()
    } else {
        value.to_string()
    }
}

/// Formats a sum of shares to 12 decimals, enough to show a miss of the
/// 1e-9 tolerance, so that 0.3 + 0.6 reads 0.9 and not 0.8999999999999999.
fn format_sum(sum: f64) -> String {
    let text = format!("{sum:.12}");
    let text = text.trim_end_matches('0');
    text.strip_suffix('.').unwrap_or(text).to_string()
}

fn join_shares(shares: &[f64]) -> String {
    shares
        .iter()
        .map(|share| share.to_string())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Renders a wrong-type message, with a fix derived from the value written
/// when there is an obvious one (quotes to add or remove, a unit to add).
fn wrong_type_text(
    expected: &Expected,
    found: Option<TomlType>,
    value: Option<&str>,
    lang: Lang,
) -> String {
    let mut text = match (found, lang) {
        (Some(found), Lang::En) => format!(
            "wrong type: expected {}, found {}",
            expected.text(lang),
            found.name(lang)
        ),
        (Some(found), Lang::ZhCn) => format!(
            "类型错误：应为{}，实际为{}",
            expected.text(lang),
            found.name(lang)
        ),
        (None, Lang::En) => format!("wrong type: expected {}", expected.text(lang)),
        (None, Lang::ZhCn) => format!("类型错误：应为{}", expected.text(lang)),
    };
    if let (Some(found), Some(value)) = (found, value) {
        if let Some(fix) = wrong_type_fix(expected, found, value, lang) {
            text.push_str(lang.pick("; ", "；"));
            text.push_str(&fix);
        }
    }
    text
}

fn wrong_type_fix(expected: &Expected, found: TomlType, value: &str, lang: Lang) -> Option<String> {
    let unquoted = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')));
    let scalar = matches!(
        found,
        TomlType::Integer | TomlType::Float | TomlType::Boolean | TomlType::Datetime
    );
    let number = matches!(found, TomlType::Integer | TomlType::Float);
    match expected {
        Expected::String if scalar => Some(match lang {
            Lang::En => format!("put it in quotes: \"{value}\""),
            Lang::ZhCn => format!("请加上引号：\"{value}\""),
        }),
        Expected::Integer | Expected::Number | Expected::Boolean if found == TomlType::String => {
            let inner = unquoted?.trim();
            let valid = match expected {
                Expected::Integer => inner.parse::<i64>().is_ok(),
                Expected::Number => inner.parse::<f64>().is_ok(),
                _ => inner == "true" || inner == "false",
            };
            valid.then(|| match lang {
                Lang::En => format!("remove the quotes: {inner}"),
                Lang::ZhCn => format!("请去掉引号：{inner}"),
            })
        }
        Expected::Integer if found == TomlType::Float => {
            let parsed: f64 = value.replace('_', "").parse().ok()?;
            (parsed.fract() == 0.0 && parsed.abs() < 9e15).then(|| match lang {
                Lang::En => format!(
                    "write it without a decimal point or exponent: {}",
                    parsed as i64
                ),
                Lang::ZhCn => format!("请写成不带小数点或指数的整数：{}", parsed as i64),
            })
        }
        Expected::Duration | Expected::Distribution if number => Some(match lang {
            Lang::En => format!(
                "write it in quotes with a unit, such as \"{value}s\", \"{value}m\" or \"{value}h\""
            ),
            Lang::ZhCn => {
                format!("请加上引号和单位，例如 \"{value}s\"、\"{value}m\" 或 \"{value}h\"")
            }
        }),
        Expected::Size if number => Some(match lang {
            Lang::En => format!("write it in quotes with a unit, such as \"{value}MB\""),
            Lang::ZhCn => format!("请加上引号和单位，例如 \"{value}MB\""),
        }),
        Expected::Rate if number => Some(match lang {
            Lang::En => format!("write it in quotes with a unit, such as \"{value}MB/s\""),
            Lang::ZhCn => format!("请加上引号和单位，例如 \"{value}MB/s\""),
        }),
        _ => None,
    }
}

/// Returns the accepted unit that a common spelled-out or plural unit
/// means, such as `m` for `minutes`.
fn unit_suggestion(kind: QuantityKind, unit: &str) -> Option<&'static str> {
    let lower = unit.trim().to_ascii_lowercase();
    match kind {
        QuantityKind::Duration => match lower.as_str() {
            "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" => Some("ms"),
            "sec" | "secs" | "second" | "seconds" => Some("s"),
            "min" | "mins" | "minute" | "minutes" => Some("m"),
            "hr" | "hrs" | "hour" | "hours" => Some("h"),
            "day" | "days" => Some("d"),
            "ms" => Some("ms"),
            "s" => Some("s"),
            "m" => Some("m"),
            "h" => Some("h"),
            "d" => Some("d"),
            _ => None,
        },
        QuantityKind::Size | QuantityKind::Rate => {
            let size = lower.strip_suffix("/s").unwrap_or(&lower);
            let base = match size {
                "b" | "byte" | "bytes" => "B",
                "k" | "kb" | "kib" | "kbyte" | "kbytes" => "KB",
                "m" | "mb" | "mib" | "mbyte" | "mbytes" => "MB",
                "g" | "gb" | "gib" | "gbyte" | "gbytes" => "GB",
                _ => return None,
            };
            Some(match (kind, base) {
                (QuantityKind::Rate, "B") => "B/s",
                (QuantityKind::Rate, "KB") => "KB/s",
                (QuantityKind::Rate, "MB") => "MB/s",
                (QuantityKind::Rate, _) => "GB/s",
                (_, base) => base,
            })
        }
    }
}

fn quantity_text(kind: QuantityKind, error: &UnitError, lang: Lang) -> String {
    let (examples, units) = match kind {
        QuantityKind::Duration => (
            "\"250ms\", \"90s\", \"30m\", \"24h\", \"7d\"",
            "ms, s, m, h, d",
        ),
        QuantityKind::Size => ("\"800KB\", \"1.5MB\"", "B, KB, MB, GB"),
        QuantityKind::Rate => ("\"500KB/s\", \"2MB/s\"", "B/s, KB/s, MB/s, GB/s"),
    };
    let (what_en, what_zh) = match kind {
        QuantityKind::Duration => ("duration", "时长"),
        QuantityKind::Size => ("size", "大小"),
        QuantityKind::Rate => ("rate", "速率"),
    };
    match (error, lang) {
        (UnitError::MissingNumber, Lang::En) => {
            format!("invalid {what_en}: no number; write a number then a unit, e.g. {examples}")
        }
        (UnitError::MissingNumber, Lang::ZhCn) => {
            format!("无效的{what_zh}：缺少数值；请写数值加单位，例如 {examples}")
        }
        (UnitError::MissingUnit, Lang::En) => {
            format!("invalid {what_en}: the unit is missing; add one of {units}, e.g. {examples}")
        }
        (UnitError::MissingUnit, Lang::ZhCn) => {
            format!("无效的{what_zh}：缺少单位；请加上 {units} 之一，例如 {examples}")
        }
        (UnitError::UnknownUnit(unit), _) => {
            let suggestion = unit_suggestion(kind, unit).filter(|s| s != unit);
            match (suggestion, lang) {
                (Some(s), Lang::En) => format!(
                    "invalid {what_en}: unknown unit `{unit}`; did you mean `{s}`? Use one of {units}, e.g. {examples}"
                ),
                (Some(s), Lang::ZhCn) => format!(
                    "无效的{what_zh}：未知单位 `{unit}`；是否想写 `{s}`？请使用 {units} 之一，例如 {examples}"
                ),
                (None, Lang::En) => format!(
                    "invalid {what_en}: unknown unit `{unit}`; use one of {units}, e.g. {examples}"
                ),
                (None, Lang::ZhCn) => format!(
                    "无效的{what_zh}：未知单位 `{unit}`；请使用 {units} 之一，例如 {examples}"
                ),
            }
        }
        (UnitError::Negative, Lang::En) => {
            format!("invalid {what_en}: negative; use a value of 0 or more")
        }
        (UnitError::Negative, Lang::ZhCn) => {
            format!("无效的{what_zh}：不能为负数；请使用 0 或更大的值")
        }
        (UnitError::TooLarge, Lang::En) => {
            format!("invalid {what_en}: too large; use a smaller value, e.g. {examples}")
        }
        (UnitError::TooLarge, Lang::ZhCn) => {
            format!("无效的{what_zh}：数值过大；请使用更小的值，例如 {examples}")
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl std::error::Error for ScenarioError {}
