//! The kernel glue: [`fuser`] hands each FUSE request to [`FuseFs`] on a tokio runtime, so
//! slow requests (a UFS read) never hold the others up, and sends the answer back.

use std::ffi::OsStr;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use fuser::{
    BackgroundSession, BackingId, Config, Errno as KernelErrno, FileAttr, FileHandle, FileType, Filesystem,
    FopenFlags, Generation, INodeNo, InitFlags, KernelConfig, LockOwner, MountOption,
    OpenFlags as KernelOpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyDirectoryPlus, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request,
    SessionACL, TimeOrNow, WriteFlags,
};
use tokio::runtime::Handle;

use crate::passthrough::{IoModes, Served};
use crate::readahead;
use crate::{Attr, Caller, Errno, FileKind, FuseFs, OpenFlags, SetAttr};

/// About as many entries as one `readdir` reply (a 4 KiB page) holds, with names of a dozen
/// bytes: more would be built only to be dropped and built again for the next request.
const ENTRIES_PER_READDIR: usize = 128;
/// The same for `readdirplus`, whose entries carry attributes too.
const ENTRIES_PER_READDIRPLUS: usize = 32;
/// Threads reading requests from the kernel.
const SESSION_THREADS: usize = 2;

/// How the kernel side of a mount behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelOptions {
    /// How long the kernel may keep a file's attributes before asking again (`-o attr_timeout`).
    pub attr_timeout: Duration,
    /// How long the kernel may keep a name's inode before looking it up again
    /// (`-o entry_timeout`).
    pub entry_timeout: Duration,
    /// Reads bypass the kernel's page cache too, not only writes (`-o direct_io`): each
    /// `read(2)` is one request of its size, with no readahead and no cached copy.
    pub direct_io: bool,
    /// Answer `getxattr` with Alluxio's `user.alluxio.*` attributes (`-o user_xattr`).
    /// Otherwise the mount tells the kernel it has no extended attributes, and the kernel
    /// stops asking: `ls -l` asks each entry for two of them, a request each.
    pub user_xattr: bool,
    /// A file that is one block cached by the worker on this host is read by the kernel from
    /// the block file itself (passthrough), where the kernel offers it and the mount runs with
    /// `CAP_SYS_ADMIN`; off with `-o no_passthrough`.
    pub passthrough: bool,
}

impl Default for KernelOptions {
    fn default() -> Self {
        Self {
            attr_timeout: Duration::from_secs(1),
            entry_timeout: Duration::from_secs(1),
            direct_io: false,
            user_xattr: false,
            passthrough: true,
        }
    }
}
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
    kernel: KernelOptions,
) -> io::Result<BackgroundSession> {
    let mut config = Config::default();
    config.mount_options = options;
    config.acl = acl;
    // Two threads reading requests, each on its own descriptor: a large read or write is being
    // copied in while the next request is already read.
    config.n_threads = Some(SESSION_THREADS);
    config.clone_fd = true;
    // mountinfo lists the mount under its canonical path.
    let mountpoint = mountpoint.canonicalize()?;
    let modes = Arc::new(IoModes::new(kernel.passthrough));
    let adapter = Adapter {
        fs,
        runtime,
        kernel,
        modes,
    };
    // The session answers `init` before it returns, so the readahead raised now stays.
    let session = fuser::Session::new(adapter, &mountpoint, &config)?;
    readahead::raise(&mountpoint, MAX_READ_AHEAD / 1024);
    session.spawn()
}

