//! Which master leads, for clients and workers: the newest node under the leader path.

use std::time::Duration;

use tokio::sync::Mutex;
use zookeeper_client as zk;

use crate::candidates;
use crate::session::connect;
use crate::{HaError, ZooKeeperSettings};

/// Longest wait of one inquiry for ZooKeeper's answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait between two inquiries; a leader publishing itself ends it early.
const PAUSE: Duration = Duration::from_secs(1);

/// Finds the leading master's `host:port` in ZooKeeper, as Alluxio 1.x's `LeaderInquireClient`
/// does: among the nodes of the leader path, each named by a master's address, the newest.
///
/// Keeps one session, opened at the first inquiry and again after it ended.
#[derive(Debug)]
pub struct LeaderInquiry {
    settings: ZooKeeperSettings,
    client: Mutex<Option<zk::Client>>,
}

/// What one inquiry found.
enum Finding {
    /// The newest leader node's name.
    Leader(String),
    /// No leader node: this fires when the leader path changes.
    Nobody(zk::OneshotWatcher),
}

impl LeaderInquiry {
    /// An inquirer of the ZooKeeper servers and leader path of `settings`; connects on first use.
    pub fn new(settings: &ZooKeeperSettings) -> Self {
        Self {
            settings: settings.clone(),
            client: Mutex::new(None),
        }
    }

    /// The leader's `host:port`. Makes up to `alluxio.zookeeper.leader.inquiry.retry` inquiries
    /// (at least one) about a second apart, or sooner when a leader publishes itself, and fails
    /// with [`HaError::NoLeader`] when none finds a leader.
    pub async fn leader(&self) -> Result<String, HaError> {
        let attempts = self.settings.leader_inquiry_retry.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            let found = tokio::time::timeout(ANSWER_TIMEOUT, self.inquire()).await;
            let watcher = match found {
                Ok(Ok(Finding::Leader(leader))) => return Ok(leader),
                Ok(Ok(Finding::Nobody(watcher))) => {
                    last = "no leader registered".to_string();
                    Some(watcher)
                }
                Ok(Err(err)) => {
                    last = err.to_string();
                    None
                }
                Err(_) => {
                    last = format!("ZooKeeper did not answer within {ANSWER_TIMEOUT:?}");
                    None
                }
            };
            tracing::debug!(attempt, attempts, %last, "no leader found yet");
            if attempt < attempts {
                match watcher {
                    Some(watcher) => {
                        let _ = tokio::time::timeout(PAUSE, watcher.changed()).await;
                    }
                    None => tokio::time::sleep(PAUSE).await,
                }
            }
        }
        Err(HaError::NoLeader {
            address: self.settings.address.clone(),
            path: self.settings.leader_path.clone(),
            attempts,
            last,
        })
    }

    /// The addresses of the masters in the election, in the order they lead (the first leads
    /// or is about to). One look, no retries.
    pub async fn candidates(&self) -> Result<Vec<String>, HaError> {
        let client = self.client().await?;
        let election = &self.settings.election_path;
        let failed = |action, path: &str, source| HaError::Request {
            address: self.settings.address.clone(),
            action,
            path: path.to_string(),
            source,
        };
        let children = match client.list_children(election).await {
            Ok(children) => children,
            Err(zk::Error::NoNode) => return Ok(Vec::new()),
            Err(err) => return Err(failed("list", election, err)),
        };
        let mut addresses = Vec::new();
        for child in candidates::in_queue_order(&children) {
            let path = format!("{election}/{child}");
            match client.get_data(&path).await {
                Ok((data, _)) => addresses.push(String::from_utf8_lossy(&data).into_owned()),
                // Left the election since the listing.
                Err(zk::Error::NoNode) => {}
                Err(err) => return Err(failed("read", &path, err)),
            }
        }
        Ok(addresses)
    }

    /// The ZooKeeper servers and leader path asked, for messages.
    pub fn describe(&self) -> String {
        format!(
            "ZooKeeper {} under {} (alluxio.zookeeper.address / alluxio.zookeeper.leader.path)",
            self.settings.address, self.settings.leader_path
        )
    }

    /// One look at the leader path.
    async fn inquire(&self) -> Result<Finding, HaError> {
        let client = self.client().await?;
        let path = &self.settings.leader_path;
        let failed = |action, source| HaError::Request {
            address: self.settings.address.clone(),
            action,
            path: path.clone(),
            source,
        };
        let (children, watcher) = match client.list_and_watch_children(path).await {
            Ok(listed) => listed,
            // No master has led yet: watch for the directory.
            Err(zk::Error::NoNode) => match client.check_and_watch_stat(path).await {
                Ok((_, watcher)) => return Ok(Finding::Nobody(watcher)),
                Err(err) => return Err(failed("watch", err)),
            },
            Err(err) => return Err(failed("list", err)),
        };
        if let [only] = children.as_slice() {
            return Ok(Finding::Leader(only.clone()));
        }
        // Every request goes out before the first answer is awaited.
        let paths: Vec<String> = children.iter().map(|child| format!("{path}/{child}")).collect();
        let requests: Vec<_> = paths.iter().map(|child| client.check_stat(child)).collect();
        let mut newest: Option<(i64, String)> = None;
        for (child, request) in children.into_iter().zip(requests) {
            // A node gone since the listing is no candidate.
            let Some(stat) = request.await.map_err(|err| failed("read", err))? else {
                continue;
            };
            // Newest by creation: zxids order creations strictly, where Alluxio 1.x compared
            // creation times in milliseconds.
            if newest.as_ref().is_none_or(|(czxid, _)| stat.czxid > *czxid) {
                newest = Some((stat.czxid, child));
            }
        }
        Ok(match newest {
            Some((_, leader)) => Finding::Leader(leader),
            None => Finding::Nobody(watcher),
        })
    }

    /// The session, opened anew when there is none or it ended.
    async fn client(&self) -> Result<zk::Client, HaError> {
        let mut cached = self.client.lock().await;
        if let Some(client) = cached.as_ref()
            && !client.state().is_terminated()
        {
            return Ok(client.clone());
        }
        let client = connect(&self.settings, true).await?;
        *cached = Some(client.clone());
        Ok(client)
    }
}
