//! Exclusive ownership of a tier directory: an `flock` on `<dir>/alluxioworker/.lock`, so two
//! workers (or `alluxio format` and a running worker) never use the same directory at once.

use std::fs::File;
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, flock};

use super::StoreError;
use super::shared::io_error;

/// Name of the lock file inside the block folder.
pub(super) const LOCK_FILE: &str = ".lock";

/// Held for as long as the directory is in use; the kernel drops the lock with the file (also
/// when the process dies), so a crashed worker never leaves a stale lock behind.
#[derive(Debug)]
pub(super) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Locks the existing block folder `folder`, failing at once if another process or another
    /// store of this process holds it.
    pub(super) fn acquire(folder: &Path) -> Result<Self, StoreError> {
        let path = folder.join(LOCK_FILE);
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error(&path))?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(rustix::io::Errno::WOULDBLOCK) => Err(StoreError::InUse(owner_dir(folder))),
            Err(e) => Err(io_error(&path)(e.into())),
        }
    }
}

/// The tier directory a block folder belongs to, as the user configured it.
fn owner_dir(folder: &Path) -> PathBuf {
    folder.parent().unwrap_or(folder).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_directory_cannot_be_locked_again_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("alluxioworker");
        std::fs::create_dir(&folder).unwrap();
        let first = DirLock::acquire(&folder).unwrap();
        match DirLock::acquire(&folder) {
            Err(StoreError::InUse(path)) => assert_eq!(path, dir.path()),
            other => panic!("expected InUse, got {other:?}"),
        }
        drop(first);
        DirLock::acquire(&folder).unwrap();
    }
}
