//! Record framing shared by log segments and checkpoints: `length u32 | crc32c u32 | payload`,
//! both little-endian, the payload a prost-encoded `JournalEntry`.

use std::io::{self, Read};

use prost::Message;

use crate::JournalEntry;

/// Bytes before each payload: length then checksum.
pub(crate) const RECORD_HEADER_LEN: usize = 8;

/// Largest payload accepted; a larger declared length can only be damage.
pub const MAX_RECORD_LEN: usize = 64 << 20;

/// The size `entry` encodes to in a [`JournalEntry`] with any sequence: its own encoding (which
/// includes its field key and length) plus at most 11 bytes of sequence.
pub fn entry_record_len(entry: &alluxio_proto::grpc::journal_entry::Entry) -> usize {
    entry.encoded_len() + 11
}

/// Appends `entry` as one record to `buf`; returns the payload length, or `Err(length)` (leaving
/// `buf` as it was) when the entry is too large to ever be read back.
pub(crate) fn encode_record(buf: &mut Vec<u8>, entry: &JournalEntry) -> Result<usize, usize> {
    let len = entry.encoded_len();
    if len > MAX_RECORD_LEN {
        return Err(len);
    }
    let start = buf.len();
    buf.reserve(RECORD_HEADER_LEN + len);
    // MAX_RECORD_LEN fits in u32, so the cast cannot truncate.
    buf.extend_from_slice(&(len as u32).to_le_bytes());
    buf.extend_from_slice(&[0; 4]);
    // Encoding straight into the shared buffer and patching the checksum afterwards avoids a
    // scratch buffer per entry; a Vec grows on demand, so encoding cannot run out of room.
    if entry.encode(buf).is_err() {
        buf.truncate(start);
        return Err(len);
    }
    let crc = crc32c::crc32c(&buf[start + RECORD_HEADER_LEN..]);
    buf[start + 4..start + RECORD_HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
    Ok(len)
}

/// Why a record could not be read; whether that is a torn tail or corruption is the caller's call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadRecord {
    /// The file ends inside the record.
    Incomplete,
    /// The declared length is zero or above [`MAX_RECORD_LEN`].
    BadLength(u32),
    /// The payload does not match its checksum.
    BadChecksum,
}

impl std::fmt::Display for BadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadRecord::Incomplete => f.write_str("the file ends inside a record"),
            BadRecord::BadLength(len) => write!(f, "record length {len} is out of range"),
            BadRecord::BadChecksum => f.write_str("record checksum mismatch"),
        }
    }
}

/// What the reader found next.
#[derive(Debug)]
pub(crate) enum Next {
    /// A whole, checksum-valid record that decoded; `offset` is where its header starts.
    Entry { offset: u64, entry: JournalEntry },
    /// Clean end of file, on a record boundary.
    End,
    /// A record that cannot be read, starting at `offset`.
    Bad { offset: u64, reason: BadRecord },
    /// A checksum-valid record whose payload is not a `JournalEntry`: written that way, so
    /// never a torn write.
    Undecodable { offset: u64, reason: String },
}

/// Streams records from a reader, reusing one payload buffer.
pub(crate) struct RecordReader<R> {
    inner: R,
    offset: u64,
    payload: Vec<u8>,
}

impl<R: Read> RecordReader<R> {
    /// Reads records from `inner`, whose first byte sits at file offset `offset`.
    pub(crate) fn new(inner: R, offset: u64) -> Self {
        RecordReader {
            inner,
            offset,
            payload: Vec::new(),
        }
    }

    /// File offset of the next record.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads the next record.
    pub(crate) fn next_record(&mut self) -> io::Result<Next> {
        let offset = self.offset;
        let mut header = [0u8; RECORD_HEADER_LEN];
        match read_full(&mut self.inner, &mut header)? {
            0 => return Ok(Next::End),
            RECORD_HEADER_LEN => {}
            _ => {
                return Ok(Next::Bad {
                    offset,
                    reason: BadRecord::Incomplete,
                });
            }
        }
        let (len, crc) = split_header(header);
        if len == 0 || len as usize > MAX_RECORD_LEN {
            return Ok(Next::Bad {
                offset,
                reason: BadRecord::BadLength(len),
            });
        }
        self.payload.resize(len as usize, 0);
        if read_full(&mut self.inner, &mut self.payload)? < len as usize {
            return Ok(Next::Bad {
                offset,
                reason: BadRecord::Incomplete,
            });
        }
        if crc32c::crc32c(&self.payload) != crc {
            return Ok(Next::Bad {
                offset,
                reason: BadRecord::BadChecksum,
            });
        }
        self.offset += (RECORD_HEADER_LEN + len as usize) as u64;
        Ok(match JournalEntry::decode(self.payload.as_slice()) {
            Ok(entry) => Next::Entry { offset, entry },
            Err(err) => Next::Undecodable {
                offset,
                reason: err.to_string(),
            },
        })
    }
}

/// Whether a whole, checksum-valid record starts anywhere in `bytes`: used to tell a torn tail
/// (nothing valid after the damage) from damage followed by good data.
pub(crate) fn contains_valid_record(bytes: &[u8]) -> bool {
    (0..bytes.len()).any(|at| valid_record_at(&bytes[at..]))
}

fn valid_record_at(bytes: &[u8]) -> bool {
    let Some(header) = bytes.first_chunk::<RECORD_HEADER_LEN>() else {
        return false;
    };
    let (len, crc) = split_header(*header);
    let len = len as usize;
    len != 0
        && len <= MAX_RECORD_LEN
        && bytes.len() - RECORD_HEADER_LEN >= len
        && crc32c::crc32c(&bytes[RECORD_HEADER_LEN..RECORD_HEADER_LEN + len]) == crc
}

