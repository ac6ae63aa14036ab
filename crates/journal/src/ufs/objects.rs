//! The objects of a UFS journal, their names, and whole-object reads and writes.
//!
//! - `epochs/<N>`: the marker of epoch N.
//! - `logs/<first>-<last>.e<epoch>.after<epoch>`: one group-commit batch, written in an epoch
//!   continuing another; an epoch starts with an empty one whose last is `first - 1`.
//!   `logs/<first>-<last>` is a batch written before epochs existed.
//! - `checkpoints/<through>.e<epoch>`: a checkpoint written in an epoch; `checkpoints/<through>`
//!   one written before epochs existed.
//! - `LOCK`: names the master that opened the journal for writing last.

use std::path::Path;

use alluxio_ufs::{UfsError, UfsUri, UnderFileSystem, join};
use bytes::Bytes;

use crate::JournalError;
use crate::chain::{epoch_suffix, split_epoch_suffix};

const LOGS: &str = "logs";
const CHECKPOINTS: &str = "checkpoints";
const EPOCHS: &str = "epochs";
const LOCK: &str = "LOCK";

/// Names of the objects under a journal URI. Sequences and epoch markers are zero-padded to 20
/// digits so a plain listing sorts in order.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    root: String,
}

impl Layout {
    /// The layout of the journal at `uri`.
    pub(crate) fn new(uri: &str) -> Layout {
        Layout {
            root: uri.trim_end_matches('/').to_string(),
        }
    }

    /// The journal's URI.
    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    /// The folder of log objects.
    pub(crate) fn logs_dir(&self) -> String {
        join(&self.root, LOGS)
    }

    /// The folder of checkpoints.
    pub(crate) fn checkpoints_dir(&self) -> String {
        join(&self.root, CHECKPOINTS)
    }

    /// The folder of epoch markers.
    pub(crate) fn epochs_dir(&self) -> String {
        join(&self.root, EPOCHS)
    }

    /// The log object of `epoch` (continuing `after`) holding sequences `first..=last`.
    pub(crate) fn log(&self, first: u64, last: u64, epoch: u64, after: u64) -> String {
        let suffix = if epoch == 0 {
            String::new()
        } else {
            epoch_suffix(epoch, after)
        };
        join(&self.logs_dir(), &format!("{first:020}-{last:020}{suffix}"))
    }

    /// The checkpoint of `epoch` through `through_sequence`.
    pub(crate) fn checkpoint(&self, through_sequence: u64, epoch: u64) -> String {
        let suffix = if epoch == 0 {
            String::new()
        } else {
            format!(".e{epoch}")
        };
        join(
            &self.checkpoints_dir(),
            &format!("{through_sequence:020}{suffix}"),
        )
    }

    /// The marker of `epoch`.
    pub(crate) fn epoch(&self, epoch: u64) -> String {
        join(&self.epochs_dir(), &format!("{epoch:020}"))
    }

    /// The object naming the master that opened the journal last.
    pub(crate) fn lock(&self) -> String {
        join(&self.root, LOCK)
    }
}

/// `(first, last, epoch, after)` of a log object's name.
pub(crate) fn parse_log_name(name: &str) -> Option<(u64, u64, u64, u64)> {
    let (range, epoch, after) = split_epoch_suffix(name)?;
    let (first, last) = range.split_once('-')?;
    let (first, last): (u64, u64) = (first.parse().ok()?, last.parse().ok()?);
    // Only an epoch's first object may be empty.
    let empty_start = epoch > 0 && last.checked_add(1) == Some(first);
    (first <= last || empty_start).then_some((first, last, epoch, after))
}

/// `(through, epoch)` of a checkpoint's name.
pub(crate) fn parse_checkpoint_name(name: &str) -> Option<(u64, u64)> {
    match name.split_once(".e") {
        Some((through, epoch)) => Some((through.parse().ok()?, epoch.parse().ok()?)),
        None => Some((name.parse().ok()?, 0)),
    }
}

/// Creates the object `uri` holding `bytes` unless it exists; `Ok(false)` if it does. Of two
/// masters creating it at once exactly one succeeds: on a local path (a shared directory) through
/// `O_EXCL`, synced; elsewhere through the UFS's conditional create (S3 and Azure
/// `If-None-Match: *`, GCS `ifGenerationMatch=0`). Where the UFS has none (HDFS through OpenDAL)
/// it refuses with [`JournalError::NoAtomicCreate`] rather than pretend.
pub(crate) async fn create_exclusive(
    ufs: &dyn UnderFileSystem,
    uri: &str,
    bytes: &[u8],
) -> Result<bool, JournalError> {
    let parsed = UfsUri::parse(uri).map_err(|source| JournalError::ufs(uri, source))?;
    if parsed.scheme == "file" {
        return create_local_exclusive(Path::new(&parsed.path), bytes);
    }
    match ufs.create_exclusive(uri, Bytes::copy_from_slice(bytes)).await {
        Err(UfsError::NoConditionalCreate { .. }) => {
            Err(JournalError::NoAtomicCreate { uri: uri.to_string() })
        }
        created => created.map_err(|source| JournalError::ufs(uri, source)),
    }
}

