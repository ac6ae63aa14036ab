//! Reading the journal: the newest checkpoint, then the entries of the chain after it. A
//! writer's recovery, a standby's tailing and its promotion all read this way and differ only
//! in what the end of the newest piece may look like ([`EndRule`]). Nothing is modified here:
//! a deposed leader may still be appending to the pieces being read.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::chain::{self, Link};
use crate::checkpoint::{CheckpointReader, DecodedAhead};
use crate::record::{BadRecord, Next, RecordReader, contains_valid_record};
use crate::storage::{CheckpointId, Opened, Storage};
use crate::{JournalEntry, JournalError};

/// How often a read starts over when what it listed was deleted under it.
const ATTEMPTS: usize = 3;

/// What unreadable bytes at the end of the newest piece mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndRule {
    /// After claiming an epoch: a torn last record is where the log ends (its writer crashed
    /// or was deposed mid-append, so it was never acknowledged); damage followed by valid
    /// records is corruption.
    Recovery,
    /// While a leader may be appending: a record still being written; read it next time.
    Tailing,
}

/// Where reading stopped in the newest piece, so the next read resumes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    path: PathBuf,
    offset: u64,
    /// The sequence of the record at `offset`.
    next: u64,
}

/// The log from some sequence on.
#[derive(Debug)]
pub(crate) struct LogRead {
    /// The entries from the sequence asked for on.
    pub(crate) entries: Vec<JournalEntry>,
    /// The sequence after the log's last entry (the one asked for if the log holds nothing).
    pub(crate) end: u64,
    /// The newest epoch with pieces: the one a writer starting now continues.
    pub(crate) head: u64,
    /// Where to resume.
    pub(crate) cursor: Option<Cursor>,
}

/// How reading the log from a sequence went.
pub(crate) enum Outcome {
    /// Read up to the end.
    Read(LogRead),
    /// The log does not hold the sequence any more (a checkpoint replaced it) or has a hole;
    /// the error describes the hole.
    Gap(JournalError),
    /// A piece was deleted while being read (a checkpoint's clean-up): read again.
    Vanished(PathBuf),
    /// The log no longer holds entries read before (another piece holds their sequences):
    /// only storage that lost data it had shown does that; read it all again.
    Diverged(PathBuf),
}

/// The newest checkpoint and the log after it.
pub(crate) struct Loaded {
    /// The checkpoint (`None` without one).
    pub(crate) checkpoint: Option<CheckpointId>,
    /// The sequence it covers (0 without one).
    pub(crate) through: u64,
    /// Its entries, opened (`None` without a checkpoint, or when the caller holds the state
    /// through it already).
    pub(crate) snapshot: Option<CheckpointReader>,
    /// The log after it.
    pub(crate) log: LogRead,
}

/// The entries a master replays to rebuild its state, in order: a checkpoint's, decoded from
/// storage as they are taken (a snapshot of millions of inodes is never held whole), then the
/// log's after it. A damaged checkpoint shows as an error among them, after which they end.
pub struct Replay {
    checkpoint: Option<DecodedAhead>,
    log: std::vec::IntoIter<JournalEntry>,
}

impl Replay {
    /// The entries of `checkpoint` (if any; decoding starts at once), then `log`.
    pub(crate) fn new(
        checkpoint: Option<CheckpointReader>,
        log: Vec<JournalEntry>,
    ) -> Result<Self, JournalError> {
        Ok(Replay {
            checkpoint: checkpoint.map(DecodedAhead::start).transpose()?,
            log: log.into_iter(),
        })
    }

    /// How many entries are still to be taken.
    pub fn remaining(&self) -> u64 {
        let checkpoint = self.checkpoint.as_ref().map_or(0, DecodedAhead::remaining);
        checkpoint + self.log.len() as u64
    }
}

impl Iterator for Replay {
    type Item = Result<JournalEntry, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(checkpoint) = &mut self.checkpoint {
            match checkpoint.next() {
                Some(Ok(entry)) => return Some(Ok(entry)),
                Some(Err(err)) => {
                    // The log after a damaged checkpoint continues nothing.
                    self.log = Vec::new().into_iter();
                    self.checkpoint = None;
                    return Some(Err(err));
                }
                None => self.checkpoint = None,
            }
        }
        self.log.next().map(Ok)
    }
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("remaining", &self.remaining())
            .finish_non_exhaustive()
    }
}

