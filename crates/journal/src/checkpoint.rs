//! The checkpoint format: a header (magic, version, through sequence, entry count, header
//! checksum) followed by the snapshot's entries as records. Each store makes it appear whole
//! (a local temp file renamed, a UFS object published on close).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::record::{Next, RecordReader, encode_record, read_full};
use crate::{JournalEntry, JournalError};

const MAGIC: &[u8; 8] = b"ALXJCKPT";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 32;

/// A checkpoint as read back.
#[derive(Debug, Default)]
pub(crate) struct Checkpoint {
    /// The last log sequence the snapshot includes.
    pub(crate) through_sequence: u64,
    /// The snapshot's entries.
    pub(crate) entries: Vec<JournalEntry>,
}

/// Writes a checkpoint of `entries`, valid through `through_sequence`, to `out`, encoding each
/// entry as it comes (a snapshot is never held whole); `path` names the destination in errors.
/// The header, which counts them, is written last.
pub(crate) fn write_to(
    out: &mut (impl Write + Seek),
    through_sequence: u64,
    entries: impl IntoIterator<Item = JournalEntry>,
    path: &Path,
) -> Result<(), JournalError> {
    let io_err = JournalError::io_on(path);
    let start = out.stream_position().map_err(io_err)?;
    out.write_all(&[0; HEADER_LEN]).map_err(io_err)?;
    let mut record = Vec::new();
    let mut count = 0;
    for entry in entries {
        record.clear();
        encode_record(&mut record, &entry).map_err(|size| JournalError::EntryTooLarge {
            sequence: entry.sequence,
            size,
        })?;
        out.write_all(&record).map_err(io_err)?;
        count += 1;
    }
    let end = out.stream_position().map_err(io_err)?;
    out.seek(SeekFrom::Start(start)).map_err(io_err)?;
    out.write_all(&header(through_sequence, count)).map_err(io_err)?;
    out.seek(SeekFrom::Start(end)).map_err(io_err)?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use alluxio_proto::grpc::{JournalNextContainer, journal_entry::Entry};

    const PATH: &str = "/j/checkpoint.00000000000000000007.e1";

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

    fn written(through_sequence: u64, entries: &[JournalEntry]) -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        write_to(&mut bytes, through_sequence, entries.to_vec(), Path::new(PATH)).unwrap();
        bytes.into_inner()
    }

    fn read(bytes: &[u8]) -> Result<Checkpoint, JournalError> {
        read_from(bytes, Path::new(PATH))
    }

    #[test]
    fn checkpoint_round_trips() {
        let back = read(&written(9, &snapshot(4))).unwrap();
        assert_eq!(back.through_sequence, 9);
        assert_eq!(back.entries, snapshot(4));
    }

    #[test]
    fn empty_snapshot_round_trips() {
        let back = read(&written(0, &[])).unwrap();
        assert_eq!((back.through_sequence, back.entries.len()), (0, 0));
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
            let mut bytes = written(7, &snapshot(3));
            edit(&mut bytes);
            match read(&bytes) {
                Err(JournalError::Corrupt { path, .. }) => assert_eq!(path, Path::new(PATH), "case {index}"),
                Err(other) => panic!("case {index}: expected corruption, got {other}"),
                Ok(_) => panic!("case {index}: damage was accepted"),
            }
        }
    }

    #[test]
    fn a_lost_last_entry_is_reported_at_its_offset() {
        let full = written(7, &snapshot(2));
        let mut one = Vec::new();
        encode_record(&mut one, &snapshot(1)[0]).unwrap();
        match read(&full[..HEADER_LEN + one.len()]) {
            Err(JournalError::Corrupt { offset, reason, .. }) => {
                assert_eq!(offset, (HEADER_LEN + one.len()) as u64);
                assert!(reason.contains("after 1 of its 2"), "{reason}");
            }
            Err(other) => panic!("expected corruption, got {other}"),
            Ok(_) => panic!("a truncated checkpoint was accepted"),
        }
    }
}
