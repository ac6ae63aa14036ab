//! The under file system (UFS) abstraction: the slow storage Alluxio caches, reached through
//! Apache OpenDAL. Paths are full UFS URIs (`/data/x`, `file:///data/x`, later `s3://b/k`); a
//! [`UfsManager`] hands out the [`UnderFileSystem`] serving a URI's scheme and authority.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;

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
}

/// A UFS failure, naming the URI and operation involved.
#[derive(Debug, thiserror::Error)]
pub enum UfsError {
    /// The path does not exist.
    #[error("{uri} does not exist in the under file system")]
    NotFound {
        /// The URI.
        uri: String,
    },
    /// The URI cannot be served (unknown scheme, malformed).
    #[error("unsupported or malformed UFS URI '{uri}': {reason}")]
    BadUri {
        /// The URI.
        uri: String,
        /// Why.
        reason: String,
    },
    /// Any other failure of an operation.
    #[error("UFS {operation} of {uri} failed: {cause}")]
    Operation {
        /// What was attempted (read, write, list, ...).
        operation: &'static str,
        /// The URI.
        uri: String,
        /// The backend's error text.
        cause: String,
        /// Whether retrying may help.
        temporary: bool,
    },
}

/// Bytes being written to a UFS file; nothing is visible under the final name until `close`.
#[async_trait::async_trait]
pub trait UfsWriter: Send {
    /// Appends bytes.
    async fn write(&mut self, data: Bytes) -> Result<(), UfsError>;
    /// Makes the file visible with everything written.
    async fn close(self: Box<Self>) -> Result<(), UfsError>;
    /// Abandons the file.
    async fn abort(self: Box<Self>) -> Result<(), UfsError>;
}

/// One under file system. Every method takes a full URI served by this instance.
#[async_trait::async_trait]
pub trait UnderFileSystem: Send + Sync {
    /// Status of a path, `None` if it does not exist.
    async fn status(&self, uri: &str) -> Result<Option<UfsStatus>, UfsError>;
    /// Direct children of a directory, `None` if it does not exist or is a file.
    async fn list(&self, uri: &str) -> Result<Option<Vec<UfsStatus>>, UfsError>;
    /// Creates a directory and its parents; succeeds if it exists.
    async fn mkdirs(&self, uri: &str) -> Result<(), UfsError>;
    /// Starts writing a file (parents created), replacing any existing one on close.
    async fn create(&self, uri: &str) -> Result<Box<dyn UfsWriter>, UfsError>;
    /// Streams `length` bytes from `offset` (fewer at the end of the file).
    async fn read(
        &self,
        uri: &str,
        offset: u64,
        length: u64,
    ) -> Result<BoxStream<'static, Result<Bytes, UfsError>>, UfsError>;
    /// Deletes a file; succeeds if it does not exist.
    async fn delete_file(&self, uri: &str) -> Result<(), UfsError>;
    /// Deletes a directory (with its contents if `recursive`); succeeds if it does not exist.
    async fn delete_directory(&self, uri: &str, recursive: bool) -> Result<(), UfsError>;
    /// Renames a file or directory.
    async fn rename(&self, src: &str, dst: &str) -> Result<(), UfsError>;
}

/// Hands out (and caches) the under file system serving a URI.
pub struct UfsManager {
    _conf: alluxio_conf::Configuration,
}

impl UfsManager {
    /// A manager creating backends from `conf` (credentials, endpoints).
    pub fn new(conf: &alluxio_conf::Configuration) -> Self {
        Self { _conf: conf.clone() }
    }

    /// The under file system serving `uri`.
    pub fn get(&self, _uri: &str) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
        unimplemented!("being written")
    }
}

/// `base` joined with a relative Alluxio path (`a/b`), with exactly one separator.
pub fn join(base: &str, relative: &str) -> String {
    let relative = relative.trim_start_matches('/');
    if relative.is_empty() {
        base.to_string()
    } else {
        format!("{}/{relative}", base.trim_end_matches('/'))
    }
}
