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
