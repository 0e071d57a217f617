//! `rollout-sim sweep`: run a scenario across the values of one parameter
//! and write `sweep.csv`, `sweep.svg` and `sweep.png`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};
use serde::Serialize;

use crate::cli::args::{RunArgs, SweepArgs};
use crate::cli::interrupt::Interrupt;
use crate::cli::progress::DelayedProgress;
use crate::cli::run::{launch_source, options, prepare_out_dir, remove_new_out_dir, write_files};
use crate::cli::{limits, CliError};
use crate::engine::budget;
use crate::engine::runner::{self, RunOutput};
use crate::i18n::{io_error_text, Lang};
use crate::output::chart::{render_png, render_svg};
use crate::output::csv::format_number;
use crate::report::charts::{self, CHART_HEIGHT, CHART_WIDTH};
use crate::scenario::{self, Scenario};
use crate::stats::aggregate::{aggregate, RunResult};
use crate::stats::bins::Bins;
use crate::sweep::{parse_param, ParamError, SweepParam};

/// Width of `sweep.png` in pixels.
const PNG_WIDTH: u32 = 1440;
/// Height of `sweep.png` in pixels.
const PNG_HEIGHT: u32 = 780;

#[derive(Serialize)]
struct SweepRow<'a> {
    param: &'a str,
    param_value: &'a str,
    policy: &'a str,
    metric: &'a str,
    value: String,
}

/// Returns the default output folder: `out/<scenario file stem>-sweep`.
fn default_out_dir(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    Path::new("out").join(format!("{stem}-sweep"))
}

