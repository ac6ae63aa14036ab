//! The on-disk layout: creating the tier directories, rebuilding the block table from the files a
//! previous run left, and formatting.

use std::path::{Path, PathBuf};

use super::shared::{
    BLOCK_FOLDER, Block, DirId, DirLayout, DirUsage, Shared, State, TEMP_FOLDER, TierLayout, io_error,
};
use super::{StoreError, StoreOptions};

/// Prepares the directories of `options` and loads the blocks already in them.
pub(super) fn open(options: StoreOptions) -> Result<Shared, StoreError> {
    if options.tiers.is_empty() {
        return Err(StoreError::Config(
            "the tiered store needs at least one tier".into(),
        ));
    }
    let mut tiers = Vec::with_capacity(options.tiers.len());
    let mut usage = Vec::with_capacity(options.tiers.len());
    for tier in &options.tiers {
        if tier.dirs.is_empty() {
            return Err(StoreError::Config(format!(
                "tier {} has no directory",
                tier.alias
            )));
        }
        let mut dirs = Vec::with_capacity(tier.dirs.len());
        for spec in &tier.dirs {
            let blocks = spec.path.join(BLOCK_FOLDER);
            let temp = blocks.join(TEMP_FOLDER);
            // Whatever is in the temp folder was being written when the last run stopped.
            match std::fs::remove_dir_all(&temp) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_error(&temp)(e)),
                _ => {}
            }
            std::fs::create_dir_all(&temp).map_err(io_error(&temp))?;
            dirs.push(DirLayout { blocks, temp });
        }
        usage.push(
            tier.dirs
                .iter()
                .map(|d| DirUsage {
                    quota: d.quota,
                    committed: 0,
                    reserved: 0,
                })
                .collect(),
        );
        tiers.push(TierLayout {
            alias: tier.alias.clone(),
            dirs,
            high_watermark: tier.high_watermark,
            low_watermark: tier.low_watermark,
            durable: !tier.alias.eq_ignore_ascii_case("MEM"),
        });
    }
    let mut state = State::new(usage);
    for (t, tier) in tiers.iter().enumerate() {
        for (d, dir) in tier.dirs.iter().enumerate() {
            load_dir(&mut state, DirId { tier: t, dir: d }, &dir.blocks)?;
        }
    }
    let count = state.blocks.len();
    let shared = Shared::new(tiers, options.allocator, options.evictor, state);
    tracing::info!(
        "block store open with tiers {} and {count} cached blocks",
        shared
            .tiers
            .iter()
            .map(|t| t.alias.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(shared)
}

/// Records the committed blocks of one directory. Directories are loaded top tier first, so a
/// block already known is a stale lower copy (a move cut short) and its file goes.
fn load_dir(state: &mut State, dir: DirId, path: &Path) -> Result<(), StoreError> {
    for entry in std::fs::read_dir(path).map_err(io_error(path))? {
        let entry = entry.map_err(io_error(path))?;
        let file = entry.path();
        let Some(block_id) = entry.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) else {
            if entry.file_name() != TEMP_FOLDER {
                tracing::warn!("ignoring {}: not a block file", file.display());
            }
            continue;
        };
        let metadata = entry.metadata().map_err(io_error(&file))?;
        if !metadata.is_file() {
            tracing::warn!("ignoring {}: not a regular file", file.display());
            continue;
        }
        if state.blocks.contains_key(&block_id) {
            tracing::info!(
                "block {block_id} is also in a higher tier; deleting {}",
                file.display()
            );
            std::fs::remove_file(&file).map_err(io_error(&file))?;
            continue;
        }
        let length = metadata.len();
        let last_access = state.tick();
        state.blocks.insert(
            block_id,
            Block {
                dir,
                length,
                locks: 0,
                moving: false,
                remove_pending: false,
                last_access,
            },
        );
        state.dir_mut(dir).committed += length;
    }
    Ok(())
}

/// Deletes the block folder of every configured directory.
pub(super) fn format(options: &StoreOptions) -> Result<(), StoreError> {
    let folders: Vec<PathBuf> = options
        .tiers
        .iter()
        .flat_map(|t| t.dirs.iter().map(|d| d.path.join(BLOCK_FOLDER)))
        .collect();
    for folder in folders {
        match std::fs::remove_dir_all(&folder) {
            Ok(()) => tracing::info!("formatted {}", folder.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&folder)(e)),
        }
    }
    Ok(())
}
