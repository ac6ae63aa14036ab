//! Creating directories and files, allocating blocks, completing files.

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{
    FileInfo, JournalAddBlock, JournalCompleteFile, JournalCreateFile, JournalMkdir, PersistenceState,
    TtlAction, WriteType,
};
use alluxio_proto::ids;

use super::permission::Access;
use super::tree::{InodeKind, Tree};
use super::{FileSystemMaster, IdAlloc, derived_block_ids, persist_ancestors};
use crate::{MasterError, now_ms};

/// How to create a file.
#[derive(Debug, Clone)]
pub struct CreateFileOptions {
    /// Create missing parent directories.
    pub recursive: bool,
    /// Block size; 0 takes the master's default.
    pub block_size: u64,
    /// How the client will write it.
    pub write_type: WriteType,
    /// Time to live in ms after creation; 0 or less means none.
    pub ttl: i64,
    /// What happens when the TTL expires.
    pub ttl_action: TtlAction,
    /// Create it complete and empty, in one journaled step (nothing will be written to it).
    pub complete_empty: bool,
}

impl FileSystemMaster {
    /// Creates a directory; THROUGH and CACHE_THROUGH also create it in the UFS.
    pub async fn create_directory(
        &self,
        path: &AlluxioPath,
        recursive: bool,
        allow_exists: bool,
        write_type: WriteType,
    ) -> Result<(), MasterError> {
        let through = write_type.writes_through();
        {
            let tree = self.tree.read();
            if let Some(inode) = tree.lookup(path) {
                if inode.is_dir() && allow_exists {
                    return Ok(());
                }
                return Err(MasterError::AlreadyExists(path.to_string()));
            }
            self.check_writable(&tree, path)?;
            self.check_parent(&tree, "create", path, Access::Write)?;
        }
        if through {
            let target = self.resolve_ufs(path)?;
            target.ufs.mkdirs(&target.uri).await?;
        }
        self.commit(|tree, alloc| {
            if let Some(inode) = tree.lookup(path) {
                if inode.is_dir() && allow_exists {
                    return Ok((Vec::new(), ()));
                }
                return Err(MasterError::AlreadyExists(path.to_string()));
            }
            self.check_writable(tree, path)?;
            self.check_parent(tree, "create", path, Access::Write)?;
            let now = now_ms();
            let parents = missing_parents(self, tree, path, recursive, through, now, alloc)?;
            let mut entries = parents.entries;
            if through {
                // The UFS mkdirs created the existing ancestors too.
                entries.extend(persist_ancestors(tree, parents.deepest_existing, now));
            }
            entries.push(mkdir(
                alloc.next(),
                parents.id,
                path.name(),
                through,
                now,
                &parents.owned,
            ));
            Ok((entries, ()))
        })
        .await
    }

    /// Creates an empty file, incomplete unless `options.complete_empty`, and returns its
    /// status.
    pub async fn create_file(
        &self,
        path: &AlluxioPath,
        options: CreateFileOptions,
    ) -> Result<FileInfo, MasterError> {
        let settings = &self.settings;
        let block_size = match options.block_size {
            0 => settings.default_block_size,
            size => size,
        };
        if block_size == 0 {
            return Err(MasterError::InvalidArgument(format!(
                "cannot create {path}: its block size is 0; give a positive block size"
            )));
        }
        let may_create = |tree: &Tree| {
            if tree.lookup(path).is_some() {
                return Err(MasterError::AlreadyExists(path.to_string()));
            }
            self.check_writable(tree, path)?;
            self.check_parent(tree, "create", path, Access::Write)
        };
        // An empty file complete at once is persisted by the master, for any write type but
        // MUST_CACHE: no client will write it to the UFS, and no worker holds a block of it.
        let persisted = options.complete_empty
            && !matches!(options.write_type, WriteType::MustCache | WriteType::Unspecified);
        if persisted {
            may_create(&self.tree.read())?;
            if let Some(parent) = path.parent() {
                let target = self.resolve_ufs(&parent)?;
                target.ufs.mkdirs(&target.uri).await?;
            }
            let target = self.resolve_ufs(path)?;
            target.ufs.create(&target.uri).await?.close().await?;
        }
        let id = self
            .commit(|tree, alloc| {
                may_create(tree)?;
                let now = now_ms();
                let parents = missing_parents(self, tree, path, options.recursive, persisted, now, alloc)?;
                let mut entries = parents.entries;
                if persisted {
                    entries.extend(persist_ancestors(tree, parents.deepest_existing, now));
                }
                let persistence_state = if persisted {
                    PersistenceState::Persisted
                } else {
                    PersistenceState::NotPersisted
                };
                let owned = parents.owned;
                let id = alloc.next();
                entries.push(Entry::CreateFile(JournalCreateFile {
                    id,
                    parent_id: parents.id,
                    name: path.name().to_string(),
                    creation_time_ms: now,
                    block_size_bytes: block_size,
                    ttl: if options.ttl > 0 { options.ttl } else { -1 },
                    ttl_action: options.ttl_action.into(),
                    cacheable: options.write_type != WriteType::Through,
                    mode: 0o666 & !owned.umask,
                    owner: owned.owner,
                    group: owned.group,
                    persistence_state: persistence_state.into(),
                    write_type: options.write_type.into(),
                }));
                if options.complete_empty {
                    entries.push(Entry::CompleteFile(JournalCompleteFile {
                        file_id: id,
                        length: 0,
                        block_ids: Vec::new(),
                        op_time_ms: now,
                        persistence_state: persistence_state.into(),
                    }));
                }
                Ok((entries, id))
            })
            .await?;
        self.file_info_of(id, path)
    }

