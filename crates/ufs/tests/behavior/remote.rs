//! HDFS, GCS and Azure: the whole suite against a server named in the environment, skipped
//! (saying so) when none is; credentials come from the process configuration and environment.

use super::*;

async fn run_if_named(var: &str, name: &'static str) {
    let Some(base) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) else {
        println!(
            "skipped: {name} behaviour suite, {var} is not set (no {name} server to reach here); set it to a writable {name} URI to run it"
        );
        return;
    };
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
async fn hdfs_behaviour_when_a_server_is_named() {
    run_if_named("ALLUXIO_TEST_HDFS_URI", "hdfs").await;
}

#[tokio::test]
async fn gcs_behaviour_when_a_server_is_named() {
    run_if_named("ALLUXIO_TEST_GCS_URI", "gcs").await;
}

#[tokio::test]
async fn azure_behaviour_when_a_server_is_named() {
    run_if_named("ALLUXIO_TEST_AZURE_URI", "azure").await;
}
