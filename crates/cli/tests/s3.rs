//! Issue 5's walkthrough with the real commands: an S3 bucket (a loopback S3 server) mounted at
//! `/s3`, listed, read through the cache, written with CACHE_THROUGH into the bucket, freed and
//! read back from the bucket; and a mount with a wrong secret refused with the cause.

mod common;

use alluxio_testkit::s3::S3Server;
use std::time::Duration;

use common::{Cluster, stderr, wait_until};

const BUCKET: &str = "warehouse";
const ARCHIVE: &str = "archive";

/// A loopback S3 server kept running on its own runtime while the CLI processes use it.
struct Bucket {
    server: S3Server,
    _runtime: tokio::runtime::Runtime,
}

impl Bucket {
    fn start() -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let server = runtime
            .block_on(S3Server::start(&[BUCKET, ARCHIVE]))
            .expect("S3 server");
        Self {
            server,
            _runtime: runtime,
        }
    }

    /// `fs mount` arguments mounting `uri` of this server at `at` with `secret`.
    fn mount_args<'a>(
        &'a self,
        secret: &'a str,
        uri: &'a str,
        at: &'a str,
        options: &'a mut Vec<String>,
    ) -> Vec<&'a str> {
        let mut properties = self.server.properties();
        properties.insert("aws.secretKey".to_string(), secret.to_string());
        *options = properties
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        let mut args = vec!["fs", "mount"];
        for option in options.iter() {
            args.extend(["--option", option.as_str()]);
        }
        args.extend([at, uri]);
        args
    }
}

fn in_alluxio_percentage(cluster: &Cluster, path: &str) -> String {
    let stat = cluster.ok(&["fs", "stat", path]);
    stat.lines()
        .find_map(|line| line.trim().strip_prefix("In Alluxio:"))
        .unwrap_or_else(|| panic!("no 'In Alluxio:' line in {stat}"))
        .trim()
        .trim_end_matches('%')
        .to_string()
}

#[test]
fn an_s3_bucket_is_mounted_listed_cached_written_through_and_freed() {
    let bucket = Bucket::start();
    let report = b"quarter,revenue\nq1,100\nq2,250\n".to_vec();
    assert!(bucket.server.put_object(BUCKET, "sales/2026.csv", report.clone()));
    let mut cluster = Cluster::new();
    cluster.start_master();
    cluster.start_worker();

    let mut options = Vec::new();
    let secret = bucket.server.secret_key.clone();
    cluster.ok(&bucket.mount_args(&secret, "s3://warehouse/", "/s3", &mut options));
    let listing = cluster.ok(&["fs", "mount"]);
    assert!(
        listing.contains("s3://warehouse/") && listing.contains(" on ") && listing.contains("/s3"),
        "{listing}"
    );
    assert!(
        !listing.contains(&secret),
        "the secret must not be shown: {listing}"
    );

    let ls = cluster.ok(&["fs", "ls", "/s3"]);
    assert!(ls.contains("/s3/sales"), "{ls}");
    let ls = cluster.ok(&["fs", "ls", "/s3/sales"]);
    assert!(ls.contains("/s3/sales/2026.csv"), "{ls}");

    // The first read comes from the bucket and leaves the file cached; the second from memory.
    assert_eq!(in_alluxio_percentage(&cluster, "/s3/sales/2026.csv"), "0");
    assert_eq!(
        cluster.ok(&["fs", "cat", "/s3/sales/2026.csv"]).as_bytes(),
        report
    );
    assert_eq!(in_alluxio_percentage(&cluster, "/s3/sales/2026.csv"), "100");
    assert_eq!(
        cluster.ok(&["fs", "cat", "/s3/sales/2026.csv"]).as_bytes(),
        report
    );

    // CACHE_THROUGH puts the file into the bucket before the write completes.
    let local = cluster.root().join("forecast.csv");
    let forecast: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&local, &forecast).unwrap();
    cluster.ok(&[
        "fs",
        "-Dalluxio.user.file.writetype.default=CACHE_THROUGH",
        "copyFromLocal",
        local.to_str().unwrap(),
        "/s3/sales/forecast.csv",
    ]);
    let keys = bucket.server.keys(BUCKET).unwrap();
    assert!(keys.iter().any(|k| k == "sales/forecast.csv"), "{keys:?}");
    assert_eq!(in_alluxio_percentage(&cluster, "/s3/sales/forecast.csv"), "100");

    // Freed, it is read again from the bucket, byte for byte.
    // As in Alluxio, the workers drop the blocks on their next heartbeat.
    cluster.ok(&["fs", "free", "/s3/sales/forecast.csv"]);
    wait_until(
        "the freed blocks to leave the worker",
        Duration::from_secs(20),
        || in_alluxio_percentage(&cluster, "/s3/sales/forecast.csv") == "0",
    );
    let back = cluster.root().join("back.csv");
    cluster.ok(&[
        "fs",
        "copyToLocal",
        "/s3/sales/forecast.csv",
        back.to_str().unwrap(),
    ]);
    assert!(std::fs::read(&back).unwrap() == forecast);

    // A wrong secret is refused at mount time, saying why.
    let mut options = Vec::new();
    let out = cluster.run(&bucket.mount_args("not-the-secret", "s3://archive/", "/bad", &mut options));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("s3://archive/") && err.to_lowercase().contains("denied"),
        "{err}"
    );
    assert!(!err.contains("not-the-secret"), "{err}");
}
