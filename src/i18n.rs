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
    fn lang_flag_parses_both_spellings() {
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::parse("zh_cn"), Some(Lang::ZhCn));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
