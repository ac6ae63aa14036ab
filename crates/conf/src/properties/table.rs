//! The table of known properties.

use super::{K, PropertyDef};

const fn def(name: &'static str, kind: K, default: &'static str, description: &'static str) -> PropertyDef {
    PropertyDef {
        name,
        kind,
        default: Some(default),
        description,
    }
}

const fn unset(name: &'static str, kind: K, description: &'static str) -> PropertyDef {
    PropertyDef {
        name,
        kind,
        default: None,
        description,
    }
}

/// Accepted write types (`alluxio.user.file.writetype.default`).
pub const WRITE_TYPES: &[&str] = &["MUST_CACHE", "CACHE_THROUGH", "THROUGH", "ASYNC_THROUGH"];
/// Accepted read types (`alluxio.user.file.readtype.default`).
pub const READ_TYPES: &[&str] = &["NO_CACHE", "CACHE", "CACHE_PROMOTE"];

/// Every property this build knows, with its default.
pub const PROPERTIES: &[PropertyDef] = &[
    def(
        "alluxio.home",
        K::String,
        "/opt/alluxio",
        "Install directory of the distribution.",
    ),
    def(
        "alluxio.version",
        K::String,
        env!("CARGO_PKG_VERSION"),
        "Version of this build.",
    ),
    def(
        "alluxio.work.dir",
        K::String,
        "${alluxio.home}",
        "Working directory for the journal, logs and the default UFS.",
    ),
    def(
        "alluxio.conf.dir",
        K::String,
        "${alluxio.home}/conf",
        "Directory of alluxio-site.properties.",
    ),
    def(
        "alluxio.site.conf.dir",
        K::List,
        "${alluxio.conf.dir}/,${user.home}/.alluxio/,/etc/alluxio/",
        "Directories searched, in order, for alluxio-site.properties.",
    ),
    def(
        "alluxio.logs.dir",
        K::String,
        "${alluxio.work.dir}/logs",
        "Directory of log files.",
    ),
    def(
        "alluxio.master.hostname",
        K::String,
        "localhost",
        "Host name clients and workers use to reach the master.",
    ),
    def(
        "alluxio.master.bind.host",
        K::String,
        "0.0.0.0",
        "Address the master RPC server binds to.",
    ),
    def("alluxio.master.port", K::Port, "19998", "Master RPC port."),
    def(
        "alluxio.master.web.bind.host",
        K::String,
        "0.0.0.0",
        "Address the master web server binds to.",
    ),
    def("alluxio.master.web.port", K::Port, "19999", "Master web port."),
    def(
        "alluxio.master.journal.folder",
        K::String,
        "${alluxio.work.dir}/journal",
        "Where the master journal is kept.",
    ),
    def(
        "alluxio.master.journal.type",
        K::OneOf(&["UFS"]),
        "UFS",
        "Journal type; UFS is a folder-based journal.",
    ),
    def(
        "alluxio.master.journal.checkpoint.period.entries",
        K::Integer,
        "2000000",
        "Journal entries written between two checkpoints.",
    ),
    def(
        "alluxio.master.metastore",
        K::OneOf(&["HEAP", "ROCKS"]),
        "HEAP",
        "Where the master keeps inodes: HEAP in memory, ROCKS on disk with the recently used cached in memory.",
    ),
    def(
        "alluxio.master.metastore.dir",
        K::String,
        "${alluxio.work.dir}/metastore",
        "Folder of the ROCKS metastore's file, inodes.redb: kept across restarts as of a journal sequence, rebuilt from the journal when it does not continue it.",
    ),
    def(
        "alluxio.master.metastore.inode.cache.max.size",
        K::Integer,
        "1000000",
        "Inodes the ROCKS metastore keeps in memory, and as many folder entries (about 200 bytes an inode; Alluxio 2.x defaults to 10000000, which would hold a 10M-file namespace entirely in memory).",
    ),
    def(
        "alluxio.master.mount.table.root.ufs",
        K::String,
        "${alluxio.underfs.address}",
        "Under file system mounted at the root of the namespace.",
    ),
    def(
        "alluxio.underfs.address",
        K::String,
        "${alluxio.work.dir}/underFSStorage",
        "Older name of the root UFS.",
    ),
    unset(
        "alluxio.underfs.s3.endpoint",
        K::String,
        "Endpoint of an S3-compatible store (e.g. http://127.0.0.1:9000); AWS S3 when unset.",
    ),
    unset(
        "alluxio.underfs.s3.endpoint.region",
        K::String,
        "Region S3 requests are signed for; us-east-1 when an endpoint is set without one.",
    ),
    def(
        "alluxio.underfs.s3.disable.dns.buckets",
        K::Bool,
        "false",
        "Path-style S3 requests (endpoint/bucket/key) instead of bucket.endpoint/key.",
    ),
    unset(
        "aws.accessKeyId",
        K::String,
        "S3 access key id; without it, the AWS environment, profile or instance role is used.",
    ),
    unset("aws.secretKey", K::String, "S3 secret key, with aws.accessKeyId."),
    unset(
        "s3a.accessKeyId",
        K::String,
        "S3 access key id, read when aws.accessKeyId is unset.",
    ),
    unset(
        "s3a.secretKey",
        K::String,
        "S3 secret key, read when aws.secretKey is unset.",
    ),
    unset(
        "fs.gcs.credential.path",
        K::String,
        "Service account JSON key file for gs:// under storage.",
    ),
    def(
        "alluxio.master.worker.timeout",
        K::Duration,
        "5min",
        "A worker silent this long is declared lost.",
    ),
    def(
        "alluxio.master.worker.heartbeat.interval",
        K::Duration,
        "10sec",
        "How often the master looks for lost workers.",
    ),
    def(
        "alluxio.master.startup.consistency.check.enabled",
        K::Bool,
        "true",
        "Whether the master compares the namespace with the under storage once after it starts (shown on the web UI's overview).",
    ),
    def(
        "alluxio.master.metrics.time.series.interval",
        K::Duration,
        "10sec",
        "How often the master and workers sample their meters and gauges for the web UI's throughput charts (an hour of samples is kept).",
    ),
    def(
        "alluxio.master.ttl.checker.interval",
        K::Duration,
        "1hour",
        "How often expired files are deleted or freed.",
    ),
    unset(
        "alluxio.master.rpc.addresses",
        K::List,
        "Comma-separated host:port RPC addresses of all masters, which clients and workers try in \
         turn to find the leader when several masters run without ZooKeeper (ignored when \
         alluxio.zookeeper.enabled is true: ZooKeeper names the leader).",
    ),
    def(
        "alluxio.zookeeper.enabled",
        K::Bool,
        "false",
        "If true, masters elect their leader through ZooKeeper at alluxio.zookeeper.address, \
         and clients and workers ask ZooKeeper which master leads.",
    ),
    unset(
        "alluxio.zookeeper.address",
        K::String,
        "ZooKeeper connect string, host:port[,host:port...]; required when \
         alluxio.zookeeper.enabled is true.",
    ),
    def(
        "alluxio.zookeeper.election.path",
        K::String,
        "/election",
        "ZooKeeper directory holding one ephemeral sequential node per master; the master with \
         the lowest sequence leads.",
    ),
    def(
        "alluxio.zookeeper.leader.path",
        K::String,
        "/leader",
        "ZooKeeper directory where the leading master publishes a node named by its host:port \
         (the newest node names the leader).",
    ),
    def(
        "alluxio.zookeeper.session.timeout",
        K::Duration,
        "60s",
        "ZooKeeper session timeout: a master unheard of for this long loses its place in the \
         election and a standby takes over (ZooKeeper bounds it by its minSessionTimeout and \
         maxSessionTimeout, by default 2 and 20 times its tickTime).",
    ),
    def(
        "alluxio.zookeeper.leader.inquiry.retry",
        K::Integer,
        "10",
        "How many times clients and workers look for the leader in ZooKeeper (about a second \
         apart) before giving up.",
    ),
    unset(
        "alluxio.user.hostname",
        K::String,
        "Host name of the client: a worker advertising it, or a name that resolves to one of its \
         addresses, is on the client's host (unset: workers at an address of this machine are).",
    ),
    unset(
        "alluxio.worker.hostname",
        K::String,
        "Host name the worker advertises (default: the master's view of localhost).",
    ),
    def(
        "alluxio.worker.bind.host",
        K::String,
        "0.0.0.0",
        "Address the worker servers bind to.",
    ),
    def("alluxio.worker.port", K::Port, "29998", "Worker RPC port."),
    def("alluxio.worker.data.port", K::Port, "29999", "Worker data port."),
    def("alluxio.worker.web.port", K::Port, "30000", "Worker web port."),
    def(
        "alluxio.worker.memory.size",
        K::Bytes,
        "1GB",
        "Size of the worker's memory tier; default two thirds of physical memory (1GB if unknown).",
    ),
    def(
        "alluxio.worker.tieredstore.levels",
        K::Integer,
        "1",
        "Number of storage tiers.",
    ),
    def(
        "alluxio.worker.tieredstore.level0.alias",
        K::String,
        "MEM",
        "Alias of the top tier.",
    ),
    def(
        "alluxio.worker.tieredstore.level0.dirs.path",
        K::List,
        "/mnt/ramdisk",
        "Directories of the top tier.",
    ),
    def(
        "alluxio.worker.tieredstore.level0.dirs.quota",
        K::BytesList,
        "${alluxio.worker.memory.size}",
        "Quotas of the top tier.",
    ),
    def(
        "alluxio.worker.tieredstore.level0.watermark.high.ratio",
        K::Ratio,
        "0.95",
        "Top tier usage that starts eviction.",
    ),
    def(
        "alluxio.worker.tieredstore.level0.watermark.low.ratio",
        K::Ratio,
        "0.7",
        "Top tier usage eviction stops at.",
    ),
    def(
        "alluxio.worker.tieredstore.level1.alias",
        K::String,
        "SSD",
        "Alias of the second tier.",
    ),
    def(
        "alluxio.worker.tieredstore.level1.dirs.path",
        K::List,
        "/mnt/ssd",
        "Directories of the second tier.",
    ),
    unset(
        "alluxio.worker.tieredstore.level1.dirs.quota",
        K::BytesList,
        "Quotas of the second tier.",
    ),
    def(
        "alluxio.worker.tieredstore.level1.watermark.high.ratio",
        K::Ratio,
        "0.95",
        "Second tier usage that starts eviction.",
    ),
    def(
        "alluxio.worker.tieredstore.level1.watermark.low.ratio",
        K::Ratio,
        "0.7",
        "Second tier usage eviction stops at.",
    ),
    def(
        "alluxio.worker.tieredstore.level2.alias",
        K::String,
        "HDD",
        "Alias of the third tier.",
    ),
    def(
        "alluxio.worker.tieredstore.level2.dirs.path",
        K::List,
        "/mnt/hdd",
        "Directories of the third tier.",
    ),
    unset(
        "alluxio.worker.tieredstore.level2.dirs.quota",
        K::BytesList,
        "Quotas of the third tier.",
    ),
    def(
        "alluxio.worker.tieredstore.level2.watermark.high.ratio",
        K::Ratio,
        "0.95",
        "Third tier usage that starts eviction.",
    ),
    def(
        "alluxio.worker.tieredstore.level2.watermark.low.ratio",
        K::Ratio,
        "0.7",
        "Third tier usage eviction stops at.",
    ),
    def(
        "alluxio.worker.tieredstore.reserver.enabled",
        K::Bool,
        "true",
        "Evict between the watermarks in the background.",
    ),
    def(
        "alluxio.worker.tieredstore.reserver.interval",
        K::Duration,
        "1sec",
        "How often the space reserver runs.",
    ),
    def(
        "alluxio.worker.allocator.class",
        K::String,
        "alluxio.worker.block.allocator.MaxFreeAllocator",
        "Chooses the directory of a new block.",
    ),
    def(
        "alluxio.worker.evictor.class",
        K::String,
        "alluxio.worker.block.evictor.LRUEvictor",
        "Chooses blocks to evict.",
    ),
    def(
        "alluxio.worker.block.heartbeat.interval",
        K::Duration,
        "1sec",
        "Interval between worker heartbeats.",
    ),
    def(
        "alluxio.worker.block.heartbeat.timeout",
        K::Duration,
        "${alluxio.master.worker.timeout}",
        "How long a worker retries an unreachable master before exiting.",
    ),
    def(
        "alluxio.user.block.size.bytes.default",
        K::Bytes,
        "512MB",
        "Block size of new files.",
    ),
    def(
        "alluxio.user.file.buffer.bytes",
        K::Bytes,
        "8MB",
        "Client stream buffer size.",
    ),
    def(
        "alluxio.user.file.readtype.default",
        K::OneOf(READ_TYPES),
        "CACHE_PROMOTE",
        "Default read type.",
    ),
    def(
        "alluxio.user.file.writetype.default",
        K::OneOf(WRITE_TYPES),
        "MUST_CACHE",
        "Default write type.",
    ),
    def(
        "alluxio.user.file.write.tier.default",
        K::SignedInteger,
        "0",
        "Tier new blocks are written to.",
    ),
    def(
        "alluxio.user.file.metadata.load.type",
        K::OneOf(&["Once", "Always", "Never"]),
        "Once",
        "When listing loads UFS metadata: Once, Always, Never.",
    ),
    def(
        "alluxio.user.file.metadata.sync.interval",
        K::String,
        "-1",
        "Sync metadata with the UFS when older than this: -1 never, 0 on every call, or a duration (5min).",
    ),
    def(
        "alluxio.user.file.cache.partially.read.block",
        K::Bool,
        "true",
        "Cache whole blocks even when read partially.",
    ),
    def(
        "alluxio.user.file.passive.cache.enabled",
        K::Bool,
        "true",
        "Copy blocks read from remote workers (with read type CACHE or CACHE_PROMOTE) to the worker \
         on the client's host, in the background.",
    ),
    def(
        "alluxio.user.short.circuit.enabled",
        K::Bool,
        "true",
        "Read local block files directly.",
    ),
    def(
        "alluxio.user.file.write.location.policy.class",
        K::String,
        "alluxio.client.file.policy.LocalFirstPolicy",
        "Chooses the worker for each new block: alluxio.client.file.policy.LocalFirstPolicy (a worker \
         on the client's host, else the one with most free space), LocalFirstAvoidEvictionPolicy \
         (likewise among workers with a block's worth of free space), MostAvailableFirstPolicy, \
         RoundRobinPolicy (workers in turn, per client) or SpecificHostPolicy (the worker on the \
         host named by alluxio.worker.hostname, as Alluxio's SpecificHostPolicy reads it); the \
         short name alone is accepted too.",
    ),
    def(
        "alluxio.user.ufs.block.read.location.policy",
        K::String,
        "alluxio.client.file.policy.LocalFirstPolicy",
        "Chooses the worker that reads an uncached block from the UFS (and caches it, unless the read \
         type is NO_CACHE); accepts the same policies as \
         alluxio.user.file.write.location.policy.class.",
    ),
    def(
        "alluxio.user.metrics.collection.enabled",
        K::Bool,
        "true",
        "Whether clients report their metrics to the master (summed into Cluster.*).",
    ),
    def(
        "alluxio.user.metrics.heartbeat.interval",
        K::Duration,
        "10sec",
        "How often a client reports its metrics to the master.",
    ),
    def(
        "alluxio.user.rpc.retry.max.duration",
        K::Duration,
        "2min",
        "How long a client retries an unreachable master.",
    ),
    def(
        "alluxio.user.rpc.retry.base.sleep",
        K::Duration,
        "50ms",
        "First pause when a client or worker retries a call to the master; doubled after each failure.",
    ),
    def(
        "alluxio.user.rpc.retry.max.sleep",
        K::Duration,
        "3sec",
        "Longest pause when a client or worker retries a call to the master.",
    ),
    def(
        "alluxio.security.authentication.type",
        K::OneOf(&["NOSASL", "SIMPLE"]),
        "SIMPLE",
        "Authentication type: NOSASL or SIMPLE.",
    ),
    def(
        "alluxio.security.authorization.permission.enabled",
        K::Bool,
        "true",
        "Whether permissions are checked.",
    ),
    def(
        "alluxio.security.authorization.permission.umask",
        K::Octal,
        "022",
        "Umask of new files and directories.",
    ),
    def(
        "alluxio.security.authorization.permission.supergroup",
        K::String,
        "supergroup",
        "Super group.",
    ),
    unset(
        "alluxio.security.login.username",
        K::String,
        "User to log in as (default: the OS user).",
    ),
    def(
        "alluxio.security.login.impersonation.username",
        K::String,
        "_HDFS_USER_",
        "User a client acts for (the master checks alluxio.master.security.impersonation.<login \
         user>.users|groups): _NONE_ for none, _HDFS_USER_ for the Hadoop client's user, else a \
         user name.",
    ),
    def(
        "alluxio.web.connections.max",
        K::Integer,
        "4096",
        "Connections each web port (master and worker web UI, proxy REST and S3) serves at once; \
         more wait in the listen backlog.",
    ),
    def(
        "alluxio.rpc.connections.max",
        K::Integer,
        "4096",
        "Connections the master's and each worker's gRPC port serve at once; more wait in the \
         listen backlog.",
    ),
    def(
        "alluxio.rpc.connection.silent.timeout",
        K::Duration,
        "10sec",
        "Longest a new connection to a gRPC port may send nothing (no HTTP/2 preface) before it \
         is closed, so silent peers cannot hold every connection.",
    ),
    def(
        "alluxio.master.network.keepalive.time",
        K::Duration,
        "30sec",
        "How often the master's gRPC port pings a connection (HTTP/2 keep-alive) to find peers \
         that are gone or frozen (Alluxio 2.x's default is 2h; pings are cheap).",
    ),
    def(
        "alluxio.master.network.keepalive.timeout",
        K::Duration,
        "30sec",
        "How long the master waits for the answer to a keep-alive ping before it closes the \
         connection.",
    ),
    def(
        "alluxio.worker.network.keepalive.time",
        K::Duration,
        "30sec",
        "How often a worker's gRPC port pings a connection (HTTP/2 keep-alive) to find peers \
         that are gone or frozen.",
    ),
    def(
        "alluxio.worker.network.keepalive.timeout",
        K::Duration,
        "30sec",
        "How long a worker waits for the answer to a keep-alive ping before it closes the \
         connection.",
    ),
    def(
        "alluxio.web.header.read.timeout",
        K::Duration,
        "10sec",
        "Longest a request head may take to arrive on a web port, and a connection may sit idle \
         between requests, before its connection is closed (slow-header clients).",
    ),
    def(
        "alluxio.worker.data.server.connections.max",
        K::Integer,
        "4096",
        "Connections the worker's data port serves at once; more wait in the listen backlog.",
    ),
    def(
        "alluxio.proxy.web.port",
        K::Port,
        "39999",
        "Proxy (REST and S3) port.",
    ),
    def(
        "alluxio.proxy.web.bind.host",
        K::String,
        "0.0.0.0",
        "Address the proxy's web port binds.",
    ),
    def(
        "alluxio.proxy.stream.cache.timeout",
        K::Duration,
        "1hour",
        "How long an idle REST stream (open-file/create-file) stays open.",
    ),
    def(
        "alluxio.proxy.s3.writetype",
        K::OneOf(WRITE_TYPES),
        "CACHE_THROUGH",
        "Write type of objects written through the S3 API.",
    ),
    def(
        "alluxio.proxy.s3.deletetype",
        K::OneOf(&["ALLUXIO_AND_UFS", "ALLUXIO_ONLY"]),
        "ALLUXIO_AND_UFS",
        "Whether S3 deletes also remove the UFS copy.",
    ),
    def(
        "alluxio.proxy.s3.multipart.temporary.dir.suffix",
        K::String,
        "_s3_multipart_tmp",
        "Suffix of the directory holding a multipart upload's parts until it completes.",
    ),
    unset(
        "alluxio.proxy.s3.port",
        K::Port,
        "Port serving the S3 API at its root (for clients that take only scheme://host:port); unset = off.",
    ),
    def(
        "alluxio.proxy.s3.bucket.root",
        K::String,
        "/",
        "Alluxio directory whose children are the S3 buckets.",
    ),
    unset(
        "alluxio.proxy.s3.virtual.host.domain",
        K::String,
        "Domain under which a Host of <bucket>.<domain> names a bucket (virtual-host style); unset = path style only.",
    ),
    unset(
        "alluxio.proxy.s3.access.key",
        K::String,
        "Access key whose SigV4 signatures the S3 API verifies; unset (and no credentials file) = any key is accepted as the user name.",
    ),
    unset(
        "alluxio.proxy.s3.secret.key",
        K::String,
        "Secret key of alluxio.proxy.s3.access.key.",
    ),
    unset(
        "alluxio.proxy.s3.credentials.file",
        K::String,
        "File of 'access_key secret_key' lines whose SigV4 signatures the S3 API verifies.",
    ),
    def(
        "alluxio.fuse.debug.enabled",
        K::Bool,
        "false",
        "Whether `alluxio fuse mount` logs every FUSE request (operation, path, time taken, errno) \
         to logs/fuse.log at DEBUG level.",
    ),
    def(
        "alluxio.fuse.user.group.translation.enabled",
        K::Bool,
        "false",
        "Whether a FUSE mount shows each file's Alluxio owner and group as the local user and \
         group of those names (and makes new files the calling user's); when false every file \
         shows the user who mounted.",
    ),
    def(
        "alluxio.integration.master.resource.cpu",
        K::Integer,
        "1",
        "CPUs of the master task.",
    ),
    def(
        "alluxio.integration.master.resource.mem",
        K::Bytes,
        "1024MB",
        "Memory of the master task.",
    ),
    def(
        "alluxio.integration.worker.resource.cpu",
        K::Integer,
        "1",
        "CPUs of a worker task.",
    ),
    def(
        "alluxio.integration.worker.resource.mem",
        K::Bytes,
        "1024MB",
        "Memory of a worker task, besides its ramdisk.",
    ),
    def(
        "alluxio.integration.mesos.master.name",
        K::String,
        "AlluxioMaster",
        "Mesos task name of the master.",
    ),
    def(
        "alluxio.integration.mesos.worker.name",
        K::String,
        "AlluxioWorker",
        "Mesos task name of a worker.",
    ),
    def(
        "alluxio.integration.mesos.master.node.count",
        K::Integer,
        "1",
        "Masters to launch on Mesos.",
    ),
    def(
        "alluxio.integration.mesos.alluxio.jar.url",
        K::String,
        "http://downloads.alluxio.org/downloads/files/${alluxio.version}/alluxio-${alluxio.version}-bin.tar.gz",
        "Distribution tarball fetched into each sandbox, or LOCAL for alluxio.home on the agent.",
    ),
    def(
        "alluxio.integration.mesos.jdk.url",
        K::String,
        "LOCAL",
        "Ignored: there is no JVM.",
    ),
    def(
        "alluxio.integration.mesos.jdk.path",
        K::String,
        "jdk1.8.0_151",
        "Ignored: there is no JVM.",
    ),
    def(
        "alluxio.integration.mesos.principal",
        K::String,
        "alluxio",
        "Mesos principal of the framework.",
    ),
    unset(
        "alluxio.integration.mesos.secret",
        K::String,
        "Mesos secret; with the principal, authenticates the framework.",
    ),
    def(
        "alluxio.integration.mesos.role",
        K::String,
        "*",
        "Mesos role of the framework.",
    ),
    unset(
        "alluxio.integration.mesos.user",
        K::String,
        "User the tasks run as (default: Mesos chooses).",
    ),
    unset(
        "alluxio.integration.mesos.worker.count.max",
        K::Integer,
        "Most workers to launch (default: one on every agent).",
    ),
    def(
        "alluxio.integration.mesos.failover.timeout",
        K::Duration,
        "7day",
        "How long Mesos keeps the framework's tasks running after it disconnects.",
    ),
    def(
        "alluxio.integration.mesos.framework.state.file",
        K::String,
        "${alluxio.work.dir}/mesos/framework.json",
        "Where the framework keeps its id and tasks, to re-attach after a restart.",
    ),
    def(
        "alluxio.integration.mesos.refuse.seconds",
        K::Integer,
        "5",
        "Seconds Mesos withholds a declined offer's resources from the framework.",
    ),
    def(
        "alluxio.integration.mesos.heartbeat.missed.max",
        K::Integer,
        "5",
        "Missed Mesos heartbeats after which the framework reconnects.",
    ),
    def(
        "alluxio.integration.mesos.relaunch.backoff.initial",
        K::Duration,
        "1sec",
        "Wait before relaunching a task that failed before running healthy for a minute; doubled for each such failure in a row.",
    ),
    def(
        "alluxio.integration.mesos.relaunch.backoff.max",
        K::Duration,
        "5min",
        "Longest wait before relaunching a task that keeps failing.",
    ),
    unset(
        "alluxio.integration.mesos.ssl.ca.cert.file",
        K::String,
        "PEM file of CA certificates trusted for https:// Mesos masters, besides the system store (or SSL_CERT_FILE).",
    ),
];

