//! `rollout-sim forecast`: fit the uncertain parameters of a scenario to
//! the launch coverage observed in the first hours after a release, and
//! forecast the rest of the curve.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};
use serde::Serialize;

use crate::cli::args::seed_parser;
use crate::cli::interrupt::Interrupt;
use crate::cli::limits::{self, Job};
use crate::cli::run::{prepare_out_dir, remove_new_out_dir, write_files};
use crate::cli::{load_scenario, CliError};
use crate::engine::budget;
use crate::forecast::observed::{read_observed, ObservedCurve};
use crate::forecast::{
    fit_bins, forecast_until, Forecast, ForecastError, ForecastOptions, Parameter,
};
use crate::i18n::Lang;
use crate::output::chart::{
    render_png, render_svg, BandPoint, BandSeries, HorizontalLine, LineChart, VerticalMarker, YAxis,
};
use crate::output::csv::format_number;
use crate::scenario::{self, Scenario};

/// Arguments of `forecast`.
#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// Scenario file (TOML) of the release being observed.
    pub scenario: PathBuf,
    /// Observed launch coverage: CSV with time_h, launch_coverage and optionally platform.
    #[arg(long, value_name = "FILE")]
    pub observed: PathBuf,
    /// Output folder (default: out/<scenario file stem>-forecast).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Policy the app uses, by name (default: the scenario's first policy).
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,
    /// Simulated users per run (default: the scenario's, at most 20000).
    #[arg(long, value_name = "N")]
    pub users: Option<u64>,
    /// Parameter draws behind the forecast band.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub draws: usize,
    /// Largest number of simulations in the parameter search.
    #[arg(long, value_name = "N", default_value_t = 120)]
    pub max_evaluations: usize,
    /// Master seed; overrides run.seed.
    /// From 0 to 2^63 − 1, the range of run.seed in the scenario file.
    #[arg(long, value_name = "N", value_parser = seed_parser())]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Largest memory the forecast may need, e.g. 8GB (default: the available memory).
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
}

/// Default cap on simulated users, which keeps a forecast of about 150
/// simulations of the observed hours under a minute on two cores.
const DEFAULT_MAX_USERS: u64 = 20_000;

fn invalid(lang: Lang, en: String, zh: String) -> CliError {
    CliError::Invalid(match lang {
        Lang::En => en,
        Lang::ZhCn => zh,
    })
}

/// Returns the scenario under another platform profile: the file with
/// `client.platform` replaced, validated again.
fn scenario_for_platform(
    text: &str,
    file: &str,
    base_dir: Option<&Path>,
    platform: &str,
    lang: Lang,
) -> Result<Scenario, CliError> {
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|error: toml_edit::TomlError| anyhow::anyhow!("{file}: {error}"))?;
    if !document.contains_key("client") {
        document.insert("client", toml_edit::table());
    }
    document["client"]["platform"] = toml_edit::value(platform);
    scenario::parse(&document.to_string(), file, base_dir)
        .map_err(|error| CliError::Invalid(error.render(lang)))
}

fn forecast_error(error: ForecastError, observed: &Path, lang: Lang) -> CliError {
    let file = observed.display();
    match error {
        ForecastError::TooFewPoints {
            found,
            parameters,
            needed,
        } => invalid(
            lang,
            format!("{file}: {found} observed points are too few to fit {parameters} parameters; give at least {needed} rows"),
            format!("{file}：{found} 个观测点不足以拟合 {parameters} 个参数；请至少提供 {needed} 行"),
        ),
        ForecastError::BeforeRelease {
            line,
            time_h,
            release_h,
        } => invalid(
            lang,
            format!("value {time_h} in column `time_h` at line {line} of {file} is not after the newest release at {release_h} h. The first row ends the first interval after the release."),
            format!("{file} 第 {line} 行 `time_h` 列的取值 {time_h} 不晚于最新版本的发布时间 {release_h} 小时。第一行是发布后第一个区间的结束时间。"),
        ),
        ForecastError::AfterHorizon {
            line,
            time_h,
            horizon_h,
        } => invalid(
            lang,
            format!("value {time_h} in column `time_h` at line {line} of {file} is after the scenario's horizon of {horizon_h} h. Lengthen run.horizon or drop the row."),
            format!("{file} 第 {line} 行 `time_h` 列的取值 {time_h} 晚于场景时长 {horizon_h} 小时。请延长 run.horizon 或删除该行。"),
        ),
        ForecastError::SameMinute { line, time_h } => invalid(
            lang,
            format!("value {time_h} in column `time_h` at line {line} of {file} rounds to the same whole minute as the previous row. Observed intervals must be at least a minute long."),
            format!("{file} 第 {line} 行 `time_h` 列的取值 {time_h} 取整到分钟后与上一行相同。观测区间至少需要一分钟。"),
        ),
        ForecastError::TraceScenario => invalid(
            lang,
            "forecast needs a scenario with population segments; this one replays a launch trace".to_string(),
            "forecast 需要含用户分群的场景；此场景回放的是启动轨迹".to_string(),
        ),
        ForecastError::Simulation(error) => CliError::Failed(error),
        // `execute` turns a cancel into `CliError::Interrupted` before it
        // calls this function, so this arm does not occur.
        ForecastError::Cancelled => CliError::Failed(anyhow::anyhow!("{error}")),
    }
}

