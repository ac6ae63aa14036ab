//! A master among several sharing one journal, elected through ZooKeeper
//! (`alluxio.zookeeper.enabled`). It is a standby (refusing calls, following the journal)
//! until it leads; then it takes the journal over
//! ([`alluxio_journal::JournalTailer::promote`], which fences the previous leader out of it)
//! and serves. It stops serving at once when it loses the election (or its ZooKeeper
//! connection) or a journal append fails (for example because a newer leader fenced it), and
//! becomes a standby again. Between two roles the ports are closed for a moment: callers retry.

use std::net::SocketAddr;
use std::time::Duration;

use alluxio_conf::{Configuration, keys};
use alluxio_ha::{Election, Leadership, ZooKeeperSettings};
use alluxio_journal::{JournalError, JournalLocation};
use alluxio_server::{Shutdown, ShutdownSender};
use tokio::task::JoinHandle;

use crate::MasterError;
use crate::server::{Listeners, Plan, Serving, advertised};
use crate::standby::{self, Followed, Standby};

/// Pause before trying again after ZooKeeper or the journal failed.
const RETRY_PAUSE: Duration = Duration::from_secs(1);
/// How often a leader checks that its journal still takes appends.
const JOURNAL_CHECK: Duration = Duration::from_millis(100);

/// An elected master's roles, run until shutdown.
pub(crate) struct Elected {
    stop: ShutdownSender,
    task: JoinHandle<()>,
}

impl Elected {
    /// Stops serving (or refusing), leaves the election and returns once every task ended.
    pub(crate) async fn shutdown(self) {
        self.stop.stop();
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "the master's election task failed");
        }
    }
}

/// What every role of this master is started with.
struct Candidate {
    conf: Configuration,
    plan: Plan,
    zookeeper: ZooKeeperSettings,
    folder: JournalLocation,
    /// The `host:port` clients reach this master at, as published when it leads.
    me: String,
    rpc_addr: SocketAddr,
    web_addr: SocketAddr,
}

/// Joins the election (failing when ZooKeeper cannot be reached) and runs this master's roles
/// on `listeners` until [`Elected::shutdown`].
pub(crate) async fn start(
    conf: Configuration,
    plan: Plan,
    zookeeper: ZooKeeperSettings,
    listeners: Listeners,
    folder: JournalLocation,
) -> Result<Elected, MasterError> {
    let me = advertised(listeners.rpc_addr, &conf.get(keys::MASTER_HOSTNAME)?);
    let election = Election::join(&zookeeper, &me)
        .await
        .map_err(|e| MasterError::Ha(e.into()))?;
    let candidate = Candidate {
        rpc_addr: listeners.rpc_addr,
        web_addr: listeners.web_addr,
        conf,
        plan,
        zookeeper,
        folder,
        me,
    };
    let (stop, stopped) = Shutdown::channel();
    let task = tokio::spawn(candidate.run(election, listeners, stopped));
    Ok(Elected { stop, task })
}

impl Candidate {
    async fn run(self, mut election: Election, mut listeners: Listeners, mut stopped: Shutdown) {
        loop {
            let standby = Standby::start(
                self.me.clone(),
                listeners,
                self.plan.rpc_limits,
                self.plan.web_limits,
                &self.zookeeper,
                self.folder.clone(),
                self.conf.clone(),
            );
            let won = tokio::select! {
                won = election.leadership() => won,
                _ = stopped.wait() => {
                    standby.stop().await;
                    return self.leave(election).await;
                }
            };
            let followed = standby.stop().await;
            let requeue = match won {
                Ok(leadership) => match self.take_over(followed).await {
                    Some(serving) => {
                        let rejoin = self.lead(serving, &leadership, &mut stopped).await;
                        if stopped.is_stopped() {
                            return self.leave(election).await;
                        }
                        rejoin.then_some(Duration::ZERO)
                    }
                    // Another candidate should take over; a pause, so that a lone master
                    // does not spin.
                    None => Some(RETRY_PAUSE),
                },
                Err(err) => {
                    tracing::warn!(error = %err, "out of the master election; joining it again");
                    Some(Duration::ZERO)
                }
            };
            if let Some(pause) = requeue {
                election = match self.requeue(election, pause, &mut stopped).await {
                    Some(joined) => joined,
                    None => return,
                };
            }
            listeners = match self.rebind(&mut stopped).await {
                Some(listeners) => listeners,
                None => return,
            };
        }
    }

