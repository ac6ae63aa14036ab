//! Startup: load the checkpoint, replay the log after it, cut a torn tail, and leave the newest
//! segment ready for appending. Any other damage stops the open: losing acknowledged entries
//! silently is worse than a master that refuses to start.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::layout::{
    LOG_HEADER_LEN, Segment, check_log_header, create_segment, delete_covered_segments, list_segments,
    write_log_header,
};
use crate::record::{BadRecord, Next, RecordReader, contains_valid_record, read_full};
use crate::{JournalEntry, JournalError, checkpoint};

/// The journal's state as found on disk.
pub(crate) struct Recovered {
    /// Checkpoint entries, then every later log entry, in order.
    pub(crate) entries: Vec<JournalEntry>,
    /// The sequence the checkpoint covers (0 without one).
    pub(crate) through_sequence: u64,
    /// Sequence of the last entry (the checkpoint's if the log holds nothing later).
    pub(crate) last_sequence: u64,
    /// The segment new entries go to.
    pub(crate) active: ActiveSegment,
}

/// The segment being appended to.
pub(crate) struct ActiveSegment {
    /// Open for appending.
    pub(crate) file: File,
    /// Sequence of its first entry.
    pub(crate) first: u64,
    /// Its length in bytes.
    pub(crate) len: u64,
}

/// Reads the journal in `folder` (which must exist and be locked by the caller).
pub(crate) fn recover(folder: &Path) -> Result<Recovered, JournalError> {
    checkpoint::remove_leftover(folder)?;
    let checkpoint = checkpoint::read(folder)?.unwrap_or_default();
    let through_sequence = checkpoint.through_sequence;
    let mut replay = Replay {
        through_sequence,
        expected: through_sequence + 1,
        entries: checkpoint.entries,
    };
    let segments = list_segments(folder)?;
    let mut tail = None;
    for (index, segment) in segments.iter().enumerate() {
        let is_last = index + 1 == segments.len();
        let end = replay.segment(segment, is_last)?;
        if is_last {
            tail = Some(end);
        }
    }
    let last_sequence = replay.expected - 1;
    let active = match (segments.last(), tail) {
        // The newest segment continues exactly where the log ends: keep appending to it.
        (Some(segment), Some(end)) if end.next_sequence == replay.expected => {
            let file = OpenOptions::new()
                .append(true)
                .open(&segment.path)
                .map_err(|source| JournalError::Io {
                    path: segment.path.clone(),
                    source,
                })?;
            ActiveSegment {
                file,
                first: segment.first,
                len: end.len,
            }
        }
        // No log, or one that ends inside the checkpoint: later entries start a fresh segment.
        _ => ActiveSegment {
            file: create_segment(folder, replay.expected)?,
            first: replay.expected,
            len: LOG_HEADER_LEN,
        },
    };
    // A crash between writing a checkpoint and deleting what it covers leaves those behind.
    delete_covered_segments(folder, through_sequence)?;
    Ok(Recovered {
        entries: replay.entries,
        through_sequence,
        last_sequence,
        active,
    })
}

/// Where a replayed segment ended.
struct SegmentEnd {
    /// The sequence its next entry would have.
    next_sequence: u64,
    /// Its valid length in bytes (after any cut).
    len: u64,
}

struct Replay {
    through_sequence: u64,
    /// The next sequence the log must supply.
    expected: u64,
    entries: Vec<JournalEntry>,
}

impl Replay {
    fn segment(&mut self, segment: &Segment, is_last: bool) -> Result<SegmentEnd, JournalError> {
        let path = &segment.path;
        let io_err = JournalError::io_on(path);
        let corrupt = JournalError::corrupt_in(path);
        if segment.first > self.expected {
            return Err(corrupt(
                0,
                format!(
                    "entries {} to {} are missing: the log jumps to this segment",
                    self.expected,
                    segment.first - 1
                ),
            ));
        }
        let mut input = BufReader::with_capacity(1 << 20, File::open(path).map_err(io_err)?);
        let mut header = [0u8; LOG_HEADER_LEN as usize];
        if read_full(&mut input, &mut header).map_err(io_err)? < header.len() {
            if !is_last {
                return Err(corrupt(0, "the segment header is incomplete".into()));
            }
            // A crash while creating the segment: it holds nothing yet.
            cut(path, 0, "incomplete segment header")?;
            let mut file = OpenOptions::new().append(true).open(path).map_err(io_err)?;
            write_log_header(&mut file)
                .and_then(|()| file.sync_data())
                .map_err(io_err)?;
            return Ok(SegmentEnd {
                next_sequence: segment.first,
                len: LOG_HEADER_LEN,
            });
        }
        check_log_header(&header).map_err(|reason| corrupt(0, reason))?;
        let mut reader = RecordReader::new(input, LOG_HEADER_LEN);
        let mut own = segment.first;
        loop {
            match reader.next_record().map_err(io_err)? {
                Next::Entry { offset, entry } => {
                    if entry.sequence != own {
                        return Err(corrupt(
                            offset,
                            format!("expected sequence {own}, found {}", entry.sequence),
                        ));
                    }
                    own += 1;
                    if entry.sequence > self.through_sequence {
                        if entry.sequence != self.expected {
                            return Err(corrupt(
                                offset,
                                format!(
                                    "expected sequence {} after the previous segment, found {}",
                                    self.expected, entry.sequence
                                ),
                            ));
                        }
                        self.expected += 1;
                        self.entries.push(entry);
                    }
                }
                Next::End => {
                    return Ok(SegmentEnd {
                        next_sequence: own,
                        len: reader.offset(),
                    });
                }
                Next::Undecodable { offset, reason } => {
                    return Err(corrupt(offset, format!("undecodable entry: {reason}")));
                }
                Next::Bad { offset, reason } => {
                    if is_last && !valid_record_after(path, offset)? {
                        cut(path, offset, &reason.to_string())?;
                        return Ok(SegmentEnd {
                            next_sequence: own,
                            len: offset,
                        });
                    }
                    return Err(corrupt(offset, damage_reason(reason, is_last)));
                }
            }
        }
    }
}

fn damage_reason(reason: BadRecord, is_last: bool) -> String {
    if is_last {
        format!("{reason}, with valid records after it")
    } else {
        format!("{reason}, in a segment that is not the newest")
    }
}

/// Whether a valid record starts anywhere after the damaged one at `offset`.
fn valid_record_after(path: &PathBuf, offset: u64) -> Result<bool, JournalError> {
    let io_err = JournalError::io_on(path);
    let mut file = File::open(path).map_err(io_err)?;
    file.seek(SeekFrom::Start(offset + 1)).map_err(io_err)?;
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).map_err(io_err)?;
    Ok(contains_valid_record(&rest))
}

/// Truncates a torn tail away, durably.
fn cut(path: &PathBuf, offset: u64, reason: &str) -> Result<(), JournalError> {
    tracing::warn!(
        path = %path.display(),
        offset,
        reason,
        "cutting a torn write at the end of the journal"
    );
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|file| {
            file.set_len(offset)?;
            file.sync_all()
        })
        .map_err(|source| JournalError::Io {
            path: path.clone(),
            source,
        })
}
