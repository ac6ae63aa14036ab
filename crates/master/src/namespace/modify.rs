//! Rename, set attribute, free and persistence scheduling.

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{JournalRename, JournalSetAttribute, PersistenceState, TtlAction};

use super::permission::Access;
use super::tree::{InodeKind, Tree};
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
    /// Permission bits (at most `0o7777`).
    pub mode: Option<u32>,
    /// Owner name.
    pub owner: Option<String>,
    /// Group name.
    pub group: Option<String>,
    /// Last modification time in ms since the epoch.
    pub modification_time_ms: Option<i64>,
    /// Apply to everything below a directory too.
    pub recursive: bool,
}

impl SetAttributeOptions {
    /// Whether it changes anything but the owner, group and mode (which need the owner or a
    /// superuser, where the rest needs write permission).
    fn changes_more_than_ownership(&self) -> bool {
        self.pinned.is_some()
            || self.ttl.is_some()
            || self.ttl_action.is_some()
            || self.modification_time_ms.is_some()
    }

    /// Refuses values no inode may take, naming the attribute.
    fn validate(&self, path: &AlluxioPath) -> Result<(), MasterError> {
        if let Some(mode) = self.mode.filter(|mode| *mode > 0o7777) {
            return Err(MasterError::InvalidArgument(format!(
                "cannot set the mode of {path} to {mode:o}: permission bits are at most 7777 (octal)"
            )));
        }
        for (what, name) in [("owner", &self.owner), ("group", &self.group)] {
            if let Some(name) = name.as_deref().filter(|name| !valid_principal(name)) {
                return Err(MasterError::InvalidArgument(format!(
                    "cannot set the {what} of {path} to {name:?}: a name is not empty and has no \
                     ':', '/', space or control character"
                )));
            }
        }
        Ok(())
    }
}

/// Whether `name` can be an owner or group name.
fn valid_principal(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && !name
            .chars()
            .any(|c| c == ':' || c == '/' || c.is_whitespace() || c.is_control())
}

/// Block ids of every file at or below `id`.
pub(super) fn subtree_blocks(tree: &Tree, id: u64) -> Vec<u64> {
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
            self.check_writable(tree, src)?;
            self.check_writable(tree, dst)?;
            self.check_removal(tree, "rename", src)?;
            self.check_parent(tree, "rename", dst, Access::Write)?;
            if self.mount_of(tree, src).0 != self.mount_of(tree, dst).0 {
                return Err(MasterError::InvalidArgument(format!(
                    "Renaming {src} to {dst} is a cross mount operation"
                )));
            }
            if let Some(point) = tree.mounts.points_under(src).next() {
                return Err(MasterError::InvalidArgument(format!(
                    "Cannot rename {src}: it holds the mount point {point}; unmount it first"
                )));
            }
            Ok((inode.id, parent.id, inode.is_persisted()))
        };
        let (id, _, persisted) = check(&self.tree.read())?;
        if persisted {
            let from = self.resolve_ufs(src)?;
            let to = self.resolve_ufs(dst)?;
            if let Some(parent) = dst.parent() {
                from.ufs.mkdirs(&self.resolve_ufs(&parent)?.uri).await?;
            }
            from.ufs.rename(&from.uri, &to.uri).await?;
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

    /// Changes pin and TTL settings, permission bits, owner, group and modification time.
    pub async fn set_attribute(
        &self,
        path: &AlluxioPath,
        options: SetAttributeOptions,
    ) -> Result<(), MasterError> {
        options.validate(path)?;
        self.commit(|tree, _| {
            let inode = tree.resolve(path)?;
            let targets = if options.recursive {
                tree.subtree(inode.id)
            } else {
                vec![inode.id]
            };
            let SetAttributeOptions {
                owner, group, mode, ..
            } = &options;
            if owner.is_some() || group.is_some() || mode.is_some() {
                // Execute on the parent: the path can be reached.
                self.check_parent(tree, "set the owner, group or mode of", path, Access::Execute)?;
                for target in targets.iter().filter_map(|id| tree.get(*id)) {
                    self.check_attribute_owner(
                        tree,
                        &target,
                        owner.as_deref(),
                        group.as_deref(),
                        mode.is_some(),
                    )?;
                }
            }
            if options.changes_more_than_ownership() {
                self.check(tree, "set attributes of", path, Access::Write)?;
                self.check_each(tree, "set attributes of", path, &targets, Access::Write)?;
                // A TTL that deletes when it expires needs what deleting needs now.
                if options.ttl.is_some_and(|ttl| ttl >= 0) && options.ttl_action != Some(TtlAction::Free) {
                    self.check_removal(tree, "set a deleting TTL on", path)?;
                    self.check_subtree(tree, "set a deleting TTL on", path, &inode)?;
                }
            }
            let now = now_ms();
            let entries = targets
                .into_iter()
                .map(|id| {
                    Entry::SetAttribute(JournalSetAttribute {
                        id,
                        pinned: options.pinned,
                        ttl: options.ttl,
                        ttl_action: options.ttl_action.map(Into::into),
                        mode: options.mode,
                        owner: options.owner.clone(),
                        group: options.group.clone(),
                        modification_time_ms: options.modification_time_ms,
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
                self.check(tree, "free", path, Access::Read)?;
                if tree.has_children(inode.id) && !recursive {
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
                self.check_writable(tree, path)?;
                self.check(tree, "persist", path, Access::Write)?;
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
                let entries = match inode.persistence.get() {
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