    /// Takes the journal over and serves; `None` (logged) when it cannot.
    async fn take_over(&self, followed: Option<Followed>) -> Option<Serving> {
        let followed = match followed {
            Some(followed) => followed,
            None => standby::open(&self.folder, &self.conf).await?,
        };
        let Followed { tailer, tree } = followed;
        let folder = self.folder.clone();
        let promoted = tokio::task::spawn_blocking(move || {
            let cannot = |err: JournalError| {
                tracing::error!(journal = %folder, error = %err, "elected, but cannot take the journal over; letting another master lead");
            };
            let (claimed, tail) = tailer.promote().map_err(cannot).ok()?;
            let tree = standby::catch_up(tree, tail)?;
            Some((claimed.begin().map_err(cannot).ok()?, tree))
        })
        .await;
        let (journal, tree) = match promoted {
            Ok(promoted) => promoted?,
            Err(err) => {
                tracing::error!(error = %err, "taking the journal over stopped");
                return None;
            }
        };
        let listeners = Listeners::rebind(self.rpc_addr, self.web_addr)
            .await
            .inspect_err(|err| tracing::error!(error = %err, "elected, but cannot serve"))
            .ok()?;
        let serving = Serving::start(&self.conf, &self.plan, listeners, journal, tree, &self.folder)
            .inspect_err(|err| tracing::error!(error = %err, "elected, but cannot serve"))
            .ok()?;
        tracing::info!(master = %self.me, "master leads");
        Some(serving)
    }

    /// Serves until the leadership is lost, the journal fails or `stopped`; then stops
    /// serving. Returns whether the candidate must join the election again.
    async fn lead(&self, serving: Serving, leadership: &Leadership, stopped: &mut Shutdown) -> bool {
        let mut checks = tokio::time::interval(JOURNAL_CHECK);
        let rejoin = loop {
            tokio::select! {
                reason = leadership.lost() => {
                    tracing::warn!(%reason, "lost the leadership; stepping down");
                    break reason.needs_rejoin();
                }
                _ = checks.tick() => if serving.journal_failed() {
                    tracing::warn!("the journal takes no more appends (a newer leader may have fenced this one); stepping down");
                    break true;
                },
                _ = stopped.wait() => break false,
            }
        };
        serving.shutdown().await;
        rejoin
    }

    /// Leaves the election (the candidate's node may be gone already) and, after `pause`, joins
    /// it again at the back of the queue; `None` if stopped meanwhile.
    async fn requeue(&self, election: Election, pause: Duration, stopped: &mut Shutdown) -> Option<Election> {
        let _ = election.resign().await;
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stopped.wait() => return None,
        }
        self.join(stopped).await
    }

    /// Joins the election again, retrying while ZooKeeper cannot be reached; `None` if stopped.
    async fn join(&self, stopped: &mut Shutdown) -> Option<Election> {
        loop {
            match Election::join(&self.zookeeper, &self.me).await {
                Ok(election) => return Some(election),
                Err(err) => tracing::warn!(error = %err, "cannot join the master election; trying again"),
            }
            tokio::select! {
                _ = tokio::time::sleep(RETRY_PAUSE) => {}
                _ = stopped.wait() => return None,
            }
        }
    }

    /// The ports again for the next role, retrying while they are busy; `None` if stopped.
    async fn rebind(&self, stopped: &mut Shutdown) -> Option<Listeners> {
        loop {
            match Listeners::rebind(self.rpc_addr, self.web_addr).await {
                Ok(listeners) => return Some(listeners),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot take the master's ports again; trying again")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(RETRY_PAUSE) => {}
                _ = stopped.wait() => return None,
            }
        }
    }

    /// Leaves the election at shutdown, so that another master leads at once.
    async fn leave(&self, election: Election) {
        if let Err(err) = election.resign().await {
            tracing::warn!(error = %err, "could not leave the master election; another master leads once the session times out");
        }
    }
}
