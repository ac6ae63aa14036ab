//! Delete, rename, set attribute, free and persistence scheduling.

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{JournalDelete, JournalRename, JournalSetAttribute, PersistenceState, TtlAction};

use super::tree::{Inode, InodeKind, Tree};
use super::{FileSystemMaster, persist_ancestors};
use crate::{MasterError, now_ms};

/// Attributes to change; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct SetAttributeOptions {
    /// Pin or unpin.
    pub pinned: Option<bool>,
    /// Time to live in ms after creation, -1 for none.
    pub ttl: Option<i64>,
    /// What happens when the TTL expires.
    pub ttl_action: Option<TtlAction>,
    /// Apply to everything below a directory too.
    pub recursive: bool,
}

fn is_non_empty_dir(inode: &Inode) -> bool {
    inode.children().next().is_some()
}

/// Block ids of every file at or below `id`.
fn subtree_blocks(tree: &Tree, id: u64) -> Vec<u64> {
    tree.subtree(id)
        .into_iter()
        .filter_map(|id| match &tree.get(id)?.kind {
            InodeKind::File { block_ids, .. } => Some(block_ids.clone()),
            InodeKind::Dir { .. } => None,
        })
        .flatten()
        .collect()
}

impl FileSystemMaster {
    /// Deletes a file or directory, from the UFS too unless `alluxio_only`; workers are told to
    /// drop its blocks.
    pub async fn delete(
        &self,
        path: &AlluxioPath,
        recursive: bool,
        alluxio_only: bool,
    ) -> Result<(), MasterError> {
        let check = |tree: &Tree| -> Result<(u64, bool, bool), MasterError> {
            if path.is_root() {
                return Err(MasterError::InvalidArgument(
                    "Cannot delete the root directory /".into(),
                ));
            }
            let inode = tree.resolve(path)?;
            if is_non_empty_dir(inode) && !recursive {
                return Err(MasterError::DirectoryNotEmpty(path.to_string()));
            }
            Ok((inode.id, inode.is_dir(), inode.is_persisted()))
        };
        let (id, is_dir, persisted) = check(&self.tree.read())?;
        if persisted && !alluxio_only {
            let ufs = self.ufs()?;
            let uri = self.ufs_path(path);
            if is_dir {
                ufs.delete_directory(&uri, recursive).await?;
            } else {
                ufs.delete_file(&uri).await?;
            }
        }
        let blocks = self
            .commit(|tree, _| {
                let (now_id, _, _) = check(tree)?;
                if now_id != id {
                    return Err(MasterError::NotFound(path.to_string()));
                }
                let entry = Entry::Delete(JournalDelete {
                    id,
                    op_time_ms: now_ms(),
                });
                Ok((vec![entry], subtree_blocks(tree, id)))
            })
            .await?;
        self.blocks.forget_blocks(&blocks);
        Ok(())
    }

    /// Renames `src` to `dst` (which must not exist), in the UFS too if `src` is persisted.
    pub async fn rename(&self, src: &AlluxioPath, dst: &AlluxioPath) -> Result<(), MasterError> {
        let check = |tree: &Tree| -> Result<(u64, u64, bool), MasterError> {
            if src.is_root() {
                return Err(MasterError::InvalidArgument(
                    "Cannot rename the root directory /".into(),
                ));
            }
            let inode = tree.resolve(src)?;
            if src.is_ancestor_of(dst) {
                return Err(MasterError::InvalidArgument(format!(
                    "Cannot rename {src} to {dst}: a directory cannot move below itself"
                )));
            }
            if tree.lookup(dst).is_some() {
                return Err(MasterError::AlreadyExists(dst.to_string()));
            }
            let dst_parent = dst
                .parent()
                .ok_or_else(|| MasterError::AlreadyExists(dst.to_string()))?;
            let parent = tree.resolve(&dst_parent)?;
            if !parent.is_dir() {
                return Err(MasterError::NotADirectory(dst_parent.to_string()));
            }
            Ok((inode.id, parent.id, inode.is_persisted()))
        };
        let (id, _, persisted) = check(&self.tree.read())?;
        if persisted {
            let ufs = self.ufs()?;
            if let Some(parent) = dst.parent() {
                ufs.mkdirs(&self.ufs_path(&parent)).await?;
            }
            ufs.rename(&self.ufs_path(src), &self.ufs_path(dst)).await?;
        }
        self.commit(|tree, _| {
            let (now_id, parent, _) = check(tree)?;
            if now_id != id {
                return Err(MasterError::NotFound(src.to_string()));
            }
            let now = now_ms();
            let mut entries = vec![Entry::Rename(JournalRename {
                id,
                new_parent_id: parent,
                new_name: dst.name().to_string(),
                op_time_ms: now,
            })];
            if persisted {
                entries.extend(persist_ancestors(tree, parent, now));
            }
            Ok((entries, ()))
        })
        .await
    }

