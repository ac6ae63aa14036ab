//! The table of known properties: name, default and a one-line description.

/// One known property.
#[derive(Debug, Clone, Copy)]
pub struct PropertyDef {
    /// Full key, e.g. `alluxio.master.port`.
    pub name: &'static str,
    /// Default value (may contain `${key}` references); `None` = unset unless configured.
    pub default: Option<&'static str>,
    /// What it controls.
    pub description: &'static str,
}

const fn p(name: &'static str, default: &'static str, description: &'static str) -> PropertyDef {
    PropertyDef {
        name,
        default: Some(default),
        description,
    }
}

const fn unset(name: &'static str, description: &'static str) -> PropertyDef {
    PropertyDef {
        name,
        default: None,
        description,
    }
}

/// Every property this build knows, with its default.
pub const PROPERTIES: &[PropertyDef] = &[
    p(
        "alluxio.home",
        "/opt/alluxio",
        "Install directory of the distribution.",
    ),
    p(
        "alluxio.version",
        env!("CARGO_PKG_VERSION"),
        "Version of this build.",
    ),
    p(
        "alluxio.work.dir",
        "${alluxio.home}",
        "Working directory for the journal, logs and the default UFS.",
    ),
    p(
        "alluxio.conf.dir",
        "${alluxio.home}/conf",
        "Directory of alluxio-site.properties.",
    ),
    p(
        "alluxio.site.conf.dir",
        "${alluxio.conf.dir}/,${user.home}/.alluxio/,/etc/alluxio/",
        "Directories searched, in order, for alluxio-site.properties.",
    ),
    p(
        "alluxio.logs.dir",
        "${alluxio.work.dir}/logs",
        "Directory of log files.",
    ),
    p(
        "alluxio.master.hostname",
        "localhost",
        "Host name clients and workers use to reach the master.",
    ),
    p(
        "alluxio.master.bind.host",
        "0.0.0.0",
        "Address the master RPC server binds to.",
    ),
    p("alluxio.master.port", "19998", "Master RPC port."),
    p(
        "alluxio.master.web.bind.host",
        "0.0.0.0",
        "Address the master web server binds to.",
    ),
    p("alluxio.master.web.port", "19999", "Master web port."),
    p(
        "alluxio.master.journal.folder",
        "${alluxio.work.dir}/journal",
        "Where the master journal is kept.",
    ),
    p(
        "alluxio.master.journal.type",
        "UFS",
        "Journal type; UFS is a folder-based journal.",
    ),
    p(
        "alluxio.master.journal.checkpoint.period.entries",
        "2000000",
        "Journal entries written between two checkpoints.",
    ),
    p(
        "alluxio.master.mount.table.root.ufs",
        "${alluxio.underfs.address}",
        "Under file system mounted at the root of the namespace.",
    ),
    p(
        "alluxio.underfs.address",
        "${alluxio.work.dir}/underFSStorage",
        "Older name of the root UFS.",
    ),
    p(
        "alluxio.master.worker.timeout",
        "5min",
        "A worker silent this long is declared lost.",
    ),
    p(
        "alluxio.master.worker.heartbeat.interval",
        "10sec",
        "How often the master looks for lost workers.",
    ),
    p(
        "alluxio.master.ttl.checker.interval",
        "1hour",
        "How often expired files are deleted or freed.",
    ),
    unset(
        "alluxio.worker.hostname",
        "Host name the worker advertises (default: the master's view of localhost).",
    ),
    p(
        "alluxio.worker.bind.host",
        "0.0.0.0",
        "Address the worker servers bind to.",
    ),
    p("alluxio.worker.port", "29998", "Worker RPC port."),
    p("alluxio.worker.data.port", "29999", "Worker data port."),
    p("alluxio.worker.web.port", "30000", "Worker web port."),
    p(
        "alluxio.worker.memory.size",
        "1GB",
        "Size of the worker's memory tier.",
    ),
    p(
        "alluxio.worker.tieredstore.levels",
        "1",
        "Number of storage tiers.",
    ),
    p(
        "alluxio.worker.tieredstore.level0.alias",
        "MEM",
        "Alias of the top tier.",
    ),
    p(
        "alluxio.worker.tieredstore.level0.dirs.path",
        "/mnt/ramdisk",
        "Directories of the top tier.",
    ),
    p(
        "alluxio.worker.tieredstore.level0.dirs.quota",
        "${alluxio.worker.memory.size}",
        "Quotas of the top tier.",
    ),
    p(
        "alluxio.worker.tieredstore.level0.watermark.high.ratio",
        "0.95",
        "Top tier usage that starts eviction.",
    ),
    p(
        "alluxio.worker.tieredstore.level0.watermark.low.ratio",
        "0.7",
        "Top tier usage eviction stops at.",
    ),
    p(
        "alluxio.worker.tieredstore.level1.alias",
        "SSD",
        "Alias of the second tier.",
    ),
    p(
        "alluxio.worker.tieredstore.level1.dirs.path",
        "/mnt/ssd",
        "Directories of the second tier.",
    ),
    unset(
        "alluxio.worker.tieredstore.level1.dirs.quota",
        "Quotas of the second tier.",
    ),
    p(
        "alluxio.worker.tieredstore.level1.watermark.high.ratio",
        "0.95",
        "Second tier usage that starts eviction.",
    ),
    p(
        "alluxio.worker.tieredstore.level1.watermark.low.ratio",
        "0.7",
        "Second tier usage eviction stops at.",
    ),
    p(
        "alluxio.worker.tieredstore.level2.alias",
        "HDD",
        "Alias of the third tier.",
    ),
    p(
        "alluxio.worker.tieredstore.level2.dirs.path",
        "/mnt/hdd",
        "Directories of the third tier.",
    ),
    unset(
        "alluxio.worker.tieredstore.level2.dirs.quota",
        "Quotas of the third tier.",
    ),
    p(
        "alluxio.worker.tieredstore.level2.watermark.high.ratio",
        "0.95",
        "Third tier usage that starts eviction.",
    ),
    p(
        "alluxio.worker.tieredstore.level2.watermark.low.ratio",
        "0.7",
        "Third tier usage eviction stops at.",
    ),
    p(
        "alluxio.worker.tieredstore.reserver.enabled",
        "true",
        "Evict between the watermarks in the background.",
    ),
    p(
        "alluxio.worker.tieredstore.reserver.interval",
        "1sec",
        "How often the space reserver runs.",
    ),
    p(
        "alluxio.worker.allocator.class",
        "alluxio.worker.block.allocator.MaxFreeAllocator",
        "Chooses the directory of a new block.",
    ),
    p(
        "alluxio.worker.evictor.class",
        "alluxio.worker.block.evictor.LRUEvictor",
        "Chooses blocks to evict.",
    ),
    p(
        "alluxio.worker.block.heartbeat.interval",
        "1sec",
        "Interval between worker heartbeats.",
    ),
    p(
        "alluxio.worker.block.heartbeat.timeout",
        "${alluxio.master.worker.timeout}",
        "How long a worker retries an unreachable master before exiting.",
    ),
    p(
        "alluxio.user.block.size.bytes.default",
        "512MB",
        "Block size of new files.",
    ),
    p(
        "alluxio.user.file.buffer.bytes",
        "8MB",
        "Client stream buffer size.",
    ),
    p(
        "alluxio.user.file.readtype.default",
        "CACHE_PROMOTE",
        "Default read type.",
    ),
    p(
        "alluxio.user.file.writetype.default",
        "MUST_CACHE",
        "Default write type.",
    ),
    p(
        "alluxio.user.file.write.tier.default",
        "0",
        "Tier new blocks are written to.",
    ),
    p(
        "alluxio.user.file.metadata.load.type",
        "Once",
        "When listing loads UFS metadata: Once, Always, Never.",
    ),
    p(
        "alluxio.user.file.cache.partially.read.block",
        "true",
        "Cache whole blocks even when read partially.",
    ),
    p(
        "alluxio.user.file.passive.cache.enabled",
        "true",
        "Copy blocks read from remote workers locally.",
    ),
    p(
        "alluxio.user.short.circuit.enabled",
        "true",
        "Read local block files directly.",
    ),
    p(
        "alluxio.user.file.write.location.policy.class",
        "alluxio.client.file.policy.LocalFirstPolicy",
        "Chooses the worker for writes.",
    ),
    p(
        "alluxio.user.ufs.block.read.location.policy",
        "alluxio.client.block.policy.LocalFirstPolicy",
        "Chooses the worker that reads a block from the UFS.",
    ),
    p(
        "alluxio.user.rpc.retry.max.duration",
        "2min",
        "How long a client retries an unreachable master.",
    ),
    p(
        "alluxio.security.authentication.type",
        "SIMPLE",
        "Authentication type: NOSASL or SIMPLE.",
    ),
    p(
        "alluxio.security.authorization.permission.enabled",
        "true",
        "Whether permissions are checked.",
    ),
    p(
        "alluxio.security.authorization.permission.umask",
        "022",
        "Umask of new files and directories.",
    ),
    p(
        "alluxio.security.authorization.permission.supergroup",
        "supergroup",
        "Super group.",
    ),
    unset(
        "alluxio.security.login.username",
        "User to log in as (default: the OS user).",
    ),
    p("alluxio.proxy.web.port", "39999", "Proxy (REST and S3) port."),
    p(
        "alluxio.integration.master.resource.cpu",
        "1",
        "CPUs of the master task.",
    ),
    p(
        "alluxio.integration.master.resource.mem",
        "1024MB",
        "Memory of the master task.",
    ),
    p(
        "alluxio.integration.worker.resource.cpu",
        "1",
        "CPUs of a worker task.",
    ),
    p(
        "alluxio.integration.worker.resource.mem",
        "1024MB",
        "Memory of a worker task, besides its ramdisk.",
    ),
    p(
        "alluxio.integration.mesos.master.name",
        "AlluxioMaster",
        "Mesos task name of the master.",
    ),
    p(
        "alluxio.integration.mesos.worker.name",
        "AlluxioWorker",
        "Mesos task name of a worker.",
    ),
    p(
        "alluxio.integration.mesos.master.node.count",
        "1",
        "Masters to launch on Mesos.",
    ),
    p(
        "alluxio.integration.mesos.alluxio.jar.url",
        "http://downloads.alluxio.org/downloads/files/${alluxio.version}/alluxio-${alluxio.version}-bin.tar.gz",
        "Distribution tarball fetched into each sandbox, or LOCAL for alluxio.home on the agent.",
    ),
    p(
        "alluxio.integration.mesos.jdk.url",
        "LOCAL",
        "Ignored: there is no JVM.",
    ),
    p(
        "alluxio.integration.mesos.jdk.path",
        "jdk1.8.0_151",
        "Ignored: there is no JVM.",
    ),
    p(
        "alluxio.integration.mesos.principal",
        "alluxio",
        "Mesos principal of the framework.",
    ),
    unset(
        "alluxio.integration.mesos.secret",
        "Mesos secret; with the principal, authenticates the framework.",
    ),
    p(
        "alluxio.integration.mesos.role",
        "*",
        "Mesos role of the framework.",
    ),
    unset(
        "alluxio.integration.mesos.user",
        "User the tasks run as (default: Mesos chooses).",
    ),
];

