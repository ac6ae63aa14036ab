//! Holding leadership, and noticing at once when it is gone.

use std::fmt;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use zookeeper_client as zk;

/// Why a leader stopped leading, or a candidate left the election.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossReason {
    /// The client lost its connection to ZooKeeper. The session may still be alive, but once
    /// ZooKeeper expires it another candidate leads, and this one cannot tell when that happens.
    /// The candidate keeps its place: after reconnecting, [`Election::leadership`] resolves
    /// again at once if it is still first.
    ///
    /// [`Election::leadership`]: crate::Election::leadership
    Disconnected,
    /// ZooKeeper expired the session: the candidate's node is gone.
    SessionExpired,
    /// The session was closed (the [`Election`](crate::Election) was dropped or resigned).
    SessionClosed,
    /// ZooKeeper refused the session's credentials.
    AuthFailed,
    /// The candidate's node was deleted, by a resignation or by someone else.
    NodeDeleted,
}

impl LossReason {
    /// Whether the candidate must [`join`](crate::Election::join) the election again: everything
    /// but [`Disconnected`](Self::Disconnected) means its node is gone.
    pub fn needs_rejoin(self) -> bool {
        self != Self::Disconnected
    }

    /// The loss a session state means, if any.
    pub(crate) fn of_state(state: zk::SessionState) -> Option<Self> {
        match state {
            zk::SessionState::SyncConnected | zk::SessionState::ConnectedReadOnly => None,
            zk::SessionState::Disconnected => Some(Self::Disconnected),
            zk::SessionState::Expired => Some(Self::SessionExpired),
            zk::SessionState::Closed => Some(Self::SessionClosed),
            zk::SessionState::AuthFailed => Some(Self::AuthFailed),
        }
    }
}

impl fmt::Display for LossReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Disconnected => "disconnected from ZooKeeper",
            Self::SessionExpired => "ZooKeeper session expired",
            Self::SessionClosed => "ZooKeeper session closed",
            Self::AuthFailed => "ZooKeeper authentication failed",
            Self::NodeDeleted => "candidate node deleted",
        })
    }
}

/// Proof that this candidate led when [`Election::leadership`](crate::Election::leadership)
/// returned, valid until [`lost`](Self::lost) resolves.
///
/// The leader must stop serving and writing as soon as `lost` resolves: ZooKeeper may hand
/// leadership to another candidate from then on. Loss is reported when the client loses its
/// connection (after two fifths of the session timeout without an answer, or at once when the
/// connection is reset), before ZooKeeper can expire the session, so another candidate leads
/// only after this one was told to stop, unless this process stalls (a pause, a stop signal) for
/// longer than the rest of the session timeout. The journal fences such a stalled leader.
///
/// Dropping it stops the watch; the leader's node stays published until the election is resigned
/// or dropped.
#[derive(Debug)]
pub struct Leadership {
    loss: watch::Receiver<Option<LossReason>>,
    monitor: JoinHandle<()>,
}

impl Leadership {
    /// Starts watching: `state` was taken while connected, before the candidate saw itself
    /// first; `node` fires when its candidate node is deleted.
    pub(crate) fn watch(state: zk::StateWatcher, node: zk::OneshotWatcher, address: String) -> Self {
        let (report, loss) = watch::channel(None);
        let monitor = tokio::spawn(async move {
            let reason = first_loss(state, node).await;
            tracing::warn!(%address, %reason, "leadership lost");
            report.send_replace(Some(reason));
        });
        Self { loss, monitor }
    }

    /// Resolves once leadership is lost, with why (at once if it already is).
    pub async fn lost(&self) -> LossReason {
        let mut loss = self.loss.clone();
        // The monitor reports before it ends; it ends without reporting only by panicking, and
        // then nothing vouches for the leadership any more.
        match loss.wait_for(Option::is_some).await {
            Ok(reason) => reason.unwrap_or(LossReason::SessionClosed),
            Err(_) => LossReason::SessionClosed,
        }
    }

    /// Whether leadership still holds, without waiting (for a check before each write).
    pub fn is_held(&self) -> bool {
        self.loss.borrow().is_none() && !self.monitor.is_finished()
    }
}

impl Drop for Leadership {
    fn drop(&mut self) {
        self.monitor.abort();
    }
}

/// The first sign of loss: a session state change (any change: a reconnection means there was
/// a disconnection, even if the watcher only shows its end) or the deletion of the node.
async fn first_loss(mut state: zk::StateWatcher, node: zk::OneshotWatcher) -> LossReason {
    if let Some(reason) = LossReason::of_state(state.peek_state()) {
        return reason;
    }
    tokio::select! {
        changed = state.changed() => LossReason::of_state(changed).unwrap_or(LossReason::Disconnected),
        event = node.changed() => match event.event_type {
            zk::EventType::Session => {
                LossReason::of_state(event.session_state).unwrap_or(LossReason::Disconnected)
            }
            // A child watch on an ephemeral node fires only when the node goes (it cannot have
            // children).
            _ => LossReason::NodeDeleted,
        },
    }
}
