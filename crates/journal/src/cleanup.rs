//! Deleting what a checkpoint made unnecessary. Only the writer of the newest epoch deletes, and
//! only what a durable checkpoint covers: it lists first, then checks its fence, then deletes.
//! If the check passes, the checkpoint (written before it) and this writer's first piece
//! (created when it started) existed before any later epoch was claimed, so every later reader
//! starts from that checkpoint or a newer one and follows a chain through this writer's pieces:
//! nothing it deletes (pieces on no such chain or wholly covered, older checkpoints) is ever
//! read again, even if the deletions themselves run late because this writer was paused.

use crate::storage::{CheckpointId, Storage};
use crate::{JournalError, chain, epoch};

/// Deletes the pieces and checkpoints that checkpoint `kept`, through `through`, makes
/// unnecessary, and unfinished checkpoint writes; fails with [`JournalError::Superseded`]
/// (deleting nothing) once `epoch` is no longer the newest.
pub(crate) fn clean_up(
    storage: &dyn Storage,
    epoch: u64,
    through: u64,
    kept: Option<&CheckpointId>,
) -> Result<(), JournalError> {
    let pieces = storage.pieces()?;
    let checkpoints = storage.checkpoints()?;
    epoch::check(storage, epoch)?;
    let chain = chain::build(pieces, through + 1)
        .map_err(|bad| JournalError::corrupt_in(&bad.path)(0, bad.reason))?;
    for piece in chain
        .unused
        .iter()
        .chain(chain.covered.iter().map(|link| &link.piece))
    {
        storage.delete_piece(piece)?;
    }
    if let Some(kept) = kept {
        for older in checkpoints.iter().filter(|id| id.order() < kept.order()) {
            storage.delete_checkpoint(older)?;
        }
    }
    storage.remove_leftovers()
}
