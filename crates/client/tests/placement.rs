//! Where blocks go: the write and UFS-read location policies, and passive caching, against a
//! real cluster whose workers are on hosts of their own (127.0.0.1, .2, .3 ...). A client is "on"
//! a worker's host when its `alluxio.user.hostname` is that worker's host.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use alluxio_client::{ClientError, CreateFileOptions, ErrorKind, FileInfo, FileSystem, ReadType, WriteType};
use alluxio_conf::{Configuration, keys};
use alluxio_testkit::LocalCluster;
use alluxio_worker::RunningWorker;
use common::*;
use tempfile::TempDir;

const WAIT: Duration = Duration::from_secs(20);
/// MEM of every worker, unless a test needs more.
const QUOTA: u64 = 8 * MIB;
/// The host of the cluster's own worker.
const FIRST: &str = "127.0.0.1";
const SECOND: &str = "127.0.0.2";
const THIRD: &str = "127.0.0.3";
/// A host with no worker.
const NOWHERE: &str = "127.0.0.9";
const WRITE_POLICY: &str = keys::USER_FILE_WRITE_LOCATION_POLICY;
const UFS_READ_POLICY: &str = keys::USER_UFS_BLOCK_READ_LOCATION_POLICY;

/// A LocalCluster, whose worker is on 127.0.0.1, and workers started here on other loopback
/// addresses, each one a host of its own.
struct Hosts {
    cluster: LocalCluster,
    extra: Vec<RunningWorker>,
    _dirs: Vec<TempDir>,
}

impl Hosts {
    /// Workers with `quota` bytes of MEM on 127.0.0.1 and on `extra_hosts`.
    async fn start(extra_hosts: &[&str], quota: u64) -> Self {
        init_logging();
        let cluster = LocalCluster::builder()
            .block_size(MIB)
            .mem_quota(quota)
            .start()
            .await
            .unwrap();
        let mut hosts = Self {
            cluster,
            extra: Vec::new(),
            _dirs: Vec::new(),
        };
        for host in extra_hosts {
            let dir = tempfile::tempdir().unwrap();
            let mut conf = hosts.cluster.client_conf();
            let mem = dir.path().join("mem").display().to_string();
            for (key, value) in [
                (keys::WORKER_HOSTNAME.to_string(), host.to_string()),
                (keys::WORKER_BIND_HOST.to_string(), host.to_string()),
                (keys::WORKER_PORT.to_string(), "0".into()),
                (keys::WORKER_DATA_PORT.to_string(), "0".into()),
                (keys::WORKER_WEB_PORT.to_string(), "0".into()),
                (keys::WORKER_MEMORY_SIZE.to_string(), quota.to_string()),
                (keys::WORKER_TIERED_STORE_LEVELS.to_string(), "1".into()),
                (keys::tier_alias(0), "MEM".into()),
                (keys::tier_dirs_path(0), mem),
                (keys::tier_dirs_quota(0), quota.to_string()),
            ] {
                conf.set(&key, value);
            }
            hosts.extra.push(alluxio_worker::start(conf).await.unwrap());
            hosts._dirs.push(dir);
        }
        let fs = hosts.client(None, &[]).await;
        let expected = 1 + extra_hosts.len();
        wait_until("every worker to register", WAIT, async || {
            fs.worker_info_list().await.unwrap().0.len() == expected
        })
        .await;
        hosts
    }

    /// A client on `host` (none: on every loopback host) with `properties`.
    async fn client(&self, host: Option<&str>, properties: &[(&str, &str)]) -> FileSystem {
        let mut conf = self.cluster.client_conf();
        if let Some(host) = host {
            conf.set(keys::USER_HOSTNAME, host);
        }
        for (key, value) in properties {
            conf.set(key, *value);
        }
        FileSystem::connect(conf).await.unwrap()
    }

    /// A client whose blocks go to the worker on `host`: SpecificHostPolicy, which takes the
    /// host from `alluxio.worker.hostname`.
    async fn writing_to(&self, host: &str) -> FileSystem {
        let properties = [
            (WRITE_POLICY, "SpecificHostPolicy"),
            (keys::WORKER_HOSTNAME, host),
        ];
        self.client(None, &properties).await
    }

    async fn shutdown(self) {
        for worker in self.extra {
            worker.shutdown().await.unwrap();
        }
        self.cluster.shutdown().await.unwrap();
    }
}

