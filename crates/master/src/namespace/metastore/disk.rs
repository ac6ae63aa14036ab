//! The ROCKS metastore (a redb file here): inodes and directory children on disk, the recently
//! used inodes in a bounded cache, and the changes since the last flush in memory.
//!
//! Changes are written back in batches: an applied entry changes the in-memory overlay only,
//! and once it holds [`FLUSH_AT`] changes they go to disk in one transaction, under the tree's
//! write lock like every change, without an fsync. The journal, not this file, is what makes a
//! change durable. The master's store is kept across restarts (`inodes.redb` in
//! `alluxio.master.metastore.dir`) and made durable only by [`DiskStore::commit`], which records
//! the journal sequence it holds (see `namespace::resume`): after a crash, redb brings the file
//! back to that commit, and the journal entries after it are replayed. Other stores (a standby's,
//! tests') live in an unlinked file that vanishes with the process.
//!
//! Reads go to the file as of the last flush: both tables open in one read transaction, opened
//! again after each flush (one per flush, not one per read). A clone is a frozen view for
//! checkpoints: it keeps reading that transaction (redb's MVCC keeps it while the live store
//! goes on writing) under a copy of the overlay, and never flushes.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use quick_cache::sync::Cache;
use redb::backends::FileBackend;
use redb::{Database, Durability, ReadOnlyTable, ReadableDatabase, ReadableTable, TableDefinition};

use super::codec;
use super::{InodeRef, MetastoreSettings};
use crate::namespace::tree::{Inode, Interner};

/// Inode records by id.
const INODES: TableDefinition<u64, &[u8]> = TableDefinition::new("inodes");
/// Child ids by directory id and name: a directory's children are one key range, in name order.
const EDGES: TableDefinition<(u64, &str), u64> = TableDefinition::new("edges");
/// What the last commit recorded: the inode count, and the caller's state.
const STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("state");
const INODE_COUNT: &str = "inodes";
const KEPT_STATE: &str = "kept";

/// Changes held in memory before they are written to disk in one transaction: a flush of this
/// many takes a few milliseconds.
pub(super) const FLUSH_AT: usize = 4096;
/// Every this many flushes one is committed with an fsync, which lets redb reuse the pages
/// the flushes before it freed.
const DURABLE_EVERY: u32 = 64;
/// redb's own cache of file pages (edges and records of inodes not in the inode cache).
const PAGE_CACHE_BYTES: usize = 64 << 20;

/// Inodes and children on disk, with an inode cache and the unflushed changes in memory.
pub(crate) struct DiskStore {
    db: Arc<Database>,
    /// The folder holding the file, for messages.
    dir: Arc<Path>,
    /// The file as of the last flush (or, in a frozen view, of the view).
    flushed: Arc<Flushed>,
    /// A frozen view: never flushes.
    frozen: bool,
    /// Kept across restarts (else unlinked).
    kept: bool,
    /// Inodes changed since the last flush (`None`: removed).
    changed: HashMap<u64, Option<Box<Inode>>>,
    /// Children added (`Some`) or removed (`None`) since the last flush, by directory.
    changed_children: BTreeMap<u64, BTreeMap<Arc<str>, Option<u64>>>,
    /// Recently read or flushed inodes (none in a frozen view).
    cache: Option<Cache<u64, Arc<Inode>>>,
    /// Folder entries recently read from the file, as many as inodes (none in a frozen view):
    /// resolving a path reads one for each of its components.
    edges: Option<Cache<Edge, u64>>,
    /// Inodes the live store caches.
    cache_capacity: usize,
    len: usize,
    /// Changes held before a flush ([`FLUSH_AT`] but in tests).
    flush_at: usize,
    /// Owner and group pairs of decoded inodes.
    ownerships: Mutex<Interner>,
    flushes: u32,
}

