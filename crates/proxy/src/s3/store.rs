//! The Alluxio side of the gateway: writing an object so that it appears only once complete,
//! reading one as a stream, and deleting one along with what S3 cannot see (its metadata
//! sidecar, the directories it alone kept alive).
//!
//! Each request is served acting for its user (the access key, see [`AlluxioS3::acting_for`]):
//! the master checks that user's permissions on the buckets and objects, and objects belong to
//! them. The gateway's bookkeeping (metadata sidecars, multipart parts) is the proxy's own and is
//! kept as the proxy's login user ([`AlluxioS3::internal`]), after the user's access to the
//! object it concerns was checked.
//!
//! An object is written to a temporary file in `<root>/.alluxio_s3/tmp` and renamed into place
//! once its body is complete, so a reader never sees half an object; a body that breaks off
//! cancels the out stream, so nothing of it stays behind. Memory stays bounded both ways: a
//! body is written chunk by chunk as it arrives, and a file is read chunk by chunk as the client
//! takes it.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use alluxio_client::{
    AlluxioPath, CreateDirectoryOptions, CreateFileOptions, DeleteOptions, ErrorKind, FileInfo, FileSystem,
    ListStatusOptions, OpenFileOptions, SetAttributeOptions, WriteType,
};
use base64::Engine;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use md5::{Digest, Md5};
use s3s::dto::{StreamingBlob, Timestamp};
use s3s::{S3Error, S3ErrorCode, S3Result, s3_error};

use super::error::from_client;
use super::keys::{Layout, no_such_bucket};
use super::meta::{MetaStore, ObjectMeta};

/// Bytes read from Alluxio per chunk of a response body.
const READ_CHUNK: usize = 1 << 20;

/// Chunks of a response body read ahead of the client.
const READ_AHEAD: usize = 2;

/// Times a rename into place is retried when a concurrent request changed its surroundings.
const PLACE_ATTEMPTS: usize = 3;

/// The S3 operations' access to Alluxio.
#[derive(Clone)]
pub(crate) struct AlluxioS3 {
    /// Calls made for the request's user (the proxy's own until [`AlluxioS3::acting_for`]).
    pub(crate) fs: FileSystem,
    /// The request's user (its access key); `None` for the proxy's own calls and anonymous
    /// requests.
    pub(crate) user: Option<String>,
    /// The proxy's own calls.
    own: FileSystem,
    /// Set once the gateway's own folders exist, the proxy's, with their modes.
    internal_dirs: Arc<tokio::sync::OnceCell<()>>,
    pub(crate) layout: Layout,
    pub(crate) meta: MetaStore,
    pub(crate) write_type: WriteType,
    delete_alluxio_only: bool,
}

/// A complete temporary file, not yet visible as an object.
pub(crate) struct Staged {
    path: AlluxioPath,
    pub(crate) info: FileInfo,
    /// MD5 of the bytes written.
    pub(crate) md5: [u8; 16],
}

impl AlluxioS3 {
    /// Objects are written with `write_type`; deletes keep the UFS copy if `delete_alluxio_only`.
    pub(crate) fn new(
        fs: FileSystem,
        layout: Layout,
        write_type: WriteType,
        delete_alluxio_only: bool,
    ) -> Self {
        let meta = MetaStore::new(fs.clone(), layout.clone(), write_type);
        Self {
            own: fs.clone(),
            fs,
            user: None,
            internal_dirs: Arc::default(),
            layout,
            meta,
            write_type,
            delete_alluxio_only,
        }
    }

    /// This store serving a request of `user` (`None`: anonymous, served as the proxy's user),
    /// once the gateway's own folders are ready.
    pub(crate) async fn acting_for(&self, user: Option<&str>) -> S3Result<Self> {
        self.internal_dirs
            .get_or_try_init(|| self.create_internal_dirs())
            .await?;
        Ok(Self {
            fs: user.map_or_else(|| self.own.clone(), |user| self.own.impersonating(user)),
            user: user.map(str::to_string),
            ..self.clone()
        })
    }

