//! `rollout-sim calibrate`: fit a population to a launch trace, write the
//! calibrated scenario and its fit report.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use crate::calibrate::report::render_report;
use crate::calibrate::sample::samples_from_trace;
use crate::calibrate::scenario_text::{offset_text, scenario_text, Provenance};
use crate::calibrate::validate::{validate_until, ValidationOptions};
use crate::calibrate::{
    calibrate_until, CalibrateError, CalibrateOptions, DEFAULT_MAX_SEGMENTS, MAX_SEGMENTS,
};
use crate::cli::interrupt::Interrupt;
use crate::cli::limits::{self, Job};
use crate::cli::CliError;
use crate::engine::budget::{self, CalibrationSize};
use crate::i18n::{io_error_text, Lang};
use crate::output::files;
use crate::scenario;
use crate::trace::{read_trace, TraceOptions};

/// Arguments of `calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Launch trace (CSV with user_id, app, event, timestamp; see docs/trace-format.md).
    pub trace: PathBuf,
    /// Scenario file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Keep only these apps (comma-separated); all apps by default.
    #[arg(long, value_name = "APPS", value_delimiter = ',')]
    pub apps: Option<Vec<String>>,
    /// File of app names to drop, one per line (lines starting with # are ignored).
    #[arg(long, value_name = "FILE")]
    pub exclude_file: Option<PathBuf>,
    /// UTC offset of the local time for the daily profile, such as +01:00 (default: the offset of the trace's first open).
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    pub timezone: Option<String>,
    /// Merge visits of a pair at most this far apart, such as 1s or 0s.
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    pub merge_gap: String,
    /// Largest number of segments to try (1 to 8); BIC chooses among them.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_SEGMENTS)]
    pub max_segments: usize,
    /// Scenario whose run, client, network, release and policy tables are copied (default: the built-in WeChat scenario).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Folder of the fit report (default: the scenario's path without .toml, plus -fit).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Seed of the validation simulation.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Overwrite the --out file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Largest memory the calibration may need, e.g. 8GB (default: the available memory).
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
}

/// Simulated users per trace pair in each validation replication.
const VALIDATION_COPIES: usize = 20;
/// Validation replications, which give the charts' 90 % bands.
const VALIDATION_REPLICATIONS: u32 = 10;

fn invalid(lang: Lang, en: String, zh: String) -> CliError {
    CliError::Invalid(match lang {
        Lang::En => en,
        Lang::ZhCn => zh,
    })
}

/// Parses a UTC offset written as `+hh:mm`, `-hh:mm` or `Z`, in minutes.
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
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if hours > 14 || minutes >= 60 {
        return None;
    }
    Some(sign * (hours * 60 + minutes))
}

fn read_exclusions(path: &Path, lang: Lang) -> Result<Vec<String>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        invalid(
            lang,
            format!(
                "{}: cannot read the exclusion file: {error}",
                path.display()
            ),
            format!(
                "{}：无法读取排除列表文件：{}",
                path.display(),
                io_error_text(&error, lang)
            ),
        )
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect())
}

fn default_report_dir(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("calibrated");
    out.with_file_name(format!("{stem}-fit"))
}

/// Fewest (user, app) pairs a calibration accepts: mixtures of launch rates
/// and the validation's tolerances mean little below this.
const MIN_PAIRS: usize = 10;
/// Fewest visits a calibration accepts, for the same reason.
const MIN_VISITS: usize = 200;