/// The hosts holding each block of `p`, in block order.
async fn block_hosts(fs: &FileSystem, p: &str) -> Vec<BTreeSet<String>> {
    let info = fs.get_status(&path(p)).await.unwrap();
    info.file_block_infos
        .iter()
        .map(|b| {
            b.block_info
                .iter()
                .flat_map(|i| &i.locations)
                .filter_map(|l| l.worker_address.as_ref().map(|a| a.host.clone()))
                .collect()
        })
        .collect()
}

/// `hosts` as the set a block's locations are compared with.
fn on(hosts: &[&str]) -> BTreeSet<String> {
    hosts.iter().map(|h| h.to_string()).collect()
}

/// The host of the single block of `p`.
async fn host_of(fs: &FileSystem, p: &str) -> String {
    let blocks = block_hosts(fs, p).await;
    assert_eq!(blocks.len(), 1, "{p}: {blocks:?}");
    assert_eq!(blocks[0].len(), 1, "{p}: {blocks:?}");
    blocks[0].first().unwrap().clone()
}

/// Bytes used per host, as the master reports them.
async fn used(fs: &FileSystem) -> HashMap<String, u64> {
    let (live, _) = fs.worker_info_list().await.unwrap();
    live.into_iter()
        .map(|w| (w.address.unwrap().host, w.used_bytes))
        .collect()
}

