//! [`UnderFileSystem`] over an OpenDAL operator: the contracts of the trait implemented once,
//! for every backend that can be reached through OpenDAL. What differs between file systems
//! and object stores (directories, renames, publication of writes) is chosen by [`Kind`]; the
//! object-store side lives in `objects.rs`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use opendal::{EntryMode, Metadata, Operator};
use tokio::sync::OnceCell;

use crate::local_files::LocalFiles;
use crate::uri::UfsUri;
use crate::writer::{self, OpendalWriter};
use crate::{UfsAccess, UfsError, UfsStatus, UfsWriter, UnderFileSystem};

/// Size of each part of an object store's multipart upload (S3 allows 5 MiB to 5 GiB).
const UPLOAD_PART_BYTES: usize = 16 << 20;
/// Parts of one upload in flight at once.
const UPLOAD_PARTS_IN_FLIGHT: usize = 4;

/// What kind of storage an operator reaches.
#[derive(Debug, Clone)]
pub(crate) struct Kind {
    /// Keys in a flat namespace: a directory is a zero-byte `dir/` marker or implied by keys
    /// below it, renames are copies, and writes are published atomically by the store.
    pub(crate) object_store: bool,
    /// Reached over the network: the first operation checks that the root is reachable with
    /// the configured credentials, so a wrong secret or a missing bucket is reported as such.
    pub(crate) remote: bool,
    /// The configuration keys (or other source) of the credentials, named when access is denied.
    pub(crate) credentials: String,
}

impl Kind {
    /// This host's file system.
    pub(crate) const LOCAL: Kind = Kind {
        object_store: false,
        remote: false,
        credentials: String::new(),
    };

    /// An object store whose credentials come from `credentials`.
    pub(crate) fn object_store(credentials: String) -> Kind {
        Kind {
            object_store: true,
            remote: true,
            credentials,
        }
    }

    /// A remote file system with real directories and renames (HDFS).
    pub(crate) fn remote_file_system(credentials: &str) -> Kind {
        Kind {
            object_store: false,
            remote: true,
            credentials: credentials.to_string(),
        }
    }
}

/// One OpenDAL operator serving every path below `root` (`scheme://authority`).
pub(crate) struct OpendalUfs {
    pub(crate) op: Operator,
    root: String,
    pub(crate) kind: Kind,
    /// Set once the root answered (remote backends only).
    reachable: OnceCell<()>,
    /// This host's file system: status and listings (with owners and modes) through POSIX calls.
    local: Option<Arc<LocalFiles>>,
}

/// `path` as OpenDAL names a directory: with a trailing `/` (the root is `/`).
pub(crate) fn dir_path(path: &str) -> String {
    format!("{}/", path.trim_end_matches('/'))
}

