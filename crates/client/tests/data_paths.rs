//! Bytes through every write and read path against a real LocalCluster.

mod common;

use std::time::Duration;

use alluxio_client::{
    FileSystem, FreeOptions, ListStatusOptions, OpenFileOptions, ReadStats, ReadType, WriteStats, WriteType,
};
use alluxio_testkit::LocalCluster;
use common::*;

/// Three and a half blocks of 1 MiB.
const FILE_LEN: usize = 3 * MIB as usize + 512 * 1024;
const WAIT: Duration = Duration::from_secs(20);

async fn cluster(workers: usize) -> LocalCluster {
    init_logging();
    LocalCluster::builder()
        .workers(workers)
        .block_size(MIB)
        .mem_quota(64 * MIB)
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_type_reads_back_with_every_read_type() {
    let cluster = cluster(2).await;
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    for (w, write_type) in WriteType::ALL.into_iter().enumerate() {
        for (r, read_type) in ReadType::ALL.into_iter().enumerate() {
            let p = format!(
                "/matrix/{}/{}",
                write_type.alluxio_name(),
                read_type.alluxio_name()
            );
            let data = pattern(FILE_LEN, (w * 10 + r) as u64);
            let info = write_file(&fs, &p, &data, write_type).await;
            assert_eq!(info.length, FILE_LEN as u64, "{p}");
            assert!(info.completed, "{p}");
            assert_eq!(info.block_ids.len(), 4, "{p}");
            let cached = if write_type == WriteType::Through { 0 } else { 100 };
            assert_eq!(info.in_alluxio_percentage, cached, "{p}");
            let back = read_file(&fs, &p, read_type).await.unwrap();
            assert!(back == data, "{p}: bytes read back differ from bytes written");

            // Reading across a block boundary from a seeked position.
            let mut input = fs
                .open_file(
                    &path(&p),
                    OpenFileOptions {
                        read_type: Some(read_type),
                    },
                )
                .await
                .unwrap();
            let at = 2 * MIB - 10;
            input.seek(at).await.unwrap();
            let mut buf = vec![0u8; 20];
            let mut filled = 0;
            while filled < buf.len() {
                filled += input.read(&mut buf[filled..]).await.unwrap();
            }
            assert_eq!(&buf[..], &data[at as usize..at as usize + 20], "{p}");
            assert_eq!(input.position(), at + 20);
            input.seek(FILE_LEN as u64).await.unwrap();
            assert_eq!(input.read(&mut buf).await.unwrap(), 0, "{p}: read at the end");
            assert!(input.seek(FILE_LEN as u64 + 1).await.is_err());
            input.close().await.unwrap();
        }
    }
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_circuit_and_remote_reads_and_writes_give_the_same_bytes() {
    let cluster = cluster(1).await;
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let mut remote_conf = cluster.client_conf();
    remote_conf.set("alluxio.user.short.circuit.enabled", "false");
    let remote = FileSystem::connect(remote_conf).await.unwrap();
    let len = FILE_LEN as u64;
    let data = pattern(FILE_LEN, 77);

    let (_, stats) = write_file_stats(&remote, "/sc/file", &data, WriteType::MustCache).await;
    assert_eq!(
        stats,
        WriteStats {
            remote_bytes: len,
            ..Default::default()
        }
    );
    assert!(read_file(&fs, "/sc/file", ReadType::NoCache).await.unwrap() == data);
    fs.delete(&path("/sc/file"), Default::default()).await.unwrap();
    let (info, stats) = write_file_stats(&fs, "/sc/file", &data, WriteType::MustCache).await;
    assert_eq!(
        stats,
        WriteStats {
            short_circuit_bytes: len,
            ..Default::default()
        }
    );
    assert_eq!((info.length, info.in_alluxio_percentage), (len, 100));
    let short_circuit = ReadStats {
        short_circuit_bytes: len,
        ..Default::default()
    };
    let streamed = ReadStats {
        remote_bytes: len,
        ..Default::default()
    };
    for (client, expected) in [(&fs, short_circuit), (&remote, streamed)] {
        for read_type in ReadType::ALL {
            let (bytes, stats) = read_file_stats(client, "/sc/file", read_type).await.unwrap();
            assert!(bytes == data);
            assert_eq!(stats, expected, "{}", read_type.alluxio_name());
        }
    }
    // Shared reads (a slice of the mapped block file short-circuit, a buffer of their own
    // streamed) give the same bytes, piece by piece across block boundaries, and nothing past
    // the end.
    for (client, expected) in [(&fs, short_circuit), (&remote, streamed)] {
        let mut input = client
            .open_file(&path("/sc/file"), Default::default())
            .await
            .unwrap();
        let from = MIB - 100;
        input.seek(from).await.unwrap();
        let mut back = Vec::new();
        loop {
            let piece = input.read_shared(700 * 1024).await.unwrap();
            if piece.is_empty() {
                break;
            }
            assert!(piece.len() <= 700 * 1024);
            back.extend_from_slice(&piece);
        }
        assert!(
            back == data[from as usize..],
            "shared reads differ from the bytes written"
        );
        let stats = input.stats();
        let by_path = |s: ReadStats| (s.short_circuit_bytes > 0, s.remote_bytes > 0);
        assert_eq!(by_path(stats), by_path(expected));
        assert_eq!(stats.short_circuit_bytes + stats.remote_bytes, len - from);
        assert!(input.read_shared(10).await.unwrap().is_empty());
        input.close().await.unwrap();
    }
    // Both paths read the block files the worker keeps in its MEM dir.
    assert!(cluster.worker(0).mem_dir.read_dir().unwrap().next().is_some());
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_writes_only_the_ufs_and_async_through_persists() {
    let cluster = cluster(1).await;
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();

    let data = pattern(FILE_LEN, 1);
    write_file(&fs, "/through/x", &data, WriteType::Through).await;
    let on_disk = std::fs::read(cluster.ufs_root().join("through/x")).unwrap();
    assert!(on_disk == data, "the UFS copy of a THROUGH file differs");
    let info = fs.get_status(&path("/through/x")).await.unwrap();
    assert!(info.persisted);
    assert_eq!(info.in_alluxio_percentage, 0);

    let data = pattern(FILE_LEN, 2);
    write_file(&fs, "/cache_through/x", &data, WriteType::CacheThrough).await;
    assert!(std::fs::read(cluster.ufs_root().join("cache_through/x")).unwrap() == data);
    assert_eq!(in_alluxio(&fs, "/cache_through/x").await, 100);

    let data = pattern(FILE_LEN, 3);
    write_file(&fs, "/async/x", &data, WriteType::AsyncThrough).await;
    assert_eq!(in_alluxio(&fs, "/async/x").await, 100);
    wait_until("the ASYNC_THROUGH file to be persisted", WAIT, async || {
        fs.get_status(&path("/async/x")).await.unwrap().persisted
    })
    .await;
    assert!(std::fs::read(cluster.ufs_root().join("async/x")).unwrap() == data);

    // MUST_CACHE never reaches the UFS.
    write_file(&fs, "/must/x", &data, WriteType::MustCache).await;
    assert!(!cluster.ufs_root().join("must/x").exists());
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freed_persisted_file_is_recached_by_cache_but_not_by_no_cache() {
    let cluster = cluster(1).await;
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let data = pattern(FILE_LEN, 9);
    for p in ["/free/a", "/free/b", "/free/c"] {
        write_file(&fs, p, &data, WriteType::CacheThrough).await;
        fs.free(&path(p), FreeOptions::default()).await.unwrap();
        wait_until("freed blocks to leave the worker", WAIT, async || {
            in_alluxio(&fs, p).await == 0
        })
        .await;
    }

    assert!(read_file(&fs, "/free/a", ReadType::Cache).await.unwrap() == data);
    wait_until("CACHE to re-cache the file", WAIT, async || {
        in_alluxio(&fs, "/free/a").await == 100
    })
    .await;

    assert!(read_file(&fs, "/free/b", ReadType::NoCache).await.unwrap() == data);
    // Absence cannot be polled for; a later CACHE read through the same worker is a barrier:
    // once its blocks show as cached, any the NO_CACHE read had cached would show too.
    assert!(read_file(&fs, "/free/c", ReadType::Cache).await.unwrap() == data);
    wait_until("the barrier file cached", WAIT, async || {
        in_alluxio(&fs, "/free/c").await == 100
    })
    .await;
    assert_eq!(in_alluxio(&fs, "/free/b").await, 0);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_placed_in_the_ufs_are_listed_read_and_cached() {
    let cluster = cluster(1).await;
    let outside = cluster.ufs_root().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let data = pattern(FILE_LEN, 5);
    std::fs::write(outside.join("a.bin"), &data).unwrap();
    std::fs::write(cluster.ufs_root().join("top.txt"), b"hello").unwrap();

    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let root: Vec<String> = fs
        .list_status(&path("/"), ListStatusOptions::default())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert!(
        root.contains(&"outside".to_string()) && root.contains(&"top.txt".to_string()),
        "{root:?}"
    );
    let listed = fs
        .list_status(&path("/outside"), ListStatusOptions::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.as_str(), listed[0].length),
        ("a.bin", FILE_LEN as u64)
    );
    assert!(listed[0].persisted);

    // A listing larger than the master's page comes page by page, in path order, and whole.
    let many = cluster.ufs_root().join("many/deep");
    std::fs::create_dir_all(&many).unwrap();
    for i in 0..1_500 {
        std::fs::write(many.join(format!("n{i}")), b"").unwrap();
    }
    let recursive = ListStatusOptions {
        recursive: true,
        ..Default::default()
    };
    let mut pages = fs
        .list_status_pages(&path("/many"), recursive.clone())
        .await
        .unwrap();
    let mut sizes = Vec::new();
    let mut paths = Vec::new();
    while let Some(page) = pages.next_page().await.unwrap() {
        sizes.push(page.len());
        paths.extend(page.into_iter().map(|info| info.path));
    }
    assert_eq!(sizes, [1_000, 501], "/many/deep and its 1,500 files");
    assert!(paths.is_sorted());
    let whole: Vec<String> = fs
        .list_status(&path("/many"), recursive)
        .await
        .unwrap()
        .into_iter()
        .map(|info| info.path)
        .collect();
    assert_eq!(whole, paths);

    assert_eq!(
        read_file(&fs, "/top.txt", ReadType::NoCache).await.unwrap(),
        b"hello"
    );
    let (bytes, stats) = read_file_stats(&fs, "/outside/a.bin", ReadType::Cache)
        .await
        .unwrap();
    assert!(bytes == data);
    assert_eq!(
        stats,
        ReadStats {
            ufs_bytes: FILE_LEN as u64,
            ..Default::default()
        }
    );
    wait_until("the UFS file to be cached", WAIT, async || {
        in_alluxio(&fs, "/outside/a.bin").await == 100
    })
    .await;
    // Cached now: the same bytes come from the worker's block files.
    let (bytes, stats) = read_file_stats(&fs, "/outside/a.bin", ReadType::NoCache)
        .await
        .unwrap();
    assert!(bytes == data);
    assert_eq!(stats.short_circuit_bytes, FILE_LEN as u64);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_below_the_memory_tier_are_written_and_read_short_circuit() {
    init_logging();
    let cluster = LocalCluster::builder()
        .block_size(MIB)
        .mem_quota(8 * MIB)
        .second_tier(64 * MIB)
        .property("alluxio.user.file.write.tier.default", "1")
        .start()
        .await
        .unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let data = pattern(FILE_LEN, 21);
    let (_, stats) = write_file_stats(&fs, "/ssd/file", &data, WriteType::MustCache).await;
    assert_eq!(stats.short_circuit_bytes, FILE_LEN as u64);
    let ssd = cluster.worker(0).ssd_dir.clone().unwrap();
    assert_eq!(block_files(&ssd), 4);
    assert_eq!(block_files(&cluster.worker(0).mem_dir), 0);

    let (bytes, stats) = read_file_stats(&fs, "/ssd/file", ReadType::NoCache)
        .await
        .unwrap();
    assert!(bytes == data);
    assert_eq!(
        stats,
        ReadStats {
            short_circuit_bytes: FILE_LEN as u64,
            ..Default::default()
        }
    );
    // Still on the SSD tier: NO_CACHE promotes nothing.
    assert_eq!(block_files(&ssd), 4);
    cluster.shutdown().await.unwrap();
}
