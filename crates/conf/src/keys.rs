//! Property names, as Alluxio 1.x spells them. Use these constants instead of string literals.

/// Install directory of the distribution.
pub const HOME: &str = "alluxio.home";
/// Version of this build.
pub const VERSION: &str = "alluxio.version";
/// Working directory: journal, logs and the default UFS live below it.
pub const WORK_DIR: &str = "alluxio.work.dir";
/// Where `alluxio-site.properties` is looked for first.
pub const CONF_DIR: &str = "alluxio.conf.dir";
/// Comma-separated directories searched for `alluxio-site.properties`.
pub const SITE_CONF_DIR: &str = "alluxio.site.conf.dir";
/// Log directory.
pub const LOGS_DIR: &str = "alluxio.logs.dir";

/// Host name clients and workers use to reach the master.
pub const MASTER_HOSTNAME: &str = "alluxio.master.hostname";
/// Address the master's RPC server binds to.
pub const MASTER_BIND_HOST: &str = "alluxio.master.bind.host";
/// Master RPC port.
pub const MASTER_PORT: &str = "alluxio.master.port";
/// Address the master's web server binds to.
pub const MASTER_WEB_BIND_HOST: &str = "alluxio.master.web.bind.host";
/// Master web port.
pub const MASTER_WEB_PORT: &str = "alluxio.master.web.port";
/// Journal location: a local path (or, later, a UFS URI).
pub const MASTER_JOURNAL_FOLDER: &str = "alluxio.master.journal.folder";
/// Journal type (only UFS, a folder-based journal, is supported).
pub const MASTER_JOURNAL_TYPE: &str = "alluxio.master.journal.type";
/// Entries written between two checkpoints.
pub const MASTER_JOURNAL_CHECKPOINT_PERIOD_ENTRIES: &str = "alluxio.master.journal.checkpoint.period.entries";
/// Where inodes are kept: HEAP (memory) or ROCKS (disk, with a cache).
pub const MASTER_METASTORE: &str = "alluxio.master.metastore";
/// Folder of the ROCKS metastore's file.
pub const MASTER_METASTORE_DIR: &str = "alluxio.master.metastore.dir";
/// Inodes (and as many folder entries) the ROCKS metastore caches in memory.
pub const MASTER_METASTORE_INODE_CACHE_MAX_SIZE: &str = "alluxio.master.metastore.inode.cache.max.size";
/// UFS mounted at `/`.
pub const MASTER_MOUNT_TABLE_ROOT_UFS: &str = "alluxio.master.mount.table.root.ufs";
/// Older name of the root UFS (the default of the key above refers to it).
pub const UNDERFS_ADDRESS: &str = "alluxio.underfs.address";
/// A worker silent this long is lost.
pub const MASTER_WORKER_TIMEOUT: &str = "alluxio.master.worker.timeout";
/// How often the master checks for lost workers.
pub const MASTER_WORKER_HEARTBEAT_INTERVAL: &str = "alluxio.master.worker.heartbeat.interval";
/// Whether the master checks the namespace against the UFS after starting.
pub const MASTER_STARTUP_CONSISTENCY_CHECK_ENABLED: &str = "alluxio.master.startup.consistency.check.enabled";
/// How often meters and gauges are sampled for the web UI's charts (master and workers).
pub const MASTER_METRICS_TIME_SERIES_INTERVAL: &str = "alluxio.master.metrics.time.series.interval";
/// How often the master checks TTLs.
pub const MASTER_TTL_CHECKER_INTERVAL: &str = "alluxio.master.ttl.checker.interval";
/// Comma-separated `host:port` RPC addresses of the masters, tried in turn without ZooKeeper.
pub const MASTER_RPC_ADDRESSES: &str = "alluxio.master.rpc.addresses";

