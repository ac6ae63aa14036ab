//! The test ZooKeeper serves a real client, and keeps its data and sessions across a restart.

use std::time::Duration;

use alluxio_testkit::zookeeper::ZooKeeper;
use zookeeper_client as zk;

#[tokio::test]
async fn nodes_and_sessions_survive_a_restart() {
    let mut server = ZooKeeper::start().await;
    let client = zk::Client::connector()
        .with_session_timeout(Duration::from_secs(5))
        .connect(&server.address())
        .await
        .expect("connect to the test ZooKeeper");
    let persistent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    let ephemeral = zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
    client
        .create("/kept", b"across restarts", &persistent)
        .await
        .expect("create a persistent node");
    client
        .create("/mine", b"session", &ephemeral)
        .await
        .expect("create an ephemeral node");
    let session = client.session_id();

    server.restart().await;

    let (data, _) = client
        .get_data("/kept")
        .await
        .expect("read the persistent node after the restart");
    assert_eq!(data, b"across restarts");
    let (_, stat) = client
        .get_data("/mine")
        .await
        .expect("the ephemeral node outlives a short restart");
    assert_eq!(stat.ephemeral_owner, session.0, "the same session owns it");
    assert_eq!(client.session_id(), session);
    assert_eq!(client.state(), zk::SessionState::SyncConnected);
}

#[tokio::test]
async fn a_stopped_server_refuses_connections_until_restarted() {
    let mut server = ZooKeeper::start().await;
    server.stop();
    assert!(!server.is_running());
    assert!(
        tokio::net::TcpStream::connect(server.socket_addr())
            .await
            .is_err(),
        "nothing listens on {} while stopped",
        server.address()
    );
    server.restart().await;
    let client = zk::Client::connect(&server.address())
        .await
        .expect("connect after the restart");
    assert_eq!(
        client.list_children("/").await.expect("list the root"),
        vec!["zookeeper".to_string()]
    );
}
