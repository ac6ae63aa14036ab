//! What can go wrong between a master, or a client looking for one, and ZooKeeper.

use alluxio_conf::ConfError;
use zookeeper_client as zk;

use crate::LossReason;

/// Why an election or a leader inquiry failed. Each error names the ZooKeeper address and, where
/// one is involved, the node path.
#[derive(Debug, thiserror::Error)]
pub enum HaError {
    /// A ZooKeeper property is missing or malformed.
    #[error(transparent)]
    Conf(#[from] ConfError),
    /// The candidate's address cannot name a ZooKeeper node.
    #[error(
        "'{address}' cannot be published as a master address: it must be a non-empty host:port \
         without '/'"
    )]
    InvalidAddress {
        /// The address given to [`Election::join`](crate::Election::join).
        address: String,
    },
    /// No session could be established.
    #[error(
        "cannot reach ZooKeeper at {address}: {source}; check alluxio.zookeeper.address and that \
         ZooKeeper runs"
    )]
    Connect {
        /// The connect string.
        address: String,
        /// The client's error.
        #[source]
        source: zk::Error,
    },
    /// A ZooKeeper request failed.
    #[error("ZooKeeper at {address} failed to {action} {path}: {source}")]
    Request {
        /// The connect string.
        address: String,
        /// What was asked, e.g. "create".
        action: &'static str,
        /// The node concerned.
        path: String,
        /// The client's error.
        #[source]
        source: zk::Error,
    },
    /// The candidate is out of the election: its session ended or its node was deleted.
    #[error(
        "the candidate node {node} left the election at ZooKeeper {address} ({reason}); join the \
         election again"
    )]
    LeftElection {
        /// The connect string.
        address: String,
        /// The candidate's node.
        node: String,
        /// Why it is out.
        reason: LossReason,
    },
    /// A configured master address is not `host:port`.
    #[error("'{address}' in {property} is not a master address: list them as host:port[,host:port...]")]
    BadMasterAddress {
        /// The property holding it.
        property: &'static str,
        /// The malformed item.
        address: String,
    },
    /// A `zk://` Mesos master address is malformed.
    #[error("'{address}' is not a Mesos master address: {reason}")]
    BadMesosAddress {
        /// The address given.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No leading Mesos master could be read from ZooKeeper.
    #[error("cannot find the leading Mesos master at {address}: {reason}")]
    NoMesosMaster {
        /// The `zk://` address.
        address: String,
        /// Why.
        reason: String,
    },
    /// No master has published itself as leader.
    #[error(
        "no leading master is registered under {path} at ZooKeeper {address} after {attempts} \
         inquiries (last: {last}); check that a master runs with alluxio.zookeeper.enabled=true \
         and the same alluxio.zookeeper.address and alluxio.zookeeper.leader.path"
    )]
    NoLeader {
        /// The connect string.
        address: String,
        /// The leader directory.
        path: String,
        /// Inquiries made.
        attempts: u32,
        /// What the last inquiry found.
        last: String,
    },
}
