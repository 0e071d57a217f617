//! Errors found while reading a scenario file, rendered in either language.

use std::fmt;

use crate::i18n::Lang;
use crate::units::UnitError;

/// What kind of quantity a string was meant to be, for unit errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityKind {
    /// A duration such as `"30m"`.
    Duration,
    /// A size such as `"1.5MB"`.
    Size,
    /// A rate such as `"2MB/s"`.
    Rate,
}

/// What is wrong with the value at a key.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// The file is not valid TOML.
    Syntax(String),
    /// The file could not be read.
    Io(String),
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
        /// What the schema expects, in words.
        expected: String,
    },
    /// A quantity string with a missing or unknown unit.
    BadQuantity {
        /// The quantity expected.
        kind: QuantityKind,
        /// Why the parser rejected it.
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
    },
    /// Any other rule, with its explanation and fix in both languages.
    Rule {
        /// What is wrong, in English.
        en: String,
        /// What is wrong, in Chinese.
        zh: String,
        /// What would be valid, in English.
        fix_en: String,
        /// What would be valid, in Chinese.
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
    /// What is wrong.
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
            (Problem::Syntax(message), Lang::En) => format!("invalid TOML: {message}"),
            (Problem::Syntax(message), Lang::ZhCn) => format!("TOML 语法错误：{message}"),
            (Problem::Io(message), Lang::En) => format!("cannot read the scenario file: {message}"),
            (Problem::Io(message), Lang::ZhCn) => format!("无法读取场景文件：{message}"),
            (Problem::UnknownKey { suggestion, valid }, _) => {
                let list = valid
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
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
            (Problem::WrongType { expected }, Lang::En) => {
                format!("wrong type; expected {expected}")
            }
            (Problem::WrongType { expected }, Lang::ZhCn) => format!("类型错误；应为 {expected}"),
            (Problem::BadQuantity { kind, error }, _) => quantity_text(*kind, error, lang),
            (Problem::OutOfRange { min, max }, Lang::En) => {
                format!("out of range; use a number from {min} to {max}")
            }
            (Problem::OutOfRange { min, max }, Lang::ZhCn) => {
                format!("超出范围；请使用 {min} 到 {max} 之间的数")
            }
            (Problem::SharesSum { sum }, Lang::En) => format!(
                "the `share` values sum to {sum}, not 1; adjust them so they sum to 1 (within 1e-9)"
            ),
            (Problem::SharesSum { sum }, Lang::ZhCn) => {
                format!("各 `share` 之和为 {sum}，不等于 1；请调整使其总和为 1（误差不超过 1e-9）")
            }
            (Problem::Rule { en, fix_en, .. }, Lang::En) => format!("{en}; {fix_en}"),
            (Problem::Rule { zh, fix_zh, .. }, Lang::ZhCn) => format!("{zh}；{fix_zh}"),
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
        (UnitError::UnknownUnit(unit), Lang::En) => {
            format!("invalid {what_en}: unknown unit `{unit}`; use one of {units}, e.g. {examples}")
        }
        (UnitError::UnknownUnit(unit), Lang::ZhCn) => {
            format!("无效的{what_zh}：未知单位 `{unit}`；请使用 {units} 之一，例如 {examples}")
        }
        (UnitError::Negative, Lang::En) => {
            format!("invalid {what_en}: negative; use a value of 0 or more")
        }
        (UnitError::Negative, Lang::ZhCn) => format!("无效的{what_zh}：不能为负数"),
        (UnitError::TooLarge, Lang::En) => format!("invalid {what_en}: too large"),
        (UnitError::TooLarge, Lang::ZhCn) => format!("无效的{what_zh}：数值过大"),
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl std::error::Error for ScenarioError {}
