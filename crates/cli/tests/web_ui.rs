//! The web UI in a real headless Chromium, against a master and a worker started by the
//! `alluxio` binary: an operator opens the overview, browses to a file and its blocks, follows
//! the worker link, and sees the numbers `fsadmin report` prints. Also `alluxio logLevel`
//! against the running servers. Screenshots of every page go to `target/screenshots/`.

mod common;

use std::time::Duration;

use alluxio_testkit::browser::Browser;
use common::{Cluster, stderr, stdout, wait_until};

/// The value after `label:` in `fsadmin report`'s output.
fn report_value(report: &str, label: &str) -> String {
    report
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix(label)?
                .strip_prefix(':')
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no {label} in:\n{report}"))
}

/// A cluster with `/data/a.txt` (cached) and `/data/sub/`.
fn cluster_with_files() -> Cluster {
    let mut cluster = Cluster::new();
    cluster.props.push("-Daws.secretKey=do-not-show-me".into());
    cluster
        .props
        .push("-Dalluxio.master.metrics.time.series.interval=200ms".into());
    cluster.start_master();
    cluster.start_worker();
    let src = cluster.root().join("a.txt");
    std::fs::write(&src, "first line of a.txt\n".repeat(100)).unwrap();
    cluster.ok(&["fs", "mkdir", "/data/sub"]);
    cluster.ok(&["fs", "copyFromLocal", src.to_str().unwrap(), "/data/a.txt"]);
    cluster
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_walks_the_master_and_worker_ui_in_chromium() {
    let cluster = cluster_with_files();
    let master = format!("http://127.0.0.1:{}", cluster.master_web_port);
    let browser = Browser::start().await.unwrap();

    // Overview, with the numbers fsadmin report prints.
    browser.goto(&format!("{master}/")).await.unwrap();
    assert!(browser.current_url().await.unwrap().ends_with("/home"));
    browser.screenshot("master-overview").await.unwrap();
    let report = cluster.ok(&["fsadmin", "report"]);
    assert_eq!(
        browser.text("#live-workers").await.unwrap(),
        report_value(&report, "Live Workers")
    );
    assert_eq!(
        browser.text("#lost-workers").await.unwrap(),
        report_value(&report, "Lost Workers")
    );
    assert_eq!(
        browser.text("#total-capacity").await.unwrap(),
        report_value(&report, "Total Capacity")
    );
    assert_eq!(
        browser.text("#used-capacity").await.unwrap(),
        report_value(&report, "Used Capacity")
    );
    assert_eq!(
        browser.text("#master-address").await.unwrap(),
        report_value(&report, "Master Address")
    );
    assert_eq!(
        browser.text("#version").await.unwrap(),
        report_value(&report, "Version")
    );

    // Browse into the folder and open the file: details, blocks, first KB.
    browser.click_link("Browse").await.unwrap();
    browser.click_link("data/").await.unwrap();
    let names = browser.texts("#listing tbody td:first-child").await.unwrap();
    assert_eq!(names, ["a.txt", "sub/"]);
    browser.screenshot("master-browse-folder").await.unwrap();
    browser.click_link("a.txt").await.unwrap();
    assert!(browser.text("#file-size").await.unwrap().contains("2000 bytes"));
    assert!(
        browser
            .text("#preview")
            .await
            .unwrap()
            .starts_with("first line of a.txt")
    );
    let location = browser.text("#blocks .location").await.unwrap();
    assert_eq!(location, "127.0.0.1 (MEM)");
    browser.screenshot("master-browse-file").await.unwrap();

    // The other master pages.
    browser.click_link("In-Alluxio Files").await.unwrap();
    assert!(
        browser
            .texts("#cached tbody td:first-child")
            .await
            .unwrap()
            .contains(&"/data/a.txt".to_string())
    );
    browser.screenshot("master-in-alluxio").await.unwrap();
    browser.click_link("Mounts").await.unwrap();
    browser.screenshot("master-mounts").await.unwrap();
    browser.click_link("Configuration").await.unwrap();
    let source = browser.source().await.unwrap();
    assert!(source.contains("aws.secretKey") && !source.contains("do-not-show-me"));
    browser.screenshot("master-configuration").await.unwrap();
    browser.click_link("Metrics").await.unwrap();
    assert!(
        browser
            .text("figure.chart figcaption")
            .await
            .unwrap()
            .starts_with("Cluster.BytesReadAlluxio")
    );
    let source = browser.source().await.unwrap();
    assert!(source.contains("<polyline"), "the charts have samples to draw");
    browser.screenshot("master-metrics").await.unwrap();
    browser.click_link("Logs").await.unwrap();
    browser.click_link("master.log").await.unwrap();
    assert!(
        browser
            .text("pre.content")
            .await
            .unwrap()
            .contains("master started")
    );
    browser.screenshot("master-log").await.unwrap();

    // Workers, then the worker's own UI through its link.
    browser.click_link("Workers").await.unwrap();
    let worker_link = format!("127.0.0.1:{}", cluster.worker_web_port);
    assert_eq!(
        browser.text("#live-workers a.worker-link").await.unwrap(),
        worker_link
    );
    browser.screenshot("master-workers").await.unwrap();
    browser.click_link(&worker_link).await.unwrap();
    assert!(
        browser
            .text("#worker-address")
            .await
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert_eq!(browser.text("#block-count").await.unwrap(), "1");
    browser.screenshot("worker-overview").await.unwrap();
    browser.click_link("Block Info").await.unwrap();
    assert_eq!(browser.texts("#blocks tbody tr").await.unwrap().len(), 1);
    browser.screenshot("worker-blocks").await.unwrap();
    browser.click_link("Metrics").await.unwrap();
    browser.screenshot("worker-metrics").await.unwrap();
    browser.close().await.unwrap();
}

#[test]
fn log_level_reads_and_sets_levels_of_running_servers() {
    let cluster = cluster_with_files();
    let master = format!("127.0.0.1:{}", cluster.master_web_port);
    let worker = format!("127.0.0.1:{}", cluster.worker_web_port);

    let out = cluster.ok(&["logLevel", "--logName=alluxio_master", "--target=master"]);
    assert_eq!(out.trim(), format!("{master}[alluxio_master]: INFO"));

    // The worker logs committed blocks at DEBUG: after raising its level they reach its log.
    let out = cluster.ok(&[
        "logLevel",
        "--logName=alluxio_worker",
        "--target=workers",
        "--level=debug",
    ]);
    assert_eq!(out.trim(), format!("{worker}[alluxio_worker]: DEBUG"));
    let out = cluster.ok(&[
        "logLevel",
        "--logName=alluxio_worker::data_server",
        &format!("--target={worker}"),
    ]);
    assert_eq!(
        out.trim(),
        format!("{worker}[alluxio_worker::data_server]: DEBUG")
    );
    let out = cluster.ok(&["logLevel", "--logName=alluxio_client", "--target=workers"]);
    assert_eq!(
        out.trim(),
        format!("{worker}[alluxio_client]: INFO"),
        "other loggers keep theirs"
    );
    let src = cluster.root().join("b.txt");
    std::fs::write(&src, "b").unwrap();
    cluster.ok(&["fs", "copyFromLocal", src.to_str().unwrap(), "/b.txt"]);
    let log = cluster.root().join("work/logs/worker.log");
    wait_until("a DEBUG line in the worker log", Duration::from_secs(10), || {
        std::fs::read_to_string(&log).is_ok_and(|text| text.contains("DEBUG") && text.contains("committed"))
    });

    let bad = cluster.run(&[
        "logLevel",
        "--logName=alluxio_master",
        "--target=master",
        "--level=LOUD",
    ]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("'LOUD' is not a log level"),
        "{}",
        stderr(&bad)
    );
    let bad = cluster.run(&["logLevel", "--logName=no such logger", "--target=master"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("is not a logger name"), "{}", stderr(&bad));
    let nowhere = cluster.run(&["logLevel", "--logName=root", "--target=127.0.0.1:1"]);
    assert!(!nowhere.status.success());
    assert!(
        stderr(&nowhere).contains("cannot reach"),
        "{}{}",
        stdout(&nowhere),
        stderr(&nowhere)
    );
}

#[test]
fn fsadmin_report_metrics_prints_the_master_and_cluster_metrics() {
    let cluster = cluster_with_files();
    let line = |report: &str, name: &str| {
        report
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| panic!("no {name} in:\n{report}"))
    };
    let report = cluster.ok(&["fsadmin", "report", "metrics"]);
    assert_eq!(line(&report, "Master.FilesCreated"), "(Type: COUNTER, Value: 1)");
    assert_eq!(line(&report, "Master.CreateFileOps"), "(Type: COUNTER, Value: 1)");
    assert_eq!(
        line(&report, "Master.CapacityTotal"),
        "(Type: GAUGE, Value: 64.00MB)"
    );
    assert_eq!(line(&report, "Master.Workers"), "(Type: GAUGE, Value: 1)");
    // The worker reports the 2000 bytes it stored with its next heartbeat.
    wait_until(
        "the worker's heartbeat to carry its metrics",
        Duration::from_secs(10),
        || {
            let report = cluster.ok(&["fsadmin", "report", "metrics"]);
            line(&report, "Cluster.BytesWrittenAlluxio") == "(Type: GAUGE, Value: 1.95KB)"
        },
    );
}