/// Whether masters elect their leader through ZooKeeper (high availability).
pub const ZOOKEEPER_ENABLED: &str = "alluxio.zookeeper.enabled";
/// ZooKeeper connect string, `host:port[,host:port...]`.
pub const ZOOKEEPER_ADDRESS: &str = "alluxio.zookeeper.address";
/// ZooKeeper directory of the masters' election nodes.
pub const ZOOKEEPER_ELECTION_PATH: &str = "alluxio.zookeeper.election.path";
/// ZooKeeper directory where the leading master publishes its `host:port`.
pub const ZOOKEEPER_LEADER_PATH: &str = "alluxio.zookeeper.leader.path";
/// ZooKeeper session timeout: how long a silent master keeps its place and its leadership.
pub const ZOOKEEPER_SESSION_TIMEOUT: &str = "alluxio.zookeeper.session.timeout";
/// How many times clients and workers look for the leader in ZooKeeper before giving up.
pub const ZOOKEEPER_LEADER_INQUIRY_RETRY: &str = "alluxio.zookeeper.leader.inquiry.retry";

/// Host name the worker advertises.
pub const WORKER_HOSTNAME: &str = "alluxio.worker.hostname";
/// Address the worker's servers bind to.
pub const WORKER_BIND_HOST: &str = "alluxio.worker.bind.host";
/// Worker RPC port.
pub const WORKER_PORT: &str = "alluxio.worker.port";
/// Worker data port.
pub const WORKER_DATA_PORT: &str = "alluxio.worker.data.port";
/// Worker web port.
pub const WORKER_WEB_PORT: &str = "alluxio.worker.web.port";
/// Size of the worker's memory tier.
pub const WORKER_MEMORY_SIZE: &str = "alluxio.worker.memory.size";
/// Number of storage tiers.
pub const WORKER_TIERED_STORE_LEVELS: &str = "alluxio.worker.tieredstore.levels";
/// Whether the space reserver evicts between the watermarks in the background.
pub const WORKER_TIERED_STORE_RESERVER_ENABLED: &str = "alluxio.worker.tieredstore.reserver.enabled";
/// How often the space reserver runs.
pub const WORKER_TIERED_STORE_RESERVER_INTERVAL: &str = "alluxio.worker.tieredstore.reserver.interval";
/// Allocator class (MaxFreeAllocator, GreedyAllocator, RoundRobinAllocator).
pub const WORKER_ALLOCATOR_CLASS: &str = "alluxio.worker.allocator.class";
/// Evictor class (LRUEvictor, GreedyEvictor).
pub const WORKER_EVICTOR_CLASS: &str = "alluxio.worker.evictor.class";
/// Interval between worker heartbeats to the master.
pub const WORKER_BLOCK_HEARTBEAT_INTERVAL: &str = "alluxio.worker.block.heartbeat.interval";
/// How long a worker keeps retrying the master before giving up.
pub const WORKER_BLOCK_HEARTBEAT_TIMEOUT: &str = "alluxio.worker.block.heartbeat.timeout";

/// Alias of tier `level` (MEM, SSD, HDD).
pub fn tier_alias(level: usize) -> String {
    format!("alluxio.worker.tieredstore.level{level}.alias")
}
/// Comma-separated directories of tier `level`.
pub fn tier_dirs_path(level: usize) -> String {
    format!("alluxio.worker.tieredstore.level{level}.dirs.path")
}
/// Comma-separated quotas of the directories of tier `level`.
pub fn tier_dirs_quota(level: usize) -> String {
    format!("alluxio.worker.tieredstore.level{level}.dirs.quota")
}
/// Usage ratio above which tier `level` evicts.
pub fn tier_watermark_high(level: usize) -> String {
    format!("alluxio.worker.tieredstore.level{level}.watermark.high.ratio")
}
/// Usage ratio tier `level` evicts down to.
pub fn tier_watermark_low(level: usize) -> String {
    format!("alluxio.worker.tieredstore.level{level}.watermark.low.ratio")
}

