//! Strict parsers for the quantities a scenario file writes as strings:
//! durations (`"250ms"`, `"90s"`, `"30m"`, `"24h"`, `"7d"`), sizes
//! (`"1.5MB"`, `"800KB"`, decimal) and rates (`"2MB/s"`).
//!
//! The parsers accept exactly one number followed by exactly one unit. Spelled
//! out or abbreviated units (`"5 minutes"`, `"5mins"`) are rejected, because a
//! scenario that means something else than it says is worse than an error.

use crate::time::{SimDuration, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND};

/// Units accepted in a duration string, with their length in milliseconds.
pub const DURATION_UNITS: [(&str, i64); 5] = [
    ("ms", 1),
    ("s", MS_PER_SECOND),
    ("m", MS_PER_MINUTE),
    ("h", MS_PER_HOUR),
    ("d", MS_PER_DAY),
];

/// Units accepted in a size string, with their size in bytes (decimal).
pub const SIZE_UNITS: [(&str, f64); 4] = [("B", 1.0), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9)];

/// Why a quantity string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitError {
    /// No number at the start of the string.
    MissingNumber,
    /// A number with no unit after it.
    MissingUnit,
    /// A unit that is not in the accepted list.
    UnknownUnit(String),
    /// A negative value.
    Negative,
    /// A value too large to represent.
    TooLarge,
}

fn split_number(text: &str) -> Result<(f64, &str), UnitError> {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(end);
    let value: f64 = number.parse().map_err(|_| UnitError::MissingNumber)?;
    if !value.is_finite() {
        return Err(UnitError::TooLarge);
    }
    if value < 0.0 {
        return Err(UnitError::Negative);
    }
    let unit = unit.trim_start();
    if unit.is_empty() {
        return Err(UnitError::MissingUnit);
    }
    Ok((value, unit))
}

/// Parses a duration such as `"250ms"`, `"1.5h"` or `"7d"`.
///
/// # Errors
/// Returns a [`UnitError`] for a missing number or unit, an unknown unit, a
/// negative value, or a span beyond about 10,000 years.
pub fn parse_duration(text: &str) -> Result<SimDuration, UnitError> {
    let (value, unit) = split_number(text)?;
    let (_, scale) = DURATION_UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .ok_or_else(|| UnitError::UnknownUnit(unit.to_string()))?;
    let ms = value * *scale as f64;
    if ms > 3.2e14 {
        return Err(UnitError::TooLarge);
    }
    Ok(SimDuration(ms.round() as i64))
}

/// Parses a size such as `"1.5MB"` or `"800KB"` into bytes.
///
/// # Errors
/// Returns a [`UnitError`] as [`parse_duration`] does.
pub fn parse_size(text: &str) -> Result<f64, UnitError> {
    let (value, unit) = split_number(text)?;
    let (_, scale) = SIZE_UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .ok_or_else(|| UnitError::UnknownUnit(unit.to_string()))?;
    Ok(value * scale)
}

/// Parses a rate such as `"2MB/s"` into bytes per second.
///
/// # Errors
/// Returns a [`UnitError`] when the text does not end in `/s` or its size
/// part is invalid.
pub fn parse_rate(text: &str) -> Result<f64, UnitError> {
    let trimmed = text.trim();
    match trimmed.strip_suffix("/s") {
        Some(size) => parse_size(size),
        None => {
            let (_, unit) = split_number(trimmed)?;
            Err(UnitError::UnknownUnit(unit.to_string()))
        }
    }
}

/// Formats a byte count with a decimal unit, e.g. `1.5 MB`.
pub fn format_bytes(bytes: f64) -> String {
    let (scale, unit) = if bytes >= 1e9 {
        (1e9, "GB")
    } else if bytes >= 1e6 {
        (1e6, "MB")
    } else if bytes >= 1e3 {
        (1e3, "KB")
    } else {
        (1.0, "B")
    };
    let value = bytes / scale;
    if value >= 100.0 || unit == "B" {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.2} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_every_unit() {
        assert_eq!(parse_duration("250ms"), Ok(SimDuration(250)));
        assert_eq!(parse_duration("90s"), Ok(SimDuration(90_000)));
        assert_eq!(parse_duration("30m"), Ok(SimDuration::from_minutes(30)));
        assert_eq!(parse_duration("1.5h"), Ok(SimDuration::from_minutes(90)));
        assert_eq!(parse_duration("7d"), Ok(SimDuration::from_days(7)));
        assert_eq!(parse_duration("0s"), Ok(SimDuration(0)));
    }

    #[test]
    fn durations_reject_loose_units() {
        assert_eq!(
            parse_duration("5 minutes"),
            Err(UnitError::UnknownUnit("minutes".into()))
        );
        assert_eq!(
            parse_duration("5mins"),
            Err(UnitError::UnknownUnit("mins".into()))
        );
        assert_eq!(parse_duration("5"), Err(UnitError::MissingUnit));
        assert_eq!(parse_duration("m"), Err(UnitError::MissingNumber));
        assert_eq!(parse_duration("-5m"), Err(UnitError::Negative));
        assert_eq!(
            parse_duration("1e3s"),
            Err(UnitError::UnknownUnit("e3s".into()))
        );
    }

    #[test]
    fn sizes_and_rates_are_decimal() {
        assert_eq!(parse_size("1.5MB"), Ok(1.5e6));
        assert_eq!(parse_size("800KB"), Ok(8e5));
        assert_eq!(parse_rate("2MB/s"), Ok(2e6));
        assert_eq!(parse_rate("2MB"), Err(UnitError::UnknownUnit("MB".into())));
        assert_eq!(
            parse_size("2MiB"),
            Err(UnitError::UnknownUnit("MiB".into()))
        );
    }

    #[test]
    fn bytes_format_with_unit() {
        assert_eq!(format_bytes(1.5e6), "1.50 MB");
        assert_eq!(format_bytes(512.0), "512 B");
    }
}