fn millis(meta: &Metadata) -> i64 {
    meta.last_modified()
        .and_then(|t| SystemTime::from(t).duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn status_of(name: &str, meta: &Metadata) -> UfsStatus {
    UfsStatus {
        name: name.to_string(),
        is_dir: meta.is_dir(),
        length: if meta.is_dir() { 0 } else { meta.content_length() },
        last_modified_ms: millis(meta),
        access: None,
    }
}

impl OpendalUfs {
    /// Serves the URIs below `root` through `op`.
    pub(crate) fn new(op: Operator, root: String, kind: Kind) -> Self {
        Self {
            op,
            root,
            kind,
            reachable: OnceCell::new(),
            local: None,
        }
    }

    /// Serves this host's files (`file://` URIs) through `op`, which must be rooted at `/`.
    pub(crate) fn local(op: Operator, root: String) -> Self {
        Self {
            local: Some(Arc::default()),
            ..Self::new(op, root, Kind::LOCAL)
        }
    }

    /// Runs `call` on this host's file at OpenDAL path `path` in a blocking task; `None` when
    /// this is no local file system.
    async fn on_local_file<T: Send + 'static>(
        &self,
        operation: &'static str,
        uri: &str,
        path: &str,
        call: impl FnOnce(&LocalFiles, &Path) -> std::io::Result<T> + Send + 'static,
    ) -> Option<Result<T, UfsError>> {
        let local = self.local.clone()?;
        let file = PathBuf::from(format!("/{path}"));
        let done = tokio::task::spawn_blocking(move || call(&local, &file)).await;
        Some(match done {
            Ok(result) => result.map_err(|err| UfsError::from_io(operation, uri, &err)),
            Err(panicked) => Err(UfsError::Operation {
                operation,
                uri: uri.to_string(),
                cause: format!("the local file system call failed: {panicked}"),
                temporary: false,
            }),
        })
    }

    /// An OpenDAL error of `operation` on `uri`, naming this backend's credentials if denied.
    pub(crate) fn fail(&self, operation: &'static str, uri: &str, err: opendal::Error) -> UfsError {
        UfsError::from_opendal(operation, uri, err).with_credentials(self.credentials())
    }

    /// Where the credentials of a remote backend come from.
    fn credentials(&self) -> Option<&str> {
        self.kind.remote.then_some(self.kind.credentials.as_str())
    }

    /// The OpenDAL path of `uri`, which must belong to this file system, once the backend is
    /// known to be reachable.
    async fn path(&self, uri: &str) -> Result<String, UfsError> {
        let parsed = UfsUri::parse(uri)?;
        if parsed.root() != self.root {
            return Err(UfsError::BadUri {
                uri: uri.to_string(),
                reason: format!(
                    "this under file system serves {}, not {}",
                    self.root,
                    parsed.root()
                ),
            });
        }
        if self.kind.remote {
            self.reachable
                .get_or_try_init(|| self.check_reachable(uri))
                .await?;
        }
        Ok(parsed.relative().to_string())
    }

    /// Lists one entry of the root: fails with the cause if the endpoint does not answer, the
    /// credentials are refused or the bucket (container) does not exist.
    async fn check_reachable(&self, uri: &str) -> Result<(), UfsError> {
        let listed = match self.op.lister_with("/").limit(1).await {
            Ok(mut lister) => lister.try_next().await.map(drop),
            Err(err) => Err(err),
        };
        listed.map_err(|err| match err.kind() {
            // A missing bucket answers 404 like a missing key (OpenDAL's S3 service calls it a
            // configuration error); it must not read as "absent".
            opendal::ErrorKind::NotFound | opendal::ErrorKind::ConfigInvalid => UfsError::Operation {
                operation: "connect",
                uri: uri.to_string(),
                cause: format!(
                    "{} does not exist (or is not visible with these credentials): {err}",
                    self.root
                ),
                temporary: false,
            },
            _ => self.fail("connect", uri, err),
        })
    }

    async fn stat(
        &self,
        operation: &'static str,
        uri: &str,
        path: &str,
    ) -> Result<Option<Metadata>, UfsError> {
        match self.op.stat(path).await {
            Ok(meta) => Ok(Some(meta)),
            Err(err) => match self.fail(operation, uri, err) {
                // A path below a file does not exist either.
                UfsError::NotFound { .. } | UfsError::NotADirectory { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Metadata of `path`, `None` if absent. On object stores a file is looked up first, then a
    /// directory: a `path/` marker or any key below `path/`.
    pub(crate) async fn meta(
        &self,
        operation: &'static str,
        uri: &str,
        path: &str,
    ) -> Result<Option<Metadata>, UfsError> {
        if !self.kind.object_store {
            return self.stat(operation, uri, path).await;
        }
        if path.is_empty() {
            return Ok(Some(Metadata::new(EntryMode::DIR)));
        }
        match self.stat(operation, uri, path).await? {
            Some(meta) => Ok(Some(meta)),
            None => self.stat(operation, uri, &dir_path(path)).await,
        }
    }

    fn refuse_root(operation: &'static str, uri: &str, path: &str) -> Result<(), UfsError> {
        if path.is_empty() {
            return Err(UfsError::Operation {
                operation,
                uri: uri.to_string(),
                cause: "not allowed on the root of an under file system".into(),
                temporary: false,
            });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl UnderFileSystem for OpendalUfs {
    async fn status(&self, uri: &str) -> Result<Option<UfsStatus>, UfsError> {
        let path = self.path(uri).await?;
        let name = path.rsplit('/').next().unwrap_or_default().to_string();
        if let Some(status) = self
            .on_local_file("status", uri, &path, move |local, file| local.status(file, &name))
            .await
        {
            return status;
        }
        let name = path.rsplit('/').next().unwrap_or_default();
        Ok(self
            .meta("status", uri, &path)
            .await?
            .map(|meta| status_of(name, &meta)))
    }

    async fn list(&self, uri: &str) -> Result<Option<Vec<UfsStatus>>, UfsError> {
        let path = self.path(uri).await?;
        if let Some(listing) = self
            .on_local_file("list", uri, &path, |local, dir| local.list(dir))
            .await
        {
            return listing;
        }
        match self.meta("list", uri, &path).await? {
            Some(meta) if meta.is_dir() => {}
            _ => return Ok(None),
        }
        let dir = dir_path(&path);
        let entries = self
            .op
            .list(&dir)
            .await
            .map_err(|err| self.fail("list", uri, err))?;
        let mut children = Vec::with_capacity(entries.len());
        for entry in entries {
            let name = entry.name().trim_end_matches('/');
            if entry.path() == dir || name.is_empty() || writer::is_temporary_name(name) {
                continue;
            }
            let listed = entry.metadata();
            // Object stores have nothing more to say about a directory than its listing did.
            let complete = (listed.is_dir() && self.kind.object_store)
                || (listed.last_modified().is_some() && (listed.is_dir() || listed.content_length() > 0));
            let meta = if complete {
                listed.clone()
            } else {
                // Listings of plain files carry no sizes; a child gone since is skipped.
                match self.stat("list", uri, entry.path().trim_end_matches('/')).await? {
                    Some(meta) => meta,
                    None => continue,
                }
            };
            children.push(status_of(name, &meta));
        }
        children.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(children))
    }

    async fn mkdirs(&self, uri: &str) -> Result<(), UfsError> {
        let path = self.path(uri).await?;
        if self.kind.object_store {
            return self.mkdirs_with_markers(uri, &path).await;
        }
        match self.stat("mkdirs", uri, &path).await? {
            Some(meta) if meta.is_dir() => Ok(()),
            Some(_) => Err(UfsError::NotADirectory { uri: uri.to_string() }),
            None => self
                .op
                .create_dir(&dir_path(&path))
                .await
                .map_err(|err| self.fail("mkdirs", uri, err)),
        }
    }

    async fn create_exclusive(&self, uri: &str, bytes: Bytes) -> Result<bool, UfsError> {
        if !self.op.info().full_capability().write_with_if_not_exists {
            return Err(UfsError::NoConditionalCreate { uri: uri.to_string() });
        }
        let path = self.path(uri).await?;
        if path.contains('/')
            && let Some((parent, _)) = uri.rsplit_once('/')
        {
            self.mkdirs(parent).await?;
        }
        match self.op.write_with(&path, bytes).if_not_exists(true).await {
            Ok(_) => Ok(true),
            Err(err) if err.kind() == opendal::ErrorKind::ConditionNotMatch => Ok(false),
            Err(err) => match self.fail("create", uri, err) {
                UfsError::AlreadyExists { .. } => Ok(false),
                other => Err(other),
            },
        }
    }

    async fn create(&self, uri: &str) -> Result<Box<dyn UfsWriter>, UfsError> {
        let path = self.path(uri).await?;
        if path.is_empty() || self.meta("create", uri, &path).await?.is_some_and(|m| m.is_dir()) {
            return Err(UfsError::IsADirectory { uri: uri.to_string() });
        }
        // Object stores publish an object only when its upload completes, so the final name is
        // written directly; elsewhere a temporary in the same directory is renamed on close.
        let temp = if self.kind.object_store {
            if let Some((parent, _)) = path.rsplit_once('/') {
                self.mkdirs_with_markers(uri, parent).await?;
            }
            None
        } else {
            Some(writer::temporary_path(&path))
        };
        let mut writer = self.op.writer_with(temp.as_deref().unwrap_or(&path));
        if self.kind.object_store {
            // Parts of a multipart upload go up side by side: one at a time, a single upload
            // waits a round trip per part and moves a fraction of what the link carries.
            writer = writer.chunk(UPLOAD_PART_BYTES).concurrent(UPLOAD_PARTS_IN_FLIGHT);
        }
        let writer = writer.await.map_err(|err| self.fail("create", uri, err))?;
        Ok(Box::new(OpendalWriter {
            op: self.op.clone(),
            writer: Some(writer),
            uri: uri.to_string(),
            credentials: self.credentials().map(str::to_string),
            path,
            temp,
        }))
    }

    async fn read(
        &self,
        uri: &str,
        offset: u64,
        length: u64,
    ) -> Result<BoxStream<'static, Result<Bytes, UfsError>>, UfsError> {
        let path = self.path(uri).await?;
        let meta = self
            .meta("read", uri, &path)
            .await?
            .ok_or_else(|| UfsError::NotFound { uri: uri.to_string() })?;
        if meta.is_dir() {
            return Err(UfsError::IsADirectory { uri: uri.to_string() });
        }
        let end = offset.saturating_add(length).min(meta.content_length());
        if offset >= end {
            return Ok(futures::stream::empty().boxed());
        }
        let opened = |err| self.fail("read", uri, err);
        let stream = self
            .op
            .reader(&path)
            .await
            .map_err(opened)?
            .into_bytes_stream(offset..end)
            .await
            .map_err(opened)?;
        let uri = uri.to_string();
        let credentials = self.credentials().map(str::to_string);
        Ok(stream
            .map_err(move |err| {
                UfsError::from_stream("read", &uri, err).with_credentials(credentials.as_deref())
            })
            .boxed())
    }

    async fn delete_file(&self, uri: &str) -> Result<(), UfsError> {
        let path = self.path(uri).await?;
        match self.meta("delete", uri, &path).await? {
            None => Ok(()),
            Some(meta) if meta.is_dir() => Err(UfsError::IsADirectory { uri: uri.to_string() }),
            Some(_) => self
                .op
                .delete(&path)
                .await
                .map_err(|err| self.fail("delete", uri, err)),
        }
    }

    async fn delete_directory(&self, uri: &str, recursive: bool) -> Result<(), UfsError> {
        let path = self.path(uri).await?;
        Self::refuse_root("delete", uri, &path)?;
        match self.meta("delete", uri, &path).await? {
            None => return Ok(()),
            Some(meta) if !meta.is_dir() => {
                return Err(UfsError::NotADirectory { uri: uri.to_string() });
            }
            Some(_) => {}
        }
        let dir = dir_path(&path);
        let failed = |err| self.fail("delete", uri, err);
        if recursive {
            return self.op.remove_all(&dir).await.map_err(failed);
        }
        let entries = self.op.list(&dir).await.map_err(failed)?;
        if entries.iter().any(|entry| entry.path() != dir) {
            return Err(UfsError::DirectoryNotEmpty { uri: uri.to_string() });
        }
        self.op.delete(&dir).await.map_err(failed)
    }

    async fn rename(&self, src: &str, dst: &str) -> Result<(), UfsError> {
        let from = self.path(src).await?;
        let to = self.path(dst).await?;
        Self::refuse_root("rename", src, &from)?;
        Self::refuse_root("rename", dst, &to)?;
        let Some(meta) = self.meta("rename", src, &from).await? else {
            return Err(UfsError::NotFound { uri: src.to_string() });
        };
        if self.meta("rename", dst, &to).await?.is_some() {
            return Err(UfsError::AlreadyExists { uri: dst.to_string() });
        }
        if self.kind.object_store {
            return self.rename_by_copy(src, &from, &to, meta.is_dir()).await;
        }
        self.op
            .rename(&from, &to)
            .await
            .map_err(|err| self.fail("rename", src, err))
    }

    async fn set_access(&self, uri: &str, access: &UfsAccess) -> Result<bool, UfsError> {
        let path = self.path(uri).await?;
        let access = access.clone();
        let set = self.on_local_file("set the owner and mode of", uri, &path, move |local, file| {
            local.set_access(file, &access)
        });
        match set.await {
            Some(result) => result.map(|()| true),
            // Object stores keep no owners or modes; HDFS's are not reached through OpenDAL.
            None => Ok(false),
        }
    }
}
