//! The journal in an under file system, against the loopback S3 server: every batch published
//! as one object, checkpoints replacing the logs they cover, and damage refused by name.

#[path = "common/claims.rs"]
#[allow(dead_code, reason = "no standby here restarts from a checkpoint")]
mod claims;
#[allow(
    dead_code,
    reason = "segments() lists local log files, which a UFS journal has none of"
)]
mod common;

use alluxio_conf::Configuration;
use alluxio_journal::{Journal, JournalEntry, JournalError, JournalLocation, JournalTailer};
use alluxio_testkit::s3::S3Server;
use alluxio_ufs::UfsManager;
use claims::{begun, promoted, read_whole};
use common::{entry, stored};

const BUCKET: &str = "bucket";
const URI: &str = "s3://bucket/journal";

fn conf(server: &S3Server) -> Configuration {
    let mut conf = Configuration::defaults();
    for (key, value) in server.properties() {
        conf.set(&key, value);
    }
    conf
}

fn location() -> JournalLocation {
    JournalLocation::Ufs(URI.into())
}

/// Opens the journal off the runtime's threads, as the master does.
async fn open(conf: &Configuration) -> Result<(Journal, Vec<JournalEntry>), JournalError> {
    let conf = conf.clone();
    tokio::task::spawn_blocking(move || Ok(begun(Journal::open_at(&location(), &conf, None)?)))
        .await
        .unwrap()
}

/// Drops the journal off the runtime's threads (it waits for its writer and removes `LOCK`).
async fn close(journal: Journal) {
    tokio::task::spawn_blocking(move || drop(journal)).await.unwrap();
}

fn keys_under(server: &S3Server, prefix: &str) -> Vec<String> {
    server
        .keys(BUCKET)
        .unwrap()
        .into_iter()
        .filter(|key| key.starts_with(prefix) && !key.ends_with('/'))
        .collect()
}

/// The key of the log object of epoch 1 holding `first..=last`.
fn log_key(first: u64, last: u64) -> String {
    format!("journal/logs/{first:020}-{last:020}.e1.after0")
}

/// The key of the checkpoint of epoch 1 through `through`.
fn checkpoint_key(through: u64) -> String {
    format!("journal/checkpoints/{through:020}.e1")
}

