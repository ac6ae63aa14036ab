//! Recovery: torn tails are ignored (never cut: a deposed master may still be writing there),
//! other damage is refused, checkpoints replace the log they cover.

mod common;

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use alluxio_conf::Configuration;
use alluxio_journal::{Journal, JournalError, JournalLocation};
use common::{entry, segments, stored};

/// Bytes of a segment header (magic, version).
const SEGMENT_HEADER_LEN: u64 = 12;

/// A journal holding entries 1..=count, each appended alone; returns its only segment.
async fn journal_with(dir: &Path, count: u64) -> PathBuf {
    let (journal, _) = Journal::open(dir).unwrap();
    for n in 1..=count {
        journal.append(vec![entry(n)]).await.unwrap();
    }
    drop(journal);
    let segments = segments(dir);
    assert_eq!(segments.len(), 1);
    segments[0].clone()
}

/// Byte offsets where each record of `segment` starts, up to the end of the file or a zero
/// length (the room a running writer zero-filled ahead).
fn record_offsets(segment: &Path) -> Vec<u64> {
    let bytes = fs::read(segment).unwrap();
    let mut offsets = Vec::new();
    let mut at = SEGMENT_HEADER_LEN as usize;
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if len == 0 {
            break;
        }
        offsets.push(at as u64);
        at += 8 + len;
    }
    offsets
}

/// Where the records of `segment` end.
fn records_end(segment: &Path) -> u64 {
    let bytes = fs::read(segment).unwrap();
    let last = *record_offsets(segment).last().unwrap() as usize;
    let len = u32::from_le_bytes(bytes[last..last + 4].try_into().unwrap()) as u64;
    last as u64 + 8 + len
}

fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x20;
    fs::write(path, bytes).unwrap();
}

fn expect_corrupt(dir: &Path, file: &Path, offset: u64) -> String {
    match Journal::open(dir) {
        Err(err @ JournalError::Corrupt { .. }) => {
            let JournalError::Corrupt { path, offset: at, .. } = &err else {
                unreachable!()
            };
            assert_eq!((path.as_path(), *at), (file, offset), "{err}");
            let message = err.to_string();
            assert!(message.contains(&file.display().to_string()), "{message}");
            assert!(message.contains(&format!("byte {offset}")), "{message}");
            message
        }
        Err(other) => panic!("expected corruption, got {other}"),
        Ok(_) => panic!("a damaged journal opened"),
    }
}

/// Opens the journal in `dir`, whose only segment was left holding `left` after entries 1 to
/// 3: recovery reads the three, rewrites nothing, and entry 4 appended then survives a reopen.
async fn recovers_three_in_place_and_continues(dir: &Path, segment: &Path, left: &[u8]) {
    let (journal, replay) = Journal::open(dir).unwrap();
    assert_eq!(replay, [stored(1, 1), stored(2, 2), stored(3, 3)]);
    assert_eq!(
        fs::read(segment).unwrap(),
        left,
        "recovery never cuts or rewrites a piece: its writer may still be running"
    );
    assert_eq!(journal.append(vec![entry(4)]).await.unwrap(), 4);
    drop(journal);
    let (_journal, replay) = Journal::open(dir).unwrap();
    assert_eq!(replay.len(), 4);
    assert_eq!(replay.last(), Some(&stored(4, 4)));
}

/// Appends `bytes` to `segment`, as a crash mid-append leaves them.
fn append_bytes(segment: &Path, bytes: &[u8]) {
    OpenOptions::new()
        .append(true)
        .open(segment)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[tokio::test]
async fn a_partial_last_record_is_ignored_in_place_and_appends_continue_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let segment = journal_with(dir.path(), 3).await;
    let first_record = fs::read(&segment).unwrap()[SEGMENT_HEADER_LEN as usize..][..14].to_vec();
    append_bytes(&segment, &first_record);
    let torn = fs::read(&segment).unwrap();

    recovers_three_in_place_and_continues(dir.path(), &segment, &torn).await;
}

