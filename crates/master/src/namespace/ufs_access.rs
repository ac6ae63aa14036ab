//! Owners, groups and modes kept in the UFS where it keeps them (the local file system): written
//! whenever Alluxio persists an inode or changes them on a persisted one, so that what Alluxio
//! shows and what the UFS holds agree; read back when metadata is loaded or synced (`load.rs`,
//! `sync.rs`).
//!
//! Writing follows the change once it is journaled: a UFS that refuses leaves Alluxio's value
//! standing and is logged. An owner the UFS's OS does not know, or that only its superuser may
//! give (a master not running as root), stays as the UFS has it.

use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{JournalSetAttribute, PersistenceState};
use alluxio_ufs::UfsAccess;
use futures::StreamExt;

use super::FileSystemMaster;
use super::tree::{Inode, Tree};

/// UFS entries updated at once after a recursive change.
const CONCURRENT_UPDATES: usize = 16;

/// The inodes whose owner, group or mode the UFS should now hold after `entries` (applied to
/// `tree`): those the entries persist, and persisted ones whose owner, group or mode they set.
pub(super) fn access_to_write(tree: &Tree, entries: &[Entry]) -> Vec<u64> {
    let persisted = PersistenceState::Persisted as i32;
    entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Mkdir(e) if e.persisted => Some(e.id),
            Entry::CompleteFile(e) if e.persistence_state == persisted => Some(e.file_id),
            Entry::SetAttribute(e) if e.persistence_state == Some(persisted) => Some(e.id),
            Entry::SetAttribute(e) if changes_access(e) => tree
                .get(e.id)
                .filter(|inode| inode.is_persisted())
                .map(|inode| inode.id),
            _ => None,
        })
        .collect()
}

/// Whether a SetAttribute entry sets an owner, group or mode.
fn changes_access(entry: &JournalSetAttribute) -> bool {
    entry.owner.is_some() || entry.group.is_some() || entry.mode.is_some()
}

impl FileSystemMaster {
    /// Owner, group and mode of `inode` as Alluxio shows them.
    pub(super) fn access_of(&self, inode: &Inode) -> UfsAccess {
        UfsAccess {
            owner: self.owner_of(inode).to_string(),
            group: self.group_of(inode).to_string(),
            mode: inode.mode,
        }
    }

    /// The SetAttribute entry bringing a persisted inode's owner, group and mode in line with
    /// what the UFS keeps, `None` when they agree (or the UFS keeps none).
    pub(super) fn access_from_ufs(&self, inode: &Inode, ufs: Option<&UfsAccess>, now: i64) -> Option<Entry> {
        let ufs = ufs?;
        let ours = self.access_of(inode);
        (*ufs != ours).then(|| {
            Entry::SetAttribute(JournalSetAttribute {
                id: inode.id,
                owner: (ufs.owner != ours.owner).then(|| ufs.owner.clone()),
                group: (ufs.group != ours.group).then(|| ufs.group.clone()),
                mode: (ufs.mode != ours.mode).then_some(ufs.mode),
                op_time_ms: now,
                ..Default::default()
            })
        })
    }

    /// Writes the owner, group and mode of each of `ids` (persisted inodes) to its UFS entry.
    pub(super) async fn write_access_to_ufs(&self, ids: Vec<u64>) {
        futures::stream::iter(ids)
            .for_each_concurrent(CONCURRENT_UPDATES, |id| self.write_access(id))
            .await;
    }

    async fn write_access(&self, id: u64) {
        let Some((path, access)) = ({
            let tree = self.tree.read();
            tree.get(id)
                .filter(|inode| inode.is_persisted())
                .and_then(|inode| Some((tree.path_of(id)?, self.access_of(&inode))))
        }) else {
            return;
        };
        let written = match self.resolve_ufs(&path) {
            Ok(target) => target
                .ufs
                .set_access(&target.uri, &access)
                .await
                .map(drop)
                .map_err(Into::into),
            Err(err) => Err(err),
        };
        if let Err(err) = written {
            tracing::warn!(%path, owner = %access.owner, group = %access.group, mode = format!("{:o}", access.mode), error = %err,
                "the UFS did not take the owner, group or mode Alluxio has for this path");
        }
    }
}
