//! Journal behaviour that needs small segments, a writer failure, folders in the format written
//! before epochs, or pieces crafted as a deposed master would leave them: what only the crate
//! itself can arrange.

use std::fs;
use std::path::{Path, PathBuf};

use alluxio_conf::Configuration;
use alluxio_proto::grpc::JournalNextContainer;
use alluxio_proto::grpc::journal_entry::Entry;

use crate::local::LocalStorage;
use crate::record::encode_record;
use crate::storage::Storage;
use crate::{Journal, JournalEntry, JournalError, JournalLocation, JournalTailer, Tail, checkpoint};

fn entry(n: u64) -> JournalEntry {
    JournalEntry {
        entry: Some(Entry::NextContainer(JournalNextContainer {
            next_container_id: n,
        })),
        ..Default::default()
    }
}

fn stored(n: u64, sequence: u64) -> JournalEntry {
    JournalEntry { sequence, ..entry(n) }
}

/// The segments in `folder`, in name order.
fn segments(folder: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(folder)
        .unwrap()
        .map(|d| d.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("log."))
        .collect();
    paths.sort();
    paths
}

/// Records of `entries` as stored with sequences `first..`.
fn records(first: u64, entries: &[u64]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (sequence, n) in (first..).zip(entries) {
        encode_record(&mut bytes, &stored(*n, sequence)).unwrap();
    }
    bytes
}

/// Writes a segment file `name` holding `entries` from sequence `first` on.
fn write_segment(folder: &Path, name: &str, first: u64, entries: &[u64]) {
    let mut bytes = b"ALXJLOG\0".to_vec();
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend(records(first, entries));
    fs::write(folder.join(name), bytes).unwrap();
}

/// [`Journal::open_at`], its entries read whole and its writer started.
fn open_at(location: &JournalLocation, holding: Option<u64>) -> (Journal, Vec<JournalEntry>) {
    let (claimed, replay) = Journal::open_at(location, &Configuration::defaults(), holding).unwrap();
    let entries = replay.collect::<Result<_, _>>().unwrap();
    (claimed.begin().unwrap(), entries)
}

/// A [`Tail`] with a restart's entries read whole, to compare.
#[derive(Debug, PartialEq)]
enum Read {
    Entries(Vec<JournalEntry>),
    Restart(Vec<JournalEntry>),
}

fn read(tail: Tail) -> Read {
    match tail {
        Tail::Entries(entries) => Read::Entries(entries),
        Tail::Restart(replay) => Read::Restart(replay.collect::<Result<_, _>>().unwrap()),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[tokio::test]
async fn full_segments_rotate_and_replay_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open_with_segment_limit(dir.path(), 64).unwrap();
    for n in 1..=30 {
        assert_eq!(journal.append(vec![entry(n)]).await.unwrap(), n);
    }
    drop(journal);
    assert!(segments(dir.path()).len() > 3, "only {:?}", segments(dir.path()));

    let (journal, replay) = Journal::open_with_segment_limit(dir.path(), 64).unwrap();
    let expected: Vec<JournalEntry> = (1..=30).map(|n| stored(n, n)).collect();
    assert_eq!(replay, expected);

    journal.checkpoint(vec![entry(1000)], 30).await.unwrap();
    let left = segments(dir.path());
    assert_eq!(
        left.len(),
        1,
        "only the segment after the checkpoint stays: {left:?}"
    );
    assert!(
        left[0].ends_with("log.00000000000000000031.e2.after1"),
        "{left:?}"
    );
    drop(journal);
    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [entry(1000)]);
    assert_eq!(journal.last_sequence(), 30);
    assert_eq!(journal.append(vec![entry(31)]).await.unwrap(), 31);
}

/// A caller holding the state through a sequence the journal reaches past its checkpoint (a
/// namespace kept on disk) gets the log alone; any other gets the checkpoint too.
#[tokio::test]
async fn a_caller_holding_the_state_skips_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let location = JournalLocation::Local(dir.path().to_path_buf());
    let (journal, _) = Journal::open(dir.path()).unwrap();
    for n in 1..=10 {
        journal.append(vec![entry(n)]).await.unwrap();
    }
    journal.checkpoint(vec![entry(1000)], 6).await.unwrap();
    drop(journal);
    let log: Vec<JournalEntry> = (7..=10).map(|n| stored(n, n)).collect();
    let whole: Vec<JournalEntry> = std::iter::once(entry(1000)).chain(log.clone()).collect();
    for (holding, expected) in [
        (Some(6), &log),
        (Some(8), &log),
        (Some(10), &log),
        (None, &whole),
        (Some(5), &whole),
        (Some(11), &whole),
    ] {
        let (journal, replay) = open_at(&location, holding);
        assert_eq!(&replay, expected, "holding {holding:?}");
        assert_eq!((journal.checkpointed_through(), journal.last_sequence()), (6, 10));
    }
}

