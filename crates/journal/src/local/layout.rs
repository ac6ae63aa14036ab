//! The local journal folder: which files it holds, how they are named, and creating log
//! segments durably.
//!
//! - `epoch.<N>`: the marker of epoch N.
//! - `log.<first>.e<epoch>.after<epoch>`: a segment, from its first sequence on, written in an
//!   epoch continuing another; `log.<first>` is a segment written before epochs existed.
//! - `checkpoint.<through>.e<epoch>`: a checkpoint through a sequence, written in an epoch;
//!   `checkpoint` is one written before epochs existed. `.tmp` is appended while one is written.
//! - `.lock`: held with `flock` by a master running alone.
//!
//! Sequences and epoch markers are zero-padded to 20 digits so a listing sorts in order.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use alluxio_server::sync_dir;

use crate::JournalError;
use crate::chain::{epoch_suffix, split_epoch_suffix};

/// Held with `flock` by the process that owns the journal alone.
pub(crate) const LOCK: &str = ".lock";
/// Prefix of segment names.
const LOG_PREFIX: &str = "log.";
/// Name (and prefix) of checkpoints.
const CHECKPOINT: &str = "checkpoint";
/// Prefix of epoch markers.
const EPOCH_PREFIX: &str = "epoch.";
/// Suffix of a checkpoint being written.
const TMP_SUFFIX: &str = ".tmp";

/// Magic opening every log segment.
const LOG_MAGIC: &[u8; 8] = b"ALXJLOG\0";
/// Version of the segment format.
const LOG_VERSION: u32 = 1;
/// Bytes of the segment header: magic, version.
pub(crate) const LOG_HEADER_LEN: u64 = 12;

/// Name of the marker of `epoch`.
pub(crate) fn epoch_name(epoch: u64) -> String {
    format!("{EPOCH_PREFIX}{epoch:020}")
}

/// The epoch a marker's name stands for.
pub(crate) fn parse_epoch_name(name: &str) -> Option<u64> {
    name.strip_prefix(EPOCH_PREFIX)?.parse().ok()
}

/// Name of the segment of `epoch` (continuing `after`) starting at sequence `first`.
pub(crate) fn segment_name(first: u64, epoch: u64, after: u64) -> String {
    format!("{LOG_PREFIX}{first:020}{}", epoch_suffix(epoch, after))
}

/// `(first, epoch, after)` of a segment's name.
pub(crate) fn parse_segment_name(name: &str) -> Option<(u64, u64, u64)> {
    let (stem, epoch, after) = split_epoch_suffix(name.strip_prefix(LOG_PREFIX)?)?;
    Some((stem.parse().ok()?, epoch, after))
}

/// Name of the checkpoint of `epoch` through `through`.
pub(crate) fn checkpoint_name(through: u64, epoch: u64) -> String {
    format!("{CHECKPOINT}.{through:020}.e{epoch}")
}

/// `(through, epoch)` of a checkpoint's name; the checkpoint from before epochs names no
/// sequence.
pub(crate) fn parse_checkpoint_name(name: &str) -> Option<(Option<u64>, u64)> {
    if name == CHECKPOINT {
        return Some((None, 0));
    }
    let (through, epoch) = name
        .strip_prefix(CHECKPOINT)?
        .strip_prefix('.')?
        .split_once(".e")?;
    Some((Some(through.parse().ok()?), epoch.parse().ok()?))
}

/// Name of the temp file `checkpoint` is written to.
pub(crate) fn temp_name(checkpoint: &str) -> String {
    format!("{checkpoint}{TMP_SUFFIX}")
}

/// Whether `name` is a checkpoint write a crash (or a deposed master) left unfinished.
pub(crate) fn is_unfinished_checkpoint(name: &str) -> bool {
    name.strip_suffix(TMP_SUFFIX)
        .is_some_and(|stem| parse_checkpoint_name(stem).is_some())
}

