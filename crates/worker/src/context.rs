//! State shared by the worker's servers and background loops.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use alluxio_proto::grpc::{CommitBlockRequest, WorkerNetAddress};
use alluxio_ufs::{MountUfsCache, UfsManager, UnderFileSystem};

use crate::WorkerError;
use crate::master_client::MasterClient;
use crate::metrics::WorkerMetrics;
use crate::persist::PersistTracker;
use crate::store::{BlockMeta, BlockStore};

/// Everything a request handler or loop of one worker needs; no globals, so several workers can
/// live in one process.
pub(crate) struct WorkerContext {
    /// The tiered block store.
    pub store: BlockStore,
    /// What the worker counts.
    pub metrics: WorkerMetrics,
    /// Under file systems, for UFS reads and persistence.
    ufs: MountUfsCache,
    /// The master.
    pub master: MasterClient,
    /// The address advertised to the master.
    pub address: WorkerNetAddress,
    /// Milliseconds since the epoch at start.
    pub start_time_ms: i64,
    /// Monotonic start, for uptime.
    pub started: Instant,
    /// Persistence jobs running and finished since the last heartbeat.
    pub persist: PersistTracker,
    worker_id: AtomicU64,
}

impl WorkerContext {
    /// A context for a worker not yet registered (id 0).
    pub(crate) fn new(
        store: BlockStore,
        ufs: UfsManager,
        master: MasterClient,
        address: WorkerNetAddress,
    ) -> Self {
        let start_time_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Self {
            metrics: WorkerMetrics::new(&store),
            store,
            ufs: MountUfsCache::new(ufs),
            master,
            address,
            start_time_ms,
            started: Instant::now(),
            persist: PersistTracker::default(),
            worker_id: AtomicU64::new(0),
        }
    }

    /// The id the master gave this worker (it may change when the master asks to re-register).
    pub(crate) fn worker_id(&self) -> u64 {
        self.worker_id.load(Ordering::Acquire)
    }

    pub(crate) fn set_worker_id(&self, id: u64) {
        self.worker_id.store(id, Ordering::Release);
    }

    /// The UFS serving `uri`, opened with the options of mount `mount_id` (asked of the master
    /// once per mount, so credentials given at mount time reach this worker).
    pub(crate) async fn ufs(
        &self,
        mount_id: u64,
        uri: &str,
    ) -> Result<Arc<dyn UnderFileSystem>, WorkerError> {
        self.ufs
            .get(mount_id, uri, || async {
                Ok(self
                    .master
                    .ufs_info(mount_id)
                    .await?
                    .properties
                    .into_iter()
                    .collect())
            })
            .await
    }

    /// Used bytes of the tier called `alias`.
    pub(crate) fn used_on_tier(&self, alias: &str) -> u64 {
        self.store
            .usage()
            .into_iter()
            .find(|tier| tier.alias == alias)
            .map_or(0, |tier| tier.used)
    }

    /// Counts a block committed here and tells the master, so readers find it at once; a block of a
    /// pinned file is protected from eviction from then on, not only after the next heartbeat.
    pub(crate) async fn report_commit(&self, meta: &BlockMeta) -> Result<(), WorkerError> {
        let request = CommitBlockRequest {
            used_bytes_on_tier: self.used_on_tier(&meta.tier),
            tier_alias: meta.tier.clone(),
            block_id: meta.block_id,
            length: meta.length,
            ..Default::default()
        };
        self.metrics.bytes_written_alluxio.add(meta.length);
        if self.master.commit_block(request, || self.worker_id()).await? {
            self.store
                .pin_file(alluxio_proto::ids::file_id_of_block(meta.block_id));
        }
        Ok(())
    }
}
