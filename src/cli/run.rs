//! `rollout-sim run`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;

use crate::cli::args::RunArgs;
use crate::cli::interrupt::Interrupt;
use crate::cli::limits;
use crate::cli::progress::DelayedProgress;
use crate::cli::{load_scenario, CliError};
use crate::engine::budget;
use crate::engine::runner::{self, RunOptions};
use crate::i18n::Lang;
use crate::model::population::{self, LaunchSource};
use crate::output::manifest::{scenario_hash, ExistingManifest, Manifest};
use crate::output::shard::{self, ShardFile};
use crate::output::{csv, files, table};
use crate::scenario::{self, Scenario};

pub(crate) fn invalid_flag(
    flag: &str,
    value: impl std::fmt::Display,
    en: &str,
    zh: &str,
    lang: Lang,
) -> CliError {
    CliError::Invalid(match lang {
        Lang::En => format!("invalid value {value} for {flag}: {en}"),
        Lang::ZhCn => format!("{flag} 的取值 {value} 无效：{zh}"),
    })
}

/// Largest `--threads` value: more threads than this only add stacks and
/// scheduling, since work is split in chunks of 1,024 users.
pub(crate) const MAX_THREADS: usize = 1024;

/// Checks the command-line overrides against the same limits as the file.
pub(crate) fn options(args: &RunArgs, lang: Lang) -> Result<RunOptions, CliError> {
    if let Some(users) = args.users {
        if users == 0 || users > scenario::MAX_USERS {
            return Err(invalid_flag(
                "--users",
                users,
                &format!("use a number from 1 to {}", scenario::MAX_USERS),
                &format!("请使用 1 到 {} 之间的数", scenario::MAX_USERS),
                lang,
            ));
        }
    }
    if let Some(replications) = args.replications {
        if replications == 0 || replications > scenario::MAX_REPLICATIONS {
            return Err(invalid_flag(
                "--replications",
                replications,
                &format!("use a number from 1 to {}", scenario::MAX_REPLICATIONS),
                &format!("请使用 1 到 {} 之间的数", scenario::MAX_REPLICATIONS),
                lang,
            ));
        }
    }
    if let Some(threads) = args.threads {
        if threads == 0 || threads > MAX_THREADS {
            return Err(invalid_flag(
                "--threads",
                threads,
                &format!("use a number from 1 to {MAX_THREADS} (or omit it for one per core)"),
                &format!("请使用 1 到 {MAX_THREADS} 之间的数（或省略以每核一个）"),
                lang,
            ));
        }
    }
    let shard = match &args.shard {
        Some(text) => Some(parse_shard(text, lang)?),
        None => None,
    };
    Ok(RunOptions {
        threads: args.threads.unwrap_or(0),
        users: args.users,
        replications: args.replications,
        seed: args.seed,
        shard,
    })
}

/// Parses `--shard K/N` with `0 <= K < N`.
fn parse_shard(text: &str, lang: Lang) -> Result<(u64, u64), CliError> {
    let parsed = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?)));
    match parsed {
        Some((k, n)) if k < n => Ok((k, n)),
        _ => Err(invalid_flag(
            "--shard",
            text,
            "use K/N with whole numbers 0 <= K < N, e.g. 0/4 for the first of 4 shards",
            "请使用 K/N 形式，K、N 为整数且 0 <= K < N，例如 0/4 表示 4 个分片中的第一个",
            lang,
        )),
    }
}

/// Returns the default output folder, `out/<scenario file stem>`.
pub(crate) fn default_out_dir(scenario_path: Option<&Path>) -> PathBuf {
    let stem = scenario_path
        .and_then(|p| p.file_stem())
        .and_then(|s| s.to_str())
        .unwrap_or("wechat-default");
    Path::new("out").join(stem)
}

/// Result files whose presence, without a readable manifest, marks a folder
/// as holding results of an unknown scenario.
const RESULT_FILES: [&str; 2] = ["timeseries.csv", "summary.csv"];

