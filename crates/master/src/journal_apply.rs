//! Journal entries -> namespace state. This is the only code that mutates the inode tree, both
//! live (an operation builds entries, then applies them) and on replay, so the two cannot drift.
//! [`Tree::into_snapshot`] re-expresses a tree as entries for checkpoints.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{
    JournalAddBlock, JournalAddMountPoint, JournalCompleteFile, JournalCreateFile, JournalDelete,
    JournalDeleteMountPoint, JournalEntry, JournalLoadMetadata, JournalMkdir, JournalNextContainer,
    JournalRename, JournalSetAttribute, JournalSetChildrenLoaded, PersistenceState, TtlAction, WriteType,
};
use alluxio_proto::{AlluxioPath, PathError, ids};

use crate::mount_table::MountInfo;
use crate::namespace::metastore::InodeRef;
use crate::namespace::tree::{Inode, InodeKind, Tree, root_id};

/// Why an entry does not fit the tree it is applied to, naming the inode, block or path
/// concerned. Live, it is a bug ([`crate::MasterError::ApplyRejected`]); on replay, a damaged
/// journal ([`crate::MasterError::Replay`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// A journal record without an entry.
    #[error("the entry is empty")]
    EmptyEntry,
    /// A new inode takes an id in use.
    #[error("inode {0} exists already")]
    InodeExists(u64),
    /// The entry names an inode the tree lacks.
    #[error("inode {0} does not exist")]
    InodeMissing(u64),
    /// A new or renamed inode takes a name in use in its directory.
    #[error("{name} exists already in directory {parent}")]
    NameTaken {
        /// The directory's inode id.
        parent: u64,
        /// The name.
        name: String,
    },
    /// A directory was expected: a parent, or the target of SetChildrenLoaded.
    #[error("{0} is not a directory")]
    NotADirectory(u64),
    /// A file was expected.
    #[error("{0} is a directory")]
    IsADirectory(u64),
    /// A block added to a completed file.
    #[error("file {file} is already complete; block {block} cannot be added")]
    FileCompleted {
        /// The file's inode id.
        file: u64,
        /// The block added.
        block: u64,
    },
    /// Delete of `/`.
    #[error("the root cannot be deleted")]
    DeleteRoot,
    /// Rename of `/`.
    #[error("the root cannot be renamed")]
    RenameRoot,
    /// A directory renamed into its own subtree.
    #[error("{id} cannot move below itself (into {new_parent})")]
    MoveBelowItself {
        /// The inode renamed.
        id: u64,
        /// The new parent, inside its subtree.
        new_parent: u64,
    },
    /// Delete or rename of a subtree holding a mount point (those go with their own entries).
    #[error("{path} holds mount point {mount_point}")]
    HoldsMountPoint {
        /// The subtree deleted or renamed.
        path: AlluxioPath,
        /// The mount point in it.
        mount_point: AlluxioPath,
    },
    /// A mount point that is not a directory of the tree.
    #[error("mount point {0} is not a directory in the namespace")]
    MountPointNotDirectory(AlluxioPath),
    /// A mount added at a mount point (or at `/`).
    #[error("mount point {0} exists already")]
    MountPointExists(AlluxioPath),
    /// A mount removed from a path that is not a mount point.
    #[error("{0} is not a mount point")]
    NotAMountPoint(AlluxioPath),
    /// A mount entry's path cannot be parsed.
    #[error(transparent)]
    InvalidPath(#[from] PathError),
}

impl Tree {
    /// Applies one entry read from the journal, remembering the client change it completes.
    pub fn apply_journaled(&mut self, entry: &JournalEntry) -> Result<(), ApplyError> {
        let body = entry.entry.as_ref().ok_or(ApplyError::EmptyEntry)?;
        self.apply(body)?;
        if let Some(operation) = &entry.operation_id {
            self.applied.record(operation, body);
        }
        Ok(())
    }