fn sequences(entries: &[JournalEntry]) -> Vec<u64> {
    entries.iter().map(|e| e.sequence).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_objects_and_replay_after_reopen() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    let conf = conf(&server);
    let (journal, replay) = open(&conf).await.unwrap();
    assert!(replay.is_empty());
    assert_eq!(journal.location(), location());
    assert_eq!(journal.append(vec![entry(1), entry(2)]).await.unwrap(), 2);
    assert_eq!(journal.append(vec![entry(3)]).await.unwrap(), 3);
    assert_eq!(journal.flush_count(), 2);
    assert_eq!(
        keys_under(&server, "journal/logs/"),
        [log_key(1, 0), log_key(1, 2), log_key(3, 3)],
        "an empty object starts the epoch, then one object per batch"
    );
    let lock = keys_under(&server, "journal/LOCK");
    assert_eq!(lock, ["journal/LOCK"], "an open journal names its master");
    close(journal).await;
    assert!(
        keys_under(&server, "journal/LOCK").is_empty(),
        "a clean close removes LOCK"
    );

    let (journal, replay) = open(&conf).await.unwrap();
    assert_eq!(sequences(&replay), [1, 2, 3]);
    assert_eq!(replay[2], stored(3, 3));
    assert_eq!(journal.last_sequence(), 3);
    assert_eq!(journal.append(vec![entry(4)]).await.unwrap(), 4);
    close(journal).await;
    let (journal, replay) = open(&conf).await.unwrap();
    assert_eq!(sequences(&replay), [1, 2, 3, 4]);
    close(journal).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_deletes_covered_logs_and_recovery_starts_from_it() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    let conf = conf(&server);
    let (journal, _) = open(&conf).await.unwrap();
    for n in 1..=5 {
        journal.append(vec![entry(n)]).await.unwrap();
    }
    let snapshot = vec![entry(100), entry(101)];
    journal.checkpoint(snapshot.clone(), 5).await.unwrap();
    assert_eq!(journal.entries_since_checkpoint(), 0);
    assert_eq!(keys_under(&server, "journal/checkpoints/"), [checkpoint_key(5)]);
    assert_eq!(
        keys_under(&server, "journal/logs/"),
        [log_key(5, 5)],
        "every log was covered, but the newest object stays: it anchors the epoch's chain"
    );
    journal.append(vec![entry(6), entry(7)]).await.unwrap();
    journal.checkpoint(vec![entry(200)], 6).await.unwrap();
    assert_eq!(
        keys_under(&server, "journal/checkpoints/"),
        [checkpoint_key(6)],
        "an older checkpoint goes once a newer one is published"
    );
    assert_eq!(
        keys_under(&server, "journal/logs/"),
        [log_key(6, 7)],
        "a log object only partly covered stays"
    );
    journal.append(vec![entry(8)]).await.unwrap();
    close(journal).await;

    let (journal, replay) = open(&conf).await.unwrap();
    let mut expected = vec![entry(200)];
    expected.extend([stored(7, 7), stored(8, 8)]);
    assert_eq!(replay, expected, "the checkpoint, then only the entries after it");
    assert_eq!(journal.last_sequence(), 8);
    assert_eq!(journal.entries_since_checkpoint(), 2);
    close(journal).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_log_object_is_refused_by_uri_and_offset() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    let conf = conf(&server);
    let (journal, _) = open(&conf).await.unwrap();
    journal.append(vec![entry(1)]).await.unwrap();
    journal.append(vec![entry(2), entry(3)]).await.unwrap();
    close(journal).await;
    let ufs = UfsManager::new(&conf).get(URI).unwrap();
    let uri = format!("s3://bucket/{}", log_key(2, 3));
    let mut bytes = read(ufs.as_ref(), &uri).await;
    let last = bytes.len() - 1;
    bytes[last] ^= 0x10;
    assert!(server.put_object(BUCKET, &log_key(2, 3), bytes.clone()));
    let second_record = bytes.len() as u64 / 2;
    match open(&conf).await {
        Err(JournalError::Corrupt { path, offset, reason }) => {
            assert_eq!(path.to_str(), Some(uri.as_str()));
            assert_eq!(offset, second_record, "the damaged record is the object's second");
            assert!(reason.contains("checksum"), "{reason}");
        }
        Err(other) => panic!("expected corruption, got {other}"),
        Ok(_) => panic!("a damaged journal opened"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_log_object_is_a_gap_naming_the_next_one() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    let conf = conf(&server);
    let (journal, _) = open(&conf).await.unwrap();
    for n in 1..=3 {
        journal.append(vec![entry(n)]).await.unwrap();
    }
    close(journal).await;
    let ufs = UfsManager::new(&conf).get(URI).unwrap();
    ufs.delete_file(&format!("s3://bucket/{}", log_key(2, 2)))
        .await
        .unwrap();
    let err = open(&conf).await.err().expect("a journal with a gap opened");
    match &err {
        JournalError::Corrupt {
            path,
            offset: 0,
            reason,
        } => {
            assert_eq!(
                path.to_str(),
                Some(format!("s3://bucket/{}", log_key(3, 3)).as_str())
            );
            assert!(reason.contains("entries 2 to 2 are missing"), "{reason}");
        }
        other => panic!("expected a gap, got {other}"),
    }
    assert!(err.to_string().contains("s3://bucket/journal/logs/"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_master_lock_is_taken_over_and_format_empties_the_folder() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    let conf = conf(&server);
    // A master that died without closing left its LOCK: the next one warns and takes over.
    assert!(server.put_object(BUCKET, "journal/LOCK", "host=elsewhere pid=1 since_ms=0\n"));
    let (journal, _) = open(&conf).await.unwrap();
    journal.append(vec![entry(1)]).await.unwrap();
    journal.checkpoint(vec![entry(9)], 1).await.unwrap();
    journal.append(vec![entry(2)]).await.unwrap();
    close(journal).await;

    let location = location();
    let format_conf = conf.clone();
    let exists_conf = conf.clone();
    let existed = tokio::task::spawn_blocking(move || {
        let existed = location.exists(&exists_conf).unwrap();
        Journal::format_at(&location, &format_conf).unwrap();
        existed
    })
    .await
    .unwrap();
    assert!(existed);
    // Like a local folder, the (empty) journal directory stays: only its marker is left.
    let left = server.keys(BUCKET).unwrap();
    assert!(left.iter().all(|key| key.ends_with('/')), "left: {left:?}");
    let (journal, replay) = open(&conf).await.unwrap();
    assert!(replay.is_empty());
    assert_eq!(journal.last_sequence(), 0);
    close(journal).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_taking_over_a_journal_in_s3_fences_the_deposed_leader() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    let conf = conf(&server);
    let (old, _) = open(&conf).await.unwrap();
    old.append(vec![entry(1)]).await.unwrap();
    let tail_conf = conf.clone();
    let (new, replay, tail) = tokio::task::spawn_blocking(move || {
        let (tailer, replay) = JournalTailer::open(&location(), &tail_conf).unwrap();
        let replay = read_whole(replay);
        let (journal, tail) = promoted(tailer.promote()).unwrap();
        (journal, replay, tail)
    })
    .await
    .unwrap();
    assert_eq!(replay, [stored(1, 1)], "the standby followed the leader");
    assert!(tail.is_empty(), "{tail:?}");
    // The epoch marker was claimed with a conditional create (If-None-Match: *).
    assert_eq!(
        keys_under(&server, "journal/epochs/"),
        [
            "journal/epochs/00000000000000000001",
            "journal/epochs/00000000000000000002"
        ]
    );
    let err = old.append(vec![entry(2)]).await.unwrap_err();
    assert!(err.is_fenced(), "{err}");
    assert_eq!(new.append(vec![entry(3)]).await.unwrap(), 2);
    close(new).await;
    close(old).await;
    let conf = conf.clone();
    let (_, replay) = tokio::task::spawn_blocking(move || JournalTailer::open(&location(), &conf).unwrap())
        .await
        .unwrap();
    let replay = read_whole(replay);
    assert_eq!(
        replay,
        [stored(1, 1), stored(3, 2)],
        "the deposed leader's entry is never read"
    );
}

async fn read(ufs: &dyn alluxio_ufs::UnderFileSystem, uri: &str) -> Vec<u8> {
    ufs.read_all(uri).await.unwrap()
}
