//! The under file system (UFS) abstraction: the slow storage Alluxio caches, reached through
//! Apache OpenDAL. Paths are full UFS URIs (`/data/x`, `file:///data/x`, `s3://bucket/key`,
//! `hdfs://namenode:8020/x`, `gs://bucket/x`, `wasbs://container@account.blob.core.windows.net/x`);
//! a [`UfsManager`] hands out the [`UnderFileSystem`] serving a URI's scheme and authority.

mod backends;
mod error;
mod local_files;
mod mounts;
mod objects;
mod opendal_ufs;
mod uri;
mod writer;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use parking_lot::Mutex;

pub use backends::SUPPORTED;
pub use error::UfsError;
pub use mounts::{MountUfsCache, ROOT_MOUNT_ID};
pub use uri::UfsUri;

/// Metadata of a UFS file or directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UfsStatus {
    /// Last path component.
    pub name: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Length in bytes (0 for directories).
    pub length: u64,
    /// Last modification, milliseconds since the epoch (0 if unknown).
    pub last_modified_ms: i64,
    /// Owner, group and mode, where the file system keeps them (local, HDFS); `None` on
    /// object stores.
    pub access: Option<UfsAccess>,
}

/// Who owns a UFS entry and its permission bits, as a file system with POSIX permissions keeps
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UfsAccess {
    /// Owner name (the OS's id as a number where it has no name).
    pub owner: String,
    /// Group name (likewise).
    pub group: String,
    /// Permission bits, at most `0o7777`.
    pub mode: u32,
}

/// Bytes being written to a UFS file; nothing is visible under the final name until `close`.
///
/// Dropping a writer without `close` abandons the file like `abort` (the temporary is removed in
/// the background).
#[async_trait::async_trait]
pub trait UfsWriter: Send {
    /// Appends bytes.
    async fn write(&mut self, data: Bytes) -> Result<(), UfsError>;
    /// Makes the file visible with everything written, replacing any file of that name.
    async fn close(self: Box<Self>) -> Result<(), UfsError>;
    /// Abandons the file: nothing appears and the temporary is removed.
    async fn abort(self: Box<Self>) -> Result<(), UfsError>;
}

/// One under file system. Every method takes a full URI served by this instance (same scheme
/// and authority as the URI it was obtained for); URIs are literal, not percent-decoded.
///
/// Contracts every backend keeps (checked by `tests/behavior.rs`):
/// - `status` of a missing path is `Ok(None)`.
/// - `list` of a missing path or of a file is `Ok(None)`, of an empty directory
///   `Ok(Some(vec![]))`; entries are direct children, named without a trailing `/`, sorted by
///   name, and temporary files of writes in progress are left out.
/// - `mkdirs` creates missing parents and succeeds if the directory exists; it fails with
///   `NotADirectory` where a file is.
/// - `create` writes to a temporary name in the same directory (or relies on the backend's
///   atomic publication) so a half-written file is never visible under its final name.
/// - `read` streams exactly the bytes of `[offset, offset + length)`, clipped to the file's
///   end (an empty stream from the end on); a missing file is `NotFound`.
/// - `delete_file` and `delete_directory` succeed if nothing is there;
///   `delete_directory(non-empty, recursive = false)` fails with `DirectoryNotEmpty`; the wrong
///   kind of entry gives `IsADirectory` / `NotADirectory`.
/// - `rename` fails with `NotFound` if the source is missing and `AlreadyExists` if the
///   destination exists.
#[async_trait::async_trait]
pub trait UnderFileSystem: Send + Sync {
    /// Status of a path, `None` if it does not exist.
    async fn status(&self, uri: &str) -> Result<Option<UfsStatus>, UfsError>;
    /// Direct children of a directory, sorted by name; `None` if it does not exist or is a file.
    async fn list(&self, uri: &str) -> Result<Option<Vec<UfsStatus>>, UfsError>;
    /// Creates a directory and its parents; succeeds if it exists.
    async fn mkdirs(&self, uri: &str) -> Result<(), UfsError>;
    /// Starts writing a file (parents created), replacing any existing one on close.
    async fn create(&self, uri: &str) -> Result<Box<dyn UfsWriter>, UfsError>;
    /// Writes a small file holding `bytes` (parents created) only if nothing is at `uri`, in one
    /// atomic step: of several callers at once exactly one gets `Ok(true)`, the others
    /// `Ok(false)`. Fails with [`UfsError::NoConditionalCreate`] where the file system offers no
    /// such write.
    async fn create_exclusive(&self, uri: &str, bytes: Bytes) -> Result<bool, UfsError>;
    /// Streams `length` bytes from `offset` (fewer at the end of the file).
    async fn read(
        &self,
        uri: &str,
        offset: u64,
        length: u64,
    ) -> Result<BoxStream<'static, Result<Bytes, UfsError>>, UfsError>;
    /// The whole file, in memory: for small files only (journal objects, checks).
    async fn read_all(&self, uri: &str) -> Result<Vec<u8>, UfsError> {
        use futures::TryStreamExt;
        let chunks: Vec<Bytes> = self.read(uri, 0, u64::MAX).await?.try_collect().await?;
        Ok(chunks.concat())
    }
    /// Deletes a file; succeeds if it does not exist.
    async fn delete_file(&self, uri: &str) -> Result<(), UfsError>;
    /// Deletes a directory (with its contents if `recursive`); succeeds if it does not exist.
    async fn delete_directory(&self, uri: &str, recursive: bool) -> Result<(), UfsError>;
    /// Renames a file or directory; the destination must not exist.
    async fn rename(&self, src: &str, dst: &str) -> Result<(), UfsError>;
    /// Gives an entry the owner, group and mode of `access` where the file system keeps them,
    /// and returns whether it does (`Ok(false)` on object stores, which keep none). The mode is
    /// always written; an owner or group the file system cannot take (a name its OS lacks, or
    /// a change only its superuser may make) is left as it is.
    async fn set_access(&self, uri: &str, access: &UfsAccess) -> Result<bool, UfsError>;
}

