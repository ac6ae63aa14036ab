//! A cluster with a proxy in front of it, and the Python interpreter of the test virtualenv that
//! holds the real clients (PyPI's `alluxio`, boto3, the aws CLI) the tests drive it with.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use alluxio_conf::keys;
use alluxio_proxy::RunningProxy;
use alluxio_testkit::LocalCluster;

/// A one-worker cluster and a proxy on 127.0.0.1 using it.
pub struct TestProxy {
    pub cluster: LocalCluster,
    pub proxy: RunningProxy,
}

impl TestProxy {
    /// Starts both; `properties` apply to the cluster, its clients and the proxy.
    pub async fn start(properties: &[(&str, &str)]) -> TestProxy {
        let mut builder = LocalCluster::builder();
        for (key, value) in properties {
            builder = builder.property(key, *value);
        }
        let cluster = builder.start().await.expect("the test cluster starts");
        // S3 users create buckets in the bucket root: the operator lets them, as
        // `alluxio fs chmod 1777 /` would (sticky: each removes only their own buckets).
        let admin = alluxio_client::FileSystem::connect(cluster.client_conf())
            .await
            .expect("connect as the cluster's user");
        let open = alluxio_client::SetAttributeOptions {
            mode: Some(0o1777),
            ..Default::default()
        };
        admin
            .set_attribute(&alluxio_client::AlluxioPath::root(), open)
            .await
            .expect("open the root to every user");
        let mut conf = cluster.client_conf();
        conf.set(keys::PROXY_WEB_BIND_HOST, "127.0.0.1");
        conf.set(keys::PROXY_WEB_PORT, "0");
        for (key, value) in properties {
            conf.set(key, *value);
        }
        let proxy = alluxio_proxy::start(conf).await.expect("the proxy starts");
        TestProxy { cluster, proxy }
    }

    /// `http://127.0.0.1:<port>` of the web port.
    pub fn web_url(&self) -> String {
        format!("http://{}", self.proxy.web_addr())
    }

    /// Stops the proxy, then the cluster.
    pub async fn shutdown(self) {
        self.proxy.shutdown().await.expect("the proxy stops cleanly");
        self.cluster.shutdown().await.expect("the cluster stops cleanly");
    }
}

/// A script of `tests/python/`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

/// Runs `program args` (a program of the virtualenv's `bin/` or a path) with `env`, at most
/// `timeout`; fails the test with its output unless it exits 0. Returns its standard output.
pub async fn run(program: &str, args: &[&str], env: &[(&str, String)], timeout: Duration) -> String {
    let venv = alluxio_testkit::test_venv();
    let path = venv.join("bin").join(program);
    let program_path = if path.exists() {
        path
    } else {
        PathBuf::from(program)
    };
    let mut command = tokio::process::Command::new(&program_path);
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env(
            "PATH",
            format!(
                "{}:{}",
                venv.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(timeout, command.output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{} {args:?} did not finish within {timeout:?}",
                program_path.display()
            )
        })
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program_path.display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} {args:?} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        program_path.display(),
        output.status
    );
    eprintln!("{stderr}");
    stdout
}
