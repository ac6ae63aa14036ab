//! Masters sharing one journal: epoch claims, a deposed leader fenced out of appends, clean-ups
//! and checkpoints, standbys tailing and taking over. Every case runs against a local folder and
//! against the same journal reached as an under file system (a local path).

#[path = "common/claims.rs"]
mod claims;
mod common;

use std::path::Path;
use std::sync::{Arc, Barrier};

use alluxio_conf::Configuration;
use alluxio_journal::{Journal, JournalEntry, JournalError, JournalLocation, JournalTailer};
use claims::{begun, continued, promoted, read_whole, restarted_from};
use common::{entry, stored};

/// The journal in `dir` as a local folder and as a UFS folder.
fn locations(dir: &Path) -> [JournalLocation; 2] {
    let ufs = dir.join("ufs-journal").to_str().unwrap().to_string();
    [
        JournalLocation::Local(dir.join("journal")),
        JournalLocation::Ufs(ufs),
    ]
}

/// Where the journal's files are, whichever way it is reached.
fn folder(location: &JournalLocation) -> &Path {
    match location {
        JournalLocation::Local(folder) => folder,
        JournalLocation::Ufs(uri) => Path::new(uri),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn conf() -> Configuration {
    Configuration::defaults()
}

/// A master running alone, as the journal opens without ZooKeeper.
fn open_alone(location: &JournalLocation) -> (Journal, Vec<JournalEntry>) {
    begun(Journal::open_at(location, &conf(), None).unwrap())
}

fn standby(location: &JournalLocation) -> (JournalTailer, Vec<JournalEntry>) {
    let (tailer, replay) = JournalTailer::open(location, &conf()).unwrap();
    (tailer, read_whole(replay))
}

/// Whether any file under `dir` contains `needle`.
fn stored_anywhere(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|dirent| {
        let path = dirent.unwrap().path();
        if path.is_dir() {
            return stored_anywhere(&path, needle);
        }
        let bytes = std::fs::read(&path).unwrap();
        bytes.windows(needle.len()).any(|window| window == needle)
    })
}

fn expect_superseded(err: JournalError, epoch: u64, by: u64) {
    assert!(err.is_fenced(), "{err}");
    match &err {
        JournalError::Superseded { epoch: e, by: b, .. } => assert_eq!((*e, *b), (epoch, by), "{err}"),
        other => panic!("expected superseded, got {other}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&format!("epoch {epoch}")) && message.contains(&format!("by epoch {by}")),
        "{message}"
    );
    assert!(message.contains("restart as a standby"), "{message}");
}

#[test]
fn masters_racing_to_take_over_get_distinct_epochs_and_only_the_newest_writes() {
    const MASTERS: usize = 6;
    let dir = tempfile::tempdir().unwrap();
    for location in locations(dir.path()) {
        let barrier = Arc::new(Barrier::new(MASTERS));
        let handles: Vec<_> = (0..MASTERS)
            .map(|_| {
                let (location, barrier) = (location.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let (tailer, _) = standby(&location);
                    barrier.wait();
                    promoted(tailer.promote()).map(|(journal, _)| journal)
                })
            })
            .collect();
        let mut leaders = Vec::new();
        for handle in handles {
            match handle.join().unwrap() {
                Ok(journal) => leaders.push(journal),
                Err(err) => assert!(err.is_fenced(), "{location}: {err}"),
            }
        }
        assert!(!leaders.is_empty(), "{location}: somebody must win");
        leaders.sort_by_key(Journal::epoch);
        let mut epochs: Vec<u64> = leaders.iter().map(Journal::epoch).collect();
        epochs.dedup();
        assert_eq!(
            epochs.len(),
            leaders.len(),
            "{location}: an epoch was claimed twice"
        );
        let rt = runtime();
        let newest = leaders.pop().unwrap();
        for deposed in &leaders {
            let err = rt.block_on(deposed.append(vec![entry(1)])).unwrap_err();
            assert!(err.is_fenced(), "{location}: {err}");
        }
        assert_eq!(rt.block_on(newest.append(vec![entry(2)])).unwrap(), 1);
        drop((leaders, newest));
        let (_, replay) = standby(&location);
        assert_eq!(replay, [stored(2, 1)], "{location}");
    }
}

#[test]
fn a_deposed_leader_gets_no_append_acknowledged_and_its_late_entries_are_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    for location in locations(dir.path()) {
        let (old, _) = open_alone(&location);
        assert_eq!(
            rt.block_on(old.append(vec![entry(1), entry(2), entry(3)]))
                .unwrap(),
            3
        );
        let (tailer, replay) = standby(&location);
        assert_eq!(replay, [stored(1, 1), stored(2, 2), stored(3, 3)], "{location}");

        // The old leader is paused (or partitioned) while the standby takes over.
        let (new, tail) = promoted(tailer.promote()).unwrap();
        assert_eq!((old.epoch(), new.epoch()), (1, 2));
        assert_eq!(tail, Vec::new());

        // It wakes up: its append is written, but never acknowledged, now or later.
        expect_superseded(rt.block_on(old.append(vec![entry(666)])).unwrap_err(), 1, 2);
        expect_superseded(rt.block_on(old.append(vec![entry(667)])).unwrap_err(), 1, 2);
        assert!(
            stored_anywhere(folder(&location), b"name-666"),
            "{location}: written durably"
        );
        assert_eq!(rt.block_on(new.append(vec![entry(4)])).unwrap(), 4);

        let expected = vec![stored(1, 1), stored(2, 2), stored(3, 3), stored(4, 4)];
        let (_, replay) = standby(&location);
        assert_eq!(
            replay, expected,
            "{location}: a standby never reads the late entry"
        );
        drop((old, new));
        let (journal, replay) = open_alone(&location);
        assert_eq!(replay, expected, "{location}: nor does the next leader");
        assert_eq!(journal.epoch(), 3);
        drop(journal);
        let (_, replay) = open_alone(&location);
        assert_eq!(replay, expected, "{location}: nor the one after it");
    }
}

