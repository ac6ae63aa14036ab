//! `alluxio format [-s]`: wipes the master's journal, then the workers' cached blocks.
//!
//! The journal goes first because formatting it takes its lock: on a running cluster the master
//! holds that lock, so the command fails before touching a worker's storage (a running worker's
//! tier dirs are locked too, so `alluxio_worker::format` refuses them as well).

use std::process::ExitCode;

use alluxio_conf::{Configuration, keys};
use anyhow::Context;
use clap::Args;

/// Arguments of `format`.
#[derive(Debug, Args)]
pub struct FormatArgs {
    /// Format only if the journal folder does not exist yet.
    #[arg(short = 's')]
    skip_if_formatted: bool,
}

/// Formats, or explains why it did not.
pub fn run(conf: &Configuration, args: &FormatArgs) -> anyhow::Result<ExitCode> {
    let journal = conf.get(keys::MASTER_JOURNAL_FOLDER)?;
    // The master's own resolution, so `file:///j` and `/j` mean the same folder here and there.
    let folder = alluxio_master::journal_folder(conf)?;
    if args.skip_if_formatted
        && folder
            .exists(conf)
            .with_context(|| format!("cannot tell whether the journal at {journal} exists"))?
    {
        outln!("Journal folder {journal} already exists; not formatting (-s).");
        return Ok(ExitCode::SUCCESS);
    }
    let tier_dirs =
        alluxio_worker::tier_dirs(conf).context("cannot read the worker's tiered store settings")?;
    outln!("Formatting Alluxio master journal: {journal}");
    alluxio_master::format(conf).with_context(|| format!("cannot format the journal at {journal}"))?;
    for (alias, dirs) in &tier_dirs {
        for dir in dirs {
            outln!(
                "Formatting Alluxio worker {alias} tier directory: {}",
                dir.display()
            );
        }
    }
    alluxio_worker::format(conf).context("cannot format the worker storage")?;
    outln!("Format complete.");
    Ok(ExitCode::SUCCESS)
}
