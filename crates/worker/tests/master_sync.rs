//! Registration, heartbeats, master commands, persistence and the web port.

mod common;

use alluxio_proto::data::{Status, TO_END};
use alluxio_proto::grpc::{BlockHeartbeatResponse, Command, CommandType, PersistFile};
use common::{DataClient, FakeMaster, eventually, pattern, worker_conf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn restarted_worker_registers_the_blocks_it_kept() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    {
        let recorded = master.recorded();
        let first = &recorded.registrations[0];
        assert_eq!(first.worker_id, worker.worker_id());
        assert_eq!(first.storage_tiers, vec!["MEM".to_string()]);
        assert_eq!(first.total_bytes_on_tiers["MEM"], 64 * 1024 * 1024);
        assert!(first.block_lengths.is_empty());
        let address = &recorded.addresses[&worker.worker_id()];
        assert_eq!(address.host, "127.0.0.1");
        assert_eq!(address.rpc_port, u32::from(worker.rpc_addr().port()));
        assert_eq!(address.data_port, u32::from(worker.data_addr().port()));
        assert_eq!(address.web_port, u32::from(worker.web_addr().port()));
    }
    let mut client = DataClient::connect(worker.data_addr()).await;
    assert_eq!(
        client.write_block(11, &pattern(11, 1000), 300).await.status,
        Status::Ok
    );
    assert_eq!(
        client.write_block(12, &pattern(12, 2000), 300).await.status,
        Status::Ok
    );
    drop(client);
    worker.shutdown().await.unwrap();

    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    {
        let recorded = master.recorded();
        let again = recorded.registrations.last().unwrap();
        assert_eq!(recorded.registrations.len(), 2);
        let mut blocks = again.current_blocks_on_tiers["MEM"].block_ids.clone();
        blocks.sort_unstable();
        assert_eq!(blocks, vec![11, 12]);
        assert_eq!(again.block_lengths[&11], 1000);
        assert_eq!(again.block_lengths[&12], 2000);
        assert_eq!(again.used_bytes_on_tiers["MEM"], 3000);
    }
    let mut client = DataClient::connect(worker.data_addr()).await;
    assert_eq!(client.read_block(12, 0, TO_END).await.1, pattern(12, 2000));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn heartbeats_report_changes_and_obey_free_and_register() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let id = worker.worker_id();
    let mut client = DataClient::connect(worker.data_addr()).await;
    assert_eq!(
        client.write_block(21, &pattern(21, 500), 100).await.status,
        Status::Ok
    );
    assert_eq!(
        client.write_block(22, &pattern(22, 700), 100).await.status,
        Status::Ok
    );
    eventually("a heartbeat reporting block 22", || {
        master.recorded().heartbeats.iter().any(|h| {
            h.worker_id == id
                && h.added_blocks_on_tiers
                    .get("MEM")
                    .is_some_and(|l| l.block_ids.contains(&22))
                && h.added_block_lengths.get(&22) == Some(&700)
        })
    })
    .await;

    master.queue(
        id,
        BlockHeartbeatResponse {
            command: Some(Command {
                command_type: CommandType::Free.into(),
                block_ids: vec![21, 999],
            }),
            ..Default::default()
        },
    );
    eventually("a heartbeat reporting block 21 removed", || {
        master
            .recorded()
            .heartbeats
            .iter()
            .any(|h| h.removed_block_ids.contains(&21))
    })
    .await;
    assert_eq!(client.read_block(21, 0, TO_END).await.0.status, Status::NotFound);
    assert_eq!(client.read_block(22, 0, TO_END).await.1, pattern(22, 700));

    master.queue(
        id,
        BlockHeartbeatResponse {
            command: Some(Command {
                command_type: CommandType::Register.into(),
                block_ids: vec![],
            }),
            ..Default::default()
        },
    );
    eventually("a second registration", || {
        master.recorded().registrations.len() == 2
    })
    .await;
    let again = master.recorded().registrations[1].clone();
    assert_eq!(again.current_blocks_on_tiers["MEM"].block_ids, vec![22]);
    assert_eq!(again.block_lengths[&22], 700);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn changes_made_while_the_master_is_away_are_reported_when_it_returns() {
    let master = FakeMaster::start().await;
    let addr = master.addr;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(addr, dir.path()))
        .await
        .unwrap();
    master.stop().await;

    let mut client = DataClient::connect(worker.data_addr()).await;
    let written = client.write_block(31, &pattern(31, 4096), 1024).await;
    // Stored, but the master could not be told at commit time.
    assert_eq!(written.status, Status::Unavailable);
    assert!(written.message.contains("block 31"), "{}", written.message);
    assert_eq!(client.read_block(31, 0, TO_END).await.1, pattern(31, 4096));

    let mut back = None;
    for _ in 0..100 {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => {
                back = Some(common::FakeMaster::start_on(listener));
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    let master = back.expect("master port free again");
    eventually("the kept change reported", || {
        master
            .recorded()
            .heartbeats
            .iter()
            .any(|h| h.added_block_lengths.get(&31) == Some(&4096))
    })
    .await;
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn unreachable_master_fails_start_naming_its_address() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let mut conf = worker_conf(addr, dir.path());
    conf.set("alluxio.worker.block.heartbeat.timeout", "300ms");
    let err = match alluxio_worker::start(conf).await {
        Ok(_) => panic!("started without a master"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains(&addr.to_string()), "{err}");
    assert!(err.contains("alluxio.master.hostname"), "{err}");
}

#[tokio::test]
async fn persistence_writes_the_files_blocks_from_here_and_other_workers() {
    let master = FakeMaster::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let worker_a = alluxio_worker::start(worker_conf(master.addr, dir_a.path()))
        .await
        .unwrap();
    let worker_b = alluxio_worker::start(worker_conf(master.addr, dir_b.path()))
        .await
        .unwrap();
    let first = pattern(41, 300_000);
    let second = pattern(42, 123_456);
    let mut a = DataClient::connect(worker_a.data_addr()).await;
    let mut b = DataClient::connect(worker_b.data_addr()).await;
    assert_eq!(a.write_block(41, &first, 65536).await.status, Status::Ok);
    assert_eq!(b.write_block(42, &second, 65536).await.status, Status::Ok);

    let ufs_path = dir_a.path().join("ufs/nested/dir/file.bin");
    let file = PersistFile {
        file_id: 4000,
        ufs_path: ufs_path.display().to_string(),
        block_ids: vec![41, 42],
        length: (first.len() + second.len()) as u64,
        ..Default::default()
    };
    let broken = PersistFile {
        file_id: 4001,
        ufs_path: dir_a.path().join("ufs/broken").display().to_string(),
        block_ids: vec![41, 77],
        length: 1,
        ..Default::default()
    };
    master.queue(
        worker_a.worker_id(),
        BlockHeartbeatResponse {
            persist_files: vec![file, broken],
            ..Default::default()
        },
    );
    eventually("persisted and failed ids reported", || {
        let recorded = master.recorded();
        recorded
            .heartbeats
            .iter()
            .any(|h| h.persisted_file_ids.contains(&4000))
            && recorded
                .heartbeats
                .iter()
                .any(|h| h.failed_persist_file_ids.contains(&4001))
    })
    .await;
    let written = std::fs::read(&ufs_path).unwrap();
    assert_eq!(written.len(), first.len() + second.len());
    assert!(written[..first.len()] == first[..] && written[first.len()..] == second[..]);
    assert!(!dir_a.path().join("ufs/broken").exists());

    worker_a.shutdown().await.unwrap();
    worker_b.shutdown().await.unwrap();
}

#[tokio::test]
async fn persist_results_survive_a_heartbeat_answered_with_register() {
    let master = FakeMaster::start().await;
    master.recorded().forget_first_persist_report = true;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let data = pattern(51, 10_000);
    let mut client = DataClient::connect(worker.data_addr()).await;
    assert_eq!(client.write_block(51, &data, 4096).await.status, Status::Ok);
    let ufs_path = dir.path().join("ufs/kept.bin");
    let file = PersistFile {
        file_id: 5000,
        ufs_path: ufs_path.display().to_string(),
        block_ids: vec![51],
        length: data.len() as u64,
        ..Default::default()
    };
    master.queue(
        worker.worker_id(),
        BlockHeartbeatResponse {
            persist_files: vec![file],
            ..Default::default()
        },
    );
    eventually("the persisted id reported again after re-registering", || {
        let recorded = master.recorded();
        let carrying = recorded
            .heartbeats
            .iter()
            .filter(|h| h.persisted_file_ids.contains(&5000))
            .count();
        carrying >= 2 && recorded.registrations.len() == 2
    })
    .await;
    assert!(!master.recorded().forget_first_persist_report);
    assert_eq!(std::fs::read(&ufs_path).unwrap(), data);
    worker.shutdown().await.unwrap();
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: worker\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn web_port_answers_health_and_info() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let worker = alluxio_worker::start(worker_conf(master.addr, dir.path()))
        .await
        .unwrap();
    let mut client = DataClient::connect(worker.data_addr()).await;
    assert_eq!(
        client.write_block(51, &pattern(51, 1234), 1000).await.status,
        Status::Ok
    );

    let health = http_get(worker.web_addr(), "/health").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("OK"), "{health}");

    let info = http_get(worker.web_addr(), "/api/v1/worker/info").await;
    assert!(info.starts_with("HTTP/1.1 200"), "{info}");
    let body = info.split("\r\n\r\n").nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["id"], worker.worker_id());
    assert_eq!(json["address"], "127.0.0.1");
    assert_eq!(json["dataPort"], worker.data_addr().port());
    assert_eq!(json["capacityBytesOnTiers"]["MEM"], 64 * 1024 * 1024);
    assert_eq!(json["usedBytesOnTiers"]["MEM"], 1234);
    assert_eq!(json["tierCapacity"]["MEM"]["used"], 1234);
    assert_eq!(json["blockCount"], 1);
    assert_eq!(json["metrics"]["Worker.BytesWrittenAlluxio"], 1234.0);
    assert_eq!(json["metrics"]["Worker.BlocksCached"], 1.0);
    let used = http_get(worker.web_addr(), "/api/v1/worker/used_bytes").await;
    assert!(used.ends_with("\r\n\r\n1234"), "{used}");
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn space_reserver_evicts_to_the_low_watermark_but_spares_pinned_files() {
    use alluxio_proto::ids::{block_id, file_id};
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut conf = worker_conf(master.addr, dir.path());
    conf.set("alluxio.worker.tieredstore.level0.dirs.quota", "1MB");
    conf.set("alluxio.worker.tieredstore.level0.watermark.high.ratio", "0.5");
    conf.set("alluxio.worker.tieredstore.level0.watermark.low.ratio", "0.2");
    conf.set("alluxio.worker.tieredstore.reserver.enabled", "true");
    conf.set("alluxio.worker.tieredstore.reserver.interval", "20ms");
    let worker = alluxio_worker::start(conf).await.unwrap();
    master.recorded().pinned = vec![file_id(7)];
    // One heartbeat may be in flight with the old list; the one after it got the pins, and a
    // response is handled before the next heartbeat goes out.
    let seen = master.recorded().heartbeats.len();
    eventually("the pins handed out and applied", || {
        master.recorded().heartbeats.len() > seen + 2
    })
    .await;

    let (pinned_a, pinned_b, unpinned) = (block_id(7, 0), block_id(7, 1), block_id(1, 0));
    let mut client = DataClient::connect(worker.data_addr()).await;
    for block in [pinned_a, pinned_b, unpinned] {
        assert_eq!(
            client
                .write_block(block, &pattern(block, 200_000), 65536)
                .await
                .status,
            Status::Ok
        );
    }
    // 600 KB is above the 512 KB high watermark; only the unpinned block may go.
    eventually("the unpinned block evicted", || {
        master
            .recorded()
            .heartbeats
            .iter()
            .any(|h| h.removed_block_ids.contains(&unpinned))
    })
    .await;
    assert_eq!(
        client.read_block(unpinned, 0, TO_END).await.0.status,
        Status::NotFound
    );
    assert_eq!(
        client.read_block(pinned_a, 0, TO_END).await.1,
        pattern(pinned_a, 200_000)
    );
    assert_eq!(
        client.read_block(pinned_b, 0, TO_END).await.1,
        pattern(pinned_b, 200_000)
    );
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn format_deletes_the_cached_blocks() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let conf = worker_conf(master.addr, dir.path());
    let worker = alluxio_worker::start(conf.clone()).await.unwrap();
    let mut client = DataClient::connect(worker.data_addr()).await;
    assert_eq!(client.write_block(61, b"cached", 6).await.status, Status::Ok);
    drop(client);
    worker.shutdown().await.unwrap();

    alluxio_worker::format(&conf).unwrap();
    let worker = alluxio_worker::start(conf).await.unwrap();
    let recorded = master.recorded().registrations.last().cloned().unwrap();
    assert!(recorded.block_lengths.is_empty(), "{recorded:?}");
    assert_eq!(recorded.used_bytes_on_tiers["MEM"], 0);
    worker.shutdown().await.unwrap();
}