/// Host name clients consider local (unset: this machine's host name).
pub const USER_HOSTNAME: &str = "alluxio.user.hostname";
/// Block size of new files.
pub const USER_BLOCK_SIZE_BYTES_DEFAULT: &str = "alluxio.user.block.size.bytes.default";
/// Client buffer size for streams.
pub const USER_FILE_BUFFER_BYTES: &str = "alluxio.user.file.buffer.bytes";
/// Default read type.
pub const USER_FILE_READ_TYPE_DEFAULT: &str = "alluxio.user.file.readtype.default";
/// Default write type.
pub const USER_FILE_WRITE_TYPE_DEFAULT: &str = "alluxio.user.file.writetype.default";
/// Tier new blocks are written to.
pub const USER_FILE_WRITE_TIER_DEFAULT: &str = "alluxio.user.file.write.tier.default";
/// When listing loads UFS metadata: Once, Always or Never.
pub const USER_FILE_METADATA_LOAD_TYPE: &str = "alluxio.user.file.metadata.load.type";
/// How stale metadata may be before getStatus/listStatus sync it with the UFS: -1 never, 0 always.
pub const USER_FILE_METADATA_SYNC_INTERVAL: &str = "alluxio.user.file.metadata.sync.interval";
/// Cache a whole block even when only part of it is read.
pub const USER_FILE_CACHE_PARTIALLY_READ_BLOCK: &str = "alluxio.user.file.cache.partially.read.block";
/// Copy blocks read from a remote worker to the local one.
pub const USER_FILE_PASSIVE_CACHE_ENABLED: &str = "alluxio.user.file.passive.cache.enabled";
/// Read block files directly when the worker is on this host.
pub const USER_SHORT_CIRCUIT_ENABLED: &str = "alluxio.user.short.circuit.enabled";
/// Policy choosing the worker for each new block (LocalFirstPolicy, LocalFirstAvoidEvictionPolicy,
/// MostAvailableFirstPolicy, RoundRobinPolicy or SpecificHostPolicy, which uses the worker on
/// the host named by `alluxio.worker.hostname`).
pub const USER_FILE_WRITE_LOCATION_POLICY: &str = "alluxio.user.file.write.location.policy.class";
/// Policy choosing the worker that reads a block from the UFS (the same policies as for writes).
pub const USER_UFS_BLOCK_READ_LOCATION_POLICY: &str = "alluxio.user.ufs.block.read.location.policy";
/// Whether clients report their metrics to the master.
pub const USER_METRICS_COLLECTION_ENABLED: &str = "alluxio.user.metrics.collection.enabled";
/// How often a client reports its metrics to the master.
pub const USER_METRICS_HEARTBEAT_INTERVAL: &str = "alluxio.user.metrics.heartbeat.interval";
/// How long a client keeps retrying an unreachable master.
pub const USER_RPC_RETRY_MAX_DURATION: &str = "alluxio.user.rpc.retry.max.duration";
/// First pause of an RPC retry loop (clients and workers calling the master); doubled per failure.
pub const USER_RPC_RETRY_BASE_SLEEP: &str = "alluxio.user.rpc.retry.base.sleep";
/// Longest pause of an RPC retry loop.
pub const USER_RPC_RETRY_MAX_SLEEP: &str = "alluxio.user.rpc.retry.max.sleep";

/// Authentication type (NOSASL or SIMPLE).
pub const SECURITY_AUTHENTICATION_TYPE: &str = "alluxio.security.authentication.type";
/// Whether permissions are checked.
pub const SECURITY_AUTHORIZATION_PERMISSION_ENABLED: &str =
    "alluxio.security.authorization.permission.enabled";
/// Umask of new files and directories.
pub const SECURITY_AUTHORIZATION_PERMISSION_UMASK: &str = "alluxio.security.authorization.permission.umask";
/// Super group.
pub const SECURITY_AUTHORIZATION_PERMISSION_SUPERGROUP: &str =
    "alluxio.security.authorization.permission.supergroup";
