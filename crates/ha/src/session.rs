//! Sessions with ZooKeeper and the request habits every user of one shares.

use std::future::Future;
use std::time::Duration;

use zookeeper_client as zk;

use crate::{HaError, ZooKeeperSettings};

/// Pause before resending a request whose connection was lost (the client queues it until it
/// has reconnected, so this only keeps a flapping connection from spinning).
const RESEND_PAUSE: Duration = Duration::from_millis(20);

/// Opens a session with the servers of `settings`, asking for its session timeout. With
/// `fail_eagerly`, gives up once every server refused; otherwise keeps trying for about a
/// session timeout.
pub(crate) async fn connect(settings: &ZooKeeperSettings, fail_eagerly: bool) -> Result<zk::Client, HaError> {
    let mut connector = zk::Client::connector().with_session_timeout(settings.session_timeout);
    if fail_eagerly {
        connector = connector.with_fail_eagerly();
    }
    connector
        .connect(&settings.address)
        .await
        .map_err(|source| HaError::Connect {
            address: settings.address.clone(),
            source,
        })
}

/// Runs `request` until its answer is not a connection loss. A request that changes nothing
/// is safe to resend; one that does must cope with having been applied already.
pub(crate) async fn resend_on_connection_loss<T, F, Fut>(mut request: F) -> Result<T, zk::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, zk::Error>>,
{
    loop {
        match request().await {
            Err(zk::Error::ConnectionLoss) => tokio::time::sleep(RESEND_PAUSE).await,
            answer => return answer,
        }
    }
}

/// Creates the persistent directory `path` and its missing parents (open to everyone, as
/// Curator creates them for Alluxio 1.x).
pub(crate) async fn ensure_dir(client: &zk::Client, path: &str) -> Result<(), zk::Error> {
    let options = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    resend_on_connection_loss(|| client.mkdir(path, &options)).await
}
