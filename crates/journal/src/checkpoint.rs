//! The checkpoint format: a header (magic, version, through sequence, entry count, header
//! checksum) followed by the snapshot's entries as records. Each store makes it appear whole
//! (a local temp file renamed, a UFS object published on close).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::record::{Next, RecordReader, encode_record, read_full};
use crate::{JournalEntry, JournalError};

const MAGIC: &[u8; 8] = b"ALXJCKPT";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 32;

/// A checkpoint opened for reading: its header read, its entries decoded one at a time as they
/// are taken, so that a snapshot of millions of inodes is never held whole. Damage anywhere
/// (an entry missing, bytes after the last one) is an error in the iteration, after which it
/// ends.
pub(crate) struct CheckpointReader {
    /// The last log sequence the snapshot includes.
    through_sequence: u64,
    /// How many entries the header counts.
    count: u64,
    /// How many were taken so far.
    taken: u64,
    records: RecordReader<Box<dyn Read + Send>>,
    path: PathBuf,
    /// Whether the end (or damage) was reached.
    finished: bool,
}

impl CheckpointReader {
    /// Reads the header of the checkpoint `input` holds; `path` names it in errors.
    pub(crate) fn open(mut input: Box<dyn Read + Send>, path: &Path) -> Result<Self, JournalError> {
        let mut head = [0u8; HEADER_LEN];
        if read_full(&mut input, &mut head).map_err(JournalError::io_on(path))? < HEADER_LEN {
            return Err(JournalError::corrupt_in(path)(
                0,
                "the checkpoint header is incomplete".into(),
            ));
        }
        let (through_sequence, count) =
            parse_header(&head).map_err(|reason| JournalError::corrupt_in(path)(0, reason))?;
        Ok(CheckpointReader {
            through_sequence,
            count,
            taken: 0,
            records: RecordReader::new(input, HEADER_LEN as u64),
            path: path.to_path_buf(),
            finished: false,
        })
    }

    /// The last log sequence the snapshot includes.
    pub(crate) fn through_sequence(&self) -> u64 {
        self.through_sequence
    }

    /// How many entries are still to be taken.
    pub(crate) fn remaining(&self) -> u64 {
        if self.finished { 0 } else { self.count - self.taken }
    }

    /// The next entry, `None` after the last one, or what is wrong with the file.
    fn read_next(&mut self) -> Result<Option<JournalEntry>, JournalError> {
        let corrupt = JournalError::corrupt_in(&self.path);
        let next = self
            .records
            .next_record()
            .map_err(JournalError::io_on(&self.path))?;
        if self.taken == self.count {
            return match next {
                Next::End => Ok(None),
                _ => Err(corrupt(
                    self.records.offset(),
                    format!("unexpected bytes after the {} entries", self.count),
                )),
            };
        }
        match next {
            Next::Entry { entry, .. } => {
                self.taken += 1;
                Ok(Some(entry))
            }
            Next::End => Err(corrupt(
                self.records.offset(),
                format!(
                    "the checkpoint ends after {} of its {} entries",
                    self.taken, self.count
                ),
            )),
            Next::Bad { offset, reason } => Err(corrupt(offset, reason.to_string())),
            Next::Undecodable { offset, reason } => {
                Err(corrupt(offset, format!("undecodable entry: {reason}")))
            }
        }
    }
}

impl Iterator for CheckpointReader {
    type Item = Result<JournalEntry, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let next = self.read_next();
        if !matches!(next, Ok(Some(_))) {
            self.finished = true;
        }
        next.transpose()
    }
}

/// How many entries the decoding thread hands over at a time.
const BATCH: usize = 1024;
/// Batches decoded ahead of the one being taken, at most.
const BATCHES_AHEAD: usize = 4;

type Batch = Vec<Result<JournalEntry, JournalError>>;

/// A checkpoint's entries read and decoded on a thread of their own, a few batches ahead of the
/// caller, so that a master restarting with millions of inodes decodes on one core while it
/// builds its tree on the other.
pub(crate) struct DecodedAhead {
    batches: std::sync::mpsc::Receiver<Batch>,
    decoder: Option<std::thread::JoinHandle<()>>,
    /// The batch being taken.
    taking: std::vec::IntoIter<Result<JournalEntry, JournalError>>,
    /// How many entries are still to be taken.
    remaining: u64,
}

