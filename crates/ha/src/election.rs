//! A master's candidacy: its node in the election queue, waiting to be first, and publishing
//! its address once it is.

use std::time::Duration;

use uuid::Uuid;
use zookeeper_client as zk;

use crate::candidates::{self, Standing};
use crate::session::{connect, ensure_dir, resend_on_connection_loss};
use crate::{HaError, Leadership, LossReason, ZooKeeperSettings};

/// One master's place in the leader election, on a ZooKeeper session of its own.
///
/// [`join`](Self::join) queues the candidate behind those already there; the first in the
/// queue leads. Each candidate watches only the one just before it, so a leader's departure
/// wakes only its successor. Dropping an `Election` closes its session, which removes its nodes
/// as soon as ZooKeeper hears of it (or after the session timeout if it never does, for example
/// when the runtime shuts down first).
#[derive(Debug)]
pub struct Election {
    client: zk::Client,
    settings: ZooKeeperSettings,
    address: String,
    /// Full path of this candidate's node.
    node: String,
}

impl Election {
    /// Opens a session and enters the election as the master reachable at `my_address`
    /// (`host:port`, the name clients will connect to), behind the candidates already there.
    /// Creates the election directory if needed.
    pub async fn join(settings: &ZooKeeperSettings, my_address: &str) -> Result<Self, HaError> {
        if my_address.is_empty() || my_address.contains('/') {
            return Err(HaError::InvalidAddress {
                address: my_address.to_string(),
            });
        }
        let client = connect(settings, false).await?;
        let election = &settings.election_path;
        let failed = |action, path: &str, source| HaError::Request {
            address: settings.address.clone(),
            action,
            path: path.to_string(),
            source,
        };
        ensure_dir(&client, election)
            .await
            .map_err(|e| failed("create", election, e))?;
        let protection = Uuid::new_v4();
        let prefix = format!("{election}/{}", candidates::node_prefix(protection));
        let options = zk::CreateMode::EphemeralSequential.with_acls(zk::Acls::anyone_all());
        let node = loop {
            match client.create(&prefix, my_address.as_bytes(), &options).await {
                Ok((_, sequence)) => break format!("{prefix}{sequence}"),
                // The node may exist without our knowing: look for it by its uuid.
                Err(zk::Error::ConnectionLoss) => {
                    let children = resend_on_connection_loss(|| client.list_children(election))
                        .await
                        .map_err(|e| failed("list", election, e))?;
                    if let Some(name) = candidates::find_protected(&children, protection) {
                        break format!("{election}/{name}");
                    }
                }
                // Someone removed the directory meanwhile.
                Err(zk::Error::NoNode) => ensure_dir(&client, election)
                    .await
                    .map_err(|e| failed("create", election, e))?,
                Err(err) => return Err(failed("create", &prefix, err)),
            }
        };
        tracing::info!(
            address = %my_address,
            %node,
            session = %client.session_id(),
            timeout = ?client.session_timeout(),
            "joined the master election"
        );
        Ok(Self {
            client,
            settings: settings.clone(),
            address: my_address.to_string(),
            node,
        })
    }

    /// Waits until this candidate is first in the queue, publishes its address under the leader
    /// path, and returns the [`Leadership`] to serve under. Resolves at once when it already is
    /// first (again, after a [`LossReason::Disconnected`]).
    ///
    /// While ZooKeeper is unreachable this waits for it to come back. Fails with
    /// [`HaError::LeftElection`] once the candidate's node is gone (its session expired or the
    /// node was deleted): [`join`](Self::join) again.
    pub async fn leadership(&self) -> Result<Leadership, HaError> {
        let election = &self.settings.election_path;
        loop {
            // Taken while connected and before the candidate sees itself first: any change it
            // reports afterwards means the connection was lost meanwhile.
            let mut state = self.client.state_watcher();
            match LossReason::of_state(state.state()) {
                None => {}
                Some(reason) if reason.needs_rejoin() => return Err(self.left(reason)),
                Some(_) => {
                    state.changed().await;
                    continue;
                }
            }
            let children = resend_on_connection_loss(|| self.client.list_children(election))
                .await
                .map_err(|e| self.failed("list", election, e))?;
            let mine = self.node.rsplit('/').next().unwrap_or_default();
            match candidates::standing(&children, mine) {
                Standing::Absent => return Err(self.left(LossReason::NodeDeleted)),
                Standing::Behind(predecessor) => {
                    let predecessor = format!("{election}/{predecessor}");
                    tracing::debug!(node = %self.node, %predecessor, "waiting for the candidate before");
                    let watched =
                        resend_on_connection_loss(|| self.client.check_and_watch_stat(&predecessor))
                            .await
                            .map_err(|e| self.failed("watch", &predecessor, e))?;
                    if let (Some(_), watcher) = watched {
                        let event = watcher.changed().await;
                        if event.event_type == zk::EventType::Session
                            && let Some(reason) = LossReason::of_state(event.session_state)
                            && reason.needs_rejoin()
                        {
                            return Err(self.left(reason));
                        }
                    }
                }
                Standing::First => {
                    // A child watch on an ephemeral node fires only when the node is deleted.
                    let (_, watcher) =
                        resend_on_connection_loss(|| self.client.list_and_watch_children(&self.node))
                            .await
                            .map_err(|e| match e {
                                zk::Error::NoNode => self.left(LossReason::NodeDeleted),
                                e => self.failed("watch", &self.node, e),
                            })?;
                    let leadership = Leadership::watch(state, watcher, self.address.clone());
                    self.publish().await?;
                    tracing::info!(address = %self.address, node = %self.node, "leading the masters");
                    return Ok(leadership);
                }
            }
        }
    }

