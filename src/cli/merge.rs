//! `rollout-sim merge`: sum the counters of shard runs and write the files
//! the unsharded run would have written.

use std::time::Instant;

use anyhow::Context as _;

use crate::cli::args::MergeArgs;
use crate::cli::interrupt::Interrupt;
use crate::cli::run::{default_out_dir, prepare_out_dir, write_results};
use crate::cli::{load_scenario, CliError};
use crate::i18n::Lang;
use crate::output::manifest::scenario_hash;
use crate::output::shard::{self, ShardFile};

/// Runs the `merge` command.
pub fn execute(args: &MergeArgs, lang: Lang) -> Result<(), CliError> {
    let interrupt =
        Interrupt::install().context("cannot install the SIGINT and SIGTERM handlers")?;
    let started = Instant::now();
    let (scenario, text) = load_scenario(Some(&args.scenario), lang)?;
    let hash = scenario_hash(&text);
    let mut shards = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        let file = ShardFile::read(path).map_err(|error| CliError::Invalid(error.render(lang)))?;
        shards.push((path.clone(), file));
    }
    let output = shard::merge_shards(&scenario, &hash, shards)
        .map_err(|error| CliError::Invalid(error.render(lang)))?;

    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(Some(&args.scenario)));
    prepare_out_dir(&out_dir, &hash, args.force, lang)?;
    let name = args.scenario.display().to_string();
    write_results(
        &scenario, &output, &name, hash, &out_dir, lang, started, &interrupt,
    )
}
