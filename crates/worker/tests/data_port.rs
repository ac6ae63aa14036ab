//! The worker's data port: writes, reads (sendfile), short-circuit locks, UFS reads, garbage.

mod common;

use alluxio_proto::data::{self, Op, Request, Status, TO_END};
use alluxio_proto::grpc::worker_service_client::WorkerServiceClient;
use alluxio_proto::grpc::{GetWorkerStatusRequest, RemoveBlockRequest};
use alluxio_proto::grpc::{UfsBlockSource, UfsFileTarget};
use common::{DataClient, FakeMaster, eventually, pattern, worker_conf};
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn written_block_reads_back_whole_in_ranges_and_to_the_end() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let bytes = pattern(1, 3 * 1024 * 1024 + 17);
    let mut client = DataClient::connect(worker.data_addr()).await;

    let written = client.write_block(100, &bytes, 1024 * 1024).await;
    assert_eq!((written.status, written.length), (Status::Ok, bytes.len() as u64));
    {
        let recorded = master.recorded();
        let commit = recorded
            .commits
            .iter()
            .find(|c| c.block_id == 100)
            .expect("CommitBlock sent");
        assert_eq!(commit.length, bytes.len() as u64);
        assert_eq!(commit.tier_alias, "MEM");
        assert_eq!(commit.worker_id, worker.worker_id());
        assert!(commit.used_bytes_on_tier >= bytes.len() as u64);
    }

    let (response, whole) = client.read_block(100, 0, TO_END).await;
    assert_eq!(response.status, Status::Ok);
    assert_eq!(whole, bytes);
    let (_, range) = client.read_block(100, 1000, 5000).await;
    assert_eq!(range, &bytes[1000..6000]);
    let (_, tail) = client.read_block(100, 2 * 1024 * 1024, TO_END).await;
    assert_eq!(tail, &bytes[2 * 1024 * 1024..]);
    let (_, empty) = client.read_block(100, bytes.len() as u64, TO_END).await;
    assert!(empty.is_empty());

    let (past_end, _) = client.read_block(100, bytes.len() as u64 - 10, 11).await;
    assert_eq!(past_end.status, Status::InvalidArgument);
    assert!(past_end.message.contains("block 100"), "{}", past_end.message);
    let (missing, _) = client.read_block(999, 0, TO_END).await;
    assert_eq!(missing.status, Status::NotFound);
    // Errors leave the connection usable.
    let (_, again) = client.read_block(100, 0, 10).await;
    assert_eq!(again, &bytes[..10]);

    let duplicate = client.write_block(100, b"other", 5).await;
    assert_eq!(duplicate.status, Status::AlreadyExists);
    let (_, still) = client.read_block(100, 0, 10).await;
    assert_eq!(still, &bytes[..10]);

    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn cancelled_or_broken_writes_leave_no_block() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let mut client = DataClient::connect(worker.data_addr()).await;

    data::write_request(&mut client.stream, &Request::new(Op::WriteBlock, 7, 0, 10))
        .await
        .unwrap();
    data::write_chunk(&mut client.stream, b"hello").await.unwrap();
    data::write_cancel(&mut client.stream).await.unwrap();
    assert_eq!(
        data::read_response(&mut client.stream).await.unwrap().status,
        Status::Ok
    );
    assert_eq!(client.read_block(7, 0, TO_END).await.0.status, Status::NotFound);

    // A connection lost in the middle of a write drops the temp block too.
    let mut broken = DataClient::connect(worker.data_addr()).await;
    data::write_request(&mut broken.stream, &Request::new(Op::WriteBlock, 8, 0, 10))
        .await
        .unwrap();
    data::write_chunk(&mut broken.stream, b"hello").await.unwrap();
    broken.stream.flush().await.unwrap();
    drop(broken);
    // Once the worker has dropped it, the id can be written again.
    let mut written = None;
    for _ in 0..500 {
        let response = client.write_block(8, b"world", 5).await;
        if response.status == Status::Ok {
            written = Some(response);
            break;
        }
        assert_eq!(response.status, Status::AlreadyExists);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(written.expect("block 8 writable again").length, 5);
    assert_eq!(client.read_block(8, 0, TO_END).await.1, b"world");
    assert!(master.recorded().commits.iter().all(|c| c.block_id != 7));

    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn short_circuit_lock_defers_removal_until_close() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let bytes = pattern(2, 100_000);
    let mut client = DataClient::connect(worker.data_addr()).await;
    assert_eq!(client.write_block(200, &bytes, 40_000).await.status, Status::Ok);

    let (opened, _) = client.read(&Request::new(Op::OpenLocalBlock, 200, 0, 0)).await;
    assert_eq!((opened.status, opened.length), (Status::Ok, bytes.len() as u64));
    let path = std::path::PathBuf::from(&opened.message);
    assert!(path.is_absolute(), "{path:?}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);

    let mut rpc = WorkerServiceClient::connect(format!("http://{}", worker.rpc_addr()))
        .await
        .unwrap();
    rpc.remove_block(RemoveBlockRequest { block_id: 200 })
        .await
        .unwrap();
    // Still locked: the file stays readable.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);

    let (closed, _) = client.read(&Request::new(Op::CloseLocalBlock, 200, 0, 0)).await;
    assert_eq!(closed.status, Status::Ok);
    eventually("the block file to go", || !path.exists()).await;
    assert_eq!(client.read_block(200, 0, TO_END).await.0.status, Status::NotFound);
    let (not_open, _) = client.read(&Request::new(Op::CloseLocalBlock, 200, 0, 0)).await;
    assert_eq!(not_open.status, Status::NotFound);
    let missing = rpc
        .remove_block(RemoveBlockRequest { block_id: 200 })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);

    // A lock also ends with its connection.
    assert_eq!(client.write_block(201, &bytes, 40_000).await.status, Status::Ok);
    let mut local = DataClient::connect(worker.data_addr()).await;
    let (opened, _) = local.read(&Request::new(Op::OpenLocalBlock, 201, 0, 0)).await;
    let path = std::path::PathBuf::from(&opened.message);
    rpc.remove_block(RemoveBlockRequest { block_id: 201 })
        .await
        .unwrap();
    assert!(path.exists());
    drop(local);
    eventually("the block file to go after disconnect", || !path.exists()).await;

    let status = rpc
        .get_status(GetWorkerStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.worker_id, worker.worker_id());
    assert_eq!(status.storage_tiers, vec!["MEM".to_string()]);
    assert_eq!(status.capacity_bytes_on_tiers["MEM"], 64 * 1024 * 1024);
    assert_eq!(status.block_count, 0);
    assert_eq!(
        status.address.unwrap().data_port,
        u32::from(worker.data_addr().port())
    );

    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn garbage_gets_an_error_and_the_server_keeps_serving() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();

    let mut raw = tokio::net::TcpStream::connect(worker.data_addr()).await.unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\nHost: worker\r\nAccept: */*\r\n\r\n")
        .await
        .unwrap();
    let response = data::read_response(&mut raw).await.unwrap();
    assert_eq!(response.status, Status::InvalidArgument);
    assert!(response.message.contains("magic"), "{}", response.message);
    let mut rest = Vec::new();
    raw.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "connection closed after the error");

    let mut hostile = data::encode_request_header(&Request::new(Op::ReadBlock, 1, 0, 10));
    hostile[32..36].copy_from_slice(&u32::MAX.to_be_bytes());
    let mut raw = tokio::net::TcpStream::connect(worker.data_addr()).await.unwrap();
    raw.write_all(&hostile).await.unwrap();
    assert_eq!(
        data::read_response(&mut raw).await.unwrap().status,
        Status::InvalidArgument
    );

    let mut client = DataClient::connect(worker.data_addr()).await;
    assert_eq!(
        client.write_block(300, b"still serving", 4).await.status,
        Status::Ok
    );
    assert_eq!(client.read_block(300, 0, TO_END).await.1, b"still serving");

    worker.shutdown().await.unwrap();
}

fn ufs_request(block_id: u64, offset: u64, length: u64, source: UfsBlockSource) -> Request {
    let mut request = Request::new(Op::ReadUfsBlock, block_id, offset, length);
    request.extra = source.encode_to_vec();
    request
}

#[tokio::test]
async fn ufs_reads_serve_ranges_and_cache_whole_blocks_on_request() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let ufs_file = dir.path().join("ufs").join("data.bin");
    std::fs::create_dir_all(ufs_file.parent().unwrap()).unwrap();
    let block_size = 1024 * 1024;
    let contents = pattern(3, 2 * block_size + 5000);
    std::fs::write(&ufs_file, &contents).unwrap();
    let source = |block: usize, cache| UfsBlockSource {
        ufs_path: ufs_file.display().to_string(),
        offset_in_file: (block * block_size) as u64,
        block_length: (contents.len() - block * block_size).min(block_size) as u64,
        cache,
        ..Default::default()
    };
    let mut client = DataClient::connect(worker.data_addr()).await;

    // Without caching: the range comes back, nothing is stored.
    let (response, bytes) = client.read(&ufs_request(401, 100, 1000, source(1, false))).await;
    assert_eq!(response.status, Status::Ok);
    assert_eq!(bytes, &contents[block_size + 100..block_size + 1100]);
    assert_eq!(client.read_block(401, 0, TO_END).await.0.status, Status::NotFound);
    assert!(master.recorded().commits.is_empty());

    // With caching, a partial read stores the whole block and tells the master.
    let (response, bytes) = client.read(&ufs_request(401, 200, TO_END, source(1, true))).await;
    assert_eq!(response.status, Status::Ok);
    assert_eq!(bytes, &contents[block_size + 200..2 * block_size]);
    let (cached, whole) = client.read_block(401, 0, TO_END).await;
    assert_eq!(cached.status, Status::Ok);
    assert_eq!(whole, &contents[block_size..2 * block_size]);
    {
        let recorded = master.recorded();
        let commit = recorded
            .commits
            .iter()
            .find(|c| c.block_id == 401)
            .expect("CommitBlock sent");
        assert_eq!(commit.length, block_size as u64);
    }

    // Cached now: served from the store even if the UFS file changes.
    std::fs::write(&ufs_file, vec![0u8; contents.len()]).unwrap();
    let (_, bytes) = client.read(&ufs_request(401, 0, 10, source(1, true))).await;
    assert_eq!(bytes, &contents[block_size..block_size + 10]);

    // The short last block and a missing file.
    std::fs::write(&ufs_file, &contents).unwrap();
    let (_, last) = client.read(&ufs_request(402, 0, TO_END, source(2, true))).await;
    assert_eq!(last, &contents[2 * block_size..]);
    eventually("block 402 cached", || {
        master.recorded().commits.iter().any(|c| c.block_id == 402)
    })
    .await;
    let mut gone = source(0, true);
    gone.ufs_path = dir.path().join("ufs/missing").display().to_string();
    let (missing, _) = client.read(&ufs_request(403, 0, TO_END, gone)).await;
    assert_eq!(missing.status, Status::NotFound);
    assert_eq!(client.read_block(403, 0, TO_END).await.0.status, Status::NotFound);

    let (garbled, _) = client
        .read(&Request {
            extra: vec![0xff, 0xff, 0xff],
            ..Request::new(Op::ReadUfsBlock, 404, 0, TO_END)
        })
        .await;
    assert_eq!(garbled.status, Status::InvalidArgument);

    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn concurrent_caching_reads_of_one_block_all_succeed() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let ufs_file = dir.path().join("shared.bin");
    let contents = pattern(5, 3 * 1024 * 1024);
    std::fs::write(&ufs_file, &contents).unwrap();
    let source = UfsBlockSource {
        ufs_path: ufs_file.display().to_string(),
        offset_in_file: 0,
        block_length: contents.len() as u64,
        cache: true,
        ..Default::default()
    };
    let mut readers = tokio::task::JoinSet::new();
    for reader in 0..4u64 {
        let request = ufs_request(500, reader * 1000, 100_000, source.clone());
        let addr = worker.data_addr();
        readers.spawn(async move { (reader, DataClient::connect(addr).await.read(&request).await) });
    }
    while let Some(joined) = readers.join_next().await {
        let (reader, (response, bytes)) = joined.unwrap();
        assert_eq!(response.status, Status::Ok, "{}", response.message);
        let start = (reader * 1000) as usize;
        assert_eq!(bytes, &contents[start..start + 100_000]);
    }
    let mut client = DataClient::connect(worker.data_addr()).await;
    eventually("block 500 committed", || {
        master.recorded().commits.iter().any(|c| c.block_id == 500)
    })
    .await;
    assert_eq!(client.read_block(500, 0, TO_END).await.1, contents);
    worker.shutdown().await.unwrap();
}

/// [`worker_conf`] plus an SSD tier of 64 MB under `dir`.
fn two_tier_conf(master: std::net::SocketAddr, dir: &std::path::Path) -> alluxio_conf::Configuration {
    let mut conf = worker_conf(master, dir);
    conf.set("alluxio.worker.tieredstore.levels", "2");
    conf.set("alluxio.worker.tieredstore.level1.alias", "SSD");
    conf.set(
        "alluxio.worker.tieredstore.level1.dirs.path",
        dir.join("ssd").display().to_string(),
    );
    conf.set("alluxio.worker.tieredstore.level1.dirs.quota", "64MB");
    conf
}

/// Writes `bytes` as block `block_id` straight into the SSD tier, in chunks of `chunk` bytes.
async fn write_to_ssd(client: &mut DataClient, block_id: u64, bytes: &[u8], chunk: usize) {
    let mut write = Request::new(Op::WriteBlock, block_id, 0, bytes.len() as u64);
    write.tier = 1;
    data::write_request(&mut client.stream, &write).await.unwrap();
    for part in bytes.chunks(chunk) {
        data::write_chunk(&mut client.stream, part).await.unwrap();
    }
    data::write_chunk(&mut client.stream, &[]).await.unwrap();
    client.stream.flush().await.unwrap();
    assert_eq!(
        data::read_response(&mut client.stream).await.unwrap().status,
        Status::Ok
    );
}

#[tokio::test]
async fn blocks_on_a_disk_tier_are_served_in_full_and_in_ranges() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(two_tier_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let bytes = pattern(8, 3 * 1024 * 1024 + 17);
    let small = pattern(9, 1000);
    let mut client = DataClient::connect(worker.data_addr()).await;
    write_to_ssd(&mut client, 800, &bytes, 1_500_000).await;
    assert_eq!(client.write_block(801, &small, 300).await.status, Status::Ok);
    assert_eq!(master.recorded().commits[0].tier_alias, "SSD");
    assert!(dir.path().join("ssd/alluxioworker/800").exists());

    assert_eq!(client.read_block(800, 0, TO_END).await.1, bytes);
    let (response, range) = client.read_block(800, 1_000_001, 1_500_000).await;
    assert_eq!(response.length, 1_500_000);
    assert_eq!(range, &bytes[1_000_001..2_500_001]);
    let tail = bytes.len() as u64 - 5;
    assert_eq!(
        client.read_block(800, tail, TO_END).await.1,
        &bytes[bytes.len() - 5..]
    );
    let past = bytes.len() as u64 + 1;
    assert_eq!(
        client.read_block(800, past, TO_END).await.0.status,
        Status::InvalidArgument
    );
    // The same connection still serves the memory tier afterwards.
    assert_eq!(client.read_block(801, 0, TO_END).await.1, small);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn promoting_read_moves_a_block_to_the_top_tier() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(two_tier_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let bytes = pattern(6, 70_000);
    let mut client = DataClient::connect(worker.data_addr()).await;
    write_to_ssd(&mut client, 600, &bytes, bytes.len()).await;
    assert_eq!(master.recorded().commits[0].tier_alias, "SSD");

    let mut promote = Request::new(Op::ReadBlock, 600, 0, TO_END);
    promote.flags = data::FLAG_PROMOTE;
    assert_eq!(client.read(&promote).await.1, bytes);
    eventually("block 600 reported in MEM", || {
        master.recorded().heartbeats.iter().any(|h| {
            h.added_blocks_on_tiers
                .get("MEM")
                .is_some_and(|l| l.block_ids.contains(&600))
        })
    })
    .await;
    assert_eq!(client.read_block(600, 0, TO_END).await.1, bytes);
    worker.shutdown().await.unwrap();
}

fn ufs_write_request(ufs_path: &std::path::Path) -> Request {
    let mut request = Request::new(Op::WriteUfsFile, 0, 0, 0);
    request.extra = UfsFileTarget {
        ufs_path: ufs_path.display().to_string(),
        mount_id: 0,
    }
    .encode_to_vec();
    request
}

/// Names in `dir`, temporaries of writes in progress included.
fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn ufs_writes_publish_on_commit_and_leave_nothing_when_cancelled_or_broken() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let ufs = dir.path().join("ufs");
    std::fs::create_dir_all(&ufs).unwrap();
    let mut client = DataClient::connect(worker.data_addr()).await;

    // Created, then streamed in chunks, published on the commit chunk.
    let contents = pattern(9, 3 * 1024 * 1024 + 11);
    let file = ufs.join("sub/out.bin");
    data::write_request(&mut client.stream, &ufs_write_request(&file))
        .await
        .unwrap();
    assert_eq!(
        data::read_response(&mut client.stream).await.unwrap().status,
        Status::Ok
    );
    for part in contents.chunks(700_000) {
        data::write_chunk(&mut client.stream, part).await.unwrap();
    }
    assert!(!file.exists(), "visible before the commit");
    data::write_chunk(&mut client.stream, &[]).await.unwrap();
    client.stream.flush().await.unwrap();
    let done = data::read_response(&mut client.stream).await.unwrap();
    assert_eq!((done.status, done.length), (Status::Ok, contents.len() as u64));
    assert_eq!(std::fs::read(&file).unwrap(), contents);

    // Cancelled: nothing appears, not even a temporary.
    let cancelled = ufs.join("cancelled.bin");
    data::write_request(&mut client.stream, &ufs_write_request(&cancelled))
        .await
        .unwrap();
    assert_eq!(
        data::read_response(&mut client.stream).await.unwrap().status,
        Status::Ok
    );
    data::write_chunk(&mut client.stream, b"partial").await.unwrap();
    data::write_cancel(&mut client.stream).await.unwrap();
    assert_eq!(
        data::read_response(&mut client.stream).await.unwrap().status,
        Status::Ok
    );
    assert_eq!(entries(&ufs), ["sub"]);

    // A file the UFS cannot create is refused at once, naming it; the connection goes on.
    let (refused, _) = client.read(&ufs_write_request(&ufs.join("sub"))).await;
    assert_eq!(refused.status, Status::InvalidArgument, "{}", refused.message);
    assert!(refused.message.contains("sub"), "{}", refused.message);
    let mut garbage = Request::new(Op::WriteUfsFile, 0, 0, 0);
    garbage.extra = vec![0xff; 7];
    let (refused, _) = client.read(&garbage).await;
    assert_eq!(refused.status, Status::InvalidArgument, "{}", refused.message);

    // A client gone in the middle leaves nothing behind either.
    data::write_request(&mut client.stream, &ufs_write_request(&ufs.join("broken.bin")))
        .await
        .unwrap();
    assert_eq!(
        data::read_response(&mut client.stream).await.unwrap().status,
        Status::Ok
    );
    data::write_chunk(&mut client.stream, b"half").await.unwrap();
    client.stream.flush().await.unwrap();
    drop(client);
    eventually("the broken write's temporary removed", || {
        entries(&ufs) == ["sub"]
    })
    .await;
    worker.shutdown().await.unwrap();
}
