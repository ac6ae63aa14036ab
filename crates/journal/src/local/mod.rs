//! A journal in a local folder (or a shared directory every master mounts). Segments are
//! written batch after batch, each fdatasync'ed, over room zero-filled ahead (see [`sink`]);
//! checkpoints and epoch markers are whole files, made durable before the folder is synced.

mod layout;
mod sink;

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use alluxio_server::sync_dir;

use crate::chain::Piece;
use crate::checkpoint::{self, CheckpointReader};
use crate::record::read_full;
use crate::storage::{CheckpointId, Opened, Storage};
use crate::writer::Sink;
use crate::{JournalEntry, JournalError, JournalLocation};
use layout::{
    LOCK, LOG_HEADER_LEN, check_log_header, checkpoint_name, create_segment, epoch_name, is_journal_file,
    is_unfinished_checkpoint, list, parse_checkpoint_name, parse_epoch_name, parse_segment_name,
    segment_name, temp_name,
};
use sink::SegmentSink;

/// Bytes read from a segment or checkpoint at a time.
const IO_BUFFER: usize = 256 << 10;

/// The journal's files in a local folder.
pub(crate) struct LocalStorage {
    folder: PathBuf,
    /// A segment at least this large is closed and a new one started.
    segment_limit: u64,
}

impl LocalStorage {
    /// The journal in `folder` (which need not exist until something is written).
    pub(crate) fn new(folder: &Path, segment_limit: u64) -> Self {
        LocalStorage {
            folder: folder.to_path_buf(),
            segment_limit,
        }
    }

    fn create_folder(&self) -> Result<(), JournalError> {
        fs::create_dir_all(&self.folder).map_err(JournalError::io_on(&self.folder))
    }
}

/// Removes `path`; one already gone is fine.
fn remove(path: &Path) -> Result<(), JournalError> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(JournalError::io_on(path)(err)),
        _ => Ok(()),
    }
}

impl Storage for LocalStorage {
    fn location(&self) -> JournalLocation {
        JournalLocation::Local(self.folder.clone())
    }

    fn highest_epoch(&self) -> Result<u64, JournalError> {
        let epochs = list(&self.folder)?
            .into_iter()
            .filter_map(|(name, _)| parse_epoch_name(&name));
        Ok(epochs.max().unwrap_or(0))
    }

