//! The local writer's sink: batches written to the epoch's newest segment and fdatasync'ed; a
//! new segment of the same epoch when the current one is full or a checkpoint asks for a cut.
//!
//! A segment is zero-filled ahead of its last record, [`ZEROED_AHEAD`] at a time, in the same
//! flush as the batch that needs the room. A batch then lands on blocks that already belong to
//! the file and do not change its size, so its fdatasync is one data write: an append that grew
//! the file also had to write the inode, a second I/O in every flush. A zero record length is
//! what readers already stop at: a standby waits there for more, and recovery takes it as the
//! end of the log like any torn tail, since nothing valid follows. The zeros are cut off when a
//! segment is done, at a rotation and when the writer stops; a crash leaves them, and so does a
//! failed write (nothing after the records it may have left is ever cut).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::layout::{LOG_HEADER_LEN, create_segment, segment_name};
use crate::writer::{Failure, Sink};

/// How far past the last record a segment is zero-filled when a batch needs more room.
const ZEROED_AHEAD: u64 = 1 << 20;

/// The zeros written, up to this many per call.
static ZEROS: [u8; 64 << 10] = [0; 64 << 10];

/// Writes batches to the segments of one epoch in a local folder.
pub(crate) struct SegmentSink {
    folder: PathBuf,
    epoch: u64,
    after: u64,
    file: File,
    segment_path: PathBuf,
    segment_first: u64,
    /// Where the next batch goes: the header and the records written so far.
    segment_len: u64,
    /// The file's length: zeros from `segment_len` up to it.
    zeroed_to: u64,
    /// A batch's write failed part way: what lies after `segment_len` may hold whole records
    /// a reader has already taken (a master taking over), so it is never cut off.
    torn: bool,
    /// The sequence of the first entry not yet in the file.
    written_next: u64,
    segment_limit: u64,
}

impl SegmentSink {
    /// Writes to `file`, the new empty segment of `epoch` (continuing `after`) from `first` on.
    pub(crate) fn new(
        folder: PathBuf,
        file: File,
        first: u64,
        epoch: u64,
        after: u64,
        segment_limit: u64,
    ) -> Self {
        SegmentSink {
            segment_path: folder.join(segment_name(first, epoch, after)),
            folder,
            epoch,
            after,
            file,
            segment_first: first,
            segment_len: LOG_HEADER_LEN,
            zeroed_to: LOG_HEADER_LEN,
            torn: false,
            written_next: first,
            segment_limit,
        }
    }

    /// Writes `batch` after the records, zero-filling more room when it needs it, and makes
    /// both durable.
    fn write_durably(&mut self, batch: &[u8]) -> std::io::Result<()> {
        if let Err(err) = self.file.write_all_at(batch, self.segment_len) {
            self.torn = true;
            return Err(err);
        }
        // Counted once written, durable or not: a cut at the end never takes them away.
        self.segment_len += batch.len() as u64;
        self.keep_room_ahead()?;
        self.file.sync_data()
    }

    /// Once the records reach past the zero-filled room, zero-fills [`ZEROED_AHEAD`] after them.
    fn keep_room_ahead(&mut self) -> std::io::Result<()> {
        if self.segment_len <= self.zeroed_to {
            return Ok(());
        }
        let target = self.segment_len + ZEROED_AHEAD;
        let mut at = self.segment_len;
        while at < target {
            let piece = (target - at).min(ZEROS.len() as u64) as usize;
            self.file.write_all_at(&ZEROS[..piece], at)?;
            at += piece as u64;
        }
        self.zeroed_to = target;
        Ok(())
    }

    /// Cuts the zeros off the segment, leaving its header and records.
    fn trim(&mut self) -> std::io::Result<()> {
        if !self.torn && self.zeroed_to > self.segment_len {
            self.file.set_len(self.segment_len)?;
            self.file.sync_data()?;
            self.zeroed_to = self.segment_len;
        }
        Ok(())
    }
}

impl Sink for SegmentSink {
    fn write(&mut self, batch: &[u8], _first: u64, next: u64) -> Result<(), Failure> {
        self.write_durably(batch)
            .map_err(|err| Failure::io(self.segment_path.clone(), &err))?;
        self.written_next = next;
        Ok(())
    }

    fn rotate_if_due(&mut self, requested: bool) -> Result<(), Failure> {
        // An empty segment is never rotated away: its successor would need the same name.
        let has_entries = self.written_next > self.segment_first;
        if !has_entries || !(requested || self.segment_len >= self.segment_limit) {
            return Ok(());
        }
        self.trim()
            .map_err(|err| Failure::io(self.segment_path.clone(), &err))?;
        let first = self.written_next;
        let name = segment_name(first, self.epoch, self.after);
        self.file = create_segment(&self.folder, &name).map_err(Failure::from)?;
        self.segment_path = self.folder.join(name);
        self.segment_first = first;
        self.segment_len = LOG_HEADER_LEN;
        self.zeroed_to = LOG_HEADER_LEN;
        tracing::debug!(path = %self.segment_path.display(), "started a new journal segment");
        Ok(())
    }
}

impl Drop for SegmentSink {
    /// The writer stopped: the segment keeps its records and loses its zeros. Should this fail,
    /// the zeros stay, which readers accept as after a crash.
    fn drop(&mut self) {
        if let Err(err) = self.trim() {
            tracing::warn!(path = %self.segment_path.display(), error = %err, "cannot cut the zero-filled end off a journal segment");
        }
    }
}
