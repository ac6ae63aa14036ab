//! Journal entries -> namespace state. This is the only code that mutates the inode tree, both
//! live (an operation builds entries, then applies them) and on replay, so the two cannot drift.
//! [`Tree::snapshot`] re-expresses a tree as entries for checkpoints.

use std::collections::BTreeMap;

use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{
    JournalAddBlock, JournalAddMountPoint, JournalCompleteFile, JournalCreateFile, JournalEntry,
    JournalMkdir, JournalNextContainer, JournalSetAttribute, JournalSetChildrenLoaded, PersistenceState,
    TtlAction, WriteType,
};
use alluxio_proto::{AlluxioPath, ids};

use crate::mount_table::MountInfo;
use crate::namespace::tree::{Inode, InodeKind, Tree, root_id};

/// Why an entry does not fit the tree it is applied to.
pub type ApplyError = String;

impl Tree {
    /// Applies one entry.
    pub fn apply(&mut self, entry: &Entry) -> Result<(), ApplyError> {
        match entry {
            Entry::Mkdir(e) => {
                let kind = InodeKind::Dir {
                    children: BTreeMap::new(),
                    children_loaded: false,
                };
                let persistence = if e.persisted {
                    PersistenceState::Persisted
                } else {
                    PersistenceState::NotPersisted
                };
                self.insert(e.id, e.parent_id, &e.name, kind, e.creation_time_ms, persistence)?;
                let inode = self.inode_mut(e.id)?;
                inode.mode = e.mode;
                inode.owner.clone_from(&e.owner);
                inode.group.clone_from(&e.group);
            }
            Entry::CreateFile(e) => {
                let kind = InodeKind::File {
                    block_size: e.block_size_bytes,
                    length: 0,
                    completed: false,
                    block_ids: Vec::new(),
                    write_type: e.write_type(),
                    cacheable: e.cacheable,
                };
                let persistence = e.persistence_state();
                self.insert(e.id, e.parent_id, &e.name, kind, e.creation_time_ms, persistence)?;
                let inode = self.inode_mut(e.id)?;
                inode.ttl = e.ttl;
                inode.ttl_action = e.ttl_action();
                inode.mode = e.mode;
                inode.owner.clone_from(&e.owner);
                inode.group.clone_from(&e.group);
            }
            Entry::AddBlock(e) => {
                let (_, completed, block_ids) = self.file_mut(e.file_id)?;
                if *completed {
                    return Err(format!("file {} is already complete", e.file_id));
                }
                block_ids.push(e.block_id);
            }
            Entry::CompleteFile(e) => {
                let (length, completed, block_ids) = self.file_mut(e.file_id)?;
                *length = e.length;
                *completed = true;
                block_ids.clone_from(&e.block_ids);
                let inode = self.inode_mut(e.file_id)?;
                inode.modification_ms = e.op_time_ms;
                inode.persistence = e.persistence_state();
            }
            Entry::Delete(e) => {
                if e.id == root_id() {
                    return Err("the root cannot be deleted".into());
                }
                let parent = self.inode_mut(e.id)?.parent;
                let name = self.inode_mut(e.id)?.name.clone();
                self.check_no_mount_below(e.id)?;
                for id in self.subtree(e.id) {
                    self.inodes.remove(&id);
                    self.pinned_files.remove(&id);
                }
                self.children_mut(parent)?.remove(&name);
                self.inode_mut(parent)?.modification_ms = e.op_time_ms;
            }
            Entry::Rename(e) => {
                if e.id == root_id() {
                    return Err("the root cannot be renamed".into());
                }
                if self.subtree(e.id).contains(&e.new_parent_id) {
                    return Err(format!("{} cannot move below itself", e.id));
                }
                self.check_no_mount_below(e.id)?;
                if self.children_mut(e.new_parent_id)?.contains_key(&e.new_name) {
                    return Err(format!("{} already exists in {}", e.new_name, e.new_parent_id));
                }
                let inode = self.inode_mut(e.id)?;
                let (old_parent, old_name) = (inode.parent, std::mem::take(&mut inode.name));
                inode.parent = e.new_parent_id;
                inode.name.clone_from(&e.new_name);
                self.children_mut(old_parent)?.remove(&old_name);
                self.children_mut(e.new_parent_id)?
                    .insert(e.new_name.clone(), e.id);
                self.inode_mut(old_parent)?.modification_ms = e.op_time_ms;
                self.inode_mut(e.new_parent_id)?.modification_ms = e.op_time_ms;
            }
            Entry::SetAttribute(e) => {
                let inode = self.inode_mut(e.id)?;
                if let Some(pinned) = e.pinned {
                    inode.pinned = pinned;
                    if pinned && !inode.is_dir() {
                        self.pinned_files.insert(e.id);
                    } else {
                        self.pinned_files.remove(&e.id);
                    }
                }
                let inode = self.inode_mut(e.id)?;
                if let Some(ttl) = e.ttl {
                    inode.ttl = ttl;
                }
                if e.ttl_action.is_some() {
                    inode.ttl_action = e.ttl_action();
                }
                if e.persistence_state.is_some() {
                    inode.persistence = e.persistence_state();
                }
                if let Some(time) = e.modification_time_ms {
                    inode.modification_ms = time;
                }
            }
            Entry::LoadMetadata(e) => {
                let kind = if e.folder {
                    InodeKind::Dir {
                        children: BTreeMap::new(),
                        children_loaded: e.children_loaded,
                    }
                } else {
                    InodeKind::File {
                        block_size: e.block_size_bytes,
                        length: e.length,
                        completed: true,
                        block_ids: e.block_ids.clone(),
                        write_type: WriteType::Through,
                        cacheable: true,
                    }
                };
                let time = e.modification_time_ms;
                self.insert(
                    e.id,
                    e.parent_id,
                    &e.name,
                    kind,
                    time,
                    PersistenceState::Persisted,
                )?;
                self.inode_mut(e.id)?.mode = if e.folder { 0o755 } else { 0o644 };
            }
            Entry::SetChildrenLoaded(e) => match &mut self.inode_mut(e.id)?.kind {
                InodeKind::Dir { children_loaded, .. } => *children_loaded = true,
                InodeKind::File { .. } => return Err(format!("{} is not a directory", e.id)),
            },
            Entry::NextContainer(e) => {
                self.next_container = self.next_container.max(e.next_container_id);
            }
            Entry::AddMountPoint(e) => {
                let point = AlluxioPath::new(&e.alluxio_path).map_err(|err| err.to_string())?;
                match self.lookup(&point) {
                    Some(inode) if inode.is_dir() => {}
                    _ => return Err(format!("mount point {point} is not a directory in the namespace")),
                }
                self.mounts.add(point, MountInfo::from_entry(e))?;
            }
            Entry::DeleteMountPoint(e) => {
                let point = AlluxioPath::new(&e.alluxio_path).map_err(|err| err.to_string())?;
                self.mounts.remove(&point)?;
            }
        }
        Ok(())
    }

