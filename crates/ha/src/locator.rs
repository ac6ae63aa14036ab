//! Where clients, workers and the proxy send master calls: the one configured master, the
//! masters of `alluxio.master.rpc.addresses` tried in turn, or the leader ZooKeeper names.

use std::sync::atomic::{AtomicUsize, Ordering};

use alluxio_conf::{Configuration, keys};

use crate::{HaError, LeaderInquiry, ZooKeeperSettings};

/// Finds the master to call, and the next one when the last could not serve.
#[derive(Debug)]
pub struct MasterLocator {
    masters: Masters,
}

#[derive(Debug)]
enum Masters {
    /// `alluxio.master.hostname:alluxio.master.port`.
    One(String),
    /// `alluxio.master.rpc.addresses`, and which of them was tried last.
    Listed {
        addresses: Vec<String>,
        current: AtomicUsize,
    },
    /// The leader published in ZooKeeper.
    ZooKeeper(Box<LeaderInquiry>),
}

impl MasterLocator {
    /// The locator `conf` asks for: ZooKeeper when `alluxio.zookeeper.enabled`, else the list
    /// of `alluxio.master.rpc.addresses` when set, else the one master
    /// `alluxio.master.hostname` and `alluxio.master.port` name.
    pub fn from_conf(conf: &Configuration) -> Result<Self, HaError> {
        if let Some(settings) = ZooKeeperSettings::from_conf(conf)? {
            return Ok(Self {
                masters: Masters::ZooKeeper(Box::new(LeaderInquiry::new(&settings))),
            });
        }
        let listed = match conf.is_set(keys::MASTER_RPC_ADDRESSES) {
            true => conf.get_list(keys::MASTER_RPC_ADDRESSES)?,
            false => Vec::new(),
        };
        let listed: Vec<String> = listed
            .iter()
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        if !listed.is_empty() {
            if let Some(bad) = listed.iter().find(|a| !is_host_port(a)) {
                return Err(HaError::BadMasterAddress {
                    property: keys::MASTER_RPC_ADDRESSES,
                    address: bad.clone(),
                });
            }
            return Ok(Self {
                masters: Masters::Listed {
                    addresses: listed,
                    current: AtomicUsize::new(0),
                },
            });
        }
        let host = conf.get(keys::MASTER_HOSTNAME)?;
        let port = conf.get_port(keys::MASTER_PORT)?;
        Ok(Self {
            masters: Masters::One(format!("{host}:{port}")),
        })
    }

    /// The one master's address, when there is only one to call.
    pub fn single_address(&self) -> Option<&str> {
        match &self.masters {
            Masters::One(address) => Some(address),
            Masters::Listed { .. } | Masters::ZooKeeper(_) => None,
        }
    }

    /// Whether there is more than one master to try.
    pub fn fails_over(&self) -> bool {
        !matches!(self.masters, Masters::One(_))
    }

    /// The master to call first: the one configured, the last of the list that served (the
    /// first at start), or the leader ZooKeeper names.
    pub async fn leader(&self) -> Result<String, HaError> {
        match &self.masters {
            Masters::One(address) => Ok(address.clone()),
            Masters::Listed { addresses, current } => {
                Ok(addresses[current.load(Ordering::Acquire) % addresses.len()].clone())
            }
            Masters::ZooKeeper(inquiry) => inquiry.leader().await,
        }
    }

    /// The master to call after `failed` could not serve (unreachable, or a standby): `hint`
    /// when the standby named the leader, else the leader ZooKeeper names now, else the address
    /// listed after `failed`.
    pub async fn after_failure(&self, failed: &str, hint: Option<&str>) -> Result<String, HaError> {
        if let Some(leader) = hint.filter(|h| !h.is_empty() && *h != failed) {
            if let Masters::Listed { addresses, current } = &self.masters
                && let Some(at) = addresses.iter().position(|a| a == leader)
            {
                current.store(at, Ordering::Release);
            }
            return Ok(leader.to_string());
        }
        match &self.masters {
            Masters::One(address) => Ok(address.clone()),
            Masters::Listed { addresses, current } => {
                let at = addresses
                    .iter()
                    .position(|a| a == failed)
                    .unwrap_or(current.load(Ordering::Acquire));
                let next = (at + 1) % addresses.len();
                current.store(next, Ordering::Release);
                Ok(addresses[next].clone())
            }
            Masters::ZooKeeper(inquiry) => inquiry.leader().await,
        }
    }

    /// What the locator follows, for error messages.
    pub fn describe(&self) -> String {
        match &self.masters {
            Masters::One(address) => {
                format!("the master at {address} (alluxio.master.hostname / alluxio.master.port)")
            }
            Masters::Listed { addresses, .. } => {
                format!(
                    "the masters {} ({})",
                    addresses.join(","),
                    keys::MASTER_RPC_ADDRESSES
                )
            }
            Masters::ZooKeeper(inquiry) => format!("the leader registered in {}", inquiry.describe()),
        }
    }
}

fn is_host_port(address: &str) -> bool {
    address
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && !host.contains('/') && port.parse::<u16>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> Configuration {
        let mut conf = Configuration::default();
        for (key, value) in pairs {
            conf.set(key, *value);
        }
        conf
    }

    #[tokio::test]
    async fn one_master_is_always_the_same() {
        let locator = MasterLocator::from_conf(&conf(&[
            (keys::MASTER_HOSTNAME, "m1"),
            (keys::MASTER_PORT, "19998"),
        ]))
        .unwrap();
        assert!(!locator.fails_over());
        assert_eq!(locator.single_address(), Some("m1:19998"));
        assert_eq!(locator.leader().await.unwrap(), "m1:19998");
        assert_eq!(locator.after_failure("m1:19998", None).await.unwrap(), "m1:19998");
    }

    #[tokio::test]
    async fn listed_masters_are_tried_in_turn_and_a_hint_is_followed() {
        let locator =
            MasterLocator::from_conf(&conf(&[(keys::MASTER_RPC_ADDRESSES, "a:1, b:2,c:3")])).unwrap();
        assert!(locator.fails_over() && locator.single_address().is_none());
        assert_eq!(locator.leader().await.unwrap(), "a:1");
        assert_eq!(locator.after_failure("a:1", None).await.unwrap(), "b:2");
        assert_eq!(locator.leader().await.unwrap(), "b:2");
        assert_eq!(locator.after_failure("b:2", None).await.unwrap(), "c:3");
        assert_eq!(locator.after_failure("c:3", None).await.unwrap(), "a:1");
        // A standby naming the leader: straight there, and it is the first to try from then on.
        assert_eq!(locator.after_failure("a:1", Some("c:3")).await.unwrap(), "c:3");
        assert_eq!(locator.leader().await.unwrap(), "c:3");
        // A hint naming the master that failed is no hint.
        assert_eq!(locator.after_failure("c:3", Some("c:3")).await.unwrap(), "a:1");
    }

    #[test]
    fn a_malformed_listed_address_is_named() {
        let err = MasterLocator::from_conf(&conf(&[(keys::MASTER_RPC_ADDRESSES, "a:1,b")])).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("'b'") && message.contains(keys::MASTER_RPC_ADDRESSES),
            "{message}"
        );
    }
}
