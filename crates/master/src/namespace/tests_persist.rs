//! Asynchronous persistence: which worker gets a job, and what happens when the file is renamed
//! or deleted while the worker writes it, or the worker is asked to register again.

use std::time::Duration;

use alluxio_proto::grpc::{
    BlockHeartbeatRequest, CommandType, CommitBlockRequest, LoadMetadataType, PersistFile, PersistenceState,
    WriteType,
};

use super::tests::{Fixture, file_options, fixture, p};

impl Fixture {
    /// Writes an ASYNC_THROUGH file with one 40-byte block per worker in `holders`.
    pub(super) async fn write_async(&self, path: &str, holders: &[u64]) -> u64 {
        let path = p(path);
        self.fs
            .create_file(&path, file_options(WriteType::AsyncThrough))
            .await
            .expect("create");
        for worker in holders {
            let block_id = self.fs.new_block_id(&path).await.expect("block id");
            self.fs
                .commit_block(CommitBlockRequest {
                    worker_id: *worker,
                    tier_alias: "MEM".into(),
                    block_id,
                    length: 40,
                    used_bytes_on_tier: 40,
                })
                .expect("commit");
        }
        let length = 40 * holders.len() as u64;
        let info = self.fs.complete_file(&path, length).await.expect("complete");
        assert_eq!(info.persistence_state(), PersistenceState::ToBePersisted);
        info.file_id
    }

    pub(super) async fn jobs(&self, worker: u64) -> Vec<PersistFile> {
        self.beat(worker, Vec::new()).await.persist_files
    }

    pub(super) async fn beat(
        &self,
        worker: u64,
        persisted: Vec<u64>,
    ) -> alluxio_proto::grpc::BlockHeartbeatResponse {
        self.fs
            .worker_heartbeat(BlockHeartbeatRequest {
                worker_id: worker,
                persisted_file_ids: persisted,
                ..Default::default()
            })
            .await
            .expect("heartbeat")
    }

    /// Plays the worker: writes the job's UFS file.
    fn write_ufs(&self, job: &PersistFile, bytes: &[u8]) {
        let path = std::path::Path::new(&job.ufs_path);
        assert!(path.starts_with(self.ufs_dir.path()), "{}", job.ufs_path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write UFS file");
    }

    async fn state(&self, path: &str) -> PersistenceState {
        self.fs
            .get_status(&p(path), LoadMetadataType::Never)
            .await
            .expect("status")
            .persistence_state()
    }
}

#[tokio::test]
async fn a_file_spread_over_workers_goes_to_the_one_holding_most_blocks() {
    let f = fixture(1_000);
    let (w1, w2, w3) = (f.worker("w1"), f.worker("w2"), f.worker("w3"));
    let file = f.write_async("/spread", &[w1, w2, w2]).await;
    assert!(f.jobs(w3).await.is_empty(), "w3 holds none of the file");
    assert!(f.jobs(w1).await.is_empty(), "w2 holds more of the file");
    let jobs = f.jobs(w2).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].file_id, jobs[0].length, jobs[0].block_ids.len()),
        (file, 120, 3)
    );
    assert!(
        f.jobs(w2).await.is_empty(),
        "a handed-out job is not handed out twice"
    );
}

#[tokio::test]
async fn a_file_renamed_while_persisting_has_its_ufs_copy_moved() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    let file = f.write_async("/a/f", &[worker]).await;
    let job = f.jobs(worker).await.pop().expect("a job");
    f.write_ufs(&job, b"payload");
    f.fs.create_directory(&p("/b"), false, false, WriteType::MustCache)
        .await
        .unwrap();
    f.fs.rename(&p("/a/f"), &p("/b/g")).await.unwrap();
    f.beat(worker, vec![file]).await;
    assert_eq!(f.state("/b/g").await, PersistenceState::Persisted);
    let root = f.ufs_dir.path();
    assert_eq!(std::fs::read(root.join("b/g")).unwrap(), b"payload");
    assert!(!root.join("a/f").exists(), "the UFS copy moved");
    assert_eq!(f.replayed(), *f.fs.tree.read());
}

#[tokio::test]
async fn a_file_deleted_while_persisting_leaves_no_ufs_copy() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    let file = f.write_async("/gone", &[worker]).await;
    let job = f.jobs(worker).await.pop().expect("a job");
    f.write_ufs(&job, b"orphan");
    f.fs.delete(&p("/gone"), false, false).await.unwrap();
    f.beat(worker, vec![file]).await;
    assert!(!f.ufs_dir.path().join("gone").exists(), "the orphan is removed");
}

#[tokio::test]
async fn persist_results_count_when_the_worker_must_register_again() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    let file = f.write_async("/r", &[worker]).await;
    let job = f.jobs(worker).await.pop().expect("a job");
    f.write_ufs(&job, b"data");
    f.fs.blocks.detect_lost(Duration::ZERO);
    let answer = f.beat(worker, vec![file]).await;
    assert_eq!(answer.command.unwrap().command_type(), CommandType::Register);
    assert_eq!(f.state("/r").await, PersistenceState::Persisted);
}

#[tokio::test(start_paused = true)]
async fn a_failed_persist_is_handed_out_again_after_a_doubling_pause() {
    let f = fixture(1_000);
    let worker = f.worker("w1");
    let file = f.write_async("/retry", &[worker]).await;
    let fail = async || {
        f.fs.worker_heartbeat(BlockHeartbeatRequest {
            worker_id: worker,
            failed_persist_file_ids: vec![file],
            ..Default::default()
        })
        .await
        .expect("heartbeat")
        .persist_files
    };
    assert_eq!(f.jobs(worker).await.len(), 1);
    assert!(fail().await.is_empty(), "not handed out again at once");
    tokio::time::advance(Duration::from_millis(900)).await;
    assert!(f.jobs(worker).await.is_empty());
    tokio::time::advance(Duration::from_millis(200)).await;
    assert_eq!(f.jobs(worker).await.len(), 1, "handed out after one second");
    assert!(fail().await.is_empty());
    tokio::time::advance(Duration::from_millis(1_100)).await;
    assert!(f.jobs(worker).await.is_empty(), "the second pause is two seconds");
    tokio::time::advance(Duration::from_millis(1_000)).await;
    assert_eq!(f.jobs(worker).await.len(), 1);
    assert_eq!(f.state("/retry").await, PersistenceState::ToBePersisted);
}
