//! Appending, group commit, locking and formatting.

mod common;

use std::sync::Arc;

use alluxio_journal::{Journal, JournalError};
use common::{entry, segments, stored};

#[tokio::test]
async fn appended_entries_come_back_in_order_and_sequences_continue() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert!(replay.is_empty());
    assert_eq!(journal.last_sequence(), 0);
    assert_eq!(journal.append(vec![entry(10), entry(11)]).await.unwrap(), 2);
    assert_eq!(journal.append(vec![entry(12)]).await.unwrap(), 3);
    assert_eq!(journal.entries_since_checkpoint(), 3);
    drop(journal);

    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [stored(10, 1), stored(11, 2), stored(12, 3)]);
    assert_eq!(journal.last_sequence(), 3);
    assert_eq!(journal.append(vec![entry(13)]).await.unwrap(), 4);
    drop(journal);

    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    let sequences: Vec<u64> = replay.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, [1, 2, 3, 4]);
    assert_eq!(replay[3], stored(13, 4));
}

#[tokio::test]
async fn an_empty_append_waits_for_earlier_entries_and_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal.append(vec![entry(1)]).await.unwrap();
    assert_eq!(journal.append(Vec::new()).await.unwrap(), 1);
    assert_eq!(journal.last_sequence(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_are_all_durable_contiguous_and_share_flushes() {
    const TASKS: u64 = 50;
    const PER_TASK: u64 = 20;
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    let journal = Arc::new(journal);
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..TASKS {
        let journal = journal.clone();
        tasks.spawn(async move {
            let mut sequences = Vec::new();
            for i in 0..PER_TASK {
                let n = task * PER_TASK + i;
                sequences.push((journal.append(vec![entry(n)]).await.unwrap(), n));
            }
            sequences
        });
    }
    let mut acknowledged = Vec::new();
    while let Some(done) = tasks.join_next().await {
        acknowledged.extend(done.unwrap());
    }
    let appends = TASKS * PER_TASK;
    let flushes = journal.flush_count();
    assert!(
        flushes * 4 < appends,
        "{flushes} flushes for {appends} appends: group commit is not batching"
    );
    assert!(flushes > 0);
    drop(Arc::into_inner(journal).expect("every task has finished"));

    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay.len() as u64, appends);
    for (index, replayed) in replay.iter().enumerate() {
        assert_eq!(replayed.sequence, index as u64 + 1);
    }
    // Each append got back the sequence its own entry was stored under.
    for (sequence, n) in acknowledged {
        assert_eq!(replay[sequence as usize - 1], stored(n, sequence));
    }
}

#[tokio::test]
async fn a_second_open_of_a_locked_folder_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal.append(vec![entry(1)]).await.unwrap();
    match Journal::open(dir.path()) {
        Err(err @ JournalError::Locked { .. }) => {
            assert!(
                err.to_string().contains(&dir.path().display().to_string()),
                "{err}"
            );
        }
        Err(other) => panic!("expected a lock error, got {other}"),
        Ok(_) => panic!("a locked journal opened twice"),
    }
    assert!(matches!(
        Journal::format(dir.path()),
        Err(JournalError::Locked { .. })
    ));
    drop(journal);
    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [stored(1, 1)]);
}

#[tokio::test]
async fn format_removes_journal_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal.append(vec![entry(1), entry(2)]).await.unwrap();
    journal.checkpoint(vec![entry(100)], 2).await.unwrap();
    journal.append(vec![entry(3)]).await.unwrap();
    drop(journal);
    std::fs::write(dir.path().join("notes.txt"), b"keep me").unwrap();

    Journal::format(dir.path()).unwrap();
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|d| d.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["notes.txt"]);

    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert!(replay.is_empty());
    assert_eq!(journal.append(vec![entry(4)]).await.unwrap(), 1);
}

#[test]
fn format_of_a_missing_folder_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    Journal::format(&dir.path().join("never-created")).unwrap();
}

#[tokio::test]
async fn an_oversized_entry_fails_its_append_without_using_a_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    let mut huge = entry(2);
    if let Some(alluxio_proto::grpc::journal_entry::Entry::Rename(rename)) = &mut huge.entry {
        rename.new_name = "x".repeat(65 << 20);
    }
    let err = journal.append(vec![entry(1), huge]).await.unwrap_err();
    assert!(
        matches!(err, JournalError::EntryTooLarge { sequence: 2, .. }),
        "{err}"
    );
    assert_eq!(journal.last_sequence(), 0);
    assert_eq!(journal.append(vec![entry(3)]).await.unwrap(), 1);
    drop(journal);
    assert_eq!(segments(dir.path()).len(), 1);
    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [stored(3, 1)]);
}
