//! The checkpoint file: a header (magic, version, through sequence, entry count, header
//! checksum) followed by the snapshot's entries as records. Locally it is written to a temp file,
//! synced and renamed, so a crash leaves either the old checkpoint or the new one; a UFS journal
//! publishes the same bytes as one object.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use alluxio_server::sync_dir;

use crate::layout::{CHECKPOINT, CHECKPOINT_TMP};
use crate::record::{Next, RecordReader, encode_record, read_full};
use crate::{JournalEntry, JournalError};

const MAGIC: &[u8; 8] = b"ALXJCKPT";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 32;
const IO_BUFFER: usize = 1 << 20;

/// A checkpoint as read back.
#[derive(Debug, Default)]
pub(crate) struct Checkpoint {
    /// The last log sequence the snapshot includes.
    pub(crate) through_sequence: u64,
    /// The snapshot's entries.
    pub(crate) entries: Vec<JournalEntry>,
}

/// Durably replaces the checkpoint in `folder` with `entries`, valid through `through_sequence`.
pub(crate) fn write(
    folder: &Path,
    through_sequence: u64,
    entries: &[JournalEntry],
) -> Result<(), JournalError> {
    let mut tmp = TempFile {
        path: folder.join(CHECKPOINT_TMP),
        armed: true,
    };
    let io_err = JournalError::io_on(&tmp.path);
    let file = File::create(&tmp.path).map_err(io_err)?;
    let mut out = BufWriter::with_capacity(IO_BUFFER, file);
    write_to(&mut out, through_sequence, entries, &tmp.path)?;
    let file = out.into_inner().map_err(|err| io_err(err.into_error()))?;
    file.sync_all().map_err(io_err)?;
    drop(file);
    let target = folder.join(CHECKPOINT);
    fs::rename(&tmp.path, &target).map_err(io_err)?;
    tmp.armed = false;
    sync_dir(folder).map_err(JournalError::io_on(folder))
}

/// Writes a checkpoint of `entries`, valid through `through_sequence`, to `out`; `path` names
/// the destination in errors.
pub(crate) fn write_to(
    out: &mut impl Write,
    through_sequence: u64,
    entries: &[JournalEntry],
    path: &Path,
) -> Result<(), JournalError> {
    let io_err = JournalError::io_on(path);
    out.write_all(&header(through_sequence, entries.len() as u64))
        .map_err(io_err)?;
    let mut record = Vec::new();
    for entry in entries {
        record.clear();
        encode_record(&mut record, entry).map_err(|size| JournalError::EntryTooLarge {
            sequence: entry.sequence,
            size,
        })?;
        out.write_all(&record).map_err(io_err)?;
    }
    Ok(())
}

/// Reads the checkpoint in `folder`, if there is one. Any damage is an error naming the file:
/// the log before it may already be gone, so nothing could replace it.
pub(crate) fn read(folder: &Path) -> Result<Option<Checkpoint>, JournalError> {
    let path = folder.join(CHECKPOINT);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(JournalError::Io { path, source }),
    };
    read_from(BufReader::with_capacity(IO_BUFFER, file), &path).map(Some)
}

/// Reads a whole checkpoint from `input`; `path` names it in errors.
pub(crate) fn read_from(mut input: impl Read, path: &Path) -> Result<Checkpoint, JournalError> {
    let io_err = JournalError::io_on(path);
    let corrupt = JournalError::corrupt_in(path);
    let mut head = [0u8; HEADER_LEN];
    if read_full(&mut input, &mut head).map_err(io_err)? < HEADER_LEN {
        return Err(corrupt(0, "the checkpoint header is incomplete".into()));
    }
    let (through_sequence, count) = parse_header(&head).map_err(|reason| corrupt(0, reason))?;
    let mut reader = RecordReader::new(input, HEADER_LEN as u64);
    // The count comes from disk: cap the pre-allocation, let the vector grow past it if real.
    let mut entries = Vec::with_capacity(count.min(1 << 20) as usize);
    for index in 0..count {
        match reader.next_record().map_err(io_err)? {
            Next::Entry { entry, .. } => entries.push(entry),
            Next::End => {
                return Err(corrupt(
                    reader.offset(),
                    format!("the checkpoint ends after {index} of its {count} entries"),
                ));
            }
            Next::Bad { offset, reason } => return Err(corrupt(offset, reason.to_string())),
            Next::Undecodable { offset, reason } => {
                return Err(corrupt(offset, format!("undecodable entry: {reason}")));
            }
        }
    }
    let end = reader.offset();
    if !matches!(reader.next_record().map_err(io_err)?, Next::End) {
        return Err(corrupt(
            end,
            format!("unexpected bytes after the {count} entries"),
        ));
    }
    Ok(Checkpoint {
        through_sequence,
        entries,
    })
}