    /// This store making the proxy's own calls, for its bookkeeping.
    pub(crate) fn internal(&self) -> Self {
        Self {
            fs: self.own.clone(),
            user: None,
            ..self.clone()
        }
    }

    /// Creates the gateway's folders ([`Layout::internal_dirs`]) as the proxy's user, and makes
    /// them its own with their modes: a user who made one of them first (they are in a folder
    /// users write in) must not hold the proxy's bookkeeping.
    async fn create_internal_dirs(&self) -> S3Result<()> {
        let proxy_user = self
            .own
            .conf()
            .get_opt(alluxio_conf::keys::SECURITY_LOGIN_USERNAME)
            .ok()
            .flatten()
            .filter(|user| !user.is_empty());
        for (dir, mode) in self.layout.internal_dirs() {
            self.internal().create_directories(&dir).await?;
            let attributes = SetAttributeOptions {
                mode: Some(mode),
                owner: proxy_user.clone(),
                ..Default::default()
            };
            if let Err(err) = self.own.set_attribute(&dir, attributes).await {
                return Err(s3_error!(
                    InternalError,
                    "the proxy cannot make its folder {dir} its own ({err}): remove it, or give it \
                     to the proxy's user ({})",
                    proxy_user.as_deref().unwrap_or("unknown")
                ));
            }
        }
        Ok(())
    }

    /// The status of `path`, or `None` if it does not exist.
    pub(crate) async fn status(&self, path: &AlluxioPath) -> S3Result<Option<FileInfo>> {
        match self.fs.get_status(path).await {
            Ok(info) => Ok(Some(info)),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(from_client(err)),
        }
    }

    /// The directory of `bucket`, which must exist.
    pub(crate) async fn existing_bucket(&self, bucket: &str) -> S3Result<AlluxioPath> {
        let dir = self.layout.bucket(bucket)?;
        match self.status(&dir).await? {
            Some(info) if info.folder => Ok(dir),
            _ => Err(no_such_bucket(bucket)),
        }
    }

    /// Options of the gateway's deletes, per `alluxio.proxy.s3.deletetype`.
    pub(crate) fn delete_options(&self, recursive: bool) -> DeleteOptions {
        DeleteOptions {
            recursive,
            alluxio_only: self.delete_alluxio_only,
        }
    }

    /// Creates `dir` and its missing parents.
    pub(crate) async fn create_directories(&self, dir: &AlluxioPath) -> S3Result<()> {
        let options = CreateDirectoryOptions {
            recursive: true,
            allow_exists: true,
            write_type: Some(self.write_type),
        };
        self.fs.create_directory(dir, options).await.map_err(from_client)
    }

