//! Validation: turns the raw file into a [`Scenario`], or the first error
//! with its file, key, line, value and fix.

// A ScenarioError carries the location and both languages' text, and at most
// one is built per file, so its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

mod field;

use std::ops::Range;
use std::path::Path;

use chrono::{NaiveDateTime, Timelike};
use toml::Spanned;

use crate::scenario::dist::DurationDist;
use crate::scenario::error::{Expected, Problem, QuantityKind, ScenarioError, TomlType};
use crate::scenario::locate::{locate, Located};
use crate::scenario::profile::{
    self, Platform, ProfileDefaults, Sourced, SyncFailure, PLATFORM_NAMES,
};
use crate::scenario::raw::*;
use crate::scenario::toml_error::from_toml_error;
use crate::scenario::types::*;
use crate::time::{SimDuration, SimTime};
use crate::units::{self, UnitError};

/// Largest population a single run accepts; larger runs are split with shards.
pub const MAX_USERS: u64 = 2_000_000_000;
/// Largest number of replications.
pub const MAX_REPLICATIONS: u32 = 10_000;
/// Largest number of output bins.
pub const MAX_BINS: usize = 100_000;
/// Tolerance on share sums.
pub const SHARE_TOLERANCE: f64 = 1e-9;

type Result<T> = std::result::Result<T, ScenarioError>;

/// Source text and name, for turning byte spans into lines and columns.
pub(crate) struct Context<'a> {
    file: String,
    text: &'a str,
    base_dir: Option<&'a Path>,
    settings: Vec<Setting>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(file: &str, text: &'a str, base_dir: Option<&'a Path>) -> Self {
        Context {
            file: file.to_string(),
            text,
            base_dir,
            settings: Vec::new(),
        }
    }

    fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }

    pub(crate) fn error(
        &self,
        key: &str,
        span: Option<Range<usize>>,
        problem: Problem,
    ) -> ScenarioError {
        let (line, column, value) = match span {
            Some(span) => {
                let (line, column) = self.line_column(span.start);
                let value = self.text.get(span).map(|v| v.trim().to_string());
                (Some(line), Some(column), value)
            }
            None => (None, None, None),
        };
        // A missing key has no value: the span only locates its table.
        let value = if problem == Problem::MissingKey {
            None
        } else {
            value
        };
        ScenarioError {
            file: self.file.clone(),
            key: key.to_string(),
            line,
            column,
            value,
            problem,
        }
    }

    fn rule(
        &self,
        key: &str,
        span: Option<Range<usize>>,
        en: &str,
        zh: &str,
        fix_en: &str,
        fix_zh: &str,
    ) -> ScenarioError {
        self.error(
            key,
            span,
            Problem::Rule {
                en: en.into(),
                zh: zh.into(),
                fix_en: fix_en.into(),
                fix_zh: fix_zh.into(),
            },
        )
    }

    fn record(&mut self, key: &str, value: String, origin: Origin) {
        self.settings.push(Setting {
            key: key.to_string(),
            value,
            origin,
        });
    }

    fn line_of(&self, span: &Range<usize>) -> usize {
        self.line_column(span.start).0
    }

    /// Returns the scenario text.
    pub(crate) fn text(&self) -> &str {
        self.text
    }

    /// Finds the key and value spans of a dotted key path in the text.
    fn locate(&self, path: &str) -> Option<Located> {
        locate(self.text, path)
    }
}

fn quantity_error(
    ctx: &Context,
    key: &str,
    span: Range<usize>,
    kind: QuantityKind,
    error: UnitError,
) -> ScenarioError {
    ctx.error(key, Some(span), Problem::BadQuantity { kind, error })
}

fn wrong_type(
    ctx: &Context,
    key: &str,
    span: Range<usize>,
    expected: Expected,
    found: &toml::Value,
) -> ScenarioError {
    let found = Some(TomlType::of(found));
    ctx.error(key, Some(span), Problem::WrongType { expected, found })
}

fn zero_duration(ctx: &Context, key: &str, span: Range<usize>) -> ScenarioError {
    ctx.rule(
        key,
        Some(span),
        "must be longer than zero",
        "必须大于零",
        "use a positive duration such as \"30m\"",
        "请使用正的时长，例如 \"30m\"",
    )
}

/// Parses a duration string at `key`; `positive` rejects zero.
pub(crate) fn duration(
    ctx: &Context,
    key: &str,
    raw: &RawValue,
    positive: bool,
) -> Result<SimDuration> {
    let span = raw.span();
    let text = match raw.get_ref() {
        toml::Value::String(s) => s,
        other => return Err(wrong_type(ctx, key, span, Expected::Duration, other)),
    };
    let value = units::parse_duration(text)
        .map_err(|e| quantity_error(ctx, key, span.clone(), QuantityKind::Duration, e))?;
    if positive && value.0 <= 0 {
        return Err(zero_duration(ctx, key, span));
    }
    Ok(value)
}

/// A distribution table being validated: its key and the spans to point at.
struct DistTable<'t, 'c, 'a> {
    ctx: &'c Context<'a>,
    key: &'t str,
    table: &'t toml::Table,
    span: Range<usize>,
}

impl DistTable<'_, '_, '_> {
    fn field_key(&self, field: &str) -> String {
        format!("{}.{field}", self.key)
    }

    /// Spans of a field's key and value, or the whole table's when the text
    /// cannot be searched again.
    fn spans(&self, field: &str) -> (Range<usize>, Range<usize>) {
        match self.ctx.locate(&self.field_key(field)) {
            Some(found) => (found.key, found.value),
            None => (self.span.clone(), self.span.clone()),
        }
    }

    fn missing(&self, field: &str) -> ScenarioError {
        let mut error = self.ctx.error(
            &self.field_key(field),
            Some(self.span.clone()),
            Problem::MissingKey,
        );
        error.value = None;
        error
    }

    fn duration(&self, field: &str, positive: bool) -> Result<SimDuration> {
        let key = self.field_key(field);
        let (_, span) = self.spans(field);
        let value = match self.table.get(field) {
            Some(toml::Value::String(text)) => units::parse_duration(text).map_err(|e| {
                quantity_error(self.ctx, &key, span.clone(), QuantityKind::Duration, e)
            })?,
            Some(other) => return Err(wrong_type(self.ctx, &key, span, Expected::Duration, other)),
            None => return Err(self.missing(field)),
        };
        if positive && value.0 <= 0 {
            return Err(zero_duration(self.ctx, &key, span));
        }
        Ok(value)
    }
}

const DISTRIBUTIONS: [&str; 4] = ["fixed", "exponential", "lognormal", "uniform"];

