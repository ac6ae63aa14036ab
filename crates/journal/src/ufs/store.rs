//! The [`Storage`] operations of a UFS journal.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::UfsStorage;
use super::objects::{
    create_exclusive, delete, list_files, parse_checkpoint_name, parse_log_name, publish, read_object,
};
use super::sink::ObjectSink;
use crate::chain::Piece;
use crate::checkpoint::{self, CheckpointReader};
use crate::storage::{CheckpointId, Opened, Storage};
use crate::writer::Sink;
use crate::{JournalEntry, JournalError, JournalLocation};

/// The URI a piece or checkpoint path stands for (built from a URI, so never lossy).
fn uri_of(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Whether `err` says the object does not exist.
fn is_not_found(err: &JournalError) -> bool {
    matches!(
        err,
        JournalError::Ufs {
            source: alluxio_ufs::UfsError::NotFound { .. },
            ..
        }
    )
}

impl UfsStorage {
    /// The names in `dir` that `parse` accepts, warning about the others.
    fn parse_listing<T>(
        &self,
        dir: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<(T, String)>, JournalError> {
        let names = self.run(list_files(self.ufs.as_ref(), dir))?;
        let mut parsed = Vec::new();
        for name in names {
            match parse(&name) {
                Some(value) => parsed.push((value, name)),
                None => {
                    tracing::warn!(journal = %self.uri(), %dir, %name, "ignoring a foreign object in the journal")
                }
            }
        }
        Ok(parsed)
    }
}

impl Storage for UfsStorage {
    fn location(&self) -> JournalLocation {
        JournalLocation::Ufs(self.uri().to_string())
    }

    fn highest_epoch(&self) -> Result<u64, JournalError> {
        let epochs = self.parse_listing(&self.layout.epochs_dir(), |name| name.parse::<u64>().ok())?;
        Ok(epochs.into_iter().map(|(epoch, _)| epoch).max().unwrap_or(0))
    }

    fn create_epoch(&self, epoch: u64, owner: &str, atomic: bool) -> Result<bool, JournalError> {
        let uri = self.layout.epoch(epoch);
        match self.run(create_exclusive(self.ufs.as_ref(), &uri, owner.as_bytes())) {
            Err(JournalError::NoAtomicCreate { .. }) if !atomic => {}
            Err(JournalError::NoAtomicCreate { .. }) => {
                return Err(JournalError::NoAtomicCreate {
                    uri: self.uri().to_string(),
                });
            }
            created => return created,
        }
        // A master running alone has no rival to race: look, then create.
        self.run(async {
            let exists = self
                .ufs
                .status(&uri)
                .await
                .map_err(|source| JournalError::ufs(&uri, source))?;
            if exists.is_some() {
                return Ok(false);
            }
            publish(self.ufs.as_ref(), &uri, Bytes::from(owner.to_string())).await?;
            Ok(true)
        })
    }

    fn has_epoch(&self, epoch: u64) -> Result<bool, JournalError> {
        let uri = self.layout.epoch(epoch);
        let status = self.run(async {
            self.ufs
                .status(&uri)
                .await
                .map_err(|source| JournalError::ufs(&uri, source))
        })?;
        Ok(status.is_some())
    }

    fn pieces(&self) -> Result<Vec<Piece>, JournalError> {
        let dir = self.layout.logs_dir();
        let logs = self.parse_listing(&dir, parse_log_name)?;
        Ok(logs
            .into_iter()
            .map(|((first, last, epoch, after), _)| Piece {
                first,
                last: Some(last),
                epoch,
                after,
                path: PathBuf::from(self.layout.log(first, last, epoch, after)),
            })
            .collect())
    }

    fn open_piece(&self, piece: &Piece, offset: u64) -> Result<Opened, JournalError> {
        let bytes = match self.run(read_object(self.ufs.as_ref(), &uri_of(&piece.path))) {
            Ok(bytes) => bytes,
            Err(err) if is_not_found(&err) => return Ok(Opened::Gone),
            Err(err) => return Err(err),
        };
        let mut reader = Cursor::new(bytes);
        reader.set_position(offset);
        Ok(Opened::Records {
            reader: Box::new(reader),
            offset,
        })
    }

    fn torn_tails(&self) -> bool {
        false
    }

    fn start_epoch(&self, first: u64, epoch: u64, after: u64) -> Result<Box<dyn Sink>, JournalError> {
        // An empty object fixes where the epoch starts and what it continues before any append.
        let start = self.layout.log(first, first - 1, epoch, after);
        self.run(publish(self.ufs.as_ref(), &start, Bytes::new()))?;
        Ok(Box::new(ObjectSink {
            handle: self.handle()?,
            ufs: self.ufs.clone(),
            layout: self.layout.clone(),
            epoch,
            after,
        }))
    }

    fn delete_piece(&self, piece: &Piece) -> Result<(), JournalError> {
        self.run(delete(self.ufs.as_ref(), &uri_of(&piece.path)))
    }

    fn checkpoints(&self) -> Result<Vec<CheckpointId>, JournalError> {
        let dir = self.layout.checkpoints_dir();
        let checkpoints = self.parse_listing(&dir, parse_checkpoint_name)?;
        Ok(checkpoints
            .into_iter()
            .map(|((through, epoch), _)| CheckpointId {
                through: Some(through),
                epoch,
                path: PathBuf::from(self.layout.checkpoint(through, epoch)),
            })
            .collect())
    }

    fn open_checkpoint(&self, id: &CheckpointId) -> Result<Option<CheckpointReader>, JournalError> {
        let bytes = match self.run(read_object(self.ufs.as_ref(), &uri_of(&id.path))) {
            Ok(bytes) => bytes,
            Err(err) if is_not_found(&err) => return Ok(None),
            Err(err) => return Err(err),
        };
        // The object is fetched whole (far smaller encoded than decoded), then decoded as read.
        CheckpointReader::open(Box::new(Cursor::new(bytes)), &id.path).map(Some)
    }

    fn write_checkpoint(
        &self,
        through: u64,
        epoch: u64,
        entries: &mut dyn Iterator<Item = JournalEntry>,
    ) -> Result<CheckpointId, JournalError> {
        let uri = self.layout.checkpoint(through, epoch);
        let path = PathBuf::from(&uri);
        // An object is published whole: the encoded checkpoint is held until then.
        let mut bytes = Cursor::new(Vec::new());
        checkpoint::write_to(&mut bytes, through, entries, &path)?;
        // The name is this epoch's own: publishing it never replaces another master's.
        self.run(publish(self.ufs.as_ref(), &uri, Bytes::from(bytes.into_inner())))?;
        Ok(CheckpointId {
            through: Some(through),
            epoch,
            path,
        })
    }

    fn delete_checkpoint(&self, id: &CheckpointId) -> Result<(), JournalError> {
        self.run(delete(self.ufs.as_ref(), &uri_of(&id.path)))
    }

    fn remove_leftovers(&self) -> Result<(), JournalError> {
        // Objects appear whole or not at all; the UFS layer removes its own temporaries.
        Ok(())
    }

    fn record_writer(&self) -> Result<(), JournalError> {
        self.take_over()
    }
}
