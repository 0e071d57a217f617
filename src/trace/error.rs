//! Errors of the launch-trace reader, rendered in English and Chinese.

use std::fmt;

use crate::i18n::Lang;

/// An error from [`read_trace`](super::read_trace) or
/// [`parse_trace`](super::parse_trace).
///
/// Every variant names the trace file as the caller passed it. Line numbers
/// are 1-based physical lines where the CSV record starts, so the header is
/// line 1. [`TraceError::render`] gives the message in either language, and
/// `Display` gives the English one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be opened or read.
    Io {
        /// Trace file name.
        file: String,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The header lacks a required column.
    MissingColumn {
        /// Trace file name.
        file: String,
        /// Name of the missing column.
        column: String,
        /// Column names found in the header, in file order.
        found: Vec<String>,
    },
    /// The header names the same column twice.
    DuplicateColumn {
        /// Trace file name.
        file: String,
        /// Repeated column name.
        column: String,
    },
    /// A record has a different number of fields than the header.
    FieldCount {
        /// Trace file name.
        file: String,
        /// Line where the record starts.
        line: u64,
        /// Number of fields in the header.
        expected: u64,
        /// Number of fields in the record.
        found: u64,
    },
    /// A record is not valid UTF-8.
    InvalidUtf8 {
        /// Trace file name.
        file: String,
        /// Line where the record starts.
        line: u64,
    },
    /// Any other CSV syntax error reported by the `csv` crate.
    Csv {
        /// Trace file name.
        file: String,
        /// Line where the record starts, when the `csv` crate reports one.
        line: Option<u64>,
        /// Message of the `csv` crate, in English.
        detail: String,
    },
    /// A required value is empty.
    EmptyValue {
        /// Trace file name.
        file: String,
        /// Line where the record starts.
        line: u64,
        /// Column of the empty value.
        column: String,
    },
    /// A timestamp is not in one of the accepted forms.
    InvalidTimestamp {
        /// Trace file name.
        file: String,
        /// Line where the record starts.
        line: u64,
        /// Column of the timestamp.
        column: String,
        /// The rejected value.
        value: String,
    },
    /// An event is neither `open` nor `close`.
    UnknownEvent {
        /// Trace file name.
        file: String,
        /// Line where the record starts.
        line: u64,
        /// Column of the event.
        column: String,
        /// The rejected value.
        value: String,
    },
    /// A `close` comes before any `open` of its (user, app) pair, or right
    /// after another `close`.
    CloseWithoutOpen {
        /// Trace file name.
        file: String,
        /// Line of the `close` record.
        line: u64,
        /// User of the pair.
        user_id: String,
        /// App of the pair.
        app: String,
    },
    /// An `open` follows another `open` of the same pair with no `close`
    /// between them in time order.
    TwoOpens {
        /// Trace file name.
        file: String,
        /// Line of the second `open`.
        line: u64,
        /// Line of the earlier `open` that has no `close`.
        previous_line: u64,
        /// User of the pair.
        user_id: String,
        /// App of the pair.
        app: String,
    },
    /// An app listed in [`TraceOptions::apps`](super::TraceOptions::apps)
    /// never occurs in the file.
    UnknownApp {
        /// Trace file name.
        file: String,
        /// The selected app that was not found.
        app: String,
        /// The app of the file closest in spelling, if the file has any.
        closest: Option<String>,
    },
    /// [`TraceOptions::merge_gap_ms`](super::TraceOptions::merge_gap_ms) is
    /// negative.
    NegativeMergeGap {
        /// The rejected value, in milliseconds.
        merge_gap_ms: i64,
    },
    /// No complete visit remains after filtering.
    NoVisits {
        /// Trace file name.
        file: String,
    },
}