fn parameter_name(parameter: Parameter, lang: Lang) -> &'static str {
    match (parameter, lang) {
        (Parameter::PeriodicCheckShare, Lang::En) => "periodic check share",
        (Parameter::PeriodicCheckShare, Lang::ZhCn) => "定期检查的客户端占比",
        (Parameter::PromptAccept, Lang::En) => "prompt accept rate",
        (Parameter::PromptAccept, Lang::ZhCn) => "提示接受率",
        (Parameter::KeepAliveScale, Lang::En) => "keep-alive scale",
        (Parameter::KeepAliveScale, Lang::ZhCn) => "后台存活时间倍数",
    }
}

fn hours_text(value: Option<f64>, lang: Lang) -> String {
    match value {
        Some(hours) => format!("{hours:.2}"),
        None => lang.pick("not reached", "未达到").to_string(),
    }
}

/// Runs the `forecast` command.
pub fn execute(args: &ForecastArgs, lang: Lang) -> Result<(), CliError> {
    let interrupt =
        Interrupt::install().context("cannot install the SIGINT and SIGTERM handlers")?;
    let (base, text) = load_scenario(Some(&args.scenario), lang)?;
    let curves: Vec<ObservedCurve> =
        read_observed(&args.observed).map_err(|error| CliError::Invalid(error.render(lang)))?;
    let policy = match &args.policy {
        Some(name) => base
            .policies
            .iter()
            .position(|p| &p.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = base.policies.iter().map(|p| p.name.as_str()).collect();
                invalid(
                    lang,
                    format!(
                        "invalid value '{name}' for --policy: the scenario's policies are {}",
                        names.join(", ")
                    ),
                    format!(
                        "--policy 的取值 '{name}' 无效：场景中的策略为 {}",
                        names.join("、")
                    ),
                )
            })?,
        None => 0,
    };
    if args.draws == 0 || args.users == Some(0) || args.threads == Some(0) {
        return Err(invalid(
            lang,
            "invalid value 0 for --draws, --users or --threads: use at least 1".to_string(),
            "--draws、--users 或 --threads 的取值 0 无效：请至少为 1".to_string(),
        ));
    }
    let options = ForecastOptions {
        policy,
        users: args
            .users
            .unwrap_or_else(|| base.population.users.clamp(1, DEFAULT_MAX_USERS)),
        draws: args.draws,
        seed: args.seed.unwrap_or(base.run.seed),
        threads: args.threads.unwrap_or(0),
        max_evaluations: args.max_evaluations.max(8),
    };
    let out_dir = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .scenario
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("scenario");
        Path::new("out").join(format!("{stem}-forecast"))
    });
    let file = args.scenario.display().to_string();
    let mut scenarios = Vec::with_capacity(curves.len());
    for curve in &curves {
        scenarios.push(match &curve.platform {
            Some(platform) if platform != base.client.platform.name() => (
                platform.clone(),
                scenario_for_platform(&text, &file, args.scenario.parent(), platform, lang)?,
            ),
            _ => (base.client.platform.name().to_string(), base.clone()),
        });
    }
    check_memory(args, &options, &curves, &scenarios, lang)?;
    // An unusable --out is invalid input, found before the long search.
    let created = prepare_out_dir(&out_dir, "", true, lang)?;

    let mut results: Vec<(String, Forecast)> = Vec::new();
    for (curve, (platform, scenario)) in curves.iter().zip(scenarios) {
        let result = forecast_until(&scenario, &curve.points, &options, interrupt.flag());
        if let Err(error) = interrupt.check(&out_dir, lang) {
            return remove_new_out_dir(Err(error), created, &out_dir, &interrupt, lang);
        }
        let result = result.map_err(|error| forecast_error(error, &args.observed, lang))?;
        results.push((platform, result));
    }

    let mut outputs: Vec<(String, Vec<u8>)> = vec![
        ("forecast.csv".to_string(), forecast_csv(&results)?),
        ("observed-fit.csv".to_string(), observed_csv(&results)?),
        ("forecast-summary.csv".to_string(), summary_csv(&results)?),
    ];
    let single = results.len() == 1;
    for (platform, result) in &results {
        let chart = forecast_chart(platform, result, &base.policies[policy].name, lang);
        let stem = if single {
            "forecast".to_string()
        } else {
            format!("forecast-{platform}")
        };
        let svg = render_svg(&chart, 900, 540).map_err(anyhow::Error::from)?;
        let png = render_png(&chart, 900, 540).map_err(anyhow::Error::from)?;
        outputs.push((format!("{stem}.svg"), svg.into_bytes()));
        outputs.push((format!("{stem}.png"), png));
    }
    let borrowed: Vec<(&str, Vec<u8>)> = outputs
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.clone()))
        .collect();
    // Only a folder that did not exist is removed after a signal.
    let written = match write_files(&out_dir, &borrowed, lang, &interrupt) {
        Ok(written) => written,
        Err(error) => return remove_new_out_dir(Err(error), created, &out_dir, &interrupt, lang),
    };

    match lang {
        Lang::En => println!(
            "policy {}, {} simulated users per run, {} parameter draws",
            base.policies[policy].name, options.users, options.draws
        ),
        Lang::ZhCn => println!(
            "策略 {}，每次模拟 {} 个用户，{} 组参数抽样",
            base.policies[policy].name, options.users, options.draws
        ),
    }
    for (platform, result) in &results {
        println!("{}", summary_table(platform, result, lang));
    }
    println!("{}", lang.pick("files written:", "已写出的文件："));
    for path in written {
        println!("  {}", path.display());
    }
    Ok(())
}