/// Per-tier keys of levels without an entry of their own in [`PROPERTIES`] (any `N`).
/// The impersonation rules of each user (`{USER}`) that may act for others.
pub const IMPERSONATION_TEMPLATES: &[PropertyDef] = &[
    unset(
        "alluxio.master.security.impersonation.{USER}.users",
        K::List,
        "Users USER may act for (comma-separated, * for any).",
    ),
    unset(
        "alluxio.master.security.impersonation.{USER}.groups",
        K::List,
        "Groups whose members USER may act for (comma-separated, * for any).",
    ),
];

pub const TIER_TEMPLATES: &[PropertyDef] = &[
    unset(
        "alluxio.worker.tieredstore.level{N}.alias",
        K::String,
        "Alias of tier N (MEM, SSD, HDD).",
    ),
    unset(
        "alluxio.worker.tieredstore.level{N}.dirs.path",
        K::List,
        "Directories of tier N.",
    ),
    unset(
        "alluxio.worker.tieredstore.level{N}.dirs.quota",
        K::BytesList,
        "Quotas of the directories of tier N.",
    ),
    def(
        "alluxio.worker.tieredstore.level{N}.watermark.high.ratio",
        K::Ratio,
        "0.95",
        "Tier N usage that starts eviction.",
    ),
    def(
        "alluxio.worker.tieredstore.level{N}.watermark.low.ratio",
        K::Ratio,
        "0.7",
        "Tier N usage eviction stops at.",
    ),
];
