//! Status and listing, with metadata loading from the root UFS (LoadMetadataType Once, Always,
//! Never): UFS calls happen unlocked, the results are applied (and journaled) afterwards.

use std::collections::HashSet;
use std::time::Duration;

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{
    FileInfo, JournalDelete, JournalLoadMetadata, JournalSetChildrenLoaded, LoadMetadataType,
};
use alluxio_ufs::UfsStatus;

use super::permission::Access;
use super::tree::{InodeKind, Tree};
use super::{FileSystemMaster, derived_block_ids};
use crate::{MasterError, now_ms};

impl FileSystemMaster {
    /// The status of `path`, loading it from the UFS if Alluxio lacks it (unless `Never`).
    pub async fn get_status(
        &self,
        path: &AlluxioPath,
        load: LoadMetadataType,
    ) -> Result<FileInfo, MasterError> {
        self.check_before_loading("read", path)?;
        self.load_path(path, load).await?;
        let tree = self.tree.read();
        let inode = tree.resolve(path)?;
        self.check(&tree, "read", path, Access::Read)?;
        Ok(self.file_info(&tree, &inode, path))
    }

    /// One page of a directory's children in name order: at most `limit` of those whose name
    /// comes after `start_after` (from the first when `None`), so that a folder of millions of
    /// entries is read a page at a time; a file is its own single entry. Syncs and loads as
    /// [`super::Listing`] does.
    pub async fn list_status_page(
        &self,
        path: &AlluxioPath,
        load: LoadMetadataType,
        sync: Option<Duration>,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<FileInfo>, MasterError> {
        self.check_before_loading("list", path)?;
        self.sync_status(path, sync).await?;
        self.load_path(path, load).await?;
        self.sync_listing(path, sync).await?;
        self.sync_directory(path, load).await?;
        let tree = self.tree.read();
        let inode = tree.resolve(path)?;
        self.check(&tree, "list", path, Access::Read)?;
        if !inode.is_dir() {
            let first_page = start_after.is_none() && limit > 0;
            return Ok(first_page
                .then(|| self.file_info(&tree, &inode, path))
                .into_iter()
                .collect());
        }
        let children = tree.children_after(inode.id, start_after, limit);
        let mut out = Vec::with_capacity(children.len());
        for (name, child_id) in children {
            if let Some(child) = tree.get(child_id) {
                out.push(self.file_info(&tree, &child, &path.join(&name)?));
            }
        }
        Ok(out)
    }

    /// What reading `path` needs of the part Alluxio knows, checked before anything is loaded
    /// or synced from the UFS on the caller's behalf: execute on every folder down to the
    /// deepest one that exists, and read on `path` itself if it exists.
    pub(super) fn check_before_loading(
        &self,
        operation: &'static str,
        path: &AlluxioPath,
    ) -> Result<(), MasterError> {
        let tree = self.tree.read();
        self.check_parent(&tree, operation, path, Access::Execute)?;
        self.check(&tree, operation, path, Access::Read)
    }

    /// Loads `path` and its missing ancestors from the UFS if Alluxio lacks them.
    pub(super) async fn load_path(
        &self,
        path: &AlluxioPath,
        load: LoadMetadataType,
    ) -> Result<(), MasterError> {
        if load == LoadMetadataType::Never || self.tree.read().lookup(path).is_some() {
            return Ok(());
        }
        let mut found = Vec::new();
        let mut prefix = AlluxioPath::root();
        for name in path.components() {
            prefix = prefix.join(name)?;
            if self.tree.read().lookup(&prefix).is_some() {
                continue;
            }
            let target = self.resolve_ufs(&prefix)?;
            match target.ufs.status(&target.uri).await? {
                Some(status) => found.push((prefix.clone(), status)),
                None => return Ok(()),
            }
        }
        let block_size = self.settings.default_block_size;
        self.commit(|tree, alloc| {
            let mut entries = Vec::new();
            let mut parents: Vec<(AlluxioPath, u64)> = Vec::new();
            for (prefix, status) in &found {
                if tree.lookup(prefix).is_some() {
                    continue;
                }
                let parent_path = prefix.parent().unwrap_or_else(AlluxioPath::root);
                let parent = match parents.iter().find(|(p, _)| *p == parent_path) {
                    Some((_, id)) => *id,
                    None => match tree.lookup(&parent_path) {
                        Some(inode) if inode.is_dir() => inode.id,
                        // Parent missing or a file: nothing to load under it.
                        _ => break,
                    },
                };
                let id = alloc.next();
                entries.push(load_entry(id, parent, status, block_size));
                parents.push((prefix.clone(), id));
            }
            Ok((entries, ()))
        })
        .await
    }

    /// Brings a directory's children in line with the UFS as `load` asks.
    pub(super) async fn sync_directory(
        &self,
        dir: &AlluxioPath,
        load: LoadMetadataType,
    ) -> Result<(), MasterError> {
        if load == LoadMetadataType::Never {
            return Ok(());
        }
        {
            let tree = self.tree.read();
            match tree.lookup(dir).map(|inode| inode.kind.clone()) {
                Some(InodeKind::Dir { children_loaded })
                    if !(children_loaded && load == LoadMetadataType::Once) => {}
                _ => return Ok(()),
            }
        }
        let target = self.resolve_ufs(dir)?;
        let listing = target.ufs.list(&target.uri).await?.unwrap_or_default();
        let block_size = self.settings.default_block_size;
        self.commit(|tree, alloc| {
            let Some(inode) = tree.lookup(dir) else {
                return Ok((Vec::new(), ()));
            };
            let InodeKind::Dir { children_loaded } = inode.kind else {
                return Ok((Vec::new(), ()));
            };
            let mut entries = Vec::new();
            for status in &listing {
                if tree.child(inode.id, &status.name).is_none() && dir.join(&status.name).is_ok() {
                    entries.push(load_entry(alloc.next(), inode.id, status, block_size));
                }
            }
            if load == LoadMetadataType::Always {
                let in_ufs: HashSet<&str> = listing.iter().map(|s| s.name.as_str()).collect();
                for (name, child) in tree.children_after(inode.id, None, usize::MAX) {
                    if !in_ufs.contains(&*name) && self.vanished_from_ufs(tree, child) {
                        entries.push(Entry::Delete(JournalDelete {
                            id: child,
                            op_time_ms: now_ms(),
                        }));
                    }
                }
            }
            if !children_loaded {
                entries.push(Entry::SetChildrenLoaded(JournalSetChildrenLoaded {
                    id: inode.id,
                }));
            }
            Ok((entries, ()))
        })
        .await
    }

    /// Whether a child missing from the UFS listing should leave Alluxio too: a complete,
    /// persisted file none of whose blocks is cached (a cached copy is still readable).
    fn vanished_from_ufs(&self, tree: &Tree, id: u64) -> bool {
        let Some(inode) = tree.get(id) else { return false };
        match &inode.kind {
            InodeKind::File {
                completed: true,
                block_ids,
                ..
            } => inode.is_persisted() && block_ids.iter().all(|b| self.blocks.block_info(*b).is_none()),
            _ => false,
        }
    }
}

/// The entry loading the UFS entry `status` as inode `id` under `parent`.
pub(super) fn load_entry(id: u64, parent: u64, status: &UfsStatus, block_size: u64) -> Entry {
    let (length, block_ids) = if status.is_dir {
        (0, Vec::new())
    } else {
        (status.length, derived_block_ids(id, status.length, block_size))
    };
    Entry::LoadMetadata(JournalLoadMetadata {
        id,
        parent_id: parent,
        name: status.name.clone(),
        folder: status.is_dir,
        length,
        block_size_bytes: if status.is_dir { 0 } else { block_size },
        modification_time_ms: status.last_modified_ms,
        block_ids,
        children_loaded: false,
        owner: status.access.as_ref().map(|access| access.owner.clone()),
        group: status.access.as_ref().map(|access| access.group.clone()),
        mode: status.access.as_ref().map(|access| access.mode),
    })
}
