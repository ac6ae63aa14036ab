//! `alluxio format [-s]`: wipes the workers' cached blocks, then the master's journal.

use std::path::Path;
use std::process::ExitCode;

use alluxio_conf::{Configuration, keys};
use alluxio_worker::store::StoreOptions;
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
    if args.skip_if_formatted {
        match local_path(&journal) {
            Some(path) if path.exists() => {
                println!("Journal folder {journal} already exists; not formatting (-s).");
                return Ok(ExitCode::SUCCESS);
            }
            Some(_) => {}
            None => {
                println!(
                    "Journal folder {journal} is not local, so -s cannot tell whether it is formatted; not formatting."
                );
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    let store = StoreOptions::from_conf(conf).context("cannot read the worker's tiered store settings")?;
    for tier in &store.tiers {
        for dir in &tier.dirs {
            println!(
                "Formatting Alluxio worker {} tier directory: {}",
                tier.alias,
                dir.path.display()
            );
        }
    }
    alluxio_worker::format(conf).context("cannot format the worker storage")?;
    println!("Formatting Alluxio master journal: {journal}");
    alluxio_master::format(conf).with_context(|| format!("cannot format the journal at {journal}"))?;
    println!("Format complete.");
    Ok(ExitCode::SUCCESS)
}

/// The local path behind a journal location (`/x` or `file:///x`), `None` for other schemes.
fn local_path(location: &str) -> Option<&Path> {
    match location.strip_prefix("file://") {
        Some(path) => Some(Path::new(path)),
        None if !location.contains("://") => Some(Path::new(location)),
        None => None,
    }
}
