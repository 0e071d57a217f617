//! The observed launch coverage of the first hours after a release.
//!
//! A CSV file with a header row and these columns, in any order:
//!
//! | column            | required | content                                              |
//! |-------------------|----------|------------------------------------------------------|
//! | `time_h`          | yes      | end of the interval, hours since the scenario's t = 0 |
//! | `launch_coverage` | yes      | share of launches in the interval that ran the newest version, 0 to 1 |
//! | `platform`        | no       | `wechat`, `wechat-2019`, `alipay` or `douyin`        |
//!
//! A row's interval starts at the previous row's `time_h` of the same
//! platform, or at the newest release's publication for the first row.
//! Times must increase strictly within a platform. Without the `platform`
//! column all rows form one curve under the scenario's own platform.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::i18n::Lang;
use crate::scenario::profile::PLATFORM_NAMES;

/// One observed point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObservedPoint {
    /// End of the interval, hours since t = 0.
    pub time_h: f64,
    /// Share of launches in the interval on the newest version.
    pub launch_coverage: f64,
    /// Line of the row in the file.
    pub line: u64,
}

/// The observed curve of one platform.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservedCurve {
    /// Platform from the `platform` column; `None` without that column.
    pub platform: Option<String>,
    /// Points in time order.
    pub points: Vec<ObservedPoint>,
}

/// Errors of [`read_observed`] and [`parse_observed`]. Line numbers are
/// 1-based; the header is line 1.
#[derive(Debug)]
#[non_exhaustive]
pub enum ObservedError {
    /// The file could not be read.
    Io {
        /// File name.
        file: String,
        /// Kind of the I/O error.
        kind: std::io::ErrorKind,
        /// Operating-system message.
        detail: String,
    },
    /// The CSV is malformed (such as a row with another number of fields).
    Csv {
        /// File name.
        file: String,
        /// Line, when known.
        line: Option<u64>,
        /// Message of the `csv` crate, in English.
        detail: String,
    },
    /// A required column is missing from the header.
    MissingColumn {
        /// File name.
        file: String,
        /// The missing column.
        column: &'static str,
        /// The header's columns.
        found: Vec<String>,
    },
    /// A value is not a number, or not a finite one.
    NotANumber {
        /// File name.
        file: String,
        /// Line of the row.
        line: u64,
        /// Column of the value.
        column: &'static str,
        /// The value.
        value: String,
    },
    /// A coverage outside [0, 1] or a negative time.
    OutOfRange {
        /// File name.
        file: String,
        /// Line of the row.
        line: u64,
        /// Column of the value.
        column: &'static str,
        /// The value.
        value: String,
    },
    /// A time not after the previous row's of the same platform.
    NotIncreasing {
        /// File name.
        file: String,
        /// Line of the row.
        line: u64,
        /// The value.
        value: String,
        /// Line of the previous row of the platform.
        previous_line: u64,
        /// Its time.
        previous: String,
    },
    /// A platform name that no profile has.
    UnknownPlatform {
        /// File name.
        file: String,
        /// Line of the row.
        line: u64,
        /// The value.
        value: String,
    },
    /// The file has no data row.
    Empty {
        /// File name.
        file: String,
    },
}

