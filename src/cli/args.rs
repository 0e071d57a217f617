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
    #[arg(long, value_name = "N")]
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
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario file (TOML); without it, the built-in default scenario is checked.
    pub scenario: Option<PathBuf>,
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
    /// Overwrite an output folder that holds another scenario's results.
    #[arg(long)]
    pub force: bool,
}