    /// Applies one entry.
    pub fn apply(&mut self, entry: &Entry) -> Result<(), ApplyError> {
        let applied = match entry {
            Entry::Mkdir(e) => self.apply_mkdir(e),
            Entry::CreateFile(e) => self.apply_create_file(e),
            Entry::AddBlock(e) => self.apply_add_block(e),
            Entry::CompleteFile(e) => self.apply_complete_file(e),
            Entry::Delete(e) => self.apply_delete(e),
            Entry::Rename(e) => self.apply_rename(e),
            Entry::SetAttribute(e) => self.apply_set_attribute(e),
            Entry::LoadMetadata(e) => self.apply_load_metadata(e),
            Entry::SetChildrenLoaded(e) => self.apply_set_children_loaded(e),
            Entry::NextContainer(e) => self.apply_next_container(e),
            Entry::AddMountPoint(e) => self.apply_add_mount_point(e),
            Entry::DeleteMountPoint(e) => self.apply_delete_mount_point(e),
        };
        self.inodes.settle();
        applied
    }

    fn apply_mkdir(&mut self, e: &JournalMkdir) -> Result<(), ApplyError> {
        let kind = InodeKind::Dir {
            children_loaded: false,
        };
        let persistence = if e.persisted {
            PersistenceState::Persisted
        } else {
            PersistenceState::NotPersisted
        };
        self.insert(NewInode {
            id: e.id,
            parent: e.parent_id,
            name: &e.name,
            kind,
            time_ms: e.creation_time_ms,
            persistence,
            mode: e.mode,
            owner: &e.owner,
            group: &e.group,
        })
    }

    fn apply_create_file(&mut self, e: &JournalCreateFile) -> Result<(), ApplyError> {
        let kind = InodeKind::File {
            block_size: e.block_size_bytes,
            length: 0,
            completed: false,
            block_ids: Box::default(),
            write_type: e.write_type(),
            cacheable: e.cacheable,
            ufs_fingerprint: false,
        };
        self.insert(NewInode {
            id: e.id,
            parent: e.parent_id,
            name: &e.name,
            kind,
            time_ms: e.creation_time_ms,
            persistence: e.persistence_state(),
            mode: e.mode,
            owner: &e.owner,
            group: &e.group,
        })?;
        let inode = self.inode_mut(e.id)?;
        inode.ttl = e.ttl;
        inode.ttl_action = e.ttl_action().into();
        self.index(e.id)
    }

    fn apply_add_block(&mut self, e: &JournalAddBlock) -> Result<(), ApplyError> {
        let (_, completed, block_ids) = self.file_mut(e.file_id)?;
        if *completed {
            return Err(ApplyError::FileCompleted {
                file: e.file_id,
                block: e.block_id,
            });
        }
        *block_ids = block_ids.iter().copied().chain([e.block_id]).collect();
        Ok(())
    }

    fn apply_complete_file(&mut self, e: &JournalCompleteFile) -> Result<(), ApplyError> {
        let (length, completed, block_ids) = self.file_mut(e.file_id)?;
        *length = e.length;
        *completed = true;
        *block_ids = e.block_ids.as_slice().into();
        let inode = self.inode_mut(e.file_id)?;
        if let InodeKind::File { ufs_fingerprint, .. } = &mut inode.kind {
            *ufs_fingerprint = false;
        }
        // Completing writes the content; an empty file's content is what its creation made.
        if e.length > 0 {
            inode.modification_ms = e.op_time_ms;
        }
        inode.persistence = e.persistence_state().into();
        self.index(e.file_id)
    }

    fn apply_delete(&mut self, e: &JournalDelete) -> Result<(), ApplyError> {
        if e.id == root_id() {
            return Err(ApplyError::DeleteRoot);
        }
        let parent = self.inode(e.id)?.parent;
        self.check_no_mount_below(e.id)?;
        for id in self.subtree(e.id) {
            self.inodes.remove(id);
            self.pinned_files.remove(&id);
            self.with_ttl.remove(&id);
            self.to_be_persisted.remove(&id);
        }
        self.inode_mut(parent)?.modification_ms = e.op_time_ms;
        Ok(())
    }