/// Rejects an `--out` path that is not a folder, and a folder holding
/// another scenario's results (or results of an unknown scenario) unless
/// `--force` is given. Creates the folder and makes sure it is writable
/// before the long run starts, and returns whether it created it.
pub(crate) fn prepare_out_dir(
    dir: &Path,
    hash: &str,
    force: bool,
    lang: Lang,
) -> Result<bool, CliError> {
    let shown = dir.display();
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::Invalid(match lang {
            Lang::En => format!(
                "--out {shown} is an existing file, not a folder; choose a folder path for --out"
            ),
            Lang::ZhCn => {
                format!("--out {shown} 是已存在的文件而不是目录；请为 --out 指定目录路径")
            }
        }));
    }
    // A file on the way (`--out results.csv/x`) would otherwise read as an
    // unreadable manifest below.
    if let Some(file) = dir.ancestors().skip(1).find(|a| a.is_file()) {
        let file = file.display();
        return Err(CliError::Invalid(match lang {
            Lang::En => format!(
                "--out {shown}: {file} is a file, not a folder; choose a folder path for --out"
            ),
            Lang::ZhCn => {
                format!("--out {shown}：{file} 是文件而不是目录；请为 --out 指定目录路径")
            }
        }));
    }
    if !force {
        match Manifest::read_existing(dir) {
            ExistingManifest::Valid(existing) if existing.scenario_sha256 != hash => {
                return Err(CliError::Invalid(match lang {
                    Lang::En => format!(
                        "{shown} holds the results of another scenario ({}); choose another --out folder, or add --force to overwrite them",
                        existing.scenario
                    ),
                    Lang::ZhCn => format!(
                        "{shown} 中保存着另一个场景（{}）的结果；请用 --out 指定其他目录，或加上 --force 覆盖",
                        existing.scenario
                    ),
                }));
            }
            ExistingManifest::Valid(_) => {}
            ExistingManifest::Unreadable { kind, text } => {
                return Err(CliError::Invalid(match lang {
                    Lang::En => format!(
                        "{shown}/manifest.toml is invalid ({text}), so the results in {shown} cannot be matched to a scenario; choose another --out folder, or add --force to overwrite them"
                    ),
                    Lang::ZhCn => format!(
                        "无法读取 {shown}/manifest.toml：{}，无法确定 {shown} 中的结果属于哪个场景；请用 --out 指定其他目录，或加上 --force 覆盖",
                        crate::i18n::io_error_kind_text(kind, &text, lang)
                    ),
                }));
            }
            ExistingManifest::Invalid(reason) => {
                return Err(CliError::Invalid(match lang {
                    Lang::En => format!(
                        "{shown}/manifest.toml is invalid ({reason}), so the results in {shown} cannot be matched to a scenario; choose another --out folder, or add --force to overwrite them"
                    ),
                    Lang::ZhCn => format!(
                        "{shown}/manifest.toml 无效（{reason}），无法确定 {shown} 中的结果属于哪个场景；请用 --out 指定其他目录，或加上 --force 覆盖"
                    ),
                }));
            }
            ExistingManifest::Absent => {
                if let Some(name) = RESULT_FILES.iter().find(|name| dir.join(name).exists()) {
                    return Err(CliError::Invalid(match lang {
                        Lang::En => format!(
                            "{shown} holds {name} but no manifest.toml, so its scenario is unknown; choose another --out folder, or add --force to overwrite the results"
                        ),
                        Lang::ZhCn => format!(
                            "{shown} 中有 {name} 但没有 manifest.toml，无法确定其场景；请用 --out 指定其他目录，或加上 --force 覆盖这些结果"
                        ),
                    }));
                }
            }
        }
    }
    let created = !dir.exists();
    let unusable = |what_en: &str, what_zh: &str, error: std::io::Error| {
        CliError::Invalid(match lang {
            Lang::En => format!(
                "{what_en} {shown} ({error}); choose an --out folder in a place you can write to"
            ),
            Lang::ZhCn => format!(
                "{what_zh} {shown}：{}；请为 --out 指定一个可写位置的目录",
                crate::i18n::io_error_text(&error, lang)
            ),
        })
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| unusable("cannot create the output folder", "无法创建输出目录", e))?;
    tempfile::tempfile_in(dir)
        .map_err(|e| unusable("cannot write to the output folder", "无法写入输出目录", e))?;
    Ok(created)
}

/// Reads the launch source, turning trace errors into invalid input.
pub(crate) fn launch_source(scenario: &Scenario, lang: Lang) -> Result<LaunchSource, CliError> {
    population::load_launch_source(scenario).map_err(|error| CliError::Invalid(error.render(lang)))
}

