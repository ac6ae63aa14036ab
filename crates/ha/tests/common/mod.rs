//! What the election and inquiry tests share: settings for a test ZooKeeper.

use std::time::Duration;

use alluxio_conf::{Configuration, keys};
use alluxio_ha::ZooKeeperSettings;

/// The session timeout of most tests: failovers take about this long.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a test waits for something that should happen well within a session timeout.
pub const PROMPTLY: Duration = Duration::from_secs(5);

/// Settings for the ZooKeeper at `address`, through the real properties, with `session_timeout`
/// and three leader inquiries.
pub fn settings(address: &str, session_timeout: Duration) -> ZooKeeperSettings {
    let mut conf = Configuration::defaults();
    conf.set(keys::ZOOKEEPER_ENABLED, "true");
    conf.set(keys::ZOOKEEPER_ADDRESS, address);
    conf.set(
        keys::ZOOKEEPER_SESSION_TIMEOUT,
        format!("{}ms", session_timeout.as_millis()),
    );
    conf.set(keys::ZOOKEEPER_LEADER_INQUIRY_RETRY, "3");
    ZooKeeperSettings::from_conf(&conf)
        .expect("valid ZooKeeper properties")
        .expect("ZooKeeper is enabled")
}
