//! The S3 API through boto3 (tests/python/s3_boto3.py): every operation, path and virtual-host
//! style, on the web port's `/api/v1/s3` and the S3 port; once with no credentials configured
//! (any key works) and once with a key pair (only it works). Each access key is a user of the
//! cluster: the script checks that one key cannot change another's bucket or object. Afterwards
//! the files S3 wrote are checked through the Alluxio client: they are the files `alluxio fs ls`
//! shows, owned by the key that wrote them.

mod common;

use std::time::Duration;

use alluxio_client::{AlluxioPath, FileSystem, ListStatusOptions, OpenFileOptions};
use alluxio_conf::keys;
use common::TestProxy;

const TIMEOUT: Duration = Duration::from_secs(240);

/// Starts a proxy with `properties` plus an S3 port and the virtual-host domain `localhost`.
async fn start(properties: &[(&str, &str)]) -> TestProxy {
    let mut all = vec![
        (keys::PROXY_S3_PORT, "0"),
        (keys::PROXY_S3_VIRTUAL_HOST_DOMAIN, "localhost"),
    ];
    all.extend_from_slice(properties);
    TestProxy::start(&all).await
}

/// Runs the boto3 script against `proxy` in `scenario`, signing with this key pair.
async fn run_boto3(proxy: &TestProxy, scenario: &str, access_key: &str, secret_key: &str) {
    let s3_addr = proxy.proxy.s3_addr().expect("the S3 port is set");
    let env = [
        ("S3_ENDPOINT", format!("{}/api/v1/s3", proxy.web_url())),
        ("S3_ROOT_ENDPOINT", format!("http://{s3_addr}")),
        ("S3_VHOST_PORT", s3_addr.port().to_string()),
        ("S3_SCENARIO", scenario.to_string()),
        ("S3_ACCESS_KEY", access_key.to_string()),
        ("S3_SECRET_KEY", secret_key.to_string()),
    ];
    let script = common::script("s3_boto3.py");
    common::run("python", &[script.to_str().unwrap()], &env, TIMEOUT).await;
}

async fn read(fs: &FileSystem, path: &str) -> Vec<u8> {
    let path = AlluxioPath::new(path).unwrap();
    let mut input = fs.open_file(&path, OpenFileOptions::default()).await.unwrap();
    let bytes = input.read_to_end().await.unwrap();
    input.close().await.unwrap();
    bytes
}

async fn names(fs: &FileSystem, path: &str) -> Vec<String> {
    let path = AlluxioPath::new(path).unwrap();
    let mut names: Vec<String> = fs
        .list_status(&path, ListStatusOptions::default())
        .await
        .unwrap()
        .into_iter()
        .map(|info| info.name)
        .collect();
    names.sort();
    names
}

/// What the script wrote, as Alluxio sees it.
async fn check_alluxio_view(proxy: &TestProxy) {
    let fs = FileSystem::connect(proxy.cluster.client_conf()).await.unwrap();
    // Buckets are directories of the bucket root; the gateway's own directory sits beside them.
    let root = names(&fs, "/").await;
    for bucket in [
        "listing",
        "multipart",
        "objects",
        "presigned",
        "rootport",
        "vhost",
    ] {
        assert!(
            root.contains(&bucket.to_string()),
            "{bucket} missing from / ({root:?})"
        );
    }
    assert!(
        !root.contains(&"buckets-new".to_string()),
        "a deleted bucket is still there"
    );
    // Keys are paths.
    assert_eq!(names(&fs, "/listing/a").await, ["1", "2", "b"]);
    assert_eq!(read(&fs, "/listing/a/b/3").await, b"a/b/3");
    assert_eq!(read(&fs, "/listing/d e+f%.txt").await, b"d e+f%.txt");
    assert_eq!(read(&fs, "/objects/over").await, b"second");
    assert_eq!(read(&fs, "/presigned/p/file.txt").await, b"presigned body");
    assert_eq!(read(&fs, "/vhost/dir/v.txt").await, b"virtual host");
    let big = fs
        .get_status(&AlluxioPath::new("/multipart/big/object.bin").unwrap())
        .await
        .unwrap();
    assert!(big.completed && !big.folder);
    assert_eq!(
        big.length,
        10 * (1 << 20) + 3 + b"replaced last part".len() as u64
    );
    // Refused keys resolved nowhere; no upload left anything behind in the buckets.
    assert!(!fs.exists(&AlluxioPath::new("/objects/b").unwrap()).await.unwrap());
    assert!(
        !fs.exists(&AlluxioPath::new("/objects/rules").unwrap())
            .await
            .unwrap()
    );
    assert_eq!(names(&fs, "/multipart").await, ["big", "managed.bin"]);
    // In-flight files are gone once their uploads ended.
    assert!(names(&fs, "/.alluxio_s3/tmp").await.is_empty());
    assert!(names(&fs, "/.alluxio_s3/uploads/multipart").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_without_credentials_accepts_any_key() {
    let proxy = start(&[]).await;
    run_boto3(&proxy, "open", "anyone", "anything").await;
    check_alluxio_view(&proxy).await;
    // Each access key wrote as its own user.
    let fs = FileSystem::connect(proxy.cluster.client_conf()).await.unwrap();
    for (path, owner) in [
        ("/open-bob", "bob"),
        ("/open-dave/v2", "dave"),
        ("/objects/over", "anyone"),
    ] {
        let info = fs.get_status(&AlluxioPath::new(path).unwrap()).await.unwrap();
        assert_eq!(info.owner, owner, "{path}");
    }
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_with_a_key_pair_verifies_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s3-credentials");
    std::fs::write(&file, "# test keys\nfilekey filesecret\n").unwrap();
    let file = file.to_str().unwrap().to_string();
    let proxy = start(&[
        (keys::PROXY_S3_ACCESS_KEY, "confkey"),
        (keys::PROXY_S3_SECRET_KEY, "confsecret"),
        (keys::PROXY_S3_CREDENTIALS_FILE, &file),
    ])
    .await;
    run_boto3(&proxy, "auth", "filekey", "filesecret").await;
    check_alluxio_view(&proxy).await;
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_errors_name_the_file_and_line_not_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad-credentials");
    std::fs::write(&file, "good secret\nthree fields topsecret\n").unwrap();
    let cluster = alluxio_testkit::LocalCluster::builder().start().await.unwrap();
    let mut conf = cluster.client_conf();
    conf.set(keys::PROXY_WEB_BIND_HOST, "127.0.0.1");
    conf.set(keys::PROXY_WEB_PORT, "0");
    conf.set(keys::PROXY_S3_CREDENTIALS_FILE, file.to_str().unwrap());
    let err = match alluxio_proxy::start(conf).await {
        Ok(_) => panic!("a malformed credentials file was accepted"),
        Err(err) => err.to_string(),
    };
    assert!(err.contains("bad-credentials:2"), "{err}");
    assert!(!err.contains("topsecret"), "the error shows a secret: {err}");
    cluster.shutdown().await.unwrap();
}
