//! The S3 API through the aws CLI (tests/python/s3_awscli.py): `s3 cp` of a 20 MiB file both
//! ways (multipart up, ranged down), `s3 sync` both ways, `s3 ls`, `s3 rm --recursive`, `s3 rb`
//! and `s3api` calls, on `/api/v1/s3` of the web port. The files it leaves are then read
//! through the Alluxio client.

mod common;

use std::time::Duration;

use alluxio_client::{AlluxioPath, FileSystem, OpenFileOptions};
use common::TestProxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_copies_syncs_lists_and_removes() {
    let proxy = TestProxy::start(&[]).await;
    let config = tempfile::tempdir().unwrap();
    let config_file = config.path().join("config");
    std::fs::write(&config_file, "[default]\n").unwrap();
    let env = [
        ("S3_ENDPOINT", format!("{}/api/v1/s3", proxy.web_url())),
        ("AWS_ACCESS_KEY_ID", "cli-user".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "cli-secret".to_string()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
        ("AWS_CONFIG_FILE", config_file.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            config.path().join("credentials").display().to_string(),
        ),
    ];
    let script = common::script("s3_awscli.py");
    let output = common::run(
        "python",
        &[script.to_str().unwrap()],
        &env,
        Duration::from_secs(240),
    )
    .await;
    assert!(output.contains("aws CLI scenario passed"), "{output}");

    let fs = FileSystem::connect(proxy.cluster.client_conf()).await.unwrap();
    assert!(
        !fs.exists(&AlluxioPath::new("/cli").unwrap()).await.unwrap(),
        "s3 rb left /cli"
    );
    let path = AlluxioPath::new("/clikeep/kept/small.txt").unwrap();
    let mut input = fs.open_file(&path, OpenFileOptions::default()).await.unwrap();
    assert_eq!(input.read_to_end().await.unwrap(), b"small object");
    input.close().await.unwrap();
    proxy.shutdown().await;
}
