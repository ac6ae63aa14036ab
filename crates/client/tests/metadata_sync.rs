//! Metadata sync (`alluxio.user.file.metadata.sync.interval`) and checkConsistency through the
//! client against a LocalCluster whose UFS directory is changed behind Alluxio's back.

mod common;

use std::time::{Duration, SystemTime};

use alluxio_client::{FileSystem, ListStatusOptions, ReadType};
use alluxio_conf::keys;
use alluxio_testkit::LocalCluster;
use common::*;

async fn names(fs: &FileSystem, dir: &str) -> Vec<String> {
    let mut names: Vec<String> = fs
        .list_status(&path(dir), ListStatusOptions::default())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_interval_zero_sees_ufs_changes_and_never_serves_stale_blocks() {
    init_logging();
    let cluster = LocalCluster::builder().block_size(MIB).start().await.unwrap();
    let ufs = cluster.ufs_root().join("d");
    std::fs::create_dir(&ufs).unwrap();
    let old = pattern(300_000, 1);
    std::fs::write(ufs.join("f"), &old).unwrap();

    let plain = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let mut conf = cluster.client_conf();
    conf.set(keys::USER_FILE_METADATA_SYNC_INTERVAL, "0");
    let syncing = FileSystem::connect(conf).await.unwrap();
    assert!(plain.has_local_worker().await.unwrap());

    assert_eq!(names(&plain, "/d").await, ["f"]);
    assert_eq!(read_file(&plain, "/d/f", ReadType::Cache).await.unwrap(), old);
    wait_until("the UFS block cached", Duration::from_secs(20), async || {
        in_alluxio(&plain, "/d/f").await == 100
    })
    .await;

    // Same length, new bytes, a later modification time; and a new file beside it.
    let new = pattern(300_000, 2);
    let file = std::fs::File::create(ufs.join("f")).unwrap();
    std::io::Write::write_all(&mut &file, &new).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    drop(file);
    std::fs::write(ufs.join("g"), b"g").unwrap();
    assert_eq!(names(&plain, "/d").await, ["f"], "-1 never syncs");
    assert_eq!(
        read_file(&plain, "/d/f", ReadType::Cache).await.unwrap(),
        old,
        "without sync the cached copy is served"
    );
    assert_eq!(
        plain.check_consistency(&path("/d")).await.unwrap(),
        Vec::<alluxio_client::AlluxioPath>::new(),
        "same length: consistent as far as checkConsistency can tell"
    );

    assert_eq!(names(&syncing, "/d").await, ["f", "g"]);
    assert_eq!(in_alluxio(&syncing, "/d/f").await, 0, "stale blocks are dropped");
    assert_eq!(read_file(&syncing, "/d/f", ReadType::Cache).await.unwrap(), new);
    assert_eq!(read_file(&plain, "/d/f", ReadType::Cache).await.unwrap(), new);

    std::fs::remove_file(ufs.join("g")).unwrap();
    std::fs::write(ufs.join("f"), b"short").unwrap();
    assert_eq!(
        plain.check_consistency(&path("/")).await.unwrap(),
        [path("/d/f"), path("/d/g")]
    );
    assert!(!syncing.exists(&path("/d/g")).await.unwrap());
    assert_eq!(syncing.get_status(&path("/d/f")).await.unwrap().length, 5);
    assert!(plain.check_consistency(&path("/d")).await.unwrap().is_empty());
    cluster.shutdown().await.unwrap();
}
