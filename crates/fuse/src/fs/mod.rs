//! [`FuseFs`]: each FUSE request as calls to the Alluxio client.

mod attributes;
mod listing;

pub use attributes::{Caller, SetAttr};
pub use listing::DirEntry;

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fs::File;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use alluxio_client::{
    AlluxioPath, ClientError, CreateDirectoryOptions, CreateFileOptions, DeleteOptions, ErrorKind,
    FileInStream, FileInfo, FileOutStream, FileSystem, ListStatusOptions, OpenFileOptions,
};
use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;

use crate::errno::Errno;
use crate::inodes::InodeTable;
use crate::principals::Principals;
use listing::Listing;

/// How the mount presents files.
#[derive(Debug, Clone)]
pub struct FuseOptions {
    /// Owner shown for every file (the mounting user).
    pub uid: u32,
    /// Group shown for every file.
    pub gid: u32,
    /// Show each file's Alluxio owner and group as the local user and group of those names
    /// (`alluxio.fuse.user.group.translation.enabled`), and make new files the caller's;
    /// otherwise every file shows `uid` and `gid`.
    pub translate_owners: bool,
    /// Longest a request may take before it fails with `ETIMEDOUT` (never a hung call).
    pub request_timeout: Duration,
}

/// File or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
}

/// What `stat` shows of an inode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Inode number.
    pub ino: u64,
    /// Bytes (while this mount writes the file, the bytes written so far).
    pub size: u64,
    /// 512-byte blocks.
    pub blocks: u64,
    /// File or directory.
    pub kind: FileKind,
    /// Permission bits.
    pub perm: u16,
    /// Last modification.
    pub mtime: SystemTime,
    /// Creation.
    pub crtime: SystemTime,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// What `statfs` shows: the cluster's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatFs {
    /// Block size of the figures.
    pub block_size: u32,
    /// Capacity in blocks.
    pub blocks: u64,
    /// Free blocks.
    pub free: u64,
    /// Longest file name.
    pub name_max: u32,
}

/// The flags of an `open` or `create`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFlags(pub i32);

impl OpenFlags {
    /// Whether the file is opened for writing.
    pub fn writes(self) -> bool {
        self.0 & libc::O_ACCMODE != libc::O_RDONLY
    }

    fn truncates(self) -> bool {
        self.0 & libc::O_TRUNC != 0
    }

    fn exclusive(self) -> bool {
        self.0 & libc::O_EXCL != 0
    }
}

/// How long an open of a file this mount is writing waits for its release: the kernel sends
/// the release after `close` has returned, so a program that writes a file and opens it again
/// (`echo a > f; echo b > f`) would otherwise find it incomplete.
const RELEASE_WAIT: Duration = Duration::from_secs(2);
/// Longest name a path component may have.
const NAME_MAX: usize = 255;
/// Block size `statfs` and `st_blocks` count in.
const STAT_BLOCK: u64 = 512;

/// A file being written from its start, completed by flush or release.
struct Writer {
    path: AlluxioPath,
    /// `None` once completed (or abandoned).
    stream: Option<Box<FileOutStream>>,
    /// Shared with `getattr` and `setattr`.
    progress: Arc<Progress>,
}

/// What this mount knows of a file it is writing and the master does not yet.
#[derive(Default)]
struct Progress {
    /// Bytes written so far.
    written: AtomicU64,
    /// A modification time set while writing (`cp -p`, `tar x`): completing the file stamps
    /// it, so it is stored once the file is complete.
    mtime: Mutex<Option<SystemTime>>,
}

/// An open file.
enum Handle {
    Read {
        path: AlluxioPath,
        stream: tokio::sync::Mutex<Box<FileInStream>>,
    },
    Write(tokio::sync::Mutex<Writer>),
}

/// The file system a mount serves: a subtree of Alluxio seen as a POSIX folder.
pub struct FuseFs {
    client: FileSystem,
    options: FuseOptions,
    inodes: Mutex<InodeTable>,
    handles: Mutex<HashMap<u64, Arc<Handle>>>,
    /// Files this mount is writing.
    writing: Mutex<HashMap<AlluxioPath, Arc<Progress>>>,
    /// Open directories.
    listings: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<Listing>>>>,
    /// File and directory handles alike.
    next_handle: AtomicU64,
    principals: Principals,
}

