//! Stalled writers on the data port cost no memory: alone in its own test binary, because it
//! measures the resident memory of the whole process, which tests running beside it would grow.

mod common;

use alluxio_proto::data::{self, Op, Request, Status, TO_END};
use common::{DataClient, FakeMaster, eventually, pattern, worker_conf};
use tokio::io::AsyncWriteExt;

/// Resident memory of this process, from /proc.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn stalled_writers_announcing_huge_chunks_cost_no_memory_and_block_no_one() {
    const STALLED: u64 = 40;
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut conf = worker_conf(master.addr, dir.path());
    // Room for every stalled block's first space reservation (a sixteenth of the quota each).
    conf.set("alluxio.worker.tieredstore.level0.dirs.quota", "1GB");
    let worker = alluxio_worker::start(conf).await.unwrap();
    let temp_files = || {
        std::fs::read_dir(dir.path().join("mem/alluxioworker/.tmp"))
            .unwrap()
            .count()
    };
    let before = resident_bytes();
    let mut stalled = Vec::new();
    for i in 0..STALLED {
        let mut raw = tokio::net::TcpStream::connect(worker.data_addr()).await.unwrap();
        data::write_request(&mut raw, &Request::new(Op::WriteBlock, 900 + i, 0, 0))
            .await
            .unwrap();
        // A chunk of the largest size is announced, and only 10 of its bytes ever come.
        raw.write_all(&data::MAX_CHUNK_LEN.to_be_bytes()).await.unwrap();
        raw.write_all(&[7; 10]).await.unwrap();
        stalled.push(raw);
    }
    eventually("every stalled write started", || temp_files() == STALLED as usize).await;
    let bytes = pattern(10, 3 * 1024 * 1024);
    let mut client = DataClient::connect(worker.data_addr()).await;
    assert_eq!(client.write_block(990, &bytes, 1 << 20).await.status, Status::Ok);
    assert_eq!(client.read_block(990, 0, TO_END).await.1, bytes);
    let grown = resident_bytes().saturating_sub(before);
    // Buffering each announced chunk whole would take 40 x 64 MiB.
    assert!(grown < 256 << 20, "memory grew by {grown} bytes");
    drop(stalled);
    eventually("the stalled writes abandoned", || temp_files() == 0).await;
    worker.shutdown().await.unwrap();
}
