//! Hostile peers on every port of a cluster (master RPC and web, worker RPC, data and web):
//! 10,000 connections to each, sending garbage, truncated frames, frames announcing huge
//! lengths, or a request head that never ends (slowloris, held while the rest of its batch
//! runs). Afterwards the cluster must serve a client as before, and the process must hold no
//! more file descriptors and little more memory than before the flood.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use alluxio_client::{FileSystem, ReadType, WriteType};
use alluxio_proto::data::{MAGIC, Op, Request, VERSION, encode_request_header};
use alluxio_testkit::LocalCluster;
use common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Connections per port.
const CONNECTIONS: usize = 10_000;
/// Connections open at once to each port.
const BATCH: usize = 500;
/// Descriptors the process may hold beyond its count before the flood, once it is over.
const FD_SLACK: usize = 64;
/// Resident memory the process may have grown by in a first flood (allocator pools).
const RSS_SLACK_KIB: u64 = 128 * 1024;
/// Resident memory a second flood may add on top of the first: what a leak would exceed.
const RSS_LEAK_SLACK_KIB: u64 = 24 * 1024;

/// What a port speaks, which decides what a hostile peer sends it.
#[derive(Debug, Clone, Copy)]
enum Protocol {
    Grpc,
    Http,
    DataPort,
}

/// The bytes of hostile connection `n` to a port speaking `protocol`, and whether it then stays
/// open until its batch ends (a request head that never ends).
fn hostile(protocol: Protocol, n: usize) -> (Vec<u8>, bool) {
    let garbage: Vec<u8> = (0..97).map(|i| ((n * 31 + i * 7) % 256) as u8).collect();
    match (protocol, n % 4) {
        (_, 0) => (garbage, false),
        (Protocol::Grpc, 1) => (b"PRI * HTTP/2.0\r\n\r\nSM".to_vec(), false),
        // The preface, then a SETTINGS frame announcing 16 MiB of payload that never comes.
        (Protocol::Grpc, 2) => {
            let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
            bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0x04, 0, 0, 0, 0, 0]);
            (bytes, false)
        }
        (Protocol::Grpc, _) => (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00".to_vec(), true),
        (Protocol::Http, 1) => (b"GET /metrics HTTP/1.1\r\nHo".to_vec(), false),
        (Protocol::Http, 2) => (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\nabc".to_vec(),
            false,
        ),
        (Protocol::Http, _) => (b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n".to_vec(), true),
        (Protocol::DataPort, 1) => {
            let header = encode_request_header(&Request::new(Op::ReadBlock, 1, 0, 10));
            (header[..20].to_vec(), false)
        }
        // A header announcing 4 GiB of extra data.
        (Protocol::DataPort, 2) => {
            let mut header = encode_request_header(&Request::new(Op::WriteBlock, 1, 0, 1 << 40));
            header[32..36].copy_from_slice(&u32::MAX.to_be_bytes());
            (header.to_vec(), false)
        }
        (Protocol::DataPort, _) => {
            let mut bytes = MAGIC.to_vec();
            bytes.push(VERSION);
            (bytes, true)
        }
    }
}

/// Opens [`CONNECTIONS`] hostile connections to `addr`, [`BATCH`] at a time; returns how many
/// the server accepted.
async fn flood(addr: SocketAddr, protocol: Protocol) -> usize {
    let mut accepted = 0;
    for batch in 0..CONNECTIONS / BATCH {
        let connections = (0..BATCH).map(|i| async move {
            let mut stream = TcpStream::connect(addr).await.ok()?;
            let (bytes, hold) = hostile(protocol, batch * BATCH + i);
            // The server may close first (a refused frame): not an error of this test.
            let _ = stream.write_all(&bytes).await;
            Some(hold.then_some(stream))
        });
        let opened = futures::future::join_all(connections).await;
        accepted += opened.iter().filter(|o| o.is_some()).count();
        // Held connections close here, when their batch is over.
        drop(opened);
    }
    accepted
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Writes and reads back a file through `fs`.
async fn serves(fs: &FileSystem, name: &str) {
    let data = pattern(3 << 20, 7);
    write_file(fs, name, &data, WriteType::MustCache).await;
    assert_eq!(
        read_file(fs, name, ReadType::Cache).await.unwrap(),
        data,
        "{name}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_hostile_connections_on_every_port_leaves_the_cluster_serving_without_leaks() {
    init_logging();
    let cluster = LocalCluster::builder().start().await.unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    serves(&fs, "/before").await;
    let worker = cluster.worker(0);
    let ports = [
        ("master rpc", cluster.master_rpc_addr(), Protocol::Grpc),
        ("master web", cluster.master_web_addr(), Protocol::Http),
        ("worker rpc", worker.rpc_addr.unwrap(), Protocol::Grpc),
        ("worker data", worker.data_addr.unwrap(), Protocol::DataPort),
        ("worker web", worker.web_addr.unwrap(), Protocol::Http),
    ];
    let (fds_before, rss_before) = (open_fds(), rss_kib());
    let mut rss_after_flood = Vec::new();
    for round in 1..=2 {
        // Every port at once, as an attacker would.
        let started = Instant::now();
        let floods = ports.map(|(_, addr, protocol)| flood(addr, protocol));
        let accepted = futures::future::join_all(floods).await;
        println!(
            "round {round}: {} hostile connections to {} ports in {:.1} s",
            CONNECTIONS * ports.len(),
            ports.len(),
            started.elapsed().as_secs_f64()
        );
        for ((name, addr, _), accepted) in ports.iter().zip(accepted) {
            assert_eq!(
                accepted, CONNECTIONS,
                "{name} ({addr}) stopped accepting connections"
            );
        }
        serves(&fs, &format!("/after-{round}")).await;
        // Servers notice closed connections as they get to them: give them a moment.
        let deadline = Instant::now() + Duration::from_secs(20);
        while open_fds() > fds_before + FD_SLACK && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let fds_after = open_fds();
        rss_after_flood.push(rss_kib());
        println!(
            "round {round}: file descriptors {fds_before} -> {fds_after}, resident memory {} -> {} MiB",
            rss_before / 1024,
            rss_kib() / 1024
        );
        assert!(
            fds_after <= fds_before + FD_SLACK,
            "descriptors leaked: {fds_before} before, {fds_after} after"
        );
    }
    // The first flood may grow the allocator's pools; a second one must not grow them again.
    let [first, second] = rss_after_flood[..] else {
        unreachable!("two rounds")
    };
    assert!(
        first <= rss_before + RSS_SLACK_KIB,
        "memory grew from {rss_before} to {first} KiB"
    );
    assert!(
        second <= first + RSS_LEAK_SLACK_KIB,
        "memory grew again in the second flood: {first} -> {second} KiB"
    );
    cluster.shutdown().await.unwrap();
}
