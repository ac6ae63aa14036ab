//! The master's and worker's web ports on a LocalCluster: browse paging over a 10,000-entry
//! folder, escaping, the REST API, Prometheus output checked by promtool, and cluster metrics
//! summed from what workers and clients report.

use std::time::Duration;

use alluxio_client::{AlluxioPath, CreateFileOptions, FileSystem, ListStatusOptions, WriteType};
use alluxio_conf::keys;
use alluxio_testkit::LocalCluster;
use alluxio_testkit::prometheus::promtool_check_metrics;
use serde_json::Value;

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn get_json(addr: std::net::SocketAddr, path: &str) -> Value {
    let (status, body) = get(addr, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path} is not JSON ({e}): {body}"))
}

fn path(raw: &str) -> AlluxioPath {
    AlluxioPath::new(raw).unwrap()
}

async fn write(fs: &FileSystem, name: &str, data: &[u8]) {
    let options = CreateFileOptions {
        recursive: true,
        write_type: Some(WriteType::MustCache),
        ..Default::default()
    };
    let mut out = fs.create_file(&path(name), options).await.unwrap();
    out.write(data).await.unwrap();
    out.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_pages_a_large_folder_and_escapes_every_name() {
    let cluster = LocalCluster::builder().start().await.unwrap();
    let big = cluster.ufs_root().join("big");
    std::fs::create_dir(&big).unwrap();
    for i in 0..10_000 {
        std::fs::File::create(big.join(format!("f{i:05}"))).unwrap();
    }
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    // Browsing never loads from the UFS: listing once loads the folder.
    let loaded = fs
        .list_status(&path("/big"), ListStatusOptions::default())
        .await
        .unwrap();
    assert_eq!(loaded.len(), 10_000);
    let web = cluster.master_web_addr();

    let (status, first) = get(web, "/browse?path=/big").await;
    assert_eq!(status, 200);
    assert!(first.contains("Showing 1–100 of 10000"), "{first}");
    assert_eq!(
        first.matches("<tr><td><a href=\"/browse?path=%2Fbig%2Ff").count(),
        100
    );
    assert!(first.contains(r#"href="/browse?path=%2Fbig&amp;offset=100&amp;limit=100""#));
    let (_, last) = get(web, "/browse?path=/big&offset=9950&limit=100").await;
    assert!(last.contains("Showing 9951–10000 of 10000"), "{last}");
    assert!(last.contains(">f09999<") && !last.contains(">f09949<"));
    assert!(!last.contains("Next"), "the last page has no next link");

    write(&fs, "/odd/<b>&\"x\".txt", b"<script>alert(1)</script>").await;
    let (_, listing) = get(web, "/browse?path=/odd").await;
    assert!(listing.contains("&lt;b&gt;&amp;&quot;x&quot;.txt"), "{listing}");
    assert!(!listing.contains("<b>&"), "{listing}");
    let (_, file) = get(web, "/browse?path=/odd/%3Cb%3E%26%22x%22.txt").await;
    assert!(file.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{file}");
    assert!(!file.contains("<script>"), "{file}");

    let (status, missing) = get(web, "/browse?path=/nothing").await;
    assert_eq!(status, 404);
    assert!(missing.contains("Cannot browse"), "{missing}");
    let (status, bad) = get(web, "/browse?path=relative").await;
    assert_eq!(status, 400);
    assert!(bad.contains("must start with"), "{bad}");
    let (status, bytes) = get(web, "/download?path=/odd/%3Cb%3E%26%22x%22.txt").await;
    assert_eq!((status, bytes.as_str()), (200, "<script>alert(1)</script>"));

    // Pages never load metadata: a file only the UFS has stays unknown to the master.
    std::fs::write(cluster.ufs_root().join("ufs-only"), b"x").unwrap();
    let paths = |json: Value| json["gauges"]["Master.TotalPaths"]["value"].as_f64().unwrap();
    let before = paths(get_json(web, "/metrics/json/").await);
    assert_eq!(get(web, "/download?path=/ufs-only").await.0, 404);
    assert_eq!(get(web, "/browse?path=/ufs-only").await.0, 404);
    assert_eq!(paths(get_json(web, "/metrics/json/").await), before);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_answers_with_alluxio_names() {
    let cluster = LocalCluster::builder()
        .property("aws.secretKey", "hunter2")
        .start()
        .await
        .unwrap();
    let fs = FileSystem::connect(cluster.client_conf()).await.unwrap();
    write(&fs, "/a", &[7u8; 1000]).await;
    let web = cluster.master_web_addr();
    let info = get_json(web, "/api/v1/master/info").await;
    assert_eq!(info["workerCount"], 1);
    assert_eq!(info["usedBytes"], 1000);
    assert_eq!(info["tierCapacity"]["MEM"]["used"], 1000);
    assert_eq!(info["capacity"]["total"], 64 * 1024 * 1024);
    assert_eq!(info["freeBytes"], 64 * 1024 * 1024 - 1000);
    assert_eq!(info["workers"][0]["address"]["host"], "127.0.0.1");
    assert_eq!(info["lostWorkers"], Value::Array(vec![]));
    assert_eq!(info["configuration"]["aws.secretKey"], "******");
    assert_eq!(info["metrics"]["Master.FilesCreated"], 1.0);
    assert_eq!(info["mountPoints"]["/"]["ufsType"], "local");
    assert!(info["startupConsistencyCheck"]["status"].is_string());
    for (endpoint, key) in [
        ("capacity_bytes", "capacityBytes"),
        ("used_bytes", "usedBytes"),
        ("free_bytes", "freeBytes"),
        ("worker_count", "workerCount"),
        ("rpc_address", "rpcAddress"),
        ("ufs_capacity_bytes", "ufsCapacityBytes"),
        ("used_bytes_on_tiers", "usedBytesOnTiers"),
    ] {
        assert_eq!(
            get_json(web, &format!("/api/v1/master/{endpoint}")).await,
            info[key],
            "{endpoint}"
        );
    }
    let workers = get_json(web, "/api/v1/master/worker_info_list").await;
    assert_eq!(workers[0]["usedBytes"], 1000);
    assert_eq!(
        get_json(web, "/api/v1/master/version").await,
        alluxio_proto::VERSION
    );
    let worker_web = cluster.worker(0).web_addr.unwrap();
    let worker = get_json(worker_web, "/api/v1/worker/info").await;
    assert_eq!(worker["usedBytesOnTiers"]["MEM"], 1000);
    assert_eq!(worker["configuration"]["aws.secretKey"], "******");
    cluster.shutdown().await.unwrap();
}

/// The value of metric `name` on the master, once it satisfies `ok`.
async fn wait_for_metric(fs: &FileSystem, name: &str, ok: impl Fn(f64) -> bool) -> f64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = fs.master_metrics().await.unwrap();
        let value = metrics.iter().find(|m| m.name == name).map_or(0.0, |m| m.value);
        if ok(value) {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "{name} stayed at {value}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_metrics_sum_what_workers_and_clients_report_and_promtool_accepts_them() {
    let cluster = LocalCluster::builder()
        .property(keys::USER_METRICS_HEARTBEAT_INTERVAL, "100ms")
        .start()
        .await
        .unwrap();
    let local = FileSystem::connect(cluster.client_conf()).await.unwrap();
    write(&local, "/local", &[1u8; 300_000]).await;
    let mut stream = local
        .open_file(&path("/local"), Default::default())
        .await
        .unwrap();
    assert_eq!(stream.read_to_end().await.unwrap().len(), 300_000);
    // A client on another host reads through the worker's data port.
    let mut remote_conf = cluster.client_conf();
    remote_conf.set(keys::USER_SHORT_CIRCUIT_ENABLED, "false");
    let remote = FileSystem::connect(remote_conf).await.unwrap();
    let mut stream = remote
        .open_file(&path("/local"), Default::default())
        .await
        .unwrap();
    assert_eq!(stream.read_to_end().await.unwrap().len(), 300_000);

    wait_for_metric(&local, "Cluster.BytesWrittenLocal", |v| v >= 300_000.0).await;
    wait_for_metric(&local, "Cluster.BytesReadLocal", |v| v >= 300_000.0).await;
    wait_for_metric(&local, "Cluster.BytesReadRemote", |v| v >= 300_000.0).await;
    // The worker counts what it sent and what it stored; its heartbeat carries both.
    wait_for_metric(&local, "Cluster.BytesReadAlluxio", |v| v >= 300_000.0).await;
    wait_for_metric(&local, "Cluster.BytesWrittenAlluxio", |v| v >= 300_000.0).await;
    let created = wait_for_metric(&local, "Master.FilesCreated", |v| v >= 1.0).await;
    assert_eq!(created, 1.0);

    let web = cluster.master_web_addr();
    let json = get_json(web, "/metrics/json/").await;
    assert_eq!(json["counters"]["Master.CreateFileOps"]["count"], 1);
    assert!(json["timers"]["Master.RpcLatency.CreateFile"]["count"].as_u64() >= Some(1));
    assert_eq!(json["gauges"]["Master.Workers"]["value"], 1.0);
    let worker_web = cluster.worker(0).web_addr.unwrap();
    let worker_json = get_json(worker_web, "/metrics/json/").await;
    assert!(worker_json["meters"]["Worker.BytesReadAlluxio"]["count"].as_u64() >= Some(300_000));
    for addr in [web, worker_web] {
        let (status, text) = get(addr, "/metrics/prometheus/").await;
        assert_eq!(status, 200);
        if let Err(problems) = promtool_check_metrics(&text) {
            panic!("promtool rejects the exposition of {addr}: {problems}\n{text}");
        }
    }
    let (_, text) = get(web, "/metrics/prometheus/").await;
    assert!(text.contains("master_files_created_total 1\n"), "{text}");
    assert!(
        text.contains("master_rpc_latency_seconds_bucket{method=\"CreateFile\""),
        "{text}"
    );
    cluster.shutdown().await.unwrap();
}