/// Parses a duration distribution: a plain string (fixed) or a table with
/// `dist = "fixed" | "exponential" | "lognormal" | "uniform"`.
pub(crate) fn distribution(ctx: &Context, key: &str, raw: &RawValue) -> Result<DurationDist> {
    let span = raw.span();
    let table = match raw.get_ref() {
        toml::Value::String(_) => return Ok(DurationDist::Fixed(duration(ctx, key, raw, false)?)),
        toml::Value::Table(table) => table,
        other => return Err(wrong_type(ctx, key, span, Expected::Distribution, other)),
    };
    let dist = DistTable {
        ctx,
        key,
        table,
        span,
    };
    let kind = match table.get("dist") {
        Some(toml::Value::String(kind)) => kind.as_str(),
        Some(other) => {
            let (_, span) = dist.spans("dist");
            return Err(wrong_type(
                ctx,
                &dist.field_key("dist"),
                span,
                Expected::String,
                other,
            ));
        }
        None => return Err(dist.missing("dist")),
    };
    let allowed: &[&str] = match kind {
        "fixed" => &["dist", "value"],
        "exponential" => &["dist", "mean"],
        "lognormal" => &["dist", "median", "p90"],
        "uniform" => &["dist", "min", "max"],
        _ => {
            let (_, span) = dist.spans("dist");
            let valid: Vec<String> = DISTRIBUTIONS.iter().map(|s| s.to_string()).collect();
            let (hint_en, hint_zh) = match closest(kind, &valid) {
                Some(s) => (
                    format!(" (did you mean \"{s}\"?)"),
                    format!("（是否想写 \"{s}\"？）"),
                ),
                None => (String::new(), String::new()),
            };
            return Err(ctx.rule(
                &dist.field_key("dist"),
                Some(span),
                &format!("unknown distribution{hint_en}"),
                &format!("未知的分布{hint_zh}"),
                "use \"fixed\", \"exponential\", \"lognormal\" or \"uniform\"",
                "请使用 \"fixed\"、\"exponential\"、\"lognormal\" 或 \"uniform\"",
            ));
        }
    };
    if let Some(extra) = table.keys().find(|k| !allowed.contains(&k.as_str())) {
        let valid: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        let (key_span, _) = dist.spans(extra);
        let mut error = ctx.error(
            &dist.field_key(extra),
            Some(key_span),
            Problem::UnknownKey {
                suggestion: closest(extra, &valid),
                valid,
            },
        );
        error.value = None;
        return Err(error);
    }
    match kind {
        "fixed" => Ok(DurationDist::Fixed(dist.duration("value", false)?)),
        "exponential" => Ok(DurationDist::Exponential {
            mean: dist.duration("mean", true)?,
        }),
        "lognormal" => {
            let median = dist.duration("median", true)?;
            let p90 = dist.duration("p90", false)?;
            if p90 <= median {
                let (_, span) = dist.spans("p90");
                return Err(ctx.rule(
                    &dist.field_key("p90"),
                    Some(span),
                    &format!("p90 must be greater than the median {median}"),
                    &format!("p90 必须大于中位数 {median}"),
                    "raise p90 or use dist = \"fixed\" for a constant",
                    "请提高 p90，或用 dist = \"fixed\" 表示常数",
                ));
            }
            Ok(DurationDist::LogNormal { median, p90 })
        }
        _ => {
            let min = dist.duration("min", false)?;
            let max = dist.duration("max", false)?;
            if max < min {
                let (_, span) = dist.spans("max");
                return Err(ctx.rule(
                    &dist.field_key("max"),
                    Some(span),
                    &format!("max is less than min {min}"),
                    &format!("max 小于 min {min}"),
                    "make max at least min",
                    "请使 max 不小于 min",
                ));
            }
            Ok(DurationDist::Uniform { min, max })
        }
    }
}

fn string_value(ctx: &Context, key: &str, raw: &RawValue, kind: QuantityKind) -> Result<String> {
    match raw.get_ref() {
        toml::Value::String(s) => Ok(s.clone()),
        other => {
            let expected = match kind {
                QuantityKind::Size => Expected::Size,
                QuantityKind::Rate => Expected::Rate,
                QuantityKind::Duration => Expected::Duration,
            };
            Err(wrong_type(ctx, key, raw.span(), expected, other))
        }
    }
}

/// Largest package size and bandwidth, in bytes and bytes per second. Real
/// packages are a few MB; the cap keeps the byte counters far from overflow.
const MAX_BYTES: f64 = 1e12;

fn size(ctx: &Context, key: &str, raw: &RawValue) -> Result<f64> {
    let text = string_value(ctx, key, raw, QuantityKind::Size)?;
    let bytes = units::parse_size(&text)
        .map_err(|e| quantity_error(ctx, key, raw.span(), QuantityKind::Size, e))?;
    if bytes <= 0.0 {
        return Err(ctx.rule(
            key,
            Some(raw.span()),
            "must be larger than zero",
            "必须大于零",
            "use a size such as \"1.5MB\"",
            "请使用例如 \"1.5MB\" 的大小",
        ));
    }
    if bytes > MAX_BYTES {
        return Err(ctx.rule(
            key,
            Some(raw.span()),
            "is larger than 1000GB",
            "大于 1000GB",
            "use a package size such as \"1.5MB\"",
            "请使用代码包的大小，例如 \"1.5MB\"",
        ));
    }
    Ok(bytes)
}

fn rate(ctx: &Context, key: &str, raw: &RawValue) -> Result<f64> {
    let text = string_value(ctx, key, raw, QuantityKind::Rate)?;
    let bps = units::parse_rate(&text)
        .map_err(|e| quantity_error(ctx, key, raw.span(), QuantityKind::Rate, e))?;
    if bps <= 0.0 {
        return Err(ctx.rule(
            key,
            Some(raw.span()),
            "must be larger than zero",
            "必须大于零",
            "use a rate such as \"2MB/s\"",
            "请使用例如 \"2MB/s\" 的速率",
        ));
    }
    if bps > MAX_BYTES {
        return Err(ctx.rule(
            key,
            Some(raw.span()),
            "is faster than 1000GB/s",
            "超过 1000GB/s",
            "use a network bandwidth such as \"2MB/s\"",
            "请使用网络带宽，例如 \"2MB/s\"",
        ));
    }
    Ok(bps)
}

fn probability(ctx: &Context, key: &str, value: &Spanned<f64>) -> Result<f64> {
    let v = *value.get_ref();
    if !(0.0..=1.0).contains(&v) || v.is_nan() {
        return Err(ctx.error(
            key,
            Some(value.span()),
            Problem::OutOfRange { min: 0.0, max: 1.0 },
        ));
    }
    Ok(v)
}

/// Returns the valid key closest to `key`, if it is close enough to be a typo.
pub fn closest(key: &str, valid: &[String]) -> Option<String> {
    valid
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(key, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.clone())
}

/// Returns the package id of a version the scenario names at `key`.
///
/// # Errors
/// Rejects a version that is neither the baseline nor a released one.
pub(crate) fn known_package(
    ctx: &Context,
    key: &str,
    version: &Spanned<String>,
    versions: &[String],
) -> Result<usize> {
    versions
        .iter()
        .position(|v| v == version.get_ref())
        .ok_or_else(|| {
            ctx.rule(
                key,
                Some(version.span()),
                &format!("unknown version {}", version.get_ref()),
                &format!("未知的版本 {}", version.get_ref()),
                &format!(
                    "name the baseline or a released version: {}",
                    versions.join(", ")
                ),
                &format!("请填写基线版本或已发布的版本：{}", versions.join("、")),
            )
        })
}

fn check_shares(ctx: &Context, key: &str, shares: &[(f64, Range<usize>)]) -> Result<()> {
    let sum: f64 = shares.iter().map(|(s, _)| s).sum();
    if (sum - 1.0).abs() > SHARE_TOLERANCE {
        let span = shares.first().map(|(_, span)| span.clone());
        let shares = shares.iter().map(|(share, _)| *share).collect();
        let mut error = ctx.error(key, span, Problem::SharesSum { sum, shares });
        // The message lists every share; the first one alone would mislead.
        error.value = None;
        return Err(error);
    }
    Ok(())
}

fn profile_value<T: std::fmt::Display>(
    ctx: &mut Context,
    platform: Platform,
    key: &str,
    default: &Sourced<T>,
) {
    ctx.record(
        key,
        default.value.to_string(),
        Origin::Profile(platform.name(), default.source),
    );
}

/// Resolves an optional duration key against its profile default.
fn client_duration(
    ctx: &mut Context,
    platform: Platform,
    key: &str,
    raw: &Option<RawValue>,
    default: &Sourced<SimDuration>,
    positive: bool,
) -> Result<SimDuration> {
    match raw {
        Some(raw) => {
            let value = duration(ctx, key, raw, positive)?;
            let line = ctx.line_of(&raw.span());
            ctx.record(key, value.to_string(), Origin::File(line));
            Ok(value)
        }
        None => {
            profile_value(ctx, platform, key, default);
            Ok(default.value)
        }
    }
}

fn client_share(
    ctx: &mut Context,
    platform: Platform,
    key: &str,
    raw: &Option<Spanned<f64>>,
    default: &Sourced<f64>,
) -> Result<f64> {
    match raw {
        Some(raw) => {
            let value = probability(ctx, key, raw)?;
            let line = ctx.line_of(&raw.span());
            ctx.record(key, value.to_string(), Origin::File(line));
            Ok(value)
        }
        None => {
            profile_value(ctx, platform, key, default);
            Ok(default.value)
        }
    }
}

fn client_bool(
    ctx: &mut Context,
    platform: Platform,
    key: &str,
    raw: &Option<Spanned<bool>>,
    default: &Sourced<bool>,
) -> bool {
    match raw {
        Some(raw) => {
            let line = ctx.line_of(&raw.span());
            ctx.record(key, raw.get_ref().to_string(), Origin::File(line));
            *raw.get_ref()
        }
        None => {
            profile_value(ctx, platform, key, default);
            default.value
        }
    }
}

