//! [`UnderFileSystem`] over an OpenDAL operator: the contracts of the trait implemented once,
//! for every backend that can be reached through OpenDAL.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use opendal::{Metadata, Operator};

use crate::uri::UfsUri;
use crate::writer::{self, OpendalWriter};
use crate::{UfsError, UfsStatus, UfsWriter, UnderFileSystem};

/// One OpenDAL operator serving every path below `root` (`scheme://authority`).
pub(crate) struct OpendalUfs {
    op: Operator,
    root: String,
}

/// `path` as OpenDAL names a directory: with a trailing `/` (the root is `/`).
fn dir_path(path: &str) -> String {
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
    }
}

impl OpendalUfs {
    /// Serves the URIs below `root` through `op`.
    pub(crate) fn new(op: Operator, root: String) -> Self {
        Self { op, root }
    }

    /// The OpenDAL path of `uri`, which must belong to this file system.
    fn path(&self, uri: &str) -> Result<String, UfsError> {
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
        Ok(parsed.relative().to_string())
    }

    async fn stat(
        &self,
        operation: &'static str,
        uri: &str,
        path: &str,
    ) -> Result<Option<Metadata>, UfsError> {
        match self.op.stat(path).await {
            Ok(meta) => Ok(Some(meta)),
            Err(err) => match UfsError::from_opendal(operation, uri, err) {
                // A path below a file does not exist either.
                UfsError::NotFound { .. } | UfsError::NotADirectory { .. } => Ok(None),
                other => Err(other),
            },
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
        let path = self.path(uri)?;
        let name = path.rsplit('/').next().unwrap_or_default();
        Ok(self
            .stat("status", uri, &path)
            .await?
            .map(|meta| status_of(name, &meta)))
    }

    async fn list(&self, uri: &str) -> Result<Option<Vec<UfsStatus>>, UfsError> {
        let path = self.path(uri)?;
        match self.stat("list", uri, &path).await? {
            Some(meta) if meta.is_dir() => {}
            _ => return Ok(None),
        }
        let dir = dir_path(&path);
        let entries = self
            .op
            .list(&dir)
            .await
            .map_err(|err| UfsError::from_opendal("list", uri, err))?;
        let mut children = Vec::with_capacity(entries.len());
        for entry in entries {
            let name = entry.name().trim_end_matches('/');
            if entry.path() == dir || name.is_empty() || writer::is_temporary_name(name) {
                continue;
            }
            let listed = entry.metadata();
            let complete =
                listed.last_modified().is_some() && (listed.is_dir() || listed.content_length() > 0);
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
        let path = self.path(uri)?;
        match self.stat("mkdirs", uri, &path).await? {
            Some(meta) if meta.is_dir() => Ok(()),
            Some(_) => Err(UfsError::NotADirectory { uri: uri.to_string() }),
            None => self
                .op
                .create_dir(&dir_path(&path))
                .await
                .map_err(|err| UfsError::from_opendal("mkdirs", uri, err)),
        }
    }

    async fn create(&self, uri: &str) -> Result<Box<dyn UfsWriter>, UfsError> {
        let path = self.path(uri)?;
        if path.is_empty() || self.stat("create", uri, &path).await?.is_some_and(|m| m.is_dir()) {
            return Err(UfsError::IsADirectory { uri: uri.to_string() });
        }
        // A temporary in the same directory, renamed on close, keeps half-written files out of
        // sight. (Object stores publish on close anyway; their backend can skip this step.)
        let temp = writer::temporary_path(&path);
        let writer = self
            .op
            .writer(&temp)
            .await
            .map_err(|err| UfsError::from_opendal("create", uri, err))?;
        Ok(Box::new(OpendalWriter {
            op: self.op.clone(),
            writer: Some(writer),
            uri: uri.to_string(),
            path,
            temp: Some(temp),
        }))
    }

    async fn read(
        &self,
        uri: &str,
        offset: u64,
        length: u64,
    ) -> Result<BoxStream<'static, Result<Bytes, UfsError>>, UfsError> {
        let path = self.path(uri)?;
        let meta = self
            .stat("read", uri, &path)
            .await?
            .ok_or_else(|| UfsError::NotFound { uri: uri.to_string() })?;
        if meta.is_dir() {
            return Err(UfsError::IsADirectory { uri: uri.to_string() });
        }
        let end = offset.saturating_add(length).min(meta.content_length());
        if offset >= end {
            return Ok(futures::stream::empty().boxed());
        }
        let opened = |err| UfsError::from_opendal("read", uri, err);
        let stream = self
            .op
            .reader(&path)
            .await
            .map_err(opened)?
            .into_bytes_stream(offset..end)
            .await
            .map_err(opened)?;
        let uri = uri.to_string();
        Ok(stream
            .map_err(move |err| UfsError::from_stream("read", &uri, err))
            .boxed())
    }

    async fn delete_file(&self, uri: &str) -> Result<(), UfsError> {
        let path = self.path(uri)?;
        match self.stat("delete", uri, &path).await? {
            None => Ok(()),
            Some(meta) if meta.is_dir() => Err(UfsError::IsADirectory { uri: uri.to_string() }),
            Some(_) => self
                .op
                .delete(&path)
                .await
                .map_err(|err| UfsError::from_opendal("delete", uri, err)),
        }
    }

    async fn delete_directory(&self, uri: &str, recursive: bool) -> Result<(), UfsError> {
        let path = self.path(uri)?;
        Self::refuse_root("delete", uri, &path)?;
        match self.stat("delete", uri, &path).await? {
            None => return Ok(()),
            Some(meta) if !meta.is_dir() => {
                return Err(UfsError::NotADirectory { uri: uri.to_string() });
            }
            Some(_) => {}
        }
        let dir = dir_path(&path);
        let failed = |err| UfsError::from_opendal("delete", uri, err);
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
        let from = self.path(src)?;
        let to = self.path(dst)?;
        Self::refuse_root("rename", src, &from)?;
        Self::refuse_root("rename", dst, &to)?;
        if self.stat("rename", src, &from).await?.is_none() {
            return Err(UfsError::NotFound { uri: src.to_string() });
        }
        if self.stat("rename", dst, &to).await?.is_some() {
            return Err(UfsError::AlreadyExists { uri: dst.to_string() });
        }
        self.op
            .rename(&from, &to)
            .await
            .map_err(|err| UfsError::from_opendal("rename", src, err))
    }
}
