//! Chinese renderings of the TOML parser's syntax messages.
//!
//! The `toml` crate (through `toml_edit` 0.22 and `winnow`) writes a syntax
//! error as up to three lines: `invalid <what>`, `expected <a>, <b>` and a
//! cause such as `duplicate key `x` in table `run``. Each line is translated
//! on its own. A line this module does not know is kept in English inside
//! brackets, so no information is lost when a parser update adds a message.

/// Translates a syntax message of the TOML parser into Chinese.
pub(crate) fn translate(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(translate_line)
        .collect::<Vec<_>>()
        .join("；")
}

fn translate_line(line: &str) -> String {
    if let Some(what) = line.strip_prefix("invalid ") {
        if let Some(what) = label(what) {
            return format!("无效的{what}");
        }
    }
    if let Some(list) = line.strip_prefix("expected ") {
        let items: Vec<String> = list.split(", ").map(expected_item).collect();
        return format!("此处应为 {}", items.join("、"));
    }
    if let Some(text) = cause(line) {
        return text;
    }
    // clap's ranged integer parsers: "5 is not in 1..=4".
    if let Some((value, range)) = line.split_once(" is not in ") {
        return format!("{value} 不在 {range} 范围内");
    }
    format!("（解析器原文：{line}）")
}

/// Translates a `winnow` label of `toml_edit`'s parser, the kind of value
/// being parsed.
fn label(what: &str) -> Option<&'static str> {
    Some(match what {
        "array" => "数组",
        "basic string" => "基本字符串",
        "binary integer" => "二进制整数",
        "date-time" => "日期时间",
        "escape sequence" => "转义序列",
        "floating-point number" => "浮点数",
        "hexadecimal integer" => "十六进制整数",
        "inline table" => "内联表",
        "integer" => "整数",
        "key" => "键",
        "literal string" => "字面量字符串",
        "multiline basic string" => "多行基本字符串",
        "multiline literal string" => "多行字面量字符串",
        "octal integer" => "八进制整数",
        "string" => "字符串",
        "table header" => "表头",
        "time offset" => "时区偏移",
        "time" => "时间",
        "unicode 4-digit hex code" => "4 位十六进制 Unicode 码",
        "unicode 8-digit hex code" => "8 位十六进制 Unicode 码",
        _ => return None,
    })
}

fn expected_item(item: &str) -> String {
    match item {
        "newline" => "换行".to_string(),
        "digit" => "数字".to_string(),
        "leading digit" => "首位数字".to_string(),
        // Literal characters such as `=` or `]` need no translation.
        other => other.to_string(),
    }
}

/// Translates a cause line: `toml_edit`'s own errors and the number parse
/// errors of the Rust standard library that it passes on.
fn cause(line: &str) -> Option<String> {
    if let Some(rest) = line.strip_prefix("duplicate key ") {
        if let Some((key, table)) = rest.split_once(" in table ") {
            return Some(format!("表 {table} 中的键 {key} 重复"));
        }
        if let Some(key) = rest.strip_suffix(" in document root") {
            return Some(format!("文件顶层的键 {key} 重复"));
        }
        return Some(format!("键 {rest} 重复"));
    }
    if let Some(rest) = line.strip_prefix("dotted key ") {
        if let Some((key, actual)) = rest.split_once(" attempted to extend non-table type ") {
            let actual = actual.trim_start_matches('(').trim_end_matches(')');
            return Some(format!("点分键 {key} 试图扩展非表类型（{actual}）"));
        }
    }
    Some(
        match line {
            "value is out of range" => "数值超出范围",
            "recursion limit exceeded" => "嵌套层数超过上限",
            "number too large to fit in target type" => "数值过大，超出 64 位整数的范围",
            "number too small to fit in target type" => "数值过小，超出 64 位整数的范围",
            "invalid digit found in string" => "数字中含有无效字符",
            "cannot parse integer from empty string" => "整数为空",
            "invalid float literal" => "无效的浮点数",
            _ => return None,
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_with_expected_list() {
        assert_eq!(
            translate("invalid table header\nexpected `.`, `]`"),
            "无效的表头；此处应为 `.`、`]`"
        );
    }

    #[test]
    fn duplicate_key_names_table() {
        assert_eq!(
            translate("duplicate key `name` in table `run`"),
            "表 `run` 中的键 `name` 重复"
        );
        assert_eq!(
            translate("invalid table header\nduplicate key `run` in document root"),
            "无效的表头；文件顶层的键 `run` 重复"
        );
    }

    #[test]
    fn newline_is_translated() {
        assert_eq!(translate("expected newline, `#`"), "此处应为 换行、`#`");
    }

    #[test]
    fn unknown_line_keeps_english() {
        assert_eq!(translate("something new"), "（解析器原文：something new）");
    }

    #[test]
    fn real_parser_messages_are_translated() {
        // Each text is a small broken document; the parser's message must
        // translate without falling back to the English original.
        for text in [
            "[run\n",
            "x\n",
            "a = \"b\n",
            "a = [1, 2\n",
            "a = { b = 1\n",
            "a = 1\na = 2\n",
            "a = 99999999999999999999\n",
            "a = 1.2.3\n",
            "a = 0x\n",
            "a = 2021-13-45\n",
            "a = \"\\q\"\n",
            "[a]\n[a]\n",
            "a.b = 1\na.b.c = 2\n",
        ] {
            let error = toml::from_str::<toml::Table>(text).unwrap_err();
            let translated = translate(error.message());
            assert!(
                !translated.contains("解析器原文"),
                "{text:?}: {} -> {translated}",
                error.message()
            );
        }
    }
}
