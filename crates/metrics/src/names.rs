//! Metric names, as Alluxio spells them (`<Process>.<Name>`), and their Prometheus form.

// Master: namespace operations. `*Ops` counts every call, the other name each success.
/// CreateFile calls.
pub const MASTER_CREATE_FILE_OPS: &str = "Master.CreateFileOps";
/// Files created.
pub const MASTER_FILES_CREATED: &str = "Master.FilesCreated";
/// CreateDirectory calls.
pub const MASTER_CREATE_DIRECTORY_OPS: &str = "Master.CreateDirectoryOps";
/// Directories created.
pub const MASTER_DIRECTORIES_CREATED: &str = "Master.DirectoriesCreated";
/// CompleteFile calls.
pub const MASTER_COMPLETE_FILE_OPS: &str = "Master.CompleteFileOps";
/// Files completed.
pub const MASTER_FILES_COMPLETED: &str = "Master.FilesCompleted";
/// GetStatus and ListStatus calls.
pub const MASTER_GET_FILE_INFO_OPS: &str = "Master.GetFileInfoOps";
/// Successful GetStatus and ListStatus calls.
pub const MASTER_FILE_INFOS_GOT: &str = "Master.FileInfosGot";
/// GetNewBlockIdForFile calls.
pub const MASTER_GET_NEW_BLOCK_OPS: &str = "Master.GetNewBlockOps";
/// Block ids handed out.
pub const MASTER_NEW_BLOCKS_GOT: &str = "Master.NewBlocksGot";
/// Delete calls.
pub const MASTER_DELETE_PATH_OPS: &str = "Master.DeletePathOps";
/// Paths deleted.
pub const MASTER_PATHS_DELETED: &str = "Master.PathsDeleted";
/// Rename calls.
pub const MASTER_RENAME_PATH_OPS: &str = "Master.RenamePathOps";
/// Paths renamed.
pub const MASTER_PATHS_RENAMED: &str = "Master.PathsRenamed";
/// SetAttribute calls.
pub const MASTER_SET_ATTRIBUTE_OPS: &str = "Master.SetAttributeOps";
/// Attributes set.
pub const MASTER_ATTRIBUTES_SET: &str = "Master.AttributesSet";
/// Free calls.
pub const MASTER_FREE_FILE_OPS: &str = "Master.FreeFileOps";
/// Paths freed.
pub const MASTER_FILES_FREED: &str = "Master.FilesFreed";
/// Mount calls.
pub const MASTER_MOUNT_OPS: &str = "Master.MountOps";
/// Paths mounted.
pub const MASTER_PATHS_MOUNTED: &str = "Master.PathsMounted";
/// Unmount calls.
pub const MASTER_UNMOUNT_OPS: &str = "Master.UnmountOps";
/// Paths unmounted.
pub const MASTER_PATHS_UNMOUNTED: &str = "Master.PathsUnmounted";
// Master: gauges.
/// Files and directories in the namespace.
pub const MASTER_TOTAL_PATHS: &str = "Master.TotalPaths";
/// Pinned files.
pub const MASTER_FILES_PINNED: &str = "Master.FilesPinned";
/// Capacity of all workers.
pub const MASTER_CAPACITY_TOTAL: &str = "Master.CapacityTotal";
/// Bytes used on all workers.
pub const MASTER_CAPACITY_USED: &str = "Master.CapacityUsed";
/// Bytes free on all workers.
pub const MASTER_CAPACITY_FREE: &str = "Master.CapacityFree";
/// Live workers.
pub const MASTER_WORKERS: &str = "Master.Workers";
/// Lost workers.
pub const MASTER_LOST_WORKERS: &str = "Master.LostWorkers";
/// Root UFS capacity.
pub const MASTER_UFS_CAPACITY_TOTAL: &str = "Master.UfsCapacityTotal";
/// Root UFS bytes used.
pub const MASTER_UFS_CAPACITY_USED: &str = "Master.UfsCapacityUsed";
/// Latency of each RPC the master serves, one timer per method.
pub const MASTER_RPC_LATENCY: &str = "Master.RpcLatency";

