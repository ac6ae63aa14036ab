//! S3 beyond the shared behaviour suite, against the loopback S3 server: the objects behind
//! directories, objects written by other clients, and the errors users see for wrong
//! credentials, a missing bucket or an endpoint that does not answer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use alluxio_conf::Configuration;
use alluxio_testkit::s3::S3Server;
use alluxio_ufs::{UfsError, UfsManager};
use bytes::Bytes;

const BUCKET: &str = "bucket";

fn options(endpoint: &str, access_key: &str, secret_key: &str) -> BTreeMap<String, String> {
    [
        ("alluxio.underfs.s3.endpoint", endpoint),
        ("aws.accessKeyId", access_key),
        ("aws.secretKey", secret_key),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn manager() -> UfsManager {
    UfsManager::new(&Configuration::defaults())
}

async fn read_all(ufs: &dyn alluxio_ufs::UnderFileSystem, uri: &str) -> Vec<u8> {
    ufs.read_all(uri).await.unwrap()
}

#[tokio::test]
async fn directories_are_markers_and_prefixes() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    let ufs = manager()
        .get_with_options(
            "s3://bucket/",
            &options(&server.endpoint, &server.access_key, &server.secret_key),
        )
        .unwrap();

    ufs.mkdirs("s3://bucket/a/b/c").await.unwrap();
    assert_eq!(
        server.keys(BUCKET).unwrap(),
        vec!["a/", "a/b/", "a/b/c/"],
        "one marker per level"
    );
    let names: Vec<String> = ufs
        .list("s3://bucket/a")
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(
        names,
        vec!["b"],
        "the marker of the listed directory is not a child"
    );

    let mut writer = ufs.create("s3://bucket/x/y/file").await.unwrap();
    writer
        .write(Bytes::from(vec![7u8; 6 * 1024 * 1024]))
        .await
        .unwrap();
    assert!(
        !server.keys(BUCKET).unwrap().contains(&"x/y/file".to_string()),
        "published on close only"
    );
    writer.close().await.unwrap();
    let keys = server.keys(BUCKET).unwrap();
    for key in ["x/", "x/y/", "x/y/file"] {
        assert!(keys.contains(&key.to_string()), "{key} in {keys:?}");
    }
    assert_eq!(
        ufs.status("s3://bucket/x/y/file").await.unwrap().unwrap().length,
        6 * 1024 * 1024
    );

    ufs.rename("s3://bucket/x", "s3://bucket/moved").await.unwrap();
    let keys = server.keys(BUCKET).unwrap();
    assert!(keys.iter().all(|k| !k.starts_with("x/")), "{keys:?}");
    for key in ["moved/", "moved/y/", "moved/y/file"] {
        assert!(keys.contains(&key.to_string()), "{key} in {keys:?}");
    }
    assert_eq!(
        read_all(ufs.as_ref(), "s3://bucket/moved/y/file").await.len(),
        6 * 1024 * 1024
    );

    // The same bucket through s3a:// is the same store.
    let s3a = manager()
        .get_with_options(
            "s3a://bucket/",
            &options(&server.endpoint, &server.access_key, &server.secret_key),
        )
        .unwrap();
    assert!(s3a.status("s3a://bucket/moved/y/file").await.unwrap().is_some());
}

#[tokio::test]
async fn abandoned_multipart_uploads_are_aborted() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    let ufs = manager()
        .get_with_options(
            "s3://bucket/",
            &options(&server.endpoint, &server.access_key, &server.secret_key),
        )
        .unwrap();
    let big = Bytes::from(vec![1u8; 6 * 1024 * 1024]);
    // Parts are 16 MiB and go up in background tasks: 36 MiB has started a multipart upload.

    let mut writer = ufs.create("s3://bucket/aborted").await.unwrap();
    for _ in 0..6 {
        writer.write(big.clone()).await.unwrap();
    }
    assert!(
        eventually(|| server.uploads_in_progress() == 1).await,
        "36 MiB goes up in parts"
    );
    writer.abort().await.unwrap();
    assert_eq!(server.uploads_in_progress(), 0);

    let mut writer = ufs.create("s3://bucket/dropped").await.unwrap();
    for _ in 0..6 {
        writer.write(big.clone()).await.unwrap();
    }
    assert!(
        eventually(|| server.uploads_in_progress() == 1).await,
        "36 MiB goes up in parts"
    );
    drop(writer);
    // Aborted in the background.
    assert!(
        eventually(|| server.uploads_in_progress() == 0).await,
        "the dropped writer's upload was aborted"
    );
    assert_eq!(
        server.keys(BUCKET).unwrap(),
        Vec::<String>::new(),
        "nothing was published"
    );
}