fn build_client(ctx: &mut Context, raw: &RawClient) -> Result<(ClientConfig, ProfileDefaults)> {
    let platform = match &raw.platform {
        Some(name) => Platform::parse(name.get_ref()).ok_or_else(|| {
            let valid: Vec<String> = PLATFORM_NAMES.iter().map(|s| s.to_string()).collect();
            ctx.rule(
                "client.platform",
                Some(name.span()),
                "unknown platform",
                "未知的平台",
                &format!("use one of {}", valid.join(", ")),
                &format!("请使用 {} 之一", valid.join("、")),
            )
        })?,
        None => Platform::Wechat,
    };
    let origin = match &raw.platform {
        Some(name) => Origin::File(ctx.line_of(&name.span())),
        None => Origin::Builtin,
    };
    ctx.record("client.platform", platform.name().to_string(), origin);
    let d = profile::defaults(platform);

    let periodic_check_share = client_share(
        ctx,
        platform,
        "client.periodic_check_share",
        &raw.periodic_check_share,
        &d.periodic_check_share,
    )?;
    let periodic_check_interval = client_duration(
        ctx,
        platform,
        "client.periodic_check_interval",
        &raw.periodic_check_interval,
        &d.periodic_check_interval,
        true,
    )?;
    let update_manager_share = client_share(
        ctx,
        platform,
        "client.update_manager_share",
        &raw.update_manager_share,
        &d.update_manager_share,
    )?;
    let check_latency = match &raw.check_latency {
        Some(raw) => {
            let value = distribution(ctx, "client.check_latency", raw)?;
            let line = ctx.line_of(&raw.span());
            ctx.record(
                "client.check_latency",
                value.to_string(),
                Origin::File(line),
            );
            value
        }
        None => {
            profile_value(ctx, platform, "client.check_latency", &d.check_latency);
            d.check_latency.value.clone()
        }
    };
    let recently_used = client_duration(
        ctx,
        platform,
        "client.recently_used",
        &raw.recently_used,
        &d.recently_used,
        true,
    )?;
    let long_unused = client_duration(
        ctx,
        platform,
        "client.long_unused",
        &raw.long_unused,
        &d.long_unused,
        true,
    )?;
    let sync_timeout = client_duration(
        ctx,
        platform,
        "client.sync_timeout",
        &raw.sync_timeout,
        &d.sync_timeout,
        true,
    )?;
    let check_on_hot_start = client_bool(
        ctx,
        platform,
        "client.check_on_hot_start",
        &raw.check_on_hot_start,
        &d.check_on_hot_start,
    );
    let async_check_min_interval = client_duration(
        ctx,
        platform,
        "client.async_check_min_interval",
        &raw.async_check_min_interval,
        &d.async_check_min_interval,
        false,
    )?;
    let sync_failure = match &raw.sync_failure {
        Some(value) => {
            let parsed =
                match value.get_ref().as_str() {
                    "cached" => SyncFailure::Cached,
                    "error" => SyncFailure::Error,
                    _ => return Err(ctx.rule(
                        "client.sync_failure",
                        Some(value.span()),
                        "unknown value",
                        "未知的取值",
                        "use \"cached\" (open the cached package) or \"error\" (the launch fails)",
                        "请使用 \"cached\"（打开缓存版本）或 \"error\"（启动失败）",
                    )),
                };
            let line = ctx.line_of(&value.span());
            ctx.record(
                "client.sync_failure",
                value.get_ref().clone(),
                Origin::File(line),
            );
            parsed
        }
        None => {
            let text = match d.sync_failure.value {
                SyncFailure::Cached => "cached",
                SyncFailure::Error => "error",
            };
            ctx.record(
                "client.sync_failure",
                text.into(),
                Origin::Profile(platform.name(), d.sync_failure.source),
            );
            d.sync_failure.value
        }
    };
    let continue_after_timeout = client_bool(
        ctx,
        platform,
        "client.continue_after_timeout",
        &raw.continue_after_timeout,
        &d.continue_after_timeout,
    );
    let phased_auto_complete = client_duration(
        ctx,
        platform,
        "client.phased_auto_complete",
        &raw.phased_auto_complete,
        &d.phased_auto_complete,
        true,
    )?;
    let minimum_required_attempts = match &raw.minimum_required_attempts {
        Some(value) => {
            let v = *value.get_ref();
            if !(1..=1000).contains(&v) {
                return Err(ctx.error(
                    "client.minimum_required_attempts",
                    Some(value.span()),
                    Problem::OutOfRange {
                        min: 1.0,
                        max: 1000.0,
                    },
                ));
            }
            let line = ctx.line_of(&value.span());
            ctx.record(
                "client.minimum_required_attempts",
                v.to_string(),
                Origin::File(line),
            );
            v as u32
        }
        None => {
            profile_value(
                ctx,
                platform,
                "client.minimum_required_attempts",
                &d.minimum_required_attempts,
            );
            d.minimum_required_attempts.value
        }
    };
    let rollback_sync = client_bool(
        ctx,
        platform,
        "client.rollback_sync",
        &raw.rollback_sync,
        &d.rollback_sync,
    );
    let sync_check_on_cold_start = client_bool(
        ctx,
        platform,
        "client.sync_check_on_cold_start",
        &raw.sync_check_on_cold_start,
        &d.sync_check_on_cold_start,
    );
    let skipped_critical = field::skipped_critical(ctx, platform, raw, &d)?;
    let on_device_rollback = client_bool(
        ctx,
        platform,
        "client.on_device_rollback",
        &raw.on_device_rollback,
        &d.on_device_rollback,
    );

    let config = ClientConfig {
        platform,
        periodic_check_share,
        periodic_check_interval,
        update_manager_share,
        check_latency,
        recently_used,
        long_unused,
        sync_timeout,
        check_on_hot_start,
        async_check_min_interval,
        sync_failure,
        continue_after_timeout,
        phased_auto_complete,
        minimum_required_attempts,
        rollback_sync,
        prefer_local_from: None,
        sync_check_on_cold_start,
        skipped_critical,
        on_device_rollback,
    };
    Ok((config, d))
}

fn build_run(ctx: &mut Context, raw: &RawRun, file_stem: &str) -> Result<RunSettings> {
    let name = raw
        .name
        .as_ref()
        .map_or_else(|| file_stem.to_string(), |n| n.get_ref().clone());
    let horizon = match &raw.horizon {
        Some(raw) => duration(ctx, "run.horizon", raw, true)?,
        None => SimDuration::from_days(7),
    };
    let sample_every = match &raw.sample_every {
        Some(raw) => duration(ctx, "run.sample_every", raw, true)?,
        None => SimDuration::from_minutes(15),
    };
    if horizon.0 % sample_every.0 != 0 {
        let span = raw
            .sample_every
            .as_ref()
            .or(raw.horizon.as_ref())
            .map(|r| r.span());
        // Offer the three longest common bin widths that divide the horizon.
        let mut divisors: Vec<String> = [60_000, 300_000, 900_000, 1_800_000, 3_600_000]
            .iter()
            .filter(|&&ms| horizon.0 % ms == 0)
            .map(|&ms| format!("\"{}\"", SimDuration(ms)))
            .collect();
        divisors.drain(..divisors.len().saturating_sub(3));
        let (last, rest) = divisors
            .split_last()
            .map_or(("\"1m\"".to_string(), Vec::new()), |(l, r)| {
                (l.clone(), r.to_vec())
            });
        let listed_en = if rest.is_empty() {
            last.clone()
        } else {
            format!("{} or {last}", rest.join(", "))
        };
        let listed_zh = if rest.is_empty() {
            last.clone()
        } else {
            format!("{} 或 {last}", rest.join("、"))
        };
        return Err(ctx.rule(
            "run.sample_every",
            span,
            &format!(
                "the horizon {horizon} is not a whole number of sample intervals of {sample_every}"
            ),
            &format!("时长 {horizon} 不是采样间隔 {sample_every} 的整数倍"),
            &format!("choose a sample_every that divides the horizon, e.g. {listed_en}"),
            &format!("请选择能整除时长的 sample_every，例如 {listed_zh}"),
        ));
    }
    let bins = (horizon.0 / sample_every.0) as usize;
    if bins > MAX_BINS {
        let span = raw.sample_every.as_ref().map(|r| r.span());
        return Err(ctx.rule(
            "run.sample_every",
            span,
            &format!("{bins} time bins exceed the limit of {MAX_BINS}"),
            &format!("时间分箱数 {bins} 超过上限 {MAX_BINS}"),
            "use a longer sample_every or a shorter horizon",
            "请加大 sample_every 或缩短 horizon",
        ));
    }
    let replications = match &raw.replications {
        Some(value) => {
            let v = *value.get_ref();
            if v < 1 || v > MAX_REPLICATIONS as i64 {
                return Err(ctx.error(
                    "run.replications",
                    Some(value.span()),
                    Problem::OutOfRange {
                        min: 1.0,
                        max: MAX_REPLICATIONS as f64,
                    },
                ));
            }
            v as u32
        }
        None => 20,
    };
    let seed = match &raw.seed {
        Some(value) => {
            let v = *value.get_ref();
            if v < 0 {
                return Err(ctx.error(
                    "run.seed",
                    Some(value.span()),
                    Problem::OutOfRange {
                        min: 0.0,
                        max: i64::MAX as f64,
                    },
                ));
            }
            v as u64
        }
        None => 1,
    };
    let origin = |span: Option<Range<usize>>| {
        span.map_or(Origin::Builtin, |span| Origin::File(ctx.line_of(&span)))
    };
    let entries = [
        (
            "run.horizon",
            horizon.to_string(),
            origin(raw.horizon.as_ref().map(|r| r.span())),
        ),
        (
            "run.sample_every",
            sample_every.to_string(),
            origin(raw.sample_every.as_ref().map(|r| r.span())),
        ),
        (
            "run.replications",
            replications.to_string(),
            origin(raw.replications.as_ref().map(|r| r.span())),
        ),
        (
            "run.seed",
            seed.to_string(),
            origin(raw.seed.as_ref().map(|r| r.span())),
        ),
    ];
    for (key, value, origin) in entries {
        ctx.record(key, value, origin);
    }
    Ok(RunSettings {
        name,
        horizon,
        sample_every,
        replications,
        seed,
    })
}

