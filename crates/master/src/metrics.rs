//! The master's metrics: namespace operations counted per RPC, gauges of the namespace and the
//! workers, and the cluster totals of what workers and clients report.

use std::sync::Arc;

use alluxio_metrics::names::{self, cluster_name};
use alluxio_metrics::{Metrics, RpcMethod, RpcMetricsLayer, RpcTimers};
use alluxio_proto::grpc::Metric;

use crate::cluster_metrics::{ClusterReports, SOURCE_EXPIRY};
use crate::namespace::FileSystemMaster;
use crate::ufs_space::UfsSpace;

/// Worker and client counters summed into `Cluster.*`.
const AGGREGATED: &[&str] = &[
    names::WORKER_BYTES_READ_ALLUXIO,
    names::WORKER_BYTES_WRITTEN_ALLUXIO,
    names::WORKER_BYTES_READ_UFS,
    names::WORKER_BYTES_WRITTEN_UFS,
    names::WORKER_BLOCKS_ACCESSED,
    names::WORKER_BLOCKS_EVICTED,
    names::CLIENT_BYTES_READ_LOCAL,
    names::CLIENT_BYTES_WRITTEN_LOCAL,
    names::CLIENT_BYTES_READ_REMOTE,
    names::CLIENT_BYTES_WRITTEN_REMOTE,
];

/// Cluster totals the metrics page draws as throughput charts.
pub(crate) const CHARTED: &[&str] = &[
    "Cluster.BytesReadAlluxio",
    "Cluster.BytesWrittenAlluxio",
    "Cluster.BytesReadUfs",
    "Cluster.BytesReadLocal",
];

/// Methods whose calls and successes Alluxio counts, with those counters' names.
const COUNTED: &[(&str, &str, &str)] = &[
    (
        "CreateFile",
        names::MASTER_CREATE_FILE_OPS,
        names::MASTER_FILES_CREATED,
    ),
    (
        "CreateDirectory",
        names::MASTER_CREATE_DIRECTORY_OPS,
        names::MASTER_DIRECTORIES_CREATED,
    ),
    (
        "CompleteFile",
        names::MASTER_COMPLETE_FILE_OPS,
        names::MASTER_FILES_COMPLETED,
    ),
    (
        "GetStatus",
        names::MASTER_GET_FILE_INFO_OPS,
        names::MASTER_FILE_INFOS_GOT,
    ),
    (
        "ListStatus",
        names::MASTER_GET_FILE_INFO_OPS,
        names::MASTER_FILE_INFOS_GOT,
    ),
    (
        "GetNewBlockIdForFile",
        names::MASTER_GET_NEW_BLOCK_OPS,
        names::MASTER_NEW_BLOCKS_GOT,
    ),
    (
        "Delete",
        names::MASTER_DELETE_PATH_OPS,
        names::MASTER_PATHS_DELETED,
    ),
    (
        "Rename",
        names::MASTER_RENAME_PATH_OPS,
        names::MASTER_PATHS_RENAMED,
    ),
    (
        "SetAttribute",
        names::MASTER_SET_ATTRIBUTE_OPS,
        names::MASTER_ATTRIBUTES_SET,
    ),
    ("Free", names::MASTER_FREE_FILE_OPS, names::MASTER_FILES_FREED),
    ("Mount", names::MASTER_MOUNT_OPS, names::MASTER_PATHS_MOUNTED),
    (
        "Unmount",
        names::MASTER_UNMOUNT_OPS,
        names::MASTER_PATHS_UNMOUNTED,
    ),
];

/// Methods only timed.
const TIMED: &[&str] = &[
    "ScheduleAsyncPersistence",
    "GetMountTable",
    "GetUfsInfo",
    "CheckConsistency",
    "GetBlockInfo",
    "GetWorkerInfoList",
    "GetBlockMasterInfo",
    "GetMasterInfo",
    "GetWorkerId",
    "RegisterWorker",
    "BlockHeartbeat",
    "CommitBlock",
    "MetricsHeartbeat",
    "GetMetrics",
];

/// The master's registry and the reports it aggregates.
pub(crate) struct MasterMetrics {
    pub(crate) registry: Metrics,
    reports: Arc<ClusterReports>,
    timers: RpcTimers,
}