#[tokio::test]
async fn damage_in_an_older_full_segment_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open_with_segment_limit(dir.path(), 64).unwrap();
    for n in 1..=10 {
        journal.append(vec![entry(n)]).await.unwrap();
    }
    drop(journal);
    let victim = &segments(dir.path())[0];
    let mut bytes = fs::read(victim).unwrap();
    bytes.truncate(bytes.len() - 1);
    fs::write(victim, bytes).unwrap();
    match Journal::open(dir.path()) {
        Err(JournalError::Corrupt { path, offset, .. }) => {
            assert_eq!(&path, victim);
            assert!(offset >= 12);
        }
        Err(other) => panic!("expected corruption, got {other}"),
        Ok(_) => panic!("a damaged older segment was accepted"),
    }
}

#[tokio::test]
async fn a_write_failure_fails_the_journal_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open_with_segment_limit(dir.path(), 1).unwrap();
    // The writer will need this name for its next segment and must not overwrite it.
    let blocker = dir.path().join("log.00000000000000000002.e1.after0");
    fs::write(&blocker, b"").unwrap();

    // The entry is durable before the rotation fails, so its append still succeeds.
    assert_eq!(journal.append(vec![entry(1)]).await.unwrap(), 1);
    for _ in 0..2 {
        match journal.append(vec![entry(2)]).await.unwrap_err() {
            JournalError::Io { path, .. } => assert_eq!(path, blocker),
            other => panic!("expected the rotation's I/O error, got {other}"),
        }
    }
    assert!(journal.checkpoint(Vec::new(), 1).await.is_err());
    drop(journal);

    // The blocker is an empty newest segment: the log continues after entry 1.
    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [stored(1, 1)]);
    assert_eq!(journal.append(vec![entry(2)]).await.unwrap(), 2);
    assert!(
        !blocker.exists(),
        "the new epoch's segment took its place on the chain"
    );
}

#[test]
fn a_local_folder_written_before_epochs_opens_as_epoch_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut old_checkpoint = std::io::Cursor::new(Vec::new());
    checkpoint::write_to(&mut old_checkpoint, 2, [entry(100)], Path::new("checkpoint")).unwrap();
    fs::write(dir.path().join("checkpoint"), old_checkpoint.into_inner()).unwrap();
    write_segment(dir.path(), "log.00000000000000000001", 1, &[1, 2, 3, 4]);
    write_segment(dir.path(), "log.00000000000000000005", 5, &[5, 6]);
    // A crash left half a record at the end.
    let newest = dir.path().join("log.00000000000000000005");
    let mut bytes = fs::read(&newest).unwrap();
    bytes.extend_from_slice(&records(7, &[7])[..9]);
    fs::write(&newest, bytes).unwrap();
    let expected = vec![entry(100), stored(3, 3), stored(4, 4), stored(5, 5), stored(6, 6)];

    let (_tailer, tailed) = JournalTailer::open_local(dir.path(), 64).unwrap();
    assert_eq!(tailed, expected, "a standby reads the old format too");
    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, expected);
    assert_eq!(journal.epoch(), 1);
    let rt = runtime();
    assert_eq!(rt.block_on(journal.append(vec![entry(7)])).unwrap(), 7);
    drop(journal);

    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay.last(), Some(&stored(7, 7)));
    assert_eq!(replay.len(), 6);
    rt.block_on(journal.checkpoint(vec![entry(200)], 7)).unwrap();
    for old in [
        "checkpoint",
        "log.00000000000000000001",
        "log.00000000000000000005",
    ] {
        assert!(
            !dir.path().join(old).exists(),
            "{old} is covered by the new checkpoint"
        );
    }
    drop(journal);
    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [entry(200)]);
}

#[test]
fn a_ufs_folder_written_before_epochs_opens_as_epoch_0() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("journal");
    fs::create_dir_all(root.join("logs")).unwrap();
    fs::create_dir_all(root.join("checkpoints")).unwrap();
    let mut old_checkpoint = std::io::Cursor::new(Vec::new());
    checkpoint::write_to(&mut old_checkpoint, 1, [entry(100)], Path::new("checkpoint")).unwrap();
    fs::write(
        root.join(format!("checkpoints/{:020}", 1)),
        old_checkpoint.into_inner(),
    )
    .unwrap();
    fs::write(
        root.join(format!("logs/{:020}-{:020}", 1, 2)),
        records(1, &[1, 2]),
    )
    .unwrap();
    fs::write(root.join(format!("logs/{:020}-{:020}", 3, 3)), records(3, &[3])).unwrap();

    let location = JournalLocation::Ufs(root.to_str().unwrap().to_string());
    let (journal, replay) = open_at(&location, None);
    assert_eq!(replay, [entry(100), stored(2, 2), stored(3, 3)]);
    assert_eq!(journal.epoch(), 1);
    let rt = runtime();
    assert_eq!(rt.block_on(journal.append(vec![entry(4)])).unwrap(), 4);
    drop(journal);
    let (_journal, replay) = open_at(&location, None);
    assert_eq!(replay.len(), 4);
    assert_eq!(replay.last(), Some(&stored(4, 4)));
}