impl DecodedAhead {
    /// Starts decoding `reader` on a new thread.
    pub(crate) fn start(mut reader: CheckpointReader) -> Result<Self, JournalError> {
        let remaining = reader.remaining();
        let path = reader.path.clone();
        let (sender, batches) = std::sync::mpsc::sync_channel(BATCHES_AHEAD);
        let decoder = std::thread::Builder::new()
            .name("checkpoint-decoder".into())
            .spawn(move || {
                loop {
                    let batch: Batch = reader.by_ref().take(BATCH).collect();
                    // An empty batch is the end; a failed send, a caller that stopped taking.
                    if batch.is_empty() || sender.send(batch).is_err() {
                        return;
                    }
                }
            })
            .map_err(JournalError::io_on(&path))?;
        Ok(DecodedAhead {
            batches,
            decoder: Some(decoder),
            taking: Vec::new().into_iter(),
            remaining,
        })
    }

    /// How many entries are still to be taken.
    pub(crate) fn remaining(&self) -> u64 {
        self.remaining
    }
}

impl Iterator for DecodedAhead {
    type Item = Result<JournalEntry, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(next) = self.taking.next() {
                self.remaining = match next {
                    Ok(_) => self.remaining.saturating_sub(1),
                    Err(_) => 0,
                };
                return Some(next);
            }
            match self.batches.recv() {
                Ok(batch) => self.taking = batch.into_iter(),
                Err(_) => {
                    // The decoder ended: at the checkpoint's end, or by a panic, which must not
                    // pass for the end of a shorter checkpoint.
                    if let Some(Err(panic)) = self.decoder.take().map(std::thread::JoinHandle::join) {
                        std::panic::resume_unwind(panic);
                    }
                    return None;
                }
            }
        }
    }
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

    /// The checkpoint in `bytes`: what it covers and its entries.
    fn read(bytes: &[u8]) -> Result<(u64, Vec<JournalEntry>), JournalError> {
        let reader = CheckpointReader::open(Box::new(std::io::Cursor::new(bytes.to_vec())), Path::new(PATH))?;
        let through = reader.through_sequence();
        Ok((through, reader.collect::<Result<_, _>>()?))
    }

    #[test]
    fn checkpoint_round_trips() {
        assert_eq!(read(&written(9, &snapshot(4))).unwrap(), (9, snapshot(4)));
    }

    #[test]
    fn empty_snapshot_round_trips() {
        assert_eq!(read(&written(0, &[])).unwrap(), (0, Vec::new()));
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

    fn opened(bytes: Vec<u8>) -> CheckpointReader {
        CheckpointReader::open(Box::new(std::io::Cursor::new(bytes)), Path::new(PATH)).unwrap()
    }

    #[test]
    fn entries_decoded_ahead_come_in_order_across_batches_and_end_at_damage() {
        let entries = snapshot(3 * BATCH as u64 + 5);
        let bytes = written(9, &entries);
        let ahead = DecodedAhead::start(opened(bytes.clone())).unwrap();
        assert_eq!(ahead.remaining(), entries.len() as u64);
        assert_eq!(ahead.collect::<Result<Vec<_>, _>>().unwrap(), entries);

        let mut damaged = bytes;
        let last = damaged.len() - 2;
        damaged[last] ^= 1;
        let mut ahead = DecodedAhead::start(opened(damaged)).unwrap();
        let whole: Vec<_> = ahead.by_ref().take(entries.len() - 1).collect();
        assert!(whole.iter().all(Result::is_ok));
        assert_eq!(ahead.remaining(), 1);
        assert!(matches!(ahead.next(), Some(Err(JournalError::Corrupt { .. }))));
        assert_eq!((ahead.remaining(), ahead.next().is_none()), (0, true));
    }

    #[test]
    fn a_caller_may_stop_taking_entries_decoded_ahead() {
        let mut ahead = DecodedAhead::start(opened(written(9, &snapshot(20 * BATCH as u64)))).unwrap();
        assert!(ahead.next().unwrap().is_ok());
        // The decoder, blocked on a full channel, ends when the receiver goes.
        let decoder = ahead.decoder.take().unwrap();
        drop(ahead);
        decoder.join().unwrap();
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