/// What an under file system instance is cached by: its root and its mount options.
type CacheKey = (String, BTreeMap<String, String>);

/// Hands out (and caches) the under file system serving a URI: one instance per scheme,
/// authority and mount options.
pub struct UfsManager {
    conf: alluxio_conf::Configuration,
    cache: Mutex<HashMap<CacheKey, Arc<dyn UnderFileSystem>>>,
}

impl UfsManager {
    /// A manager creating backends from `conf` (credentials, endpoints).
    pub fn new(conf: &alluxio_conf::Configuration) -> Self {
        Self {
            conf: conf.clone(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The under file system serving `uri`; `BadUri` names the schemes this build supports.
    pub fn get(&self, uri: &str) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
        self.get_with_options(uri, &BTreeMap::new())
    }

    /// The under file system serving `uri` with a mount's options (`--option key=value`), which
    /// override the manager's configuration for it; keys are those of the site file
    /// (`aws.accessKeyId`, `alluxio.underfs.s3.endpoint`, ...).
    pub fn get_with_options(
        &self,
        uri: &str,
        options: &BTreeMap<String, String>,
    ) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
        let parsed = UfsUri::parse(uri)?;
        let key = (parsed.root(), options.clone());
        let mut cache = self.cache.lock();
        if let Some(ufs) = cache.get(&key) {
            return Ok(ufs.clone());
        }
        let settings = backends::Settings::new(&self.conf, options, uri);
        let ufs = backends::create(&parsed, &settings)?;
        // Option values may be secrets: log only their keys.
        tracing::debug!(root = %key.0, options = ?options.keys().collect::<Vec<_>>(), "under file system opened");
        cache.insert(key, ufs.clone());
        Ok(ufs)
    }
}

/// `base` joined with a relative Alluxio path (`a/b`), with exactly one separator.
pub fn join(base: &str, relative: &str) -> String {
    let relative = relative.trim_start_matches('/');
    if relative.is_empty() {
        return base.to_string();
    }
    let base = base.trim_end_matches('/');
    let mut joined = String::with_capacity(base.len() + 1 + relative.len());
    joined.push_str(base);
    joined.push('/');
    joined.push_str(relative);
    joined
}