/// User name to log in as (default: the OS user).
pub const SECURITY_LOGIN_USERNAME: &str = "alluxio.security.login.username";
/// User a client acts for: `_NONE_`, `_HDFS_USER_` (the Hadoop client's user) or a name.
pub const SECURITY_LOGIN_IMPERSONATION_USERNAME: &str = "alluxio.security.login.impersonation.username";

/// Connections each web port (master, worker, proxy) serves at once.
pub const WEB_CONNECTIONS_MAX: &str = "alluxio.web.connections.max";
/// Longest a request head may take to arrive on a web port.
pub const WEB_HEADER_READ_TIMEOUT: &str = "alluxio.web.header.read.timeout";
/// Connections each gRPC port (master, worker) serves at once.
pub const RPC_CONNECTIONS_MAX: &str = "alluxio.rpc.connections.max";
/// Longest a new connection to a gRPC port may send nothing before it is closed.
pub const RPC_CONNECTION_SILENT_TIMEOUT: &str = "alluxio.rpc.connection.silent.timeout";
/// How often the master's gRPC port pings each connection (HTTP/2 keep-alive).
pub const MASTER_NETWORK_KEEPALIVE_TIME: &str = "alluxio.master.network.keepalive.time";
/// How long the master waits for a keep-alive answer before closing the connection.
pub const MASTER_NETWORK_KEEPALIVE_TIMEOUT: &str = "alluxio.master.network.keepalive.timeout";
/// How often a worker's gRPC port pings each connection (HTTP/2 keep-alive).
pub const WORKER_NETWORK_KEEPALIVE_TIME: &str = "alluxio.worker.network.keepalive.time";
/// How long a worker waits for a keep-alive answer before closing the connection.
pub const WORKER_NETWORK_KEEPALIVE_TIMEOUT: &str = "alluxio.worker.network.keepalive.timeout";
/// Connections the worker's data port serves at once.
pub const WORKER_DATA_SERVER_CONNECTIONS_MAX: &str = "alluxio.worker.data.server.connections.max";

/// Proxy (REST and S3) web port.
pub const PROXY_WEB_PORT: &str = "alluxio.proxy.web.port";
/// Address the proxy's web port binds.
pub const PROXY_WEB_BIND_HOST: &str = "alluxio.proxy.web.bind.host";
/// How long an idle REST stream stays open.
pub const PROXY_STREAM_CACHE_TIMEOUT: &str = "alluxio.proxy.stream.cache.timeout";
/// Write type of files written through the S3 API.
pub const PROXY_S3_WRITETYPE: &str = "alluxio.proxy.s3.writetype";
/// Whether S3 deletes remove the UFS copy too.
pub const PROXY_S3_DELETETYPE: &str = "alluxio.proxy.s3.deletetype";
/// Suffix of the temporary directory holding a multipart upload's parts.
pub const PROXY_S3_MULTIPART_TEMPORARY_DIR_SUFFIX: &str = "alluxio.proxy.s3.multipart.temporary.dir.suffix";
/// Port serving the S3 API at its root; unset = only under /api/v1/s3 of the web port.
pub const PROXY_S3_PORT: &str = "alluxio.proxy.s3.port";
/// Alluxio directory whose children are the S3 buckets.
pub const PROXY_S3_BUCKET_ROOT: &str = "alluxio.proxy.s3.bucket.root";
/// Domain under which `<bucket>.<domain>` hosts name a bucket (virtual-host style).
pub const PROXY_S3_VIRTUAL_HOST_DOMAIN: &str = "alluxio.proxy.s3.virtual.host.domain";
/// Access key whose SigV4 signatures the S3 API verifies (with the secret key).
pub const PROXY_S3_ACCESS_KEY: &str = "alluxio.proxy.s3.access.key";
/// Secret key of `alluxio.proxy.s3.access.key`.
pub const PROXY_S3_SECRET_KEY: &str = "alluxio.proxy.s3.secret.key";
/// File of `access_key secret_key` lines whose signatures the S3 API verifies.
pub const PROXY_S3_CREDENTIALS_FILE: &str = "alluxio.proxy.s3.credentials.file";

