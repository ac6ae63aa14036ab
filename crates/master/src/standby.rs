//! A standby master: it refuses every call, naming the leader so that callers go there, and
//! follows the shared journal, so that taking over needs only what was appended last.

use std::sync::Arc;
use std::time::Duration;

use alluxio_conf::Configuration;
use alluxio_ha::{LeaderInquiry, ZooKeeperSettings, standby_refusal};
use alluxio_journal::{JournalLocation, JournalTailer, Replay, Tail};
use alluxio_server::{RpcLimits, Shutdown, ShutdownSender};
use alluxio_web::HttpLimits;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use parking_lot::Mutex;
use tokio::task::JoinHandle;

use crate::namespace::metastore::MetastoreSettings;
use crate::namespace::resume;
use crate::namespace::tree::Tree;
use crate::server::{Listeners, spawn_server};

/// Pause between two reads of the journal's tail.
const TAIL_PAUSE: Duration = Duration::from_millis(200);
/// Pause between two looks at who leads, for the refusals.
const LEADER_PAUSE: Duration = Duration::from_millis(500);

/// What a standby has read of the journal: the tailer, and the namespace as of its last entry.
pub(crate) struct Followed {
    pub(crate) tailer: JournalTailer,
    pub(crate) tree: Tree,
}

/// A standby refusing calls on the master's ports and following the journal.
pub(crate) struct Standby {
    stop: ShutdownSender,
    servers: Vec<JoinHandle<()>>,
    follower: JoinHandle<Option<Followed>>,
}

impl Standby {
    /// Refuses calls on `listeners` as the master `me`, and follows the journal at `folder`.
    pub(crate) fn start(
        me: String,
        listeners: Listeners,
        rpc_limits: RpcLimits,
        web_limits: HttpLimits,
        zookeeper: &ZooKeeperSettings,
        folder: JournalLocation,
        conf: Configuration,
    ) -> Self {
        let (stop, stopped) = Shutdown::channel();
        let rpc_addr = listeners.rpc_addr;
        let leader = Arc::new(Mutex::new(None));
        let servers = vec![
            tokio::spawn(watch_leader(
                zookeeper.clone(),
                me.clone(),
                leader.clone(),
                stopped.clone(),
            )),
            refuse_rpc(
                listeners.rpc,
                rpc_limits,
                me.clone(),
                leader.clone(),
                stopped.clone(),
            ),
            refuse_web(listeners.web, web_limits, me, leader, stopped.clone()),
        ];
        let follower = tokio::spawn(follow(folder, conf, stopped));
        tracing::info!(rpc = %rpc_addr, "master is a standby: refusing calls and following the journal");
        Self {
            stop,
            servers,
            follower,
        }
    }

    /// Stops refusing (the listeners are closed once this returns) and following; returns what
    /// was read of the journal, `None` when it could not be read yet.
    pub(crate) async fn stop(self) -> Option<Followed> {
        self.stop.stop();
        for server in self.servers {
            if let Err(err) = server.await {
                tracing::error!(error = %err, "standby task failed while stopping");
            }
        }
        self.follower.await.unwrap_or_else(|err| {
            tracing::error!(error = %err, "the journal follower failed");
            None
        })
    }
}

/// Keeps `leader` naming the leader ZooKeeper knows (`None` while it knows none, or names
/// this master, whose node is stale).
async fn watch_leader(
    zookeeper: ZooKeeperSettings,
    me: String,
    leader: Arc<Mutex<Option<String>>>,
    mut stopped: Shutdown,
) {
    // One inquiry per look: the refusals go on meanwhile, naming the last leader seen.
    let inquiry = LeaderInquiry::new(&ZooKeeperSettings {
        leader_inquiry_retry: 1,
        ..zookeeper
    });
    loop {
        let found = tokio::select! {
            found = inquiry.leader() => found.ok().filter(|found| *found != me),
            _ = stopped.wait() => return,
        };
        *leader.lock() = found;
        tokio::select! {
            _ = tokio::time::sleep(LEADER_PAUSE) => {}
            _ = stopped.wait() => return,
        }
    }
}

/// Answers every gRPC call on `listener` with the standby's refusal.
fn refuse_rpc(
    listener: tokio::net::TcpListener,
    limits: RpcLimits,
    me: String,
    leader: Arc<Mutex<Option<String>>>,
    stopped: Shutdown,
) -> JoinHandle<()> {
    let refuse = tower::service_fn(move |_call| {
        let refusal = standby_refusal(&me, leader.lock().as_deref()).into_http::<tonic::body::Body>();
        std::future::ready(Ok::<_, std::convert::Infallible>(refusal))
    });
    tokio::spawn(limits.serve(listener, refuse, stopped))
}