impl ObservedError {
    /// Renders the message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let platforms = PLATFORM_NAMES.join(", ");
        match (self, lang) {
            (ObservedError::Io { file, detail, .. }, Lang::En) => {
                format!("cannot read the observed coverage file {file}: {detail}")
            }
            (ObservedError::Io { file, kind, detail }, Lang::ZhCn) => format!(
                "无法读取观测覆盖率文件 {file}：{}",
                crate::i18n::io_error_kind_text(*kind, detail, lang)
            ),
            (ObservedError::Csv { file, line, detail }, Lang::En) => match line {
                Some(line) => format!("invalid CSV at line {line} of {file}: {detail}"),
                None => format!("invalid CSV in {file}: {detail}"),
            },
            (ObservedError::Csv { file, line, detail }, Lang::ZhCn) => match line {
                Some(line) => format!("{file} 第 {line} 行解析失败（{detail}）"),
                None => format!("{file} 的 CSV 解析失败（{detail}）"),
            },
            (ObservedError::MissingColumn { file, column, found }, Lang::En) => format!(
                "missing column `{column}` in the header (line 1) of {file}. The header has `{}`; the file needs `time_h` and `launch_coverage` (`platform` is optional).",
                found.join("`, `")
            ),
            (ObservedError::MissingColumn { file, column, found }, Lang::ZhCn) => format!(
                "{file} 的表头（第 1 行）缺少列 `{column}`。表头中有 `{}`；文件需要 `time_h` 和 `launch_coverage` 列（`platform` 可选）。",
                found.join("`、`")
            ),
            (ObservedError::NotANumber { file, line, column, value }, Lang::En) => format!(
                "invalid number \"{value}\" in column `{column}` at line {line} of {file}. Write a decimal number such as 1.5 or 0.42."
            ),
            (ObservedError::NotANumber { file, line, column, value }, Lang::ZhCn) => format!(
                "{file} 第 {line} 行 `{column}` 列的数值 \"{value}\" 无效。请写成十进制数，例如 1.5 或 0.42。"
            ),
            (ObservedError::OutOfRange { file, line, column, value }, Lang::En) => {
                let valid = if *column == "time_h" {
                    "a time in hours of at least 0"
                } else {
                    "a share from 0 to 1 (42 % is 0.42)"
                };
                format!(
                    "value {value} in column `{column}` at line {line} of {file} is out of range. Write {valid}."
                )
            }
            (ObservedError::OutOfRange { file, line, column, value }, Lang::ZhCn) => {
                let valid = if *column == "time_h" {
                    "不小于 0 的小时数"
                } else {
                    "0 到 1 之间的占比（42 % 写作 0.42）"
                };
                format!("{file} 第 {line} 行 `{column}` 列的取值 {value} 超出范围。请写成：{valid}。")
            }
            (
                ObservedError::NotIncreasing {
                    file,
                    line,
                    value,
                    previous_line,
                    previous,
                },
                Lang::En,
            ) => format!(
                "time {value} in column `time_h` at line {line} of {file} is not after {previous} at line {previous_line}. Sort the rows by time and remove repeated times."
            ),
            (
                ObservedError::NotIncreasing {
                    file,
                    line,
                    value,
                    previous_line,
                    previous,
                },
                Lang::ZhCn,
            ) => format!(
                "{file} 第 {line} 行 `time_h` 列的时间 {value} 不晚于第 {previous_line} 行的 {previous}。请按时间排序并删除重复的时间。"
            ),
            (ObservedError::UnknownPlatform { file, line, value }, Lang::En) => format!(
                "unknown platform \"{value}\" in column `platform` at line {line} of {file}. Valid platforms are {platforms}."
            ),
            (ObservedError::UnknownPlatform { file, line, value }, Lang::ZhCn) => format!(
                "{file} 第 {line} 行 `platform` 列的平台 \"{value}\" 未知。有效的平台为 {platforms}。"
            ),
            (ObservedError::Empty { file }, Lang::En) => {
                format!("{file} has no data rows; add one row per observed interval")
            }
            (ObservedError::Empty { file }, Lang::ZhCn) => {
                format!("{file} 中没有数据行；请为每个观测区间添加一行")
            }
        }
    }
}

impl fmt::Display for ObservedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl std::error::Error for ObservedError {}

/// Reads the observed coverage file at `path`.
///
/// # Errors
/// Returns an [`ObservedError`] naming the file, line, column and value.
pub fn read_observed(path: &Path) -> Result<Vec<ObservedCurve>, ObservedError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| ObservedError::Io {
        file: name.clone(),
        kind: error.kind(),
        detail: error.to_string(),
    })?;
    parse_observed(std::io::BufReader::new(file), &name)
}

