//! Restarts, eviction and error reporting against a real LocalCluster.

mod common;

use std::time::Duration;

use alluxio_client::{
    ClientError, CreateDirectoryOptions, CreateFileOptions, DeleteOptions, ErrorKind, FileSystem,
    OpenFileOptions, ReadType, SetAttributeOptions, WriteType,
};
use alluxio_conf::Configuration;
use alluxio_testkit::LocalCluster;
use common::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_restart_keeps_files_and_blocks_readable() {
    let mut cluster = LocalCluster::builder().block_size(MIB).start().await.unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let cached = pattern(3 * MIB as usize + 5, 1);
    let through = pattern(2 * MIB as usize, 2);
    write_file(&fs, "/keep/cached", &cached, WriteType::MustCache).await;
    write_file(&fs, "/keep/through", &through, WriteType::CacheThrough).await;
    fs.create_directory(&path("/keep/empty"), CreateDirectoryOptions::default())
        .await
        .unwrap();

    cluster.restart_master().await.unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    assert!(fs.get_status(&path("/keep/empty")).await.unwrap().folder);
    wait_until("blocks to be reported to the new master", WAIT, async || {
        in_alluxio(&fs, "/keep/cached").await == 100
    })
    .await;
    assert!(read_file(&fs, "/keep/cached", ReadType::NoCache).await.unwrap() == cached);
    assert!(read_file(&fs, "/keep/through", ReadType::NoCache).await.unwrap() == through);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_restart_keeps_its_cached_blocks() {
    let mut cluster = LocalCluster::builder().block_size(MIB).start().await.unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let data = pattern(2 * MIB as usize + 100, 3);
    write_file(&fs, "/w/file", &data, WriteType::MustCache).await;

    cluster.stop_worker(0).await.unwrap();
    cluster.start_worker(0).await.unwrap();
    wait_until("the restarted worker to report its blocks", WAIT, async || {
        in_alluxio(&fs, "/w/file").await == 100
    })
    .await;
    // The same client keeps working: its pooled connections to the old worker are replaced.
    assert!(read_file(&fs, "/w/file", ReadType::NoCache).await.unwrap() == data);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eviction_drops_least_recent_persisted_blocks_never_pinned_ones() {
    let cluster = LocalCluster::builder()
        .block_size(MIB)
        .mem_quota(4 * MIB)
        .start()
        .await
        .unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let old = pattern(2 * MIB as usize, 1);
    let pinned = pattern(2 * MIB as usize, 2);
    let new = pattern(2 * MIB as usize, 3);
    write_file(&fs, "/ev/old", &old, WriteType::CacheThrough).await;
    let options = CreateFileOptions {
        write_type: Some(WriteType::MustCache),
        ..Default::default()
    };
    // Pinned before any byte is written, so the worker knows it by the time space runs out.
    let out = fs.create_file(&path("/ev/pinned"), options).await.unwrap();
    let pin = SetAttributeOptions {
        pinned: Some(true),
        ..Default::default()
    };
    fs.set_attribute(&path("/ev/pinned"), pin).await.unwrap();
    let mut out = out;
    out.write(&pinned).await.unwrap();
    out.close().await.unwrap();
    assert!(fs.get_status(&path("/ev/pinned")).await.unwrap().pinned);

    write_file(&fs, "/ev/new", &new, WriteType::CacheThrough).await;
    wait_until("the oldest persisted file to be evicted", WAIT, async || {
        in_alluxio(&fs, "/ev/old").await == 0
    })
    .await;
    assert_eq!(in_alluxio(&fs, "/ev/pinned").await, 100);
    assert!(read_file(&fs, "/ev/old", ReadType::NoCache).await.unwrap() == old);
    assert!(read_file(&fs, "/ev/pinned", ReadType::NoCache).await.unwrap() == pinned);
    assert!(read_file(&fs, "/ev/new", ReadType::NoCache).await.unwrap() == new);
    assert_eq!(in_alluxio(&fs, "/ev/pinned").await, 100);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_larger_than_the_worker_fails_the_write_and_leaves_no_file() {
    let cluster = LocalCluster::builder().mem_quota(4 * MIB).start().await.unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let options = CreateFileOptions {
        block_size_bytes: Some(64 * MIB),
        write_type: Some(WriteType::MustCache),
        ..Default::default()
    };
    let mut out = fs.create_file(&path("/big"), options).await.unwrap();
    let data = pattern(6 * MIB as usize, 8);
    let result = match out.write(&data).await {
        Ok(()) => out.close().await.map(drop),
        Err(err) => Err(err),
    };
    let err = result.unwrap_err();
    let worker = cluster.worker(0).data_addr.unwrap().to_string();
    assert_error(&err, ErrorKind::ResourceExhausted, &["/big", &worker, "block"]);
    // The failed write is about the file, whichever worker or block refused it.
    assert_eq!(err.path(), Some("/big"));
    assert!(!fs.exists(&path("/big")).await.unwrap());
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_file_fits_a_worker_smaller_than_the_block_size() {
    // The client announces the block size while it does not know the file's length; the worker
    // must treat that as a hint, not refuse a 3 MiB file because 64 MiB blocks exceed its 4 MiB.
    // A 1 MiB client buffer makes the first bytes leave before the length is known.
    let cluster = LocalCluster::builder()
        .mem_quota(4 * MIB)
        .property("alluxio.user.file.buffer.bytes", "1MB")
        .start()
        .await
        .unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let options = CreateFileOptions {
        block_size_bytes: Some(64 * MIB),
        write_type: Some(WriteType::MustCache),
        ..Default::default()
    };
    let data = pattern(3 * MIB as usize, 9);
    let mut out = fs.create_file(&path("/small"), options).await.unwrap();
    for piece in data.chunks(MIB as usize) {
        out.write(piece).await.unwrap();
    }
    out.close().await.unwrap();
    assert_eq!(read_file(&fs, "/small", ReadType::NoCache).await.unwrap(), data);
    assert_eq!(in_alluxio(&fs, "/small").await, 100);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_the_path_and_carry_the_right_kind() {
    let cluster = LocalCluster::builder().block_size(MIB).start().await.unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();

    let err = fs
        .open_file(&path("/missing/file"), OpenFileOptions::default())
        .await
        .err()
        .unwrap();
    assert_error(&err, ErrorKind::NotFound, &["/missing/file"]);
    assert_eq!(err.path(), Some("/missing/file"));
    let err = fs.get_status(&path("/missing/file")).await.unwrap_err();
    assert_error(&err, ErrorKind::NotFound, &["/missing/file"]);
    assert_eq!(err.path(), Some("/missing/file"));
    assert_eq!(err.kind().status_name(), "NOT_FOUND");
    assert!(!fs.exists(&path("/missing/file")).await.unwrap());

    write_file(&fs, "/e/file", b"abc", WriteType::MustCache).await;
    assert!(fs.exists(&path("/e/file")).await.unwrap());
    let err = fs
        .create_file(&path("/e/file"), CreateFileOptions::default())
        .await
        .err()
        .unwrap();
    assert_error(&err, ErrorKind::AlreadyExists, &["/e/file"]);
    assert_eq!(err.path(), Some("/e/file"));

    let err = ClientError::from(alluxio_client::AlluxioPath::new("relative/path").unwrap_err());
    assert_error(&err, ErrorKind::InvalidArgument, &["relative/path"]);
    let zero_block = CreateFileOptions {
        block_size_bytes: Some(0),
        ..Default::default()
    };
    let err = fs.create_file(&path("/e/zero"), zero_block).await.err().unwrap();
    assert_error(&err, ErrorKind::InvalidArgument, &["/e/zero"]);
    assert_eq!(err.path(), Some("/e/zero"));

    let err = fs
        .open_file(&path("/e"), OpenFileOptions::default())
        .await
        .err()
        .unwrap();
    assert_error(&err, ErrorKind::FailedPrecondition, &["/e"]);

    // An incomplete file cannot be read; a cancelled one is gone.
    let mut out = fs
        .create_file(&path("/e/partial"), CreateFileOptions::default())
        .await
        .unwrap();
    out.write(b"some bytes").await.unwrap();
    let err = fs
        .open_file(&path("/e/partial"), OpenFileOptions::default())
        .await
        .err()
        .unwrap();
    assert_error(&err, ErrorKind::FailedPrecondition, &["/e/partial"]);
    out.cancel().await.unwrap();
    assert!(!fs.exists(&path("/e/partial")).await.unwrap());

    fs.rename(&path("/e/file"), &path("/e/renamed")).await.unwrap();
    assert_eq!(
        read_file(&fs, "/e/renamed", ReadType::NoCache).await.unwrap(),
        b"abc"
    );
    let err = fs
        .delete(&path("/e"), DeleteOptions::default())
        .await
        .err()
        .unwrap();
    assert_error(&err, ErrorKind::FailedPrecondition, &["/e"]);
    assert_eq!(err.path(), Some("/e"));
    fs.delete(
        &path("/e"),
        DeleteOptions {
            recursive: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!fs.exists(&path("/e/renamed")).await.unwrap());

    let (live, lost) = fs.worker_info_list().await.unwrap();
    assert_eq!((live.len(), lost.len()), (1, 0));
    assert_eq!(fs.block_master_info().await.unwrap().live_worker_num, 1);
    // Every crate of the workspace shares one version.
    assert_eq!(fs.master_info().await.unwrap().version, env!("CARGO_PKG_VERSION"));
    cluster.shutdown().await.unwrap();
}

#[tokio::test]
async fn unreachable_master_is_unavailable_naming_the_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut conf = Configuration::defaults();
    conf.set("alluxio.master.hostname", "127.0.0.1");
    conf.set("alluxio.master.port", port.to_string());
    conf.set("alluxio.user.rpc.retry.max.duration", "300ms");
    let fs = FileSystem::connect(conf).await.unwrap();
    let err = fs.get_status(&path("/")).await.err().unwrap();
    let expected = format!("127.0.0.1:{port}");
    assert_error(
        &err,
        ErrorKind::Unavailable,
        &[&expected, "alluxio.master.hostname"],
    );
    assert_eq!(err.path(), Some("/"));
}

#[test]
fn blocking_client_reads_and_writes_like_the_async_one() {
    use std::io::{Read, Seek, SeekFrom, Write};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cluster = runtime
        .block_on(LocalCluster::builder().block_size(MIB).start())
        .unwrap();
    let fs = alluxio_client::blocking::FileSystem::connect(cluster.client_conf()).unwrap();
    let data = pattern(MIB as usize * 2 + 3, 4);
    let mut out = fs
        .create_file(
            &path("/b/file"),
            CreateFileOptions {
                recursive: true,
                ..Default::default()
            },
        )
        .unwrap();
    out.write_all(&data).unwrap();
    assert_eq!(out.close().unwrap().length, data.len() as u64);

    let mut input = fs
        .open_file(&path("/b/file"), OpenFileOptions::default())
        .unwrap();
    let mut back = Vec::new();
    input.read_to_end(&mut back).unwrap();
    assert!(back == data);
    input.seek(SeekFrom::End(-3)).unwrap();
    let mut tail = Vec::new();
    input.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, &data[data.len() - 3..]);
    // Everything came from the local worker's block files.
    assert_eq!(input.stats().short_circuit_bytes, data.len() as u64 + 3);
    input.close().unwrap();
    let err = fs
        .open_file(&path("/b/none"), OpenFileOptions::default())
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.path(), Some("/b/none"));
    drop(fs);
    runtime.block_on(cluster.shutdown()).unwrap();
}