impl DiskStore {
    /// A new, empty store in an unlinked file created in `dir` (gone with the process), caching
    /// up to `cache_inodes` inodes and writing changes once `flush_at` are held.
    pub(super) fn create(dir: &Path, cache_inodes: usize, flush_at: usize) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        let file = tempfile::tempfile_in(dir)
            .map_err(|err| format!("cannot create a file in {}: {err}", dir.display()))?;
        let db = Database::builder()
            .set_cache_size(PAGE_CACHE_BYTES)
            .create_with_backend(FileBackend::new(file))
            .map_err(|err| format!("cannot create the metastore in {}: {err}", dir.display()))?;
        Self::over(db, dir, cache_inodes, flush_at, false)
    }

    /// The store kept in `path` across restarts, with what [`DiskStore::commit`] last recorded
    /// with it (`None` for a new or never committed file: it holds nothing then). Another
    /// process holding the file is an error.
    pub(super) fn open_kept(
        path: &Path,
        cache_inodes: usize,
        flush_at: usize,
    ) -> Result<(Self, Option<Vec<u8>>), String> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        let db = Database::builder()
            .set_cache_size(PAGE_CACHE_BYTES)
            .create(path)
            .map_err(|err| format!("cannot open the metastore {}: {err}", path.display()))?;
        let mut store = Self::over(db, dir, cache_inodes, flush_at, true)?;
        let kept = store
            .read_state()
            .map_err(|err| format!("cannot read the metastore {}: {}", path.display(), err.0))?;
        if let Some((inodes, _)) = &kept {
            store.len = *inodes as usize;
        }
        Ok((store, kept.map(|(_, state)| state)))
    }

    fn over(
        db: Database,
        dir: &Path,
        cache_inodes: usize,
        flush_at: usize,
        kept: bool,
    ) -> Result<Self, String> {
        let db = Arc::new(db);
        let fail = |err: Failure| format!("cannot create the metastore in {}: {}", dir.display(), err.0);
        write(&db, Durability::None, |txn| {
            txn.open_table(INODES)?;
            txn.open_table(EDGES)?;
            txn.open_table(STATE)?;
            Ok(())
        })
        .map_err(fail)?;
        let flushed = Arc::new(Flushed::open(&db).map_err(fail)?);
        Ok(Self {
            db,
            dir: Arc::from(dir),
            flushed,
            frozen: false,
            kept,
            changed: HashMap::new(),
            changed_children: BTreeMap::new(),
            cache: (cache_inodes > 0).then(|| Cache::new(cache_inodes)),
            edges: (cache_inodes > 0).then(|| Cache::new(cache_inodes)),
            cache_capacity: cache_inodes,
            len: 0,
            flush_at,
            ownerships: Mutex::new(Interner::default()),
            flushes: 0,
        })
    }

    /// The inode count and the caller's state recorded by the last commit, if any.
    fn read_state(&self) -> Result<Option<(u64, Vec<u8>)>, Failure> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(STATE)?;
        let (Some(inodes), Some(state)) = (table.get(INODE_COUNT)?, table.get(KEPT_STATE)?) else {
            return Ok(None);
        };
        let inodes =
            <[u8; 8]>::try_from(inodes.value()).map_err(|_| Failure("the inode count is damaged".into()))?;
        Ok(Some((u64::from_le_bytes(inodes), state.value().to_vec())))
    }

    /// Whether the file is kept across restarts.
    pub(super) fn is_kept(&self) -> bool {
        self.kept
    }

    /// Writes every change held, with `state` (what the caller needs to resume from the file),
    /// and makes a kept file durable: after a crash it is as of the last commit, which the
    /// flushes in between never are. Nothing for an unlinked file or a frozen view.
    pub(super) fn commit(&mut self, state: &[u8]) {
        if self.kept && !self.frozen {
            self.write_changes(Durability::Immediate, Some(state));
        }
    }

    pub(super) fn settings(&self) -> MetastoreSettings {
        MetastoreSettings::Disk {
            dir: self.dir.to_path_buf(),
            inode_cache: self.cache_capacity,
        }
    }

    pub(super) fn get(&self, id: u64) -> Option<InodeRef<'_>> {
        match self.changed.get(&id) {
            Some(Some(inode)) => return Some(InodeRef::Borrowed(inode)),
            Some(None) => return None,
            None => {}
        }
        if let Some(inode) = self.cache.as_ref().and_then(|cache| cache.get(&id)) {
            return Some(InodeRef::Shared(inode));
        }
        let inode = Arc::new(self.read_inode(id)?);
        if let Some(cache) = &self.cache {
            cache.insert(id, inode.clone());
        }
        Some(InodeRef::Shared(inode))
    }

    pub(super) fn get_mut(&mut self, id: u64) -> Option<&mut Inode> {
        if !self.changed.contains_key(&id) {
            let cached = self.cache.as_ref().and_then(|cache| cache.remove(&id));
            let inode = match cached {
                Some((_, inode)) => Arc::unwrap_or_clone(inode),
                None => self.read_inode(id)?,
            };
            self.changed.insert(id, Some(Box::new(inode)));
        }
        self.changed.get_mut(&id)?.as_deref_mut()
    }

    pub(super) fn insert(&mut self, inode: Inode) {
        if inode.id != inode.parent {
            self.add_child(inode.parent, inode.name.clone(), inode.id);
        }
        if let Some(cache) = &self.cache {
            cache.remove(&inode.id);
        }
        if !matches!(
            self.changed.insert(inode.id, Some(Box::new(inode))),
            Some(Some(_))
        ) {
            self.len += 1;
        }
    }

    pub(super) fn remove(&mut self, id: u64) -> Option<Inode> {
        self.get_mut(id)?;
        let inode = *self.changed.insert(id, None).flatten()?;
        self.remove_child(inode.parent, &inode.name);
        self.len -= 1;
        Some(inode)
    }

    pub(super) fn add_child(&mut self, dir: u64, name: Arc<str>, id: u64) {
        self.forget_edge(dir, &name);
        self.changed_children
            .entry(dir)
            .or_default()
            .insert(name, Some(id));
    }

    pub(super) fn remove_child(&mut self, dir: u64, name: &str) {
        self.forget_edge(dir, name);
        self.changed_children
            .entry(dir)
            .or_default()
            .insert(Arc::from(name), None);
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn child(&self, dir: u64, name: &str) -> Option<u64> {
        if let Some(changed) = self.changed_children.get(&dir).and_then(|names| names.get(name)) {
            return *changed;
        }
        if let Some(id) = self
            .edges
            .as_ref()
            .and_then(|edges| edges.get(&EdgeRef(dir, name)))
        {
            return Some(id);
        }
        let id = self.read(|flushed| Ok(flushed.edges.get((dir, name))?.map(|id| id.value())));
        if let (Some(id), Some(edges)) = (id, &self.edges) {
            edges.insert(Edge(dir, Arc::from(name)), id);
        }
        id
    }

    /// Drops a folder entry about to change from the cache (the unflushed change answers until
    /// the next flush writes it to the file).
    fn forget_edge(&self, dir: u64, name: &str) {
        if let Some(edges) = &self.edges {
            edges.remove(&EdgeRef(dir, name));
        }
    }

    /// Up to `limit` children after `start_after`: the file's, with the unflushed changes laid
    /// over them.
    pub(super) fn children_after(
        &self,
        dir: u64,
        start_after: Option<&str>,
        limit: usize,
    ) -> Vec<(Arc<str>, u64)> {
        let from = match start_after {
            Some(name) => Bound::Excluded(name),
            None => Bound::Unbounded,
        };
        let mut changed = self
            .changed_children
            .get(&dir)
            .into_iter()
            .flat_map(|names| names.range::<str, _>((from, Bound::Unbounded)))
            .peekable();
        self.read(|flushed| {
            let start = match start_after {
                Some(name) => Bound::Excluded((dir, name)),
                None => Bound::Included((dir, "")),
            };
            let end = match dir.checked_add(1) {
                Some(next) => Bound::Excluded((next, "")),
                None => Bound::Unbounded,
            };
            let mut stored = flushed.edges.range((start, end))?.peekable();
            let mut out = Vec::new();
            while out.len() < limit {
                if matches!(stored.peek(), Some(Err(_))) {
                    let err = stored.next().and_then(Result::err).expect("an error was peeked");
                    return Err(err.into());
                }
                let order = match (changed.peek(), stored.peek()) {
                    (None, None) => break,
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (Some((name, _)), Some(Ok((key, _)))) => (***name).cmp(key.value().1),
                    (_, Some(Err(_))) => unreachable!("errors are returned above"),
                };
                if order == Ordering::Greater {
                    let (key, id) = stored.next().expect("an entry was peeked")?;
                    out.push((Arc::from(key.value().1), id.value()));
                    continue;
                }
                let (name, change) = changed.next().expect("a change was peeked");
                if order == Ordering::Equal {
                    stored.next();
                }
                if let Some(id) = change {
                    out.push((name.clone(), *id));
                }
            }
            Ok(out)
        })
    }

    pub(super) fn child_count(&self, dir: u64) -> usize {
        self.children_after(dir, None, usize::MAX).len()
    }

    /// Writes the unflushed changes to the file once there are enough of them (never in a
    /// frozen view). A kept file is only made durable by [`DiskStore::commit`]; an unlinked one
    /// every [`DURABLE_EVERY`] flushes, so that redb reuses the pages they freed.
    pub(super) fn flush_if_full(&mut self) {
        let pending = self.changed.len() + self.changed_children.values().map(BTreeMap::len).sum::<usize>();
        if self.frozen || pending < self.flush_at {
            return;
        }
        self.flushes = self.flushes.wrapping_add(1);
        let durability = if !self.kept && self.flushes.is_multiple_of(DURABLE_EVERY) {
            Durability::Immediate
        } else {
            Durability::None
        };
        self.write_changes(durability, None);
    }

    fn write_changes(&mut self, durability: Durability, state: Option<&[u8]>) {
        let (changed, changed_children, len) = (&self.changed, &self.changed_children, self.len);
        let written = write(&self.db, durability, |txn| {
            let mut inodes = txn.open_table(INODES)?;
            let mut record = Vec::new();
            for (id, inode) in changed {
                match inode {
                    Some(inode) => {
                        record.clear();
                        codec::encode(inode, &mut record);
                        inodes.insert(id, record.as_slice())?;
                    }
                    None => {
                        inodes.remove(id)?;
                    }
                }
            }
            let mut edges = txn.open_table(EDGES)?;
            for (dir, names) in changed_children {
                for (name, child) in names {
                    match child {
                        Some(id) => edges.insert((*dir, &**name), id)?,
                        None => edges.remove((*dir, &**name))?,
                    };
                }
            }
            let mut table = txn.open_table(STATE)?;
            match state {
                Some(state) => {
                    table.insert(INODE_COUNT, (len as u64).to_le_bytes().as_slice())?;
                    table.insert(KEPT_STATE, state)?;
                }
                // A flush after a commit no longer matches the state it recorded. After a crash
                // redb rolls the file back to that commit, but closing the database makes the
                // flush durable: the file then records nothing and is rebuilt from the journal.
                None => {
                    table.remove(KEPT_STATE)?;
                }
            }
            Ok(())
        })
        .and_then(|()| Flushed::open(&self.db));
        self.flushed = Arc::new(written.unwrap_or_else(|failure| self.fail(failure)));
        self.changed_children.clear();
        for (id, inode) in self.changed.drain() {
            if let (Some(inode), Some(cache)) = (inode, &self.cache) {
                cache.insert(id, Arc::from(inode));
            }
        }
    }

    fn read_inode(&self, id: u64) -> Option<Inode> {
        self.read(|flushed| {
            let Some(record) = flushed.inodes.get(id)? else {
                return Ok(None);
            };
            let ownership = |owner: &str, group: &str| self.ownerships.lock().intern(owner, group);
            Ok(Some(codec::decode(id, record.value(), ownership)?))
        })
    }

    /// Reads the file as of the last flush.
    fn read<T>(&self, read: impl FnOnce(&Flushed) -> Result<T, Failure>) -> T {
        read(&self.flushed).unwrap_or_else(|failure| self.fail(failure))
    }

    /// A metastore that cannot be read or written leaves the master without its namespace: it
    /// stops rather than answer from a partial one. The journal holds every change, so a restart
    /// rebuilds the store.
    fn fail(&self, failure: Failure) -> ! {
        panic!(
            "the metastore file in {} failed ({}); the journal holds every change: fix the folder (alluxio.master.metastore.dir) and restart the master",
            self.dir.display(),
            failure.0
        )
    }
}