/// Runs the `run` command.
pub fn execute(args: &RunArgs, lang: Lang) -> Result<(), CliError> {
    let interrupt =
        Interrupt::install().context("cannot install the SIGINT and SIGTERM handlers")?;
    let (scenario, text) = load_scenario(args.scenario.as_deref(), lang)?;
    let options = options(args, lang)?;
    let flag_limit = match &args.memory_limit {
        Some(text) => Some(limits::parse_memory_limit(text, lang)?),
        None => None,
    };
    let replications = options.replications.unwrap_or(scenario.run.replications);
    let users = options.users.unwrap_or(scenario.population.users);
    let limit = budget::memory_limit(flag_limit);
    limits::check_memory(&scenario, replications, options.threads, &limit, lang)?;
    limits::warn_long_run(&scenario, users, replications, lang);
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(args.scenario.as_deref()));
    let hash = scenario_hash(&text);
    // A trace is input too: read it before the output folder is created.
    let source = launch_source(&scenario, lang)?;
    let created = prepare_out_dir(&out_dir, &hash, args.force, lang)?;
    // Printed once every input is valid, so an error comes alone.
    if let Some(note) = crate::cli::check::default_policy_note(&scenario, lang) {
        eprintln!("{note}");
    }
    let inputs = Inputs {
        scenario: &scenario,
        source: &source,
        options: &options,
        hash,
    };
    let result = simulate_and_write(args, lang, inputs, &out_dir, &interrupt);
    remove_new_out_dir(result, created, &out_dir, &interrupt, lang)
}

/// Removes `out_dir` when the command created it and a signal stopped the
/// command, so an interrupted command leaves no empty folder behind. The
/// folder is removed only while it is still empty.
pub(crate) fn remove_new_out_dir(
    result: Result<(), CliError>,
    created: bool,
    out_dir: &Path,
    interrupt: &Interrupt,
    lang: Lang,
) -> Result<(), CliError> {
    if created
        && matches!(result, Err(CliError::Interrupted { .. }))
        && std::fs::remove_dir(out_dir).is_ok()
    {
        return Err(interrupt.removed(out_dir, lang));
    }
    result
}

/// What a validated run simulates.
struct Inputs<'a> {
    scenario: &'a Scenario,
    source: &'a LaunchSource,
    options: &'a RunOptions,
    /// SHA-256 of the scenario text, for the manifest.
    hash: String,
}

/// Runs the simulation and writes the output files; a signal stops it
/// between steps with [`CliError::Interrupted`].
fn simulate_and_write(
    args: &RunArgs,
    lang: Lang,
    inputs: Inputs,
    out_dir: &Path,
    interrupt: &Interrupt,
) -> Result<(), CliError> {
    let Inputs {
        scenario,
        source,
        options,
        hash,
    } = inputs;

    let started = Instant::now();
    let bar = DelayedProgress::for_users(lang);
    let progress = |done: u64, total: u64| bar.update(done, total);
    let output = runner::run_until(scenario, source, options, &progress, interrupt.flag());
    bar.finish();
    interrupt.check(out_dir, lang)?;
    let output = output?;
    let name = args.scenario.as_ref().map_or_else(
        || scenario::DEFAULT_SCENARIO_NAME.to_string(),
        |p| p.display().to_string(),
    );
    if let Some((index, count)) = options.shard {
        return write_shard(
            scenario,
            output,
            &name,
            hash,
            (index, count),
            out_dir,
            lang,
            interrupt,
        );
    }
    write_results(
        scenario, &output, &name, hash, out_dir, lang, started, interrupt,
    )
}

