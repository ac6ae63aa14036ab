//! Namespace tests without gRPC, journaling into memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use alluxio_journal::{JournalEntry, JournalError};
use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::{
    BlockHeartbeatRequest, BlockIdList, CommandType, CommitBlockRequest, LoadMetadataType, PersistenceState,
    RegisterWorkerRequest, TtlAction, WorkerNetAddress, WriteType,
};
use parking_lot::{Mutex, RwLock};

use super::tree::Tree;
use super::*;
use crate::journal_apply::Snapshot;
use crate::journal_writer::{Appending, JournalStore, JournalWriter};

/// A journal in memory: a checkpoint replaces everything up to its sequence by the snapshot.
#[derive(Default)]
pub(super) struct MemoryJournal {
    pub(super) entries: Mutex<Vec<JournalEntry>>,
    since_checkpoint: Mutex<u64>,
    next_sequence: Mutex<u64>,
    pub(super) checkpoints: Mutex<u64>,
}

impl MemoryJournal {
    /// Appends at once, as the journal queues.
    fn append_now(&self, entries: Vec<JournalEntry>) -> u64 {
        let mut next = self.next_sequence.lock();
        let mut log = self.entries.lock();
        for mut entry in entries {
            *next += 1;
            entry.sequence = *next;
            log.push(entry);
            *self.since_checkpoint.lock() += 1;
        }
        *next
    }
}

#[async_trait::async_trait]
impl JournalStore for MemoryJournal {
    fn enqueue(&self, entries: Vec<JournalEntry>) -> Appending {
        let last = self.append_now(entries);
        Box::pin(std::future::ready(Ok(last)))
    }
    fn last_sequence(&self) -> u64 {
        *self.next_sequence.lock()
    }
    fn entries_since_checkpoint(&self) -> u64 {
        *self.since_checkpoint.lock()
    }
    async fn checkpoint(&self, snapshot: Snapshot, through: u64) -> Result<(), JournalError> {
        let mut log = self.entries.lock();
        let tail: Vec<_> = log.iter().filter(|e| e.sequence > through).cloned().collect();
        *log = snapshot.into_iter().chain(tail).collect();
        *self.since_checkpoint.lock() = 0;
        *self.checkpoints.lock() += 1;
        Ok(())
    }
}

pub(super) struct Fixture {
    pub(super) fs: Arc<FileSystemMaster>,
    pub(super) journal: Arc<MemoryJournal>,
    pub(super) ufs_dir: tempfile::TempDir,
}

pub(super) fn fixture(checkpoint_period: u64) -> Fixture {
    let ufs_dir = tempfile::tempdir().expect("temp dir");
    fixture_over(Vec::new(), ufs_dir, checkpoint_period)
}

/// A master over the root UFS `ufs_dir` whose journal starts with `checkpoint`.
fn fixture_over(
    checkpoint: Vec<JournalEntry>,
    ufs_dir: tempfile::TempDir,
    checkpoint_period: u64,
) -> Fixture {
    let tree = Arc::new(RwLock::new(
        Tree::replay(&checkpoint).expect("checkpoint replays"),
    ));
    let journal = Arc::new(MemoryJournal::default());
    journal.append_now(checkpoint);
    let writer = JournalWriter::start(journal.clone(), tree.clone(), checkpoint_period);
    let settings = FsSettings {
        default_block_size: 100,
        umask: 0o022,
        owner: "alice".into(),
        group: "staff".into(),
        permissions: super::PermissionSettings {
            enabled: true,
            supergroup: "admins".into(),
        },
        root_ufs: ufs_dir.path().display().to_string(),
    };
    let conf = alluxio_conf::Configuration::defaults();
    let blocks = Arc::new(crate::block_master::BlockMaster::new(1));
    let fs = Arc::new(FileSystemMaster::new(
        tree,
        writer,
        blocks,
        UfsManager::new(&conf),
        settings,
    ));
    Fixture { fs, journal, ufs_dir }
}

pub(super) fn p(path: &str) -> AlluxioPath {
    AlluxioPath::new(path).expect("valid test path")
}

pub(super) fn file_options(write_type: WriteType) -> CreateFileOptions {
    CreateFileOptions {
        recursive: true,
        block_size: 0,
        write_type,
        ttl: 0,
        ttl_action: TtlAction::Delete,
        complete_empty: false,
    }
}

impl Fixture {
    /// Registers a worker and returns its id.
    pub(super) fn worker(&self, host: &str) -> u64 {
        let id = self.fs.blocks.worker_id(WorkerNetAddress {
            host: host.into(),
            rpc_port: 1,
            data_port: 2,
            web_port: 3,
        });
        self.fs
            .register_worker(RegisterWorkerRequest {
                worker_id: id,
                storage_tiers: vec!["MEM".into()],
                total_bytes_on_tiers: HashMap::from([("MEM".into(), 1000)]),
                ..Default::default()
            })
            .expect("register");
        id
    }

