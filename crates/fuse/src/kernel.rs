//! The kernel glue: [`fuser`] hands each FUSE request to [`FuseFs`] on a tokio runtime, so
//! slow requests (a UFS read) never hold the others up, and sends the answer back.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use fuser::{
    BackgroundSession, Config, Errno as KernelErrno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags,
    Generation, INodeNo, InitFlags, KernelConfig, LockOwner, MountOption, OpenFlags as KernelOpenFlags,
    RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen,
    ReplyStatfs, ReplyWrite, Request, SessionACL, TimeOrNow, WriteFlags,
};
use parking_lot::Mutex;
use tokio::runtime::Handle;

use crate::{Attr, DirEntry, Errno, FileKind, FuseFs, OpenFlags};

/// How long the kernel may keep attributes and names before asking again.
const TTL: Duration = Duration::from_secs(1);
/// Largest read the kernel is told to send (it also reads ahead up to this much).
const MAX_READ_AHEAD: u32 = 1 << 20;

/// Mounts `fs` at `mountpoint` with `options`, for the users `acl` lets in; requests run on
/// `runtime`. The mount ends when the returned session is dropped or the folder is unmounted.
pub fn mount(
    fs: Arc<FuseFs>,
    runtime: Handle,
    mountpoint: &Path,
    options: Vec<MountOption>,
    acl: SessionACL,
) -> io::Result<BackgroundSession> {
    let mut config = Config::default();
    config.mount_options = options;
    config.acl = acl;
    let adapter = Adapter {
        fs,
        runtime,
        listings: Arc::new(Mutex::new(HashMap::new())),
        next_listing: AtomicU64::new(1),
    };
    fuser::Session::new(adapter, mountpoint, &config)?.spawn()
}

struct Adapter {
    fs: Arc<FuseFs>,
    runtime: Handle,
    /// Directory listings taken at `opendir`, read by `readdir` offset by offset.
    listings: Arc<Mutex<HashMap<u64, Arc<Vec<DirEntry>>>>>,
    next_listing: AtomicU64,
}

fn kernel_errno(errno: Errno) -> KernelErrno {
    KernelErrno::from_i32(errno.0)
}

fn file_type(kind: FileKind) -> FileType {
    match kind {
        FileKind::File => FileType::RegularFile,
        FileKind::Directory => FileType::Directory,
    }
}

fn file_attr(attr: &Attr) -> FileAttr {
    FileAttr {
        ino: INodeNo(attr.ino),
        size: attr.size,
        blocks: attr.blocks,
        atime: attr.mtime,
        mtime: attr.mtime,
        ctime: attr.mtime,
        crtime: attr.crtime,
        kind: file_type(attr.kind),
        perm: attr.perm,
        nlink: if attr.kind == FileKind::Directory { 2 } else { 1 },
        uid: attr.uid,
        gid: attr.gid,
        rdev: 0,
        blksize: MAX_READ_AHEAD,
        flags: 0,
    }
}

/// A name the kernel sent, which Alluxio paths hold only as UTF-8.
fn utf8(name: &OsStr) -> Result<String, Errno> {
    name.to_str().map(str::to_string).ok_or(Errno::INVAL)
}

impl Adapter {
    /// Runs `request` on the runtime and hands its result to `reply`.
    fn spawn<T, R>(&self, request: R, reply: impl FnOnce(Result<T, Errno>) + Send + 'static)
    where
        R: Future<Output = Result<T, Errno>> + Send + 'static,
        T: Send + 'static,
    {
        self.runtime.spawn(async move { reply(request.await) });
    }
}

impl Filesystem for Adapter {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> io::Result<()> {
        let _ = config.set_max_readahead(MAX_READ_AHEAD);
        let _ = config.set_max_write(MAX_READ_AHEAD);
        // O_TRUNC in `open` itself: without it the kernel opens first and truncates after, and
        // a write-once file cannot be opened for writing before it is truncated.
        if config.add_capabilities(InitFlags::FUSE_ATOMIC_O_TRUNC).is_err() {
            tracing::warn!(
                "the kernel does not pass O_TRUNC to open: files can be replaced only by truncating them first"
            );
        }
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let (fs, name) = (self.fs.clone(), utf8(name));
        self.spawn(async move { fs.lookup(parent.0, &name?).await }, move |result| {
            reply_entry(reply, result)
        });
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        self.fs.forget(ino.0, nlookup);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let fs = self.fs.clone();
        self.spawn(async move { fs.getattr(ino.0).await }, move |result| {
            reply_attr(reply, result)
        });
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let fs = self.fs.clone();
        let request = async move {
            match size {
                Some(size) => fs.truncate(ino.0, size).await,
                // Modes, owners and times are not stored yet: the attributes stay as they are.
                None => fs.getattr(ino.0).await,
            }
        };
        self.spawn(request, move |result| reply_attr(reply, result));
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        let (fs, name) = (self.fs.clone(), utf8(name));
        self.spawn(async move { fs.mkdir(parent.0, &name?).await }, move |result| {
            reply_entry(reply, result)
        });
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let (fs, name) = (self.fs.clone(), utf8(name));
        self.spawn(
            async move { fs.remove(parent.0, &name?, false).await },
            move |result| reply_empty(reply, result),
        );
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let (fs, name) = (self.fs.clone(), utf8(name));
        self.spawn(
            async move { fs.remove(parent.0, &name?, true).await },
            move |result| reply_empty(reply, result),
        );
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        if !flags.is_empty() {
            // RENAME_EXCHANGE and RENAME_NOREPLACE need an atomic rename Alluxio does not have.
            return reply.error(kernel_errno(Errno::INVAL));
        }
        let (fs, name, newname) = (self.fs.clone(), utf8(name), utf8(newname));
        let request = async move { fs.rename(parent.0, &name?, newparent.0, &newname?).await };
        self.spawn(request, move |result| reply_empty(reply, result));
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: KernelOpenFlags, reply: ReplyOpen) {
        let fs = self.fs.clone();
        self.spawn(
            async move { fs.open(ino.0, OpenFlags(flags.0)).await },
            move |result| match result {
                Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::empty()),
                Err(e) => reply.error(kernel_errno(e)),
            },
        );
    }

