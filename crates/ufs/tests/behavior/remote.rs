//! HDFS, GCS and Azure: the whole suite against a server named in the environment. No such
//! server can be started here, so these tests are ignored (and counted as such in the summary);
//! run them with the URI set: `ALLUXIO_TEST_HDFS_URI=hdfs://nn:8020/tmp/alluxio-test cargo test
//! -p alluxio-ufs --test behavior -- --ignored`. Credentials come from the process configuration
//! and environment.

use super::*;

async fn run_against(var: &str, name: &'static str) {
    let base = std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| panic!("set {var} to a writable {name} URI to run the {name} behaviour suite"));
    let conf = Configuration::load(Vec::new()).unwrap();
    let options: BTreeMap<String, String> = conf.explicit_entries().into_iter().collect();
    let backend = Backend {
        name,
        base,
        options,
        writes_temporaries: name == "hdfs",
        _keep: Box::new(()),
    };
    run_all(&backend).await;
}

#[tokio::test]
#[ignore = "needs an HDFS namenode: set ALLUXIO_TEST_HDFS_URI and run with --ignored"]
async fn hdfs_behaviour() {
    run_against("ALLUXIO_TEST_HDFS_URI", "hdfs").await;
}

#[tokio::test]
#[ignore = "needs a GCS bucket: set ALLUXIO_TEST_GCS_URI and run with --ignored"]
async fn gcs_behaviour() {
    run_against("ALLUXIO_TEST_GCS_URI", "gcs").await;
}

#[tokio::test]
#[ignore = "needs an Azure container: set ALLUXIO_TEST_AZURE_URI and run with --ignored"]
async fn azure_behaviour() {
    run_against("ALLUXIO_TEST_AZURE_URI", "azure").await;
}
