//! Block ids of completed files, Free commands that must survive lost answers and
//! re-registrations, and checkpoints that must not hold up appends.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use alluxio_journal::{JournalEntry, JournalError};
use alluxio_proto::grpc::{
    BlockHeartbeatRequest, BlockIdList, CommandType, CommitBlockRequest, LoadMetadataType,
    RegisterWorkerRequest, WriteType,
};
use parking_lot::RwLock;
use tokio::sync::Semaphore;

use super::create::{MAX_BLOCKS_PER_FILE, block_sequence};
use super::modify::SetAttributeOptions;
use super::tests::{MemoryJournal, code, file_options, fixture, p};
use super::tree::Tree;
use crate::journal_apply::Snapshot;
use crate::journal_writer::{Appending, JournalStore, JournalWriter};

#[tokio::test]
async fn cache_through_completes_although_its_blocks_were_evicted() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    let path = p("/big");
    f.fs.create_file(&path, file_options(WriteType::CacheThrough))
        .await
        .unwrap();
    let mut blocks = Vec::new();
    for length in [100, 100, 50] {
        let block_id = f.fs.new_block_id(&path).await.unwrap();
        f.fs.commit_block(CommitBlockRequest {
            worker_id: worker,
            tier_alias: "MEM".into(),
            block_id,
            length,
            used_bytes_on_tier: 0,
        })
        .unwrap();
        blocks.push(block_id);
    }
    // The first two were evicted to make room for the last.
    f.fs.worker_heartbeat(BlockHeartbeatRequest {
        worker_id: worker,
        removed_block_ids: blocks[..2].to_vec(),
        ..Default::default()
    })
    .await
    .unwrap();
    let info = f.fs.complete_file(&path, 250).await.unwrap();
    assert_eq!(info.block_ids, blocks);
    assert_eq!(info.length, 250);
    let cached =
        f.fs.blocks
            .block_info(blocks[2])
            .expect("the cached block stays known");
    assert_eq!((cached.length, cached.locations.len()), (50, 1));
    assert!(f.fs.blocks.block_info(blocks[0]).is_none());
}

#[tokio::test]
async fn must_cache_still_needs_every_byte_committed() {
    let f = fixture(1_000);
    f.fs.create_file(&p("/short"), file_options(WriteType::MustCache))
        .await
        .unwrap();
    let err = f.fs.complete_file(&p("/short"), 10).await.unwrap_err();
    assert!(err.to_string().contains("committed blocks hold 0 bytes"), "{err}");
}

#[tokio::test]
async fn block_sequences_stop_at_the_maximum() {
    let limit = "file /x has reached the maximum of 16777214 blocks; use a larger block size";
    assert_eq!(MAX_BLOCKS_PER_FILE, 16_777_214);
    assert_eq!(
        block_sequence(&p("/x"), MAX_BLOCKS_PER_FILE - 1).unwrap(),
        16_777_213
    );
    let err = block_sequence(&p("/x"), MAX_BLOCKS_PER_FILE).unwrap_err();
    assert_eq!(err.to_string(), limit);
    assert_eq!(code(err), tonic::Code::InvalidArgument);

    let mut f = fixture(1_000);
    let mut options = file_options(WriteType::Through);
    options.block_size = 1;
    f.fs.create_file(&p("/x"), options).await.unwrap();
    let err =
        f.fs.complete_file(&p("/x"), MAX_BLOCKS_PER_FILE + 1)
            .await
            .unwrap_err();
    assert_eq!(err.to_string(), limit);
    Arc::get_mut(&mut f.fs)
        .expect("not shared yet")
        .settings
        .default_block_size = 0;
    let err =
        f.fs.create_file(&p("/zero"), file_options(WriteType::MustCache))
            .await
            .unwrap_err();
    assert_eq!(code(err), tonic::Code::InvalidArgument);
}

fn tier(blocks: &[u64]) -> HashMap<String, BlockIdList> {
    HashMap::from([(
        "MEM".to_string(),
        BlockIdList {
            block_ids: blocks.to_vec(),
        },
    )])
}