/// Whether `name` is a file the journal owns (so `format` may delete it).
pub(crate) fn is_journal_file(name: &str) -> bool {
    parse_segment_name(name).is_some()
        || parse_checkpoint_name(name).is_some()
        || is_unfinished_checkpoint(name)
        || parse_epoch_name(name).is_some()
}

/// The names and paths of the files in `folder`; none if it does not exist (yet).
pub(crate) fn list(folder: &Path) -> Result<Vec<(String, PathBuf)>, JournalError> {
    let io_err = JournalError::io_on(folder);
    let dirents = match fs::read_dir(folder) {
        Ok(dirents) => dirents,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(io_err(err)),
    };
    let mut files = Vec::new();
    for dirent in dirents {
        let dirent = dirent.map_err(io_err)?;
        // Names that are not UTF-8 are nobody's journal files.
        if let Ok(name) = dirent.file_name().into_string() {
            files.push((name, dirent.path()));
        }
    }
    Ok(files)
}

/// Creates the empty segment `name` durably (header synced, folder synced) and returns it open
/// for writing; never replaces an existing file.
pub(crate) fn create_segment(folder: &Path, name: &str) -> Result<File, JournalError> {
    let path = folder.join(name);
    let io_err = JournalError::io_on(&path);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(io_err)?;
    write_log_header(&mut file).map_err(io_err)?;
    file.sync_data().map_err(io_err)?;
    sync_dir(folder).map_err(JournalError::io_on(folder))?;
    Ok(file)
}

/// Writes the segment header at the current position.
fn write_log_header(file: &mut File) -> std::io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sort_by_sequence() {
        assert_eq!(segment_name(7, 2, 1), "log.00000000000000000007.e2.after1");
        assert_eq!(parse_segment_name(&segment_name(7, 2, 1)), Some((7, 2, 1)));
        assert_eq!(parse_segment_name("log.00000000000000000007"), Some((7, 0, 0)));
        assert_eq!(parse_segment_name("log.notanumber"), None);
        assert_eq!(checkpoint_name(9, 3), "checkpoint.00000000000000000009.e3");
        assert_eq!(parse_checkpoint_name(&checkpoint_name(9, 3)), Some((Some(9), 3)));
        assert_eq!(parse_checkpoint_name("checkpoint"), Some((None, 0)));
        assert_eq!(parse_checkpoint_name("checkpoints"), None);
        assert_eq!(epoch_name(12), "epoch.00000000000000000012");
        assert_eq!(parse_epoch_name(&epoch_name(12)), Some(12));
        assert!(segment_name(9, 1, 0) < segment_name(10, 1, 0));
    }

    #[test]
    fn journal_files_are_recognised_by_name() {
        for name in [
            "checkpoint",
            "checkpoint.tmp",
            "checkpoint.00000000000000000009.e3",
            "checkpoint.00000000000000000009.e3.tmp",
            "log.00000000000000000001",
            "log.00000000000000000001.e1.after0",
            "epoch.00000000000000000001",
        ] {
            assert!(is_journal_file(name), "{name}");
        }
        for name in ["log.txt", "notes", "epoch.x", "checkpoint.x.tmp", ".lock"] {
            assert!(!is_journal_file(name), "{name}");
        }
        assert!(is_unfinished_checkpoint("checkpoint.tmp"));
        assert!(!is_unfinished_checkpoint("checkpoint"));
    }

    #[test]
    fn segments_are_never_overwritten_and_headers_check() {
        let dir = tempfile::tempdir().unwrap();
        let name = segment_name(1, 1, 0);
        create_segment(dir.path(), &name).unwrap();
        assert!(create_segment(dir.path(), &name).is_err());
        let bytes = fs::read(dir.path().join(&name)).unwrap();
        let header: [u8; LOG_HEADER_LEN as usize] = bytes.as_slice().try_into().unwrap();
        assert_eq!(check_log_header(&header), Ok(()));
        let mut wrong = header;
        wrong[8] = 9;
        assert!(check_log_header(&wrong).unwrap_err().contains("version 9"));
        wrong[0] = b'X';
        assert!(check_log_header(&wrong).unwrap_err().contains("magic"));
    }
}