    /// Allocates the next block of an incomplete file.
    pub async fn new_block_id(&self, path: &AlluxioPath) -> Result<u64, MasterError> {
        self.commit(|tree, _| {
            let inode = tree.resolve(path)?;
            self.check_owner_or(tree, "write", path, Access::Write)?;
            let InodeKind::File {
                completed, block_ids, ..
            } = &inode.kind
            else {
                return Err(MasterError::IsADirectory(path.to_string()));
            };
            if *completed {
                return Err(MasterError::FileAlreadyCompleted(path.to_string()));
            }
            let sequence = block_sequence(path, block_ids.len() as u64)?;
            let block_id = ids::block_id(ids::container_id(inode.id), sequence);
            let entry = Entry::AddBlock(JournalAddBlock {
                file_id: inode.id,
                block_id,
            });
            Ok((vec![entry], block_id))
        })
        .await
    }

    /// Completes a file of `length` bytes and returns its status.
    pub async fn complete_file(&self, path: &AlluxioPath, length: u64) -> Result<FileInfo, MasterError> {
        let (id, write_type, block_size, allocated) = {
            let tree = self.tree.read();
            let inode = tree.resolve(path)?;
            self.check_owner_or(&tree, "complete", path, Access::Write)?;
            match &inode.kind {
                InodeKind::File { completed: true, .. } => {
                    return Err(MasterError::FileAlreadyCompleted(path.to_string()));
                }
                InodeKind::File {
                    write_type,
                    block_size,
                    block_ids,
                    ..
                } => (inode.id, *write_type, *block_size, block_ids.clone()),
                InodeKind::Dir { .. } => return Err(MasterError::IsADirectory(path.to_string())),
            }
        };
        let block_ids = self.completed_blocks(path, id, write_type, block_size, length, &allocated)?;
        let mut state = match write_type {
            WriteType::CacheThrough | WriteType::Through => PersistenceState::Persisted,
            WriteType::AsyncThrough => PersistenceState::ToBePersisted,
            WriteType::MustCache | WriteType::Unspecified => PersistenceState::NotPersisted,
        };
        if state == PersistenceState::ToBePersisted && length == 0 {
            // No block for a worker to persist from: the master writes the empty file itself.
            let target = self.resolve_ufs(path)?;
            target.ufs.create(&target.uri).await?.close().await?;
            state = PersistenceState::Persisted;
        }
        if state == PersistenceState::Persisted
            && let Some(parent) = path.parent()
        {
            let target = self.resolve_ufs(&parent)?;
            target.ufs.mkdirs(&target.uri).await?;
        }
        self.commit(|tree, _| {
            let inode = tree.resolve(path)?;
            if inode.id != id {
                return Err(MasterError::NotFound(path.to_string()));
            }
            if let InodeKind::File { completed: true, .. } = inode.kind {
                return Err(MasterError::FileAlreadyCompleted(path.to_string()));
            }
            let now = now_ms();
            let mut entries = vec![Entry::CompleteFile(JournalCompleteFile {
                file_id: id,
                length,
                block_ids,
                op_time_ms: now,
                persistence_state: state.into(),
            })];
            if state == PersistenceState::Persisted {
                entries.extend(persist_ancestors(tree, inode.parent, now));
            }
            Ok((entries, ()))
        })
        .await?;
        if state == PersistenceState::ToBePersisted {
            self.persist.lock().schedule(id);
        }
        self.file_info_of(id, path)
    }