#[test]
fn a_segment_a_deposed_leader_starts_after_its_successor_read_the_log_is_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let (first, _) = Journal::open(dir.path()).unwrap();
    rt.block_on(first.append(vec![entry(1), entry(2), entry(3)]))
        .unwrap();
    drop(first);
    // Epoch 2 is claimed by a master that is then paused before reading the log.
    let storage = LocalStorage::new(dir.path(), 64);
    assert!(storage.create_epoch(2, "paused master", true).unwrap());
    // Epoch 3 takes over meanwhile, reads 1..3 and appends. As a standby it held 1..3 back:
    // while epoch 2 had no segment, it could still have cut them off.
    let (standby, replay) = JournalTailer::open_local(dir.path(), 64).unwrap();
    assert!(replay.is_empty());
    let (claimed, tail) = standby.promote().unwrap();
    let entries = vec![stored(1, 1), stored(2, 2), stored(3, 3)];
    assert_eq!((claimed.epoch(), read(tail)), (3, Read::Entries(entries)));
    let leader = claimed.begin().unwrap();
    rt.block_on(leader.append(vec![entry(40), entry(50)])).unwrap();
    // Epoch 2 wakes up, having read the log up to 3, and writes its own segment from 4.
    let late = "log.00000000000000000004.e2.after1";
    write_segment(dir.path(), late, 4, &[666, 667, 668]);

    let expected = vec![
        stored(1, 1),
        stored(2, 2),
        stored(3, 3),
        stored(40, 4),
        stored(50, 5),
    ];
    let (_tailer, tailed) = JournalTailer::open_local(dir.path(), 64).unwrap();
    assert_eq!(tailed, expected);
    drop(leader);
    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, expected);
    assert!(
        !dir.path().join(late).exists(),
        "a piece on no chain is cleaned up"
    );
}

#[test]
fn the_tailer_follows_segment_rollover_and_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let (leader, _) = Journal::open_with_segment_limit(dir.path(), 64).unwrap();
    let (mut standby, replay) = JournalTailer::open_local(dir.path(), 64).unwrap();
    assert!(replay.is_empty());
    let mut applied = Vec::new();
    for n in 1..=20 {
        rt.block_on(leader.append(vec![entry(n)])).unwrap();
        if n % 3 == 0 {
            let Tail::Entries(entries) = standby.poll().unwrap() else {
                panic!("a standby keeping up never restarts");
            };
            applied.extend(entries);
        }
        if n == 10 {
            // Deletes the segments the standby already read past.
            rt.block_on(leader.checkpoint(vec![entry(1000)], 9)).unwrap();
        }
    }
    let Tail::Entries(entries) = standby.poll().unwrap() else {
        panic!("a standby keeping up never restarts");
    };
    applied.extend(entries);
    assert!(segments(dir.path()).len() > 3, "the leader rotated segments");
    assert_eq!(applied, (1..=20).map(|n| stored(n, n)).collect::<Vec<_>>());
    assert_eq!(read(standby.poll().unwrap()), Read::Entries(Vec::new()));
    assert_eq!(standby.last_sequence(), 20);

    // A standby that falls behind a checkpoint starts over from it.
    let (mut behind, _) = JournalTailer::open_local(dir.path(), 64).unwrap();
    for n in 21..=25 {
        rt.block_on(leader.append(vec![entry(n)])).unwrap();
    }
    rt.block_on(leader.checkpoint(vec![entry(2000)], 24)).unwrap();
    let mut restarted = vec![entry(2000)];
    restarted.push(stored(25, 25));
    assert_eq!(read(behind.poll().unwrap()), Read::Restart(restarted));
    assert_eq!(behind.last_sequence(), 25);
}

#[test]
fn a_standby_whose_applied_entries_the_storage_lost_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let (leader, _) = Journal::open(dir.path()).unwrap();
    rt.block_on(leader.append((1..=5).map(entry).collect())).unwrap();
    let (mut standby, replay) = JournalTailer::open_local(dir.path(), 64).unwrap();
    assert_eq!(replay.len(), 5);
    drop(leader);
    // The storage loses 4 and 5 (shown to readers, never made durable) and a new leader,
    // having read 1..3, continues at 4.
    let segment = dir.path().join("log.00000000000000000001.e1.after0");
    let kept = 12 + records(1, &[1, 2, 3]).len();
    let bytes = fs::read(&segment).unwrap();
    fs::write(&segment, &bytes[..kept]).unwrap();
    let storage = LocalStorage::new(dir.path(), 64);
    assert!(storage.create_epoch(2, "new leader", true).unwrap());
    write_segment(dir.path(), "log.00000000000000000004.e2.after1", 4, &[40, 50]);

    let expected = vec![
        stored(1, 1),
        stored(2, 2),
        stored(3, 3),
        stored(40, 4),
        stored(50, 5),
    ];
    assert_eq!(read(standby.poll().unwrap()), Read::Restart(expected));
    assert_eq!(read(standby.poll().unwrap()), Read::Entries(Vec::new()));
}
