//! What S3 knows about an object and Alluxio does not: its ETag, Content-Type and user metadata
//! (`x-amz-meta-*`).
//!
//! The client has no extended attributes, so each object written through the gateway gets a
//! small JSON sidecar file at `<root>/.alluxio_s3/meta/<file id>`, written with the objects' own
//! write type (so it survives a proxy restart whenever the object does). Keying it by file id,
//! not by path, lets it follow the object through the rename that publishes it; the id, length
//! and creation time recorded inside guard against a sidecar outliving its file (deleted by
//! other means) and being taken for a later file's. Deleting an object through the gateway
//! deletes its sidecar.
//!
//! Files written by other means (`alluxio fs copyFromLocal`, the REST API) have no sidecar;
//! their ETag is a stable surrogate, the MD5 of `<file id>-<length>-<modification time>`,
//! which changes whenever the file does (which is all a client may assume of an ETag), but is
//! not the MD5 of the content.

use std::collections::BTreeMap;

use alluxio_client::{
    CreateFileOptions, DeleteOptions, ErrorKind, FileInfo, FileSystem, OpenFileOptions, WriteType,
};
use md5::{Digest, Md5};
use s3s::S3Result;
use serde::{Deserialize, Serialize};

use super::error::from_client;
use super::keys::Layout;

/// The S3 attributes of one object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ObjectMeta {
    /// The ETag, without quotes: MD5 hex of the body, or `<md5 of part md5s>-<parts>`.
    pub(crate) etag: String,
    /// The Content-Type given when the object was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) content_type: Option<String>,
    /// The user metadata (`x-amz-meta-<name>: <value>`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) user: BTreeMap<String, String>,
}

/// A sidecar on disk: the attributes and the file they belong to.
#[derive(Debug, Serialize, Deserialize)]
struct Sidecar {
    file_id: u64,
    length: u64,
    creation_time_ms: i64,
    #[serde(flatten)]
    meta: ObjectMeta,
}

/// Reads, writes and deletes sidecars.
#[derive(Clone)]
pub(crate) struct MetaStore {
    fs: FileSystem,
    layout: Layout,
    write_type: WriteType,
}

impl MetaStore {
    pub(crate) fn new(fs: FileSystem, layout: Layout, write_type: WriteType) -> Self {
        Self {
            fs,
            layout,
            write_type,
        }
    }

    /// Records `meta` for the (complete) file `file`, replacing any sidecar of that id.
    pub(crate) async fn write(&self, file: &FileInfo, meta: &ObjectMeta) -> S3Result<()> {
        let sidecar = Sidecar {
            file_id: file.file_id,
            length: file.length,
            creation_time_ms: file.creation_time_ms,
            meta: meta.clone(),
        };
        let json = serde_json::to_vec(&sidecar).expect("a sidecar serialises");
        let path = self.layout.metadata(file.file_id);
        self.delete(file.file_id).await?;
        let options = CreateFileOptions {
            recursive: true,
            write_type: Some(self.write_type),
            ..Default::default()
        };
        let mut out = self.fs.create_file(&path, options).await.map_err(from_client)?;
        if let Err(err) = out.write(&json).await {
            let _ = out.cancel().await;
            return Err(from_client(err));
        }
        out.close().await.map_err(from_client)?;
        Ok(())
    }

    /// The attributes of `file`: its sidecar's, or for a file written by other means a surrogate
    /// ETag and nothing else.
    pub(crate) async fn read(&self, file: &FileInfo) -> S3Result<ObjectMeta> {
        Ok(match self.read_sidecar(file).await? {
            Some(meta) => meta,
            None => ObjectMeta {
                etag: surrogate_etag(file),
                ..ObjectMeta::default()
            },
        })
    }

    async fn read_sidecar(&self, file: &FileInfo) -> S3Result<Option<ObjectMeta>> {
        if file.folder {
            return Ok(None);
        }
        let path = self.layout.metadata(file.file_id);
        let mut input = match self.fs.open_file(&path, OpenFileOptions::default()).await {
            Ok(input) => input,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(from_client(err)),
        };
        let bytes = input.read_to_end().await.map_err(from_client)?;
        let _ = input.close().await;
        match serde_json::from_slice::<Sidecar>(&bytes) {
            Ok(sidecar)
                if sidecar.file_id == file.file_id
                    && sidecar.length == file.length
                    && sidecar.creation_time_ms == file.creation_time_ms =>
            {
                Ok(Some(sidecar.meta))
            }
            Ok(_) => Ok(None),
            Err(err) => {
                tracing::warn!(%path, error = %err, "ignoring an unreadable S3 metadata sidecar");
                Ok(None)
            }
        }
    }

    /// Deletes the sidecar of file `file_id`, if it has one.
    pub(crate) async fn delete(&self, file_id: u64) -> S3Result<()> {
        let path = self.layout.metadata(file_id);
        match self.fs.delete(&path, DeleteOptions::default()).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
            Err(err) => Err(from_client(err)),
        }
    }
}

/// The ETag of a file without a sidecar: stable while the file is unchanged.
pub(crate) fn surrogate_etag(file: &FileInfo) -> String {
    hex(&Md5::digest(format!(
        "{}-{}-{}",
        file.file_id, file.length, file.last_modification_time_ms
    )))
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogate_etags_change_with_the_file() {
        let file = FileInfo {
            file_id: 3,
            length: 10,
            last_modification_time_ms: 1000,
            ..Default::default()
        };
        let etag = surrogate_etag(&file);
        assert_eq!(etag.len(), 32);
        assert_eq!(etag, surrogate_etag(&file.clone()));
        let changed = FileInfo {
            last_modification_time_ms: 1001,
            ..file
        };
        assert_ne!(etag, surrogate_etag(&changed));
    }

    #[test]
    fn sidecars_round_trip() {
        let sidecar = Sidecar {
            file_id: 1,
            length: 2,
            creation_time_ms: 3,
            meta: ObjectMeta {
                etag: "abc".into(),
                content_type: Some("text/plain".into()),
                user: BTreeMap::from([("k".into(), "v".into())]),
            },
        };
        let json = serde_json::to_string(&sidecar).unwrap();
        let back: Sidecar = serde_json::from_str(&json).unwrap();
        assert_eq!(back.meta, sidecar.meta);
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