/// Names of the summary figures a run of `scenario` produces, taken from
/// aggregating an empty run so the list cannot drift from `summary.csv`.
fn summary_metrics(scenario: &Scenario) -> Vec<String> {
    let empty = RunOutput {
        bins: vec![
            vec![Bins::new(
                scenario.run.bins(),
                scenario.run.sample_every.0,
                scenario.versions.len()
            )];
            scenario.policies.len()
        ],
        clients: Vec::new(),
        users: 0,
        replications: 1,
        seed: scenario.run.seed,
        handled_events: 0,
    };
    aggregate(scenario, &empty)
        .policies
        .first()
        .map(|policy| {
            policy
                .summary
                .iter()
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Validates every value of the sweep before anything runs, so a bad value
/// fails at once with exit code 2.
fn scenarios_for(param: &SweepParam, path: &Path, lang: Lang) -> Result<Vec<Scenario>, CliError> {
    let bytes = std::fs::read(path).map_err(|error| {
        CliError::Invalid(match lang {
            Lang::En => format!("{}: cannot read the scenario file: {error}", path.display()),
            Lang::ZhCn => format!(
                "{}：无法读取场景文件：{}",
                path.display(),
                io_error_text(&error, lang)
            ),
        })
    })?;
    let text = crate::scenario::decode_text(&path.display().to_string(), bytes)
        .map_err(|error| CliError::Invalid(error.render(lang)))?;
    let file = path.display().to_string();
    param
        .values
        .iter()
        .map(|value| {
            let changed = param.apply(&text, value).map_err(|error| {
                // A file that is not TOML gets the scenario parser's message,
                // which names the line.
                match (&error, scenario::parse(&text, &file, path.parent())) {
                    (ParamError::Toml(_), Err(invalid)) => CliError::Invalid(invalid.render(lang)),
                    _ => CliError::Invalid(error.render(lang)),
                }
            })?;
            scenario::parse(&changed, &file, path.parent()).map_err(|error| {
                CliError::Invalid(match lang {
                    Lang::En => format!(
                        "with --param {} = {}: {}",
                        param.key,
                        value.text,
                        error.render(lang)
                    ),
                    Lang::ZhCn => format!(
                        "在 --param {} = {} 时：{}",
                        param.key,
                        value.text,
                        error.render(lang)
                    ),
                })
            })
        })
        .collect()
}

fn pick_policies(
    scenario: &Scenario,
    requested: Option<&str>,
    lang: Lang,
) -> Result<Vec<usize>, CliError> {
    let Some(name) = requested else {
        return Ok((0..scenario.policies.len()).collect());
    };
    match scenario.policies.iter().position(|p| p.name == name) {
        Some(index) => Ok(vec![index]),
        None => {
            let names: Vec<&str> = scenario.policies.iter().map(|p| p.name.as_str()).collect();
            Err(CliError::Invalid(match lang {
                Lang::En => format!(
                    "invalid value {name} for --policy: the scenario has no such policy; use one of {}",
                    names.join(", ")
                ),
                Lang::ZhCn => format!(
                    "--policy 的取值 {name} 无效：场景中没有该策略；请使用 {} 之一",
                    names.join("、")
                ),
            }))
        }
    }
}

fn check_metric(scenario: &Scenario, metric: &str, lang: Lang) -> Result<(), CliError> {
    let known = summary_metrics(scenario);
    if known.iter().any(|name| name == metric) {
        return Ok(());
    }
    Err(CliError::Invalid(match lang {
        Lang::En => format!(
            "invalid value {metric} for --metric: not a figure of summary.csv; use one of:\n  {}",
            known.join("\n  ")
        ),
        Lang::ZhCn => format!(
            "--metric 的取值 {metric} 无效：summary.csv 中没有该指标；请使用以下之一：\n  {}",
            known.join("\n  ")
        ),
    }))
}

fn figure(result: &RunResult, policy: usize, metric: &str) -> Option<f64> {
    result.policies[policy]
        .summary
        .iter()
        .find(|(name, _)| name == metric)
        .and_then(|(_, value)| *value)
}

/// Runs the `sweep` command.
pub fn execute(args: &SweepArgs, lang: Lang) -> Result<(), CliError> {
    let interrupt =
        Interrupt::install().context("cannot install the SIGINT and SIGTERM handlers")?;
    let param = parse_param(&args.param).map_err(|error| CliError::Invalid(error.render(lang)))?;
    if param.key == "population.users" && args.users.is_some() {
        // --users overrides the file, so every swept value would run with it.
        return Err(CliError::Invalid(
            lang.pick(
                "--users overrides population.users, so the sweep would run every value with the same users; remove --users",
                "--users 会覆盖 population.users，扫描的每个取值都会使用同一用户数；请去掉 --users",
            )
            .to_string(),
        ));
    }
    let scenarios = scenarios_for(&param, &args.scenario, lang)?;
    let first = &scenarios[0];
    let policies = pick_policies(first, args.policy.as_deref(), lang)?;
    check_metric(first, &args.metric, lang)?;
    let run_args = RunArgs {
        scenario: Some(args.scenario.clone()),
        out: None,
        seed: args.seed,
        replications: args.replications,
        users: args.users,
        threads: args.threads,
        force: false,
        shard: None,
        memory_limit: None,
    };
    let options = options(&run_args, lang)?;
    // The values run one after the other, so each must fit on its own, as
    // `run` checks before it starts.
    let flag_limit = match &args.memory_limit {
        Some(text) => Some(limits::parse_memory_limit(text, lang)?),
        None => None,
    };
    let limit = budget::memory_limit(flag_limit);
    for scenario in &scenarios {
        let replications = options.replications.unwrap_or(scenario.run.replications);
        limits::check_memory(scenario, replications, options.threads, &limit, lang)?;
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.scenario));
    // A sweep writes no manifest, so there is no other scenario to protect.
    let created = prepare_out_dir(&out_dir, "", true, lang)?;
    let inputs = SweepInputs {
        param: &param,
        scenarios: &scenarios,
        policies: &policies,
        options: &options,
    };
    let result = sweep_and_write(args, lang, inputs, &out_dir, &interrupt);
    remove_new_out_dir(result, created, &out_dir, &interrupt, lang)
}

/// Inputs of a validated sweep.
struct SweepInputs<'a> {
    param: &'a SweepParam,
    /// One scenario per swept value, in the order of `param.values`.
    scenarios: &'a [Scenario],
    /// Indices of the policies whose figures are collected.
    policies: &'a [usize],
    options: &'a runner::RunOptions,
}

/// Runs every value of the sweep, writes the files and prints the table.
/// A signal stops it between chunks of users with
/// [`CliError::Interrupted`].
fn sweep_and_write(
    args: &SweepArgs,
    lang: Lang,
    inputs: SweepInputs,
    out_dir: &Path,
    interrupt: &Interrupt,
) -> Result<(), CliError> {
    let SweepInputs {
        param,
        scenarios,
        policies,
        options,
    } = inputs;
    let first = &scenarios[0];
    let count = scenarios.len() as u64;
    let bar = DelayedProgress::for_users(lang);
    let mut values: Vec<(String, Vec<Option<f64>>)> = policies
        .iter()
        .map(|&index| (first.policies[index].name.clone(), Vec::new()))
        .collect();
    for (step, scenario) in scenarios.iter().enumerate() {
        let source = launch_source(scenario, lang);
        let output = source.and_then(|source| {
            let progress = |done: u64, total: u64| {
                bar.update(step as u64 * total + done, count * total);
            };
            runner::run_until(scenario, &source, options, &progress, interrupt.flag())
                .map_err(CliError::from)
        });
        let output = match output {
            Ok(output) => output,
            Err(error) => {
                bar.finish();
                interrupt.check(out_dir, lang)?;
                return Err(error);
            }
        };
        let result = aggregate(scenario, &output);
        for (line, &policy) in values.iter_mut().zip(policies) {
            line.1.push(figure(&result, policy, &args.metric));
        }
    }
    bar.finish();

    let mut writer = csv::Writer::from_writer(Vec::new());
    for (name, line) in &values {
        for (value, figure) in param.values.iter().zip(line) {
            writer
                .serialize(SweepRow {
                    param: &param.key,
                    param_value: &value.text,
                    policy: name,
                    metric: &args.metric,
                    value: figure.map(format_number).unwrap_or_default(),
                })
                .context("cannot render sweep.csv")?;
        }
    }
    let csv = writer
        .into_inner()
        .map_err(|error| anyhow::anyhow!("cannot render sweep.csv: {}", error.error()))?;
    let chart = charts::sweep(param, &args.metric, &values, lang);
    let svg = render_svg(&chart, CHART_WIDTH, CHART_HEIGHT).context("cannot draw sweep.svg")?;
    let png = render_png(&chart, PNG_WIDTH, PNG_HEIGHT).context("cannot draw sweep.png")?;
    let outputs: Vec<(&str, Vec<u8>)> = vec![
        ("sweep.csv", csv),
        ("sweep.svg", svg.into_bytes()),
        ("sweep.png", png),
    ];
    let written = write_files(out_dir, &outputs, lang, interrupt)?;

    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec![param.key.clone()];
    header.extend(values.iter().map(|(name, _)| name.clone()));
    table.set_header(header);
    for (index, value) in param.values.iter().enumerate() {
        let mut row = vec![value.text.clone()];
        for (_, line) in &values {
            row.push(match line[index] {
                Some(figure) => format_number(figure),
                None if args.metric.ends_with("_h") => {
                    lang.pick("not reached", "未达到").to_string()
                }
                None => "–".to_string(),
            });
        }
        table.add_row(row);
    }
    for column in 1..=values.len() {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    println!("{}", args.metric);
    println!("{table}");
    println!(
        "{}",
        match lang {
            Lang::En => format!("{} values; files in {}:", count, out_dir.display()),
            Lang::ZhCn => format!("{} 个取值；文件位于 {}：", count, out_dir.display()),
        }
    );
    for path in written {
        println!("  {}", path.display());
    }
    Ok(())
}