struct Adapter {
    fs: Arc<FuseFs>,
    runtime: Handle,
    kernel: KernelOptions,
    /// Which open handles of each inode the kernel reads from a block file (told apart by
    /// device and inode number).
    modes: Arc<IoModes<BackingId, (u64, u64)>>,
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

fn caller(req: &Request) -> Caller {
    Caller {
        uid: req.uid(),
        gid: req.gid(),
    }
}

fn time(time: TimeOrNow) -> SystemTime {
    match time {
        TimeOrNow::SpecificTime(time) => time,
        TimeOrNow::Now => SystemTime::now(),
    }
}

impl Adapter {
    /// Serves `request` and hands its result to `reply`. The request is first polled right
    /// here on the session thread: one that completes at once (a read of a block file on this
    /// host, a listing page already fetched) is answered without a hop to another thread and
    /// back, which costs more than copying a 256 KiB read. One that waits (a master call, a
    /// remote worker) goes on to the runtime, so no slow request holds the others up.
    fn spawn<T, R>(&self, request: R, reply: impl FnOnce(Result<T, Errno>) + Send + 'static)
    where
        R: Future<Output = Result<T, Errno>> + Send + 'static,
        T: Send + 'static,
    {
        let _runtime = self.runtime.enter();
        let mut request = Box::pin(request);
        // The runtime's task polls the request again with its own waker, so the no-op one
        // given here is never needed to wake it.
        match request.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(result) => reply(result),
            Poll::Pending => {
                self.runtime.spawn(async move { reply(request.await) });
            }
        }
    }
}

impl Filesystem for Adapter {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> io::Result<()> {
        // The kernel offers the mount's default readahead (128 KiB) and accepts only less, so
        // this fails: `mount` raises the readahead once the mount is initialised, and
        // max_pages (256) lets reads grow to 1 MiB requests.
        let _ = config.set_max_readahead(MAX_READ_AHEAD);
        // A write of up to 1 MiB is one request.
        let _ = config.set_max_write(MAX_READ_AHEAD);
        // Lookups and listings of one folder in parallel, as libfuse does by default: requests
        // are already served concurrently, the kernel need not serialise these.
        let _ = config.add_capabilities(InitFlags::FUSE_PARALLEL_DIROPS);
        // O_TRUNC in `open` itself: without it the kernel opens first and truncates after, and
        // a write-once file cannot be opened for writing before it is truncated.
        if config.add_capabilities(InitFlags::FUSE_ATOMIC_O_TRUNC).is_err() {
            tracing::warn!(
                "the kernel does not pass O_TRUNC to open: files can be replaced only by truncating them first"
            );
        }
        // Listings come with each entry's attributes, so `ls -l` needs no lookup per entry.
        // Always, not READDIRPLUS_AUTO: in auto mode only the first batch of a listing carries
        // attributes, and `ls -l` then looks up every later entry once its timeout has passed.
        let plus = InitFlags::FUSE_DO_READDIRPLUS;
        if config.add_capabilities(plus).is_err() {
            tracing::info!("the kernel does not take listings with attributes (readdirplus)");
        }
        // `-o direct_io` handles can still be mapped (mmap) where the kernel allows it.
        if self.kernel.direct_io
            && config
                .add_capabilities(InitFlags::FUSE_DIRECT_IO_ALLOW_MMAP)
                .is_err()
        {
            tracing::info!("the kernel cannot map files opened with direct_io: mmap of them fails");
        }
        if self.modes.enabled() {
            // Backing files may be on any file system that is not itself stacked.
            let offered = config.add_capabilities(InitFlags::FUSE_PASSTHROUGH).is_ok()
                && config.set_max_stack_depth(1).is_ok();
            if !offered {
                self.modes
                    .disable("the kernel does not offer FUSE passthrough (Linux 6.9 or later)");
            }
        }
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let (fs, name, kernel) = (self.fs.clone(), utf8(name), self.kernel);
        self.spawn(async move { fs.lookup(parent.0, &name?).await }, move |result| {
            reply_entry(reply, kernel, result)
        });
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        self.fs.forget(ino.0, nlookup);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let (fs, ttl) = (self.fs.clone(), self.kernel.attr_timeout);
        self.spawn(async move { fs.getattr(ino.0).await }, move |result| {
            reply_attr(reply, ttl, result)
        });
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let (fs, ttl) = (self.fs.clone(), self.kernel.attr_timeout);
        let changes = SetAttr {
            size,
            mode,
            uid,
            gid,
            mtime: mtime.map(time),
        };
        self.spawn(async move { fs.setattr(ino.0, changes).await }, move |result| {
            reply_attr(reply, ttl, result)
        });
    }