/// Reads the newest checkpoint and the log after it, starting over (a few times) when a
/// concurrent clean-up deletes what was listed.
pub(crate) fn load(storage: &dyn Storage, rule: EndRule) -> Result<Loaded, JournalError> {
    let mut failure = None;
    for _ in 0..ATTEMPTS {
        let (checkpoint, read) = match newest_checkpoint(storage)? {
            Newest::None => (None, None),
            Newest::Found(id, read) => (Some(id), Some(read)),
            Newest::Vanished(path) => {
                failure = Some(deleted_while_read(path));
                continue;
            }
        };
        let through = read.as_ref().map_or(0, CheckpointReader::through_sequence);
        match read_log(storage, through + 1, None, rule)? {
            Outcome::Read(log) => {
                return Ok(Loaded {
                    checkpoint,
                    through,
                    snapshot: read,
                    log,
                });
            }
            // A hole is real unless a newer checkpoint has made it unnecessary since.
            Outcome::Gap(err) => {
                let newest = storage.checkpoints()?.into_iter().max_by_key(CheckpointId::order);
                if newest == checkpoint {
                    return Err(err);
                }
                failure = Some(err);
            }
            Outcome::Vanished(path) | Outcome::Diverged(path) => failure = Some(deleted_while_read(path)),
        }
    }
    Err(failure.unwrap_or_else(|| deleted_while_read(PathBuf::from(storage.location().to_string()))))
}

/// The log after the newest checkpoint, without reading the checkpoint, for a caller holding
/// the state through `holding`, which lies between that checkpoint and the log's last entry;
/// `None` when it does not, or when the journal changed while being read (read it whole then).
pub(crate) fn load_after_checkpoint(
    storage: &dyn Storage,
    holding: u64,
) -> Result<Option<Loaded>, JournalError> {
    let Some(id) = storage.checkpoints()?.into_iter().max_by_key(CheckpointId::order) else {
        return Ok(None);
    };
    // Only a checkpoint named by its sequence tells it without being read.
    let Some(through) = id.through.filter(|through| *through <= holding) else {
        return Ok(None);
    };
    let Outcome::Read(log) = read_log(storage, through + 1, None, EndRule::Recovery)? else {
        return Ok(None);
    };
    // The writer's last sequence once it starts after this log.
    let last = log.end.max(through + 1) - 1;
    if holding > last {
        return Ok(None);
    }
    Ok(Some(Loaded {
        checkpoint: Some(id),
        through,
        snapshot: None,
        log,
    }))
}

/// The newest checkpoint, opened.
enum Newest {
    /// There is none.
    None,
    /// Its name and content.
    Found(CheckpointId, CheckpointReader),
    /// It was deleted (a newer one replaced it) before it could be read.
    Vanished(PathBuf),
}

fn newest_checkpoint(storage: &dyn Storage) -> Result<Newest, JournalError> {
    let Some(id) = storage.checkpoints()?.into_iter().max_by_key(CheckpointId::order) else {
        return Ok(Newest::None);
    };
    let Some(read) = storage.open_checkpoint(&id)? else {
        return Ok(Newest::Vanished(id.path));
    };
    if let Some(named) = id.through
        && named != read.through_sequence()
    {
        return Err(JournalError::corrupt_in(&id.path)(
            0,
            format!(
                "it holds the state through sequence {}, but its name says {named}",
                read.through_sequence()
            ),
        ));
    }
    Ok(Newest::Found(id, read))
}

/// Reads the log from sequence `from` on, resuming at `cursor` if it still points there.
pub(crate) fn read_log(
    storage: &dyn Storage,
    from: u64,
    cursor: Option<&Cursor>,
    rule: EndRule,
) -> Result<Outcome, JournalError> {
    let chain = chain::build(storage.pieces()?, from)
        .map_err(|bad| JournalError::corrupt_in(&bad.path)(0, bad.reason))?;
    // Entries before `from` were read from the cursor's piece; a link holding some of them is
    // another history.
    if let (Some(cursor), Some(first)) = (cursor, chain.links.first())
        && first.piece.first < from
        && first.piece.path != cursor.path
    {
        return Ok(Outcome::Diverged(cursor.path.clone()));
    }
    let mut reading = Reading {
        storage,
        rule,
        expected: from,
        entries: Vec::new(),
    };
    let (mut end, mut resume) = (from, None);
    for (index, link) in chain.links.iter().enumerate() {
        let piece = &link.piece;
        if piece.first > reading.expected {
            return Ok(Outcome::Gap(JournalError::corrupt_in(&piece.path)(
                0,
                format!(
                    "entries {} to {} are missing: the log jumps to this piece",
                    reading.expected,
                    piece.first - 1
                ),
            )));
        }
        // Empty by its name, or an object wholly before what is needed.
        if link.end == Some(piece.first) || piece.last.is_some_and(|last| last < reading.expected) {
            continue;
        }
        let is_last = index + 1 == chain.links.len();
        let start = cursor.filter(|c| c.path == piece.path && c.next == reading.expected);
        match reading.link(link, is_last, start)? {
            Step::Stopped(stopped) => {
                end = stopped.next;
                resume = Some(stopped);
            }
            Step::Vanished => return Ok(Outcome::Vanished(piece.path.clone())),
        }
    }
    Ok(Outcome::Read(LogRead {
        entries: reading.entries,
        end,
        head: chain.head,
        cursor: resume,
    }))
}