    fn create_epoch(&self, epoch: u64, owner: &str, _atomic: bool) -> Result<bool, JournalError> {
        self.create_folder()?;
        let path = self.folder.join(epoch_name(epoch));
        let io_err = JournalError::io_on(&path);
        // O_EXCL: of two masters creating it at once, exactly one succeeds (also over NFS v3+).
        let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(err) => return Err(io_err(err)),
        };
        file.write_all(owner.as_bytes()).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        sync_dir(&self.folder).map_err(JournalError::io_on(&self.folder))?;
        Ok(true)
    }

    fn has_epoch(&self, epoch: u64) -> Result<bool, JournalError> {
        let path = self.folder.join(epoch_name(epoch));
        path.try_exists().map_err(JournalError::io_on(&path))
    }

    fn pieces(&self) -> Result<Vec<Piece>, JournalError> {
        let mut pieces = Vec::new();
        for (name, path) in list(&self.folder)? {
            if let Some((first, epoch, after)) = parse_segment_name(&name) {
                pieces.push(Piece {
                    first,
                    last: None,
                    epoch,
                    after,
                    path,
                });
            }
        }
        Ok(pieces)
    }

    fn open_piece(&self, piece: &Piece, offset: u64) -> Result<Opened, JournalError> {
        let io_err = JournalError::io_on(&piece.path);
        let mut file = match File::open(&piece.path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Opened::Gone),
            Err(err) => return Err(io_err(err)),
        };
        let offset = if offset == 0 {
            let mut header = [0u8; LOG_HEADER_LEN as usize];
            if read_full(&mut file, &mut header).map_err(io_err)? < header.len() {
                // Being created, or a crash while it was: it holds nothing.
                return Ok(Opened::NoHeader);
            }
            check_log_header(&header).map_err(|reason| JournalError::corrupt_in(&piece.path)(0, reason))?;
            LOG_HEADER_LEN
        } else {
            file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
            offset
        };
        Ok(Opened::Records {
            reader: Box::new(BufReader::with_capacity(IO_BUFFER, file)),
            offset,
        })
    }

    fn torn_tails(&self) -> bool {
        true
    }

    fn start_epoch(&self, first: u64, epoch: u64, after: u64) -> Result<Box<dyn Sink>, JournalError> {
        self.create_folder()?;
        let file = create_segment(&self.folder, &segment_name(first, epoch, after))?;
        Ok(Box::new(SegmentSink::new(
            self.folder.clone(),
            file,
            first,
            epoch,
            after,
            self.segment_limit,
        )))
    }

    fn delete_piece(&self, piece: &Piece) -> Result<(), JournalError> {
        remove(&piece.path)?;
        tracing::debug!(path = %piece.path.display(), "deleted a journal segment no longer needed");
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<CheckpointId>, JournalError> {
        Ok(list(&self.folder)?
            .into_iter()
            .filter_map(|(name, path)| {
                parse_checkpoint_name(&name).map(|(through, epoch)| CheckpointId { through, epoch, path })
            })
            .collect())
    }

    fn open_checkpoint(&self, id: &CheckpointId) -> Result<Option<CheckpointReader>, JournalError> {
        let file = match File::open(&id.path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(JournalError::io_on(&id.path)(err)),
        };
        // An open file is read to its end even if a clean-up deletes its name meanwhile.
        let input = Box::new(BufReader::with_capacity(IO_BUFFER, file));
        CheckpointReader::open(input, &id.path).map(Some)
    }

    fn write_checkpoint(
        &self,
        through: u64,
        epoch: u64,
        entries: &mut dyn Iterator<Item = JournalEntry>,
    ) -> Result<CheckpointId, JournalError> {
        let name = checkpoint_name(through, epoch);
        let mut tmp = TempFile {
            path: self.folder.join(temp_name(&name)),
            armed: true,
        };
        let io_err = JournalError::io_on(&tmp.path);
        let file = File::create(&tmp.path).map_err(io_err)?;
        let mut out = BufWriter::with_capacity(IO_BUFFER, file);
        checkpoint::write_to(&mut out, through, entries, &tmp.path)?;
        let file = out.into_inner().map_err(|err| io_err(err.into_error()))?;
        file.sync_all().map_err(io_err)?;
        drop(file);
        // The name is this epoch's own: the rename can replace only a checkpoint of this epoch
        // through the same sequence, never another master's.
        let path = self.folder.join(&name);
        fs::rename(&tmp.path, &path).map_err(io_err)?;
        tmp.armed = false;
        sync_dir(&self.folder).map_err(JournalError::io_on(&self.folder))?;
        Ok(CheckpointId {
            through: Some(through),
            epoch,
            path,
        })
    }

    fn delete_checkpoint(&self, id: &CheckpointId) -> Result<(), JournalError> {
        remove(&id.path)?;
        tracing::debug!(path = %id.path.display(), "deleted a journal checkpoint no longer needed");
        Ok(())
    }

    fn remove_leftovers(&self) -> Result<(), JournalError> {
        for (name, path) in list(&self.folder)? {
            if is_unfinished_checkpoint(&name) {
                remove(&path)?;
                tracing::warn!(path = %path.display(), "deleted an unfinished journal checkpoint");
            }
        }
        Ok(())
    }

    fn record_writer(&self) -> Result<(), JournalError> {
        // The epoch marker names the writer, and a master running alone holds the flock.
        Ok(())
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
            // Best effort: leftovers are also removed by the next writer's clean-up.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Takes the exclusive lock on `folder`, so two masters running alone never write one journal.
pub(crate) fn lock_folder(folder: &Path) -> Result<File, JournalError> {
    let path = folder.join(LOCK);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(JournalError::io_on(&path))?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(file),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(JournalError::Locked {
            folder: folder.to_path_buf(),
        }),
        Err(errno) => Err(JournalError::Io {
            path,
            source: errno.into(),
        }),
    }
}

/// Deletes every journal file in `folder` (for `alluxio format`). Other files stay; a missing
/// folder is already formatted; a folder in use by a master running alone is refused.
pub(crate) fn format(folder: &Path) -> Result<(), JournalError> {
    if !folder.exists() {
        return Ok(());
    }
    let _lock = lock_folder(folder)?;
    for (name, path) in list(folder)? {
        if is_journal_file(&name) {
            remove(&path)?;
        }
    }
    remove(&folder.join(LOCK))?;
    sync_dir(folder).map_err(JournalError::io_on(folder))?;
    tracing::info!(folder = %folder.display(), "journal formatted");
    Ok(())
}