    fn mkdir(&self, req: &Request, parent: INodeNo, name: &OsStr, mode: u32, _umask: u32, reply: ReplyEntry) {
        let (fs, name, kernel, caller) = (self.fs.clone(), utf8(name), self.kernel, caller(req));
        self.spawn(
            async move { fs.mkdir(parent.0, &name?, mode, caller).await },
            move |result| reply_entry(reply, kernel, result),
        );
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

    /// A handle writing the file, served by the mount once no reader reads the file from its
    /// block file; or a reading one, read by the kernel from the block file when the file is
    /// one local block and the inode's other handles allow it.
    fn open(&self, _req: &Request, ino: INodeNo, flags: KernelOpenFlags, reply: ReplyOpen) {
        let (fs, modes, flags) = (self.fs.clone(), self.modes.clone(), OpenFlags(flags.0));
        let cache = page_cache(flags, self.kernel.direct_io);
        if flags.writes() {
            let request = async move {
                modes.start_writing(ino.0).await?;
                fs.open(ino.0, flags).await.inspect_err(|_| modes.release(ino.0))
            };
            return self.spawn(request, move |result| match result {
                Ok(fh) => reply.opened(FileHandle(fh), cache),
                Err(e) => reply.error(kernel_errno(e)),
            });
        }
        let request = async move {
            let fh = fs.open(ino.0, flags).await?;
            let block_file = match modes.enabled() {
                true => fs.block_file(fh).await,
                false => None,
            };
            Ok((fh, block_file, modes, fs))
        };
        self.spawn(request, move |result| match result {
            Ok((fh, block_file, modes, fs)) => {
                // The block file's identity: a replaced file has another.
                let identity = block_file
                    .as_ref()
                    .and_then(|file| file.metadata().ok())
                    .map(|meta| (meta.dev(), meta.ino()));
                let backing = || {
                    let file = block_file?;
                    reply
                        .open_backing(file.as_fd())
                        .inspect_err(|e| {
                            modes.disable(&format!("the kernel refused a block file as a backing file: {e}"))
                        })
                        .ok()
                };
                match modes.start_reading(ino.0, identity, backing) {
                    Served::Backing(backing) => {
                        reply.opened_passthrough(FileHandle(fh), FopenFlags::empty(), &backing)
                    }
                    Served::Mount => reply.opened(FileHandle(fh), cache),
                    Served::Busy => {
                        tokio::spawn(async move { fs.release(fh).await });
                        reply.error(kernel_errno(Errno::TXTBSY));
                    }
                }
            }
            Err(e) => reply.error(kernel_errno(e)),
        });
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
        ino: INodeNo,
        fh: FileHandle,
        _flags: KernelOpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.modes.release(ino.0);
        let fs = self.fs.clone();
        self.spawn(async move { fs.release(fh.0).await }, move |result| {
            reply_empty(reply, result)
        });
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: KernelOpenFlags, reply: ReplyOpen) {
        let fs = self.fs.clone();
        self.spawn(
            async move { fs.opendir(ino.0).await },
            move |result| match result {
                Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::empty()),
                Err(e) => reply.error(kernel_errno(e)),
            },
        );
    }

    fn readdir(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        let fs = self.fs.clone();
        self.spawn(
            async move { fs.readdir(fh.0, offset, ENTRIES_PER_READDIR).await },
            move |result| match result {
                Ok(entries) => {
                    for entry in entries {
                        let kind = file_type(entry.kind());
                        if reply.add(INodeNo(entry.attr.ino), entry.offset, kind, &entry.name) {
                            break;
                        }
                    }
                    reply.ok();
                }
                Err(e) => reply.error(kernel_errno(e)),
            },
        );
    }

    /// `readdir` with each entry's attributes, so that `ls -l` needs no lookup per entry.
    fn readdirplus(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectoryPlus,
    ) {
        let (fs, kernel) = (self.fs.clone(), self.kernel);
        self.spawn(
            async move {
                let entries = fs.readdir(fh.0, offset, ENTRIES_PER_READDIRPLUS).await;
                entries.map(|entries| (fs, entries))
            },
            move |result| match result {
                Ok((fs, entries)) => {
                    for entry in entries {
                        let remembered = fs.looked_up(&entry);
                        let mut attr = entry.attr.clone();
                        attr.ino = remembered.unwrap_or(attr.ino);
                        let full = reply.add(
                            INodeNo(attr.ino),
                            entry.offset,
                            &entry.name,
                            &kernel.entry_timeout,
                            &file_attr(&attr),
                            Generation(0),
                        );
                        if full {
                            // Not sent, so not a lookup the kernel will forget.
                            if let Some(ino) = remembered {
                                fs.forget(ino, 1);
                            }
                            break;
                        }
                    }
                    reply.ok();
                }
                Err(e) => reply.error(kernel_errno(e)),
            },
        );
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: KernelOpenFlags,
        reply: ReplyEmpty,
    ) {
        self.fs.releasedir(fh.0);
        reply.ok();
    }