/// Runs the `calibrate` command.
pub fn execute(args: &CalibrateArgs, lang: Lang) -> Result<(), CliError> {
    let interrupt =
        Interrupt::install().context("cannot install the SIGINT and SIGTERM handlers")?;
    // A planner may have edited an earlier calibrated scenario by hand, so
    // it is kept without --force. The check comes before the long fit.
    // --force replaces a file, never a folder, and the rename at the end
    // would fail on one after the whole fit.
    if args.out.is_dir() {
        let out = args.out.display();
        return Err(invalid(
            lang,
            format!(
                "--out {out} is a folder; --out names the scenario file to write, e.g. --out {}",
                args.out.join("calibrated.toml").display()
            ),
            format!(
                "--out {out} 是一个目录；--out 应为要写出的场景文件，例如 --out {}",
                args.out.join("calibrated.toml").display()
            ),
        ));
    }
    if args.out.exists() && !args.force {
        let out = args.out.display();
        return Err(invalid(
            lang,
            format!("--out {out} already exists; choose another --out file, or add --force to overwrite it"),
            format!("--out {out} 已存在；请用 --out 指定其他文件，或加上 --force 覆盖它"),
        ));
    }
    if !(1..=MAX_SEGMENTS).contains(&args.max_segments) {
        return Err(invalid(
            lang,
            format!(
                "invalid value {} for --max-segments: use a number from 1 to {MAX_SEGMENTS}",
                args.max_segments
            ),
            format!(
                "--max-segments 的取值 {} 无效：请使用 1 到 {MAX_SEGMENTS} 之间的数",
                args.max_segments
            ),
        ));
    }
    let merge_gap = crate::units::parse_duration(&args.merge_gap).map_err(|_| {
        invalid(
            lang,
            format!(
                "invalid value '{}' for --merge-gap: write a duration such as 1s, 500ms or 0s",
                args.merge_gap
            ),
            format!(
                "--merge-gap 的取值 '{}' 无效：请写成时长，例如 1s、500ms 或 0s",
                args.merge_gap
            ),
        )
    })?;
    let timezone = match &args.timezone {
        Some(text) => Some(parse_offset(text).ok_or_else(|| {
            invalid(
                lang,
                format!("invalid value '{text}' for --timezone: write a UTC offset such as +01:00, -05:00 or Z"),
                format!("--timezone 的取值 '{text}' 无效：请写成 UTC 偏移，例如 +01:00、-05:00 或 Z"),
            )
        })?),
        None => None,
    };
    let exclude_apps = match &args.exclude_file {
        Some(path) => read_exclusions(path, lang)?,
        None => Vec::new(),
    };
    let (template_name, template_text) = match &args.template {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                invalid(
                    lang,
                    format!(
                        "{}: cannot read the template scenario: {error}",
                        path.display()
                    ),
                    format!(
                        "{}：无法读取模板场景：{}",
                        path.display(),
                        io_error_text(&error, lang)
                    ),
                )
            })?;
            scenario::parse(&text, &path.display().to_string(), path.parent())
                .map_err(|error| CliError::Invalid(error.render(lang)))?;
            (path.display().to_string(), text)
        }
        None => (
            scenario::DEFAULT_SCENARIO_NAME.to_string(),
            scenario::DEFAULT_SCENARIO.to_string(),
        ),
    };

    let flag_limit = match &args.memory_limit {
        Some(text) => Some(limits::parse_memory_limit(text, lang)?),
        None => None,
    };
    let limit = budget::memory_limit(flag_limit);
    // An unreadable trace gets the trace reader's message below.
    let mut size = CalibrationSize {
        trace_bytes: std::fs::metadata(&args.trace).map_or(0, |m| m.len()),
        read_twice: args.apps.is_some(),
        visits_and_pairs: None,
        validation_copies: VALIDATION_COPIES as u64,
        validation_replications: u64::from(VALIDATION_REPLICATIONS),
    };
    limits::check_estimate(
        &budget::estimate_calibration_memory(&size),
        Job::Calibration,
        &limit,
        lang,
    )?;

    let options = TraceOptions {
        apps: args.apps.clone(),
        exclude_apps: exclude_apps.clone(),
        merge_gap_ms: merge_gap.0,
    };
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| default_report_dir(&args.out));
    // A signal stops the command between its steps with this error.
    let stop_point = || interrupt.check_file_and_folder(&args.out, &report_dir, lang);
    let trace =
        read_trace(&args.trace, &options).map_err(|error| CliError::Invalid(error.render(lang)))?;
    stop_point()?;
    let visits: usize = trace.pairs.iter().map(|pair| pair.visits.len()).sum();
    if trace.pairs.len() < MIN_PAIRS || visits < MIN_VISITS {
        return Err(invalid(
            lang,
            format!(
                "{}: too little data to calibrate: {} (user, app) pairs and {visits} visits; use a trace with at least {MIN_PAIRS} pairs and {MIN_VISITS} visits",
                args.trace.display(),
                trace.pairs.len()
            ),
            format!(
                "{}：数据太少，无法校准：{} 个（用户，应用）对，{visits} 次访问；请使用至少 {MIN_PAIRS} 个对、{MIN_VISITS} 次访问的轨迹",
                args.trace.display(),
                trace.pairs.len()
            ),
        ));
    }
    // With the visits counted, the validation's memory is known too. The
    // check comes before the fit, which takes most of the time.
    size.visits_and_pairs = Some((visits as u64, trace.pairs.len() as u64));
    limits::check_estimate(
        &budget::estimate_calibration_memory(&size),
        Job::Calibration,
        &limit,
        lang,
    )?;
    // Observation windows come from every app the user opened, not only
    // the selected ones.
    let all_apps = match &args.apps {
        Some(_) => read_trace(
            &args.trace,
            &TraceOptions {
                apps: None,
                ..options.clone()
            },
        )
        .map_err(|error| CliError::Invalid(error.render(lang)))?,
        None => trace.clone(),
    };
    let utc_offset_ms = timezone.map_or(trace.utc_offset_seconds as i64 * 1_000, |m| {
        m as i64 * 60_000
    });
    let samples = samples_from_trace(&trace, &all_apps, utc_offset_ms);
    stop_point()?;
    let calibration = calibrate_until(
        &samples,
        &CalibrateOptions {
            max_segments: args.max_segments,
            merge_gap_ms: merge_gap.0,
            utc_offset_ms,
        },
        interrupt.flag(),
    );
    stop_point()?;
    let calibration = calibration.map_err(|error| match error {
        CalibrateError::NoReopens => invalid(
            lang,
            format!("{}: {error}", args.trace.display()),
            format!(
                "{}：轨迹中没有访问过两次的（用户，应用）对，因此没有可拟合的访问间隔",
                args.trace.display()
            ),
        ),
        // `execute` validates --max-segments before the fit, and a cancel
        // already returned at `stop_point` above, so neither occurs here.
        CalibrateError::InvalidMaxSegments(_) | CalibrateError::Cancelled => {
            CliError::Failed(anyhow::Error::new(error))
        }
    })?;

    let trace_text = args.trace.display().to_string();
    let report_text = report_dir.display().to_string();
    let text = scenario_text(
        &calibration,
        &Provenance {
            trace: &trace_text,
            apps: args.apps.as_deref(),
            excluded_apps: exclude_apps.len(),
            template_name: &template_name,
            template_text: &template_text,
            report_dir: Some(&report_text),
        },
        lang,
    )
    .context("cannot write the calibrated scenario")?;
    let out_name = args.out.display().to_string();
    let scenario = scenario::parse(&text, &out_name, args.out.parent())
        .map_err(|error| anyhow::anyhow!("the calibrated scenario is invalid: {error}"))?;

    let validation = validate_until(
        &scenario,
        &samples,
        &calibration.statistics,
        &ValidationOptions {
            copies: VALIDATION_COPIES,
            replications: VALIDATION_REPLICATIONS,
            seed: args.seed,
            merge_gap_ms: merge_gap.0,
        },
        interrupt.flag(),
    );
    stop_point()?;
    let validation = validation.map_err(anyhow::Error::new)?;
    let scenario_file_name = args
        .out
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("scenario.toml");
    let report = render_report(
        &calibration,
        &validation,
        &trace_text,
        scenario_file_name,
        lang,
    )?;
    let report_files: Vec<(&str, Vec<u8>)> = report
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.clone()))
        .collect();
    let out_dir = match args.out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    stop_point()?;
    // Only a report folder that did not exist is removed after a signal.
    let report_created = !report_dir.exists();
    let mut written = match files::write_all_unless_stopped(&report_dir, &report_files, &|| {
        interrupt.requested()
    }) {
        Ok(written) => written,
        Err(error) => {
            if error.is::<files::Stopped>() {
                if report_created {
                    // Only removes the folder when it is still empty.
                    let _ = std::fs::remove_dir(&report_dir);
                }
                stop_point()?;
            }
            return Err(crate::cli::write_failure(error, lang));
        }
    };
    // The report's files are in place, so the scenario file is written
    // even if a signal arrives now: the two outputs belong together.
    written.extend(
        files::write_all(&out_dir, &[(scenario_file_name, text.into_bytes())])
            .map_err(|error| crate::cli::write_failure(error, lang))?,
    );

    print_summary(&calibration, &validation, lang);
    println!("{}", lang.pick("files written:", "已写出的文件："));
    for path in written {
        println!("  {}", path.display());
    }
    Ok(())
}