/// Writes `data` as a MUST_CACHE file, returning the first error.
async fn try_write(fs: &FileSystem, p: &str, data: &[u8]) -> Result<FileInfo, ClientError> {
    let options = CreateFileOptions {
        recursive: true,
        write_type: Some(WriteType::MustCache),
        ..Default::default()
    };
    let mut out = fs.create_file(&path(p), options).await?;
    out.write(data).await?;
    out.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_spreads_consecutive_files_and_blocks_over_the_workers() {
    let hosts = Hosts::start(&[SECOND, THIRD], QUOTA).await;
    let rr = hosts
        .client(
            Some(FIRST),
            &[(WRITE_POLICY, "alluxio.client.file.policy.RoundRobinPolicy")],
        )
        .await;
    let small = pattern(1000, 1);
    let mut picks = Vec::new();
    for i in 0..6 {
        let p = format!("/rr/{i}");
        write_file(&rr, &p, &small, WriteType::MustCache).await;
        picks.push(host_of(&rr, &p).await);
    }
    // Every worker in turn, although one is on the client's host, then the same turns again.
    assert_eq!(picks[..3].iter().collect::<BTreeSet<_>>().len(), 3, "{picks:?}");
    assert_eq!(picks[..3], picks[3..], "{picks:?}");

    let data = pattern(3 * MIB as usize, 2);
    write_file(&rr, "/rr/blocks", &data, WriteType::MustCache).await;
    let blocks = block_hosts(&rr, "/rr/blocks").await;
    let spread: BTreeSet<String> = blocks.iter().flatten().cloned().collect();
    assert_eq!(spread, on(&[FIRST, SECOND, THIRD]), "{blocks:?}");
    assert!(read_file(&rr, "/rr/blocks", ReadType::NoCache).await.unwrap() == data);

    // The default, LocalFirstPolicy, keeps every file on the client's host.
    let local_first = hosts.client(Some(SECOND), &[]).await;
    for i in 0..3 {
        let p = format!("/lf/{i}");
        write_file(&local_first, &p, &small, WriteType::MustCache).await;
        assert_eq!(host_of(&local_first, &p).await, SECOND, "{p}");
    }
    hosts.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_weigh_the_free_space_workers_report() {
    let hosts = Hosts::start(&[SECOND, THIRD], QUOTA).await;
    // SpecificHostPolicy fills the first worker almost up and the third to 3 MiB of 8.
    for (host, len) in [(FIRST, 15 * MIB / 2), (THIRD, 3 * MIB)] {
        let specific = hosts.writing_to(host).await;
        let p = format!("/fill/{host}");
        write_file(&specific, &p, &pattern(len as usize, 3), WriteType::MustCache).await;
        let blocks = block_hosts(&specific, &p).await;
        assert!(blocks.iter().all(|b| *b == on(&[host])), "{p}: {blocks:?}");
    }
    let fs = hosts.client(None, &[]).await;
    wait_until("the master to see the fill", WAIT, async || {
        let used = used(&fs).await;
        used[FIRST] == 15 * MIB / 2 && used[THIRD] == 3 * MIB && used[SECOND] == 0
    })
    .await;
    let block = pattern(MIB as usize, 4);

    // The emptiest worker, not the (nearly full) one on the client's host.
    let most = hosts
        .client(Some(FIRST), &[(WRITE_POLICY, "MostAvailableFirstPolicy")])
        .await;
    write_file(&most, "/most", &block, WriteType::MustCache).await;
    assert_eq!(host_of(&most, "/most").await, SECOND);

    // The local worker lacks a block's room: the one with most room instead.
    let avoid = "alluxio.client.file.policy.LocalFirstAvoidEvictionPolicy";
    let crowded = hosts.client(Some(FIRST), &[(WRITE_POLICY, avoid)]).await;
    write_file(&crowded, "/avoid/crowded", &block, WriteType::MustCache).await;
    assert_eq!(host_of(&crowded, "/avoid/crowded").await, SECOND);
    // With room, the local worker although another has more.
    let roomy = hosts.client(Some(THIRD), &[(WRITE_POLICY, avoid)]).await;
    write_file(&roomy, "/avoid/roomy", &block, WriteType::MustCache).await;
    assert_eq!(host_of(&roomy, "/avoid/roomy").await, THIRD);

    // LocalFirstPolicy on a host without a worker: the one with most free space.
    let stranger = hosts.client(Some(NOWHERE), &[]).await;
    write_file(&stranger, "/stranger", &block, WriteType::MustCache).await;
    assert_eq!(host_of(&stranger, "/stranger").await, SECOND);

    // SpecificHostPolicy never falls back to another host.
    let lost = hosts.writing_to(NOWHERE).await;
    let err = try_write(&lost, "/lost", &block).await.unwrap_err();
    assert_error(&err, ErrorKind::Unavailable, &[NOWHERE, WRITE_POLICY]);
    assert!(!lost.exists(&path("/lost")).await.unwrap());
    hosts.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ufs_reads_go_through_the_worker_the_read_policy_picks() {
    let hosts = Hosts::start(&[SECOND, THIRD], QUOTA).await;
    let dir = hosts.cluster.ufs_root().join("ufs");
    std::fs::create_dir_all(&dir).unwrap();
    let files = [
        ("rr", "RoundRobinPolicy", None),
        (
            "specific",
            "alluxio.client.file.policy.SpecificHostPolicy",
            Some(THIRD),
        ),
        ("default", "alluxio.client.file.policy.LocalFirstPolicy", None),
    ];
    for (seed, (name, policy, specific_host)) in files.into_iter().enumerate() {
        let data = pattern(3 * MIB as usize, 10 + seed as u64);
        std::fs::write(dir.join(name), &data).unwrap();
        let mut properties = vec![(UFS_READ_POLICY, policy)];
        if let Some(host) = specific_host {
            properties.push((keys::WORKER_HOSTNAME, host));
        }
        let fs = hosts.client(Some(SECOND), &properties).await;
        let p = format!("/ufs/{name}");
        let (bytes, stats) = read_file_stats(&fs, &p, ReadType::Cache).await.unwrap();
        assert!(bytes == data, "{p}");
        assert_eq!(stats.ufs_bytes, data.len() as u64, "{p}");
        wait_until("the blocks read from the UFS to be cached", WAIT, async || {
            in_alluxio(&fs, &p).await == 100
        })
        .await;
        let blocks = block_hosts(&fs, &p).await;
        let expected = match name {
            // One block through each worker.
            "rr" => vec![on(&[FIRST]), on(&[SECOND]), on(&[THIRD])],
            "specific" => vec![on(&[THIRD]); 3],
            // The worker on the client's host.
            _ => vec![on(&[SECOND]); 3],
        };
        if name == "rr" {
            let mut sorted = blocks.clone();
            sorted.sort();
            assert_eq!(sorted, expected, "{p}: {blocks:?}");
        } else {
            assert_eq!(blocks, expected, "{p}");
        }
    }
    hosts.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_caching_copies_remotely_read_blocks_to_the_local_worker() {
    // Room for every file on both workers: a block evicted for space would read as lost.
    let hosts = Hosts::start(&[SECOND], 64 * MIB).await;
    let writer = hosts.client(Some(FIRST), &[]).await;
    let len = 5 * MIB as usize / 2;
    let mut data = HashMap::new();
    for (seed, name) in ["promote", "cache", "off", "no_cache", "barrier"]
        .into_iter()
        .enumerate()
    {
        let p = format!("/p/{name}");
        let bytes = pattern(len, 20 + seed as u64);
        write_file(&writer, &p, &bytes, WriteType::MustCache).await;
        assert_eq!(block_hosts(&writer, &p).await, vec![on(&[FIRST]); 3], "{p}");
        data.insert(p, bytes);
    }

    // A client on the second host reads from the first worker, and the second caches a copy.
    let reader = hosts.client(Some(SECOND), &[]).await;
    for (p, read_type) in [
        ("/p/promote", ReadType::CachePromote),
        ("/p/cache", ReadType::Cache),
    ] {
        let (bytes, stats) = read_file_stats(&reader, p, read_type).await.unwrap();
        assert!(bytes == data[p], "{p}");
        assert_eq!(stats.remote_bytes, len as u64, "{p}: {stats:?}");
        wait_until("the blocks to be cached on the reader's host", WAIT, async || {
            block_hosts(&reader, p).await == vec![on(&[FIRST, SECOND]); 3]
        })
        .await;
    }
    // The copies are whole and are what the next read on that host gets.
    let again = hosts.client(Some(SECOND), &[]).await;
    let (bytes, stats) = read_file_stats(&again, "/p/promote", ReadType::NoCache)
        .await
        .unwrap();
    assert!(bytes == data["/p/promote"]);
    assert_eq!(stats.short_circuit_bytes, len as u64, "{stats:?}");

    // Disabled, or with NO_CACHE, nothing is copied.
    let disabled = hosts
        .client(Some(SECOND), &[(keys::USER_FILE_PASSIVE_CACHE_ENABLED, "false")])
        .await;
    let (bytes, stats) = read_file_stats(&disabled, "/p/off", ReadType::Cache)
        .await
        .unwrap();
    assert!(bytes == data["/p/off"]);
    assert_eq!(stats.remote_bytes, len as u64);
    let (bytes, _) = read_file_stats(&reader, "/p/no_cache", ReadType::NoCache)
        .await
        .unwrap();
    assert!(bytes == data["/p/no_cache"]);
    // Absence cannot be polled for: a copy started after those reads is the barrier.
    read_file(&reader, "/p/barrier", ReadType::Cache).await.unwrap();
    wait_until("the barrier file cached on the reader's host", WAIT, async || {
        block_hosts(&reader, "/p/barrier").await == vec![on(&[FIRST, SECOND]); 3]
    })
    .await;
    for p in ["/p/off", "/p/no_cache"] {
        assert_eq!(block_hosts(&reader, p).await, vec![on(&[FIRST]); 3], "{p}");
    }
    hosts.shutdown().await;
}

#[tokio::test]
async fn unknown_policy_classes_are_refused_naming_the_key_the_value_and_the_choices() {
    let conf_with = |key: &str, value: &str| {
        let mut conf = Configuration::defaults();
        conf.set(keys::MASTER_HOSTNAME, "127.0.0.1");
        conf.set(key, value);
        conf
    };
    for (key, value) in [
        (WRITE_POLICY, "alluxio.client.file.policy.FastestFirstPolicy"),
        (
            UFS_READ_POLICY,
            "alluxio.client.block.policy.DeterministicHashPolicy",
        ),
    ] {
        let err = FileSystem::connect(conf_with(key, value)).await.err().unwrap();
        let accepted = ["alluxio.client.file.policy.LocalFirstPolicy", "RoundRobinPolicy"];
        assert_error(
            &err,
            ErrorKind::InvalidArgument,
            &[key, value, accepted[0], accepted[1]],
        );
    }
    // SpecificHostPolicy needs the host it is to use.
    let err = FileSystem::connect(conf_with(WRITE_POLICY, "SpecificHostPolicy"))
        .await
        .err()
        .unwrap();
    assert_error(
        &err,
        ErrorKind::InvalidArgument,
        &[WRITE_POLICY, keys::WORKER_HOSTNAME],
    );
    for value in [
        "RoundRobinPolicy",
        "alluxio.client.file.policy.MostAvailableFirstPolicy",
    ] {
        assert!(
            FileSystem::connect(conf_with(UFS_READ_POLICY, value))
                .await
                .is_ok(),
            "{value}"
        );
    }
}
