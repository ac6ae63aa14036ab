//! The journal folder: which files it holds, how they are named, and creating log segments
//! durably.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use alluxio_server::sync_dir;

use crate::JournalError;

/// Name of the durable checkpoint.
pub(crate) const CHECKPOINT: &str = "checkpoint";
/// Name a checkpoint is written under before the rename makes it current.
pub(crate) const CHECKPOINT_TMP: &str = "checkpoint.tmp";
/// Held with `flock` by the process that owns the journal.
pub(crate) const LOCK: &str = ".lock";
/// Prefix of log segment names; the rest is the first sequence the segment holds.
const LOG_PREFIX: &str = "log.";

/// Magic opening every log segment.
const LOG_MAGIC: &[u8; 8] = b"ALXJLOG\0";
/// Version of the segment format.
const LOG_VERSION: u32 = 1;
/// Bytes of the segment header: magic, version.
pub(crate) const LOG_HEADER_LEN: u64 = 12;

/// A log segment found in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    /// The sequence of its first entry (or of the next entry, while it is empty).
    pub(crate) first: u64,
    /// Where it is.
    pub(crate) path: PathBuf,
}

/// Path of the segment whose first sequence is `first`.
pub(crate) fn segment_path(folder: &Path, first: u64) -> PathBuf {
    // Zero-padding makes a plain listing sort in sequence order too, for people reading it.
    folder.join(format!("{LOG_PREFIX}{first:020}"))
}

/// Every log segment in `folder`, in sequence order.
pub(crate) fn list_segments(folder: &Path) -> Result<Vec<Segment>, JournalError> {
    let io_err = JournalError::io_on(folder);
    let mut segments = Vec::new();
    for dirent in fs::read_dir(folder).map_err(io_err)? {
        let dirent = dirent.map_err(io_err)?;
        let name = dirent.file_name();
        let Some(first) = name.to_str().and_then(|n| n.strip_prefix(LOG_PREFIX)) else {
            continue;
        };
        match first.parse::<u64>() {
            Ok(first) => segments.push(Segment {
                first,
                path: dirent.path(),
            }),
            Err(_) => tracing::warn!(
                path = %dirent.path().display(),
                "ignoring a file named like a journal segment without a sequence number"
            ),
        }
    }
    segments.sort_by_key(|s| s.first);
    Ok(segments)
}

/// Whether `name` is a file the journal owns (so `format` may delete it).
pub(crate) fn is_journal_file(name: &str) -> bool {
    name == CHECKPOINT
        || name == CHECKPOINT_TMP
        || name
            .strip_prefix(LOG_PREFIX)
            .is_some_and(|rest| rest.parse::<u64>().is_ok())
}

/// Creates the empty segment for sequence `first` on, durably (header synced, folder synced),
/// and returns it open for appending.
pub(crate) fn create_segment(folder: &Path, first: u64) -> Result<File, JournalError> {
    let path = segment_path(folder, first);
    let io_err = JournalError::io_on(&path);
    let mut file = OpenOptions::new()
        .append(true)
        .create_new(true)
        .open(&path)
        .map_err(io_err)?;
    write_log_header(&mut file).map_err(io_err)?;
    file.sync_data().map_err(io_err)?;
    sync_dir(folder).map_err(JournalError::io_on(folder))?;
    Ok(file)
}

/// Writes the segment header at the current position.
pub(crate) fn write_log_header(file: &mut File) -> std::io::Result<()> {
    let mut header = [0u8; LOG_HEADER_LEN as usize];
    header[..8].copy_from_slice(LOG_MAGIC);
    header[8..].copy_from_slice(&LOG_VERSION.to_le_bytes());
    file.write_all(&header)
}

/// Checks a segment header; `Err` says what is wrong with it.
pub(crate) fn check_log_header(header: &[u8; LOG_HEADER_LEN as usize]) -> Result<(), String> {
    if &header[..8] != LOG_MAGIC {
        return Err("not a journal segment (bad magic)".into());
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(&header[8..]);
    match u32::from_le_bytes(version) {
        LOG_VERSION => Ok(()),
        other => Err(format!(
            "segment format version {other} is not supported (expected {LOG_VERSION})"
        )),
    }
}

/// Deletes the segments whose every entry is at or below `through_sequence`, never the newest
/// one (it is the one being appended to).
pub(crate) fn delete_covered_segments(folder: &Path, through_sequence: u64) -> Result<(), JournalError> {
    let segments = list_segments(folder)?;
    for pair in segments.windows(2) {
        // A segment ends right before the next one starts.
        if pair[1].first <= through_sequence.saturating_add(1) {
            fs::remove_file(&pair[0].path).map_err(|source| JournalError::Io {
                path: pair[0].path.clone(),
                source,
            })?;
            tracing::debug!(path = %pair[0].path.display(), "deleted a checkpointed journal segment");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_list_in_sequence_order_and_foreign_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        for first in [101u64, 1, 20] {
            create_segment(dir.path(), first).unwrap();
        }
        fs::write(dir.path().join("log.notanumber"), b"x").unwrap();
        fs::write(dir.path().join("README"), b"x").unwrap();
        let firsts: Vec<u64> = list_segments(dir.path())
            .unwrap()
            .iter()
            .map(|s| s.first)
            .collect();
        assert_eq!(firsts, [1, 20, 101]);
        assert!(
            create_segment(dir.path(), 20).is_err(),
            "segments are never overwritten"
        );
    }

    #[test]
    fn covered_segments_are_deleted_but_never_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for first in [1u64, 11, 21] {
            create_segment(dir.path(), first).unwrap();
        }
        delete_covered_segments(dir.path(), 15).unwrap();
        let firsts: Vec<u64> = list_segments(dir.path())
            .unwrap()
            .iter()
            .map(|s| s.first)
            .collect();
        assert_eq!(firsts, [11, 21]);
        delete_covered_segments(dir.path(), 1000).unwrap();
        let firsts: Vec<u64> = list_segments(dir.path())
            .unwrap()
            .iter()
            .map(|s| s.first)
            .collect();
        assert_eq!(firsts, [21]);
    }

    #[test]
    fn header_round_trips_and_rejects_other_files() {
        let dir = tempfile::tempdir().unwrap();
        create_segment(dir.path(), 1).unwrap();
        let bytes = fs::read(segment_path(dir.path(), 1)).unwrap();
        let header: [u8; LOG_HEADER_LEN as usize] = bytes.as_slice().try_into().unwrap();
        assert_eq!(check_log_header(&header), Ok(()));
        let mut wrong = header;
        wrong[8] = 9;
        assert!(check_log_header(&wrong).unwrap_err().contains("version 9"));
        wrong[0] = b'X';
        assert!(check_log_header(&wrong).unwrap_err().contains("magic"));
    }

    #[test]
    fn journal_files_are_recognised_by_name() {
        assert!(is_journal_file("checkpoint"));
        assert!(is_journal_file("checkpoint.tmp"));
        assert!(is_journal_file("log.00000000000000000001"));
        assert!(!is_journal_file("log.txt"));
        assert!(!is_journal_file("notes"));
    }
}