fn print_summary(
    calibration: &crate::calibrate::Calibration,
    validation: &crate::calibrate::validate::Validation,
    lang: Lang,
) {
    use comfy_table::presets::UTF8_FULL_CONDENSED;
    use comfy_table::Table;

    let chosen = &calibration.chosen;
    let family = match (chosen.family, lang) {
        (crate::calibrate::LaunchFamily::Poisson, Lang::En) => "Poisson",
        (crate::calibrate::LaunchFamily::Poisson, Lang::ZhCn) => "泊松",
        (crate::calibrate::LaunchFamily::Bursty, Lang::En) => "bursty",
        (crate::calibrate::LaunchFamily::Bursty, Lang::ZhCn) => "连续访问",
    };
    match lang {
        Lang::En => println!(
            "{} pairs, {} visits; launch model: {family}, {} segments (lowest BIC of {} candidates); profile in UTC{}",
            calibration.statistics.units,
            calibration.statistics.visits,
            chosen.segments.len(),
            calibration.candidates.len(),
            offset_text((calibration.options.utc_offset_ms / 60_000) as i32)
        ),
        Lang::ZhCn => println!(
            "{} 个对，{} 次访问；启动模型：{family}，{} 个分群（{} 个候选模型中 BIC 最低）；每日分布时区 UTC{}",
            calibration.statistics.units,
            calibration.statistics.visits,
            chosen.segments.len(),
            calibration.candidates.len(),
            offset_text((calibration.options.utc_offset_ms / 60_000) as i32)
        ),
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        lang.pick("segment", "分群"),
        lang.pick("share", "占比"),
        lang.pick("visits / day", "访问/天"),
        lang.pick("visits / episode", "访问/片段"),
        lang.pick("visit median", "访问时长中位数"),
        lang.pick("visit p90", "访问时长 p90"),
    ]);
    for segment in &calibration.segments {
        let median = segment.session.distribution.median_s();
        let p90 = segment.session.distribution.p90_s();
        table.add_row(vec![
            segment.name.clone(),
            format!("{:.1} %", segment.share * 100.0),
            format!("{:.2}", segment.launches_per_day),
            segment
                .burst
                .map_or_else(|| "1".to_string(), |b| format!("{:.2}", b.mean_visits)),
            format!("{median:.0} s"),
            format!("{p90:.0} s"),
        ]);
    }
    println!("{table}");
    let passed = validation.comparisons.iter().filter(|c| c.passed()).count();
    match lang {
        Lang::En => println!(
            "validation: {passed} of {} statistics within tolerance",
            validation.comparisons.len()
        ),
        Lang::ZhCn => println!(
            "验证：{} 个统计量中 {passed} 个在容差内",
            validation.comparisons.len()
        ),
    }
}