/// Deletes a checkpoint write a crash interrupted.
pub(crate) fn remove_leftover(folder: &Path) -> Result<(), JournalError> {
    let path = folder.join(CHECKPOINT_TMP);
    match fs::remove_file(&path) {
        Ok(()) => {
            tracing::warn!(path = %path.display(), "deleted an unfinished checkpoint left by a crash");
            Ok(())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(JournalError::Io { path, source }),
    }
}

fn header(through_sequence: u64, count: u64) -> [u8; HEADER_LEN] {
    let mut head = [0u8; HEADER_LEN];
    head[..8].copy_from_slice(MAGIC);
    head[8..12].copy_from_slice(&VERSION.to_le_bytes());
    head[12..20].copy_from_slice(&through_sequence.to_le_bytes());
    head[20..28].copy_from_slice(&count.to_le_bytes());
    let crc = crc32c::crc32c(&head[..28]);
    head[28..].copy_from_slice(&crc.to_le_bytes());
    head
}

fn parse_header(head: &[u8; HEADER_LEN]) -> Result<(u64, u64), String> {
    if &head[..8] != MAGIC {
        return Err("not a journal checkpoint (bad magic)".into());
    }
    let u32_at = |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let u64_at = |at: usize| u64::from(u32_at(at)) | (u64::from(u32_at(at + 4)) << 32);
    if crc32c::crc32c(&head[..28]) != u32_at(28) {
        return Err("checkpoint header checksum mismatch".into());
    }
    match u32_at(8) {
        VERSION => Ok((u64_at(12), u64_at(20))),
        other => Err(format!(
            "checkpoint format version {other} is not supported (expected {VERSION})"
        )),
    }
}

/// Removes the temp file unless the write got as far as renaming it.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Best effort: a leftover is also removed at the next open.
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alluxio_proto::grpc::{JournalNextContainer, journal_entry::Entry};

    fn snapshot(n: u64) -> Vec<JournalEntry> {
        (0..n)
            .map(|i| JournalEntry {
                entry: Some(Entry::NextContainer(JournalNextContainer {
                    next_container_id: i,
                })),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn checkpoint_round_trips_and_replaces_the_previous_one() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().is_none());
        write(dir.path(), 5, &snapshot(3)).unwrap();
        write(dir.path(), 9, &snapshot(4)).unwrap();
        let back = read(dir.path()).unwrap().unwrap();
        assert_eq!(back.through_sequence, 9);
        assert_eq!(back.entries, snapshot(4));
        assert!(!dir.path().join(CHECKPOINT_TMP).exists());
    }

    #[test]
    fn empty_snapshot_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 0, &[]).unwrap();
        let back = read(dir.path()).unwrap().unwrap();
        assert_eq!((back.through_sequence, back.entries.len()), (0, 0));
    }

    fn damaged(edit: impl FnOnce(&mut Vec<u8>)) -> JournalError {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 7, &snapshot(3)).unwrap();
        let path = dir.path().join(CHECKPOINT);
        let mut bytes = fs::read(&path).unwrap();
        edit(&mut bytes);
        fs::write(&path, bytes).unwrap();
        read(dir.path()).unwrap_err()
    }

    #[test]
    fn any_damage_is_corruption_naming_the_checkpoint() {
        let cases: [fn(&mut Vec<u8>); 5] = [
            |b| b[13] ^= 1,
            |b| b.truncate(20),
            |b| b.truncate(b.len() - 1),
            |b| b.push(0),
            |b| *b.last_mut().unwrap() ^= 1,
        ];
        for (index, edit) in cases.into_iter().enumerate() {
            match damaged(edit) {
                JournalError::Corrupt { path, .. } => {
                    assert!(path.ends_with(CHECKPOINT), "case {index}: {}", path.display())
                }
                other => panic!("case {index}: expected corruption, got {other}"),
            }
        }
    }

    #[test]
    fn a_lost_last_entry_is_reported_at_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 7, &snapshot(2)).unwrap();
        let path = dir.path().join(CHECKPOINT);
        let full = fs::read(&path).unwrap();
        let mut one = Vec::new();
        encode_record(&mut one, &snapshot(1)[0]).unwrap();
        fs::write(&path, &full[..HEADER_LEN + one.len()]).unwrap();
        match read(dir.path()).unwrap_err() {
            JournalError::Corrupt { offset, reason, .. } => {
                assert_eq!(offset, (HEADER_LEN + one.len()) as u64);
                assert!(reason.contains("after 1 of its 2"), "{reason}");
            }
            other => panic!("expected corruption, got {other}"),
        }
    }
}