impl MasterMetrics {
    /// Registers every master and cluster metric; gauges read `fs` when scraped.
    pub(crate) fn new(fs: &Arc<FileSystemMaster>, ufs_space: &Arc<UfsSpace>) -> Self {
        let registry = Metrics::new();
        let timers = rpc_timers(&registry);
        namespace_gauges(&registry, fs);
        let root_ufs = fs.settings.root_ufs.clone();
        let (space, root) = (ufs_space.clone(), root_ufs.clone());
        registry.gauge(
            names::MASTER_UFS_CAPACITY_TOTAL,
            "Capacity of the root UFS (-1: unknown).",
            move || space.get(&root).0 as f64,
        );
        let space = ufs_space.clone();
        registry.gauge(
            names::MASTER_UFS_CAPACITY_USED,
            "Bytes used in the root UFS (-1: unknown).",
            move || space.get(&root_ufs).1 as f64,
        );
        let reports = Arc::new(ClusterReports::new(AGGREGATED, SOURCE_EXPIRY));
        for name in AGGREGATED {
            let reports = reports.clone();
            let source = *name;
            registry.gauge(
                &cluster_name(name),
                &format!("Sum of {name} over the cluster."),
                move || reports.total(source),
            );
        }
        Self {
            registry,
            reports,
            timers,
        }
    }

    /// The layer that times and counts the RPC server's calls.
    pub(crate) fn rpc_layer(&self) -> RpcMetricsLayer {
        RpcMetricsLayer::new(self.timers.clone())
    }

    /// Records the counters a worker or client (`source`) reported.
    pub(crate) fn report(&self, source: &str, metrics: &[Metric]) {
        self.reports
            .report(source, metrics.iter().map(|m| (m.name.as_str(), m.value)));
    }
}

fn rpc_timers(registry: &Metrics) -> RpcTimers {
    let mut counters = std::collections::HashMap::new();
    let mut counter = |name: &'static str, help: &str| {
        counters
            .entry(name)
            .or_insert_with(|| registry.counter(name, help))
            .clone()
    };
    let mut methods: Vec<RpcMethod> = COUNTED
        .iter()
        .map(|(method, calls, successes)| {
            RpcMethod::counted(
                method,
                counter(calls, &format!("Calls of {method}.")),
                counter(successes, &format!("Successful calls of {method}.")),
            )
        })
        .collect();
    methods.extend(TIMED.iter().map(|method| RpcMethod::timed(method)));
    registry.rpc_timers(
        names::MASTER_RPC_LATENCY,
        "Latency of the master's RPCs.",
        methods,
    )
}

fn namespace_gauges(registry: &Metrics, fs: &Arc<FileSystemMaster>) {
    let gauge = |name: &str, help: &str, read: fn(&FileSystemMaster) -> f64| {
        let fs = Arc::downgrade(fs);
        registry.gauge(name, help, move || fs.upgrade().map_or(0.0, |fs| read(&fs)));
    };
    gauge(
        names::MASTER_TOTAL_PATHS,
        "Files and directories in the namespace.",
        |fs| fs.tree.read().len() as f64,
    );
    gauge(names::MASTER_FILES_PINNED, "Pinned files.", |fs| {
        fs.tree.read().pinned_files.len() as f64
    });
    gauge(
        names::MASTER_CAPACITY_TOTAL,
        "Capacity of all live workers.",
        |fs| fs.blocks.master_info().capacity_bytes as f64,
    );
    gauge(
        names::MASTER_CAPACITY_USED,
        "Bytes used on all live workers.",
        |fs| fs.blocks.master_info().used_bytes as f64,
    );
    gauge(
        names::MASTER_CAPACITY_FREE,
        "Bytes free on all live workers.",
        |fs| {
            let info = fs.blocks.master_info();
            info.capacity_bytes.saturating_sub(info.used_bytes) as f64
        },
    );
    gauge(names::MASTER_WORKERS, "Live workers.", |fs| {
        f64::from(fs.blocks.master_info().live_worker_num)
    });
    gauge(names::MASTER_LOST_WORKERS, "Lost workers.", |fs| {
        f64::from(fs.blocks.master_info().lost_worker_num)
    });
}
