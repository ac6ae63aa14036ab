//! The masters' election against a real ZooKeeper: one leader at a time, handovers on
//! resignation, crash and ZooKeeper restarts, and the leader's address for clients.

mod common;
mod link;

use std::time::{Duration, Instant};

use alluxio_ha::{Election, HaError, LeaderInquiry, Leadership, LossReason, ZooKeeperSettings};
use alluxio_testkit::zookeeper::ZooKeeper;
use common::{PROMPTLY, SESSION_TIMEOUT, settings};
use link::Link;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use zookeeper_client as zk;

/// How long a standby is watched to show it does not lead.
const STILL_WAITING: Duration = Duration::from_millis(300);

/// Joins the election as `address`.
async fn join(settings: &ZooKeeperSettings, address: &str) -> Election {
    Election::join(settings, address)
        .await
        .unwrap_or_else(|e| panic!("{address} cannot join: {e}"))
}

/// Waits for `election` to lead, which it should do promptly.
async fn lead(election: &Election) -> Leadership {
    timeout(PROMPTLY, election.leadership())
        .await
        .unwrap_or_else(|_| panic!("{} does not lead within {PROMPTLY:?}", election.address()))
        .unwrap_or_else(|e| panic!("{} cannot lead: {e}", election.address()))
}

/// Waits for leadership in a task that keeps the election: a standby waiting for its turn.
fn standby(election: Election) -> JoinHandle<(Election, Result<Leadership, HaError>)> {
    tokio::spawn(async move {
        let leadership = election.leadership().await;
        (election, leadership)
    })
}

/// Waits for a standby's turn, which should come within `limit`.
async fn turn_of(
    standby: JoinHandle<(Election, Result<Leadership, HaError>)>,
    limit: Duration,
) -> (Election, Leadership) {
    let (election, leadership) = timeout(limit, standby)
        .await
        .unwrap_or_else(|_| panic!("the standby does not lead within {limit:?}"))
        .expect("the standby's task");
    let leadership = leadership.unwrap_or_else(|e| panic!("{} cannot lead: {e}", election.address()));
    (election, leadership)
}

/// The leader's address as a client finds it.
async fn inquired_leader(settings: &ZooKeeperSettings) -> String {
    LeaderInquiry::new(settings)
        .leader()
        .await
        .unwrap_or_else(|e| panic!("no leader found: {e}"))
}

#[tokio::test]
async fn the_first_of_three_candidates_leads_alone() {
    let server = ZooKeeper::start().await;
    let settings = settings(&server.address(), SESSION_TIMEOUT);
    let a = join(&settings, "127.0.0.1:1001").await;
    let b = join(&settings, "127.0.0.1:1002").await;
    let c = join(&settings, "127.0.0.1:1003").await;

    let leadership = lead(&a).await;
    assert!(leadership.is_held());
    for standby in [&b, &c] {
        assert!(
            timeout(STILL_WAITING, standby.leadership()).await.is_err(),
            "{} leads beside {}",
            standby.address(),
            a.address()
        );
    }
    assert_eq!(inquired_leader(&settings).await, "127.0.0.1:1001");

    // The nodes are those of Curator's LeaderSelector, holding each master's address.
    let client = zk::Client::connect(&server.address()).await.expect("connect");
    let mut candidates = Vec::new();
    for child in client.list_children("/election").await.expect("list /election") {
        assert!(child.starts_with("_c_") && child.contains("-lock-"), "{child}");
        let (data, _) = client
            .get_data(&format!("/election/{child}"))
            .await
            .expect("read");
        candidates.push(String::from_utf8(data).expect("an address"));
    }
    candidates.sort();
    assert_eq!(candidates, ["127.0.0.1:1001", "127.0.0.1:1002", "127.0.0.1:1003"]);
    assert_eq!(
        client.list_children("/leader").await.expect("list /leader"),
        ["127.0.0.1:1001"]
    );
}

#[tokio::test]
async fn resigning_or_closing_hands_over_at_once_to_the_next_in_line() {
    let server = ZooKeeper::start().await;
    let settings = settings(&server.address(), SESSION_TIMEOUT);
    let a = join(&settings, "127.0.0.1:1001").await;
    let b = standby(join(&settings, "127.0.0.1:1002").await);
    let c = standby(join(&settings, "127.0.0.1:1003").await);
    let a_leads = lead(&a).await;

    a.resign().await.expect("resign");
    // Well within a session timeout: nobody waited for one.
    let (b, b_leads) = turn_of(b, SESSION_TIMEOUT).await;
    assert_eq!(a_leads.lost().await, LossReason::NodeDeleted);
    assert!(!a_leads.is_held());
    assert!(b_leads.is_held());
    assert_eq!(inquired_leader(&settings).await, "127.0.0.1:1002");

    // Dropping the election closes its session, which ZooKeeper hears of at once.
    drop(b);
    let (_c, c_leads) = turn_of(c, SESSION_TIMEOUT).await;
    // ZooKeeper deletes the node as it closes the session: either may be heard of first.
    let reason = b_leads.lost().await;
    assert!(
        matches!(reason, LossReason::NodeDeleted | LossReason::SessionClosed),
        "{reason}"
    );
    assert!(c_leads.is_held());
    assert_eq!(inquired_leader(&settings).await, "127.0.0.1:1003");
}

