//! The errno each failure reaches the calling program as.

use alluxio_client::{ClientError, ErrorKind};

/// A POSIX error number, as the kernel hands it to the program that made the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// No such file or directory.
    pub const NOENT: Errno = Errno(libc::ENOENT);
    /// File exists.
    pub const EXIST: Errno = Errno(libc::EEXIST);
    /// Directory not empty.
    pub const NOTEMPTY: Errno = Errno(libc::ENOTEMPTY);
    /// Not a directory.
    pub const NOTDIR: Errno = Errno(libc::ENOTDIR);
    /// Is a directory.
    pub const ISDIR: Errno = Errno(libc::EISDIR);
    /// Invalid argument.
    pub const INVAL: Errno = Errno(libc::EINVAL);
    /// Permission denied.
    pub const ACCES: Errno = Errno(libc::EACCES);
    /// No space left.
    pub const NOSPC: Errno = Errno(libc::ENOSPC);
    /// Input/output error: the cluster failed; the log says how.
    pub const IO: Errno = Errno(libc::EIO);
    /// Bad file handle.
    pub const BADF: Errno = Errno(libc::EBADF);
    /// Operation not supported (random writes, appends to complete files).
    pub const NOTSUP: Errno = Errno(libc::EOPNOTSUPP);
    /// File name too long.
    pub const NAMETOOLONG: Errno = Errno(libc::ENAMETOOLONG);
    /// Timed out.
    pub const TIMEDOUT: Errno = Errno(libc::ETIMEDOUT);
    /// Text file busy: the file is being read from its block file (passthrough).
    pub const TXTBSY: Errno = Errno(libc::ETXTBSY);
    /// No such extended attribute.
    pub const NODATA: Errno = Errno(libc::ENODATA);

    /// The errno of a client error from `operation` on `path`; an I/O error is logged once,
    /// since the program sees only `EIO`.
    pub(crate) fn of(err: &ClientError, operation: &str, path: &str) -> Errno {
        let errno = match err.kind() {
            ErrorKind::NotFound => Errno::NOENT,
            ErrorKind::AlreadyExists => Errno::EXIST,
            ErrorKind::InvalidArgument => Errno::INVAL,
            ErrorKind::PermissionDenied => Errno::ACCES,
            ErrorKind::ResourceExhausted => Errno::NOSPC,
            ErrorKind::FailedPrecondition | ErrorKind::Unavailable | ErrorKind::Internal => Errno::IO,
        };
        if errno == Errno::IO {
            tracing::warn!(operation, path, error = %err, "FUSE request failed with EIO");
        }
        errno
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", std::io::Error::from_raw_os_error(self.0))
    }
}

impl std::error::Error for Errno {}