    fn apply_rename(&mut self, e: &JournalRename) -> Result<(), ApplyError> {
        if e.id == root_id() {
            return Err(ApplyError::RenameRoot);
        }
        if self.is_at_or_below(e.new_parent_id, e.id) {
            return Err(ApplyError::MoveBelowItself {
                id: e.id,
                new_parent: e.new_parent_id,
            });
        }
        self.check_no_mount_below(e.id)?;
        self.directory(e.new_parent_id)?;
        if self.child(e.new_parent_id, &e.new_name).is_some() {
            return Err(ApplyError::NameTaken {
                parent: e.new_parent_id,
                name: e.new_name.clone(),
            });
        }
        let new_name: Arc<str> = Arc::from(e.new_name.as_str());
        let inode = self.inode_mut(e.id)?;
        let old_parent = inode.parent;
        let old_name = std::mem::replace(&mut inode.name, new_name.clone());
        inode.parent = e.new_parent_id;
        self.inodes.remove_child(old_parent, &old_name);
        self.inodes.add_child(e.new_parent_id, new_name, e.id);
        self.inode_mut(old_parent)?.modification_ms = e.op_time_ms;
        self.inode_mut(e.new_parent_id)?.modification_ms = e.op_time_ms;
        Ok(())
    }

    fn apply_set_attribute(&mut self, e: &JournalSetAttribute) -> Result<(), ApplyError> {
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
            inode.ttl_action = e.ttl_action().into();
        }
        if e.persistence_state.is_some() {
            inode.persistence = e.persistence_state().into();
        }
        if let Some(time) = e.modification_time_ms
            && time != inode.modification_ms
        {
            inode.modification_ms = time;
            if let InodeKind::File { ufs_fingerprint, .. } = &mut inode.kind {
                *ufs_fingerprint = false;
            }
        }
        if let Some(mode) = e.mode {
            inode.mode = mode;
        }
        if e.owner.is_some() || e.group.is_some() {
            let current = inode.ownership.clone();
            let owner = e.owner.as_deref().unwrap_or(&current.owner);
            let group = e.group.as_deref().unwrap_or(&current.group);
            let ownership = self.ownerships.intern(owner, group);
            self.inode_mut(e.id)?.ownership = ownership;
        }
        if e.ttl.is_some() || e.persistence_state.is_some() {
            self.index(e.id)?;
        }
        Ok(())
    }

    /// Puts `id` in, or takes it out of, the sets of inodes with a TTL and of files waiting
    /// for persistence, as its inode now stands.
    fn index(&mut self, id: u64) -> Result<(), ApplyError> {
        let inode = self.inode(id)?;
        let (ttl, waiting) = (
            inode.ttl >= 0,
            inode.persistence == PersistenceState::ToBePersisted,
        );
        drop(inode);
        for (set, member) in [(&mut self.with_ttl, ttl), (&mut self.to_be_persisted, waiting)] {
            if member {
                set.insert(id);
            } else {
                set.remove(&id);
            }
        }
        Ok(())
    }

    fn apply_load_metadata(&mut self, e: &JournalLoadMetadata) -> Result<(), ApplyError> {
        let kind = if e.folder {
            InodeKind::Dir {
                children_loaded: e.children_loaded,
            }
        } else {
            InodeKind::File {
                block_size: e.block_size_bytes,
                length: e.length,
                completed: true,
                block_ids: e.block_ids.as_slice().into(),
                write_type: WriteType::Through,
                cacheable: true,
                ufs_fingerprint: true,
            }
        };
        self.insert(NewInode {
            id: e.id,
            parent: e.parent_id,
            name: &e.name,
            kind,
            time_ms: e.modification_time_ms,
            persistence: PersistenceState::Persisted,
            mode: e.mode.unwrap_or(if e.folder { 0o755 } else { 0o644 }),
            owner: e.owner.as_deref().unwrap_or_default(),
            group: e.group.as_deref().unwrap_or_default(),
        })
    }

    fn apply_set_children_loaded(&mut self, e: &JournalSetChildrenLoaded) -> Result<(), ApplyError> {
        match &mut self.inode_mut(e.id)?.kind {
            InodeKind::Dir { children_loaded, .. } => {
                *children_loaded = true;
                Ok(())
            }
            InodeKind::File { .. } => Err(ApplyError::NotADirectory(e.id)),
        }
    }

    fn apply_next_container(&mut self, e: &JournalNextContainer) -> Result<(), ApplyError> {
        self.next_container = self.next_container.max(e.next_container_id);
        Ok(())
    }

    fn apply_add_mount_point(&mut self, e: &JournalAddMountPoint) -> Result<(), ApplyError> {
        let point = AlluxioPath::new(&e.alluxio_path)?;
        if !self.lookup(&point).is_some_and(|inode| inode.is_dir()) {
            return Err(ApplyError::MountPointNotDirectory(point));
        }
        self.mounts.add(point, MountInfo::from_entry(e))
    }

    fn apply_delete_mount_point(&mut self, e: &JournalDeleteMountPoint) -> Result<(), ApplyError> {
        let point = AlluxioPath::new(&e.alluxio_path)?;
        self.mounts.remove(&point)?;
        Ok(())
    }

    /// Whether `id` is `ancestor` or below it: a walk up from `id`, not down a whole subtree.
    fn is_at_or_below(&self, mut id: u64, ancestor: u64) -> bool {
        loop {
            if id == ancestor {
                return true;
            }
            match self.get(id) {
                Some(inode) if inode.parent != id => id = inode.parent,
                _ => return false,
            }
        }
    }

    /// Mount points are moved or removed only with their own entries, so the table never names
    /// a path the tree lacks.
    fn check_no_mount_below(&self, id: u64) -> Result<(), ApplyError> {
        if self.mounts.is_empty() {
            return Ok(());
        }
        let path = self.path_of(id).ok_or(ApplyError::InodeMissing(id))?;
        match self.mounts.points_under(&path).next() {
            Some(point) => Err(ApplyError::HoldsMountPoint {
                path: path.clone(),
                mount_point: point.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Builds a tree from entries in journal order, in the metastore tests use.
    #[cfg(test)]
    pub fn replay<'a>(
        entries: impl IntoIterator<Item = &'a JournalEntry>,
    ) -> Result<Tree, (u64, ApplyError)> {
        let mut tree = Tree::with_metastore(crate::namespace::metastore::test_metastore());
        for entry in entries {
            tree.apply_journaled(entry)
                .map_err(|reason| (entry.sequence, reason))?;
        }
        Ok(tree)
    }

    /// The whole tree as entries which, replayed into an empty tree, rebuild it exactly, made
    /// as they are taken (see [`Snapshot`]).
    pub fn into_snapshot(self) -> Snapshot {
        let root = self.root();
        let mut first = vec![self.next_container_entry()];
        snapshot_inode(&root, &mut first);
        let walking = Some(FolderWalk {
            id: root.id,
            after: None,
            attributes: attributes_of(&root),
        });
        drop(root);
        Snapshot {
            tree: self,
            folders: VecDeque::new(),
            walking,
            ready: first.into_iter(),
            mounts_taken: false,
        }
    }

    /// The whole tree's snapshot at once.
    #[cfg(test)]
    pub fn snapshot(&self) -> Vec<JournalEntry> {
        self.clone().into_snapshot().collect()
    }

    /// What the tree holds besides its inodes, as entries which, applied to a tree over the
    /// same inodes (a disk metastore kept from the last run), restore it: the next container,
    /// the mounts and the sets of pinned files, of inodes with a TTL and of files waiting for
    /// persistence. (The ids of applied changes are not kept, as in a checkpoint.)
    pub(crate) fn beside_inodes(&self) -> Vec<Entry> {
        let indexed: BTreeSet<u64> = (self.pinned_files.iter())
            .chain(&self.with_ttl)
            .chain(&self.to_be_persisted)
            .copied()
            .collect();
        let attributes = indexed.into_iter().map(|id| {
            let ttl = self.inodes.get(id).map_or(-1, |inode| inode.ttl);
            Entry::SetAttribute(JournalSetAttribute {
                id,
                pinned: self.pinned_files.contains(&id).then_some(true),
                ttl: self.with_ttl.contains(&id).then_some(ttl),
                persistence_state: (self.to_be_persisted.contains(&id))
                    .then_some(PersistenceState::ToBePersisted.into()),
                ..Default::default()
            })
        });
        let mut out = vec![self.next_container_entry()];
        out.extend(self.mount_entries().chain(attributes));
        out
    }

    fn next_container_entry(&self) -> Entry {
        Entry::NextContainer(JournalNextContainer {
            next_container_id: self.next_container,
        })
    }

    fn mount_entries(&self) -> impl Iterator<Item = Entry> + '_ {
        self.mounts.iter().map(|(point, info)| {
            Entry::AddMountPoint(JournalAddMountPoint {
                alluxio_path: point.to_string(),
                ufs_uri: info.ufs_uri.clone(),
                mount_id: info.mount_id,
                read_only: info.read_only,
                shared: info.shared,
                properties: info.options.clone().into_iter().collect(),
            })
        })
    }

    /// Adds `new` under its parent, which must be a folder without a child of its name.
    fn insert(&mut self, new: NewInode<'_>) -> Result<(), ApplyError> {
        let NewInode { id, parent, name, .. } = new;
        if self.inodes.contains(id) {
            return Err(ApplyError::InodeExists(id));
        }
        self.directory(parent)?;
        if self.child(parent, name).is_some() {
            return Err(ApplyError::NameTaken {
                parent,
                name: name.to_string(),
            });
        }
        self.inode_mut(parent)?.modification_ms = new.time_ms;
        // Interned once, given once: a new inode's owner is never swapped for another (each
        // swap is two atomic reference count updates, which a replay of millions pays).
        let ownership = self.ownerships.intern(new.owner, new.group);
        self.inodes.insert(Inode {
            id,
            parent,
            name: Arc::from(name),
            kind: new.kind,
            creation_ms: new.time_ms,
            modification_ms: new.time_ms,
            pinned: false,
            ttl: -1,
            ttl_action: TtlAction::Delete.into(),
            persistence: new.persistence.into(),
            mode: new.mode,
            ownership,
        });
        self.next_container = self.next_container.max(ids::container_id(id) + 1);
        Ok(())
    }

    fn inode_mut(&mut self, id: u64) -> Result<&mut Inode, ApplyError> {
        self.inodes.get_mut(id).ok_or(ApplyError::InodeMissing(id))
    }

    fn inode(&self, id: u64) -> Result<InodeRef<'_>, ApplyError> {
        self.inodes.get(id).ok_or(ApplyError::InodeMissing(id))
    }

    /// Checks that `id` is a directory.
    fn directory(&self, id: u64) -> Result<(), ApplyError> {
        match self.inode(id)?.is_dir() {
            true => Ok(()),
            false => Err(ApplyError::NotADirectory(id)),
        }
    }

    /// Length, completed flag and blocks of a file.
    fn file_mut(&mut self, id: u64) -> Result<(&mut u64, &mut bool, &mut Box<[u64]>), ApplyError> {
        match &mut self.inode_mut(id)?.kind {
            InodeKind::File {
                length,
                completed,
                block_ids,
                ..
            } => Ok((length, completed, block_ids)),
            InodeKind::Dir { .. } => Err(ApplyError::IsADirectory(id)),
        }
    }
}