    /// Leaves the election: deletes the published leader node (if this candidate's session owns
    /// it) and the candidate node, so the next candidate leads without waiting for a session
    /// timeout, then closes the session.
    pub async fn resign(self) -> Result<(), HaError> {
        let leader = self.leader_node();
        let owner = resend_on_connection_loss(|| self.client.check_stat(&leader))
            .await
            .map_err(|e| self.failed("read", &leader, e))?
            .map(|stat| stat.ephemeral_owner);
        if owner == Some(self.client.session_id().0) {
            self.delete(&leader).await?;
        }
        self.delete(&self.node).await?;
        tracing::info!(address = %self.address, node = %self.node, "left the master election");
        Ok(())
    }

    /// The address this candidate publishes when it leads.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The full path of this candidate's node.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The session timeout ZooKeeper granted: how long after this candidate falls silent its
    /// node disappears and the next candidate takes over.
    pub fn session_timeout(&self) -> Duration {
        self.client.session_timeout()
    }

    /// Publishes this leader's address as the newest node of the leader path: an ephemeral node
    /// named `host:port` (as Alluxio 1.x leaders name theirs), replacing one of the same name left
    /// by an earlier session or leadership.
    async fn publish(&self) -> Result<(), HaError> {
        let dir = &self.settings.leader_path;
        let leader = self.leader_node();
        let options = zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
        ensure_dir(&self.client, dir)
            .await
            .map_err(|e| self.failed("create", dir, e))?;
        loop {
            match resend_on_connection_loss(|| self.client.create(&leader, self.address.as_bytes(), &options))
                .await
            {
                Ok(_) => return Ok(()),
                // Deleted and made again, it is the newest: Alluxio's inquiry picks the newest.
                Err(zk::Error::NodeExists) => self.delete(&leader).await?,
                Err(zk::Error::NoNode) => ensure_dir(&self.client, dir)
                    .await
                    .map_err(|e| self.failed("create", dir, e))?,
                Err(err) => return Err(self.failed("create", &leader, err)),
            }
        }
    }

    /// Deletes `path`; one already gone is fine.
    async fn delete(&self, path: &str) -> Result<(), HaError> {
        match resend_on_connection_loss(|| self.client.delete(path, None)).await {
            Ok(()) | Err(zk::Error::NoNode) => Ok(()),
            Err(err) => Err(self.failed("delete", path, err)),
        }
    }

    fn leader_node(&self) -> String {
        format!("{}/{}", self.settings.leader_path, self.address)
    }

    /// The error of a failed request; a session that ended means the candidate left.
    fn failed(&self, action: &'static str, path: &str, source: zk::Error) -> HaError {
        match source {
            zk::Error::SessionExpired | zk::Error::SessionMoved => self.left(LossReason::SessionExpired),
            zk::Error::ClientClosed => self.left(LossReason::SessionClosed),
            zk::Error::AuthFailed => self.left(LossReason::AuthFailed),
            source => HaError::Request {
                address: self.settings.address.clone(),
                action,
                path: path.to_string(),
                source,
            },
        }
    }

    fn left(&self, reason: LossReason) -> HaError {
        HaError::LeftElection {
            address: self.settings.address.clone(),
            node: self.node.clone(),
            reason,
        }
    }
}