/// Rejects a forecast whose memory estimate exceeds the limit. The curves
/// are forecast one after the other, so each is checked on its own, with
/// the results of all curves kept until the files are written.
fn check_memory(
    args: &ForecastArgs,
    options: &ForecastOptions,
    curves: &[ObservedCurve],
    scenarios: &[(String, Scenario)],
    lang: Lang,
) -> Result<(), CliError> {
    let flag_limit = match &args.memory_limit {
        Some(text) => Some(limits::parse_memory_limit(text, lang)?),
        None => None,
    };
    let limit = budget::memory_limit(flag_limit);
    let threads = limits::effective_threads(options.threads);
    for (curve, (_, scenario)) in curves.iter().zip(scenarios) {
        let estimate = budget::estimate_forecast_memory(
            scenario,
            fit_bins(scenario, &curve.points),
            options.draws as u64,
            curves.len() as u64,
            threads,
        );
        limits::check_estimate(&estimate, Job::Forecast, &limit, lang)?;
    }
    Ok(())
}

fn summary_table(platform: &str, result: &Forecast, lang: Lang) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        platform.to_string(),
        lang.pick("scenario", "场景取值").to_string(),
        lang.pick("fitted", "拟合值").to_string(),
        lang.pick("90 % interval", "90 % 区间").to_string(),
    ]);
    for p in &result.parameters {
        table.add_row(vec![
            parameter_name(p.parameter, lang).to_string(),
            format!("{:.3}", p.prior),
            format!("{:.3}", p.estimate),
            format!("{:.3} – {:.3}", p.low, p.high),
        ]);
    }
    for reach in &result.reach {
        table.add_row(vec![
            match lang {
                Lang::En => format!("T{} launch coverage (h after release)", reach.threshold),
                Lang::ZhCn => format!("启动覆盖 T{}（发布后小时）", reach.threshold),
            },
            "".to_string(),
            hours_text(reach.estimate, lang),
            format!(
                "{} – {}",
                hours_text(reach.low, lang),
                hours_text(reach.high, lang)
            ),
        ]);
    }
    table.add_row(vec![
        lang.pick("fit RMSE (coverage)", "拟合均方根误差（覆盖率）")
            .to_string(),
        "".to_string(),
        format!("{:.4}", result.rmse),
        "".to_string(),
    ]);
    for index in 1..4 {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

fn forecast_chart(platform: &str, result: &Forecast, policy: &str, lang: Lang) -> LineChart {
    let band = BandSeries {
        label: lang
            .pick(
                "forecast (mean and 90 % band of parameter draws)",
                "预测（参数抽样的均值与 90 % 区间）",
            )
            .to_string(),
        points: result
            .times_h
            .iter()
            .zip(&result.band)
            .map(|(&x, value)| match value {
                Some(v) => BandPoint {
                    x,
                    mean: v.mean,
                    low: v.p05,
                    high: v.p95,
                },
                None => BandPoint {
                    x,
                    mean: f64::NAN,
                    low: f64::NAN,
                    high: f64::NAN,
                },
            })
            .collect(),
    };
    let line = |label: &str, points: Vec<(f64, f64)>| BandSeries {
        label: label.to_string(),
        points: points
            .into_iter()
            .map(|(x, mean)| BandPoint {
                x,
                mean,
                low: f64::NAN,
                high: f64::NAN,
            })
            .collect(),
    };
    let observed = line(
        lang.pick("observed", "观测值"),
        result
            .observed
            .iter()
            .map(|p| (p.time_h, p.launch_coverage))
            .collect(),
    );
    let last_observed = result.observed.last().map_or(0.0, |p| p.time_h);
    LineChart {
        title: match lang {
            Lang::En => format!("Launch coverage forecast: {platform}, policy {policy}"),
            Lang::ZhCn => format!("启动覆盖率预测：{platform}，策略 {policy}"),
        },
        x_label: lang
            .pick("Hours since t = 0", "自 t = 0 起的小时数")
            .to_string(),
        y_label: lang
            .pick("Launches on the newest version", "运行最新版本的启动占比")
            .to_string(),
        series: vec![band, observed],
        y_axis: YAxis::Fraction,
        markers: vec![VerticalMarker {
            x: last_observed,
            label: lang.pick("end of observations", "观测截止").to_string(),
        }],
        horizontal_lines: vec![HorizontalLine {
            y: 0.95,
            label: "95 %".to_string(),
        }],
    }
}

#[derive(Serialize)]
struct ForecastRow<'a> {
    platform: &'a str,
    time_h: String,
    fitted: String,
    mean: String,
    p05: String,
    p95: String,
}

