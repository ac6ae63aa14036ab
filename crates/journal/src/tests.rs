//! Journal behaviour that needs small segments or a writer failure, which only the crate itself
//! can arrange.

use std::fs;
use std::path::{Path, PathBuf};

use alluxio_proto::grpc::JournalNextContainer;
use alluxio_proto::grpc::journal_entry::Entry;

use crate::layout::{list_segments, segment_path};
use crate::{Journal, JournalEntry, JournalError};

fn entry(n: u64) -> JournalEntry {
    JournalEntry {
        entry: Some(Entry::NextContainer(JournalNextContainer {
            next_container_id: n,
        })),
        ..Default::default()
    }
}

fn segment_paths(folder: &Path) -> Vec<PathBuf> {
    list_segments(folder)
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect()
}

#[tokio::test]
async fn full_segments_rotate_and_replay_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open_with_segment_limit(dir.path(), 64).unwrap();
    for n in 1..=30 {
        assert_eq!(journal.append(vec![entry(n)]).await.unwrap(), n);
    }
    drop(journal);
    let segments = segment_paths(dir.path());
    assert!(segments.len() > 3, "only {} segments", segments.len());

    let (journal, replay) = Journal::open_with_segment_limit(dir.path(), 64).unwrap();
    let expected: Vec<JournalEntry> = (1..=30)
        .map(|n| JournalEntry {
            sequence: n,
            ..entry(n)
        })
        .collect();
    assert_eq!(replay, expected);

    journal.checkpoint(vec![entry(1000)], 30).await.unwrap();
    let left = list_segments(dir.path()).unwrap();
    assert_eq!(left.len(), 1, "only the segment after the checkpoint stays");
    assert_eq!(left[0].first, 31);
    drop(journal);
    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [entry(1000)]);
    assert_eq!(journal.last_sequence(), 30);
    assert_eq!(journal.append(vec![entry(31)]).await.unwrap(), 31);
}

#[tokio::test]
async fn damage_in_an_older_full_segment_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open_with_segment_limit(dir.path(), 64).unwrap();
    for n in 1..=10 {
        journal.append(vec![entry(n)]).await.unwrap();
    }
    drop(journal);
    let segments = segment_paths(dir.path());
    let victim = &segments[0];
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
    let blocker = segment_path(dir.path(), 2);
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

    // The blocker is an empty newest segment: reset, and the log continues after entry 1.
    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(
        replay,
        [JournalEntry {
            sequence: 1,
            ..entry(1)
        }]
    );
    assert_eq!(journal.append(vec![entry(2)]).await.unwrap(), 2);
}