fn parse_offset(text: &str) -> Option<i32> {
    if text == "Z" || text == "UTC" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':')?;
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if hours > 14 || minutes >= 60 || rest.len() != 5 {
        return None;
    }
    Some(sign * (hours * 60 + minutes))
}

fn parse_local_datetime(text: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

fn build_segments(
    ctx: &Context,
    raw: &Option<Vec<RawSegment>>,
    keep_alive: &DurationDist,
    trace: bool,
) -> Result<Vec<Segment>> {
    let Some(raw) = raw else {
        return Ok(vec![Segment {
            name: "all".into(),
            share: 1.0,
            launches_per_day: 3.0,
            session: DurationDist::LogNormal {
                median: SimDuration::from_minutes(3),
                p90: SimDuration::from_minutes(12),
            },
            keep_alive: keep_alive.clone(),
            brief_background: None,
            burst: None,
        }]);
    };
    if raw.is_empty() {
        return Err(ctx.rule(
            "population.segment",
            None,
            "the list of segments is empty",
            "用户分群列表为空",
            "add at least one [[population.segment]] table",
            "请至少添加一个 [[population.segment]] 表",
        ));
    }
    let mut segments = Vec::with_capacity(raw.len());
    let mut shares = Vec::new();
    for (i, seg) in raw.iter().enumerate() {
        let key = |field: &str| format!("population.segment[{i}].{field}");
        if segments
            .iter()
            .any(|s: &Segment| &s.name == seg.name.get_ref())
        {
            return Err(ctx.rule(
                &key("name"),
                Some(seg.name.span()),
                "duplicate segment name",
                "分群名称重复",
                "give each segment its own name",
                "请为每个分群取不同的名称",
            ));
        }
        let share = probability(ctx, &key("share"), &seg.share)?;
        shares.push((share, seg.share.span()));
        let launches_per_day = match &seg.launches_per_day {
            Some(value) => {
                let v = *value.get_ref();
                if !(0.0..=10_000.0).contains(&v) || v.is_nan() {
                    return Err(ctx.error(
                        &key("launches_per_day"),
                        Some(value.span()),
                        Problem::OutOfRange {
                            min: 0.0,
                            max: 10_000.0,
                        },
                    ));
                }
                v
            }
            None if trace => 0.0,
            None => {
                return Err(ctx.error(
                    &key("launches_per_day"),
                    Some(seg.name.span()),
                    Problem::MissingKey,
                ))
            }
        };
        let session = match &seg.session {
            Some(raw) => distribution(ctx, &key("session"), raw)?,
            None => DurationDist::LogNormal {
                median: SimDuration::from_minutes(3),
                p90: SimDuration::from_minutes(12),
            },
        };
        let keep_alive = match &seg.keep_alive {
            Some(raw) => distribution(ctx, &key("keep_alive"), raw)?,
            None => keep_alive.clone(),
        };
        let brief_background = field::brief_background(ctx, i, seg)?;
        let burst = match &seg.burst {
            Some(raw) => Some(build_burst(ctx, &key("burst"), raw)?),
            None => None,
        };
        segments.push(Segment {
            name: seg.name.get_ref().clone(),
            share,
            launches_per_day,
            session,
            keep_alive,
            brief_background,
            burst,
        });
    }
    check_shares(ctx, "population.segment[*].share", &shares)?;
    Ok(segments)
}

/// Largest `mean_visits` of a burst: an episode of a thousand visits is
/// already a different app.
const MAX_MEAN_VISITS: f64 = 1_000.0;

fn build_burst(ctx: &Context, key: &str, raw: &RawBurst) -> Result<Burst> {
    let mean_visits = *raw.mean_visits.get_ref();
    if !(1.0..=MAX_MEAN_VISITS).contains(&mean_visits) {
        return Err(ctx.rule(
            &format!("{key}.mean_visits"),
            Some(raw.mean_visits.span()),
            &format!("must be from 1 to {MAX_MEAN_VISITS}"),
            &format!("必须在 1 到 {MAX_MEAN_VISITS} 之间"),
            "give the mean number of visits per episode of use, such as 2.5 (1 means no bursts)",
            "请给出每个使用片段的平均访问次数，例如 2.5（1 表示没有连续访问）",
        ));
    }
    let gap = distribution(ctx, &format!("{key}.gap"), &raw.gap)?;
    Ok(Burst { mean_visits, gap })
}

fn build_networks(ctx: &Context, raw: &Option<Vec<RawNetwork>>) -> Result<Vec<Network>> {
    let Some(raw) = raw else {
        return Ok(vec![Network {
            name: "default".into(),
            share: 1.0,
            bandwidth: 2e6,
            failure: 0.01,
            jitter: 0.3,
        }]);
    };
    if raw.is_empty() {
        return Err(ctx.rule(
            "network",
            None,
            "the list of networks is empty",
            "网络列表为空",
            "add at least one [[network]] table",
            "请至少添加一个 [[network]] 表",
        ));
    }
    let mut networks = Vec::with_capacity(raw.len());
    let mut shares = Vec::new();
    for (i, net) in raw.iter().enumerate() {
        let key = |field: &str| format!("network[{i}].{field}");
        if networks
            .iter()
            .any(|n: &Network| &n.name == net.name.get_ref())
        {
            return Err(ctx.rule(
                &key("name"),
                Some(net.name.span()),
                "duplicate network name",
                "网络名称重复",
                "give each network its own name",
                "请为每种网络取不同的名称",
            ));
        }
        let share = probability(ctx, &key("share"), &net.share)?;
        shares.push((share, net.share.span()));
        let bandwidth = rate(ctx, &key("bandwidth"), &net.bandwidth)?;
        let failure = match &net.failure {
            Some(value) => probability(ctx, &key("failure"), value)?,
            None => 0.01,
        };
        if failure >= 1.0 {
            let span = net.failure.as_ref().map(|f| f.span());
            return Err(ctx.rule(
                &key("failure"),
                span,
                "a failure probability of 1 means no download ever completes",
                "失败概率为 1 意味着下载永远不会成功",
                "use a value below 1",
                "请使用小于 1 的值",
            ));
        }
        let jitter = match &net.jitter {
            Some(value) => {
                let v = *value.get_ref();
                if !(0.0..=3.0).contains(&v) || v.is_nan() {
                    return Err(ctx.error(
                        &key("jitter"),
                        Some(value.span()),
                        Problem::OutOfRange { min: 0.0, max: 3.0 },
                    ));
                }
                v
            }
            None => 0.3,
        };
        networks.push(Network {
            name: net.name.get_ref().clone(),
            share,
            bandwidth,
            failure,
            jitter,
        });
    }
    check_shares(ctx, "network[*].share", &shares)?;
    Ok(networks)
}

fn build_releases(
    ctx: &Context,
    raw: &Option<Vec<RawRelease>>,
    baseline: &str,
    defaults: &ProfileDefaults,
    versions: &mut Vec<String>,
) -> Result<Vec<Release>> {
    let raw = match raw {
        Some(list) if !list.is_empty() => list,
        _ => {
            return Err(ctx.rule(
                "release",
                None,
                "the scenario publishes no release",
                "场景中没有发布任何版本",
                "add a [[release]] table with version, at and size",
                "请添加 [[release]] 表，包含 version、at 和 size",
            ))
        }
    };
    let mut releases = vec![Release {
        version: baseline.to_string(),
        package: 0,
        at: SimTime(i64::MIN / 4),
        size: 1.5e6,
        critical: false,
        minimum_required: false,
        rollout: Vec::new(),
        pauses: Vec::new(),
        revert_at: None,
        is_rollback: false,
        start_failure: 0.0,
    }];
    let mut sizes: Vec<f64> = vec![f64::NAN];
    let mut last_at = SimTime::ZERO;
    for (i, rel) in raw.iter().enumerate() {
        let key = |field: &str| format!("release[{i}].{field}");
        let at = SimTime::ZERO + duration(ctx, &key("at"), &rel.at, false)?;
        if at < last_at {
            return Err(ctx.rule(
                &key("at"),
                Some(rel.at.span()),
                "releases are out of order: this one is published before the previous one",
                "版本顺序错误：该版本早于上一个版本发布",
                "list [[release]] tables in order of `at`",
                "请按 `at` 的先后顺序排列 [[release]] 表",
            ));
        }
        last_at = at;
        let (version, is_rollback, span) = match (&rel.version, &rel.rollback_to) {
            (_, Some(target)) => {
                if let Some(v) = &rel.version {
                    if v.get_ref() != target.get_ref() {
                        return Err(ctx.rule(
                            &key("version"),
                            Some(v.span()),
                            "a rollback publishes the package of `rollback_to`, so `version` must equal it",
                            "回退发布的是 `rollback_to` 的代码包，因此 `version` 必须与其相同",
                            "remove `version` or set it to the rollback_to value",
                            "请删除 `version` 或将其设为 rollback_to 的值",
                        ));
                    }
                }
                (target.get_ref().clone(), true, target.span())
            }
            (Some(v), None) => (v.get_ref().clone(), false, v.span()),
            (None, None) => {
                return Err(ctx.error(&key("version"), Some(rel.at.span()), Problem::MissingKey))
            }
        };
        if version.trim().is_empty() {
            return Err(ctx.rule(
                &key("version"),
                Some(span),
                "empty version",
                "版本号为空",
                "write a version such as \"2.0.0\"",
                "请写出版本号，例如 \"2.0.0\"",
            ));
        }
        let existing = versions.iter().position(|v| v == &version);
        let package = match (existing, is_rollback) {
            (Some(0), false) => {
                return Err(ctx.rule(
                    &key("version"),
                    Some(span),
                    &format!("version {version} is population.baseline_version, which every existing user already has"),
                    &format!("版本 {version} 就是 population.baseline_version，所有存量用户都已安装"),
                    "give the release a new version, or change population.baseline_version",
                    "请为该发布使用新的版本号，或修改 population.baseline_version",
                ))
            }
            (Some(_), false) => {
                return Err(ctx.rule(
                    &key("version"),
                    Some(span),
                    &format!("version {version} is published twice"),
                    &format!("版本 {version} 被重复发布"),
                    "give each release a new version, or use rollback_to to republish an older one",
                    "请为每次发布使用新的版本号，或用 rollback_to 重新发布旧版本",
                ))
            }
            (None, true) => {
                return Err(ctx.rule(
                    &key("rollback_to"),
                    Some(span),
                    &format!("cannot roll back to {version}: it was never published"),
                    &format!("无法回退到 {version}：该版本从未发布"),
                    &format!(
                        "name the baseline or an earlier release: {}",
                        versions.join(", ")
                    ),
                    &format!("请填写基线版本或更早的版本：{}", versions.join("、")),
                ))
            }
            (Some(package), true) => {
                let depth = versions.len() - package;
                if depth > defaults.rollback_depth {
                    return Err(ctx.rule(
                        &key("rollback_to"),
                        Some(span),
                        &format!(
                            "the platform allows rolling back to one of the last {} versions only",
                            defaults.rollback_depth
                        ),
                        &format!(
                            "平台只允许回退到最近 {} 个版本之一",
                            defaults.rollback_depth
                        ),
                        "choose a more recent version",
                        "请选择更近的版本",
                    ));
                }
                check_rollback_target_live(ctx, &key("rollback_to"), span.clone(), &releases, package, at)?;
                let previous = releases.last().expect("baseline is always present");
                let rollbacks_since = releases.iter().rev().take_while(|r| r.is_rollback).count();
                if rollbacks_since >= defaults.rollbacks_per_release {
                    return Err(ctx.rule(
                        &key("rollback_to"),
                        Some(span),
                        &format!("the platform allows {} rollback per release, and {} was already rolled back", defaults.rollbacks_per_release, previous.version),
                        &format!("平台每个版本只允许回退 {} 次，而 {} 已回退过", defaults.rollbacks_per_release, previous.version),
                        "publish a new version instead",
                        "请改为发布新版本",
                    ));
                }
                package
            }
            (None, false) => {
                versions.push(version.clone());
                sizes.push(f64::NAN);
                versions.len() - 1
            }
        };
        let size = match (&rel.size, is_rollback) {
            (Some(raw), _) => size(ctx, &key("size"), raw)?,
            (None, true) => releases
                .iter()
                .find(|r| r.package == package)
                .map_or(1.5e6, |r| r.size),
            (None, false) => releases.last().map_or(1.5e6, |r| r.size),
        };
        if sizes[package].is_nan() {
            sizes[package] = size;
        }
        let minimum_required = rel.minimum_required.as_ref().is_some_and(|m| *m.get_ref());
        if minimum_required && !defaults.supports_minimum_required {
            let span = rel.minimum_required.as_ref().map(|m| m.span());
            return Err(ctx.rule(
                &key("minimum_required"),
                span,
                "this platform has no minimum required version setting",
                "该平台没有最低可用版本设置",
                "remove minimum_required or choose platform = \"wechat\"",
                "请删除 minimum_required，或选择 platform = \"wechat\"",
            ));
        }
        let mut rollout = Vec::new();
        if let Some(steps) = &rel.rollout {
            if steps.get_ref().is_empty() {
                return Err(ctx.rule(
                    &key("rollout"),
                    Some(steps.span()),
                    "the rollout list is empty",
                    "灰度步骤列表为空",
                    "remove `rollout` for a full release at `at`, or add steps such as { at = \"0h\", percent = 10 }",
                    "如需在 `at` 时全量发布请删除 `rollout`，否则请添加步骤，例如 { at = \"0h\", percent = 10 }",
                ));
            }
            let mut previous: Option<(SimTime, f64)> = None;
            for (j, step) in steps.get_ref().iter().enumerate() {
                let step_key = format!("release[{i}].rollout[{j}]");
                let step_at = at + duration(ctx, &format!("{step_key}.at"), &step.at, false)?;
                let percent = *step.percent.get_ref();
                if !(0.0..=100.0).contains(&percent) || percent.is_nan() {
                    return Err(ctx.error(
                        &format!("{step_key}.percent"),
                        Some(step.percent.span()),
                        Problem::OutOfRange {
                            min: 0.0,
                            max: 100.0,
                        },
                    ));
                }
                if let Some(allowed) = defaults.allowed_rollout_percents {
                    if !allowed.contains(&percent) {
                        let list: Vec<String> = allowed.iter().map(|p| p.to_string()).collect();
                        return Err(ctx.rule(
                            &format!("{step_key}.percent"),
                            Some(step.percent.span()),
                            "this platform does not offer that rollout percentage",
                            "该平台不提供此灰度比例",
                            &format!("use one of {}", list.join(", ")),
                            &format!("请使用 {} 之一", list.join("、")),
                        ));
                    }
                }
                if let Some((previous_at, previous_percent)) = previous {
                    if step_at <= previous_at {
                        return Err(ctx.rule(
                            &format!("{step_key}.at"),
                            Some(step.at.span()),
                            "rollout steps are not in time order",
                            "灰度步骤未按时间排序",
                            "give each step a later `at` than the one before",
                            "请让每一步的 `at` 晚于上一步",
                        ));
                    }
                    if percent < previous_percent {
                        return Err(ctx.rule(
                            &format!("{step_key}.percent"),
                            Some(step.percent.span()),
                            &format!("the rollout percentage decreases from {previous_percent} to {percent}"),
                            &format!("灰度比例从 {previous_percent} 降到了 {percent}"),
                            "a phased release can only grow, so use revert_at to cancel it or a rollback_to release to go back",
                            "分阶段发布只能扩大，如需取消请用 revert_at，如需回退请发布 rollback_to",
                        ));
                    }
                }
                previous = Some((step_at, percent));
                rollout.push((step_at, percent));
            }
        }
        let mut pauses = Vec::new();
        for (j, pause) in rel.pause.iter().flatten().enumerate() {
            let pause_key = format!("release[{i}].pause[{j}]");
            let from = at + duration(ctx, &format!("{pause_key}.from"), &pause.from, false)?;
            let until = at + duration(ctx, &format!("{pause_key}.until"), &pause.until, false)?;
            if until <= from {
                return Err(ctx.rule(
                    &format!("{pause_key}.until"),
                    Some(pause.until.span()),
                    "the pause ends before it starts",
                    "暂停的结束时间早于开始时间",
                    "make until later than from",
                    "请让 until 晚于 from",
                ));
            }
            pauses.push((from, until));
        }
        let revert_at = match &rel.revert_at {
            Some(raw) => Some(at + duration(ctx, &key("revert_at"), raw, true)?),
            None => None,
        };
        let start_failure = field::start_failure(ctx, i, rel, is_rollback)?;
        releases.push(Release {
            version,
            package,
            at,
            size,
            critical: rel.critical.as_ref().is_some_and(|c| *c.get_ref()),
            minimum_required,
            rollout,
            pauses,
            revert_at,
            is_rollback,
            start_failure,
        });
    }
    // The baseline package's size is what a new user downloads before any
    // release: take the first release's size as the best available estimate.
    releases[0].size = releases.get(1).map_or(1.5e6, |r| r.size);
    Ok(releases)
}

/// Rejects a rollback to a package whose release was reverted at or before
/// the rollback. A revert withdraws a release, while a rollback returns
/// everyone to a version that stayed live. Rolling back to the withdrawn
/// package would offer it to every bucket as the known-good version, and
/// synchronously on platforms with `rollback_sync`.
fn check_rollback_target_live(
    ctx: &Context,
    key: &str,
    span: Range<usize>,
    releases: &[Release],
    package: usize,
    at: SimTime,
) -> Result<()> {
    let reverted_by = |package: usize| {
        releases
            .iter()
            .enumerate()
            .find(|(_, r)| r.package == package && !r.is_rollback)
            .and_then(|(index, r)| {
                r.revert_at
                    .filter(|&revert| revert <= at)
                    .map(|revert| (index, revert))
            })
    };
    let Some((index, revert)) = reverted_by(package) else {
        return Ok(());
    };

    let version = &releases[index].version;
    // `releases[0]` is the baseline, so publication `index` is release
    // `index - 1` of the file.
    let release_key = format!("release[{}]", index - 1);
    let reverted = SimDuration(revert.0);
    // The newest publication is the one this rollback replaces.
    let current = releases.last().map(|r| r.package);
    let mut live: Vec<&str> = Vec::new();
    for release in releases.iter().filter(|r| !r.is_rollback) {
        if reverted_by(release.package).is_none() && Some(release.package) != current {
            live.push(release.version.as_str());
        }
    }
    Err(ctx.rule(
        key,
        Some(span),
        &format!("cannot roll back to {version}: {release_key} reverted it at t = {reverted}, before this rollback"),
        &format!("无法回退到 {version}：{release_key} 已在 t = {reverted} 撤回该版本，早于本次回退"),
        &format!(
            "roll back to a version that was not reverted{}, or, to halt a phased release and resume it later, give {release_key} a pause instead of revert_at",
            if live.is_empty() { String::new() } else { format!(" ({})", live.join(", ")) }
        ),
        &format!(
            "请回退到未撤回的版本{}；如需暂停分阶段发布并在之后继续，请为 {release_key} 设置 pause 而不是 revert_at",
            if live.is_empty() { String::new() } else { format!("（{}）", live.join("、")) }
        ),
    ))
}

/// Rejects a release that is not [`Release::published_within`] the horizon.
fn check_release_times(
    ctx: &Context,
    raw: &Option<Vec<RawRelease>>,
    releases: &[Release],
    horizon: SimDuration,
) -> Result<()> {
    // `releases[0]` is the baseline, so release `i` of the file is `i + 1`.
    for (i, (rel, release)) in raw.iter().flatten().zip(&releases[1..]).enumerate() {
        if !release.published_within(horizon) {
            return Err(ctx.rule(
                &format!("release[{i}].at"),
                Some(rel.at.span()),
                &format!("the release is published at or after the horizon {horizon}"),
                &format!("该版本的发布时间不早于模拟时长 {horizon}"),
                "publish it before run.horizon, or lengthen run.horizon",
                "请让它在 run.horizon 之前发布，或延长 run.horizon",
            ));
        }
    }
    Ok(())
}

fn build_incidents(
    ctx: &Context,
    raw: &Option<Vec<RawIncident>>,
    versions: &[String],
) -> Result<Vec<Incident>> {
    let mut incidents = Vec::new();
    for (i, inc) in raw.iter().flatten().enumerate() {
        let key = |field: &str| format!("incident[{i}].{field}");
        let mut packages = Vec::new();
        for version in inc.versions.get_ref() {
            packages.push(known_package(ctx, &key("versions"), version, versions)?);
        }
        if packages.is_empty() {
            return Err(ctx.rule(
                &key("versions"),
                Some(inc.versions.span()),
                "no affected version",
                "没有受影响的版本",
                "list at least one version",
                "请至少列出一个版本",
            ));
        }
        let from = SimTime::ZERO + duration(ctx, &key("from"), &inc.from, false)?;
        let until = match &inc.until {
            Some(raw) => {
                let until = SimTime::ZERO + duration(ctx, &key("until"), raw, false)?;
                if until <= from {
                    return Err(ctx.rule(
                        &key("until"),
                        Some(raw.span()),
                        "the incident ends before it starts",
                        "故障的结束时间早于开始时间",
                        "make until later than from",
                        "请让 until 晚于 from",
                    ));
                }
                until
            }
            None => SimTime::NEVER,
        };
        let name = inc
            .name
            .as_ref()
            .map_or_else(|| format!("incident {}", i + 1), |n| n.get_ref().clone());
        incidents.push(Incident {
            name,
            packages,
            from,
            until,
        });
    }
    Ok(incidents)
}

const ACTIONS: [&str; 6] = [
    "none",
    "prompt",
    "force",
    "force_critical",
    "on_resume",
    "on_suspend",
];

fn build_policies(
    ctx: &Context,
    raw: &Option<Vec<RawPolicy>>,
    releases: &[Release],
    versions: &[String],
    defaults: &ProfileDefaults,
) -> Result<Vec<Policy>> {
    let Some(raw) = raw else {
        let name = defaults.default_action.value;
        return Ok(vec![Policy {
            name: name.into(),
            action: field::default_action(name),
            since_package: 0,
            foreground_check_every: None,
            minimum_required: None,
        }]);
    };
    let mut policies: Vec<Policy> = Vec::new();
    for (i, pol) in raw.iter().enumerate() {
        let key = |field: &str| format!("policy[{i}].{field}");
        let name = pol.name.get_ref().clone();
        let name_ok = !name.is_empty() && !name.contains([',', '"', '\n', '\r']);
        if !name_ok {
            return Err(ctx.rule(
                &key("name"),
                Some(pol.name.span()),
                "invalid policy name",
                "无效的策略名称",
                "use a non-empty name without commas, quotes or line breaks",
                "请使用非空且不含逗号、引号或换行的名称",
            ));
        }
        if policies.iter().any(|p| p.name == name) {
            return Err(ctx.rule(
                &key("name"),
                Some(pol.name.span()),
                "duplicate policy name",
                "策略名称重复",
                "give each policy its own name",
                "请为每个策略取不同的名称",
            ));
        }
        // A policy without `on_update_ready` takes the platform's default.
        let (action_name, action_span) = match &pol.on_update_ready {
            Some(value) => (value.get_ref().as_str(), value.span()),
            None => (defaults.default_action.value, pol.name.span()),
        };
        // The error points at the key's own value.
        let only = |field: &str, span: Option<Range<usize>>, allowed_for: &str| -> Result<()> {
            if span.is_some() {
                return Err(ctx.rule(
                    &key(field),
                    span,
                    &format!("`{field}` applies to on_update_ready = \"{allowed_for}\" only"),
                    &format!("`{field}` 仅适用于 on_update_ready = \"{allowed_for}\""),
                    &format!("remove it or set on_update_ready = \"{allowed_for}\""),
                    &format!("请删除它，或设置 on_update_ready = \"{allowed_for}\""),
                ));
            }
            Ok(())
        };
        let min_background_only = |span: Option<Range<usize>>| -> Result<()> {
            if span.is_some() {
                return Err(ctx.rule(
                    &key("min_background"),
                    span,
                    "`min_background` applies to on_update_ready = \"on_resume\" or \"on_suspend\" only",
                    "`min_background` 仅适用于 on_update_ready = \"on_resume\" 或 \"on_suspend\"",
                    "remove it or set on_update_ready = \"on_resume\" or \"on_suspend\"",
                    "请删除它，或设置 on_update_ready = \"on_resume\" 或 \"on_suspend\"",
                ));
            }
            Ok(())
        };
        // `accept` and `accept_critical` belong to the prompt policy only.
        let prompt_keys_only = || -> Result<()> {
            only("accept", pol.accept.as_ref().map(Spanned::span), "prompt")?;
            only(
                "accept_critical",
                pol.accept_critical.as_ref().map(Spanned::span),
                "prompt",
            )
        };
        let action = match action_name {
            "none" | "force" | "force_critical" => {
                prompt_keys_only()?;
                min_background_only(pol.min_background.as_ref().map(Spanned::span))?;
                field::default_action(action_name)
            }
            "prompt" => {
                min_background_only(pol.min_background.as_ref().map(Spanned::span))?;
                let accept = match &pol.accept {
                    Some(value) => probability(ctx, &key("accept"), value)?,
                    None => {
                        let mut error = ctx.rule(
                            &key("accept"),
                            Some(action_span),
                            "missing: on_update_ready = \"prompt\" needs `accept`, the probability that a user accepts the prompt",
                            "缺少该键：on_update_ready = \"prompt\" 需要 `accept`，即用户接受提示的概率",
                            "add a number from 0 to 1, such as accept = 0.6",
                            "请添加 0 到 1 之间的数，例如 accept = 0.6",
                        );
                        error.value = None;
                        return Err(error);
                    }
                };
                let accept_critical = match &pol.accept_critical {
                    Some(value) => probability(ctx, &key("accept_critical"), value)?,
                    None => accept,
                };
                UpdateAction::Prompt {
                    accept,
                    accept_critical,
                }
            }
            "on_resume" | "on_suspend" => {
                prompt_keys_only()?;
                let min_background = match &pol.min_background {
                    Some(raw) => duration(ctx, &key("min_background"), raw, false)?,
                    None => SimDuration::ZERO,
                };
                if action_name == "on_resume" {
                    UpdateAction::OnResume { min_background }
                } else {
                    UpdateAction::OnSuspend { min_background }
                }
            }
            other => {
                let valid: Vec<String> = ACTIONS.iter().map(|s| s.to_string()).collect();
                let hint = closest(other, &valid)
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                let hint_zh = closest(other, &valid)
                    .map(|s| format!("（是否想写 \"{s}\"？）"))
                    .unwrap_or_default();
                return Err(ctx.rule(
                    &key("on_update_ready"),
                    Some(action_span),
                    &format!("unknown policy action{hint}"),
                    &format!("未知的策略动作{hint_zh}"),
                    &format!("use one of {}", valid.join(", ")),
                    &format!("请使用 {} 之一", valid.join("、")),
                ));
            }
        };
        let minimum_required = match &pol.minimum_required {
            Some(version) => {
                if !defaults.supports_minimum_required {
                    return Err(ctx.rule(
                        &key("minimum_required"),
                        Some(version.span()),
                        "this platform has no minimum required version setting",
                        "该平台没有最低可用版本设置",
                        "remove minimum_required or choose platform = \"wechat\"",
                        "请删除 minimum_required，或选择 platform = \"wechat\"",
                    ));
                }
                let found = releases
                    .iter()
                    .enumerate()
                    .skip(1)
                    .find(|(_, r)| &r.version == version.get_ref() && !r.is_rollback);
                match found {
                    Some((index, _)) => Some(index),
                    None => {
                        let listed: Vec<&str> =
                            releases[1..].iter().map(|r| r.version.as_str()).collect();
                        return Err(ctx.rule(
                            &key("minimum_required"),
                            Some(version.span()),
                            &format!(
                                "version {} is not released in this scenario",
                                version.get_ref()
                            ),
                            &format!("本场景没有发布版本 {}", version.get_ref()),
                            &format!("name one of the released versions: {}", listed.join(", ")),
                            &format!("请填写已发布的版本之一：{}", listed.join("、")),
                        ));
                    }
                }
            }
            None => None,
        };
        let since_package = field::since_package(ctx, &key("since_version"), pol, versions)?;
        let foreground_check_every = match &pol.foreground_check_every {
            Some(raw) => Some(duration(ctx, &key("foreground_check_every"), raw, true)?),
            None => None,
        };
        policies.push(Policy {
            name,
            action,
            minimum_required,
            since_package,
            foreground_check_every,
        });
    }
    if policies.is_empty() {
        return Err(ctx.rule(
            "policy",
            None,
            "the list of policies is empty",
            "策略列表为空",
            "add at least one [[policy]] table",
            "请至少添加一个 [[policy]] 表",
        ));
    }
    Ok(policies)
}

fn parse_instant(text: &str, default_offset_minutes: i32) -> Option<i64> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_millis());
    }
    for format in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%d %H:%M:%S%:z",
    ] {
        if let Ok(dt) = chrono::DateTime::parse_from_str(text, format) {
            return Some(dt.timestamp_millis());
        }
    }
    let local = parse_local_datetime(text)?;
    Some(local.and_utc().timestamp_millis() - default_offset_minutes as i64 * 60_000)
}