/// Both tables, open in one read transaction.
struct Flushed {
    inodes: ReadOnlyTable<u64, &'static [u8]>,
    edges: ReadOnlyTable<(u64, &'static str), u64>,
}

impl Flushed {
    fn open(db: &Database) -> Result<Self, Failure> {
        let txn = db.begin_read()?;
        Ok(Self {
            inodes: txn.open_table(INODES)?,
            edges: txn.open_table(EDGES)?,
        })
    }
}

/// Runs `write` in one transaction committed with `durability`.
fn write(
    db: &Database,
    durability: Durability,
    write: impl FnOnce(&redb::WriteTransaction) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let mut txn = db.begin_write()?;
    txn.set_durability(durability)?;
    write(&txn)?;
    txn.commit()?;
    Ok(())
}

/// A redb failure or a damaged record, as text for [`DiskStore::fail`].
struct Failure(String);

impl<E: Into<redb::Error>> From<E> for Failure {
    fn from(err: E) -> Self {
        Failure(err.into().to_string())
    }
}

impl From<codec::DamagedRecord> for Failure {
    fn from(err: codec::DamagedRecord) -> Self {
        Failure(err.to_string())
    }
}

/// A cached folder entry: the folder's id and the child's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Edge(u64, Arc<str>);

/// An [`Edge`] looked up without allocating its name (hashed the same way).
#[derive(Hash)]
struct EdgeRef<'a>(u64, &'a str);

impl quick_cache::Equivalent<Edge> for EdgeRef<'_> {
    fn equivalent(&self, key: &Edge) -> bool {
        self.0 == key.0 && self.1 == &*key.1
    }
}

impl Clone for DiskStore {
    /// A frozen view of the store as it is now.
    fn clone(&self) -> Self {
        Self {
            db: self.db.clone(),
            dir: self.dir.clone(),
            flushed: self.flushed.clone(),
            frozen: true,
            kept: self.kept,
            changed: self.changed.clone(),
            changed_children: self.changed_children.clone(),
            cache: None,
            edges: None,
            cache_capacity: self.cache_capacity,
            len: self.len,
            flush_at: self.flush_at,
            ownerships: Mutex::new(Interner::default()),
            flushes: 0,
        }
    }
}

impl fmt::Debug for DiskStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiskStore")
            .field("dir", &self.dir)
            .field("inodes", &self.len)
            .field("unflushed", &self.changed.len())
            .field("frozen", &self.frozen)
            .finish()
    }
}