#[tokio::test]
async fn a_crashed_leader_is_replaced_once_its_session_times_out() {
    let server = ZooKeeper::start().await;
    let settings = settings(&server.address(), SESSION_TIMEOUT);
    let link = Link::to(server.socket_addr()).await;
    let a = join(
        &common::settings(&link.address(), SESSION_TIMEOUT),
        "127.0.0.1:1001",
    )
    .await;
    let b = standby(join(&settings, "127.0.0.1:1002").await);
    let a_leads = lead(&a).await;
    assert_eq!(inquired_leader(&settings).await, "127.0.0.1:1001");

    let crashed = Instant::now();
    link.cut();
    // The leader hears of it first: its connection is gone.
    assert_eq!(
        timeout(PROMPTLY, a_leads.lost()).await.expect("told at once"),
        LossReason::Disconnected
    );
    let (_b, b_leads) = turn_of(b, SESSION_TIMEOUT + PROMPTLY).await;
    let failover = crashed.elapsed();
    assert!(
        failover >= SESSION_TIMEOUT / 2,
        "the standby led {failover:?} after the crash, before the session could time out"
    );
    assert!(b_leads.is_held());
    assert_eq!(inquired_leader(&settings).await, "127.0.0.1:1002");

    // The cut-off candidate's client gives its session up too, and says to join again.
    let err = timeout(PROMPTLY, a.leadership())
        .await
        .expect("the session ends within 7/5 of its timeout")
        .expect_err("the expired candidate cannot lead");
    assert!(
        matches!(
            err,
            HaError::LeftElection {
                reason: LossReason::SessionExpired,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn the_leader_keeps_its_place_across_a_short_zookeeper_restart() {
    let mut server = ZooKeeper::start().await;
    let settings = settings(&server.address(), SESSION_TIMEOUT);
    let a = join(&settings, "127.0.0.1:1001").await;
    let b = join(&settings, "127.0.0.1:1002").await;
    let a_leads = lead(&a).await;

    server.restart().await;
    // While ZooKeeper was down nobody could vouch for the leader: it had to stop.
    assert_eq!(
        timeout(PROMPTLY, a_leads.lost()).await.expect("told at once"),
        LossReason::Disconnected
    );
    // The sessions survived: the same candidate is first again, the other still waits.
    let again = lead(&a).await;
    assert!(again.is_held());
    assert!(
        timeout(STILL_WAITING, b.leadership()).await.is_err(),
        "b leads beside a"
    );
    assert_eq!(inquired_leader(&settings).await, "127.0.0.1:1001");
}

#[tokio::test]
async fn after_a_long_zookeeper_outage_candidates_rejoin_and_one_leads() {
    let mut server = ZooKeeper::start().await;
    // Short sessions keep this test short: the outage must outlast them.
    let session_timeout = Duration::from_secs(1);
    let settings = settings(&server.address(), session_timeout);
    let a = join(&settings, "127.0.0.1:1001").await;
    let b = join(&settings, "127.0.0.1:1002").await;
    let a_leads = lead(&a).await;

    server.stop();
    assert_eq!(a_leads.lost().await, LossReason::Disconnected);
    for candidate in [&a, &b] {
        let err = timeout(PROMPTLY, candidate.leadership())
            .await
            .expect("the client gives its session up within 7/5 of its timeout")
            .expect_err("no candidate leads without ZooKeeper");
        assert!(
            matches!(
                err,
                HaError::LeftElection {
                    reason: LossReason::SessionExpired,
                    ..
                }
            ),
            "{err}"
        );
    }
    server.restart().await;
    let a = join(&settings, a.address()).await;
    let b = standby(join(&settings, b.address()).await);
    // The restarted server expires the old sessions one session timeout after its start.
    let a_leads = lead(&a).await;
    assert!(a_leads.is_held());
    assert!(timeout(STILL_WAITING, b).await.is_err(), "b leads beside a");
    assert_eq!(inquired_leader(&settings).await, "127.0.0.1:1001");
}

#[tokio::test]
async fn an_address_that_cannot_name_a_node_is_refused() {
    let settings = settings("127.0.0.1:9", SESSION_TIMEOUT);
    for address in ["", "host/1:19998"] {
        let err = Election::join(&settings, address).await.expect_err("refused");
        assert!(matches!(err, HaError::InvalidAddress { .. }), "{err}");
    }
}
