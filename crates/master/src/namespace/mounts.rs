//! Mounting and unmounting under file systems, resolving a path to the UFS serving it, and the
//! read-only rule every write checks.

use std::collections::BTreeMap;
use std::sync::Arc;

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{JournalAddMountPoint, JournalDelete, JournalDeleteMountPoint, LoadMetadataType};
use alluxio_ufs::UnderFileSystem;

use super::FileSystemMaster;
use super::create::mkdir;
use super::modify::subtree_blocks;
use super::permission::Access;
use super::tree::Tree;
use crate::mount_table::MountInfo;
use crate::{MasterError, now_ms};

/// The under file system serving a path.
pub struct ResolvedUfs {
    /// The mount's UFS, opened with the mount's options.
    pub ufs: Arc<dyn UnderFileSystem>,
    /// Full UFS URI of the path.
    pub uri: String,
}

/// How to mount a UFS.
#[derive(Debug, Clone, Default)]
pub struct MountOptions {
    /// Refuse every write under the mount point.
    pub read_only: bool,
    /// The UFS is shared with other users (reported only).
    pub shared: bool,
    /// UFS properties for this mount only (credentials, endpoint ...).
    pub properties: BTreeMap<String, String>,
}

impl FileSystemMaster {
    /// The mount point serving `path` in `tree`, and its mount.
    pub(crate) fn mount_of<'a>(&'a self, tree: &'a Tree, path: &AlluxioPath) -> (AlluxioPath, &'a MountInfo) {
        match tree.mounts.resolve(path) {
            Some((point, info)) => (point.clone(), info),
            None => (AlluxioPath::root(), &self.root_mount),
        }
    }

    /// Where `path` lives in its UFS, and the id of that mount; for callers holding the tree.
    pub(crate) fn ufs_location(&self, tree: &Tree, path: &AlluxioPath) -> (String, u64) {
        let (point, info) = self.mount_of(tree, path);
        (info.ufs_path(&point, path), info.mount_id)
    }

    /// The UFS serving `path` (the deepest mount point containing it) and the path's URI there.
    /// Takes the tree's read lock briefly: never call it while holding the tree.
    pub fn resolve_ufs(&self, path: &AlluxioPath) -> Result<ResolvedUfs, MasterError> {
        let (mount_point, info) = {
            let tree = self.tree.read();
            let (point, info) = self.mount_of(&tree, path);
            (point, info.clone())
        };
        Ok(ResolvedUfs {
            ufs: self.ufs.get_with_options(&info.ufs_uri, &info.options)?,
            uri: info.ufs_path(&mount_point, path),
        })
    }

    /// Fails if `path` is under a read-only mount point.
    pub(crate) fn check_writable(&self, tree: &Tree, path: &AlluxioPath) -> Result<(), MasterError> {
        let (mount_point, info) = self.mount_of(tree, path);
        if info.read_only {
            return Err(MasterError::ReadOnlyMount {
                path: path.to_string(),
                mount_point: mount_point.to_string(),
            });
        }
        Ok(())
    }

    /// Mounts the UFS directory `ufs_uri` at `path`, which must not exist while its parent does;
    /// the directory must be reachable with the mount's options.
    pub async fn mount(
        &self,
        path: &AlluxioPath,
        ufs_uri: &str,
        options: MountOptions,
    ) -> Result<(), MasterError> {
        let parent = path
            .parent()
            .ok_or_else(|| MasterError::MountPointExists(path.to_string()))?;
        self.load_path(&parent, LoadMetadataType::Once).await?;
        self.check_mount(&self.tree.read(), path, ufs_uri)?;
        let unreachable = |source| MasterError::MountUfs {
            uri: ufs_uri.to_string(),
            source,
        };
        let ufs = self
            .ufs
            .get_with_options(ufs_uri, &options.properties)
            .map_err(unreachable)?;
        match ufs.status(ufs_uri).await.map_err(unreachable)? {
            Some(status) if status.is_dir => {}
            Some(_) => {
                return Err(MasterError::UfsPathNotDirectory(ufs_uri.to_string()));
            }
            None => return Err(MasterError::UfsPathMissing(ufs_uri.to_string())),
        }
        self.commit(|tree, alloc| {
            self.check_mount(tree, path, ufs_uri)?;
            let parent = tree.resolve(&parent)?;
            let id = alloc.next();
            let entries = vec![
                mkdir(
                    id,
                    parent.id,
                    path.name(),
                    true,
                    now_ms(),
                    &self.ownership(&parent),
                ),
                Entry::AddMountPoint(JournalAddMountPoint {
                    alluxio_path: path.to_string(),
                    ufs_uri: ufs_uri.to_string(),
                    mount_id: id,
                    read_only: options.read_only,
                    shared: options.shared,
                    properties: options.properties.clone().into_iter().collect(),
                }),
            ];
            Ok((entries, ()))
        })
        .await?;
        tracing::info!(%path, ufs = ufs_uri, read_only = options.read_only, "mounted");
        Ok(())
    }

    /// Alluxio's rules for a new mount at `path`, checked against `tree`.
    fn check_mount(&self, tree: &Tree, path: &AlluxioPath, ufs_uri: &str) -> Result<(), MasterError> {
        if tree.lookup(path).is_some() {
            return Err(MasterError::MountPointExists(path.to_string()));
        }
        if let Some(parent) = path.parent() {
            if !tree.resolve(&parent)?.is_dir() {
                return Err(MasterError::NotADirectory(parent.to_string()));
            }
            self.check_writable(tree, &parent)?;
        }
        self.check_parent(tree, "mount", path, Access::Write)?;
        tree.mounts.check_new(&self.root_mount, path, ufs_uri)
    }

    /// Removes the mount at `path` and everything Alluxio knows below it (cached blocks
    /// included); the UFS is left untouched.
    pub async fn unmount(&self, path: &AlluxioPath) -> Result<(), MasterError> {
        let (blocks, removed) = self
            .commit(|tree, _| {
                let inode = tree.resolve(path)?;
                self.check_removal(tree, "unmount", path)?;
                if !tree.mounts.is_mount_point(path) {
                    return Err(MasterError::InvalidArgument(format!(
                        "Failed to unmount {path}. Please ensure the path is an existing mount point and not root."
                    )));
                }
                let entries = vec![
                    Entry::DeleteMountPoint(JournalDeleteMountPoint {
                        alluxio_path: path.to_string(),
                    }),
                    Entry::Delete(JournalDelete {
                        id: inode.id,
                        op_time_ms: now_ms(),
                    }),
                ];
                Ok((entries, (subtree_blocks(tree, inode.id), tree.subtree(inode.id))))
            })
            .await?;
        self.blocks.forget_blocks(&blocks);
        {
            // A copy a worker is still writing stays in the unmounted UFS; without the job, its
            // report cannot be mistaken for an orphan under whatever now serves the path.
            let mut queue = self.persist.lock();
            for id in removed {
                queue.finish(id);
            }
        }
        tracing::info!(%path, "unmounted");
        Ok(())
    }

    /// Every mount, the root first.
    pub fn mount_table(&self) -> Vec<(AlluxioPath, MountInfo)> {
        let tree = self.tree.read();
        std::iter::once((AlluxioPath::root(), self.root_mount.clone()))
            .chain(
                tree.mounts
                    .iter()
                    .map(|(point, info)| (point.clone(), info.clone())),
            )
            .collect()
    }

    /// The mount with id `mount_id`.
    pub fn ufs_info(&self, mount_id: u64) -> Result<MountInfo, MasterError> {
        if mount_id == self.root_mount.mount_id {
            return Ok(self.root_mount.clone());
        }
        let tree = self.tree.read();
        let (_, info) = tree
            .mounts
            .by_id(mount_id)
            .ok_or(MasterError::UnknownMount(mount_id))?;
        Ok(info.clone())
    }
}