/// Formats column names as "`a`, `b`" for messages.
fn format_columns(columns: &[String], lang: Lang) -> String {
    if columns.is_empty() {
        return lang.pick("no columns", "没有任何列").to_string();
    }
    let quoted: Vec<String> = columns.iter().map(|name| format!("`{name}`")).collect();
    quoted.join(lang.pick(", ", "、"))
}

impl TraceError {
    /// Renders the message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.render_english(),
            Lang::ZhCn => self.render_chinese(),
        }
    }

    fn render_english(&self) -> String {
        match self {
            TraceError::Io { file, source } => format!(
                "failed to read trace file {file}: {source}. \
                 Check that the path exists and is readable."
            ),
            TraceError::MissingColumn {
                file,
                column,
                found,
            } => format!(
                "missing column `{column}` in the header (line 1) of {file}. \
                 The header has {}, and a trace needs `user_id`, `event` and `timestamp` \
                 (`app` is optional).",
                format_columns(found, Lang::En)
            ),
            TraceError::DuplicateColumn { file, column } => format!(
                "duplicate column `{column}` in the header (line 1) of {file}. \
                 Rename or remove one of them."
            ),
            TraceError::FieldCount {
                file,
                line,
                expected,
                found,
            } => format!(
                "record at line {line} of {file} has {found} fields, but the header has \
                 {expected}. Quote values that contain commas, or add the missing fields."
            ),
            TraceError::InvalidUtf8 { file, line } => format!(
                "invalid UTF-8 in the record at line {line} of {file}. Save the file as UTF-8."
            ),
            TraceError::Csv { file, line, detail } => match line {
                Some(line) => format!(
                    "invalid CSV at line {line} of {file}: {detail}. \
                     Check the quoting of that record."
                ),
                None => format!("invalid CSV in {file}: {detail}."),
            },
            TraceError::EmptyValue { file, line, column } => format!(
                "empty value in column `{column}` at line {line} of {file}. \
                 Every record needs a non-empty `{column}`."
            ),
            TraceError::InvalidTimestamp {
                file,
                line,
                column,
                value,
            } => format!(
                "invalid timestamp \"{value}\" in column `{column}` at line {line} of {file}. \
                 Write it as RFC 3339 with a UTC offset, for example \
                 2021-03-04T09:35:00+01:00, 2021-03-04T09:35:00.250+01:00, \
                 2021-03-04T08:35:00Z or 2021-03-04 09:35:00+01:00."
            ),
            TraceError::UnknownEvent {
                file,
                line,
                column,
                value,
            } => format!(
                "invalid event \"{value}\" in column `{column}` at line {line} of {file}. \
                 Valid events are `open` and `close`."
            ),
            TraceError::CloseWithoutOpen {
                file,
                line,
                user_id,
                app,
            } => format!(
                "close without an open at line {line} of {file} \
                 (user `{user_id}`, app `{app}`). Each close must follow an open of the \
                 same user and app, so add the missing open or remove this close."
            ),
            TraceError::TwoOpens {
                file,
                line,
                previous_line,
                user_id,
                app,
            } => format!(
                "second open in a row at line {line} of {file} \
                 (user `{user_id}`, app `{app}`). The open at line {previous_line} has no \
                 close, so add its close or remove one of the two opens."
            ),
            TraceError::UnknownApp { file, app, closest } => match closest {
                Some(closest) => {
                    format!("selected app `{app}` not found in {file}. Did you mean `{closest}`?")
                }
                None => format!(
                    "selected app `{app}` not found in {file}, which contains no apps. \
                     Check the file."
                ),
            },
            TraceError::NegativeMergeGap { merge_gap_ms } => format!(
                "invalid merge gap {merge_gap_ms} ms. Use 0 to keep every visit, \
                 or a positive number of milliseconds."
            ),
            TraceError::NoVisits { file } => format!(
                "no complete visit in {file} after filtering. Check the selected and \
                 excluded apps, and that the file has both open and close rows."
            ),
        }
    }

    fn render_chinese(&self) -> String {
        match self {
            TraceError::Io { file, source } => {
                format!(
                    "读取轨迹文件 {file} 失败：{}。请检查路径是否存在且可读。",
                    crate::i18n::io_error_text(source, Lang::ZhCn)
                )
            }
            TraceError::MissingColumn {
                file,
                column,
                found,
            } => format!(
                "{file} 的表头（第 1 行）缺少列 `{column}`。表头中的列为 {}，\
                 轨迹文件需要 `user_id`、`event` 和 `timestamp` 列（`app` 列可选）。",
                format_columns(found, Lang::ZhCn)
            ),
            TraceError::DuplicateColumn { file, column } => format!(
                "{file} 的表头（第 1 行）中列 `{column}` 重复。请重命名或删除其中一列。"
            ),
            TraceError::FieldCount {
                file,
                line,
                expected,
                found,
            } => format!(
                "{file} 第 {line} 行的记录有 {found} 个字段，但表头有 {expected} 个。\
                 请给含逗号的值加引号，或补上缺少的字段。"
            ),
            TraceError::InvalidUtf8 { file, line } => {
                format!("{file} 第 {line} 行的记录不是有效的 UTF-8。请将文件保存为 UTF-8 编码。")
            }
            TraceError::Csv { file, line, detail } => match line {
                Some(line) => {
                    format!("{file} 第 {line} 行解析失败（{detail}）。请检查该记录的引号。")
                }
                None => format!("{file} 的 CSV 解析失败（{detail}）。"),
            },
            TraceError::EmptyValue { file, line, column } => format!(
                "{file} 第 {line} 行的 `{column}` 列为空。每条记录都需要非空的 `{column}`。"
            ),
            TraceError::InvalidTimestamp {
                file,
                line,
                column,
                value,
            } => format!(
                "{file} 第 {line} 行 `{column}` 列的时间戳 \"{value}\" 无效。\
                 请写成带 UTC 偏移的 RFC 3339 格式，例如 \
                 2021-03-04T09:35:00+01:00、2021-03-04T09:35:00.250+01:00、\
                 2021-03-04T08:35:00Z 或 2021-03-04 09:35:00+01:00。"
            ),
            TraceError::UnknownEvent {
                file,
                line,
                column,
                value,
            } => format!(
                "{file} 第 {line} 行 `{column}` 列的事件 \"{value}\" 无效。\
                 有效的事件为 `open` 和 `close`。"
            ),
            TraceError::CloseWithoutOpen {
                file,
                line,
                user_id,
                app,
            } => format!(
                "{file} 第 {line} 行的 close 之前没有对应的 open（用户 `{user_id}`，应用 `{app}`）。\
                 每个 close 都必须跟在同一用户、同一应用的 open 之后，\
                 请补上缺少的 open 或删除这个 close。"
            ),
            TraceError::TwoOpens {
                file,
                line,
                previous_line,
                user_id,
                app,
            } => format!(
                "{file} 第 {line} 行出现连续第二个 open（用户 `{user_id}`，应用 `{app}`）。\
                 第 {previous_line} 行的 open 没有 close，请补上它的 close 或删除其中一个 open。"
            ),
            TraceError::UnknownApp {
                file,
                app,
                closest,
            } => match closest {
                Some(closest) => {
                    format!("在 {file} 中找不到所选应用 `{app}`。您是否想选 `{closest}`？")
                }
                None => format!(
                    "在 {file} 中找不到所选应用 `{app}`，该文件不含任何应用。请检查文件。"
                ),
            },
            TraceError::NegativeMergeGap { merge_gap_ms } => format!(
                "合并间隔 {merge_gap_ms} 毫秒无效。填 0 表示保留每次访问，或填正的毫秒数。"
            ),
            TraceError::NoVisits { file } => format!(
                "过滤后 {file} 中没有完整的访问。请检查所选和排除的应用，\
                 以及文件是否同时含有 open 和 close 行。"
            ),
        }
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}