    /// Writes a MUST_CACHE file of `length` bytes through `worker`, block by block.
    pub(super) async fn write_cached(&self, path: &str, length: u64, worker: u64) {
        self.fs
            .create_file(&p(path), file_options(WriteType::MustCache))
            .await
            .expect("create");
        let mut left = length;
        while left > 0 {
            let block = self.fs.new_block_id(&p(path)).await.expect("block id");
            let size = left.min(100);
            self.fs
                .commit_block(CommitBlockRequest {
                    worker_id: worker,
                    tier_alias: "MEM".into(),
                    block_id: block,
                    length: size,
                    used_bytes_on_tier: 0,
                })
                .expect("commit");
            left -= size;
        }
        self.fs.complete_file(&p(path), length).await.expect("complete");
    }

    pub(super) fn replayed(&self) -> Tree {
        let entries = self.journal.entries.lock().clone();
        Tree::replay(&entries).expect("journal replays")
    }

    /// The master after a restart from a checkpoint of this one's tree, over the same UFS: what
    /// it kept only in memory is gone.
    pub(super) async fn restarted(self) -> Fixture {
        let checkpoint = self.fs.tree.read().snapshot();
        self.fs.close().await;
        fixture_over(checkpoint, self.ufs_dir, 1_000)
    }
}

pub(super) fn code(err: MasterError) -> tonic::Code {
    tonic::Status::from(err).code()
}

#[tokio::test]
async fn create_complete_and_status_report_blocks_and_locations() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    f.write_cached("/a/b/file", 250, worker).await;
    let info =
        f.fs.get_status(&p("/a/b/file"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert_eq!(info.length, 250);
    assert!(info.completed);
    assert_eq!(info.block_ids.len(), 3);
    assert_eq!(info.file_block_infos[2].offset, 200);
    let last = info.file_block_infos[2].block_info.clone().unwrap();
    assert_eq!(last.length, 50);
    assert_eq!(last.locations[0].worker_id, worker);
    assert_eq!(info.in_memory_percentage, 100);
    assert_eq!(info.mode, 0o644);
    assert_eq!(info.owner, "alice");
    assert_eq!(info.persistence_state(), PersistenceState::NotPersisted);
    let dir = f.fs.get_status(&p("/a"), LoadMetadataType::Never).await.unwrap();
    assert!(dir.folder);
    assert_eq!(dir.mode, 0o755);
    assert_eq!(f.replayed(), *f.fs.tree.read());
}

#[tokio::test]
async fn create_errors_name_the_path() {
    let f = fixture(1_000);
    let mut options = file_options(WriteType::MustCache);
    options.recursive = false;
    let err = f.fs.create_file(&p("/x/y"), options.clone()).await.unwrap_err();
    assert_eq!(err.to_string(), "Path /x does not exist");
    f.fs.create_file(&p("/f"), options.clone()).await.unwrap();
    let err = f.fs.create_file(&p("/f"), options.clone()).await.unwrap_err();
    assert_eq!(code(err), tonic::Code::AlreadyExists);
    let err = f.fs.create_file(&p("/f/g"), options).await.unwrap_err();
    assert!(
        matches!(err, MasterError::NotADirectory(ref path) if path == "/f"),
        "{err}"
    );
    let err = f.fs.complete_file(&p("/f"), 10).await.unwrap_err();
    assert_eq!(code(err), tonic::Code::FailedPrecondition);
    f.fs.complete_file(&p("/f"), 0).await.unwrap();
    let err = f.fs.new_block_id(&p("/f")).await.unwrap_err();
    assert!(matches!(err, MasterError::FileAlreadyCompleted(_)));
    f.fs.create_directory(&p("/d"), false, false, WriteType::MustCache)
        .await
        .unwrap();
    f.fs.create_directory(&p("/d"), false, true, WriteType::MustCache)
        .await
        .unwrap();
    let err =
        f.fs.create_directory(&p("/d"), false, false, WriteType::MustCache)
            .await;
    assert_eq!(code(err.unwrap_err()), tonic::Code::AlreadyExists);
}

#[tokio::test]
async fn delete_needs_recursive_and_frees_blocks_on_workers() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    f.write_cached("/d/f", 150, worker).await;
    let blocks =
        f.fs.get_status(&p("/d/f"), LoadMetadataType::Never)
            .await
            .unwrap()
            .block_ids;
    let err = f.fs.delete(&p("/d"), false, false).await.unwrap_err();
    assert!(matches!(err, MasterError::DirectoryNotEmpty(_)));
    f.fs.delete(&p("/d"), true, false).await.unwrap();
    let err =
        f.fs.get_status(&p("/d/f"), LoadMetadataType::Never)
            .await
            .unwrap_err();
    assert_eq!(err.to_string(), "Path /d/f does not exist");
    let response =
        f.fs.worker_heartbeat(BlockHeartbeatRequest {
            worker_id: worker,
            ..Default::default()
        })
        .await
        .unwrap();
    let command = response.command.unwrap();
    assert_eq!(command.command_type(), CommandType::Free);
    assert_eq!(command.block_ids, blocks);
    assert!(f.fs.blocks.block_info(blocks[0]).is_none());
}

