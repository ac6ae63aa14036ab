//! `checkConsistency`: the Alluxio metadata under a path compared with the UFS, as Alluxio 1.x
//! does it: a persisted directory must be a UFS directory, a persisted file a UFS file of the
//! same length, and a path never persisted must be absent from the UFS.

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::PersistenceState;

use super::FileSystemMaster;
use super::permission::Access;
use super::tree::InodeKind;
use crate::MasterError;

/// What the UFS must hold for one inode.
struct Expected {
    path: AlluxioPath,
    persistence: PersistenceState,
    /// `None` for a directory, the length for a file.
    file_length: Option<u64>,
}

impl FileSystemMaster {
    /// Paths at or below `path` whose Alluxio metadata disagrees with the UFS, in path order;
    /// the caller must be allowed to list the subtree.
    /// Files being persisted (TO_BE_PERSISTED) are not judged: the UFS may or may not have them yet.
    pub async fn check_consistency(&self, path: &AlluxioPath) -> Result<Vec<AlluxioPath>, MasterError> {
        let expected = {
            let tree = self.tree.read();
            let top = tree.resolve(path)?;
            // It lists the subtree: read on every folder of it, as a recursive listing.
            let operation = "check the consistency of";
            self.check(&tree, operation, path, Access::Read)?;
            let folders: Vec<u64> = tree
                .subtree(top.id)
                .into_iter()
                .filter(|id| tree.get(*id).is_some_and(|inode| inode.is_dir()))
                .collect();
            self.check_each(&tree, operation, path, &folders, Access::Read)?;
            let mut out = Vec::new();
            for id in tree.subtree(top.id) {
                let (Some(inode), Some(path)) = (tree.get(id), tree.path_of(id)) else {
                    continue;
                };
                let file_length = match &inode.kind {
                    InodeKind::Dir { .. } => None,
                    InodeKind::File { length, .. } => Some(*length),
                };
                out.push(Expected {
                    path,
                    persistence: inode.persistence.get(),
                    file_length,
                });
            }
            out
        };
        let mut inconsistent = Vec::new();
        for item in expected {
            let resolved = self.resolve_ufs(&item.path)?;
            let status = resolved.ufs.status(&resolved.uri).await?;
            let consistent = match (item.persistence, status) {
                (PersistenceState::ToBePersisted, _) => true,
                (PersistenceState::NotPersisted, status) => status.is_none(),
                (PersistenceState::Persisted, None) => false,
                (PersistenceState::Persisted, Some(status)) => match item.file_length {
                    None => status.is_dir,
                    Some(length) => !status.is_dir && status.length == length,
                },
            };
            if !consistent {
                inconsistent.push(item.path);
            }
        }
        inconsistent.sort();
        Ok(inconsistent)
    }
}