/// An I/O error for pieces deleted under every attempt to read them.
pub(crate) fn deleted_while_read(path: PathBuf) -> JournalError {
    JournalError::Io {
        path,
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "deleted while being read, again and again: another master keeps cleaning up the \
             journal; try again",
        ),
    }
}

/// How reading one link ended.
enum Step {
    /// At the link's end, the log's end, or (tailing) a record not yet whole.
    Stopped(Cursor),
    /// The piece is gone.
    Vanished,
}

struct Reading<'a> {
    storage: &'a dyn Storage,
    rule: EndRule,
    /// The next sequence to collect.
    expected: u64,
    entries: Vec<JournalEntry>,
}

impl Reading<'_> {
    /// Collects the entries of `link` from `expected` on, up to where the next link starts.
    fn link(&mut self, link: &Link, is_last: bool, start: Option<&Cursor>) -> Result<Step, JournalError> {
        let piece = &link.piece;
        let path = &piece.path;
        let corrupt = JournalError::corrupt_in(path);
        let (offset, mut own) = start.map_or((0, piece.first), |c| (c.offset, c.next));
        let stopped = |offset, next| {
            Ok(Step::Stopped(Cursor {
                path: path.clone(),
                offset,
                next,
            }))
        };
        let (reader, offset) = match self.storage.open_piece(piece, offset)? {
            Opened::Records { reader, offset } => (reader, offset),
            Opened::NoHeader if is_last => return stopped(0, own),
            Opened::NoHeader => {
                return Err(corrupt(
                    0,
                    "the segment header is incomplete, but the log goes on after it".into(),
                ));
            }
            Opened::Gone => return Ok(Step::Vanished),
        };
        let mut records = RecordReader::new(reader, offset);
        loop {
            // What follows belongs to a later epoch's piece (or was never part of the log).
            if link.end.is_some_and(|end| own >= end) {
                return stopped(records.offset(), own);
            }
            match records.next_record().map_err(JournalError::io_on(path))? {
                Next::Entry { offset, entry } => {
                    if entry.sequence != own || piece.last.is_some_and(|last| own > last) {
                        return Err(corrupt(
                            offset,
                            format!("expected sequence {own}, found {}", entry.sequence),
                        ));
                    }
                    own += 1;
                    if entry.sequence == self.expected {
                        self.expected += 1;
                        self.entries.push(entry);
                    }
                }
                Next::End => {
                    if let Some(last) = piece.last
                        && own != last + 1
                    {
                        return Err(corrupt(
                            records.offset(),
                            format!(
                                "the object ends at sequence {} but is named up to {last}",
                                own - 1
                            ),
                        ));
                    }
                    // Short of the next link's start, the next link reports the hole.
                    return stopped(records.offset(), own);
                }
                Next::Undecodable { offset, reason } => {
                    return Err(corrupt(offset, format!("undecodable entry: {reason}")));
                }
                Next::Bad { offset, reason } => {
                    if !self.storage.torn_tails() {
                        // Published whole: no write can have been torn.
                        return Err(corrupt(offset, reason.to_string()));
                    }
                    if !is_last {
                        return Err(corrupt(
                            offset,
                            format!("{reason}, in a segment that is not the newest"),
                        ));
                    }
                    if self.rule == EndRule::Recovery {
                        self.torn_tail(path, piece, offset, reason)?;
                    }
                    return stopped(offset, own);
                }
            }
        }
    }

    /// Accepts damage at `offset` as the end of the log if nothing valid follows it.
    fn torn_tail(
        &self,
        path: &Path,
        piece: &chain::Piece,
        offset: u64,
        reason: BadRecord,
    ) -> Result<(), JournalError> {
        let mut rest = Vec::new();
        if let Opened::Records { mut reader, .. } = self.storage.open_piece(piece, offset + 1)? {
            reader.read_to_end(&mut rest).map_err(JournalError::io_on(path))?;
        }
        if contains_valid_record(&rest) {
            return Err(JournalError::corrupt_in(path)(
                offset,
                format!("{reason}, with valid records after it"),
            ));
        }
        tracing::warn!(
            path = %path.display(),
            offset,
            %reason,
            "the journal ends in a torn write or in the zeros its writer filled ahead (a crash or \
             a deposed master mid-append); ignoring it"
        );
        Ok(())
    }
}
