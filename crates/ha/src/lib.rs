//! Which master leads, through ZooKeeper: the masters' election ([`Election`],
//! [`Leadership`]) and the look-up clients and workers make ([`LeaderInquiry`]), configured by
//! the `alluxio.zookeeper.*` properties ([`ZooKeeperSettings`]). Clients, workers and the proxy
//! find the master to call with a [`MasterLocator`] (ZooKeeper, or the masters of
//! `alluxio.master.rpc.addresses` in turn) and follow it with a [`CurrentMaster`], and a
//! standby refuses their calls with
//! [`standby_refusal`], naming the leader.
//!
//! # In ZooKeeper
//! - `<alluxio.zookeeper.election.path>/_c_<uuid>-lock-<sequence>`: one ephemeral sequential
//!   node per master, holding its `host:port`, named as Apache Curator's `LeaderSelector` (used
//!   by Alluxio 1.x) names them. The lowest sequence leads; every other candidate watches only
//!   the node just before its own.
//! - `<alluxio.zookeeper.leader.path>/<host:port>`: created by each master when it starts to
//!   lead. The newest one names the leader, which is how Alluxio 1.x clients read it. Unlike
//!   Alluxio 1.x's persistent node it is ephemeral, so a dead leader's entry goes with its
//!   session.
//!
//! # Failover
//! A leader that crashes or is cut off stops answering ZooKeeper; once the session timeout
//! (`alluxio.zookeeper.session.timeout`) has passed without a word from it, ZooKeeper deletes its
//! nodes, and its successor leads and publishes itself. A leader that resigns, or whose
//! [`Election`] is dropped, hands over at once. A leader whose client loses its connection is
//! told so ([`Leadership::lost`]) after two fifths of the session timeout without an answer
//! (at once when the connection is reset), before ZooKeeper can expire its session. In short:
//! a connection lost for longer than the session timeout loses the election for good, and a
//! leader already stops serving when its connection is lost at all.
//!
//! # When ZooKeeper itself is down
//! Nobody leads: every leader sees its connection lost and must stop serving, and standbys wait.
//! If ZooKeeper is back before the sessions time out (the client gives up after seven fifths of
//! the session timeout), the sessions survive with their nodes: the same leader is first again
//! and its [`Election::leadership`] resolves as soon as it has reconnected; standbys keep their
//! places. After a longer outage every session has expired: [`Election::leadership`] fails with
//! [`HaError::LeftElection`], and masters join again. The restarted ZooKeeper still holds the
//! old nodes until it expires them itself, one session timeout after it restarted, so a new
//! leader is elected about one session timeout after ZooKeeper's return.

mod candidates;
mod current;
mod election;
mod error;
mod inquiry;
mod leadership;
mod locator;
mod mesos;
mod session;
mod settings;
mod standby;

pub use current::{CurrentMaster, MasterConnection, NoMaster};
pub use election::Election;
pub use error::HaError;
pub use inquiry::LeaderInquiry;
pub use leadership::{Leadership, LossReason};
pub use locator::MasterLocator;
pub use mesos::MesosMasters;
pub use settings::ZooKeeperSettings;
pub use standby::{STANDBY_LEADER_KEY, master_lost, refused_by_standby, standby_refusal};