#[tokio::test]
async fn a_zero_filled_tail_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let segment = journal_with(dir.path(), 2).await;
    append_bytes(&segment, &[0; 4096]);
    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay.len(), 2);
    assert_eq!(journal.append(vec![entry(3)]).await.unwrap(), 3);
    drop(journal);
    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(
        replay.len(),
        3,
        "the next recovery stops where the newer segment starts"
    );
}

#[tokio::test]
async fn a_running_writer_zero_fills_ahead_and_a_clean_stop_cuts_the_zeros_off() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal.append(vec![entry(1)]).await.unwrap();
    let segment = segments(dir.path()).pop().unwrap();
    let room = fs::metadata(&segment).unwrap().len();
    for n in 2..=20 {
        journal.append(vec![entry(n)]).await.unwrap();
    }
    let running = fs::read(&segment).unwrap();
    assert_eq!(
        running.len() as u64,
        room,
        "appends within the zero-filled room must not grow the file (each growth costs an \
         inode write in the flush)"
    );
    let end = records_end(&segment);
    assert_eq!(record_offsets(&segment).len(), 20);
    assert!(end < room, "no room after the records: {end} of {room} bytes");
    assert!(running[end as usize..].iter().all(|&b| b == 0));

    drop(journal);
    assert_eq!(fs::metadata(&segment).unwrap().len(), end);
}

#[tokio::test]
async fn a_crash_leaves_the_zero_filled_room_and_recovery_ends_the_log_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    for n in 1..=3 {
        journal.append(vec![entry(n)]).await.unwrap();
    }
    let segment = segments(dir.path()).pop().unwrap();
    // The file as a crash would leave it: the writer never got to cut the zeros off.
    let crashed = fs::read(&segment).unwrap();
    drop(journal);
    fs::write(&segment, &crashed).unwrap();
    assert!(crashed.len() as u64 > records_end(&segment));

    recovers_three_in_place_and_continues(dir.path(), &segment, &crashed).await;
}

#[tokio::test]
async fn a_zeroed_record_before_valid_records_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let segment = journal_with(dir.path(), 3).await;
    let offsets = record_offsets(&segment);
    let mut bytes = fs::read(&segment).unwrap();
    bytes[offsets[1] as usize..offsets[2] as usize].fill(0);
    fs::write(&segment, &bytes).unwrap();
    let message = expect_corrupt(dir.path(), &segment, offsets[1]);
    assert!(message.contains("valid records after it"), "{message}");
}

#[tokio::test]
async fn a_damaged_last_record_is_ignored_and_its_sequence_reused() {
    let dir = tempfile::tempdir().unwrap();
    let segment = journal_with(dir.path(), 3).await;
    flip_byte(&segment, fs::metadata(&segment).unwrap().len() - 1);

    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [stored(1, 1), stored(2, 2)]);
    assert_eq!(journal.last_sequence(), 2);
    assert_eq!(journal.append(vec![entry(30)]).await.unwrap(), 3);
    drop(journal);
    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [stored(1, 1), stored(2, 2), stored(30, 3)]);
}

#[tokio::test]
async fn damage_before_valid_records_is_corruption_at_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let segment = journal_with(dir.path(), 3).await;
    let offsets = record_offsets(&segment);
    flip_byte(&segment, offsets[1] + 10);
    let before = fs::read(&segment).unwrap();
    let message = expect_corrupt(dir.path(), &segment, offsets[1]);
    assert!(message.contains("checksum"), "{message}");
    assert_eq!(
        fs::read(&segment).unwrap(),
        before,
        "a refused journal must not be modified"
    );
}

#[tokio::test]
async fn a_damaged_length_in_the_middle_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let segment = journal_with(dir.path(), 3).await;
    let offsets = record_offsets(&segment);
    flip_byte(&segment, offsets[0] + 3);
    expect_corrupt(dir.path(), &segment, offsets[0]);
}