/// A tree's checkpoint entries, taken folder by folder (parents first) and a page of children
/// at a time, so that a checkpoint of millions of inodes never holds them all: each file's
/// entries, then its attributes; a folder's attributes after its children, whose insertion
/// updates its modification time; the mount points last.
pub struct Snapshot {
    tree: Tree,
    /// Folders whose children are still to be taken.
    folders: VecDeque<u64>,
    /// The folder whose children are being taken.
    walking: Option<FolderWalk>,
    /// Entries taken and not handed out yet.
    ready: std::vec::IntoIter<Entry>,
    mounts_taken: bool,
}

/// A folder whose children are being taken.
struct FolderWalk {
    id: u64,
    /// The last child taken.
    after: Option<Arc<str>>,
    /// Its attributes, handed out after its children.
    attributes: Entry,
}

/// Children taken from a folder at a time.
const SNAPSHOT_PAGE: usize = 1024;

impl Iterator for Snapshot {
    type Item = JournalEntry;

    fn next(&mut self) -> Option<JournalEntry> {
        loop {
            if let Some(entry) = self.ready.next() {
                return Some(JournalEntry {
                    entry: Some(entry),
                    ..Default::default()
                });
            }
            self.ready = self.take_more()?.into_iter();
        }
    }
}

impl Snapshot {
    /// The next entries (perhaps none yet); `None` once everything is taken.
    fn take_more(&mut self) -> Option<Vec<Entry>> {
        let mut out = Vec::new();
        if let Some(walk) = &mut self.walking {
            let page = self
                .tree
                .children_after(walk.id, walk.after.as_deref(), SNAPSHOT_PAGE);
            let last_page = page.len() < SNAPSHOT_PAGE;
            for (name, id) in page {
                let inode = self.tree.get(id).expect("the tree holds the children it lists");
                snapshot_inode(&inode, &mut out);
                if inode.is_dir() {
                    self.folders.push_back(id);
                } else {
                    out.push(attributes_of(&inode));
                }
                walk.after = Some(name);
            }
            if last_page && let Some(done) = self.walking.take() {
                out.push(done.attributes);
            }
        } else if let Some(id) = self.folders.pop_front() {
            let inode = self.tree.get(id).expect("the tree holds the folders it listed");
            self.walking = Some(FolderWalk {
                id,
                after: None,
                attributes: attributes_of(&inode),
            });
        } else if !self.mounts_taken {
            self.mounts_taken = true;
            out.extend(self.tree.mount_entries());
        } else {
            return None;
        }
        Some(out)
    }
}

