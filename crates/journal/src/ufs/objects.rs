//! The objects of a UFS journal, their names, and whole-object reads and writes.

use alluxio_ufs::{UfsError, UnderFileSystem, join};
use bytes::Bytes;

use crate::JournalError;

const LOGS: &str = "logs";
const CHECKPOINTS: &str = "checkpoints";
const LOCK: &str = "LOCK";

/// Names of the objects under a journal URI. Sequences are zero-padded to 20 digits so a plain
/// listing sorts in sequence order.
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

    /// The log object holding sequences `first..=last`.
    pub(crate) fn log(&self, first: u64, last: u64) -> String {
        join(&self.logs_dir(), &format!("{first:020}-{last:020}"))
    }

    /// The checkpoint through `through_sequence`.
    pub(crate) fn checkpoint(&self, through_sequence: u64) -> String {
        join(&self.checkpoints_dir(), &format!("{through_sequence:020}"))
    }

    /// The object naming the master that opened the journal last.
    pub(crate) fn lock(&self) -> String {
        join(&self.root, LOCK)
    }
}

/// The sequences `(first, last)` of a log object's name.
pub(crate) fn parse_log_name(name: &str) -> Option<(u64, u64)> {
    let (first, last) = name.split_once('-')?;
    let (first, last) = (first.parse().ok()?, last.parse().ok()?);
    (first <= last).then_some((first, last))
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
            layout.log(3, 12),
            "s3://b/journal/logs/00000000000000000003-00000000000000000012"
        );
        assert_eq!(
            layout.checkpoint(7),
            "s3://b/journal/checkpoints/00000000000000000007"
        );
        assert_eq!(layout.lock(), "s3://b/journal/LOCK");
        assert_eq!(
            parse_log_name("00000000000000000003-00000000000000000012"),
            Some((3, 12))
        );
        assert_eq!(parse_log_name("12-3"), None);
        assert_eq!(parse_log_name("x-3"), None);
        assert_eq!(parse_log_name("notes.txt"), None);
    }
}
