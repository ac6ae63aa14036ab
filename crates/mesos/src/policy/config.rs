//! What the policy needs from the configuration: task shapes, counts and the refuse filter.

use alluxio_conf::{ConfError, Configuration, keys};
use alluxio_server::Backoff;
use serde::{Deserialize, Serialize};

/// Why the framework configuration cannot drive the policy.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key is missing or its value does not parse.
    #[error(transparent)]
    Conf(#[from] ConfError),
    /// Two ports of one task are equal, so Mesos could not reserve both.
    #[error("{first} and {second} are both {port}, but one task needs distinct ports; change one of them")]
    DuplicatePort {
        /// The port.
        port: u16,
        /// The first key holding it.
        first: &'static str,
        /// The second key holding it.
        second: &'static str,
    },
    /// Several masters are asked for, but nothing would elect one of them to lead.
    #[error(
        "alluxio.integration.mesos.master.node.count is {count}, but several masters need \
         alluxio.zookeeper.enabled=true and alluxio.zookeeper.address to elect their leader; \
         enable ZooKeeper or set the count to 1"
    )]
    MastersWithoutZooKeeper {
        /// The configured master count.
        count: u64,
    },
    /// `--alluxio-master` pins the master to one host, but several masters are asked for.
    #[error(
        "the master is pinned to {host} (--alluxio-master, the second argument of \
         alluxio-mesos-start.sh), but alluxio.integration.mesos.master.node.count is {count} and \
         masters run on distinct hosts; drop the pin or set the count to 1"
    )]
    PinnedHostWithSeveralMasters {
        /// The required host.
        host: String,
        /// The configured master count.
        count: u64,
    },
    /// The ZooKeeper settings the masters would elect through are wrong.
    #[error(transparent)]
    ZooKeeper(#[from] alluxio_ha::HaError),
}

/// The resources and name of one kind of task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskShape {
    /// Mesos task name (`AlluxioMaster`, `AlluxioWorker`).
    pub name: String,
    /// CPUs the task reserves.
    pub cpus: f64,
    /// Memory the task reserves, in MB.
    pub mem_mb: u64,
    /// Ports the task reserves, in the order Alluxio 1.x lists them as single-port ranges.
    pub ports: Vec<u16>,
}

/// Everything the policy decides with.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerConfig {
    /// The master task: ports `[web, rpc]`.
    pub master: TaskShape,
    /// A worker task: ports `[rpc, data, web]`, memory = overhead + ramdisk.
    pub worker: TaskShape,
    /// Ramdisk size of a worker in bytes (`alluxio.worker.memory.size`).
    pub worker_memory_bytes: u64,
    /// Masters to keep running, each on its own host
    /// (`alluxio.integration.mesos.master.node.count`).
    pub master_node_count: u64,
    /// Whether the masters elect their leader through ZooKeeper (`alluxio.zookeeper.enabled`):
    /// workers then find the leader there instead of joining a master host.
    pub zookeeper_election: bool,
    /// The only host the master may run on (the `--alluxio-master` argument).
    pub required_master_host: Option<String>,
    /// Most workers to run; `None` = one on every agent that offers enough.
    pub max_workers: Option<u64>,
    /// How long Mesos withholds a declined offer's resources, in seconds.
    pub refuse_seconds: f64,
    /// Waits before relaunching a task that keeps failing quickly, by failures in a row.
    pub relaunch_backoff: Backoff,
}

const MB: u64 = 1 << 20;

impl SchedulerConfig {
    /// Reads the policy's settings; `required_master_host` is the `--alluxio-master` argument.
    pub fn from_conf(
        conf: &Configuration,
        required_master_host: Option<String>,
    ) -> Result<Self, ConfigError> {
        let master_ports = [keys::MASTER_WEB_PORT, keys::MASTER_PORT];
        let worker_ports = [keys::WORKER_PORT, keys::WORKER_DATA_PORT, keys::WORKER_WEB_PORT];
        let worker_memory_bytes = conf.get_bytes(keys::WORKER_MEMORY_SIZE)?;
        let worker_overhead = conf.get_bytes(keys::INTEGRATION_WORKER_RESOURCE_MEM)?;
        let max_workers = match conf.get_opt(keys::INTEGRATION_MESOS_WORKER_COUNT_MAX)? {
            Some(_) => Some(conf.get_u64(keys::INTEGRATION_MESOS_WORKER_COUNT_MAX)?),
            None => None,
        };
        let master_node_count = conf.get_u64(keys::INTEGRATION_MESOS_MASTER_NODE_COUNT)?;
        let zookeeper_election = alluxio_ha::ZooKeeperSettings::from_conf(conf)?.is_some();
        let required_master_host = required_master_host.filter(|host| !host.trim().is_empty());
        if master_node_count > 1 {
            if !zookeeper_election {
                return Err(ConfigError::MastersWithoutZooKeeper {
                    count: master_node_count,
                });
            }
            if let Some(host) = required_master_host {
                return Err(ConfigError::PinnedHostWithSeveralMasters {
                    host,
                    count: master_node_count,
                });
            }
        }
        Ok(SchedulerConfig {
            master: TaskShape {
                name: conf.get(keys::INTEGRATION_MESOS_MASTER_NAME)?,
                cpus: cpus(conf, keys::INTEGRATION_MASTER_RESOURCE_CPU)?,
                mem_mb: to_mb(conf.get_bytes(keys::INTEGRATION_MASTER_RESOURCE_MEM)?),
                ports: ports(conf, &master_ports)?,
            },
            worker: TaskShape {
                name: conf.get(keys::INTEGRATION_MESOS_WORKER_NAME)?,
                cpus: cpus(conf, keys::INTEGRATION_WORKER_RESOURCE_CPU)?,
                mem_mb: to_mb(worker_overhead.saturating_add(worker_memory_bytes)),
                ports: ports(conf, &worker_ports)?,
            },
            worker_memory_bytes,
            master_node_count,
            zookeeper_election,
            required_master_host,
            max_workers,
            refuse_seconds: conf.get_u64(keys::INTEGRATION_MESOS_REFUSE_SECONDS)? as f64,
            relaunch_backoff: Backoff::new(
                conf.get_duration(keys::INTEGRATION_MESOS_RELAUNCH_BACKOFF_INITIAL)?,
                conf.get_duration(keys::INTEGRATION_MESOS_RELAUNCH_BACKOFF_MAX)?,
            ),
        })
    }
}

/// Rounds up, so a task never reserves less than it was configured with.
fn to_mb(bytes: u64) -> u64 {
    bytes.div_ceil(MB)
}

fn cpus(conf: &Configuration, key: &str) -> Result<f64, ConfigError> {
    Ok(conf.get_parsed(key, |value| {
        value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|cpus| cpus.is_finite() && *cpus > 0.0)
            .ok_or("a positive number of CPUs such as 1 or 0.5")
    })?)
}

/// Reads fixed, pairwise distinct ports: Mesos reserves exact ports, so 0 (any port) cannot work.
fn ports(conf: &Configuration, port_keys: &[&'static str]) -> Result<Vec<u16>, ConfigError> {
    let mut ports: Vec<u16> = Vec::with_capacity(port_keys.len());
    for (index, key) in port_keys.iter().enumerate() {
        let port = conf.get_parsed(key, |value| {
            value
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .ok_or("a fixed port from 1 to 65535 (Mesos reserves exact ports)")
        })?;
        if let Some(earlier) = ports.iter().position(|p| *p == port) {
            return Err(ConfigError::DuplicatePort {
                port,
                first: port_keys[earlier],
                second: port_keys[index],
            });
        }
        ports.push(port);
    }
    Ok(ports)
}