    /// Mount points are moved or removed only with their own entries, so the table never names
    /// a path the tree lacks.
    fn check_no_mount_below(&self, id: u64) -> Result<(), ApplyError> {
        if self.mounts.is_empty() {
            return Ok(());
        }
        let path = self
            .path_of(id)
            .ok_or_else(|| format!("inode {id} does not exist"))?;
        match self.mounts.points_under(&path).next() {
            Some(point) => Err(format!("{path} holds mount point {point}")),
            None => Ok(()),
        }
    }

    /// Builds a tree from entries in journal order.
    pub fn replay<'a>(
        entries: impl IntoIterator<Item = &'a JournalEntry>,
    ) -> Result<Tree, (u64, ApplyError)> {
        let mut tree = Tree::new();
        for entry in entries {
            let Some(body) = &entry.entry else {
                return Err((entry.sequence, "the entry is empty".into()));
            };
            tree.apply(body).map_err(|reason| (entry.sequence, reason))?;
        }
        Ok(tree)
    }

    /// The whole tree as entries which, replayed into an empty tree, rebuild it exactly.
    pub fn snapshot(&self) -> Vec<JournalEntry> {
        let mut out = vec![Entry::NextContainer(JournalNextContainer {
            next_container_id: self.next_container,
        })];
        let mut attributes = Vec::new();
        for id in self.all_ids() {
            let Some(inode) = self.get(id) else { continue };
            snapshot_inode(inode, &mut out, &mut attributes);
        }
        out.extend(self.mounts.iter().map(|(point, info)| {
            Entry::AddMountPoint(JournalAddMountPoint {
                alluxio_path: point.to_string(),
                ufs_uri: info.ufs_uri.clone(),
                mount_id: info.mount_id,
                read_only: info.read_only,
                shared: info.shared,
                properties: info.options.clone().into_iter().collect(),
            })
        }));
        // Attributes last: inserting children updates their parent's modification time.
        out.into_iter()
            .chain(attributes)
            .map(|entry| JournalEntry {
                entry: Some(entry),
                ..Default::default()
            })
            .collect()
    }

    fn insert(
        &mut self,
        id: u64,
        parent: u64,
        name: &str,
        kind: InodeKind,
        time_ms: i64,
        persistence: PersistenceState,
    ) -> Result<(), ApplyError> {
        if self.inodes.contains_key(&id) {
            return Err(format!("inode {id} exists already"));
        }
        let children = self.children_mut(parent)?;
        if children.contains_key(name) {
            return Err(format!("{name} exists already in directory {parent}"));
        }
        children.insert(name.to_string(), id);
        self.inode_mut(parent)?.modification_ms = time_ms;
        let is_dir = matches!(kind, InodeKind::Dir { .. });
        self.inodes.insert(
            id,
            Inode {
                id,
                parent,
                name: name.to_string(),
                kind,
                creation_ms: time_ms,
                modification_ms: time_ms,
                pinned: false,
                ttl: -1,
                ttl_action: TtlAction::Delete,
                persistence,
                mode: if is_dir { 0o755 } else { 0o644 },
                owner: String::new(),
                group: String::new(),
            },
        );
        self.next_container = self.next_container.max(ids::container_id(id) + 1);
        Ok(())
    }

    fn inode_mut(&mut self, id: u64) -> Result<&mut Inode, ApplyError> {
        self.inodes
            .get_mut(&id)
            .ok_or_else(|| format!("inode {id} does not exist"))
    }

    fn children_mut(&mut self, id: u64) -> Result<&mut BTreeMap<String, u64>, ApplyError> {
        match &mut self.inode_mut(id)?.kind {
            InodeKind::Dir { children, .. } => Ok(children),
            InodeKind::File { .. } => Err(format!("{id} is not a directory")),
        }
    }

    /// Length, completed flag and blocks of a file.
    fn file_mut(&mut self, id: u64) -> Result<(&mut u64, &mut bool, &mut Vec<u64>), ApplyError> {
        match &mut self.inode_mut(id)?.kind {
            InodeKind::File {
                length,
                completed,
                block_ids,
                ..
            } => Ok((length, completed, block_ids)),
            InodeKind::Dir { .. } => Err(format!("{id} is a directory")),
        }
    }
}