/// What an entry creating an inode gives it; the rest starts at its default.
struct NewInode<'a> {
    id: u64,
    parent: u64,
    name: &'a str,
    kind: InodeKind,
    /// Its creation and modification time, and its parent's modification time.
    time_ms: i64,
    persistence: PersistenceState,
    mode: u32,
    owner: &'a str,
    group: &'a str,
}

/// The entries creating `inode` (but its attributes).
fn snapshot_inode(inode: &Inode, out: &mut Vec<Entry>) {
    let persisted = inode.is_persisted();
    match &inode.kind {
        InodeKind::Dir { children_loaded, .. } => {
            if inode.id != root_id() {
                out.push(Entry::Mkdir(JournalMkdir {
                    id: inode.id,
                    parent_id: inode.parent,
                    name: inode.name.to_string(),
                    creation_time_ms: inode.creation_ms,
                    persisted,
                    mode: inode.mode,
                    owner: inode.owner().to_string(),
                    group: inode.group().to_string(),
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
            block_ids,
            ufs_fingerprint: true,
            ..
        } => {
            // Loaded and unchanged since: loading it again keeps its length and modification
            // time as its UFS fingerprint (its creation time is that modification time).
            out.push(Entry::LoadMetadata(JournalLoadMetadata {
                id: inode.id,
                parent_id: inode.parent,
                name: inode.name.to_string(),
                folder: false,
                length: *length,
                block_size_bytes: *block_size,
                modification_time_ms: inode.modification_ms,
                block_ids: block_ids.to_vec(),
                children_loaded: false,
                owner: Some(inode.owner().to_string()),
                group: Some(inode.group().to_string()),
                mode: Some(inode.mode),
            }));
        }
        InodeKind::File {
            block_size,
            length,
            completed,
            block_ids,
            write_type,
            cacheable,
            ufs_fingerprint: false,
        } => {
            out.push(Entry::CreateFile(JournalCreateFile {
                id: inode.id,
                parent_id: inode.parent,
                name: inode.name.to_string(),
                creation_time_ms: inode.creation_ms,
                block_size_bytes: *block_size,
                ttl: inode.ttl,
                ttl_action: inode.ttl_action.into(),
                cacheable: *cacheable,
                mode: inode.mode,
                owner: inode.owner().to_string(),
                group: inode.group().to_string(),
                persistence_state: inode.persistence.into(),
                write_type: (*write_type).into(),
            }));
            if *completed {
                out.push(Entry::CompleteFile(JournalCompleteFile {
                    file_id: inode.id,
                    length: *length,
                    block_ids: block_ids.to_vec(),
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
}

/// What a replay cannot give an inode from the entries creating it.
fn attributes_of(inode: &Inode) -> Entry {
    Entry::SetAttribute(JournalSetAttribute {
        id: inode.id,
        pinned: Some(inode.pinned),
        ttl: Some(inode.ttl),
        ttl_action: Some(inode.ttl_action.into()),
        persistence_state: Some(inode.persistence.into()),
        modification_time_ms: Some(inode.modification_ms),
        // Inodes loaded from the UFS take their mode, owner and group only from here.
        mode: Some(inode.mode),
        owner: Some(inode.owner().to_string()),
        group: Some(inode.group().to_string()),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkdir(id: u64, parent_id: u64, name: &str) -> Entry {
        Entry::Mkdir(JournalMkdir {
            id,
            parent_id,
            name: name.into(),
            ..Default::default()
        })
    }

    fn mount(path: &str) -> Entry {
        Entry::AddMountPoint(JournalAddMountPoint {
            alluxio_path: path.into(),
            ufs_uri: "/data".into(),
            mount_id: 9,
            ..Default::default()
        })
    }

    fn path(raw: &str) -> AlluxioPath {
        AlluxioPath::new(raw).unwrap()
    }

    #[test]
    fn rejected_entries_name_what_they_concern() {
        let (dir, sub) = (ids::file_id(1), ids::file_id(2));
        let mut tree = Tree::new();
        tree.apply(&mkdir(dir, root_id(), "mnt")).unwrap();
        tree.apply(&mkdir(sub, dir, "a")).unwrap();
        assert_eq!(
            tree.apply(&mkdir(sub, dir, "b")),
            Err(ApplyError::InodeExists(sub))
        );
        assert_eq!(
            tree.apply(&mkdir(ids::file_id(3), dir, "a")),
            Err(ApplyError::NameTaken {
                parent: dir,
                name: "a".into()
            })
        );
        tree.apply(&mount("/mnt/a")).unwrap();
        assert_eq!(
            tree.apply(&mount("/mnt/a")),
            Err(ApplyError::MountPointExists(path("/mnt/a")))
        );
        assert_eq!(
            tree.apply(&mount("/none")),
            Err(ApplyError::MountPointNotDirectory(path("/none")))
        );
        let delete = |id| Entry::Delete(JournalDelete { id, op_time_ms: 1 });
        assert_eq!(
            tree.apply(&delete(dir)),
            Err(ApplyError::HoldsMountPoint {
                path: path("/mnt"),
                mount_point: path("/mnt/a"),
            })
        );
        assert_eq!(tree.apply(&delete(root_id())), Err(ApplyError::DeleteRoot));
        let rename = Entry::Rename(JournalRename {
            id: dir,
            new_parent_id: sub,
            new_name: "x".into(),
            op_time_ms: 1,
        });
        assert_eq!(
            tree.apply(&rename),
            Err(ApplyError::MoveBelowItself {
                id: dir,
                new_parent: sub
            })
        );
        let unmount = |raw: &str| {
            Entry::DeleteMountPoint(JournalDeleteMountPoint {
                alluxio_path: raw.into(),
            })
        };
        assert_eq!(
            tree.apply(&unmount("/mnt")),
            Err(ApplyError::NotAMountPoint(path("/mnt")))
        );
        assert!(matches!(
            tree.apply(&unmount("rel")),
            Err(ApplyError::InvalidPath(_))
        ));
        tree.apply(&unmount("/mnt/a")).unwrap();
        tree.apply(&delete(dir)).unwrap();
        assert_eq!(tree.apply(&delete(dir)), Err(ApplyError::InodeMissing(dir)));
    }

    #[test]
    fn replay_reports_the_sequence_of_the_entry_that_does_not_fit() {
        let entries = [
            JournalEntry {
                sequence: 1,
                entry: Some(mkdir(ids::file_id(1), root_id(), "d")),
                ..Default::default()
            },
            JournalEntry {
                sequence: 2,
                ..Default::default()
            },
        ];
        assert_eq!(Tree::replay(&entries).unwrap_err(), (2, ApplyError::EmptyEntry));
        let file = ids::file_id(4);
        let entries = [
            Entry::CreateFile(JournalCreateFile {
                id: file,
                parent_id: root_id(),
                name: "f".into(),
                ..Default::default()
            }),
            Entry::CompleteFile(JournalCompleteFile {
                file_id: file,
                ..Default::default()
            }),
            Entry::AddBlock(JournalAddBlock {
                file_id: file,
                block_id: 77,
            }),
        ]
        .map(|entry| JournalEntry {
            sequence: 5,
            entry: Some(entry),
            ..Default::default()
        });
        assert_eq!(
            Tree::replay(&entries).unwrap_err(),
            (5, ApplyError::FileCompleted { file, block: 77 })
        );
    }
}