#[tokio::test]
async fn objects_written_by_other_clients_are_seen() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    // Site-file style: the keys in the manager's configuration, no mount options.
    let mut conf = Configuration::defaults();
    conf.set("alluxio.underfs.s3.endpoint", server.endpoint.as_str());
    conf.set("s3a.accessKeyId", server.access_key.as_str());
    conf.set("s3a.secretKey", server.secret_key.as_str());
    let ufs = UfsManager::new(&conf).get("s3://bucket/").unwrap();

    // No markers at all: the directories exist only as prefixes of this key.
    assert!(server.put_object(BUCKET, "outside/implied/deep/data.csv", &b"1,2,3\n"[..]));
    assert!(server.put_object(BUCKET, "outside/empty/", Bytes::new()));
    assert!(server.put_object(BUCKET, "outside/top.txt", &b"top"[..]));

    let status = ufs.status("s3://bucket/outside/implied").await.unwrap().unwrap();
    assert!(status.is_dir && status.name == "implied", "{status:?}");
    let listed: Vec<(String, bool, u64)> = ufs
        .list("s3://bucket/outside")
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.is_dir, s.length))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("empty".into(), true, 0),
            ("implied".into(), true, 0),
            ("top.txt".into(), false, 3)
        ]
    );
    assert_eq!(ufs.list("s3://bucket/outside/empty").await.unwrap(), Some(vec![]));
    let file = ufs
        .status("s3://bucket/outside/implied/deep/data.csv")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((file.is_dir, file.length), (false, 6));
    assert!(file.last_modified_ms > 1_600_000_000_000);
    assert_eq!(
        read_all(ufs.as_ref(), "s3://bucket/outside/implied/deep/data.csv").await,
        b"1,2,3\n"
    );

    assert!(matches!(
        ufs.delete_directory("s3://bucket/outside/implied", false).await,
        Err(UfsError::DirectoryNotEmpty { .. })
    ));
    assert!(matches!(
        ufs.mkdirs("s3://bucket/outside/top.txt/sub").await,
        Err(UfsError::NotADirectory { .. })
    ));
    ufs.delete_directory("s3://bucket/outside", true).await.unwrap();
    assert_eq!(server.keys(BUCKET).unwrap(), Vec::<String>::new());
    assert_eq!(ufs.status("s3://bucket/outside").await.unwrap(), None);
}

#[tokio::test]
async fn a_wrong_secret_is_a_clear_permanent_error() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    let ufs = manager()
        .get_with_options(
            "s3://bucket/",
            &options(&server.endpoint, &server.access_key, "not-the-secret"),
        )
        .unwrap();
    let err = ufs.status("s3://bucket/some/key").await.unwrap_err();
    assert!(matches!(err, UfsError::PermissionDenied { .. }), "{err:?}");
    assert!(!err.is_temporary());
    let text = err.to_string();
    assert!(
        text.starts_with("access denied by s3://bucket/some/key: "),
        "{text}"
    );
    assert!(text.ends_with("check aws.accessKeyId/aws.secretKey"), "{text}");
    assert!(
        !text.contains("not-the-secret"),
        "the secret must not be shown: {text}"
    );
    // Writes are refused the same way; nothing reaches the bucket.
    assert!(matches!(
        ufs.create("s3://bucket/f").await.err(),
        Some(UfsError::PermissionDenied { .. })
    ));
    assert_eq!(server.keys(BUCKET).unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn a_missing_bucket_is_not_an_empty_one() {
    let server = S3Server::start(&[BUCKET]).await.unwrap();
    let ufs = manager()
        .get_with_options(
            "s3://no-such-bucket/",
            &options(&server.endpoint, &server.access_key, &server.secret_key),
        )
        .unwrap();
    let err = ufs.status("s3://no-such-bucket/key").await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("s3://no-such-bucket/key") && text.contains("does not exist"),
        "{text}"
    );
    assert!(!err.is_temporary());
}

#[tokio::test]
async fn an_unreachable_endpoint_fails_after_bounded_retries() {
    // A port that was just free: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let ufs = manager()
        .get_with_options("s3://bucket/", &options(&endpoint, "AKID", "SECRET"))
        .unwrap();
    let started = Instant::now();
    let err = ufs.list("s3://bucket/dir").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(30), "retries are bounded");
    let text = err.to_string();
    assert!(text.contains("s3://bucket/dir"), "{text}");
    assert!(
        text.contains(&format!("127.0.0.1:{port}")),
        "the cause names the endpoint: {text}"
    );
    assert!(!err.is_temporary(), "retried already: {text}");
}

#[tokio::test]
async fn configuration_mistakes_are_reported_at_open() {
    let err = manager()
        .get_with_options(
            "s3://bucket/x",
            &BTreeMap::from([("aws.accessKeyId".to_string(), "AKID".to_string())]),
        )
        .err()
        .unwrap();
    assert!(matches!(err, UfsError::Configuration { .. }), "{err:?}");
    assert!(err.to_string().contains("aws.secretKey"), "{err}");
}

/// Whether `check` holds within 10 seconds, polled every 10 ms.
async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}