fn build_population(
    ctx: &mut Context,
    raw: &RawPopulation,
    client_keep_alive: &DurationDist,
) -> Result<Population> {
    let trace = raw.trace.is_some();
    let has_new_users = raw
        .new_users_per_day
        .as_ref()
        .is_some_and(|v| *v.get_ref() > 0.0);
    let users = match &raw.users {
        Some(value) => {
            let v = *value.get_ref();
            // Zero existing users suits a trace, or a new mini-program whose
            // users all arrive as new users.
            if v == 0 && !trace && !has_new_users {
                return Err(ctx.rule(
                    "population.users",
                    Some(value.span()),
                    "a run with no existing users needs new users",
                    "没有存量用户的运行需要新用户",
                    "set users to 1 or more, or set population.new_users_per_day above 0",
                    "请把 users 设为 1 或更大，或把 population.new_users_per_day 设为大于 0",
                ));
            }
            if v < 0 || v as u64 > MAX_USERS {
                return Err(ctx.error(
                    "population.users",
                    Some(value.span()),
                    Problem::OutOfRange {
                        min: 0.0,
                        max: MAX_USERS as f64,
                    },
                ));
            }
            v as u64
        }
        None if trace => 0,
        None => 100_000,
    };
    let baseline_version = raw
        .baseline_version
        .as_ref()
        .map_or_else(|| "1.0.0".to_string(), |v| v.get_ref().clone());
    let new_users_per_day = match &raw.new_users_per_day {
        Some(value) => {
            let v = *value.get_ref();
            if !(0.0..=1e9).contains(&v) || v.is_nan() {
                return Err(ctx.error(
                    "population.new_users_per_day",
                    Some(value.span()),
                    Problem::OutOfRange { min: 0.0, max: 1e9 },
                ));
            }
            v
        }
        None => 0.0,
    };
    let utc_offset_minutes = match &raw.timezone {
        Some(value) => parse_offset(value.get_ref()).ok_or_else(|| {
            ctx.rule(
                "population.timezone",
                Some(value.span()),
                "invalid UTC offset",
                "无效的 UTC 偏移",
                "write it as \"+08:00\", \"-05:00\" or \"Z\"",
                "请写成 \"+08:00\"、\"-05:00\" 或 \"Z\"",
            )
        })?,
        None => 8 * 60,
    };
    let (start_minute_of_day, start_text) = match &raw.start {
        Some(value) => {
            let parsed = parse_local_datetime(value.get_ref()).ok_or_else(|| {
                ctx.rule(
                    "population.start",
                    Some(value.span()),
                    "invalid local date and time",
                    "无效的本地日期时间",
                    "write it as \"2026-12-07T10:00\" (local time in population.timezone)",
                    "请写成 \"2026-12-07T10:00\"（population.timezone 时区的本地时间）",
                )
            })?;
            // The clock of the daily profile counts whole minutes, so
            // seconds would be dropped without a word.
            if parsed.second() != 0 {
                return Err(ctx.rule(
                    "population.start",
                    Some(value.span()),
                    "seconds are not supported: the run starts on a whole minute",
                    "不支持秒：运行只能从整分钟开始",
                    "drop the seconds, such as \"2026-12-07T10:00\"",
                    "请去掉秒，例如 \"2026-12-07T10:00\"",
                ));
            }
            (
                parsed.hour() * 60 + parsed.minute(),
                value.get_ref().clone(),
            )
        }
        None => (10 * 60, "2026-12-07T10:00".to_string()),
    };
    let daily_profile = match &raw.daily_profile {
        Some(value) => {
            let list = value.get_ref();
            if list.len() != 24 {
                return Err(ctx.rule(
                    "population.daily_profile",
                    Some(value.span()),
                    &format!("has {} values", list.len()),
                    &format!("包含 {} 个数值", list.len()),
                    "give 24 relative launch intensities, one per local hour from 00:00",
                    "请给出 24 个相对启动强度，从本地 00:00 起每小时一个",
                ));
            }
            if list.iter().any(|v| !v.is_finite() || *v < 0.0) || list.iter().sum::<f64>() <= 0.0 {
                return Err(ctx.rule(
                    "population.daily_profile",
                    Some(value.span()),
                    "values must be non-negative and not all zero",
                    "数值必须非负且不能全为零",
                    "use relative intensities such as 0.2 at night and 1.5 at noon",
                    "请使用相对强度，例如夜间 0.2、中午 1.5",
                ));
            }
            let mean = list.iter().sum::<f64>() / 24.0;
            let mut profile = [0.0; 24];
            for (slot, v) in profile.iter_mut().zip(list) {
                *slot = v / mean;
            }
            profile
        }
        None => [1.0; 24],
    };
    let trace_source = match &raw.trace {
        Some(path) => {
            let written = path.get_ref().clone();
            let resolved = match ctx.base_dir {
                Some(dir) if Path::new(&written).is_relative() => dir.join(&written),
                _ => Path::new(&written).to_path_buf(),
            };
            let start_unix_ms = match &raw.trace_start {
                Some(value) => {
                    parse_instant(value.get_ref(), utc_offset_minutes).ok_or_else(|| {
                        ctx.rule(
                            "population.trace_start",
                            Some(value.span()),
                            "invalid date and time",
                            "无效的日期时间",
                            "write it as \"2021-03-06T00:00:00+01:00\"",
                            "请写成 \"2021-03-06T00:00:00+01:00\"",
                        )
                    })?
                }
                None => {
                    return Err(ctx.error(
                        "population.trace_start",
                        Some(path.span()),
                        Problem::MissingKey,
                    ))
                }
            };
            let merge_gap = match &raw.trace_merge_gap {
                Some(raw) => duration(ctx, "population.trace_merge_gap", raw, false)?,
                None => SimDuration(1_000),
            };
            Some(TraceSource {
                path: resolved,
                written,
                start_unix_ms,
                apps: raw
                    .trace_apps
                    .as_ref()
                    .map(|a| a.get_ref().clone())
                    .unwrap_or_default(),
                exclude_apps: raw
                    .trace_exclude_apps
                    .as_ref()
                    .map(|a| a.get_ref().clone())
                    .unwrap_or_default(),
                merge_gap,
            })
        }
        None => {
            for (key, present) in [
                (
                    "population.trace_start",
                    raw.trace_start.as_ref().map(|v| v.span()),
                ),
                (
                    "population.trace_apps",
                    raw.trace_apps.as_ref().map(|v| v.span()),
                ),
                (
                    "population.trace_exclude_apps",
                    raw.trace_exclude_apps.as_ref().map(|v| v.span()),
                ),
                (
                    "population.trace_merge_gap",
                    raw.trace_merge_gap.as_ref().map(|v| v.span()),
                ),
            ] {
                if let Some(span) = present {
                    return Err(ctx.rule(
                        key,
                        Some(span),
                        "applies only with population.trace",
                        "仅在设置 population.trace 时有效",
                        "set population.trace or remove this key",
                        "请设置 population.trace 或删除此键",
                    ));
                }
            }
            None
        }
    };
    let segments = build_segments(ctx, &raw.segment, client_keep_alive, trace)?;
    let users_origin = raw
        .users
        .as_ref()
        .map_or(Origin::Builtin, |u| Origin::File(ctx.line_of(&u.span())));
    ctx.record("population.users", users.to_string(), users_origin);
    Ok(Population {
        users,
        baseline_version,
        new_users_per_day,
        utc_offset_minutes,
        start_minute_of_day,
        start_text,
        daily_profile,
        segments,
        trace: trace_source,
        stale_first_launch: None,
    })
}