// Worker.
/// Bytes read from this worker's storage (data port and UFS-cached reads).
pub const WORKER_BYTES_READ_ALLUXIO: &str = "Worker.BytesReadAlluxio";
/// Bytes written into this worker's storage.
pub const WORKER_BYTES_WRITTEN_ALLUXIO: &str = "Worker.BytesWrittenAlluxio";
/// Bytes read from under storage by this worker.
pub const WORKER_BYTES_READ_UFS: &str = "Worker.BytesReadUfs";
/// Bytes written to under storage by this worker (persistence, CACHE_THROUGH).
pub const WORKER_BYTES_WRITTEN_UFS: &str = "Worker.BytesWrittenUfs";
/// Blocks read.
pub const WORKER_BLOCKS_ACCESSED: &str = "Worker.BlocksAccessed";
/// Blocks held now.
pub const WORKER_BLOCKS_CACHED: &str = "Worker.BlocksCached";
/// Blocks evicted to make room.
pub const WORKER_BLOCKS_EVICTED: &str = "Worker.BlocksEvicted";
/// Capacity of all tiers.
pub const WORKER_CAPACITY_TOTAL: &str = "Worker.CapacityTotal";
/// Bytes used on all tiers.
pub const WORKER_CAPACITY_USED: &str = "Worker.CapacityUsed";
/// Bytes free on all tiers.
pub const WORKER_CAPACITY_FREE: &str = "Worker.CapacityFree";
/// Latency of each RPC the worker serves, one timer per method.
pub const WORKER_RPC_LATENCY: &str = "Worker.RpcLatency";

// Client.
/// Bytes read by short-circuit from a local worker's storage.
pub const CLIENT_BYTES_READ_LOCAL: &str = "Client.BytesReadLocal";
/// Bytes written by short-circuit into a local worker's storage.
pub const CLIENT_BYTES_WRITTEN_LOCAL: &str = "Client.BytesWrittenLocal";
/// Bytes read through a worker's data port.
pub const CLIENT_BYTES_READ_REMOTE: &str = "Client.BytesReadRemote";
/// Bytes written through a worker's data port.
pub const CLIENT_BYTES_WRITTEN_REMOTE: &str = "Client.BytesWrittenRemote";

/// The `Cluster.*` name aggregating a worker's or client's metric (`Worker.BytesReadUfs` ->
/// `Cluster.BytesReadUfs`).
pub fn cluster_name(name: &str) -> String {
    let metric = name.split_once('.').map_or(name, |(_, metric)| metric);
    format!("Cluster.{metric}")
}

/// The Prometheus form of an Alluxio name: snake case, `.` as `_` (`Master.FilesCreated` ->
/// `master_files_created`); Prometheus' linter rejects camel case.
pub fn prometheus_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out.trim_end_matches('_').to_string()
}

/// The Prometheus name of a gauge: [`prometheus_name`], with `_bytes` after capacities (their
/// unit, and `_total` may end only a counter's name).
///
/// # Panics
/// When the name would still end in `_total`: such a gauge needs another name.
pub fn prometheus_gauge_name(name: &str) -> String {
    let mut out = prometheus_name(name);
    if out.contains("capacity") && !out.contains("bytes") {
        out.push_str("_bytes");
    }
    assert!(
        !out.ends_with("_total"),
        "gauge {name} would be exported as {out}, a counter's suffix"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_names_are_snake_case() {
        assert_eq!(prometheus_name(MASTER_FILES_CREATED), "master_files_created");
        assert_eq!(prometheus_name(WORKER_BYTES_READ_UFS), "worker_bytes_read_ufs");
        assert_eq!(
            prometheus_name("Cluster.CapacityUsedTierMEM"),
            "cluster_capacity_used_tier_mem"
        );
        assert_eq!(prometheus_name("Master.RPCLatency"), "master_rpc_latency");
        assert_eq!(prometheus_name("Worker.Tier0Used"), "worker_tier0_used");
        assert_eq!(prometheus_name("a..b-"), "a_b");
    }

    #[test]
    fn capacity_gauges_carry_their_unit_instead_of_a_counter_suffix() {
        assert_eq!(
            prometheus_gauge_name(MASTER_CAPACITY_TOTAL),
            "master_capacity_total_bytes"
        );
        assert_eq!(
            prometheus_gauge_name(WORKER_CAPACITY_FREE),
            "worker_capacity_free_bytes"
        );
        assert_eq!(prometheus_gauge_name(MASTER_TOTAL_PATHS), "master_total_paths");
        assert_eq!(
            prometheus_gauge_name("Cluster.BytesReadAlluxio"),
            "cluster_bytes_read_alluxio"
        );
    }

    #[test]
    fn cluster_names_replace_the_process() {
        assert_eq!(
            cluster_name(WORKER_BYTES_READ_ALLUXIO),
            "Cluster.BytesReadAlluxio"
        );
        assert_eq!(cluster_name(CLIENT_BYTES_READ_LOCAL), "Cluster.BytesReadLocal");
    }
}