/// [`create_exclusive`] on this host's file system (or a directory it mounts).
fn create_local_exclusive(path: &Path, bytes: &[u8]) -> Result<bool, JournalError> {
    let io_err = JournalError::io_on(path);
    let parent = path.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(JournalError::io_on(parent))?;
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(err) => return Err(io_err(err)),
    };
    std::io::Write::write_all(&mut file, bytes).map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    alluxio_server::sync_dir(parent).map_err(JournalError::io_on(parent))?;
    Ok(true)
}

/// Children of `dir` (none if it does not exist), files only.
pub(crate) async fn list_files(ufs: &dyn UnderFileSystem, dir: &str) -> Result<Vec<String>, JournalError> {
    let listed = ufs
        .list(dir)
        .await
        .map_err(|source| JournalError::ufs(dir, source))?;
    Ok(listed
        .unwrap_or_default()
        .into_iter()
        .filter(|status| !status.is_dir)
        .map(|status| status.name)
        .collect())
}

/// Writes `bytes` as the whole object `uri`, visible only once complete.
pub(crate) async fn publish(ufs: &dyn UnderFileSystem, uri: &str, bytes: Bytes) -> Result<(), JournalError> {
    let fail = |source: UfsError| JournalError::ufs(uri, source);
    let mut writer = ufs.create(uri).await.map_err(fail)?;
    if let Err(err) = writer.write(bytes).await {
        if let Err(abort) = writer.abort().await {
            tracing::warn!(%uri, error = %abort, "could not abort a failed journal object upload");
        }
        return Err(fail(err));
    }
    writer.close().await.map_err(fail)
}

/// The whole content of the object `uri`.
pub(crate) async fn read_object(ufs: &dyn UnderFileSystem, uri: &str) -> Result<Vec<u8>, JournalError> {
    ufs.read_all(uri)
        .await
        .map_err(|source| JournalError::ufs(uri, source))
}

/// Deletes the object `uri` (nothing if it is gone already).
pub(crate) async fn delete(ufs: &dyn UnderFileSystem, uri: &str) -> Result<(), JournalError> {
    ufs.delete_file(uri)
        .await
        .map_err(|source| JournalError::ufs(uri, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_in_sequence_order_and_parse_back() {
        let layout = Layout::new("s3://b/journal/");
        assert_eq!(
            layout.log(3, 12, 0, 0),
            "s3://b/journal/logs/00000000000000000003-00000000000000000012"
        );
        assert_eq!(
            layout.log(3, 12, 2, 1),
            "s3://b/journal/logs/00000000000000000003-00000000000000000012.e2.after1"
        );
        assert_eq!(
            layout.checkpoint(7, 0),
            "s3://b/journal/checkpoints/00000000000000000007"
        );
        assert_eq!(
            layout.checkpoint(7, 4),
            "s3://b/journal/checkpoints/00000000000000000007.e4"
        );
        assert_eq!(layout.epoch(5), "s3://b/journal/epochs/00000000000000000005");
        assert_eq!(layout.lock(), "s3://b/journal/LOCK");
        assert_eq!(
            parse_log_name("00000000000000000003-00000000000000000012"),
            Some((3, 12, 0, 0))
        );
        assert_eq!(parse_log_name("3-12.e2.after1"), Some((3, 12, 2, 1)));
        assert_eq!(
            parse_log_name("3-2.e2.after1"),
            Some((3, 2, 2, 1)),
            "an epoch's empty start"
        );
        assert_eq!(parse_log_name("3-2"), None);
        assert_eq!(parse_log_name("12-3"), None);
        assert_eq!(parse_log_name("x-3"), None);
        assert_eq!(parse_log_name("notes.txt"), None);
        assert_eq!(parse_checkpoint_name("00000000000000000007.e4"), Some((7, 4)));
        assert_eq!(parse_checkpoint_name("00000000000000000007"), Some((7, 0)));
        assert_eq!(parse_checkpoint_name("x"), None);
    }

    #[test]
    fn exclusive_local_creates_succeed_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("epochs/00000000000000000001");
        assert!(create_local_exclusive(&path, b"a").unwrap());
        assert!(!create_local_exclusive(&path, b"b").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"a");
    }
}