impl FuseFs {
    /// Serves the Alluxio folder `root` through `client`.
    pub fn new(client: FileSystem, root: AlluxioPath, options: FuseOptions) -> Self {
        Self {
            client,
            options,
            inodes: Mutex::new(InodeTable::new(root)),
            handles: Mutex::new(HashMap::new()),
            writing: Mutex::new(HashMap::new()),
            listings: Mutex::new(HashMap::new()),
            next_handle: AtomicU64::new(1),
            principals: Principals::default(),
        }
    }

    /// Runs `call` within the request timeout; each request is logged at debug level
    /// (`alluxio.fuse.debug.enabled`).
    async fn bounded<T>(
        &self,
        operation: &str,
        path: &AlluxioPath,
        call: impl Future<Output = Result<T, Errno>>,
    ) -> Result<T, Errno> {
        let started = std::time::Instant::now();
        let result = match tokio::time::timeout(self.options.request_timeout, call).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(operation, path = %path, timeout = ?self.options.request_timeout, "FUSE request timed out");
                Err(Errno::TIMEDOUT)
            }
        };
        tracing::debug!(
            operation,
            path = %path,
            micros = started.elapsed().as_micros() as u64,
            error = result.as_ref().err().map(tracing::field::display),
            "FUSE request"
        );
        result
    }

    fn path_of(&self, ino: u64) -> Result<AlluxioPath, Errno> {
        self.inodes.lock().path(ino).ok_or(Errno::NOENT)
    }

    fn child(&self, parent: u64, name: &str) -> Result<AlluxioPath, Errno> {
        if name.len() > NAME_MAX {
            return Err(Errno::NAMETOOLONG);
        }
        if name.is_empty() || name == "." || name == ".." || name.contains('/') {
            return Err(Errno::INVAL);
        }
        self.path_of(parent)?.join(name).map_err(|_| Errno::INVAL)
    }

    /// What this mount knows of `path` while it writes it.
    fn progress(&self, path: &AlluxioPath) -> Option<Arc<Progress>> {
        self.writing.lock().get(path).cloned()
    }

    /// Waits (up to [`RELEASE_WAIT`]) until no handle of this mount writes `path`.
    async fn settled(&self, path: &AlluxioPath) {
        let deadline = tokio::time::Instant::now() + RELEASE_WAIT;
        while self.writing.lock().contains_key(path) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    async fn status(&self, operation: &str, path: &AlluxioPath) -> Result<FileInfo, Errno> {
        self.client
            .get_status(path)
            .await
            .map_err(|e| Errno::of(&e, operation, path.as_str()))
    }

    /// `lookup`: the attributes of `name` in `parent`, and one more kernel reference to it.
    pub async fn lookup(&self, parent: u64, name: &str) -> Result<Attr, Errno> {
        let path = self.child(parent, name)?;
        self.bounded("lookup", &path, async {
            let info = self.status("lookup", &path).await?;
            let ino = self.inodes.lock().remember(&path);
            Ok(self.attr(ino, &info))
        })
        .await
    }

    /// `forget`: the kernel dropped `count` references to `ino`.
    pub fn forget(&self, ino: u64, count: u64) {
        self.inodes.lock().forget(ino, count);
    }

    /// `getattr`.
    pub async fn getattr(&self, ino: u64) -> Result<Attr, Errno> {
        let path = self.path_of(ino)?;
        self.bounded("getattr", &path, async {
            let info = self.status("getattr", &path).await?;
            Ok(self.attr(ino, &info))
        })
        .await
    }

    fn next_handle(&self) -> u64 {
        self.next_handle.fetch_add(1, Ordering::Relaxed)
    }

    fn add_handle(&self, handle: Handle) -> u64 {
        let fh = self.next_handle();
        self.handles.lock().insert(fh, Arc::new(handle));
        fh
    }

    fn handle(&self, fh: u64) -> Result<Arc<Handle>, Errno> {
        self.handles.lock().get(&fh).cloned().ok_or(Errno::BADF)
    }

    /// Starts writing `path` from its start; it must not exist.
    async fn start_writing(&self, path: &AlluxioPath) -> Result<u64, Errno> {
        let options = CreateFileOptions::default();
        let stream = self
            .client
            .create_file(path, options)
            .await
            .map_err(|e| Errno::of(&e, "create", path.as_str()))?;
        let progress = Arc::new(Progress::default());
        self.writing.lock().insert(path.clone(), progress.clone());
        Ok(self.add_handle(Handle::Write(tokio::sync::Mutex::new(Writer {
            path: path.clone(),
            stream: Some(Box::new(stream)),
            progress,
        }))))
    }

    /// Replaces the file at `path` by an empty one being written.
    async fn replace(&self, path: &AlluxioPath) -> Result<u64, Errno> {
        self.client
            .delete(path, DeleteOptions::default())
            .await
            .map_err(|e| Errno::of(&e, "truncate", path.as_str()))?;
        self.start_writing(path).await
    }

    /// `open`: a handle reading the file, or writing it anew. A write-open replaces the file
    /// when it is opened with `O_TRUNC` or is empty (the kernel may truncate with a `setattr`
    /// before a plain open); any other write-open is refused, as Alluxio files are write-once.
    pub async fn open(&self, ino: u64, flags: OpenFlags) -> Result<u64, Errno> {
        let path = self.path_of(ino)?;
        self.bounded("open", &path, async {
            self.settled(&path).await;
            let info = self.status("open", &path).await?;
            if info.folder {
                return Err(Errno::ISDIR);
            }
            if flags.writes() {
                if flags.truncates() || (info.completed && info.length == 0) {
                    return self.replace(&path).await;
                }
                tracing::warn!(path = %path, "open for writing refused: Alluxio files are written once; open with O_TRUNC to replace");
                return Err(Errno::NOTSUP);
            }
            let stream = self
                .client
                .open_file(&path, OpenFileOptions::default())
                .await
                .map_err(|e| Errno::of(&e, "open", path.as_str()))?;
            Ok(self.add_handle(Handle::Read {
                path: path.clone(),
                stream: tokio::sync::Mutex::new(Box::new(stream)),
            }))
        })
        .await
    }

    /// The block file the reading handle `fh`'s file is, when the file is one block cached by
    /// the worker on this host: the kernel may read it directly (passthrough). The block stays
    /// locked on the worker until the handle is released.
    /// `None` otherwise, or when the worker did not answer within the request timeout.
    pub async fn block_file(&self, fh: u64) -> Option<Arc<File>> {
        let handle = self.handle(fh).ok()?;
        let Handle::Read { path, stream } = &*handle else {
            return None;
        };
        let mut stream = stream.lock().await;
        let file = self.bounded("open", path, async { Ok(stream.local_block_file().await) });
        file.await.ok().flatten()
    }

    /// `create`: a new file `name` in `parent` with permission bits `mode`, open for writing.
    /// An existing file is opened instead (replaced, as by `open`), unless `O_EXCL` asks for a
    /// new one.
    pub async fn create(
        &self,
        parent: u64,
        name: &str,
        flags: OpenFlags,
        mode: u32,
        caller: Caller,
    ) -> Result<(Attr, u64), Errno> {
        let path = self.child(parent, name)?;
        self.bounded("create", &path, async {
            let fh = match self.start_writing(&path).await {
                Err(Errno::EXIST) if !flags.exclusive() => {
                    self.settled(&path).await;
                    let info = self.status("create", &path).await?;
                    if info.folder {
                        return Err(Errno::ISDIR);
                    }
                    self.replace(&path).await?
                }
                other => other?,
            };
            let info = match self.adopt("create", &path, mode, caller).await {
                Ok(info) => info,
                Err(e) => {
                    // The kernel gets no handle to release: the file is completed empty now.
                    let _ = self.release(fh).await;
                    return Err(e);
                }
            };
            let ino = self.inodes.lock().remember(&path);
            Ok((self.attr(ino, &info), fh))
        })
        .await
    }

    /// `read`: up to `size` bytes from `offset` (fewer only at the end of the file).
    pub async fn read(&self, fh: u64, offset: u64, size: u32) -> Result<Bytes, Errno> {
        let Handle::Read { path, stream } = &*self.handle(fh)? else {
            return Err(Errno::BADF);
        };
        let mut stream = stream.lock().await;
        self.bounded("read", path, async {
            let fail = |e: ClientError| Errno::of(&e, "read", path.as_str());
            if stream.position() != offset {
                let target = offset.min(stream.length());
                stream.seek(target).await.map_err(fail)?;
            }
            let size = size as usize;
            // Within one block (all but one request in a block's worth) the first piece is
            // the whole answer: from a local memory-tier block, uncopied.
            let first = stream.read_shared(size).await.map_err(fail)?;
            if first.len() == size || first.is_empty() {
                return Ok(first);
            }
            let mut joined = BytesMut::with_capacity(size);
            joined.extend_from_slice(&first);
            while joined.len() < size {
                let piece = stream.read_shared(size - joined.len()).await.map_err(fail)?;
                if piece.is_empty() {
                    break;
                }
                joined.extend_from_slice(&piece);
            }
            Ok(joined.freeze())
        })
        .await
    }

    /// `write`: `data` at `offset`, which must be where the file ends so far.
    pub async fn write(&self, fh: u64, offset: u64, data: &[u8]) -> Result<u32, Errno> {
        let Handle::Write(writer) = &*self.handle(fh)? else {
            return Err(Errno::BADF);
        };
        let mut writer = writer.lock().await;
        let path = writer.path.clone();
        self.bounded("write", &path, async {
            let written = writer.progress.written.load(Ordering::Acquire);
            if offset != written {
                tracing::warn!(path = %path, offset, written, "write refused: Alluxio files are written sequentially, from the start");
                return Err(Errno::NOTSUP);
            }
            let stream = writer.stream.as_mut().ok_or(Errno::BADF)?;
            stream
                .write(data)
                .await
                .map_err(|e| Errno::of(&e, "write", path.as_str()))?;
            writer.progress.written.fetch_add(data.len() as u64, Ordering::AcqRel);
            Ok(data.len() as u32)
        })
        .await
    }

    /// `flush` (each `close` of a descriptor, dup'ed ones included) and `fsync`: the bytes
    /// written so far go on to the worker; the file stays open for more.
    pub async fn flush(&self, fh: u64) -> Result<(), Errno> {
        let Handle::Write(writer) = &*self.handle(fh)? else {
            return Ok(());
        };
        let mut writer = writer.lock().await;
        let path = writer.path.clone();
        let Some(stream) = writer.stream.as_mut() else {
            return Ok(());
        };
        self.bounded("flush", &path, async {
            stream
                .flush()
                .await
                .map_err(|e| Errno::of(&e, "flush", path.as_str()))
        })
        .await
    }

    /// `release`: the last descriptor of the handle is closed; a file being written is
    /// completed, so every client sees it, then given the modification time set meanwhile.
    pub async fn release(&self, fh: u64) -> Result<(), Errno> {
        let handle = self.handles.lock().remove(&fh).ok_or(Errno::BADF)?;
        let Handle::Write(writer) = &*handle else {
            return Ok(());
        };
        let mut writer = writer.lock().await;
        let path = writer.path.clone();
        let Some(stream) = writer.stream.take() else {
            return Ok(());
        };
        let progress = writer.progress.clone();
        let completed = self
            .bounded("release", &path, async {
                let fail = |e: ClientError| Errno::of(&e, "release", path.as_str());
                let closed = (*stream).close().await.map_err(fail);
                // Under the map's lock, as `setattr` holds it: a time set from here on is
                // stored at once.
                let mtime = {
                    let mut writing = self.writing.lock();
                    stop_writing(&mut writing, &path, &progress);
                    progress.mtime.lock().take()
                };
                closed?;
                if let Some(mtime) = mtime {
                    self.store_mtime(&path, mtime).await.map_err(fail)?;
                }
                Ok(())
            })
            .await;
        // Also when the release timed out; never a later writer's entry for the same path.
        stop_writing(&mut self.writing.lock(), &path, &progress);
        completed
    }

    /// `mkdir` with permission bits `mode`.
    pub async fn mkdir(&self, parent: u64, name: &str, mode: u32, caller: Caller) -> Result<Attr, Errno> {
        let path = self.child(parent, name)?;
        self.bounded("mkdir", &path, async {
            self.client
                .create_directory(&path, CreateDirectoryOptions::default())
                .await
                .map_err(|e| Errno::of(&e, "mkdir", path.as_str()))?;
            let info = self.adopt("mkdir", &path, mode, caller).await?;
            let ino = self.inodes.lock().remember(&path);
            Ok(self.attr(ino, &info))
        })
        .await
    }

    /// `unlink` (`directory` false) or `rmdir` (true).
    pub async fn remove(&self, parent: u64, name: &str, directory: bool) -> Result<(), Errno> {
        let path = self.child(parent, name)?;
        let operation = if directory { "rmdir" } else { "unlink" };
        self.bounded(operation, &path, async {
            self.settled(&path).await;
            let info = self.status(operation, &path).await?;
            match (directory, info.folder) {
                (true, false) => return Err(Errno::NOTDIR),
                (false, true) => return Err(Errno::ISDIR),
                _ => {}
            }
            self.delete_node(operation, &path, &info).await
        })
        .await
    }

    /// Deletes a file, or an empty directory (`ENOTEMPTY` otherwise).
    async fn delete_node(&self, operation: &str, path: &AlluxioPath, info: &FileInfo) -> Result<(), Errno> {
        if info.folder {
            let children = self
                .client
                .list_status(path, ListStatusOptions::default())
                .await
                .map_err(|e| Errno::of(&e, operation, path.as_str()))?;
            if !children.is_empty() {
                return Err(Errno::NOTEMPTY);
            }
        }
        self.client
            .delete(path, DeleteOptions::default())
            .await
            .map_err(|e| Errno::of(&e, operation, path.as_str()))?;
        self.inodes.lock().detach(path);
        Ok(())
    }

    /// `rename`: `name` in `parent` becomes `new_name` in `new_parent`, replacing a file or an
    /// empty directory there as POSIX does (in two steps: Alluxio's rename never replaces).
    pub async fn rename(
        &self,
        parent: u64,
        name: &str,
        new_parent: u64,
        new_name: &str,
    ) -> Result<(), Errno> {
        let from = self.child(parent, name)?;
        let to = self.child(new_parent, new_name)?;
        self.bounded("rename", &from, async {
            self.settled(&from).await;
            self.settled(&to).await;
            let source = self.status("rename", &from).await?;
            match self.client.get_status(&to).await {
                Ok(target) => {
                    if target.folder != source.folder {
                        return Err(if target.folder {
                            Errno::ISDIR
                        } else {
                            Errno::NOTDIR
                        });
                    }
                    self.delete_node("rename", &to, &target).await?;
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(Errno::of(&e, "rename", to.as_str())),
            }
            self.client
                .rename(&from, &to)
                .await
                .map_err(|e| Errno::of(&e, "rename", from.as_str()))?;
            self.inodes.lock().rename(&from, &to);
            Ok(())
        })
        .await
    }

    /// `setattr` with a size: only truncating to 0 (the file is replaced by an empty one) or to
    /// the size it has is possible.
    async fn truncate(&self, ino: u64, size: u64) -> Result<(), Errno> {
        let path = self.path_of(ino)?;
        self.bounded("truncate", &path, async {
            self.settled(&path).await;
            let info = self.status("truncate", &path).await?;
            if info.folder {
                return Err(Errno::ISDIR);
            }
            if size != info.length {
                if size != 0 {
                    tracing::warn!(path = %path, size, "truncate refused: only to 0 bytes");
                    return Err(Errno::NOTSUP);
                }
                let fh = self.replace(&path).await?;
                self.release(fh).await?;
            }
            Ok(())
        })
        .await
    }

    /// `statfs`: the cluster's capacity.
    pub async fn statfs(&self) -> Result<StatFs, Errno> {
        let root = AlluxioPath::root();
        self.bounded("statfs", &root, async {
            let info = self
                .client
                .block_master_info()
                .await
                .map_err(|e| Errno::of(&e, "statfs", "/"))?;
            Ok(StatFs {
                block_size: STAT_BLOCK as u32,
                blocks: info.capacity_bytes / STAT_BLOCK,
                free: info.capacity_bytes.saturating_sub(info.used_bytes) / STAT_BLOCK,
                name_max: NAME_MAX as u32,
            })
        })
        .await
    }
}

/// Takes `path` off the files being written, if `progress` is still its entry.
fn stop_writing(
    writing: &mut HashMap<AlluxioPath, Arc<Progress>>,
    path: &AlluxioPath,
    progress: &Arc<Progress>,
) {
    if writing
        .get(path)
        .is_some_and(|current| Arc::ptr_eq(current, progress))
    {
        writing.remove(path);
    }
}

/// The inode the kernel holds for `path`, else a stand-in derived from the path (never 0 or 1).
fn known_or_stand_in(inodes: &InodeTable, path: &str) -> u64 {
    let Ok(path) = AlluxioPath::new(path) else {
        return u64::MAX;
    };
    if let Some(ino) = inodes.ino(&path) {
        return ino;
    }
    let mut hasher = DefaultHasher::new();
    path.hash(&mut hasher);
    hasher.finish() | (1 << 63)
}