/// Parses observed coverage from `reader`, naming it `file` in errors.
/// Curves come in the order their platforms first appear.
///
/// # Errors
/// Returns an [`ObservedError`] naming the file, line, column and value.
pub fn parse_observed<R: Read>(reader: R, file: &str) -> Result<Vec<ObservedCurve>, ObservedError> {
    let csv_error = |error: csv::Error| ObservedError::Csv {
        file: file.to_string(),
        line: error.position().map(|p| p.line()),
        detail: error.to_string(),
    };
    let mut csv_reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header: Vec<String> = csv_reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(str::to_string)
        .collect();
    let column = |name: &'static str| header.iter().position(|h| h == name);
    let require = |name: &'static str| {
        column(name).ok_or_else(|| ObservedError::MissingColumn {
            file: file.to_string(),
            column: name,
            found: header.clone(),
        })
    };
    let time_column = require("time_h")?;
    let coverage_column = require("launch_coverage")?;
    let platform_column = column("platform");

    let mut order: Vec<Option<String>> = Vec::new();
    let mut curves: BTreeMap<Option<String>, Vec<ObservedPoint>> = BTreeMap::new();
    for record in csv_reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line());
        let number = |index: usize, name: &'static str| -> Result<f64, ObservedError> {
            let text = &record[index];
            match text.parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(value),
                _ => Err(ObservedError::NotANumber {
                    file: file.to_string(),
                    line,
                    column: name,
                    value: text.to_string(),
                }),
            }
        };
        let time_h = number(time_column, "time_h")?;
        let launch_coverage = number(coverage_column, "launch_coverage")?;
        let out_of_range = |name: &'static str, index: usize| ObservedError::OutOfRange {
            file: file.to_string(),
            line,
            column: name,
            value: record[index].to_string(),
        };
        if time_h < 0.0 {
            return Err(out_of_range("time_h", time_column));
        }
        if !(0.0..=1.0).contains(&launch_coverage) {
            return Err(out_of_range("launch_coverage", coverage_column));
        }
        let platform = match platform_column {
            Some(index) => {
                let value = &record[index];
                if !PLATFORM_NAMES.contains(&value) {
                    return Err(ObservedError::UnknownPlatform {
                        file: file.to_string(),
                        line,
                        value: value.to_string(),
                    });
                }
                Some(value.to_string())
            }
            None => None,
        };
        if !curves.contains_key(&platform) {
            order.push(platform.clone());
        }
        let points = curves.entry(platform).or_default();
        if let Some(previous) = points.last() {
            if time_h <= previous.time_h {
                return Err(ObservedError::NotIncreasing {
                    file: file.to_string(),
                    line,
                    value: record[time_column].to_string(),
                    previous_line: previous.line,
                    previous: previous.time_h.to_string(),
                });
            }
        }
        points.push(ObservedPoint {
            time_h,
            launch_coverage,
            line,
        });
    }
    if order.is_empty() {
        return Err(ObservedError::Empty {
            file: file.to_string(),
        });
    }
    Ok(order
        .into_iter()
        .map(|platform| {
            let points = curves.remove(&platform).unwrap_or_default();
            ObservedCurve { platform, points }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<ObservedCurve>, ObservedError> {
        parse_observed(text.as_bytes(), "observed.csv")
    }

    #[test]
    fn curves_split_by_platform() {
        let curves =
            parse("time_h,launch_coverage,platform\n1,0.2,wechat\n1,0.1,alipay\n2,0.35,wechat\n")
                .unwrap();
        assert_eq!(curves.len(), 2);
        assert_eq!(curves[0].platform.as_deref(), Some("wechat"));
        assert_eq!(curves[0].points.len(), 2);
        assert_eq!(curves[0].points[1].line, 4);
        assert_eq!(curves[1].platform.as_deref(), Some("alipay"));
    }

    #[test]
    fn missing_column_named() {
        let error = parse("time,launch_coverage\n1,0.2\n").unwrap_err();
        assert_eq!(
            error.render(Lang::En),
            "missing column `time_h` in the header (line 1) of observed.csv. The header has `time`, `launch_coverage`; the file needs `time_h` and `launch_coverage` (`platform` is optional)."
        );
    }

    #[test]
    fn non_monotone_time_located() {
        let error = parse("time_h,launch_coverage\n1,0.2\n2,0.3\n1.5,0.4\n").unwrap_err();
        assert_eq!(
            error.render(Lang::En),
            "time 1.5 in column `time_h` at line 4 of observed.csv is not after 2 at line 3. Sort the rows by time and remove repeated times."
        );
    }

    #[test]
    fn coverage_above_one_rejected() {
        let error = parse("time_h,launch_coverage\n1,42\n").unwrap_err();
        assert_eq!(
            error.render(Lang::En),
            "value 42 in column `launch_coverage` at line 2 of observed.csv is out of range. Write a share from 0 to 1 (42 % is 0.42)."
        );
        let chinese = error.render(Lang::ZhCn);
        assert!(chinese.contains("第 2 行"), "{chinese}");
    }

    #[test]
    fn text_value_rejected() {
        let error = parse("time_h,launch_coverage\n1,abc\n").unwrap_err();
        assert!(
            matches!(error, ObservedError::NotANumber { line: 2, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn unknown_platform_rejected() {
        let error = parse("time_h,launch_coverage,platform\n1,0.2,weixin\n").unwrap_err();
        assert!(
            error
                .render(Lang::En)
                .contains("unknown platform \"weixin\""),
            "{error}"
        );
    }

    #[test]
    fn empty_file_rejected() {
        assert!(matches!(
            parse("time_h,launch_coverage\n"),
            Err(ObservedError::Empty { .. })
        ));
    }
}
