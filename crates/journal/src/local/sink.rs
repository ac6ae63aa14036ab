//! The local writer's sink: batches appended to the epoch's newest segment and fdatasync'ed; a
//! new segment of the same epoch when the current one is full or a checkpoint asks for a cut.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use super::layout::{LOG_HEADER_LEN, create_segment, segment_name};
use crate::writer::{Failure, Sink};

/// Appends batches to the segments of one epoch in a local folder.
pub(crate) struct SegmentSink {
    folder: PathBuf,
    epoch: u64,
    after: u64,
    file: File,
    segment_path: PathBuf,
    segment_first: u64,
    segment_len: u64,
    /// The sequence of the first entry not yet in the file.
    written_next: u64,
    segment_limit: u64,
}

impl SegmentSink {
    /// Appends to `file`, the new empty segment of `epoch` (continuing `after`) from `first` on.
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
            written_next: first,
            segment_limit,
        }
    }
}

impl Sink for SegmentSink {
    fn write(&mut self, batch: &[u8], _first: u64, next: u64) -> Result<(), Failure> {
        let failure = |err: std::io::Error| Failure::io(self.segment_path.clone(), &err);
        self.file.write_all(batch).map_err(failure)?;
        self.file.sync_data().map_err(failure)?;
        self.segment_len += batch.len() as u64;
        self.written_next = next;
        Ok(())
    }

    fn rotate_if_due(&mut self, requested: bool) -> Result<(), Failure> {
        // An empty segment is never rotated away: its successor would need the same name.
        let has_entries = self.written_next > self.segment_first;
        if !has_entries || !(requested || self.segment_len >= self.segment_limit) {
            return Ok(());
        }
        let first = self.written_next;
        let name = segment_name(first, self.epoch, self.after);
        self.file = create_segment(&self.folder, &name).map_err(Failure::from)?;
        self.segment_path = self.folder.join(name);
        self.segment_first = first;
        self.segment_len = LOG_HEADER_LEN;
        tracing::debug!(path = %self.segment_path.display(), "started a new journal segment");
        Ok(())
    }
}
