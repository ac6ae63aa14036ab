//! Epochs: every master that becomes the journal's writer first claims the next epoch by
//! creating its marker, and before any append of its is acknowledged checks that no later
//! epoch was claimed. Markers are never deleted (but by `format`): a deposed writer of epoch N
//! must still find N + 1, however long it was paused.

use crate::JournalError;
use crate::storage::Storage;

/// Claims the epoch after the newest one; with `atomic`, a master creating the same marker at
/// the same time makes this fail with [`JournalError::ClaimLost`] (or the storage refuses with
/// [`JournalError::NoAtomicCreate`]).
pub(crate) fn claim(storage: &dyn Storage, atomic: bool) -> Result<u64, JournalError> {
    claim_after(storage, storage.highest_epoch()?, atomic)
}

/// Claims the epoch after `newest`, the newest one this master saw.
fn claim_after(storage: &dyn Storage, newest: u64, atomic: bool) -> Result<u64, JournalError> {
    let epoch = newest + 1;
    if !storage.create_epoch(epoch, &owner(), atomic)? {
        return Err(JournalError::ClaimLost {
            location: storage.location().to_string(),
            epoch,
        });
    }
    tracing::info!(journal = %storage.location(), epoch, "claimed a journal epoch");
    Ok(epoch)
}

/// Fails with [`JournalError::Superseded`] if an epoch after `epoch` was claimed.
pub(crate) fn check(storage: &dyn Storage, epoch: u64) -> Result<(), JournalError> {
    if !storage.has_epoch(epoch + 1)? {
        return Ok(());
    }
    // Epochs are claimed one after the other, so N + 1 exists whenever any later one does.
    let by = storage.highest_epoch()?.max(epoch + 1);
    Err(JournalError::Superseded {
        location: storage.location().to_string(),
        epoch,
        by,
    })
}

/// What a marker (and a UFS journal's `LOCK`) says about who wrote it: host, process and time,
/// for operators reading the folder.
pub(crate) fn owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_else(|_| "unknown-host".into());
    let since_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("host={host} pid={} since_ms={since_ms}\n", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::LocalStorage;

    #[test]
    fn of_two_masters_claiming_the_same_epoch_one_wins_and_the_other_is_told_so() {
        let dir = tempfile::tempdir().unwrap();
        let storage = LocalStorage::new(dir.path(), 64);
        // Both saw no epoch yet; the second creates its marker after the first.
        assert_eq!(claim_after(&storage, 0, true).unwrap(), 1);
        let lost = claim_after(&storage, 0, true).unwrap_err();
        assert!(matches!(lost, JournalError::ClaimLost { epoch: 1, .. }), "{lost}");
        assert!(lost.is_fenced());
        assert!(lost.to_string().contains("stay a standby"), "{lost}");
        assert_eq!(claim(&storage, true).unwrap(), 2);
        check(&storage, 2).unwrap();
        match check(&storage, 1).unwrap_err() {
            JournalError::Superseded { epoch: 1, by: 2, .. } => {}
            other => panic!("expected superseded, got {other}"),
        }
    }
}