fn forecast_csv(results: &[(String, Forecast)]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for (platform, result) in results {
        for (index, time) in result.times_h.iter().enumerate() {
            let band = result.band[index];
            let field = |f: fn(&crate::stats::aggregate::BandValue) -> f64| {
                band.as_ref().map(f).map(format_number).unwrap_or_default()
            };
            writer.serialize(ForecastRow {
                platform,
                time_h: format_number(*time),
                fitted: result.fitted[index].map(format_number).unwrap_or_default(),
                mean: field(|v| v.mean),
                p05: field(|v| v.p05),
                p95: field(|v| v.p95),
            })?;
        }
    }
    writer.into_inner().context("cannot render forecast.csv")
}

#[derive(Serialize)]
struct ObservedRow<'a> {
    platform: &'a str,
    time_h: String,
    observed: String,
    fitted: String,
}

fn observed_csv(results: &[(String, Forecast)]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for (platform, result) in results {
        for (point, fitted) in result.observed.iter().zip(&result.fitted_at_observed) {
            writer.serialize(ObservedRow {
                platform,
                time_h: format_number(point.time_h),
                observed: format_number(point.launch_coverage),
                fitted: format_number(*fitted),
            })?;
        }
    }
    writer
        .into_inner()
        .context("cannot render observed-fit.csv")
}

#[derive(Serialize)]
struct SummaryRow<'a> {
    platform: &'a str,
    figure: String,
    estimate: String,
    p05: String,
    p95: String,
}

fn summary_csv(results: &[(String, Forecast)]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let optional = |value: Option<f64>| value.map(format_number).unwrap_or_default();
    for (platform, result) in results {
        for p in &result.parameters {
            writer.serialize(SummaryRow {
                platform,
                figure: p.parameter.name().to_string(),
                estimate: format_number(p.estimate),
                p05: format_number(p.low),
                p95: format_number(p.high),
            })?;
        }
        for reach in &result.reach {
            writer.serialize(SummaryRow {
                platform,
                figure: format!("t{}_launch_coverage_h", reach.threshold),
                estimate: optional(reach.estimate),
                p05: optional(reach.low),
                p95: optional(reach.high),
            })?;
        }
        writer.serialize(SummaryRow {
            platform,
            figure: "rmse".to_string(),
            estimate: format_number(result.rmse),
            p05: String::new(),
            p95: String::new(),
        })?;
    }
    writer
        .into_inner()
        .context("cannot render forecast-summary.csv")
}