#[tokio::test]
async fn frees_are_sent_again_while_the_worker_still_reports_the_blocks() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    f.write_cached("/f", 200, worker).await;
    let blocks =
        f.fs.get_status(&p("/f"), LoadMetadataType::Never)
            .await
            .unwrap()
            .block_ids;
    let beat = |added: &[u64], removed: &[u64]| BlockHeartbeatRequest {
        worker_id: worker,
        added_blocks_on_tiers: tier(added),
        removed_block_ids: removed.to_vec(),
        ..Default::default()
    };
    let free = |command: Option<alluxio_proto::grpc::Command>| {
        let command = command.expect("a command");
        assert_eq!(command.command_type(), CommandType::Free);
        command.block_ids
    };
    let register = |reported: &[u64]| RegisterWorkerRequest {
        worker_id: worker,
        current_blocks_on_tiers: tier(reported),
        ..Default::default()
    };

    // Pending frees survive a registration for the blocks the worker still has.
    f.fs.blocks.free_blocks(&blocks);
    f.fs.register_worker(register(&blocks[..1])).unwrap();
    let answer = f.fs.worker_heartbeat(beat(&[], &[])).await.unwrap();
    assert_eq!(free(answer.command), blocks[..1].to_vec());

    // That answer was lost: a registration still listing the block frees it again.
    f.fs.register_worker(register(&blocks[..1])).unwrap();
    let answer = f.fs.worker_heartbeat(beat(&[], &[])).await.unwrap();
    assert_eq!(free(answer.command), blocks[..1].to_vec());

    // Lost again: the worker's next heartbeat repeats its report, which lists the block.
    let answer = f.fs.worker_heartbeat(beat(&blocks[..1], &[])).await.unwrap();
    assert_eq!(free(answer.command), blocks[..1].to_vec());

    // Once the worker reports the removal, nothing more is sent.
    let answer = f.fs.worker_heartbeat(beat(&[], &blocks[..1])).await.unwrap();
    assert_eq!(answer.command.unwrap().command_type(), CommandType::Nothing);
    let answer = f.fs.worker_heartbeat(beat(&[], &[])).await.unwrap();
    assert_eq!(answer.command.unwrap().command_type(), CommandType::Nothing);
    assert!(f.fs.blocks.block_info(blocks[0]).is_none());
}

/// A journal whose checkpoints wait until the test lets them finish.
struct GatedJournal {
    inner: MemoryJournal,
    gate: Semaphore,
    started: AtomicU64,
}

#[async_trait::async_trait]
impl JournalStore for GatedJournal {
    fn enqueue(&self, entries: Vec<JournalEntry>) -> Appending {
        self.inner.enqueue(entries)
    }
    fn last_sequence(&self) -> u64 {
        self.inner.last_sequence()
    }
    fn entries_since_checkpoint(&self) -> u64 {
        self.inner.entries_since_checkpoint()
    }
    async fn checkpoint(&self, snapshot: Snapshot, through: u64) -> Result<(), JournalError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.gate
            .acquire()
            .await
            .map_err(|_| JournalError::Closed)?
            .forget();
        self.inner.checkpoint(snapshot, through).await
    }
}

#[tokio::test]
async fn appends_go_on_while_a_checkpoint_is_written() {
    let mut f = fixture(1_000);
    let journal = Arc::new(GatedJournal {
        inner: MemoryJournal::default(),
        gate: Semaphore::new(0),
        started: AtomicU64::new(0),
    });
    let tree = Arc::new(RwLock::new(Tree::new()));
    let fs = Arc::get_mut(&mut f.fs).expect("not shared yet");
    fs.journal = JournalWriter::start(journal.clone(), tree.clone(), 2);
    fs.tree = tree;
    let create = |name: &'static str| {
        let fs = &f.fs;
        async move {
            let path = p(name);
            let created = fs.create_directory(&path, false, false, WriteType::MustCache);
            tokio::time::timeout(Duration::from_secs(10), created)
                .await
                .unwrap_or_else(|_| panic!("creating {name} waited for the checkpoint"))
                .unwrap();
        }
    };
    create("/a").await;
    create("/b").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while journal.started.load(Ordering::SeqCst) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no checkpoint started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for name in ["/c", "/d", "/e", "/f"] {
        create(name).await;
    }
    assert_eq!(
        journal.started.load(Ordering::SeqCst),
        1,
        "one checkpoint at a time"
    );
    journal.gate.add_permits(100);
    f.fs.close().await;
    assert!(*journal.inner.checkpoints.lock() >= 1);
    let entries = journal.inner.entries.lock().clone();
    let replayed = Tree::replay(&entries).expect("journal replays");
    assert_eq!(replayed, *f.fs.tree.read());
}

#[tokio::test]
async fn committing_a_block_of_a_pinned_file_tells_the_worker() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    let path = p("/pinned");
    f.fs.create_file(&path, file_options(WriteType::MustCache))
        .await
        .unwrap();
    let commit = |block_id| CommitBlockRequest {
        worker_id: worker,
        tier_alias: "MEM".into(),
        block_id,
        length: 5,
        used_bytes_on_tier: 5,
    };
    let first = f.fs.new_block_id(&path).await.unwrap();
    assert!(!f.fs.commit_block(commit(first)).unwrap());
    let pin = SetAttributeOptions {
        pinned: Some(true),
        ..Default::default()
    };
    f.fs.set_attribute(&path, pin).await.unwrap();
    let second = f.fs.new_block_id(&path).await.unwrap();
    // Pinned since: the worker learns it with the commit, before any heartbeat.
    assert!(f.fs.commit_block(commit(second)).unwrap());
}