#[tokio::test]
async fn rename_moves_subtrees_and_rejects_bad_targets() {
    let f = fixture(1_000);
    f.fs.create_directory(&p("/a/b"), true, false, WriteType::MustCache)
        .await
        .unwrap();
    f.fs.create_file(&p("/a/b/f"), file_options(WriteType::MustCache))
        .await
        .unwrap();
    let err = f.fs.rename(&p("/a"), &p("/a/b/c")).await.unwrap_err();
    assert_eq!(code(err), tonic::Code::InvalidArgument);
    let err = f.fs.rename(&p("/"), &p("/z")).await.unwrap_err();
    assert_eq!(code(err), tonic::Code::InvalidArgument);
    let err = f.fs.rename(&p("/a/b/f"), &p("/a/b")).await.unwrap_err();
    assert_eq!(code(err), tonic::Code::AlreadyExists);
    let err = f.fs.rename(&p("/a/b"), &p("/nope/b")).await.unwrap_err();
    assert_eq!(err.to_string(), "Path /nope does not exist");
    f.fs.rename(&p("/a/b"), &p("/c")).await.unwrap();
    let info =
        f.fs.get_status(&p("/c/f"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert_eq!(info.path, "/c/f");
    assert!(f.fs.tree.read().lookup(&p("/a/b")).is_none());
    assert_eq!(f.replayed(), *f.fs.tree.read());
}

#[tokio::test]
async fn free_needs_persisted_files_and_force_for_pinned() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    f.write_cached("/x", 10, worker).await;
    let err = f.fs.free(&p("/x"), false, false).await.unwrap_err();
    assert_eq!(err.to_string(), "Cannot free file /x which is not persisted");
    assert_eq!(code(err), tonic::Code::FailedPrecondition);

    let path = p("/t");
    f.fs.create_file(&path, file_options(WriteType::CacheThrough))
        .await
        .unwrap();
    let block = f.fs.new_block_id(&path).await.unwrap();
    f.fs.commit_block(CommitBlockRequest {
        worker_id: worker,
        tier_alias: "MEM".into(),
        block_id: block,
        length: 5,
        used_bytes_on_tier: 5,
    })
    .unwrap();
    std::fs::write(f.ufs_dir.path().join("t"), b"hello").unwrap();
    let info = f.fs.complete_file(&path, 5).await.unwrap();
    assert!(info.persisted);
    let pin = SetAttributeOptions {
        pinned: Some(true),
        ..Default::default()
    };
    f.fs.set_attribute(&path, pin).await.unwrap();
    let beat = BlockHeartbeatRequest {
        worker_id: worker,
        ..Default::default()
    };
    let pinned = f.fs.worker_heartbeat(beat).await.unwrap().pinned_file_ids;
    assert_eq!(pinned, vec![info.file_id]);
    assert!(matches!(
        f.fs.free(&path, false, false).await,
        Err(MasterError::Pinned(_))
    ));
    f.fs.free(&path, false, true).await.unwrap();
    let info = f.fs.get_status(&path, LoadMetadataType::Never).await.unwrap();
    assert_eq!(
        info.in_alluxio_percentage, 100,
        "cached until the worker drops it"
    );
    assert!(!info.pinned);
    let beat = |removed: Vec<u64>| BlockHeartbeatRequest {
        worker_id: worker,
        removed_block_ids: removed,
        ..Default::default()
    };
    let command =
        f.fs.worker_heartbeat(beat(vec![]))
            .await
            .unwrap()
            .command
            .unwrap();
    assert_eq!(
        (command.command_type(), command.block_ids),
        (CommandType::Free, vec![block])
    );
    f.fs.worker_heartbeat(beat(vec![block])).await.unwrap();
    let info = f.fs.get_status(&path, LoadMetadataType::Never).await.unwrap();
    assert_eq!(info.in_alluxio_percentage, 0);
}

#[tokio::test]
async fn through_writes_derive_blocks_and_delete_removes_the_ufs_copy() {
    let f = fixture(1_000);
    let path = p("/dir/through");
    f.fs.create_file(&path, file_options(WriteType::Through))
        .await
        .unwrap();
    std::fs::create_dir_all(f.ufs_dir.path().join("dir")).unwrap();
    std::fs::write(f.ufs_dir.path().join("dir/through"), vec![7u8; 230]).unwrap();
    let info = f.fs.complete_file(&path, 230).await.unwrap();
    assert_eq!(info.persistence_state(), PersistenceState::Persisted);
    assert_eq!(info.block_ids.len(), 3);
    assert_eq!(
        info.ufs_path,
        format!("{}/dir/through", f.ufs_dir.path().display())
    );
    let dir =
        f.fs.get_status(&p("/dir"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert!(dir.persisted, "the parent of a persisted file is persisted");
    f.fs.delete(&path, false, false).await.unwrap();
    assert!(!f.ufs_dir.path().join("dir/through").exists());
}

#[tokio::test]
async fn an_empty_file_is_created_complete_in_one_step() {
    let f = fixture(1_000);
    f.fs.create_directory(&p("/kept"), false, false, WriteType::MustCache)
        .await
        .unwrap();
    let complete_empty = |write_type| CreateFileOptions {
        complete_empty: true,
        ..file_options(write_type)
    };
    let info =
        f.fs.create_file(&p("/cached/new"), complete_empty(WriteType::MustCache))
            .await
            .unwrap();
    assert!(info.completed && !info.persisted, "{info:?}");
    assert_eq!((info.length, info.block_ids.len()), (0, 0));
    assert!(
        !f.ufs_dir.path().join("cached").exists(),
        "MUST_CACHE stays out of the UFS"
    );

    // Written through: the master makes the empty UFS file and persists the new and the
    // existing ancestors.
    for (name, write_type) in [
        ("/kept/deep/through", WriteType::Through),
        ("/kept/async", WriteType::AsyncThrough),
    ] {
        let info =
            f.fs.create_file(&p(name), complete_empty(write_type))
                .await
                .unwrap();
        assert!(info.completed && info.persisted, "{name}: {info:?}");
        let on_disk = f.ufs_dir.path().join(name.trim_start_matches('/'));
        assert_eq!(std::fs::read(&on_disk).unwrap(), b"", "{name}");
    }
    for dir in ["/kept", "/kept/deep"] {
        let status = f.fs.get_status(&p(dir), LoadMetadataType::Never).await.unwrap();
        assert!(status.persisted, "{dir} holds a persisted file");
    }

    // An existing path is refused before the UFS is touched.
    std::fs::write(f.ufs_dir.path().join("kept/async"), b"data").unwrap();
    let err =
        f.fs.create_file(&p("/kept/async"), complete_empty(WriteType::CacheThrough))
            .await
            .unwrap_err();
    assert_eq!(code(err), tonic::Code::AlreadyExists);
    assert_eq!(
        std::fs::read(f.ufs_dir.path().join("kept/async")).unwrap(),
        b"data"
    );
    assert_eq!(f.replayed(), *f.fs.tree.read());
}

#[tokio::test]
async fn listing_loads_ufs_metadata_as_the_load_type_says() {
    let f = fixture(1_000);
    std::fs::create_dir_all(f.ufs_dir.path().join("data/sub")).unwrap();
    std::fs::write(f.ufs_dir.path().join("data/one"), vec![1u8; 150]).unwrap();
    std::fs::write(f.ufs_dir.path().join("data/sub/two"), b"22").unwrap();
    let never =
        f.fs.list_status(&p("/"), false, LoadMetadataType::Never)
            .await
            .unwrap();
    assert!(never.is_empty());
    let root =
        f.fs.list_status(&p("/"), false, LoadMetadataType::Once)
            .await
            .unwrap();
    assert_eq!(
        root.iter().map(|i| i.path.as_str()).collect::<Vec<_>>(),
        ["/data"]
    );
    let all =
        f.fs.list_status(&p("/data"), true, LoadMetadataType::Once)
            .await
            .unwrap();
    let mut paths: Vec<_> = all.iter().map(|i| i.path.clone()).collect();
    paths.sort();
    assert_eq!(paths, ["/data/one", "/data/sub", "/data/sub/two"]);
    let one = all.iter().find(|i| i.path == "/data/one").unwrap();
    assert!(one.completed && one.persisted);
    assert_eq!((one.length, one.block_ids.len()), (150, 2));

    std::fs::write(f.ufs_dir.path().join("data/three"), b"3").unwrap();
    std::fs::remove_file(f.ufs_dir.path().join("data/one")).unwrap();
    let once =
        f.fs.list_status(&p("/data"), false, LoadMetadataType::Once)
            .await
            .unwrap();
    assert_eq!(once.len(), 2, "Once does not look again");
    let always =
        f.fs.list_status(&p("/data"), false, LoadMetadataType::Always)
            .await
            .unwrap();
    let mut names: Vec<_> = always.iter().map(|i| i.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["sub", "three"]);

    std::fs::write(f.ufs_dir.path().join("lonely"), b"x").unwrap();
    let info =
        f.fs.get_status(&p("/lonely"), LoadMetadataType::Once)
            .await
            .unwrap();
    assert_eq!(info.length, 1);
    assert_eq!(f.replayed(), *f.fs.tree.read());
}

#[tokio::test(start_paused = true)]
async fn async_through_is_persisted_by_a_worker_holding_the_blocks() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    let path = p("/async");
    f.fs.create_file(&path, file_options(WriteType::AsyncThrough))
        .await
        .unwrap();
    let block = f.fs.new_block_id(&path).await.unwrap();
    f.fs.commit_block(CommitBlockRequest {
        worker_id: worker,
        tier_alias: "MEM".into(),
        block_id: block,
        length: 40,
        used_bytes_on_tier: 40,
    })
    .unwrap();
    let info = f.fs.complete_file(&path, 40).await.unwrap();
    assert_eq!(info.persistence_state(), PersistenceState::ToBePersisted);
    let beat = |persisted: Vec<u64>, failed: Vec<u64>| BlockHeartbeatRequest {
        worker_id: worker,
        persisted_file_ids: persisted,
        failed_persist_file_ids: failed,
        ..Default::default()
    };
    let jobs =
        f.fs.worker_heartbeat(beat(vec![], vec![]))
            .await
            .unwrap()
            .persist_files;
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].file_id, jobs[0].length), (info.file_id, 40));
    assert!(jobs[0].ufs_path.ends_with("/async"));
    let failed =
        f.fs.worker_heartbeat(beat(vec![], vec![info.file_id]))
            .await
            .unwrap();
    assert!(failed.persist_files.is_empty(), "a failed job waits a moment");
    tokio::time::advance(std::time::Duration::from_secs(2)).await;
    let again = f.fs.worker_heartbeat(beat(vec![], vec![])).await.unwrap();
    assert_eq!(again.persist_files.len(), 1, "a failed job is handed out again");
    f.fs.worker_heartbeat(beat(vec![info.file_id], vec![]))
        .await
        .unwrap();
    let info = f.fs.get_status(&path, LoadMetadataType::Never).await.unwrap();
    assert_eq!(info.persistence_state(), PersistenceState::Persisted);
}

