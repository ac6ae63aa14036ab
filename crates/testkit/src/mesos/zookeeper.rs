//! The simulator registering itself in ZooKeeper as a Mesos master does, so that frameworks
//! given `zk://host:port/path` find it: an ephemeral sequential `json.info_<sequence>` node
//! under the path holding its `MasterInfo` as JSON (the lowest sequence leads).

use serde_json::json;
use zookeeper_client as zk;

use super::MesosSimulator;

/// This simulator's registration; dropping it closes the session, which removes the node.
pub struct ZooKeeperRegistration {
    _session: zk::Client,
    /// The node created.
    pub node: String,
}

impl MesosSimulator {
    /// Registers this simulator in the ZooKeeper at `servers` under `path` (created if missing).
    ///
    /// # Panics
    /// When ZooKeeper cannot be reached or refuses the nodes.
    pub async fn register_in_zookeeper(&self, servers: &str, path: &str) -> ZooKeeperRegistration {
        let session = zk::Client::connector()
            .with_fail_eagerly()
            .connect(servers)
            .await
            .unwrap_or_else(|e| panic!("cannot reach ZooKeeper at {servers}: {e}"));
        let open = zk::Acls::anyone_all();
        session
            .mkdir(path, &zk::CreateMode::Persistent.with_acls(open))
            .await
            .unwrap_or_else(|e| panic!("cannot create {path} in ZooKeeper: {e}"));
        let addr = self.addr();
        let info = json!({
            "id": format!("simulator-{}", addr.port()),
            "hostname": addr.ip().to_string(),
            "port": addr.port(),
            "pid": format!("master@{addr}"),
            "address": {"hostname": addr.ip().to_string(), "ip": addr.ip().to_string(), "port": addr.port()},
            "version": "1.11.0",
        });
        let prefix = format!("{path}/json.info_");
        let (_, sequence) = session
            .create(
                &prefix,
                info.to_string().as_bytes(),
                &zk::CreateMode::EphemeralSequential.with_acls(open),
            )
            .await
            .unwrap_or_else(|e| panic!("cannot register in ZooKeeper under {path}: {e}"));
        ZooKeeperRegistration {
            _session: session,
            node: format!("{prefix}{sequence}"),
        }
    }
}
