//! State shared by the worker's servers and background loops.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use alluxio_proto::grpc::{CommitBlockRequest, WorkerNetAddress};
use alluxio_ufs::{UfsManager, UnderFileSystem};
use parking_lot::Mutex;

use crate::WorkerError;
use crate::master_client::MasterClient;
use crate::persist::PersistTracker;
use crate::store::{BlockMeta, BlockStore};

/// Mount id of the root mount (0: a sender that names no mount); see `FileInfo.mount_id`.
const ROOT_MOUNT_ID: u64 = 1;

/// Everything a request handler or loop of one worker needs; no globals, so several workers can
/// live in one process.
pub(crate) struct WorkerContext {
    /// The tiered block store.
    pub store: BlockStore,
    /// Under file systems, for UFS reads and persistence.
    ufs: UfsManager,
    /// Options of each mount by mount id, as the master gave them (ids are never reused).
    mount_options: Mutex<HashMap<u64, Arc<BTreeMap<String, String>>>>,
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
            store,
            ufs,
            mount_options: Mutex::new(HashMap::new()),
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
        if mount_id <= ROOT_MOUNT_ID {
            // The root mount takes its properties from the configuration, as this process does.
            return Ok(self.ufs.get(uri)?);
        }
        let cached = self.mount_options.lock().get(&mount_id).cloned();
        let options = match cached {
            Some(options) => options,
            None => {
                let info = self.master.ufs_info(mount_id).await?;
                let options = Arc::new(info.properties.into_iter().collect());
                self.mount_options.lock().insert(mount_id, Arc::clone(&options));
                options
            }
        };
        Ok(self.ufs.get_with_options(uri, &options)?)
    }

    /// Used bytes of the tier called `alias`.
    pub(crate) fn used_on_tier(&self, alias: &str) -> u64 {
        self.store
            .usage()
            .into_iter()
            .find(|tier| tier.alias == alias)
            .map_or(0, |tier| tier.used)
    }

    /// Tells the master a block was committed here, so readers find it at once; a block of a
    /// pinned file is protected from eviction from then on, not only after the next heartbeat.
    pub(crate) async fn report_commit(&self, meta: &BlockMeta) -> Result<(), WorkerError> {
        let request = CommitBlockRequest {
            worker_id: self.worker_id(),
            used_bytes_on_tier: self.used_on_tier(&meta.tier),
            tier_alias: meta.tier.clone(),
            block_id: meta.block_id,
            length: meta.length,
            ..Default::default()
        };
        if self.master.commit_block(request).await? {
            self.store
                .pin_file(alluxio_proto::ids::file_id_of_block(meta.block_id));
        }
        Ok(())
    }
}
