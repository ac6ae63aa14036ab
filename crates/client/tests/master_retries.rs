//! Which master calls the client sends again when the master becomes unavailable: idempotent ones
//! and the changes it names with an operation id always, other changes only when they never left
//! the client.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use alluxio_client::{
    CreateDirectoryOptions, DeleteOptions, ErrorKind, FileSystem, MountOptions, ReadType, WriteType,
};
use alluxio_conf::{Configuration, keys};
use alluxio_testkit::LocalCluster;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const HTTP2_HEADERS: u8 = 0x1;
const END_STREAM_AND_HEADERS: u8 = 0x1 | 0x4;

/// A loopback TCP proxy to the master that, once armed, swallows the master's answer to the next
/// call and answers UNAVAILABLE in its place, as a master that applied the call and then failed
/// would. The connection is closed after that, since the master's later header blocks may refer
/// to compression state carried by what was swallowed.
struct AnswerSwapProxy {
    addr: SocketAddr,
    armed: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl AnswerSwapProxy {
    async fn start(listen: SocketAddr, master: SocketAddr) -> Self {
        let listener = TcpListener::bind(listen).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let armed = Arc::new(AtomicBool::new(false));
        let shared = armed.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(master).await else {
                    continue;
                };
                tokio::spawn(pipe(client, server, shared.clone()));
            }
        });
        Self { addr, armed, task }
    }

    fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    fn swapped(&self) -> bool {
        !self.armed.load(Ordering::SeqCst)
    }

    fn client_conf(&self, cluster: &LocalCluster) -> Configuration {
        let mut conf = cluster.client_conf();
        conf.set(keys::MASTER_PORT, self.addr.port().to_string());
        conf
    }
}

impl Drop for AnswerSwapProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies client bytes to the master as they come, and master bytes back frame by frame.
async fn pipe(client: TcpStream, server: TcpStream, armed: Arc<AtomicBool>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = tokio::spawn(async move { tokio::io::copy(&mut client_read, &mut server_write).await });
    loop {
        let mut head = [0u8; 9];
        if server_read.read_exact(&mut head).await.is_err() {
            break;
        }
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0u8; len];
        if server_read.read_exact(&mut payload).await.is_err() {
            break;
        }
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        if head[3] == HTTP2_HEADERS && stream != 0 && armed.swap(false, Ordering::SeqCst) {
            let _ = client_write.write_all(&unavailable_answer(stream)).await;
            break;
        }
        if client_write.write_all(&head).await.is_err() || client_write.write_all(&payload).await.is_err() {
            break;
        }
    }
    upstream.abort();
}

/// A trailers-only gRPC answer with status UNAVAILABLE on `stream`, HPACK literals only.
fn unavailable_answer(stream: u32) -> Vec<u8> {
    // Indexed `:status: 200` from the static table.
    let mut block = vec![0x88];
    for (name, value) in [
        ("content-type", "application/grpc"),
        ("grpc-status", "14"),
        ("grpc-message", "the master is shutting down"),
    ] {
        // Literal without indexing, new name, no Huffman coding.
        block.push(0x00);
        block.push(name.len() as u8);
        block.extend_from_slice(name.as_bytes());
        block.push(value.len() as u8);
        block.extend_from_slice(value.as_bytes());
    }
    let len = (block.len() as u32).to_be_bytes();
    let mut frame = vec![len[1], len[2], len[3], HTTP2_HEADERS, END_STREAM_AND_HEADERS];
    frame.extend_from_slice(&stream.to_be_bytes());
    frame.extend_from_slice(&block);
    frame
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_asked_again_for_reads_and_named_changes_only() {
    init_logging();
    let cluster = LocalCluster::builder().start().await.unwrap();
    let proxy = AnswerSwapProxy::start("127.0.0.1:0".parse().unwrap(), cluster.master_rpc_addr()).await;
    let fs = FileSystem::connect(proxy.client_conf(&cluster)).await.unwrap();
    assert!(fs.get_status(&path("/")).await.unwrap().folder);

    // A creation carries an operation id: sent again, the master answers it as applied rather
    // than "already exists".
    proxy.arm();
    fs.create_directory(&path("/applied"), CreateDirectoryOptions::default())
        .await
        .unwrap();
    assert!(proxy.swapped());
    assert!(fs.get_status(&path("/applied")).await.unwrap().folder);

    // A mount carries none: it is not sent twice, and says why it failed.
    let ufs = tempfile::tempdir().unwrap();
    proxy.arm();
    let err = fs
        .mount(
            &path("/mnt"),
            &ufs.path().display().to_string(),
            MountOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(proxy.swapped());
    assert_error(
        &err,
        ErrorKind::Unavailable,
        &["may or may not have been applied"],
    );
    assert!(fs.get_status(&path("/mnt")).await.unwrap().folder);

    proxy.arm();
    let info = fs.get_status(&path("/applied")).await.unwrap();
    assert!(proxy.swapped());
    assert!(info.folder);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_sent_while_the_master_is_unreachable_waits_for_it() {
    init_logging();
    let cluster = LocalCluster::builder().start().await.unwrap();
    // A port nothing listens on until the proxy takes it.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let mut conf = cluster.client_conf();
    conf.set(keys::MASTER_PORT, port.port().to_string());
    conf.set(keys::USER_RPC_RETRY_MAX_DURATION, "30sec");
    let fs = FileSystem::connect(conf).await.unwrap();
    let mut call = tokio::spawn({
        let fs = fs.clone();
        async move {
            fs.create_directory(&path("/later"), CreateDirectoryOptions::default())
                .await
        }
    });
    // Still refused and retrying, not failed.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut call)
            .await
            .is_err()
    );
    let _proxy = AnswerSwapProxy::start(port, cluster.master_rpc_addr()).await;
    call.await.unwrap().unwrap();
    assert!(fs.get_status(&path("/later")).await.unwrap().folder);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_changes_through_a_restarted_master_apply_once() {
    init_logging();
    let mut cluster = LocalCluster::builder().block_size(MIB).start().await.unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let data = pattern(2 * MIB as usize + 7, 5);
    write_file(&fs, "/r/before", &data, WriteType::MustCache).await;

    cluster.restart_master().await.unwrap();
    // The same client, whose connection the old master closed: create, new block ids,
    // complete, rename and delete each go through exactly once.
    write_file(&fs, "/r/after", &data, WriteType::CacheThrough).await;
    fs.rename(&path("/r/after"), &path("/r/renamed")).await.unwrap();
    fs.delete(&path("/r/before"), DeleteOptions::default())
        .await
        .unwrap();
    assert!(!fs.exists(&path("/r/before")).await.unwrap());
    assert!(!fs.exists(&path("/r/after")).await.unwrap());
    assert!(read_file(&fs, "/r/renamed", ReadType::NoCache).await.unwrap() == data);

    cluster.restart_master().await.unwrap();
    assert!(read_file(&fs, "/r/renamed", ReadType::NoCache).await.unwrap() == data);
    cluster.shutdown().await.unwrap();
}