    /// Changes pin and TTL settings.
    pub async fn set_attribute(
        &self,
        path: &AlluxioPath,
        options: SetAttributeOptions,
    ) -> Result<(), MasterError> {
        self.commit(|tree, _| {
            let inode = tree.resolve(path)?;
            let targets = if options.recursive {
                tree.subtree(inode.id)
            } else {
                vec![inode.id]
            };
            let now = now_ms();
            let entries = targets
                .into_iter()
                .map(|id| {
                    Entry::SetAttribute(JournalSetAttribute {
                        id,
                        pinned: options.pinned,
                        ttl: options.ttl,
                        ttl_action: options.ttl_action.map(Into::into),
                        op_time_ms: now,
                        ..Default::default()
                    })
                })
                .collect();
            Ok((entries, ()))
        })
        .await
    }

    /// Drops the cached blocks of persisted files; pinned ones only when `forced` (which unpins
    /// them, so they are not cached again by pinning).
    pub async fn free(&self, path: &AlluxioPath, recursive: bool, forced: bool) -> Result<(), MasterError> {
        let blocks = self
            .commit(|tree, _| {
                let inode = tree.resolve(path)?;
                if is_non_empty_dir(inode) && !recursive {
                    return Err(MasterError::InvalidArgument(format!(
                        "Cannot free directory {path} without the recursive flag"
                    )));
                }
                let mut unpin = Vec::new();
                for id in tree.subtree(inode.id) {
                    let Some(file) = tree.get(id).filter(|i| !i.is_dir()) else {
                        continue;
                    };
                    let file_path = || tree.path_of(id).map(|p| p.to_string()).unwrap_or_default();
                    if !file.is_persisted() {
                        return Err(MasterError::NotPersisted(file_path()));
                    }
                    if file.pinned {
                        if !forced {
                            return Err(MasterError::Pinned(file_path()));
                        }
                        unpin.push(Entry::SetAttribute(JournalSetAttribute {
                            id,
                            pinned: Some(false),
                            op_time_ms: now_ms(),
                            ..Default::default()
                        }));
                    }
                }
                Ok((unpin, subtree_blocks(tree, inode.id)))
            })
            .await?;
        self.blocks.free_blocks(&blocks);
        Ok(())
    }

    /// Marks a complete file TO_BE_PERSISTED and queues it for a worker holding its blocks.
    pub async fn schedule_persist(&self, path: &AlluxioPath) -> Result<(), MasterError> {
        let id = self
            .commit(|tree, _| {
                let inode = tree.resolve(path)?;
                match inode.kind {
                    InodeKind::Dir { .. } => {
                        return Err(MasterError::IsADirectory(path.to_string()));
                    }
                    InodeKind::File { completed: false, .. } => {
                        return Err(MasterError::FileIncomplete {
                            path: path.to_string(),
                            reason: "only complete files can be persisted".into(),
                        });
                    }
                    InodeKind::File { .. } => {}
                }
                let entries = match inode.persistence {
                    PersistenceState::NotPersisted => {
                        vec![Entry::SetAttribute(JournalSetAttribute {
                            id: inode.id,
                            persistence_state: Some(PersistenceState::ToBePersisted.into()),
                            op_time_ms: now_ms(),
                            ..Default::default()
                        })]
                    }
                    PersistenceState::ToBePersisted | PersistenceState::Persisted => Vec::new(),
                };
                let pending = inode.persistence != PersistenceState::Persisted;
                Ok((entries, pending.then_some(inode.id)))
            })
            .await?;
        if let Some(id) = id {
            self.persist.lock().schedule(id);
        }
        Ok(())
    }
}