#[tokio::test]
async fn checkpoint_replaces_the_log_it_covers() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    for n in 1..=5 {
        journal.append(vec![entry(n)]).await.unwrap();
    }
    let old_segments = segments(dir.path());
    journal.checkpoint(vec![entry(100), entry(101)], 5).await.unwrap();
    assert_eq!(journal.entries_since_checkpoint(), 0);
    for n in 6..=8 {
        journal.append(vec![entry(n)]).await.unwrap();
    }
    assert_eq!(journal.entries_since_checkpoint(), 3);
    drop(journal);
    assert!(
        old_segments.iter().all(|s| !s.exists()),
        "covered segments must be deleted"
    );

    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(
        replay,
        [entry(100), entry(101), stored(6, 6), stored(7, 7), stored(8, 8)]
    );
    assert_eq!(journal.last_sequence(), 8);
    assert_eq!(journal.entries_since_checkpoint(), 3);
    assert_eq!(journal.append(vec![entry(9)]).await.unwrap(), 9);
}

#[tokio::test]
async fn log_entries_up_to_the_checkpoint_are_skipped_on_replay() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal
        .append(vec![entry(1), entry(2), entry(3), entry(4)])
        .await
        .unwrap();
    journal.checkpoint(vec![entry(100)], 2).await.unwrap();
    journal.append(vec![entry(5)]).await.unwrap();
    drop(journal);
    // The first segment still holds 3 and 4, so it stays.
    assert_eq!(segments(dir.path()).len(), 2);
    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [entry(100), stored(3, 3), stored(4, 4), stored(5, 5)]);
}

#[tokio::test]
async fn a_checkpoint_outside_the_appended_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal.append(vec![entry(1), entry(2), entry(3)]).await.unwrap();
    let ahead = journal.checkpoint(Vec::new(), 4).await.unwrap_err();
    assert!(matches!(
        ahead,
        JournalError::CheckpointOutOfRange {
            through_sequence: 4,
            ..
        }
    ));
    journal.checkpoint(Vec::new(), 2).await.unwrap();
    let behind = journal.checkpoint(Vec::new(), 1).await.unwrap_err();
    assert!(matches!(
        behind,
        JournalError::CheckpointOutOfRange { checkpointed: 2, .. }
    ));
}

#[tokio::test]
async fn a_leftover_checkpoint_tmp_is_ignored_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal.append(vec![entry(1), entry(2)]).await.unwrap();
    journal.checkpoint(vec![entry(100)], 2).await.unwrap();
    journal.append(vec![entry(3)]).await.unwrap();
    drop(journal);
    let tmp = dir.path().join("checkpoint.tmp");
    fs::write(&tmp, b"half a checkpoint from a crash").unwrap();

    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay, [entry(100), stored(3, 3)]);
    assert!(!tmp.exists());
}

#[tokio::test]
async fn a_damaged_checkpoint_stops_the_open() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal.append(vec![entry(1)]).await.unwrap();
    journal.checkpoint(vec![entry(100), entry(101)], 1).await.unwrap();
    drop(journal);
    let checkpoint = dir.path().join("checkpoint.00000000000000000001.e1");
    let len = fs::metadata(&checkpoint).unwrap().len();
    flip_byte(&checkpoint, len - 2);
    match Journal::open(dir.path()) {
        Err(JournalError::Corrupt { path, .. }) => assert_eq!(path, checkpoint),
        Err(other) => panic!("expected corruption, got {other}"),
        Ok(_) => panic!("a damaged checkpoint was accepted"),
    }
}

/// Every file in `dir` but the epoch markers, with its bytes.
fn files_but_epochs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|dirent| dirent.unwrap().path())
        .filter(|path| !path.file_name().unwrap().to_str().unwrap().starts_with("epoch."))
        .map(|path| (path.display().to_string(), fs::read(&path).unwrap()))
        .collect()
}

