//! Bounded polling of the master until the cluster is in the state a test expects.

use std::net::SocketAddr;
use std::time::Duration;

use alluxio_proto::auth::Credentials;
use alluxio_proto::grpc::GetWorkerInfoListRequest;
use alluxio_proto::grpc::block_master_client_service_client::BlockMasterClientServiceClient;
use tokio::time::Instant;
use tonic::transport::Channel;

use crate::ClusterError;

/// Longest wait for the master to list the workers.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Waits until the master at `master` lists exactly the workers with these data addresses as live.
pub(crate) async fn wait_for_live_workers(
    master: SocketAddr,
    credentials: &Credentials,
    expected: &[SocketAddr],
) -> Result<(), ClusterError> {
    let started = Instant::now();
    let mut last = String::from("the master did not answer");
    let mut expected_ports: Vec<u32> = expected.iter().map(|a| u32::from(a.port())).collect();
    expected_ports.sort_unstable();
    while started.elapsed() < READY_TIMEOUT {
        match live_data_ports(master, credentials).await {
            Ok(ports) if ports == expected_ports => return Ok(()),
            Ok(ports) => last = format!("live worker data ports {ports:?}, expected {expected_ports:?}"),
            Err(err) => last = format!("the master at {master} did not answer: {err}"),
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    Err(ClusterError::NotReady {
        what: last,
        waited: READY_TIMEOUT,
    })
}

async fn live_data_ports(
    master: SocketAddr,
    credentials: &Credentials,
) -> Result<Vec<u32>, Box<dyn std::error::Error>> {
    let channel = Channel::from_shared(format!("http://{master}"))?
        .connect()
        .await?;
    let mut client = BlockMasterClientServiceClient::new(credentials.on(channel));
    let resp = client
        .get_worker_info_list(GetWorkerInfoListRequest {})
        .await?
        .into_inner();
    let mut ports: Vec<u32> = resp
        .live_workers
        .iter()
        .filter_map(|w| w.address.as_ref().map(|a| a.data_port))
        .collect();
    ports.sort_unstable();
    Ok(ports)
}