    /// Creates a new file at `path` and writes `body` into it, computing its MD5 on the way.
    /// The body must hold `expected` bytes if given, and match `content_md5` (base64) if given;
    /// otherwise, or if the body breaks off, the file is cancelled and never appears.
    pub(crate) async fn write_file<S, E>(
        &self,
        path: AlluxioPath,
        body: S,
        expected: Option<u64>,
        content_md5: Option<&str>,
    ) -> S3Result<Staged>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let options = CreateFileOptions {
            recursive: true,
            write_type: Some(self.write_type),
            ..Default::default()
        };
        let mut out = self.fs.create_file(&path, options).await.map_err(from_client)?;
        let mut body = body;
        let mut hasher = Md5Pipeline::start();
        let mut written: u64 = 0;
        let failure = loop {
            match body.next().await {
                None => break None,
                Some(Ok(chunk)) => {
                    written += chunk.len() as u64;
                    if expected.is_some_and(|expected| written > expected) {
                        break Some(body_length_error(expected, written));
                    }
                    if let Err(err) = out.write(&chunk).await {
                        break Some(from_client(err));
                    }
                    hasher.update(chunk).await;
                }
                Some(Err(err)) => {
                    break Some(s3_error!(
                        IncompleteBody,
                        "the request body broke off after {written} bytes: {err}"
                    ));
                }
            }
        };
        let hashed = hasher.finish().await;
        let failure = failure.or_else(|| {
            expected
                .filter(|&e| e != written)
                .map(|_| body_length_error(expected, written))
        });
        let checked = match (failure, hashed) {
            (Some(err), _) | (None, Err(err)) => Err(err),
            (None, Ok(md5)) => match content_md5.and_then(|given| digest_mismatch(given, &md5)) {
                Some(err) => Err(err),
                None => Ok(md5),
            },
        };
        let md5 = match checked {
            Ok(md5) => md5,
            Err(err) => {
                if let Err(cancel) = out.cancel().await {
                    tracing::warn!(%path, error = %cancel, "cancelling a failed S3 upload failed");
                }
                return Err(err);
            }
        };
        let info = out.close().await.map_err(from_client)?;
        Ok(Staged { path, info, md5 })
    }

    /// A new temporary file holding `body`; see [`AlluxioS3::write_file`].
    pub(crate) async fn write_temporary<S, E>(
        &self,
        body: S,
        expected: Option<u64>,
        content_md5: Option<&str>,
    ) -> S3Result<Staged>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        self.write_file(self.layout.temporary_file(), body, expected, content_md5)
            .await
    }

    /// Makes `staged` the object at `target` with attributes `meta`, replacing whatever object
    /// was there; on failure the staged file is removed.
    pub(crate) async fn publish(
        &self,
        staged: Staged,
        target: &AlluxioPath,
        meta: &ObjectMeta,
    ) -> S3Result<FileInfo> {
        let published = async {
            self.meta.write(&staged.info, meta).await?;
            self.place(&staged.path, target).await?;
            self.fs.get_status(target).await.map_err(from_client)
        }
        .await;
        if published.is_err() {
            self.discard(&staged).await;
        }
        published
    }

    /// Renames `from` to `target`, replacing an existing file there. Replacing deletes the UFS
    /// copy too whatever the delete type, since the rename needs the UFS path free as well.
    async fn place(&self, from: &AlluxioPath, target: &AlluxioPath) -> S3Result<()> {
        let parent = target.parent().expect("an object path has a parent");
        let mut attempt = 1;
        loop {
            if let Some(existing) = self.status(target).await? {
                if existing.folder {
                    return Err(s3_error!(
                        InvalidRequest,
                        "cannot write object {target}: a directory of that name exists (it holds objects whose keys continue with '/')"
                    ));
                }
                match self.fs.delete(target, DeleteOptions::default()).await {
                    Ok(()) => self.meta.delete(existing.file_id).await?,
                    Err(err) if err.kind() == ErrorKind::NotFound => {}
                    Err(err) => return Err(from_client(err)),
                }
            }
            self.create_directories(&parent).await?;
            match self.fs.rename(from, target).await {
                Ok(()) => return Ok(()),
                // A concurrent delete removed the parent, or a concurrent write took the name.
                Err(err)
                    if attempt < PLACE_ATTEMPTS
                        && matches!(err.kind(), ErrorKind::NotFound | ErrorKind::AlreadyExists) =>
                {
                    attempt += 1;
                }
                Err(err) => return Err(from_client(err)),
            }
        }
    }

    /// Removes a staged file that will not be published, and its sidecar.
    pub(crate) async fn discard(&self, staged: &Staged) {
        if let Err(err) = self.fs.delete(&staged.path, DeleteOptions::default()).await
            && err.kind() != ErrorKind::NotFound
        {
            tracing::warn!(path = %staged.path, error = %err, "removing an unpublished S3 upload failed");
        }
        if let Err(err) = self.meta.delete(staged.info.file_id).await {
            tracing::warn!(path = %staged.path, error = %err, "removing the metadata of an unpublished S3 upload failed");
        }
    }

    /// Deletes the object file or empty directory `path` (status `info`) and its sidecar, then
    /// the directories above it that it alone kept alive, up to the bucket directory `bucket`:
    /// S3 has no directories, so one emptied by a delete must not linger as a marker.
    pub(crate) async fn delete_entry(
        &self,
        path: &AlluxioPath,
        info: &FileInfo,
        bucket: &AlluxioPath,
    ) -> S3Result<()> {
        match self.fs.delete(path, self.delete_options(false)).await {
            Ok(()) => {}
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(()),
            Err(err) if info.folder && err.kind() == ErrorKind::FailedPrecondition => {
                // The marker of a directory that still holds objects: those keep it implied.
                return Ok(());
            }
            Err(err) => return Err(from_client(err)),
        }
        if !info.folder {
            self.meta.delete(info.file_id).await?;
        }
        self.remove_empty_parents(path, bucket).await;
        Ok(())
    }

    /// Deletes the empty directories above `path`, stopping below `stop`.
    pub(crate) async fn remove_empty_parents(&self, path: &AlluxioPath, stop: &AlluxioPath) {
        let mut dir = path.parent();
        while let Some(current) = dir {
            if current == *stop || !stop.is_ancestor_of(&current) {
                break;
            }
            let empty = matches!(
                self.fs.list_status(&current, ListStatusOptions::default()).await,
                Ok(children) if children.is_empty()
            );
            // A non-recursive delete fails if a concurrent write just added a child: it stays.
            if !empty
                || self
                    .fs
                    .delete(&current, self.delete_options(false))
                    .await
                    .is_err()
            {
                break;
            }
            dir = current.parent();
        }
    }

    /// A body streaming `length` bytes of file `path` from `start`, read ahead by at most
    /// [`READ_AHEAD`] chunks; a read failure cuts the body short (the client sees a broken
    /// transfer, as with any failing HTTP server).
    pub(crate) async fn read_body(
        &self,
        path: &AlluxioPath,
        start: u64,
        length: u64,
    ) -> S3Result<StreamingBlob> {
        let mut input = self
            .fs
            .open_file(path, OpenFileOptions::default())
            .await
            .map_err(from_client)?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(READ_AHEAD);
        let path = path.clone();
        tokio::spawn(async move {
            let mut left = length;
            let mut failure = None;
            if start > 0
                && let Err(err) = input.seek(start).await
            {
                failure = Some(std::io::Error::from(err));
            }
            while failure.is_none() && left > 0 {
                let mut buf = vec![0; usize::try_from(left).unwrap_or(usize::MAX).min(READ_CHUNK)];
                match input.read(&mut buf).await {
                    Ok(0) => {
                        failure = Some(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            format!("{path} ended {left} bytes early"),
                        ));
                    }
                    Ok(n) => {
                        buf.truncate(n);
                        left -= n as u64;
                        if tx.send(Ok(Bytes::from(buf))).await.is_err() {
                            break; // the client went away
                        }
                    }
                    Err(err) => failure = Some(std::io::Error::from(err)),
                }
            }
            if let Some(err) = failure {
                tracing::warn!(%path, error = %err, "reading an S3 object failed; the response is cut short");
                let _ = tx.send(Err(err)).await;
            }
            let _ = input.close().await;
        });
        Ok(StreamingBlob::wrap(tokio_stream::wrappers::ReceiverStream::new(
            rx,
        )))
    }
}