/// Whether a FUSE mount logs every request.
pub const FUSE_DEBUG_ENABLED: &str = "alluxio.fuse.debug.enabled";
/// Whether a FUSE mount shows Alluxio owners and groups as local ones.
pub const FUSE_USER_GROUP_TRANSLATION_ENABLED: &str = "alluxio.fuse.user.group.translation.enabled";

/// CPUs of the master task.
pub const INTEGRATION_MASTER_RESOURCE_CPU: &str = "alluxio.integration.master.resource.cpu";
/// Memory of the master task.
pub const INTEGRATION_MASTER_RESOURCE_MEM: &str = "alluxio.integration.master.resource.mem";
/// CPUs of a worker task.
pub const INTEGRATION_WORKER_RESOURCE_CPU: &str = "alluxio.integration.worker.resource.cpu";
/// Memory of a worker task, besides its ramdisk.
pub const INTEGRATION_WORKER_RESOURCE_MEM: &str = "alluxio.integration.worker.resource.mem";
/// Mesos task name of the master.
pub const INTEGRATION_MESOS_MASTER_NAME: &str = "alluxio.integration.mesos.master.name";
/// Mesos task name of a worker.
pub const INTEGRATION_MESOS_WORKER_NAME: &str = "alluxio.integration.mesos.worker.name";
/// Masters to launch on Mesos.
pub const INTEGRATION_MESOS_MASTER_NODE_COUNT: &str = "alluxio.integration.mesos.master.node.count";
/// Distribution tarball fetched into each sandbox, or LOCAL.
pub const INTEGRATION_MESOS_ALLUXIO_JAR_URL: &str = "alluxio.integration.mesos.alluxio.jar.url";
/// JDK tarball (ignored: there is no JVM).
pub const INTEGRATION_MESOS_JDK_URL: &str = "alluxio.integration.mesos.jdk.url";
/// JDK directory (ignored: there is no JVM).
pub const INTEGRATION_MESOS_JDK_PATH: &str = "alluxio.integration.mesos.jdk.path";
/// Mesos principal of the framework.
pub const INTEGRATION_MESOS_PRINCIPAL: &str = "alluxio.integration.mesos.principal";
/// Mesos secret of the framework.
pub const INTEGRATION_MESOS_SECRET: &str = "alluxio.integration.mesos.secret";
/// Mesos role of the framework.
pub const INTEGRATION_MESOS_ROLE: &str = "alluxio.integration.mesos.role";
/// User the tasks run as.
pub const INTEGRATION_MESOS_USER: &str = "alluxio.integration.mesos.user";
/// Most workers to launch (unset: one per agent).
pub const INTEGRATION_MESOS_WORKER_COUNT_MAX: &str = "alluxio.integration.mesos.worker.count.max";
/// How long Mesos keeps the framework's tasks after it disconnects.
pub const INTEGRATION_MESOS_FAILOVER_TIMEOUT: &str = "alluxio.integration.mesos.failover.timeout";
/// File holding the framework id and tasks across restarts.
pub const INTEGRATION_MESOS_FRAMEWORK_STATE_FILE: &str = "alluxio.integration.mesos.framework.state.file";
/// Seconds Mesos withholds declined offers.
pub const INTEGRATION_MESOS_REFUSE_SECONDS: &str = "alluxio.integration.mesos.refuse.seconds";
/// Missed Mesos heartbeats after which the framework reconnects.
pub const INTEGRATION_MESOS_HEARTBEAT_MISSED_MAX: &str = "alluxio.integration.mesos.heartbeat.missed.max";
/// First wait before relaunching a task that failed quickly (doubled per failure in a row).
pub const INTEGRATION_MESOS_RELAUNCH_BACKOFF_INITIAL: &str =
    "alluxio.integration.mesos.relaunch.backoff.initial";
/// Longest wait before relaunching a task that keeps failing.
pub const INTEGRATION_MESOS_RELAUNCH_BACKOFF_MAX: &str = "alluxio.integration.mesos.relaunch.backoff.max";
