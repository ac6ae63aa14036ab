//! The on-disk layout: creating the tier directories, rebuilding the block table from the files a
//! previous run left, and formatting.

use std::path::{Path, PathBuf};

use super::dir_lock::{DirLock, LOCK_FILE};
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
    if let Some(tier) = options.tiers.iter().find(|t| t.dirs.is_empty()) {
        return Err(StoreError::Config(format!(
            "tier {} has no directory",
            tier.alias
        )));
    }
    // Every directory is locked before any is touched: a store that cannot have them all must
    // not empty the temp folder of one another worker writes into.
    let locks = lock_all(&options)?;
    let mut tiers = Vec::with_capacity(options.tiers.len());
    let mut usage = Vec::with_capacity(options.tiers.len());
    for tier in &options.tiers {
        let mut dirs = Vec::with_capacity(tier.dirs.len());
        let mut dir_usage = Vec::with_capacity(tier.dirs.len());
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
            dir_usage.push(DirUsage {
                quota: fit_quota(&spec.path, spec.quota),
                committed: 0,
                reserved: 0,
            });
        }
        usage.push(dir_usage);
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
    let shared = Shared::new(tiers, options.allocator, options.evictor, state, locks);
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
            if entry.file_name() != TEMP_FOLDER && entry.file_name() != LOCK_FILE {
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

/// Block folders of every configured directory, top tier first.
fn block_folders(options: &StoreOptions) -> impl Iterator<Item = PathBuf> + '_ {
    options
        .tiers
        .iter()
        .flat_map(|t| t.dirs.iter().map(|d| d.path.join(BLOCK_FOLDER)))
}

/// Creates and locks the block folder of every configured directory.
fn lock_all(options: &StoreOptions) -> Result<Vec<DirLock>, StoreError> {
    block_folders(options)
        .map(|folder| {
            std::fs::create_dir_all(&folder).map_err(io_error(&folder))?;
            DirLock::acquire(&folder)
        })
        .collect()
}

/// The quota of `dir`, lowered to the size of its file system: a quota the file system cannot
/// hold (the default memory size on a smaller `/dev/shm`, say) would fail writes with ENOSPC
/// instead of evicting.
fn fit_quota(dir: &Path, quota: u64) -> u64 {
    match rustix::fs::statvfs(dir) {
        Ok(fs) => cap_quota(dir, quota, fs.f_blocks.saturating_mul(fs.f_frsize)),
        Err(e) => {
            tracing::warn!(
                "cannot read the size of the file system of {}: {e}; keeping quota {quota}",
                dir.display()
            );
            quota
        }
    }
}

/// `quota` capped at `fs_size`, logging when it is lowered.
fn cap_quota(dir: &Path, quota: u64, fs_size: u64) -> u64 {
    if quota <= fs_size {
        return quota;
    }
    tracing::warn!(
        "quota of {} lowered from {quota} to {fs_size}: the file system is only {fs_size}",
        dir.display()
    );
    fs_size
}

/// Deletes the block folder of every configured directory, holding their locks meanwhile. The
/// lock file goes last, so a worker starting meanwhile either finds it locked or (in the instant
/// before the folder goes) makes the final `rmdir` fail instead of losing files.
pub(super) fn format(options: &StoreOptions) -> Result<(), StoreError> {
    // A folder that does not exist has nothing to delete and no worker using it; it is not
    // created just to lock it (its parent may not even be writable).
    let folders: Vec<PathBuf> = block_folders(options).filter(|f| f.exists()).collect();
    let locks = folders
        .iter()
        .map(|folder| DirLock::acquire(folder))
        .collect::<Result<Vec<_>, _>>()?;
    for folder in folders {
        for entry in std::fs::read_dir(&folder).map_err(io_error(&folder))? {
            let entry = entry.map_err(io_error(&folder))?;
            if entry.file_name() == LOCK_FILE {
                continue;
            }
            let path = entry.path();
            let removed = match entry.file_type() {
                Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
            removed.or_else(ignore_missing).map_err(io_error(&path))?;
        }
        let lock_file = folder.join(LOCK_FILE);
        std::fs::remove_file(&lock_file)
            .or_else(ignore_missing)
            .map_err(io_error(&lock_file))?;
        std::fs::remove_dir(&folder).map_err(io_error(&folder))?;
        tracing::info!("formatted {}", folder.display());
    }
    drop(locks);
    Ok(())
}

fn ignore_missing(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_larger_than_the_file_system_are_capped() {
        let dir = Path::new("/dev/shm/x");
        assert_eq!(cap_quota(dir, 100, 1000), 100);
        assert_eq!(cap_quota(dir, 1000, 1000), 1000);
        assert_eq!(cap_quota(dir, 5000, 1000), 1000);
    }

    #[test]
    fn a_quota_is_capped_at_the_real_file_system_size() {
        let dir = tempfile::tempdir().unwrap();
        let fs = rustix::fs::statvfs(dir.path()).unwrap();
        let size = fs.f_blocks * fs.f_frsize;
        assert_eq!(fit_quota(dir.path(), u64::MAX), size);
        assert_eq!(fit_quota(dir.path(), 4096), 4096);
    }
}