/// The error for a body whose length is not its Content-Length.
/// MD5 of a body computed on a blocking thread of its own while the body is written, fed in
/// batches of about [`HASH_BATCH`] bytes: hashing is the slowest step of an upload (about
/// 600 MB/s on one core), so it runs beside the write instead of in front of it. The chunks
/// are shared, not copied; at most [`HASH_QUEUE`] batches wait, so memory stays bounded.
struct Md5Pipeline {
    batch: Vec<Bytes>,
    batch_bytes: usize,
    queue: tokio::sync::mpsc::Sender<Vec<Bytes>>,
    hashing: tokio::task::JoinHandle<[u8; 16]>,
}

/// Bytes gathered before a batch goes to the hashing thread.
const HASH_BATCH: usize = 1 << 20;
/// Batches that may wait for the hashing thread.
const HASH_QUEUE: usize = 8;

impl Md5Pipeline {
    fn start() -> Self {
        let (queue, mut batches) = tokio::sync::mpsc::channel::<Vec<Bytes>>(HASH_QUEUE);
        let hashing = tokio::task::spawn_blocking(move || {
            let mut hasher = Md5::new();
            while let Some(batch) = batches.blocking_recv() {
                for chunk in batch {
                    hasher.update(&chunk);
                }
            }
            hasher.finalize().into()
        });
        Self {
            batch: Vec::new(),
            batch_bytes: 0,
            queue,
            hashing,
        }
    }