#[tokio::test]
async fn unknown_blocks_of_a_registering_worker_are_freed() {
    let f = fixture(1_000);
    let id = f.fs.blocks.worker_id(WorkerNetAddress {
        host: "w".into(),
        ..Default::default()
    });
    let stale = alluxio_proto::ids::block_id(999, 0);
    f.fs.register_worker(RegisterWorkerRequest {
        worker_id: id,
        current_blocks_on_tiers: HashMap::from([(
            "MEM".to_string(),
            BlockIdList {
                block_ids: vec![stale],
            },
        )]),
        ..Default::default()
    })
    .unwrap();
    let beat = BlockHeartbeatRequest {
        worker_id: id,
        ..Default::default()
    };
    let command = f.fs.worker_heartbeat(beat).await.unwrap().command.unwrap();
    assert_eq!(
        (command.command_type(), command.block_ids),
        (CommandType::Free, vec![stale])
    );
    let unknown = BlockHeartbeatRequest {
        worker_id: 12345,
        ..Default::default()
    };
    let command = f.fs.worker_heartbeat(unknown).await.unwrap().command.unwrap();
    assert_eq!(command.command_type(), CommandType::Register);
    let err =
        f.fs.commit_block(CommitBlockRequest {
            worker_id: id,
            block_id: stale,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(code(err), tonic::Code::NotFound);
}

#[tokio::test]
async fn ttl_deletes_or_frees_expired_files() {
    let f = fixture(1_000);
    let mut options = file_options(WriteType::MustCache);
    options.ttl = 1_000;
    f.fs.create_file(&p("/gone"), options.clone()).await.unwrap();
    f.fs.complete_file(&p("/gone"), 0).await.unwrap();
    let created =
        f.fs.get_status(&p("/gone"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert_eq!(f.fs.expire_ttl(created.creation_time_ms + 999).await, 0);
    assert_eq!(f.fs.expire_ttl(created.creation_time_ms + 1_000).await, 1);
    assert!(f.fs.tree.read().lookup(&p("/gone")).is_none());
}

/// Tiny deterministic generator, so a failing sequence can be rerun.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Model {
    Dir,
    File { complete: bool },
}

fn model_of(tree: &Tree) -> BTreeMap<String, Model> {
    let mut out = BTreeMap::new();
    for id in tree.subtree(tree::root_id()).into_iter().skip(1) {
        let inode = tree.get(id).unwrap();
        let kind = match &inode.kind {
            tree::InodeKind::Dir { .. } => Model::Dir,
            tree::InodeKind::File { completed, .. } => Model::File { complete: *completed },
        };
        out.insert(tree.path_of(id).unwrap().to_string(), kind);
    }
    out
}

/// Random mkdir/create/complete/rename/delete on a small alphabet against a BTreeMap model; the
/// tree must match the model after every operation, and the journal (with checkpoints every few
/// entries) must replay to the same tree.
#[tokio::test]
async fn random_operations_match_a_reference_model_and_replay() {
    for seed in 1..=4u64 {
        let f = fixture(7);
        let mut model: BTreeMap<String, Model> = BTreeMap::new();
        let mut rng = Lcg(seed);
        let names = ["a", "b"];
        let mut changes = 0;
        for _ in 0..400 {
            let before = model.clone();
            let depth = 1 + rng.below(3);
            let path: String = (0..depth).map(|_| format!("/{}", names[rng.below(2)])).collect();
            let path = p(&path);
            let key = path.to_string();
            let parent = path.parent().unwrap().to_string();
            let parent_ok = parent == "/" || model.get(&parent) == Some(&Model::Dir);
            let exists = model.contains_key(&key);
            match rng.below(5) {
                0 => {
                    let r =
                        f.fs.create_directory(&path, false, false, WriteType::MustCache)
                            .await;
                    assert_eq!(r.is_ok(), parent_ok && !exists, "mkdir {key}: {r:?}");
                    if r.is_ok() {
                        model.insert(key, Model::Dir);
                    }
                }
                1 => {
                    let mut options = file_options(WriteType::MustCache);
                    options.recursive = false;
                    let r = f.fs.create_file(&path, options).await;
                    assert_eq!(r.is_ok(), parent_ok && !exists, "create {key}: {r:?}");
                    if r.is_ok() {
                        model.insert(key, Model::File { complete: false });
                    }
                }
                2 => {
                    let r = f.fs.complete_file(&path, 0).await;
                    let ok = model.get(&key) == Some(&Model::File { complete: false });
                    assert_eq!(r.is_ok(), ok, "complete {key}: {r:?}");
                    if ok {
                        model.insert(key, Model::File { complete: true });
                    }
                }
                3 => {
                    let r = f.fs.delete(&path, true, true).await;
                    assert_eq!(r.is_ok(), exists, "delete {key}: {r:?}");
                    let below = format!("{key}/");
                    model.retain(|k, _| *k != key && !k.starts_with(&below));
                }
                _ => {
                    let dst: String = (0..1 + rng.below(2))
                        .map(|_| format!("/{}", names[rng.below(2)]))
                        .collect();
                    let dst = p(&dst);
                    let dst_key = dst.to_string();
                    let dst_parent = dst.parent().unwrap().to_string();
                    let ok = exists
                        && !model.contains_key(&dst_key)
                        && (dst_parent == "/" || model.get(&dst_parent) == Some(&Model::Dir))
                        && !path.is_ancestor_of(&dst);
                    let r = f.fs.rename(&path, &dst).await;
                    assert_eq!(r.is_ok(), ok, "rename {key} -> {dst_key}: {r:?}");
                    if ok {
                        let below = format!("{key}/");
                        let moved: Vec<_> = model
                            .iter()
                            .filter(|(k, _)| **k == key || k.starts_with(&below))
                            .map(|(k, v)| (k.clone(), *v))
                            .collect();
                        for (k, v) in moved {
                            model.remove(&k);
                            model.insert(format!("{dst_key}{}", &k[key.len()..]), v);
                        }
                    }
                }
            }
            let current = model_of(&f.fs.tree.read());
            assert_eq!(current, model, "seed {seed}");
            changes += usize::from(current != before);
        }
        assert!(
            changes >= 40,
            "seed {seed}: only {changes} operations changed anything"
        );
        f.fs.close().await;
        assert!(*f.journal.checkpoints.lock() > 0, "checkpoints were written");
        assert_eq!(f.replayed(), *f.fs.tree.read(), "seed {seed} replays");
    }
}

#[tokio::test]
async fn snapshot_rebuilds_the_tree_exactly() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    f.write_cached("/k/file", 120, worker).await;
    f.fs.create_file(&p("/k/open"), file_options(WriteType::MustCache))
        .await
        .unwrap();
    f.fs.new_block_id(&p("/k/open")).await.unwrap();
    let pin = SetAttributeOptions {
        pinned: Some(true),
        ttl: Some(5_000),
        ttl_action: Some(TtlAction::Free),
        recursive: true,
        ..Default::default()
    };
    f.fs.set_attribute(&p("/k"), pin).await.unwrap();
    f.fs.delete(&p("/k/open"), false, true).await.unwrap();
    // A folder taken in several pages keeps the modification time set after its children.
    for i in 0..2_100 {
        let empty = CreateFileOptions {
            complete_empty: true,
            ..file_options(WriteType::MustCache)
        };
        f.fs.create_file(&p(&format!("/big/f{i}")), empty).await.unwrap();
    }
    let old = SetAttributeOptions {
        modification_time_ms: Some(1_234),
        ..Default::default()
    };
    f.fs.set_attribute(&p("/big"), old).await.unwrap();
    let tree = f.fs.tree.read().clone();
    let rebuilt = Tree::replay(&tree.snapshot()).unwrap();
    let big = rebuilt.lookup(&p("/big")).unwrap().modification_ms;
    assert_eq!(big, 1_234);
    assert_eq!(rebuilt, tree);
    assert_eq!(rebuilt.next_container, tree.next_container);
}

/// Completing a file stamps its modification time, unless it is empty: its content is then
/// what its creation made (a program that creates a file and closes it sees one time).
#[tokio::test]
async fn completing_an_empty_file_keeps_its_creation_time() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    let empty =
        f.fs.create_file(&p("/empty"), file_options(WriteType::MustCache))
            .await
            .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let done = f.fs.complete_file(&p("/empty"), 0).await.unwrap();
    assert_eq!(done.last_modification_time_ms, empty.last_modification_time_ms);
    f.write_cached("/full", 10, worker).await;
    let full =
        f.fs.get_status(&p("/full"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert!(full.last_modification_time_ms >= full.creation_time_ms);
    let tree = f.fs.tree.read().clone();
    f.fs.close().await;
    assert_eq!(f.replayed(), tree);
}

/// Pages of a directory come in name order, each after the last name of the previous one,
/// even when that name has since been deleted; a file is a page of itself.
#[tokio::test]
async fn listing_by_pages_resumes_after_a_name() {
    let f = fixture(1_000);
    for i in 0..25 {
        f.fs.create_directory(&p(&format!("/big/e{i:02}")), true, false, WriteType::MustCache)
            .await
            .unwrap();
    }
    let page = |after: Option<String>, limit| {
        let fs = &f.fs;
        async move {
            fs.list_status_page(&p("/big"), LoadMetadataType::Never, None, after.as_deref(), limit)
                .await
                .unwrap()
                .into_iter()
                .map(|info| info.name)
                .collect::<Vec<_>>()
        }
    };
    let mut names = Vec::new();
    let mut after = None;
    loop {
        let got = page(after.clone(), 10).await;
        assert!(got.len() <= 10);
        if got.is_empty() {
            break;
        }
        after = got.last().cloned();
        names.extend(got);
        if names.len() == 10 {
            // The cursor's own entry disappears between two pages.
            f.fs.delete(&p("/big/e09"), false, false).await.unwrap();
        }
    }
    let expected: Vec<_> = (0..25).map(|i| format!("e{i:02}")).collect();
    assert_eq!(names, expected);
    assert_eq!(page(Some("e23".into()), 0).await, Vec::<String>::new());
    assert_eq!(page(Some("e22".into()), 100).await, ["e23", "e24"]);
    f.fs.create_file(&p("/f"), file_options(WriteType::MustCache))
        .await
        .unwrap();
    let file =
        f.fs.list_status_page(&p("/f"), LoadMetadataType::Never, None, None, 5)
            .await;
    assert_eq!(file.unwrap().len(), 1);
}

/// chmod, chown, chgrp and touch: shown by getStatus, kept by replay and by checkpoints, for
/// inodes created in Alluxio and loaded from the UFS alike; impossible values are refused.
#[tokio::test]
async fn mode_owner_group_and_modification_time_are_set_and_kept() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    f.write_cached("/d/file", 10, worker).await;
    std::fs::write(f.ufs_dir.path().join("from_ufs"), b"x").unwrap();
    f.fs.list_status(&p("/"), false, LoadMetadataType::Always)
        .await
        .unwrap();
    let change = SetAttributeOptions {
        mode: Some(0o4750),
        owner: Some("bob".into()),
        group: Some("eng".into()),
        modification_time_ms: Some(1_234_000),
        ..Default::default()
    };
    for path in ["/d/file", "/from_ufs"] {
        f.fs.set_attribute(&p(path), change.clone()).await.unwrap();
        let info = f.fs.get_status(&p(path), LoadMetadataType::Never).await.unwrap();
        assert_eq!(
            (info.mode, info.owner.as_str(), info.group.as_str()),
            (0o4750, "bob", "eng"),
            "{path}"
        );
        assert_eq!(info.last_modification_time_ms, 1_234_000, "{path}");
    }
    let only_mode = SetAttributeOptions {
        mode: Some(0o700),
        recursive: true,
        ..Default::default()
    };
    f.fs.set_attribute(&p("/d"), only_mode).await.unwrap();
    let info =
        f.fs.get_status(&p("/d/file"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert_eq!((info.mode, info.owner.as_str()), (0o700, "bob"));

    let tree = f.fs.tree.read().clone();
    assert_eq!(Tree::replay(&tree.snapshot()).unwrap(), tree, "checkpoint");
    f.fs.close().await;
    assert_eq!(f.replayed(), tree, "journal replay");

    let f = fixture(1_000);
    f.fs.create_directory(&p("/x"), false, false, WriteType::MustCache)
        .await
        .unwrap();
    for (bad, named) in [
        (
            SetAttributeOptions {
                mode: Some(0o10000),
                ..Default::default()
            },
            "10000",
        ),
        (
            SetAttributeOptions {
                owner: Some(String::new()),
                ..Default::default()
            },
            "owner",
        ),
        (
            SetAttributeOptions {
                group: Some("a:b".into()),
                ..Default::default()
            },
            "group",
        ),
    ] {
        let err = f.fs.set_attribute(&p("/x"), bad).await.unwrap_err();
        assert!(
            matches!(&err, MasterError::InvalidArgument(m) if m.contains(named) && m.contains("/x")),
            "{err:?}"
        );
    }
    let info = f.fs.get_status(&p("/x"), LoadMetadataType::Never).await.unwrap();
    assert_eq!((info.mode, info.owner.as_str()), (0o755, "alice"));
}

/// Concurrent operations on shared and unrelated parents: the journal order must still be an
/// order in which every entry applies, and replay must give the same tree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_operations_journal_in_apply_order() {
    let f = Arc::new(fixture(1_000));
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let f = f.clone();
            tokio::spawn(async move {
                let path = p(&format!("/d{}/sub{}/f{i}", i % 4, i % 8));
                f.fs.create_file(&path, file_options(WriteType::MustCache))
                    .await?;
                f.fs.complete_file(&path, 0).await?;
                if i % 3 == 0 {
                    f.fs.rename(&path, &p(&format!("/moved{i}"))).await?;
                }
                Ok::<_, MasterError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let listed =
        f.fs.list_status(&p("/"), true, LoadMetadataType::Never)
            .await
            .unwrap();
    let files = listed.iter().filter(|i| !i.folder).count();
    assert_eq!(files, 64);
    assert_eq!(f.replayed(), *f.fs.tree.read());
}

struct BrokenJournal;

#[async_trait::async_trait]
impl JournalStore for BrokenJournal {
    fn enqueue(&self, _: Vec<JournalEntry>) -> Appending {
        Box::pin(std::future::ready(Err(JournalError::Closed)))
    }
    fn last_sequence(&self) -> u64 {
        0
    }
    fn entries_since_checkpoint(&self) -> u64 {
        0
    }
    async fn checkpoint(&self, _: Snapshot, _: u64) -> Result<(), JournalError> {
        Err(JournalError::Closed)
    }
}

#[tokio::test]
async fn a_failed_journal_write_fails_the_operation_and_stops_changes() {
    let mut f = fixture(1_000);
    let tree = Arc::new(RwLock::new(Tree::new()));
    let fs = Arc::get_mut(&mut f.fs).expect("not shared yet");
    fs.journal = JournalWriter::start(Arc::new(BrokenJournal), tree.clone(), 1_000);
    fs.tree = tree;
    let err =
        f.fs.create_directory(&p("/x"), false, false, WriteType::MustCache)
            .await
            .unwrap_err();
    assert!(matches!(err, MasterError::JournalWrite(_)), "{err}");
    let err =
        f.fs.create_directory(&p("/y"), false, false, WriteType::MustCache)
            .await
            .unwrap_err();
    assert_eq!(code(err), tonic::Code::Unavailable);
    assert!(f.fs.tree.read().lookup(&p("/y")).is_none());
}

#[tokio::test]
async fn a_change_too_large_for_the_journal_is_refused_before_it_is_applied() {
    let f = fixture(1000);
    let huge = alluxio_proto::grpc::JournalMkdir {
        id: 1 << 40,
        parent_id: 0,
        name: "x".repeat(alluxio_journal::MAX_ENTRY_LEN),
        ..Default::default()
    };
    let err =
        f.fs.commit(|_, _| Ok((vec![Entry::Mkdir(huge)], ())))
            .await
            .unwrap_err();
    assert!(
        matches!(err, MasterError::EntryTooLarge { size, limit } if size > limit),
        "{err}"
    );
    assert_eq!(code(err), tonic::Code::InvalidArgument);
    assert!(f.journal.entries.lock().is_empty(), "nothing reached the journal");
    // The master still takes changes: its memory and its journal agree.
    f.fs.create_directory(&p("/after"), false, false, WriteType::MustCache)
        .await
        .unwrap();
    assert!(!f.journal.entries.lock().is_empty());
}
