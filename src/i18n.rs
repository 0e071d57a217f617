//! Report language selection.
//!
//! Every text a user reads exists in English and Simplified Chinese. Each
//! module renders its own messages with a `match` on [`Lang`], so a missing
//! translation is a compile error rather than a blank string.

use std::fmt;

/// Language of messages, tables, charts and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese (`zh-CN`).
    ZhCn,
}

impl Lang {
    /// Parses the `--lang` value: `en` or `zh-CN` (case-insensitive; `zh`
    /// and `zh_CN` are accepted too).
    pub fn parse(value: &str) -> Option<Lang> {
        match value.to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            "zh" | "zh-cn" | "zh-hans" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// Picks the language from the locale: `LC_ALL`, then `LC_MESSAGES`,
    /// then `LANG`; a value starting with `zh` selects Chinese.
    pub fn from_env() -> Lang {
        Self::from_locale_vars(|name| std::env::var(name).ok())
    }

    /// Same as [`Lang::from_env`] with an injectable variable lookup, for tests.
    pub fn from_locale_vars(lookup: impl Fn(&str) -> Option<String>) -> Lang {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Some(value) = lookup(name).filter(|v| !v.is_empty()) {
                return if value.to_ascii_lowercase().starts_with("zh") {
                    Lang::ZhCn
                } else {
                    Lang::En
                };
            }
        }
        Lang::En
    }

    /// Picks English or Chinese text.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh,
        }
    }

    /// The BCP 47 tag, as written in HTML `lang` attributes.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }
}

/// Describes an I/O error for a message in `lang`. English keeps the
/// operating system's text. Chinese names the error kind in Chinese and
/// keeps the system's text in brackets, so nothing is lost.
pub fn io_error_text(error: &std::io::Error, lang: Lang) -> String {
    io_error_kind_text(error.kind(), &error.to_string(), lang)
}

/// Describes an I/O error kept as its kind and its text, like
/// [`io_error_text`].
pub fn io_error_kind_text(kind: std::io::ErrorKind, text: &str, lang: Lang) -> String {
    match lang {
        Lang::En => text.to_string(),
        Lang::ZhCn => format!("{}（{text}）", io_error_kind_zh(kind)),
    }
}

/// Returns the Chinese name of an I/O error kind. Kinds without their own
/// name read as a general input/output error.
fn io_error_kind_zh(kind: std::io::ErrorKind) -> &'static str {
    use std::io::ErrorKind;

    match kind {
        ErrorKind::NotFound => "文件或目录不存在",
        ErrorKind::PermissionDenied => "没有访问权限",
        ErrorKind::AlreadyExists => "文件已存在",
        ErrorKind::IsADirectory => "这是目录而不是文件",
        ErrorKind::NotADirectory => "路径中的某一级不是目录",
        ErrorKind::DirectoryNotEmpty => "目录不为空",
        ErrorKind::ReadOnlyFilesystem => "文件系统为只读",
        ErrorKind::StorageFull => "磁盘空间不足",
        ErrorKind::WriteZero => "无法再写入数据",
        ErrorKind::FileTooLarge => "文件过大",
        ErrorKind::InvalidData => "数据无效",
        ErrorKind::InvalidInput => "参数无效",
        ErrorKind::UnexpectedEof => "文件意外结束",
        ErrorKind::Interrupted => "操作被中断",
        ErrorKind::TimedOut => "操作超时",
        ErrorKind::OutOfMemory => "内存不足",
        ErrorKind::Unsupported => "不支持该操作",
        _ => "输入输出错误",
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_zh_selects_chinese() {
        let lang = Lang::from_locale_vars(|name| (name == "LANG").then(|| "zh_CN.UTF-8".into()));
        assert_eq!(lang, Lang::ZhCn);
    }

    #[test]
    fn lc_all_overrides_lang() {
        let lang = Lang::from_locale_vars(|name| match name {
            "LC_ALL" => Some("en_US.UTF-8".into()),
            "LANG" => Some("zh_CN.UTF-8".into()),
            _ => None,
        });
        assert_eq!(lang, Lang::En);
    }

    #[test]
    fn io_errors_in_chinese_keep_system_text() {
        use std::io::{Error, ErrorKind};

        let missing = Error::from_raw_os_error(2);
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        assert_eq!(
            io_error_text(&missing, Lang::ZhCn),
            format!("文件或目录不存在（{missing}）")
        );
        assert_eq!(io_error_text(&missing, Lang::En), missing.to_string());
        // (kind, Chinese name) for the kinds the command-line messages meet.
        let cases = [
            (ErrorKind::PermissionDenied, "没有访问权限"),
            (ErrorKind::AlreadyExists, "文件已存在"),
            (ErrorKind::IsADirectory, "这是目录而不是文件"),
            (ErrorKind::NotADirectory, "路径中的某一级不是目录"),
            (ErrorKind::InvalidData, "数据无效"),
            (ErrorKind::UnexpectedEof, "文件意外结束"),
            (ErrorKind::StorageFull, "磁盘空间不足"),
            (ErrorKind::WriteZero, "无法再写入数据"),
            (ErrorKind::Interrupted, "操作被中断"),
            (ErrorKind::Other, "输入输出错误"),
        ];
        for (kind, chinese) in cases {
            let error = Error::new(kind, "system text");
            assert_eq!(
                io_error_text(&error, Lang::ZhCn),
                format!("{chinese}（system text）"),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn lang_flag_parses_both_spellings() {
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::parse("zh_cn"), Some(Lang::ZhCn));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