    /// The final block list of a file being completed, checked against `length`.
    fn completed_blocks(
        &self,
        path: &AlluxioPath,
        id: u64,
        write_type: WriteType,
        block_size: u64,
        length: u64,
        allocated: &[u64],
    ) -> Result<Vec<u64>, MasterError> {
        if write_type.writes_through() {
            // The UFS copy is complete whatever the workers kept (evictions while writing are
            // normal): every block exists, and the cached ones keep their locations.
            block_sequence(path, length.div_ceil(block_size.max(1)).saturating_sub(1))?;
            return Ok(derived_block_ids(id, length, block_size));
        }
        let mut committed = Vec::new();
        let mut total = 0;
        for block in allocated {
            if let Some(info) = self.blocks.block_info(*block) {
                committed.push(*block);
                total += info.length;
            }
        }
        if total == length {
            return Ok(committed);
        }
        Err(MasterError::FileIncomplete {
            path: path.to_string(),
            reason: format!("the length given is {length} bytes but its committed blocks hold {total} bytes"),
        })
    }
}

/// The largest number of blocks of one file: the sequence part of a block id holds 24 bits, and
/// the all-ones sequence is the file id itself.
pub(super) const MAX_BLOCKS_PER_FILE: u64 = ids::MAX_SEQUENCE - 1;

/// `sequence` if a block of `path` may have it.
pub(super) fn block_sequence(path: &AlluxioPath, sequence: u64) -> Result<u64, MasterError> {
    if sequence >= MAX_BLOCKS_PER_FILE {
        return Err(MasterError::InvalidArgument(format!(
            "file {path} has reached the maximum of {MAX_BLOCKS_PER_FILE} blocks; use a larger block size"
        )));
    }
    Ok(sequence)
}

/// Who owns the inodes one operation creates, and the bits its umask takes away.
pub(super) struct Ownership {
    /// The caller (the master's user for its own work).
    owner: String,
    /// The group of the directory they are created in.
    group: String,
    umask: u32,
}

/// The entry creating directory `name` (id `id`) in `parent`.
pub(super) fn mkdir(id: u64, parent: u64, name: &str, persisted: bool, now: i64, owned: &Ownership) -> Entry {
    Entry::Mkdir(JournalMkdir {
        id,
        parent_id: parent,
        name: name.to_string(),
        creation_time_ms: now,
        persisted,
        mode: 0o777 & !owned.umask,
        owner: owned.owner.clone(),
        group: owned.group.clone(),
    })
}

/// What creating the missing ancestors of a path takes.
struct NewParents {
    /// Mkdir entries of the missing ancestors, from the top.
    entries: Vec<Entry>,
    /// The directory that will hold the path.
    id: u64,
    /// The deepest ancestor that exists already (`id` when none is missing).
    deepest_existing: u64,
    /// Who owns what is created: the caller, in the group of the deepest existing ancestor.
    owned: Ownership,
}

/// The missing ancestors of `path`, created only if `recursive`.
fn missing_parents(
    fs: &FileSystemMaster,
    tree: &Tree,
    path: &AlluxioPath,
    recursive: bool,
    persisted: bool,
    now: i64,
    alloc: &mut IdAlloc,
) -> Result<NewParents, MasterError> {
    let parent_path = path
        .parent()
        .ok_or_else(|| MasterError::AlreadyExists(path.to_string()))?;
    let mut entries = Vec::new();
    let mut current = tree.root();
    let mut current_id = current.id;
    let mut walked = AlluxioPath::root();
    let mut creating = false;
    let mut owned = None;
    for name in parent_path.components() {
        walked = walked.join(name)?;
        if !creating {
            if !current.is_dir() {
                let parent = walked.parent().map(|p| p.to_string()).unwrap_or_default();
                return Err(MasterError::NotADirectory(parent));
            }
            if let Some(child) = tree.child(current_id, name).and_then(|id| tree.get(id)) {
                current_id = child.id;
                current = child;
                continue;
            }
            if !recursive {
                return Err(MasterError::NotFound(parent_path.to_string()));
            }
            creating = true;
        }
        let id = alloc.next();
        let owned = owned.get_or_insert_with(|| fs.ownership(&current));
        entries.push(mkdir(id, current_id, name, persisted, now, owned));
        current_id = id;
    }
    if !creating && !current.is_dir() {
        return Err(MasterError::NotADirectory(parent_path.to_string()));
    }
    let owned = owned.unwrap_or_else(|| fs.ownership(&current));
    Ok(NewParents {
        entries,
        id: current_id,
        deepest_existing: current.id,
        owned,
    })
}

impl FileSystemMaster {
    /// Who owns inodes the current call creates in `dir`.
    pub(super) fn ownership(&self, dir: &super::tree::Inode) -> Ownership {
        Ownership {
            owner: self.new_owner(),
            group: self.group_in(dir),
            umask: self.settings.umask,
        }
    }
}