/// Answers every web request on `listener` with 503 and where the leader is, but `/health`
/// with 200: a standby is a healthy process (Mesos must not kill it), only not the leader.
fn refuse_web(
    listener: tokio::net::TcpListener,
    limits: HttpLimits,
    me: String,
    leader: Arc<Mutex<Option<String>>>,
    mut stopped: Shutdown,
) -> JoinHandle<()> {
    let refuse = move || {
        let message = standby_refusal(&me, leader.lock().as_deref())
            .message()
            .to_string();
        std::future::ready((StatusCode::SERVICE_UNAVAILABLE, message).into_response())
    };
    let router = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "OK (standby master)" }))
        .fallback(refuse);
    let server = alluxio_web::serve(listener, router, limits, async move { stopped.wait().await });
    spawn_server("standby web server", server)
}

/// Follows the journal at `folder` until `stopped`: reads it whole once, then what is
/// appended, applying it to a namespace of its own. Returns what it read.
async fn follow(folder: JournalLocation, conf: Configuration, mut stopped: Shutdown) -> Option<Followed> {
    let mut followed: Option<Followed> = None;
    loop {
        followed = match followed.take() {
            None => open(&folder, &conf).await,
            Some(followed) => poll(followed).await,
        };
        tokio::select! {
            _ = tokio::time::sleep(TAIL_PAUSE) => {}
            _ = stopped.wait() => return followed,
        }
    }
}

/// Opens the journal and replays it; `None` (logged) when it cannot be read or replayed yet.
pub(crate) async fn open(folder: &JournalLocation, conf: &Configuration) -> Option<Followed> {
    let metastore = match MetastoreSettings::from_conf(conf) {
        Ok(metastore) => metastore,
        Err(err) => {
            tracing::error!(error = %err, "standby cannot follow the journal");
            return None;
        }
    };
    let (location, journal_conf) = (folder.clone(), conf.clone());
    let opened = tokio::task::spawn_blocking(move || {
        let (tailer, entries) = match JournalTailer::open(&location, &journal_conf) {
            Ok(opened) => opened,
            Err(err) => {
                tracing::warn!(journal = %location, error = %err, "standby cannot read the journal; trying again");
                return None;
            }
        };
        let tree = replay(entries, &metastore)?;
        tracing::info!(journal = %location, inodes = tree.len(), "standby replayed the journal");
        Some(Followed { tailer, tree })
    })
    .await;
    opened.unwrap_or_else(|err| {
        tracing::error!(error = %err, "reading the journal stopped");
        None
    })
}

/// Reads what was appended since the last read and applies it; `None` (logged) when the
/// namespace can no longer follow the journal, to read it whole again.
async fn poll(Followed { mut tailer, tree }: Followed) -> Option<Followed> {
    let polled = tokio::task::spawn_blocking(move || match tailer.poll() {
        Ok(tail) => catch_up(tree, tail).map(|tree| Followed { tailer, tree }),
        Err(err) => {
            tracing::warn!(journal = %tailer.location(), error = %err, "standby cannot read the journal's tail; trying again");
            Some(Followed { tailer, tree })
        }
    })
    .await;
    polled.unwrap_or_else(|err| {
        tracing::error!(error = %err, "reading the journal stopped");
        None
    })
}

/// `tree` with `tail` applied; `None` (logged) when an entry does not fit it. Blocks while a
/// restart reads the checkpoint: call it from a blocking context.
pub(crate) fn catch_up(mut tree: Tree, tail: Tail) -> Option<Tree> {
    match tail {
        Tail::Restart(entries) => {
            let metastore = tree.inodes.settings();
            drop(tree);
            replay(entries, &metastore)
        }
        Tail::Entries(entries) => {
            for entry in &entries {
                if let Err(reason) = tree.apply_journaled(entry) {
                    tracing::error!(sequence = entry.sequence, %reason, "a journal entry does not fit the standby's namespace; reading the journal again");
                    return None;
                }
            }
            Some(tree)
        }
    }
}

/// A namespace of its own in `metastore`, rebuilt from the journal's `entries` as they are read.
fn replay(entries: Replay, metastore: &MetastoreSettings) -> Option<Tree> {
    let empty = match metastore.open() {
        Ok(store) => Tree::with_metastore(store),
        Err(err) => {
            tracing::error!(error = %err, "standby cannot open a metastore");
            return None;
        }
    };
    resume::replay(empty, entries)
        .map(|(tree, _)| tree)
        .map_err(|err| tracing::error!(error = %err, "the journal does not replay; reading it again"))
        .ok()
}
