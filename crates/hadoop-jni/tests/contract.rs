//! `alluxio.hadoop.FileSystem` from a real JVM: the client jar built from this workspace, loaded
//! by Hadoop's `FileSystem.get`, runs the contract checks of java/test/alluxio/hadoop/
//! ContractTest.java against a LocalCluster, the JNI layer turns a lost master into a Java
//! exception rather than a hang or a crash, and the client acts for the Hadoop user of a `doAs`
//! as far as the master's impersonation rules allow.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use alluxio_testkit::LocalCluster;
use alluxio_testkit::java::{class_path, client_jar, compile_java, jdk_tool};

/// The contract checks, compiled against the client jar.
fn contract_classes(work: &Path) -> (PathBuf, String) {
    let jar = client_jar();
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("java/test");
    let classes = compile_java(&sources, &class_path(&[&jar]), work);
    let path = class_path(&[&classes, &jar]);
    (classes, path)
}

/// Runs `ContractTest` with `args` in a JVM with no Alluxio environment of the caller's, with
/// the JVM options `jvm` (`-Dalluxio.key=value` properties).
fn run_contract(class_path: &str, home: &Path, jvm: &[&str], args: &[&str]) -> Output {
    let mut java = Command::new(jdk_tool("java"));
    for (name, _) in std::env::vars() {
        if name.starts_with("ALLUXIO_") {
            java.env_remove(name);
        }
    }
    java.env("HOME", home)
        .args(jvm)
        .args(["-cp", class_path, "alluxio.hadoop.ContractTest"])
        .args(args);
    java.output().expect("run java")
}

fn report(output: &Output) -> String {
    format!(
        "exit {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hadoop_file_system_contract_holds_from_java() {
    let cluster = LocalCluster::builder().start().await.expect("start the cluster");
    let work = tempfile::tempdir().unwrap();
    let uri = format!("alluxio://{}/contract", cluster.master_rpc_addr());
    let home = work.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        let (_classes, path) = contract_classes(&home);
        run_contract(&path, &home, &[], &[&uri])
    })
    .await
    .unwrap();
    let text = report(&output);
    assert!(output.status.success(), "{text}");
    assert!(!text.contains("FAIL "), "{text}");
    assert!(
        text.matches("PASS ").count() >= 20,
        "fewer checks ran than written:\n{text}"
    );
    cluster.shutdown().await.unwrap();
}

#[test]
fn a_lost_master_is_a_java_exception_within_the_retry_time() {
    let work = tempfile::tempdir().unwrap();
    let (_classes, path) = contract_classes(work.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let start = Instant::now();
    let output = run_contract(
        &path,
        work.path(),
        &[],
        &["lost-master", &format!("alluxio://127.0.0.1:{port}/")],
    );
    let text = report(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("PASS "), "{text}");
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "took {:?}:\n{text}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_acts_for_the_hadoop_user_the_master_allows() {
    let cluster = LocalCluster::builder()
        .property("alluxio.master.security.impersonation.etl.users", "alice")
        .start()
        .await
        .expect("start the cluster");
    let fs = alluxio_client::FileSystem::connect(cluster.client_conf())
        .await
        .unwrap();
    let dir = alluxio_client::AlluxioPath::new("/shared").unwrap();
    fs.create_directory(&dir, Default::default()).await.unwrap();
    let everyone = alluxio_client::SetAttributeOptions {
        mode: Some(0o777),
        ..Default::default()
    };
    fs.set_attribute(&dir, everyone).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let uri = format!("alluxio://{}/shared", cluster.master_rpc_addr());
    let home = work.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        let (_classes, path) = contract_classes(&home);
        let login = "-Dalluxio.security.login.username=etl";
        run_contract(&path, &home, &[login], &["impersonation", &uri])
    })
    .await
    .unwrap();
    let text = report(&output);
    assert!(output.status.success(), "{text}");
    assert_eq!(text.matches("PASS impersonation").count(), 2, "{text}");
    let file = alluxio_client::AlluxioPath::new("/shared/alice-file").unwrap();
    assert_eq!(fs.get_status(&file).await.unwrap().owner, "alice");
    cluster.shutdown().await.unwrap();
}
