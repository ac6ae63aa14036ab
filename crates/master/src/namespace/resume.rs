//! The namespace a master starts with: replayed from the journal, or, when a disk metastore was
//! kept from the last run, that file and the journal entries after the sequence it holds.
//!
//! The journal stays the truth. A kept file is used only if the sequence it holds lies between
//! the journal's checkpoint and its last entry, so that every entry after it is still in the log;
//! any other file (older than the checkpoint, ahead of a journal whose last append failed, from
//! another journal, damaged) is deleted and the tree replayed whole.

use alluxio_journal::{JournalEntry, JournalError};
use alluxio_proto::grpc::journal_entry::Entry;
use prost::Message;

use super::metastore::{Metastore, MetastoreSettings};
use super::tree::Tree;
use crate::MasterError;

/// Where the journal stands when the master starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JournalBounds {
    /// The sequence its checkpoint covers.
    pub(crate) checkpointed: u64,
    /// Its last sequence.
    pub(crate) last: u64,
}

/// The metastore kept from the master's last run, opened before the journal so that the
/// journal need not read what the file holds already (see [`alluxio_journal::Journal::open_at`]).
pub(crate) struct KeptStore {
    store: Metastore,
    /// What its last commit recorded (`None`: nothing is kept; an error: it is damaged).
    state: Option<Result<KeptState, String>>,
}

impl KeptStore {
    /// The metastore `settings` choose, as the last run kept it.
    pub(crate) fn open(settings: &MetastoreSettings) -> Result<Self, MasterError> {
        let (store, state) = settings.open_kept()?;
        Ok(Self {
            store,
            state: state.map(|bytes| KeptState::decode(&bytes)),
        })
    }

    /// The journal sequence the file holds the namespace through, if it holds one.
    pub(crate) fn sequence(&self) -> Option<u64> {
        match &self.state {
            Some(Ok(kept)) => Some(kept.sequence),
            _ => None,
        }
    }
}

/// The tree in `kept` brought up to the journal's last entry, or rebuilt from the journal when
/// the file does not continue it; also returns how many entries were replayed. `entries` are
/// the journal's checkpoint and log, or its log alone when `kept` holds a sequence within
/// `journal` (then the checkpoint is not needed), applied as they are read.
pub(crate) fn recover_tree(
    settings: &MetastoreSettings,
    kept: KeptStore,
    entries: impl IntoIterator<Item = Result<JournalEntry, JournalError>>,
    journal: JournalBounds,
) -> Result<(Tree, usize), MasterError> {
    let KeptStore { mut store, state } = kept;
    if let Some(state) = state {
        match state {
            Ok(kept) if (journal.checkpointed..=journal.last).contains(&kept.sequence) => {
                let mut tree = Tree::over_kept(store);
                for entry in &kept.beside_inodes {
                    tree.apply(entry).map_err(|reason| MasterError::Replay {
                        sequence: kept.sequence,
                        reason,
                    })?;
                }
                let after_kept = entries
                    .into_iter()
                    .filter(|read| !matches!(read, Ok(entry) if entry.sequence <= kept.sequence));
                let (tree, replayed) = replay(tree, after_kept)?;
                tracing::info!(
                    sequence = kept.sequence,
                    inodes = tree.len(),
                    replayed,
                    "the namespace resumed from the kept metastore"
                );
                return Ok((tree, replayed));
            }
            Ok(kept) => tracing::warn!(
                sequence = kept.sequence,
                checkpoint = journal.checkpointed,
                last = journal.last,
                "the kept metastore does not continue the journal; rebuilding it from the journal"
            ),
            Err(reason) => {
                tracing::warn!(%reason, "the kept metastore's state is damaged; rebuilding it from the journal")
            }
        }
        drop(store);
        settings.discard_kept()?;
        store = settings.open_kept()?.0;
    }
    replay(Tree::with_metastore(store), entries)
}

/// Records in a kept metastore that it holds the tree as of journal `sequence`, and makes it
/// durable; call with the tree write lock held, where the tree holds exactly the entries
/// queued through `sequence`.
pub(crate) fn commit_kept(tree: &mut Tree, sequence: u64) {
    if !tree.inodes.is_kept() {
        return;
    }
    let state = KeptState {
        sequence,
        beside_inodes: tree.beside_inodes(),
    };
    tree.inodes.commit(&state.encode());
}

/// `tree` with the journal's `entries` applied as they are read (a checkpoint of millions of
/// inodes is never held decoded); also returns how many were applied.
pub(crate) fn replay(
    mut tree: Tree,
    entries: impl IntoIterator<Item = Result<JournalEntry, JournalError>>,
) -> Result<(Tree, usize), MasterError> {
    let mut replayed = 0;
    for entry in entries {
        let entry = entry?;
        tree.apply_journaled(&entry)
            .map_err(|reason| MasterError::Replay {
                sequence: entry.sequence,
                reason,
            })?;
        replayed += 1;
    }
    Ok((tree, replayed))
}

/// What a kept metastore records beside its inodes.
#[derive(Debug, PartialEq)]
struct KeptState {
    /// The last journal sequence the file holds.
    sequence: u64,
    /// The tree's state beside its inodes ([`Tree::beside_inodes`]).
    beside_inodes: Vec<Entry>,
}

