//! Short-circuit writes on the data port: a client on the worker's host writes the temp block
//! file itself, within the space it asked for, and has the worker commit or abandon it.

mod common;

use alluxio_proto::data::{FLAG_CANCEL, Op, RESPONSE_IN_MEMORY, Request, Response, Status, TO_END};
use common::{DataClient, FakeMaster, eventually, pattern, worker_conf};

const MIB: u64 = 1024 * 1024;

async fn call(client: &mut DataClient, op: Op, block_id: u64, length: u64) -> Response {
    client.read(&Request::new(op, block_id, 0, length)).await.0
}

async fn cancel(client: &mut DataClient, block_id: u64) -> Response {
    let mut request = Request::new(Op::CompleteLocalBlock, block_id, 0, 0);
    request.flags = FLAG_CANCEL;
    client.read(&request).await.0
}

#[tokio::test]
async fn a_block_written_locally_is_committed_at_its_file_length_and_reported() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let mut client = DataClient::connect(worker.data_addr()).await;
    let bytes = pattern(3, 3 * MIB as usize);

    let created = call(&mut client, Op::CreateLocalBlock, 300, MIB).await;
    assert_eq!(created.status, Status::Ok, "{}", created.message);
    assert!(created.length >= MIB, "reserved {}", created.length);
    assert_eq!(created.flags & RESPONSE_IN_MEMORY, RESPONSE_IN_MEMORY);
    let path = std::path::PathBuf::from(&created.message);
    assert!(path.is_absolute(), "{path:?}");
    let again = call(&mut client, Op::CreateLocalBlock, 300, MIB).await;
    assert_eq!(again.status, Status::AlreadyExists);

    let grown = call(&mut client, Op::RequestLocalSpace, 300, bytes.len() as u64).await;
    assert_eq!(grown.status, Status::Ok, "{}", grown.message);
    assert!(grown.length >= bytes.len() as u64);
    std::fs::write(&path, &bytes).unwrap();
    // Not readable before the commit.
    assert_eq!(client.read_block(300, 0, TO_END).await.0.status, Status::NotFound);

    let completed = call(&mut client, Op::CompleteLocalBlock, 300, 0).await;
    assert_eq!(
        (completed.status, completed.length),
        (Status::Ok, bytes.len() as u64)
    );
    let committed = master
        .recorded()
        .commits
        .iter()
        .find(|c| c.block_id == 300)
        .map(|c| c.length);
    assert_eq!(committed, Some(bytes.len() as u64));
    assert_eq!(client.read_block(300, 0, TO_END).await.1, bytes);
    let twice = call(&mut client, Op::CompleteLocalBlock, 300, 0).await;
    assert_eq!(twice.status, Status::NotFound);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_local_block_is_abandoned_on_cancel_and_when_its_connection_ends() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let mut client = DataClient::connect(worker.data_addr()).await;

    let created = call(&mut client, Op::CreateLocalBlock, 310, MIB).await;
    let path = std::path::PathBuf::from(&created.message);
    std::fs::write(&path, b"half a block").unwrap();
    assert_eq!(cancel(&mut client, 310).await.status, Status::Ok);
    assert!(!path.exists());
    assert_eq!(client.read_block(310, 0, TO_END).await.0.status, Status::NotFound);

    let mut other = DataClient::connect(worker.data_addr()).await;
    let created = call(&mut other, Op::CreateLocalBlock, 311, MIB).await;
    let path = std::path::PathBuf::from(&created.message);
    std::fs::write(&path, b"never completed").unwrap();
    drop(other);
    eventually("the temp block to go with its connection", || !path.exists()).await;
    // The id is free again, and nothing was reported.
    assert_eq!(
        call(&mut client, Op::CreateLocalBlock, 311, MIB).await.status,
        Status::Ok
    );
    assert_eq!(cancel(&mut client, 311).await.status, Status::Ok);
    assert!(
        master
            .recorded()
            .commits
            .iter()
            .all(|c| c.block_id != 310 && c.block_id != 311)
    );
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn space_beyond_the_tier_is_refused_and_the_block_stays_cancellable() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let mut client = DataClient::connect(worker.data_addr()).await;
    let created = call(&mut client, Op::CreateLocalBlock, 320, MIB).await;
    assert_eq!(created.status, Status::Ok);

    // The worker's only tier holds 64 MB.
    let refused = call(&mut client, Op::RequestLocalSpace, 320, 100 * MIB).await;
    assert_eq!(refused.status, Status::ResourceExhausted, "{}", refused.message);
    assert!(refused.message.contains("320"), "{}", refused.message);

    // A file grown past its reservation behind the worker's back is measured at commit.
    let path = std::path::PathBuf::from(&created.message);
    std::fs::write(&path, vec![7u8; 80 * MIB as usize]).unwrap();
    let completed = call(&mut client, Op::CompleteLocalBlock, 320, 0).await;
    assert_eq!(
        completed.status,
        Status::ResourceExhausted,
        "{}",
        completed.message
    );
    assert!(!path.exists());
    assert!(master.recorded().commits.iter().all(|c| c.block_id != 320));
    worker.shutdown().await.unwrap();
}
