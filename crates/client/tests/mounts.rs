//! Mounts through the client against a LocalCluster: a second local directory and a loopback S3
//! bucket whose credentials exist only in the mount's options.

mod common;

use std::time::Duration;

use alluxio_client::{
    ErrorKind, FileSystem, ListStatusOptions, MountOptions, ReadType, SetAttributeOptions, WriteType,
};
use alluxio_conf::keys;
use alluxio_testkit::LocalCluster;
use alluxio_testkit::s3::S3Server;
use common::*;

async fn names(fs: &FileSystem, dir: &str) -> Vec<String> {
    let listed = fs
        .list_status(&path(dir), ListStatusOptions::default())
        .await
        .unwrap();
    listed.into_iter().map(|i| i.name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mounted_directory_is_read_cached_written_and_survives_a_master_restart() {
    init_logging();
    let mut cluster = LocalCluster::builder().block_size(MIB).start().await.unwrap();
    let other = tempfile::tempdir().unwrap();
    let data = pattern(2 * MIB as usize + 1234, 7);
    std::fs::write(other.path().join("in.bin"), &data).unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let uri = other.path().display().to_string();

    fs.mount(&path("/mnt"), &uri, MountOptions::default())
        .await
        .unwrap();
    assert_eq!(names(&fs, "/mnt").await, ["in.bin"]);
    assert_eq!(
        read_file(&fs, "/mnt/in.bin", ReadType::Cache).await.unwrap(),
        data
    );
    wait_until("the mounted file cached", Duration::from_secs(20), async || {
        in_alluxio(&fs, "/mnt/in.bin").await == 100
    })
    .await;

    let written = pattern(MIB as usize + 99, 8);
    write_file(&fs, "/mnt/out/new.bin", &written, WriteType::CacheThrough).await;
    assert_eq!(std::fs::read(other.path().join("out/new.bin")).unwrap(), written);
    assert!(
        !cluster.ufs_root().join("mnt").exists(),
        "nothing lands in the root UFS"
    );

    cluster.restart_master().await.unwrap();
    let table = fs.get_mount_table().await.unwrap();
    assert_eq!(table.keys().collect::<Vec<_>>(), ["/", "/mnt"]);
    assert_eq!(table["/mnt"].ufs_uri, uri);
    wait_until("reads after the restart", Duration::from_secs(20), async || {
        read_file(&fs, "/mnt/out/new.bin", ReadType::NoCache)
            .await
            .is_ok_and(|b| b == written)
    })
    .await;

    fs.unmount(&path("/mnt")).await.unwrap();
    assert!(!fs.exists(&path("/mnt")).await.unwrap());
    assert_eq!(
        std::fs::read(other.path().join("in.bin")).unwrap(),
        data,
        "UFS data stays"
    );
    assert_eq!(std::fs::read(other.path().join("out/new.bin")).unwrap(), written);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_mount_refuses_writes_with_the_mount_point() {
    init_logging();
    let cluster = LocalCluster::builder().block_size(MIB).start().await.unwrap();
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("r.txt"), b"read me").unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let options = MountOptions {
        read_only: true,
        ..Default::default()
    };
    fs.mount(&path("/ro"), &other.path().display().to_string(), options)
        .await
        .unwrap();
    assert_eq!(
        read_file(&fs, "/ro/r.txt", ReadType::NoCache).await.unwrap(),
        b"read me"
    );
    let err = fs
        .create_file(&path("/ro/w.txt"), Default::default())
        .await
        .err()
        .expect("a write under a read-only mount fails");
    assert_eq!(err.kind(), ErrorKind::FailedPrecondition, "{err}");
    assert_eq!(
        err.message(),
        "A write operation on /ro/w.txt is under a readonly mount point /ro"
    );
    let err = fs.unmount(&path("/")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(!other.path().join("w.txt").exists());
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_bucket_mounted_with_option_credentials_is_read_and_written() {
    init_logging();
    let s3 = S3Server::start(&["bucket"]).await.unwrap();
    let data = pattern(MIB as usize + 4321, 9);
    assert!(s3.put_object("bucket", "dir/a.bin", data.clone()));
    let cluster = LocalCluster::builder().block_size(MIB).start().await.unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let options = |secret: &str| {
        let mut properties = s3.properties();
        properties.insert("aws.secretKey".to_string(), secret.to_string());
        MountOptions {
            properties,
            ..Default::default()
        }
    };

    let err = fs
        .mount(&path("/s3"), "s3://bucket/dir", options("wrong"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("s3://bucket/dir"), "{err}");
    assert!(!fs.exists(&path("/s3")).await.unwrap());

    fs.mount(&path("/s3"), "s3://bucket/dir", options(&s3.secret_key))
        .await
        .unwrap();
    // The worker reads the object with the mount's credentials (this client has none).
    assert_eq!(read_file(&fs, "/s3/a.bin", ReadType::Cache).await.unwrap(), data);
    // The client writes CACHE_THROUGH, the worker persists ASYNC_THROUGH, both into the bucket.
    let through = pattern(300_000, 10);
    write_file(&fs, "/s3/through.bin", &through, WriteType::CacheThrough).await;
    let later = pattern(200_000, 11);
    write_file(&fs, "/s3/async.bin", &later, WriteType::AsyncThrough).await;
    wait_until(
        "the ASYNC_THROUGH file persisted",
        Duration::from_secs(30),
        async || fs.get_status(&path("/s3/async.bin")).await.unwrap().persisted,
    )
    .await;
    // A user who is no superuser writes THROUGH too: a worker writes the object, and no client
    // ever gets the mount's credentials.
    let open = SetAttributeOptions {
        mode: Some(0o777),
        ..Default::default()
    };
    fs.set_attribute(&path("/s3"), open).await.unwrap();
    let mut carol_conf = cluster.client_conf();
    carol_conf.set(keys::SECURITY_LOGIN_USERNAME, "carol");
    let carol = FileSystem::connect(carol_conf).await.unwrap();
    let carols = pattern(70_000, 12);
    write_file(&carol, "/s3/carol.bin", &carols, WriteType::Through).await;
    assert_eq!(
        carol.get_status(&path("/s3/carol.bin")).await.unwrap().owner,
        "carol"
    );
    assert_eq!(
        carol.get_mount_table().await.unwrap()["/s3"].properties["aws.secretKey"],
        "******"
    );
    let keys = s3.keys("bucket").unwrap();
    for key in ["dir/a.bin", "dir/through.bin", "dir/async.bin", "dir/carol.bin"] {
        assert!(keys.iter().any(|k| k == key), "{key} in {keys:?}");
    }
    fs.free(&path("/s3/through.bin"), Default::default())
        .await
        .unwrap();
    wait_until("freed", Duration::from_secs(20), async || {
        in_alluxio(&fs, "/s3/through.bin").await == 0
    })
    .await;
    assert_eq!(
        read_file(&fs, "/s3/through.bin", ReadType::NoCache)
            .await
            .unwrap(),
        through
    );

    let table = fs.get_mount_table().await.unwrap();
    assert_eq!(table["/s3"].ufs_type, "s3");
    assert_eq!(table["/s3"].properties["aws.secretKey"], "******");
    fs.unmount(&path("/s3")).await.unwrap();
    assert!(s3.keys("bucket").unwrap().iter().any(|k| k == "dir/async.bin"));
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_changes_made_behind_alluxio_are_seen_on_sync_and_through_writes_skip_the_cache() {
    init_logging();
    let s3 = S3Server::start(&["bucket"]).await.unwrap();
    let old = pattern(400_000, 3);
    assert!(s3.put_object("bucket", "dir/a.bin", old.clone()));
    let cluster = LocalCluster::builder().block_size(MIB).start().await.unwrap();
    let plain = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let mut conf = cluster.client_conf();
    conf.set(alluxio_conf::keys::USER_FILE_METADATA_SYNC_INTERVAL, "0");
    let syncing = FileSystem::connect(conf).await.unwrap();
    let options = MountOptions {
        properties: s3.properties(),
        ..Default::default()
    };
    plain
        .mount(&path("/s3"), "s3://bucket/dir", options)
        .await
        .unwrap();
    assert_eq!(
        read_file(&plain, "/s3/a.bin", ReadType::Cache).await.unwrap(),
        old
    );

    // THROUGH: in the bucket, not in any worker.
    let through = pattern(250_000, 4);
    write_file(&plain, "/s3/t.bin", &through, WriteType::Through).await;
    assert!(s3.keys("bucket").unwrap().iter().any(|k| k == "dir/t.bin"));
    assert_eq!(in_alluxio(&plain, "/s3/t.bin").await, 0);
    // Listed once (load type Once): from now on only a sync looks at the bucket again.
    assert_eq!(names(&plain, "/s3").await, ["a.bin", "t.bin"]);

    // Another tool rewrites a.bin and adds b.bin.
    let new = pattern(123_456, 5);
    assert!(s3.put_object("bucket", "dir/a.bin", new.clone()));
    assert!(s3.put_object("bucket", "dir/b.bin", b"bee".to_vec()));
    assert_eq!(names(&plain, "/s3").await, ["a.bin", "t.bin"], "-1 never syncs");
    assert_eq!(
        plain.check_consistency(&path("/s3")).await.unwrap(),
        [path("/s3/a.bin")]
    );
    assert_eq!(names(&syncing, "/s3").await, ["a.bin", "b.bin", "t.bin"]);
    assert_eq!(
        syncing.get_status(&path("/s3/a.bin")).await.unwrap().length,
        123_456
    );
    assert_eq!(
        read_file(&syncing, "/s3/a.bin", ReadType::Cache).await.unwrap(),
        new
    );
    assert!(plain.check_consistency(&path("/s3")).await.unwrap().is_empty());
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_refusing_the_mounts_credentials_is_a_permission_error_not_an_outage() {
    init_logging();
    let s3 = S3Server::start(&["bucket"]).await.unwrap();
    let data = pattern(300_000, 12);
    assert!(s3.put_object("bucket", "dir/a.bin", data.clone()));
    let cluster = LocalCluster::builder().block_size(MIB).start().await.unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let options = MountOptions {
        properties: s3.properties(),
        ..Default::default()
    };
    fs.mount(&path("/s3"), "s3://bucket/dir", options).await.unwrap();
    assert!(fs.exists(&path("/s3/a.bin")).await.unwrap());

    // The bucket's keys are rotated behind Alluxio: the same endpoint, other credentials.
    let addr = s3.addr();
    drop(s3);
    let mut rotated = None;
    for _ in 0..100 {
        match S3Server::start_on(addr, &["bucket"], "AKROTATED".into(), "rotated".into()).await {
            Ok(server) => {
                rotated = Some(server);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let rotated = rotated.expect("the endpoint is free again");
    assert!(rotated.put_object("bucket", "dir/a.bin", data));

    // The worker reading for the client is refused: the client is told so, once, instead of
    // retrying other workers and reporting the cluster unreachable.
    let err = read_file(&fs, "/s3/a.bin", ReadType::NoCache).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err:?}");
    assert!(err.to_string().contains("access denied"), "{err}");
    assert_eq!(
        std::io::Error::from(err).kind(),
        std::io::ErrorKind::PermissionDenied
    );
    cluster.shutdown().await.unwrap();
}