/// A checkpoint is decoded while it is replayed, so damage deep in it shows only then: the
/// claim whose replay failed must leave the journal as it found it, older checkpoint and log
/// included, so that removing the damaged checkpoint recovers from them.
#[tokio::test]
async fn a_checkpoint_found_damaged_while_replaying_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal.append((1..=5).map(entry).collect()).await.unwrap();
    journal.checkpoint(vec![entry(100)], 2).await.unwrap();
    journal.append(vec![entry(6)]).await.unwrap();
    drop(journal);
    let before = files_but_epochs(dir.path());
    // A newer checkpoint written by the next master, which crashed before its clean-up.
    let (journal, _) = Journal::open(dir.path()).unwrap();
    journal.checkpoint(vec![entry(200), entry(201)], 6).await.unwrap();
    drop(journal);
    let newer = dir.path().join("checkpoint.00000000000000000006.e2");
    let mut damaged = fs::read(&newer).unwrap();
    let last = damaged.len() - 2;
    damaged[last] ^= 0x20;
    for entry in fs::read_dir(dir.path()).unwrap() {
        fs::remove_file(entry.unwrap().path()).unwrap();
    }
    for (path, bytes) in &before {
        fs::write(path, bytes).unwrap();
    }
    fs::write(&newer, damaged).unwrap();
    let on_disk = files_but_epochs(dir.path());

    let location = JournalLocation::Local(dir.path().to_path_buf());
    let (claimed, replay) = Journal::open_at(&location, &Configuration::defaults(), None).unwrap();
    let read: Vec<_> = replay.collect();
    assert_eq!(
        read[0].as_ref().ok(),
        Some(&entry(200)),
        "the first entry is whole"
    );
    match &read[1..] {
        [Err(JournalError::Corrupt { path, .. })] => assert_eq!(path, &newer),
        other => panic!("expected the damage and nothing after it, got {other:?}"),
    }
    drop(claimed);
    assert_eq!(
        files_but_epochs(dir.path()),
        on_disk,
        "nothing written or deleted"
    );

    fs::remove_file(&newer).unwrap();
    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(
        replay,
        [entry(100), stored(3, 3), stored(4, 4), stored(5, 5), stored(6, 6)]
    );
}

/// Two segments: the first holds 1..=3 (the checkpoint covers only 1), the second 4..=5.
async fn two_segments(dir: &Path) -> Vec<PathBuf> {
    let (journal, _) = Journal::open(dir).unwrap();
    journal.append(vec![entry(1), entry(2), entry(3)]).await.unwrap();
    journal.checkpoint(vec![entry(100)], 1).await.unwrap();
    journal.append(vec![entry(4), entry(5)]).await.unwrap();
    drop(journal);
    let segments = segments(dir);
    assert_eq!(segments.len(), 2);
    segments
}

#[tokio::test]
async fn a_missing_segment_is_a_gap_named_at_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let segments = two_segments(dir.path()).await;
    fs::remove_file(&segments[0]).unwrap();
    let message = expect_corrupt(dir.path(), &segments[1], 0);
    assert!(message.contains("entries 2 to 3 are missing"), "{message}");
}

#[tokio::test]
async fn a_torn_end_of_an_older_segment_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let segments = two_segments(dir.path()).await;
    let last = *record_offsets(&segments[0]).last().unwrap();
    flip_byte(&segments[0], fs::metadata(&segments[0]).unwrap().len() - 1);
    expect_corrupt(dir.path(), &segments[0], last);
}

#[tokio::test]
async fn a_newest_segment_torn_while_being_created_holds_nothing_and_goes() {
    let dir = tempfile::tempdir().unwrap();
    journal_with(dir.path(), 3).await;
    let torn = dir.path().join(format!("log.{:020}.e1.after0", 4));
    fs::write(&torn, b"ALXJ").unwrap();

    let (journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay.len(), 3);
    assert!(!torn.exists(), "the new epoch's segment replaces it on the chain");
    assert_eq!(journal.append(vec![entry(4)]).await.unwrap(), 4);
    drop(journal);
    let (_journal, replay) = Journal::open(dir.path()).unwrap();
    assert_eq!(replay.last(), Some(&stored(4, 4)));
}