#[test]
fn a_deposed_leaders_checkpoint_never_replaces_the_new_leaders_nor_deletes_anything() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    for location in locations(dir.path()) {
        let (old, _) = open_alone(&location);
        rt.block_on(old.append(vec![entry(1), entry(2), entry(3)]))
            .unwrap();
        let (tailer, _) = standby(&location);
        let (new, _) = promoted(tailer.promote()).unwrap();
        rt.block_on(new.append(vec![entry(4), entry(5)])).unwrap();
        rt.block_on(new.checkpoint(vec![entry(500)], 5)).unwrap();
        rt.block_on(new.append(vec![entry(6)])).unwrap();

        // The old leader checkpoints what it has: written under its own name, nothing deleted.
        let err = rt.block_on(old.checkpoint(vec![entry(300)], 3)).unwrap_err();
        expect_superseded(err, 1, 2);
        let err = rt.block_on(old.append(vec![entry(666)])).unwrap_err();
        expect_superseded(err, 1, 2);
        assert!(rt.block_on(old.checkpoint(vec![entry(301)], 4)).is_err());

        let expected = vec![entry(500), stored(6, 6)];
        let (_, replay) = standby(&location);
        assert_eq!(replay, expected, "{location}");
        drop((old, new));
        let (_, replay) = open_alone(&location);
        assert_eq!(replay, expected, "{location}");
    }
}

#[test]
fn a_standby_follows_the_leader_and_taking_over_reads_only_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    for location in locations(dir.path()) {
        let (leader, _) = open_alone(&location);
        rt.block_on(leader.append((1..=5).map(entry).collect())).unwrap();
        let (mut tailer, replay) = standby(&location);
        assert_eq!(replay.len(), 5, "{location}");
        assert_eq!(continued(tailer.poll().unwrap()), Vec::new());
        rt.block_on(leader.append(vec![entry(6)])).unwrap();
        rt.block_on(leader.append(vec![entry(7)])).unwrap();
        assert_eq!(
            continued(tailer.poll().unwrap()),
            vec![stored(6, 6), stored(7, 7)]
        );
        rt.block_on(leader.append(vec![entry(8)])).unwrap();
        // The leader dies; the standby had not polled since.
        drop(leader);
        let (journal, tail) = promoted(tailer.promote()).unwrap();
        assert_eq!(tail, vec![stored(8, 8)], "{location}");
        assert_eq!(rt.block_on(journal.append(vec![entry(9)])).unwrap(), 9);
    }
}

#[test]
fn a_standby_keeps_following_across_a_failover_without_starting_over() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    for location in locations(dir.path()) {
        let (old, _) = open_alone(&location);
        rt.block_on(old.append(vec![entry(1), entry(2)])).unwrap();
        let (mut watcher, _) = standby(&location);
        let (candidate, _) = standby(&location);
        rt.block_on(old.append(vec![entry(3)])).unwrap();
        assert_eq!(continued(watcher.poll().unwrap()), vec![stored(3, 3)]);
        // The old leader dies; another standby takes over exactly where this one stands.
        drop(old);
        let (leader, tail) = promoted(candidate.promote()).unwrap();
        assert_eq!(tail, vec![stored(3, 3)], "{location}");
        assert_eq!(continued(watcher.poll().unwrap()), Vec::new(), "{location}");
        rt.block_on(leader.append(vec![entry(4)])).unwrap();
        assert_eq!(
            continued(watcher.poll().unwrap()),
            vec![stored(4, 4)],
            "{location}"
        );
    }
}