    fn getxattr(&self, _req: &Request, ino: INodeNo, name: &OsStr, size: u32, reply: ReplyXattr) {
        // `ls -l` asks every entry for its security label and ACL: answered here, without a
        // hop to the runtime.
        if !self.kernel.user_xattr {
            // Remembered by the kernel, which then answers EOPNOTSUPP itself.
            return reply.error(KernelErrno::ENOSYS);
        }
        if !name.to_str().is_some_and(FuseFs::has_xattr) {
            return reply.error(kernel_errno(Errno::NODATA));
        }
        let (fs, name) = (self.fs.clone(), utf8(name));
        self.spawn(async move { fs.getxattr(ino.0, &name?).await }, move |result| {
            reply_xattr(reply, size, result)
        });
    }

    fn listxattr(&self, _req: &Request, ino: INodeNo, size: u32, reply: ReplyXattr) {
        if !self.kernel.user_xattr {
            return reply.error(KernelErrno::ENOSYS);
        }
        reply_xattr(reply, size, self.fs.listxattr(ino.0));
    }

    fn setxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _value: &[u8],
        _flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        // Alluxio's attributes change through `alluxio fs` (pin, setTtl, persist).
        reply.error(kernel_errno(Errno::NOTSUP));
    }

    fn removexattr(&self, _req: &Request, _ino: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(kernel_errno(Errno::NOTSUP));
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
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let (fs, name, kernel, caller) = (self.fs.clone(), utf8(name), self.kernel, caller(req));
        let cache = page_cache(OpenFlags(flags), self.kernel.direct_io);
        let modes = self.modes.clone();
        self.spawn(
            async move {
                let (attr, fh) = fs
                    .create(parent.0, &name?, OpenFlags(flags), mode, caller)
                    .await?;
                // Only when this replaced a file another client created meanwhile, which
                // passthrough readers here have open.
                if !modes.try_start_writing(attr.ino) {
                    fs.release(fh).await?;
                    return Err(Errno::TXTBSY);
                }
                Ok((attr, fh))
            },
            move |result| match result {
                Ok((attr, fh)) => reply.created(
                    &kernel.entry_timeout,
                    &file_attr(&attr),
                    Generation(0),
                    FileHandle(fh),
                    cache,
                ),
                Err(e) => reply.error(kernel_errno(e)),
            },
        );
    }
}

/// How a handle uses the kernel's page cache: a handle writing a new file bypasses it (its
/// bytes are written once, in order, and need no cached copy), a reading one keeps it for
/// read-ahead unless the mount is `direct_io`.
fn page_cache(flags: OpenFlags, direct_io: bool) -> FopenFlags {
    if flags.writes() || direct_io {
        FopenFlags::FOPEN_DIRECT_IO
    } else {
        FopenFlags::empty()
    }
}

fn reply_attr(reply: ReplyAttr, ttl: Duration, result: Result<Attr, Errno>) {
    match result {
        Ok(attr) => reply.attr(&ttl, &file_attr(&attr)),
        Err(e) => reply.error(kernel_errno(e)),
    }
}

/// A name's inode: the kernel keeps the name for the entry timeout (the attributes it comes
/// with are kept as long, as the FUSE reply has one timeout for both).
fn reply_entry(reply: ReplyEntry, kernel: KernelOptions, result: Result<Attr, Errno>) {
    match result {
        Ok(attr) => reply.entry(&kernel.entry_timeout, &file_attr(&attr), Generation(0)),
        Err(e) => reply.error(kernel_errno(e)),
    }
}

/// An extended attribute's value or a list of names: its size when asked with size 0,
/// `ERANGE` when it does not fit.
fn reply_xattr(reply: ReplyXattr, size: u32, result: Result<Vec<u8>, Errno>) {
    match result {
        Ok(value) if size == 0 => reply.size(value.len() as u32),
        Ok(value) if value.len() > size as usize => reply.error(KernelErrno::ERANGE),
        Ok(value) => reply.data(&value),
        Err(e) => reply.error(kernel_errno(e)),
    }
}

fn reply_empty(reply: ReplyEmpty, result: Result<(), Errno>) {
    match result {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(kernel_errno(e)),
    }
}