fn snapshot_inode(inode: &Inode, out: &mut Vec<Entry>, attributes: &mut Vec<Entry>) {
    let persisted = inode.is_persisted();
    match &inode.kind {
        InodeKind::Dir { children_loaded, .. } => {
            if inode.id != root_id() {
                out.push(Entry::Mkdir(JournalMkdir {
                    id: inode.id,
                    parent_id: inode.parent,
                    name: inode.name.clone(),
                    creation_time_ms: inode.creation_ms,
                    persisted,
                    mode: inode.mode,
                    owner: inode.owner.clone(),
                    group: inode.group.clone(),
                }));
            }
            if *children_loaded {
                out.push(Entry::SetChildrenLoaded(JournalSetChildrenLoaded {
                    id: inode.id,
                }));
            }
        }
        InodeKind::File {
            block_size,
            length,
            completed,
            block_ids,
            write_type,
            cacheable,
        } => {
            out.push(Entry::CreateFile(JournalCreateFile {
                id: inode.id,
                parent_id: inode.parent,
                name: inode.name.clone(),
                creation_time_ms: inode.creation_ms,
                block_size_bytes: *block_size,
                ttl: inode.ttl,
                ttl_action: inode.ttl_action.into(),
                cacheable: *cacheable,
                mode: inode.mode,
                owner: inode.owner.clone(),
                group: inode.group.clone(),
                persistence_state: inode.persistence.into(),
                write_type: (*write_type).into(),
            }));
            if *completed {
                out.push(Entry::CompleteFile(JournalCompleteFile {
                    file_id: inode.id,
                    length: *length,
                    block_ids: block_ids.clone(),
                    op_time_ms: inode.modification_ms,
                    persistence_state: inode.persistence.into(),
                }));
            } else {
                out.extend(block_ids.iter().map(|block_id| {
                    Entry::AddBlock(JournalAddBlock {
                        file_id: inode.id,
                        block_id: *block_id,
                    })
                }));
            }
        }
    }
    attributes.push(Entry::SetAttribute(JournalSetAttribute {
        id: inode.id,
        pinned: Some(inode.pinned),
        ttl: Some(inode.ttl),
        ttl_action: Some(inode.ttl_action.into()),
        persistence_state: Some(inode.persistence.into()),
        modification_time_ms: Some(inode.modification_ms),
        ..Default::default()
    }));
}
