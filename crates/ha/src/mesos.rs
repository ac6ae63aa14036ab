//! The leading Mesos master, found as Mesos frameworks find it when given
//! `zk://host:port[,host:port...]/path`: each Mesos master holds an ephemeral sequential node
//! `json.info_<sequence>` under the path with its `MasterInfo` as JSON, and the lowest
//! sequence leads.

use std::time::Duration;

use serde_json::Value;
use zookeeper_client as zk;

use crate::HaError;

/// The prefix of the nodes Mesos masters publish themselves under.
const INFO_NODE: &str = "json.info_";
/// Longest wait for ZooKeeper's answers to one look-up.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the Mesos masters publish themselves: a `zk://` Mesos master address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MesosMasters {
    /// ZooKeeper's connect string, `host:port[,host:port...]`.
    pub servers: String,
    /// The path under which the masters publish themselves, e.g. `/mesos`.
    pub path: String,
}

impl MesosMasters {
    /// `address` as a `zk://` Mesos master address; `None` when it is not one, an error naming
    /// it when it is malformed.
    pub fn parse(address: &str) -> Option<Result<Self, HaError>> {
        let rest = address.trim().strip_prefix("zk://")?;
        let bad = |reason: &str| HaError::BadMesosAddress {
            address: address.to_string(),
            reason: reason.to_string(),
        };
        let Some((servers, path)) = rest.split_once('/') else {
            return Some(Err(bad(
                "it names no path after the servers, as zk://zk1:2181/mesos",
            )));
        };
        let well_formed = !servers.is_empty()
            && servers.split(',').all(|server| {
                server
                    .rsplit_once(':')
                    .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
            });
        if !well_formed {
            return Some(Err(bad("the servers must be host:port[,host:port...]")));
        }
        let path = format!("/{}", path.trim_end_matches('/'));
        if path == "/" {
            return Some(Err(bad(
                "it names no path after the servers, as zk://zk1:2181/mesos",
            )));
        }
        Some(Ok(Self {
            servers: servers.to_string(),
            path,
        }))
    }

    /// The leading Mesos master's `host:port`, read from ZooKeeper now.
    pub async fn leader(&self) -> Result<String, HaError> {
        tokio::time::timeout(LOOKUP_TIMEOUT, self.look_up())
            .await
            .unwrap_or_else(|_| {
                Err(HaError::NoMesosMaster {
                    address: self.to_string(),
                    reason: format!("ZooKeeper did not answer within {LOOKUP_TIMEOUT:?}"),
                })
            })
    }

    async fn look_up(&self) -> Result<String, HaError> {
        let client = zk::Client::connector()
            .with_fail_eagerly()
            .connect(&self.servers)
            .await
            .map_err(|source| HaError::Connect {
                address: self.servers.clone(),
                source,
            })?;
        let failed = |action, path: &str, source| HaError::Request {
            address: self.servers.clone(),
            action,
            path: path.to_string(),
            source,
        };
        let children = match client.list_children(&self.path).await {
            Ok(children) => children,
            Err(zk::Error::NoNode) => Vec::new(),
            Err(err) => return Err(failed("list", &self.path, err)),
        };
        let Some(leader) = leading_node(&children) else {
            return Err(HaError::NoMesosMaster {
                address: self.to_string(),
                reason: format!("no {INFO_NODE}* node: no Mesos master is elected"),
            });
        };
        let node = format!("{}/{leader}", self.path);
        let (data, _) = client
            .get_data(&node)
            .await
            .map_err(|e| failed("read", &node, e))?;
        master_address(&data).ok_or_else(|| HaError::NoMesosMaster {
            address: self.to_string(),
            reason: format!("{node} holds no MasterInfo JSON with an address"),
        })
    }
}

impl std::fmt::Display for MesosMasters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "zk://{}{}", self.servers, self.path)
    }
}

/// The name of the leading master's node among `children`: the lowest sequence.
fn leading_node(children: &[String]) -> Option<&String> {
    children
        .iter()
        .filter_map(|child| {
            let sequence: u64 = child.strip_prefix(INFO_NODE)?.parse().ok()?;
            Some((sequence, child))
        })
        .min()
        .map(|(_, child)| child)
}

/// `host:port` of a `MasterInfo` in JSON: its `address` (host name, else IP, and port), else
/// its top-level `hostname` and `port`.
fn master_address(data: &[u8]) -> Option<String> {
    let info: Value = serde_json::from_slice(data).ok()?;
    let address = &info["address"];
    let host = [&address["hostname"], &address["ip"], &info["hostname"]]
        .into_iter()
        .find_map(|host| host.as_str().filter(|h| !h.is_empty()))?;
    let port = address["port"].as_u64().or_else(|| info["port"].as_u64())?;
    Some(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zk_addresses_parse_and_others_are_not_ours() {
        let masters = MesosMasters::parse("zk://z1:2181,z2:2182/mesos/")
            .unwrap()
            .unwrap();
        assert_eq!(masters.servers, "z1:2181,z2:2182");
        assert_eq!(masters.path, "/mesos");
        assert_eq!(masters.to_string(), "zk://z1:2181,z2:2182/mesos");
        assert!(MesosMasters::parse("m1:5050").is_none());
        for bad in ["zk://z1:2181", "zk://z1:2181/", "zk:///mesos", "zk://z1/mesos"] {
            let err = MesosMasters::parse(bad).unwrap().unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn the_lowest_info_node_leads() {
        let children: Vec<String> = ["log_replicas", "json.info_0000000012", "json.info_0000000003"]
            .map(String::from)
            .to_vec();
        assert_eq!(leading_node(&children).unwrap(), "json.info_0000000003");
        assert_eq!(leading_node(&["log_replicas".to_string()]), None);
    }

    #[test]
    fn a_master_info_gives_its_address() {
        let info = br#"{"id":"x","ip":16777343,"port":5050,"hostname":"m1",
            "address":{"hostname":"m1.example","ip":"10.0.0.1","port":5051}}"#;
        assert_eq!(master_address(info).unwrap(), "m1.example:5051");
        let info = br#"{"address":{"ip":"10.0.0.1","port":5051}}"#;
        assert_eq!(master_address(info).unwrap(), "10.0.0.1:5051");
        let info = br#"{"hostname":"m2","port":5050}"#;
        assert_eq!(master_address(info).unwrap(), "m2:5050");
        assert_eq!(master_address(b"not json"), None);
    }
}
