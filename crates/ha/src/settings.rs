//! The ZooKeeper properties, read and checked once.

use std::time::Duration;

use alluxio_conf::{Configuration, keys};

use crate::HaError;

/// Where and how masters, workers and clients meet in ZooKeeper (`alluxio.zookeeper.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZooKeeperSettings {
    /// Connect string, `host:port[,host:port...]` (`alluxio.zookeeper.address`).
    pub address: String,
    /// Directory of the candidates' nodes (`alluxio.zookeeper.election.path`).
    pub election_path: String,
    /// Directory where the leader publishes its `host:port` (`alluxio.zookeeper.leader.path`).
    pub leader_path: String,
    /// Session timeout asked of ZooKeeper, which bounds it by its own minimum and maximum
    /// (`alluxio.zookeeper.session.timeout`).
    pub session_timeout: Duration,
    /// Inquiries a [`LeaderInquiry`](crate::LeaderInquiry) makes before giving up, at least one
    /// (`alluxio.zookeeper.leader.inquiry.retry`).
    pub leader_inquiry_retry: u32,
}

impl ZooKeeperSettings {
    /// The settings of `conf`, or `None` when `alluxio.zookeeper.enabled` is false. Errors name
    /// the property, its value and where it was set.
    pub fn from_conf(conf: &Configuration) -> Result<Option<Self>, HaError> {
        if !conf.get_bool(keys::ZOOKEEPER_ENABLED)? {
            return Ok(None);
        }
        Ok(Some(Self {
            address: conf.get_parsed(keys::ZOOKEEPER_ADDRESS, check_address)?,
            election_path: conf.get_parsed(keys::ZOOKEEPER_ELECTION_PATH, check_path)?,
            leader_path: conf.get_parsed(keys::ZOOKEEPER_LEADER_PATH, check_path)?,
            session_timeout: conf.get_parsed(keys::ZOOKEEPER_SESSION_TIMEOUT, check_timeout)?,
            leader_inquiry_retry: conf.get_parsed(keys::ZOOKEEPER_LEADER_INQUIRY_RETRY, |v| {
                v.trim()
                    .parse::<u32>()
                    .map_err(|_| "a number of inquiries such as 10")
            })?,
        }))
    }
}

/// A connect string: comma-separated `host:port` items, optionally followed by a chroot path.
fn check_address(value: &str) -> Result<String, &'static str> {
    let value = value.trim();
    let hosts = value.split('/').next().unwrap_or_default();
    let well_formed = !hosts.is_empty()
        && hosts.split(',').all(|item| {
            item.trim()
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
        });
    if well_formed {
        Ok(value.to_string())
    } else {
        Err("ZooKeeper servers as host:port[,host:port...], e.g. zk1:2181,zk2:2181")
    }
}

/// An absolute ZooKeeper path other than the root: no empty, `.` or `..` component, no trailing
/// slash.
fn check_path(value: &str) -> Result<String, &'static str> {
    let value = value.trim();
    let valid = value.len() > 1
        && value.starts_with('/')
        && value[1..]
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if valid {
        Ok(value.to_string())
    } else {
        Err("an absolute ZooKeeper path below the root, such as /election, without a trailing /")
    }
}

fn check_timeout(value: &str) -> Result<Duration, String> {
    match alluxio_conf::parse_duration(value)? {
        timeout if timeout.is_zero() => Err("a duration above zero, such as 60s".to_string()),
        timeout => Ok(timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> Configuration {
        let mut conf = Configuration::defaults();
        conf.set(keys::ZOOKEEPER_ENABLED, "true");
        conf.set(keys::ZOOKEEPER_ADDRESS, "zk1:2181,zk2:2181");
        conf
    }

    #[test]
    fn disabled_by_default() {
        assert_eq!(
            ZooKeeperSettings::from_conf(&Configuration::defaults()).unwrap(),
            None
        );
    }

    #[test]
    fn alluxio_defaults() {
        let settings = ZooKeeperSettings::from_conf(&enabled()).unwrap().unwrap();
        assert_eq!(
            settings,
            ZooKeeperSettings {
                address: "zk1:2181,zk2:2181".into(),
                election_path: "/election".into(),
                leader_path: "/leader".into(),
                session_timeout: Duration::from_secs(60),
                leader_inquiry_retry: 10,
            }
        );
    }

    #[test]
    fn enabled_without_address_names_the_key() {
        let mut conf = Configuration::defaults();
        conf.set(keys::ZOOKEEPER_ENABLED, "true");
        let err = ZooKeeperSettings::from_conf(&conf).unwrap_err().to_string();
        assert!(err.contains(keys::ZOOKEEPER_ADDRESS), "{err}");
    }

    #[test]
    fn bad_values_name_key_and_expectation() {
        for (key, value, expected) in [
            (keys::ZOOKEEPER_ADDRESS, "zk1", "host:port"),
            (keys::ZOOKEEPER_ADDRESS, "zk1:2181,:2181", "host:port"),
            (keys::ZOOKEEPER_ELECTION_PATH, "election", "absolute"),
            (keys::ZOOKEEPER_LEADER_PATH, "/leader/", "trailing"),
            (keys::ZOOKEEPER_LEADER_PATH, "/", "below the root"),
            (keys::ZOOKEEPER_SESSION_TIMEOUT, "0", "above zero"),
            (keys::ZOOKEEPER_LEADER_INQUIRY_RETRY, "-1", "number of inquiries"),
        ] {
            let mut conf = enabled();
            conf.set(key, value);
            let err = ZooKeeperSettings::from_conf(&conf).unwrap_err().to_string();
            assert!(
                err.contains(key) && err.contains(expected),
                "{key}={value}: {err}"
            );
        }
    }

    #[test]
    fn chroot_and_nested_paths_are_accepted() {
        let mut conf = enabled();
        conf.set(keys::ZOOKEEPER_ADDRESS, "zk1:2181,zk2:2181/alluxio");
        conf.set(keys::ZOOKEEPER_LEADER_PATH, "/alluxio/leader");
        let settings = ZooKeeperSettings::from_conf(&conf).unwrap().unwrap();
        assert_eq!(settings.address, "zk1:2181,zk2:2181/alluxio");
        assert_eq!(settings.leader_path, "/alluxio/leader");
    }
}
