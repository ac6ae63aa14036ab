//! `checkConsistency`: the Alluxio metadata under a path compared with the UFS, as Alluxio 1.x
//! does it: a persisted directory must be a UFS directory, a persisted file a UFS file of the
//! same length, and a path never persisted must be absent from the UFS. The subtree is read a
//! chunk at a time, so checking a namespace of millions of files (as the startup check does)
//! neither holds off writers nor holds every path in memory.

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::PersistenceState;

use std::sync::Arc;

use super::FileSystemMaster;
use super::permission::Access;
use super::tree::{Inode, InodeKind, Tree};
use crate::MasterError;

/// Inodes read per hold of the tree's read lock: the walk of a large namespace (the startup
/// check walks all of it) lets writers in between, and holds only this many paths at a time.
const CHUNK: usize = 4096;

/// What the UFS must hold for one inode.
struct Expected {
    path: AlluxioPath,
    persistence: PersistenceState,
    /// `None` for a directory, the length for a file.
    file_length: Option<u64>,
}

impl Expected {
    fn of(path: AlluxioPath, inode: &Inode) -> Self {
        let file_length = match &inode.kind {
            InodeKind::Dir { .. } => None,
            InodeKind::File { length, .. } => Some(*length),
        };
        Self {
            path,
            persistence: inode.persistence.get(),
            file_length,
        }
    }
}

/// A directory the walk is in: the last child it took, by name.
struct Open {
    path: AlluxioPath,
    id: u64,
    after: Option<Arc<str>>,
}

/// A depth-first walk of a subtree in name order that can stop and resume between holds of
/// the lock: a directory changed meanwhile is read as it is then (one removed has no more
/// children).
struct Walk {
    /// The top, until read.
    top: Option<(AlluxioPath, u64)>,
    /// The directories being listed, the deepest last.
    open: Vec<Open>,
}

impl Walk {
    /// Up to `limit` more inodes; `listing` is called on each directory before its children
    /// are read. Empty once the walk is over.
    fn next_chunk(
        &mut self,
        tree: &Tree,
        limit: usize,
        listing: impl Fn(u64) -> Result<(), MasterError>,
    ) -> Result<Vec<Expected>, MasterError> {
        let mut out = Vec::new();
        if let Some((path, id)) = self.top.take()
            && let Some(inode) = tree.get(id)
        {
            self.take(&mut out, path, id, &inode, &listing)?;
        }
        'walk: while out.len() < limit {
            let Some(dir) = self.open.last_mut() else { break };
            let page = tree.children_after(dir.id, dir.after.as_deref(), limit - out.len());
            if page.is_empty() {
                self.open.pop();
                continue;
            }
            let parent = dir.path.clone();
            for (name, id) in page {
                let Some(dir) = self.open.last_mut() else { break };
                dir.after = Some(name.clone());
                let Some(inode) = tree.get(id) else { continue };
                if self.take(&mut out, parent.join(&name)?, id, &inode, &listing)? {
                    continue 'walk;
                }
            }
        }
        Ok(out)
    }

    /// Adds `inode` at `path` to `out`; a directory is entered (after `listing` allows it), and
    /// then the answer is true.
    fn take(
        &mut self,
        out: &mut Vec<Expected>,
        path: AlluxioPath,
        id: u64,
        inode: &Inode,
        listing: &impl Fn(u64) -> Result<(), MasterError>,
    ) -> Result<bool, MasterError> {
        out.push(Expected::of(path.clone(), inode));
        if !inode.is_dir() {
            return Ok(false);
        }
        listing(id)?;
        self.open.push(Open {
            path,
            id,
            after: None,
        });
        Ok(true)
    }
}

impl FileSystemMaster {
    /// Paths at or below `path` whose Alluxio metadata disagrees with the UFS, in path order;
    /// the caller must be allowed to list the subtree.
    /// Files being persisted (TO_BE_PERSISTED) are not judged: the UFS may or may not have them yet.
    pub async fn check_consistency(&self, path: &AlluxioPath) -> Result<Vec<AlluxioPath>, MasterError> {
        // It lists the subtree: read on every folder of it, as a recursive listing.
        let operation = "check the consistency of";
        let mut walk = {
            let tree = self.tree.read();
            let top = tree.resolve(path)?;
            self.check(&tree, operation, path, Access::Read)?;
            Walk {
                top: Some((path.clone(), top.id)),
                open: Vec::new(),
            }
        };
        let mut inconsistent = Vec::new();
        loop {
            let chunk = {
                let tree = self.tree.read();
                walk.next_chunk(&tree, CHUNK, |folder| {
                    self.check_each(&tree, operation, path, &[folder], Access::Read)
                })?
            };
            if chunk.is_empty() {
                break;
            }
            for item in chunk {
                if !self.agrees_with_ufs(&item).await? {
                    inconsistent.push(item.path);
                }
            }
        }
        inconsistent.sort();
        Ok(inconsistent)
    }

    async fn agrees_with_ufs(&self, item: &Expected) -> Result<bool, MasterError> {
        let resolved = self.resolve_ufs(&item.path)?;
        let status = resolved.ufs.status(&resolved.uri).await?;
        Ok(match (item.persistence, status) {
            (PersistenceState::ToBePersisted, _) => true,
            (PersistenceState::NotPersisted, status) => status.is_none(),
            (PersistenceState::Persisted, None) => false,
            (PersistenceState::Persisted, Some(status)) => match item.file_length {
                None => status.is_dir,
                Some(length) => !status.is_dir && status.length == length,
            },
        })
    }
}
