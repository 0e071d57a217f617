//! Command-line arguments (clap derive). Help texts are English here and
//! replaced by Chinese ones in `help_zh` when the language is Chinese.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Simulate how fast a mini-program update reaches users, and what each update policy costs.
#[derive(Debug, Parser)]
#[command(name = "rollout-sim", version, propagate_version = true)]
pub struct Cli {
    /// Language of messages, tables and charts: en or zh-CN (default: from LANG/LC_ALL).
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,

    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every policy of a scenario and write timeseries.csv, summary.csv and charts.
    Run(RunArgs),
    /// Validate a scenario and print what it would simulate, without running it.
    Check(CheckArgs),
    /// Measure the engine's speed and peak memory at several population sizes.
    Bench(BenchArgs),
    /// Sum the counters of `run --shard` outputs and write the files of the whole run.
    Merge(MergeArgs),
    /// Run a scenario across the values of one parameter and write sweep.csv and a chart.
    Sweep(SweepArgs),
    /// Print one simulated user's whole timeline under one policy.
    Explain(ExplainArgs),
    /// Fit a scenario's population to a launch trace and write it with a fit report.
    Calibrate(super::calibrate::CalibrateArgs),
    /// Fit uncertain parameters to the launch coverage of a release's first hours and forecast the rest.
    Forecast(super::forecast::ForecastArgs),
}

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML); without it, the built-in WeChat default scenario runs.
    pub scenario: Option<PathBuf>,
    /// Output folder (default: out/<scenario file stem>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Master seed; overrides run.seed.
    /// From 0 to 2^63 − 1, the range of run.seed in the scenario file.
    #[arg(long, value_name = "N", value_parser = seed_parser())]
    pub seed: Option<u64>,
    /// Monte Carlo replications; overrides run.replications.
    #[arg(long, value_name = "N")]
    pub replications: Option<u32>,
    /// Existing users; overrides population.users.
    #[arg(long, value_name = "N")]
    pub users: Option<u64>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Overwrite an output folder that holds another scenario's results.
    #[arg(long)]
    pub force: bool,
    /// Simulate only shard K of N (0 <= K < N) of every replication's users and write its raw counters (shard.bin) for `merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Largest memory the run may need, e.g. 8GB (default: the available memory).
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario file (TOML); without it, the built-in default scenario is checked.
    pub scenario: Option<PathBuf>,
    /// Largest memory the run may need, e.g. 8GB (default: the available memory).
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
}

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Scenario file (TOML); without it, the built-in default scenario is measured.
    pub scenario: Option<PathBuf>,
    /// Existing users of each measured run, comma-separated; each runs in its own process.
    #[arg(
        long,
        value_name = "N,N,...",
        value_delimiter = ',',
        default_value = "1000000,3000000,10000000"
    )]
    pub users: Vec<u64>,
    /// Monte Carlo replications of each measured run.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub replications: u32,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Simulated time, e.g. 3d or 14d; overrides run.horizon and must be a whole number of run.sample_every.
    #[arg(long, value_name = "DURATION")]
    pub horizon: Option<String>,
    /// Skip the random-number floor measurement.
    #[arg(long)]
    pub no_floor: bool,
    /// Measure one size in this process and print the result as TOML (used by `bench` itself).
    #[arg(long, hide = true)]
    pub child: bool,
}

/// Arguments of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The scenario file (TOML) the shards were run from.
    pub scenario: PathBuf,
    /// Output folders of `run --shard K/N` (or their shard.bin files), every K from 0 to N-1 once.
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
    /// Output folder (default: out/<scenario file stem>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overwrite an output folder that contains another scenario's results.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The parameter and its range as KEY=START:END:STEP, e.g. policy.prompt.accept=0.1:0.9:0.1 or population.segment.daily.keep_alive=5m:60m:5m.
    #[arg(long, value_name = "KEY=START:END:STEP")]
    pub param: String,
    /// Summary figure to collect and chart, as named in summary.csv.
    #[arg(long, value_name = "METRIC", default_value = "t95_launch_coverage_h")]
    pub metric: String,
    /// Only this policy (default: every policy of the scenario).
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,
    /// Output folder (default: out/<scenario file stem>-sweep).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Master seed; overrides run.seed. Every value runs with the same seed.
    /// From 0 to 2^63 − 1, the range of run.seed in the scenario file.
    #[arg(long, value_name = "N", value_parser = seed_parser())]
    pub seed: Option<u64>,
    /// Monte Carlo replications per value; overrides run.replications.
    #[arg(long, value_name = "N")]
    pub replications: Option<u32>,
    /// Existing users; overrides population.users.
    #[arg(long, value_name = "N")]
    pub users: Option<u64>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Largest memory one value's run may need, e.g. 8GB (default: the available memory).
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
}

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Scenario file (TOML); without it, the built-in default scenario is used.
    pub scenario: Option<PathBuf>,
    /// User index: existing users are 0 to users - 1, new users follow in order of arrival.
    #[arg(long, value_name = "N")]
    pub user: u64,
    /// Policy to replay (default: the scenario's first policy).
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,
    /// Replication index, from 0 (default: 0).
    #[arg(long, value_name = "R")]
    pub replication: Option<u32>,
    /// Master seed; overrides run.seed, as in run.
    /// From 0 to 2^63 − 1, the range of run.seed in the scenario file.
    #[arg(long, value_name = "N", value_parser = seed_parser())]
    pub seed: Option<u64>,
    /// Replications; overrides run.replications, as in run.
    #[arg(long, value_name = "N")]
    pub replications: Option<u32>,
    /// Existing users; overrides population.users, as in run.
    #[arg(long, value_name = "N")]
    pub users: Option<u64>,
}

/// Parses `--seed`: a TOML integer is signed, so the manifest can record
/// seeds up to `i64::MAX` only, the same range as `run.seed`.
pub(crate) fn seed_parser() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(..=i64::MAX as u64)
}