/// Validates a scenario text.
///
/// `file` names the source in messages; `base_dir` resolves relative trace
/// paths.
///
/// # Errors
/// Returns the first problem found, located by key, line and column.
pub fn build(text: &str, file: &str, base_dir: Option<&Path>) -> Result<Scenario> {
    let mut ctx = Context::new(file, text, base_dir);
    let raw = parse_raw(text).map_err(|(error, path)| from_toml_error(&ctx, &error, &path))?;
    let file_stem = Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario")
        .to_string();
    let run = build_run(
        &mut ctx,
        raw.run.as_ref().unwrap_or(&RawRun::default()),
        &file_stem,
    )?;
    let (mut client, defaults) = build_client(
        &mut ctx,
        raw.client.as_ref().unwrap_or(&RawClient::default()),
    )?;
    let client_keep_alive = match raw.client.as_ref().and_then(|c| c.keep_alive.as_ref()) {
        Some(raw) => {
            let value = distribution(&ctx, "client.keep_alive", raw)?;
            let line = ctx.line_of(&raw.span());
            ctx.record("client.keep_alive", value.to_string(), Origin::File(line));
            value
        }
        None => {
            profile_value(
                &mut ctx,
                client.platform,
                "client.keep_alive",
                &defaults.keep_alive,
            );
            defaults.keep_alive.value.clone()
        }
    };
    let population = build_population(
        &mut ctx,
        raw.population.as_ref().unwrap_or(&RawPopulation::default()),
        &client_keep_alive,
    )?;
    let networks = build_networks(&ctx, &raw.network)?;
    let mut versions = vec![population.baseline_version.clone()];
    let releases = build_releases(
        &ctx,
        &raw.release,
        &population.baseline_version,
        &defaults,
        &mut versions,
    )?;
    check_release_times(&ctx, &raw.release, &releases, run.horizon)?;
    let incidents = build_incidents(&ctx, &raw.incident, &versions)?;
    let policies = build_policies(&ctx, &raw.policy, &releases, &versions, &defaults)?;
    let mut population = population;
    population.stale_first_launch = field::stale_first_launch(
        &ctx,
        raw.population.as_ref().unwrap_or(&RawPopulation::default()),
        &versions,
        &releases,
    )?;
    field::check_start_failures(&ctx, &raw.release, &client)?;
    let hosts = field::build_hosts(&ctx, &raw.host, &client)?;
    let outages = field::build_outages(&ctx, &raw.outage)?;
    if let Some(prefer) = raw
        .console
        .as_ref()
        .and_then(|c| c.prefer_local_version.as_ref())
    {
        let package = known_package(&ctx, "console.prefer_local_version", prefer, &versions)?;
        client.prefer_local_from = Some(package);
    }
    Ok(Scenario {
        source: file.to_string(),
        run,
        population,
        client,
        networks,
        versions,
        releases,
        incidents,
        policies,
        default_policy: raw.policy.is_none(),
        settings: ctx.settings,
        hosts,
        outages,
    })
}