impl KeptState {
    /// The sequence, then each entry as a length-delimited journal entry.
    fn encode(&self) -> Vec<u8> {
        let mut out = self.sequence.to_le_bytes().to_vec();
        for entry in &self.beside_inodes {
            let entry = JournalEntry {
                entry: Some(entry.clone()),
                ..Default::default()
            };
            entry
                .encode_length_delimited(&mut out)
                .expect("a Vec grows as needed");
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, String> {
        let (sequence, mut rest) = bytes
            .split_first_chunk::<8>()
            .ok_or("the sequence is cut short")?;
        let mut beside_inodes = Vec::new();
        while !rest.is_empty() {
            let entry = JournalEntry::decode_length_delimited(&mut rest).map_err(|err| err.to_string())?;
            beside_inodes.push(entry.entry.ok_or("an entry is empty")?);
        }
        Ok(Self {
            sequence: u64::from_le_bytes(*sequence),
            beside_inodes,
        })
    }
}

#[cfg(test)]
mod tests {
    use alluxio_proto::grpc::{
        JournalAddMountPoint, JournalCreateFile, JournalMkdir, JournalSetAttribute, PersistenceState,
    };
    use alluxio_proto::ids;

    use super::*;
    use crate::namespace::tree::root_id;

    /// A journal of `count` entries (sequences 1..=count): folders with files, some pinned with a
    /// TTL and waiting for persistence, and a mount point.
    fn journal(count: u64) -> Vec<JournalEntry> {
        (1..=count)
            .map(|sequence| {
                let id = ids::file_id(sequence);
                let folder = ids::file_id(sequence - sequence % 5);
                let entry = match sequence % 5 {
                    0 => Entry::Mkdir(JournalMkdir {
                        id,
                        parent_id: root_id(),
                        name: format!("d{sequence}"),
                        ..Default::default()
                    }),
                    1 if sequence > 5 => Entry::AddMountPoint(JournalAddMountPoint {
                        alluxio_path: format!("/d{}", sequence - 1),
                        ufs_uri: format!("/ufs/{sequence}"),
                        mount_id: sequence,
                        ..Default::default()
                    }),
                    3 if sequence > 5 => Entry::SetAttribute(JournalSetAttribute {
                        id: ids::file_id(sequence - 1),
                        pinned: Some(true),
                        ttl: Some(60_000),
                        persistence_state: Some(PersistenceState::ToBePersisted.into()),
                        ..Default::default()
                    }),
                    _ if sequence > 5 => Entry::CreateFile(JournalCreateFile {
                        id,
                        parent_id: folder,
                        name: format!("f{sequence}"),
                        ..Default::default()
                    }),
                    _ => Entry::Mkdir(JournalMkdir {
                        id,
                        parent_id: root_id(),
                        name: format!("top{sequence}"),
                        ..Default::default()
                    }),
                };
                JournalEntry {
                    sequence,
                    entry: Some(entry),
                    ..Default::default()
                }
            })
            .collect()
    }

    fn bounds(checkpointed: u64, last: u64) -> JournalBounds {
        JournalBounds { checkpointed, last }
    }

    fn recover(
        settings: &MetastoreSettings,
        entries: &[JournalEntry],
        journal: JournalBounds,
    ) -> Result<(Tree, usize), MasterError> {
        let read = entries.iter().cloned().map(Ok);
        recover_tree(settings, KeptStore::open(settings)?, read, journal)
    }

    #[test]
    fn a_kept_metastore_resumes_after_its_sequence_and_is_rebuilt_when_it_does_not_fit() {
        let dir = tempfile::tempdir().unwrap();
        let settings = MetastoreSettings::Disk {
            dir: dir.path().to_path_buf(),
            inode_cache: 3,
        };
        let entries = journal(40);
        let whole = Tree::replay(&entries).unwrap();
        assert!(!whole.pinned_files.is_empty() && !whole.mounts.is_empty());
        assert!(!whole.with_ttl.is_empty() && !whole.to_be_persisted.is_empty());

        let (mut tree, replayed) = recover(&settings, &entries[..30], bounds(0, 30)).unwrap();
        assert_eq!(replayed, 30, "nothing kept yet");
        commit_kept(&mut tree, 30);
        drop(tree);

        let (mut tree, replayed) = recover(&settings, &entries, bounds(0, 40)).unwrap();
        assert_eq!(replayed, 10, "only the entries after the kept sequence");
        assert_eq!(tree, whole);
        commit_kept(&mut tree, 40);
        drop(tree);

        // A journal shorter than the file (its last appends were lost): rebuilt from it.
        let (mut tree, replayed) = recover(&settings, &entries[..30], bounds(0, 30)).unwrap();
        assert_eq!(replayed, 30);
        assert_eq!(tree, Tree::replay(&entries[..30]).unwrap());
        commit_kept(&mut tree, 20);
        drop(tree);

        // A checkpoint past the file's sequence: the entries it needs are gone, so rebuilt.
        let (tree, replayed) = recover(&settings, &entries, bounds(25, 40)).unwrap();
        assert_eq!(replayed, 40);
        assert_eq!(tree, whole);
    }

    #[test]
    fn the_kept_state_decodes_to_what_was_encoded_and_a_damaged_one_is_an_error() {
        let state = KeptState {
            sequence: 77,
            beside_inodes: Tree::replay(&journal(40)).unwrap().beside_inodes(),
        };
        let bytes = state.encode();
        assert_eq!(KeptState::decode(&bytes).unwrap(), state);
        assert!(KeptState::decode(&bytes[..5]).is_err());
        assert!(KeptState::decode(&bytes[..bytes.len() - 1]).is_err());
    }
}
