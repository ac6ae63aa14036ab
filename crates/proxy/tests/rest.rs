//! The REST API v1 driven by PyPI's `alluxio` 0.1.4 client, unchanged (tests/python/).

mod common;

use std::time::Duration;

use common::{TestProxy, run, script};

fn proxy_env(proxy: &TestProxy) -> Vec<(&'static str, String)> {
    let addr = proxy.proxy.web_addr();
    vec![
        ("ALLUXIO_PROXY_HOST", addr.ip().to_string()),
        ("ALLUXIO_PROXY_PORT", addr.port().to_string()),
        ("ALLUXIO_UFS_ROOT", proxy.cluster.ufs_root().display().to_string()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_client_uses_every_action_and_stream() {
    // A secret in the configuration, to check /api/v1/proxy/info does not show it.
    let proxy = TestProxy::start(&[("aws.secretKey", "do-not-show")]).await;
    let scratch = tempfile::tempdir().unwrap();
    let mounted = tempfile::tempdir().unwrap();
    std::fs::write(mounted.path().join("seed.txt"), "from the mounted ufs\n").unwrap();
    let mut env = proxy_env(&proxy);
    env.push(("ALLUXIO_SCRATCH", scratch.path().display().to_string()));
    env.push(("ALLUXIO_MOUNT_SOURCE", mounted.path().display().to_string()));
    let script = script("rest_client.py");
    run(
        "python",
        &[script.to_str().unwrap()],
        &env,
        Duration::from_secs(300),
    )
    .await;
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_streams_are_closed_after_the_timeout() {
    let proxy = TestProxy::start(&[("alluxio.proxy.stream.cache.timeout", "1sec")]).await;
    let script = script("rest_idle_streams.py");
    run(
        "python",
        &[script.to_str().unwrap()],
        &proxy_env(&proxy),
        Duration::from_secs(120),
    )
    .await;
    proxy.shutdown().await;
}