/// Writes a shard run's counters (`shard.bin`) and manifest.
#[allow(clippy::too_many_arguments)]
fn write_shard(
    scenario: &Scenario,
    output: runner::RunOutput,
    name: &str,
    hash: String,
    (index, count): (u64, u64),
    out_dir: &Path,
    lang: Lang,
    interrupt: &Interrupt,
) -> Result<(), CliError> {
    let shard = ShardFile {
        format: shard::FORMAT,
        rollout_sim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_sha256: hash.clone(),
        seed: output.seed,
        users: output.users,
        replications: output.replications,
        shard_index: index,
        shard_count: count,
        policies: scenario.policies.iter().map(|p| p.name.clone()).collect(),
        bins: output.bins,
        clients: output.clients,
    };
    let manifest = Manifest {
        rollout_sim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: name.to_string(),
        scenario_sha256: hash,
        seed: output.seed,
        users: output.users,
        replications: output.replications,
        shard: Some(format!("{index}/{count}")),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let outputs: Vec<(&str, Vec<u8>)> = vec![
        (shard::SHARD_FILE, shard.to_bytes()),
        ("manifest.toml", manifest.to_toml().into_bytes()),
    ];
    let written = write_files(out_dir, &outputs, lang, interrupt)?;
    match lang {
        Lang::En => println!(
            "shard {index}/{count} of {} users x {} replications written; merge all {count} shards with `rollout-sim merge`:",
            output.users, output.replications
        ),
        Lang::ZhCn => println!(
            "已写出 {} 个用户 × {} 次重复的分片 {index}/{count}；请用 `rollout-sim merge` 合并全部 {count} 个分片：",
            output.users, output.replications
        ),
    }
    for path in written {
        println!("  {}", path.display());
    }
    Ok(())
}

/// Writes `outputs` into `out_dir` all or nothing, unless a signal
/// requests a stop first.
pub(crate) fn write_files(
    out_dir: &Path,
    outputs: &[(&str, Vec<u8>)],
    lang: Lang,
    interrupt: &Interrupt,
) -> Result<Vec<PathBuf>, CliError> {
    interrupt.check(out_dir, lang)?;
    match files::write_all_unless_stopped(out_dir, outputs, &|| interrupt.requested()) {
        Ok(written) => Ok(written),
        Err(error) => {
            if error.is::<files::Stopped>() {
                interrupt.check(out_dir, lang)?;
            }
            Err(crate::cli::write_failure(error, lang))
        }
    }
}

/// Returns the English noun for `count` things.
fn plural<'a>(count: u64, singular: &'a str, plural: &'a str) -> &'a str {
    if count == 1 {
        singular
    } else {
        plural
    }
}

/// Aggregates a run's counters, writes every output file into `out_dir`
/// and prints the summary table. `run` and `merge` both end here, so they
/// write the same files.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_results(
    scenario: &Scenario,
    output: &runner::RunOutput,
    name: &str,
    hash: String,
    out_dir: &Path,
    lang: Lang,
    started: Instant,
    interrupt: &Interrupt,
) -> Result<(), CliError> {
    let result = crate::stats::aggregate::aggregate(scenario, output);

    let manifest = Manifest {
        rollout_sim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: name.to_string(),
        scenario_sha256: hash,
        seed: output.seed,
        users: output.users,
        replications: output.replications,
        shard: None,
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let timeseries = csv::timeseries_csv(&result).context("cannot render timeseries.csv")?;
    let summary = csv::summary_csv(&result).context("cannot render summary.csv")?;
    let mut outputs: Vec<(&str, Vec<u8>)> =
        vec![("timeseries.csv", timeseries), ("summary.csv", summary)];
    outputs.extend(crate::report::render_charts(scenario, &result, lang)?);
    outputs.push((
        "report.html",
        crate::report::render_report(scenario, &result, lang)?,
    ));
    outputs.push(("manifest.toml", manifest.to_toml().into_bytes()));
    let written = write_files(out_dir, &outputs, lang, interrupt)?;

    println!("{}", scenario.run.name);
    println!("{}", table::summary_table(&result, lang));
    let elapsed = started.elapsed().as_secs_f64();
    // `output.users` counts existing users only; new users come on top.
    let with_new = scenario.population.new_users_per_day > 0.0;
    let users = match (lang, with_new) {
        (Lang::En, false) => format!("{} {}", output.users, plural(output.users, "user", "users")),
        (Lang::En, true) => format!("{} existing users plus new users", output.users),
        (Lang::ZhCn, false) => format!("{} 个用户", output.users),
        (Lang::ZhCn, true) => format!("{} 个存量用户及新用户", output.users),
    };
    match lang {
        Lang::En => println!(
            "{users} x {} {} x {} {} in {elapsed:.1} s; files in {}:",
            output.replications,
            plural(
                u64::from(output.replications),
                "replication",
                "replications"
            ),
            scenario.policies.len(),
            plural(scenario.policies.len() as u64, "policy", "policies"),
            out_dir.display()
        ),
        Lang::ZhCn => println!(
            "{users} × {} 次重复 × {} 个策略，用时 {elapsed:.1} 秒；文件位于 {}：",
            output.replications,
            scenario.policies.len(),
            out_dir.display()
        ),
    }
    for path in written {
        println!("  {}", path.display());
    }
    Ok(())
}