fn split_header(header: [u8; RECORD_HEADER_LEN]) -> (u32, u32) {
    let [l0, l1, l2, l3, c0, c1, c2, c3] = header;
    (
        u32::from_le_bytes([l0, l1, l2, l3]),
        u32::from_le_bytes([c0, c1, c2, c3]),
    )
}

/// Fills `buf` as far as the reader allows; returns how many bytes were read (short only at EOF).
pub(crate) fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alluxio_proto::grpc::{JournalNextContainer, journal_entry::Entry};

    fn entry(sequence: u64) -> JournalEntry {
        JournalEntry {
            sequence,
            entry: Some(Entry::NextContainer(JournalNextContainer {
                next_container_id: 7,
            })),
            ..Default::default()
        }
    }

    fn encoded(entries: &[JournalEntry]) -> Vec<u8> {
        let mut buf = Vec::new();
        for e in entries {
            encode_record(&mut buf, e).unwrap();
        }
        buf
    }

    /// Reads `bytes` as records up to the first that is not an entry; returns the entries and
    /// what stopped the reading.
    fn read_all(bytes: &[u8]) -> (Vec<JournalEntry>, Next) {
        let mut reader = RecordReader::new(bytes, 0);
        let mut entries = Vec::new();
        let mut last_offset = None;
        loop {
            match reader.next_record().unwrap() {
                Next::Entry { offset, entry } => {
                    assert!(last_offset < Some(offset), "offsets go forward");
                    last_offset = Some(offset);
                    entries.push(entry);
                }
                other => return (entries, other),
            }
        }
    }

    proptest::proptest! {
        /// Any bytes (a damaged or foreign file) read as records up to damage named by its
        /// offset, or to a clean end; never a panic, never an allocation past the record limit.
        #[test]
        fn any_bytes_are_records_or_named_damage(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            let (_, stop) = read_all(&bytes);
            match stop {
                Next::Bad { offset, .. } | Next::Undecodable { offset, .. } => {
                    proptest::prop_assert!(offset < bytes.len() as u64);
                }
                Next::End => {}
                Next::Entry { .. } => unreachable!(),
            }
        }

        /// One flipped bit anywhere in a log is found: reading stops at the damaged record,
        /// after exactly the records before it.
        #[test]
        fn a_flipped_bit_is_found_at_its_record(
            count in 1..6u64,
            position: proptest::sample::Index,
            bit in 0..8u8,
        ) {
            let originals: Vec<JournalEntry> = (1..=count).map(entry).collect();
            let mut bytes = encoded(&originals);
            let record_len = bytes.len() / originals.len();
            let at = position.index(bytes.len());
            bytes[at] ^= 1 << bit;
            let (entries, stop) = read_all(&bytes);
            let damaged = at / record_len;
            proptest::prop_assert_eq!(&entries[..], &originals[..damaged]);
            let stopped_at = match stop {
                Next::Bad { offset, .. } | Next::Undecodable { offset, .. } => offset,
                other => return Err(proptest::test_runner::TestCaseError::fail(format!("{other:?}"))),
            };
            proptest::prop_assert_eq!(stopped_at, (damaged * record_len) as u64);
        }
    }

    #[test]
    fn records_round_trip_with_offsets() {
        let buf = encoded(&[entry(1), entry(2)]);
        let mut reader = RecordReader::new(buf.as_slice(), 100);
        let Next::Entry { offset, entry: first } = reader.next_record().unwrap() else {
            panic!("expected an entry");
        };
        assert_eq!((offset, first), (100, entry(1)));
        let Next::Entry {
            offset,
            entry: second,
        } = reader.next_record().unwrap()
        else {
            panic!("expected an entry");
        };
        assert_eq!(offset, 100 + buf.len() as u64 / 2);
        assert_eq!(second, entry(2));
        assert!(matches!(reader.next_record().unwrap(), Next::End));
        assert_eq!(reader.offset(), 100 + buf.len() as u64);
    }

    #[test]
    fn truncated_record_is_incomplete() {
        let buf = encoded(&[entry(1)]);
        for cut in 1..buf.len() {
            let mut reader = RecordReader::new(&buf[..cut], 0);
            assert!(
                matches!(
                    reader.next_record().unwrap(),
                    Next::Bad {
                        offset: 0,
                        reason: BadRecord::Incomplete
                    }
                ),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn flipped_payload_byte_fails_checksum() {
        let mut buf = encoded(&[entry(1)]);
        let last = buf.len() - 1;
        buf[last] ^= 0x40;
        let mut reader = RecordReader::new(buf.as_slice(), 0);
        assert!(matches!(
            reader.next_record().unwrap(),
            Next::Bad {
                offset: 0,
                reason: BadRecord::BadChecksum
            }
        ));
    }

    #[test]
    fn hostile_lengths_are_rejected_before_allocating() {
        for len in [0u32, MAX_RECORD_LEN as u32 + 1, u32::MAX] {
            let mut buf = len.to_le_bytes().to_vec();
            buf.extend_from_slice(&[0; 4]);
            let mut reader = RecordReader::new(buf.as_slice(), 0);
            assert!(matches!(
                reader.next_record().unwrap(),
                Next::Bad { reason: BadRecord::BadLength(l), .. } if l == len
            ));
        }
    }

    #[test]
    fn valid_record_scan_finds_records_only_where_they_are() {
        let good = encoded(&[entry(3)]);
        let mut bytes = vec![0u8; 13];
        assert!(!contains_valid_record(&bytes));
        bytes.extend_from_slice(&good);
        assert!(contains_valid_record(&bytes));
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(!contains_valid_record(&bytes));
    }
}