    fn read(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: KernelOpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let fs = self.fs.clone();
        self.spawn(
            async move { fs.read(fh.0, offset, size).await },
            move |result| match result {
                Ok(data) => reply.data(&data),
                Err(e) => reply.error(kernel_errno(e)),
            },
        );
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: KernelOpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let (fs, data) = (self.fs.clone(), data.to_vec());
        self.spawn(
            async move { fs.write(fh.0, offset, &data).await },
            move |result| match result {
                Ok(written) => reply.written(written),
                Err(e) => reply.error(kernel_errno(e)),
            },
        );
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        let fs = self.fs.clone();
        self.spawn(async move { fs.flush(fh.0).await }, move |result| {
            reply_empty(reply, result)
        });
    }

    fn fsync(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        let fs = self.fs.clone();
        self.spawn(async move { fs.flush(fh.0).await }, move |result| {
            reply_empty(reply, result)
        });
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: KernelOpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        let fs = self.fs.clone();
        self.spawn(async move { fs.release(fh.0).await }, move |result| {
            reply_empty(reply, result)
        });
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: KernelOpenFlags, reply: ReplyOpen) {
        let fs = self.fs.clone();
        let id = self.next_listing.fetch_add(1, Ordering::Relaxed);
        let listings = self.listings.clone();
        self.spawn(
            async move { fs.readdir(ino.0).await },
            move |result| match result {
                Ok(entries) => {
                    listings.lock().insert(id, Arc::new(entries));
                    reply.opened(FileHandle(id), FopenFlags::empty());
                }
                Err(e) => reply.error(kernel_errno(e)),
            },
        );
    }

    fn readdir(&self, _req: &Request, ino: INodeNo, fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        let Some(entries) = self.listings.lock().get(&fh.0).cloned() else {
            return reply.error(kernel_errno(Errno::BADF));
        };
        // Offsets: 1 is ".", 2 is "..", 3 + i is entries[i].
        let dots = [
            (ino.0, FileType::Directory, "."),
            (ino.0, FileType::Directory, ".."),
        ];
        let listed = entries
            .iter()
            .map(|e| (e.ino, file_type(e.kind), e.name.as_str()));
        for (index, (entry_ino, kind, name)) in
            dots.into_iter().chain(listed).enumerate().skip(offset as usize)
        {
            if reply.add(INodeNo(entry_ino), index as u64 + 1, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: KernelOpenFlags,
        reply: ReplyEmpty,
    ) {
        self.listings.lock().remove(&fh.0);
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let fs = self.fs.clone();
        self.spawn(async move { fs.statfs().await }, move |result| match result {
            Ok(s) => reply.statfs(
                s.blocks,
                s.free,
                s.free,
                0,
                0,
                s.block_size,
                s.name_max,
                s.block_size,
            ),
            Err(e) => reply.error(kernel_errno(e)),
        });
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let (fs, name) = (self.fs.clone(), utf8(name));
        self.spawn(
            async move { fs.create(parent.0, &name?, OpenFlags(flags)).await },
            move |result| match result {
                Ok((attr, fh)) => reply.created(
                    &TTL,
                    &file_attr(&attr),
                    Generation(0),
                    FileHandle(fh),
                    FopenFlags::empty(),
                ),
                Err(e) => reply.error(kernel_errno(e)),
            },
        );
    }
}

fn reply_attr(reply: ReplyAttr, result: Result<Attr, Errno>) {
    match result {
        Ok(attr) => reply.attr(&TTL, &file_attr(&attr)),
        Err(e) => reply.error(kernel_errno(e)),
    }
}

fn reply_entry(reply: ReplyEntry, result: Result<Attr, Errno>) {
    match result {
        Ok(attr) => reply.entry(&TTL, &file_attr(&attr), Generation(0)),
        Err(e) => reply.error(kernel_errno(e)),
    }
}

fn reply_empty(reply: ReplyEmpty, result: Result<(), Errno>) {
    match result {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(kernel_errno(e)),
    }
}