/// Leaves the marker of `epoch` as a master does that claimed it and stalled before reading.
fn claim_and_stall(location: &JournalLocation, epoch: u64) {
    let marker = match location {
        JournalLocation::Local(folder) => folder.join(format!("epoch.{epoch:020}")),
        JournalLocation::Ufs(uri) => Path::new(uri).join(format!("epochs/{epoch:020}")),
    };
    std::fs::create_dir_all(marker.parent().unwrap()).unwrap();
    std::fs::write(marker, "host=stalled pid=1 since_ms=0\n").unwrap();
}

#[test]
fn a_standby_holds_back_what_a_failover_may_cut_off_and_agrees_with_the_new_leader() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    for location in locations(dir.path()) {
        let (old, _) = open_alone(&location);
        rt.block_on(old.append(vec![entry(1), entry(2)])).unwrap();
        let (mut watcher, replay) = standby(&location);
        assert_eq!(replay, [stored(1, 1), stored(2, 2)]);

        claim_and_stall(&location, 2);
        // Written, but not acknowledged: whether it counts is up to the next leader's read.
        expect_superseded(rt.block_on(old.append(vec![entry(3)])).unwrap_err(), 1, 2);
        assert_eq!(
            continued(watcher.poll().unwrap()),
            Vec::new(),
            "{location}: held back"
        );
        let (other, replay) = standby(&location);
        assert!(replay.is_empty(), "{location}: {replay:?}");

        // Epoch 3 reads the log after claiming: entry 3 was there, so it is part of the log.
        let (leader, tail) = promoted(other.promote()).unwrap();
        assert_eq!(leader.epoch(), 3);
        let adopted = vec![stored(1, 1), stored(2, 2), stored(3, 3)];
        assert_eq!(tail, adopted, "{location}");
        assert_eq!(rt.block_on(leader.append(vec![entry(100)])).unwrap(), 4);

        // The standby now knows where the log goes on, and agrees with the leader.
        assert_eq!(
            continued(watcher.poll().unwrap()),
            vec![stored(3, 3), stored(100, 4)],
            "{location}"
        );
        drop((old, leader));
        let (_, recovered) = open_alone(&location);
        assert_eq!(
            recovered,
            [stored(1, 1), stored(2, 2), stored(3, 3), stored(100, 4)]
        );
    }
}

#[test]
fn a_standby_whose_position_a_checkpoint_deleted_starts_over_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    for location in locations(dir.path()) {
        let (leader, _) = open_alone(&location);
        rt.block_on(leader.append((1..=5).map(entry).collect())).unwrap();
        let (mut behind, _) = standby(&location);
        let (lagging, _) = standby(&location);
        for n in 6..=8 {
            rt.block_on(leader.append(vec![entry(n)])).unwrap();
        }
        rt.block_on(leader.checkpoint(vec![entry(800)], 8)).unwrap();
        rt.block_on(leader.append(vec![entry(9)])).unwrap();
        let restarted = vec![entry(800), stored(9, 9)];
        assert_eq!(restarted_from(behind.poll().unwrap()), restarted, "{location}");
        drop(leader);
        let (claimed, tail) = lagging.promote().unwrap();
        assert_eq!(restarted_from(tail), restarted, "{location}");
        let journal = claimed.begin().unwrap();
        assert_eq!(rt.block_on(journal.append(vec![entry(10)])).unwrap(), 10);
    }
}

#[test]
fn a_torn_record_at_the_tail_is_waited_for_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let folder = dir.path().join("journal");
    let (leader, _) = Journal::open(&folder).unwrap();
    for n in 1..=5 {
        rt.block_on(leader.append(vec![entry(n)])).unwrap();
    }
    drop(leader);
    let segment = common::segments(&folder).pop().unwrap();
    let whole = std::fs::read(&segment).unwrap();
    // Record 4 still being written: only its first bytes have arrived, or a hole before it.
    let record = (whole.len() - 12) / 5;
    let fourth = 12 + 3 * record;
    std::fs::write(&segment, &whole[..fourth + 5]).unwrap();
    let (mut tailer, replay) = standby(&JournalLocation::Local(folder.clone()));
    assert_eq!(replay, [stored(1, 1), stored(2, 2), stored(3, 3)]);
    let mut holed = whole.clone();
    holed[fourth..fourth + record].fill(0);
    std::fs::write(&segment, &holed).unwrap();
    assert_eq!(continued(tailer.poll().unwrap()), Vec::new());
    std::fs::write(&segment, &whole).unwrap();
    assert_eq!(
        continued(tailer.poll().unwrap()),
        vec![stored(4, 4), stored(5, 5)]
    );
}
