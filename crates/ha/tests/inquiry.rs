//! Clients and workers finding the leader in a real ZooKeeper, as Alluxio 1.x clients do.

mod common;

use std::time::Duration;

use alluxio_ha::{Election, HaError, LeaderInquiry};
use alluxio_testkit::zookeeper::ZooKeeper;
use common::{PROMPTLY, SESSION_TIMEOUT, settings};
use tokio::time::timeout;
use zookeeper_client as zk;

#[tokio::test]
async fn the_newest_leader_node_names_the_leader() {
    let server = ZooKeeper::start().await;
    let client = zk::Client::connect(&server.address()).await.expect("connect");
    // Persistent nodes, as Alluxio 1.x masters leave them behind.
    let persistent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    client
        .create("/leader", b"", &persistent)
        .await
        .expect("create /leader");
    client
        .create("/leader/old-master:19998", b"", &persistent)
        .await
        .expect("create the old leader's node");
    client
        .create("/leader/new-master:19998", b"", &persistent)
        .await
        .expect("create the new leader's node");
    let inquiry = LeaderInquiry::new(&settings(&server.address(), SESSION_TIMEOUT));
    assert_eq!(inquiry.leader().await.expect("a leader"), "new-master:19998");
}

#[tokio::test]
async fn an_inquiry_waits_for_a_leader_within_its_retries() {
    let server = ZooKeeper::start().await;
    let settings = settings(&server.address(), SESSION_TIMEOUT);
    let inquiry = tokio::spawn({
        let settings = settings.clone();
        async move { LeaderInquiry::new(&settings).leader().await }
    });
    let election = Election::join(&settings, "127.0.0.1:1001").await.expect("join");
    let _leadership = election.leadership().await.expect("lead");
    let leader = timeout(PROMPTLY, inquiry)
        .await
        .expect("the inquiry sees the new leader")
        .expect("the inquiry's task");
    assert_eq!(leader.expect("a leader"), "127.0.0.1:1001");
}

#[tokio::test]
async fn without_a_leader_the_inquiry_gives_up_after_its_retries() {
    let server = ZooKeeper::start().await;
    let mut settings = settings(&server.address(), SESSION_TIMEOUT);
    settings.leader_inquiry_retry = 2;
    let err = LeaderInquiry::new(&settings)
        .leader()
        .await
        .expect_err("no leader");
    let message = err.to_string();
    assert!(
        matches!(&err, HaError::NoLeader { attempts: 2, path, .. } if path == "/leader"),
        "{message}"
    );
    assert!(message.contains(&server.address()), "{message}");
}

#[tokio::test]
async fn an_unreachable_zookeeper_is_named() {
    let mut server = ZooKeeper::start().await;
    server.stop();
    let mut settings = settings(&server.address(), Duration::from_secs(1));
    settings.leader_inquiry_retry = 1;
    let err = timeout(PROMPTLY, LeaderInquiry::new(&settings).leader())
        .await
        .expect("a refused connection fails fast")
        .expect_err("no ZooKeeper");
    let message = err.to_string();
    assert!(
        message.contains("cannot reach ZooKeeper") && message.contains(&server.address()),
        "{message}"
    );
}
