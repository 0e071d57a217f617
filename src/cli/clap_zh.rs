//! Chinese messages for clap's command-line errors (unknown argument,
//! invalid value, missing subcommand), which clap writes only in English.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use std::error::Error as _;

fn string(error: &clap::Error, kind: ContextKind) -> Option<String> {
    match error.get(kind)? {
        ContextValue::String(value) => Some(value.clone()),
        ContextValue::Strings(values) => Some(values.join("、")),
        ContextValue::Number(value) => Some(value.to_string()),
        _ => None,
    }
}

/// Renders a clap parse error in Chinese, with the suggestion clap found
/// and a pointer to `--help`. Returns `None` for help and version output,
/// which are not errors.
pub(crate) fn render(error: &clap::Error) -> Option<String> {
    let arg = string(error, ContextKind::InvalidArg).unwrap_or_default();
    let value = string(error, ContextKind::InvalidValue).unwrap_or_default();
    let subcommand = string(error, ContextKind::InvalidSubcommand).unwrap_or_default();
    let mut message = match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => return None,
        ErrorKind::UnknownArgument => format!("未知的参数 '{arg}'"),
        ErrorKind::InvalidSubcommand => format!("未知的子命令 '{subcommand}'"),
        ErrorKind::InvalidValue if value.is_empty() => format!("参数 '{arg}' 需要一个取值"),
        ErrorKind::InvalidValue => format!("'{arg}' 的取值 '{value}' 无效"),
        ErrorKind::ValueValidation => {
            let reason = error
                .source()
                .map(|source| crate::scenario::syntax_zh::translate(&source.to_string()))
                .unwrap_or_default();
            format!("'{arg}' 的取值 '{value}' 无效：{reason}")
        }
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数：{arg}"),
        ErrorKind::MissingSubcommand => {
            let valid = string(error, ContextKind::ValidSubcommand).unwrap_or_default();
            format!("缺少子命令；可用的子命令：{valid}")
        }
        ErrorKind::ArgumentConflict => {
            let prior = string(error, ContextKind::PriorArg).unwrap_or_default();
            if prior.is_empty() || prior == arg {
                format!("参数 '{arg}' 只能使用一次")
            } else {
                format!("参数 '{arg}' 不能与 '{prior}' 同时使用")
            }
        }
        ErrorKind::TooManyValues => format!("'{arg}' 的多余取值 '{value}'"),
        ErrorKind::NoEquals => format!("为 '{arg}' 赋值时需要使用等号"),
        ErrorKind::InvalidUtf8 => "参数不是有效的 UTF-8".to_string(),
        _ => format!("命令行参数无效：{}", error.kind()),
    };
    if let Some(valid) = string(error, ContextKind::ValidValue).filter(|v| !v.is_empty()) {
        message.push_str(&format!("；可用的取值：{valid}"));
    }
    let suggestion = string(error, ContextKind::SuggestedArg)
        .or_else(|| string(error, ContextKind::SuggestedSubcommand))
        .or_else(|| string(error, ContextKind::SuggestedValue));
    match suggestion {
        Some(suggestion) => message.push_str(&format!("；是否想写 '{suggestion}'？")),
        None => message.push('。'),
    }
    message.push_str("运行 'rollout-sim --help' 查看用法。");
    Some(message)
}