    async fn update(&mut self, chunk: Bytes) {
        self.batch_bytes += chunk.len();
        self.batch.push(chunk);
        if self.batch_bytes >= HASH_BATCH {
            self.send().await;
        }
    }

    async fn send(&mut self) {
        self.batch_bytes = 0;
        // The receiver lives until the queue closes; a send can only fail if it panicked, which
        // `finish` reports.
        let _ = self.queue.send(std::mem::take(&mut self.batch)).await;
    }

    async fn finish(mut self) -> S3Result<[u8; 16]> {
        if !self.batch.is_empty() {
            self.send().await;
        }
        drop(self.queue);
        self.hashing
            .await
            .map_err(|e| s3_error!(InternalError, "hashing the body failed: {e}"))
    }
}

fn body_length_error(expected: Option<u64>, written: u64) -> S3Error {
    let expected = expected.unwrap_or_default();
    if written < expected {
        s3_error!(
            IncompleteBody,
            "the request body ended after {written} of the {expected} bytes its Content-Length announced"
        )
    } else {
        s3_error!(
            InvalidRequest,
            "the request body holds more than the {expected} bytes its Content-Length announced"
        )
    }
}

/// `BadDigest` if the base64 Content-MD5 `given` is not `md5`.
fn digest_mismatch(given: &str, md5: &[u8; 16]) -> Option<S3Error> {
    let actual = base64::engine::general_purpose::STANDARD.encode(md5);
    (given.trim() != actual).then(|| {
        S3Error::with_message(
            S3ErrorCode::BadDigest,
            format!("the Content-MD5 {given} does not match the body's MD5 {actual}"),
        )
    })
}

/// An Alluxio time in milliseconds as an S3 timestamp.
pub(crate) fn timestamp(ms: i64) -> Timestamp {
    let since_epoch = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    Timestamp::from(UNIX_EPOCH + since_epoch)
}

/// Seconds since the epoch of an Alluxio time in milliseconds (HTTP dates have seconds).
pub(crate) fn seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_errors_say_which_way_the_body_was_wrong() {
        assert_eq!(
            body_length_error(Some(10), 4).code(),
            &S3ErrorCode::IncompleteBody
        );
        assert!(
            body_length_error(Some(10), 4)
                .message()
                .unwrap()
                .contains("4 of the 10")
        );
        assert_eq!(
            body_length_error(Some(10), 11).code(),
            &S3ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn content_md5_is_compared_in_base64() {
        let md5: [u8; 16] = Md5::digest(b"hello").into();
        assert!(digest_mismatch("XUFAKrxLKna5cZ2REBfFkg==", &md5).is_none());
        assert_eq!(
            digest_mismatch("AAAAAAAAAAAAAAAAAAAAAA==", &md5).unwrap().code(),
            &S3ErrorCode::BadDigest
        );
    }

    #[test]
    fn times_convert() {
        assert_eq!(seconds(1999), 1);
        assert_eq!(timestamp(0), Timestamp::from(UNIX_EPOCH));
    }
}