/// Old names still accepted, with the key they stand for. Values of `.ms` aliases are plain
/// milliseconds, which the duration parser accepts as-is.
pub const ALIASES: &[(&str, &str)] = &[
    (
        "alluxio.master.worker.timeout.ms",
        "alluxio.master.worker.timeout",
    ),
    (
        "alluxio.master.ttl.checker.interval.ms",
        "alluxio.master.ttl.checker.interval",
    ),
    (
        "alluxio.worker.block.heartbeat.interval.ms",
        "alluxio.worker.block.heartbeat.interval",
    ),
    (
        "alluxio.worker.block.heartbeat.timeout.ms",
        "alluxio.worker.block.heartbeat.timeout",
    ),
    (
        "alluxio.worker.tieredstore.reserver.interval.ms",
        "alluxio.worker.tieredstore.reserver.interval",
    ),
    ("alluxio.master.rpc.port", "alluxio.master.port"),
    ("alluxio.worker.rpc.port", "alluxio.worker.port"),
];

/// Environment variables that set properties, as `libexec/alluxio-config.sh` maps them.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("ALLUXIO_HOME", "alluxio.home"),
    ("ALLUXIO_CONF_DIR", "alluxio.conf.dir"),
    ("ALLUXIO_LOGS_DIR", "alluxio.logs.dir"),
    ("ALLUXIO_MASTER_ADDRESS", "alluxio.master.hostname"),
    ("ALLUXIO_MASTER_HOSTNAME", "alluxio.master.hostname"),
    ("ALLUXIO_UNDERFS_ADDRESS", "alluxio.underfs.address"),
    ("ALLUXIO_WORKER_MEMORY_SIZE", "alluxio.worker.memory.size"),
    (
        "ALLUXIO_RAM_FOLDER",
        "alluxio.worker.tieredstore.level0.dirs.path",
    ),
];

/// The definition of `name`, if it is a known property.
pub fn find(name: &str) -> Option<&'static PropertyDef> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// The current name of `name` if it is a deprecated alias, else `name` itself.
pub fn canonical(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(old, _)| *old == name)
        .map(|(_, new)| *new)
        .unwrap_or(name)
}
