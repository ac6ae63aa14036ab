//! Recovery of a UFS journal: the newest readable checkpoint, then every log object after it in
//! sequence order. Objects are published whole, so there is no torn tail: a gap or a damaged
//! record is corruption, and the journal refuses to open rather than lose acknowledged entries.

use std::path::PathBuf;

use alluxio_ufs::UnderFileSystem;

use super::objects::{Layout, delete, list_files, parse_log_name, read_object};
use crate::record::{Next, RecordReader};
use crate::{JournalEntry, JournalError, checkpoint};

/// The journal's state as found in the UFS.
pub(crate) struct Recovered {
    /// Checkpoint entries, then every later log entry, in order.
    pub(crate) entries: Vec<JournalEntry>,
    /// The sequence the checkpoint covers (0 without one).
    pub(crate) through_sequence: u64,
    /// Sequence of the last entry.
    pub(crate) last_sequence: u64,
}

/// Reads the journal and removes what a crash after a checkpoint left behind.
pub(crate) async fn recover(ufs: &dyn UnderFileSystem, layout: &Layout) -> Result<Recovered, JournalError> {
    let checkpoint = newest_checkpoint(ufs, layout).await?;
    let through_sequence = checkpoint.through_sequence;
    let mut expected = through_sequence + 1;
    let mut entries = checkpoint.entries;
    for (first, last) in logs(ufs, layout).await? {
        if last <= through_sequence {
            continue;
        }
        let uri = layout.log(first, last);
        let corrupt = JournalError::corrupt_in(std::path::Path::new(&uri));
        if first > expected {
            return Err(corrupt(
                0,
                format!(
                    "entries {expected} to {} are missing: the log jumps to this object",
                    first - 1
                ),
            ));
        }
        let bytes = read_object(ufs, &uri).await?;
        let mut reader = RecordReader::new(bytes.as_slice(), 0);
        let mut own = first;
        loop {
            let next = reader.next_record().map_err(|source| JournalError::Io {
                path: PathBuf::from(&uri),
                source,
            })?;
            match next {
                Next::Entry { offset, entry } => {
                    if entry.sequence != own || own > last {
                        return Err(corrupt(
                            offset,
                            format!(
                                "expected sequence {own} of {first} to {last}, found {}",
                                entry.sequence
                            ),
                        ));
                    }
                    own += 1;
                    if entry.sequence > through_sequence {
                        if entry.sequence != expected {
                            return Err(corrupt(
                                offset,
                                format!(
                                    "expected sequence {expected} after the previous object, found {}",
                                    entry.sequence
                                ),
                            ));
                        }
                        expected += 1;
                        entries.push(entry);
                    }
                }
                Next::End if own == last + 1 => break,
                Next::End => {
                    return Err(corrupt(
                        reader.offset(),
                        format!(
                            "the object ends at sequence {} but is named up to {last}",
                            own - 1
                        ),
                    ));
                }
                Next::Bad { offset, reason } => return Err(corrupt(offset, reason.to_string())),
                Next::Undecodable { offset, reason } => {
                    return Err(corrupt(offset, format!("undecodable entry: {reason}")));
                }
            }
        }
    }
    delete_covered(ufs, layout, through_sequence).await?;
    Ok(Recovered {
        entries,
        through_sequence,
        last_sequence: expected - 1,
    })
}

/// Deletes the log objects every entry of which is at or below `through_sequence`, and the
/// checkpoints older than it.
pub(crate) async fn delete_covered(
    ufs: &dyn UnderFileSystem,
    layout: &Layout,
    through_sequence: u64,
) -> Result<(), JournalError> {
    for (first, last) in logs(ufs, layout).await? {
        if last <= through_sequence {
            delete(ufs, &layout.log(first, last)).await?;
        }
    }
    for sequence in checkpoints(ufs, layout).await? {
        if sequence < through_sequence {
            delete(ufs, &layout.checkpoint(sequence)).await?;
        }
    }
    Ok(())
}

/// The newest checkpoint that reads back whole (empty without one). A damaged newer one is
/// skipped with a warning: if the log it covered is gone, the gap check refuses the open.
async fn newest_checkpoint(
    ufs: &dyn UnderFileSystem,
    layout: &Layout,
) -> Result<checkpoint::Checkpoint, JournalError> {
    for sequence in checkpoints(ufs, layout).await?.into_iter().rev() {
        let uri = layout.checkpoint(sequence);
        let bytes = read_object(ufs, &uri).await?;
        let read = checkpoint::read_from(bytes.as_slice(), std::path::Path::new(&uri)).and_then(|read| {
            if read.through_sequence == sequence {
                Ok(read)
            } else {
                Err(JournalError::corrupt_in(std::path::Path::new(&uri))(
                    0,
                    format!("it holds the state through sequence {}", read.through_sequence),
                ))
            }
        });
        match read {
            Ok(read) => return Ok(read),
            Err(err @ JournalError::Corrupt { .. }) => {
                tracing::warn!(error = %err, "skipping an unreadable journal checkpoint");
            }
            Err(err) => return Err(err),
        }
    }
    Ok(checkpoint::Checkpoint::default())
}

/// The log objects' sequence ranges, in sequence order.
async fn logs(ufs: &dyn UnderFileSystem, layout: &Layout) -> Result<Vec<(u64, u64)>, JournalError> {
    let mut logs = Vec::new();
    for name in list_files(ufs, &layout.logs_dir()).await? {
        match parse_log_name(&name) {
            Some(range) => logs.push(range),
            None => {
                tracing::warn!(journal = %layout.root(), %name, "ignoring a foreign object among the journal logs")
            }
        }
    }
    logs.sort_unstable();
    Ok(logs)
}

/// The checkpoints' sequences, oldest first.
async fn checkpoints(ufs: &dyn UnderFileSystem, layout: &Layout) -> Result<Vec<u64>, JournalError> {
    let mut sequences = Vec::new();
    for name in list_files(ufs, &layout.checkpoints_dir()).await? {
        match name.parse() {
            Ok(sequence) => sequences.push(sequence),
            Err(_) => {
                tracing::warn!(journal = %layout.root(), %name, "ignoring a foreign object among the journal checkpoints")
            }
        }
    }
    sequences.sort_unstable();
    Ok(sequences)
}
