//! The launcher on loopback: a failing worker stops what started and is named; a restarted
//! master and a restarted worker keep their ports.

use std::net::TcpListener;
use std::path::Path;

use alluxio_conf::{Configuration, keys};
use alluxio_embedded::{Cluster, LaunchError};

/// A master on 127.0.0.1 (any ports) with its journal and root UFS under `root`.
fn master_conf(root: &Path) -> Configuration {
    let mut conf = Configuration::defaults();
    let dir = |name: &str| {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir.display().to_string()
    };
    conf.set(keys::WORK_DIR, root.display().to_string());
    conf.set(keys::MASTER_HOSTNAME, "127.0.0.1");
    conf.set(keys::MASTER_BIND_HOST, "127.0.0.1");
    conf.set(keys::MASTER_PORT, "0");
    conf.set(keys::MASTER_WEB_BIND_HOST, "127.0.0.1");
    conf.set(keys::MASTER_WEB_PORT, "0");
    conf.set(keys::MASTER_JOURNAL_FOLDER, dir("journal"));
    let ufs = dir("ufs");
    conf.set(keys::UNDERFS_ADDRESS, ufs.clone());
    conf.set(keys::MASTER_MOUNT_TABLE_ROOT_UFS, ufs);
    conf
}

/// Worker `name` on 127.0.0.1 with `rpc_port` and an 8 MiB MEM tier under `root`.
fn worker_conf(master: &Configuration, root: &Path, name: &str, rpc_port: u16) -> Configuration {
    let mut conf = master.clone();
    let mem = root.join(name);
    std::fs::create_dir_all(&mem).unwrap();
    conf.set(keys::WORKER_HOSTNAME, "127.0.0.1");
    conf.set(keys::WORKER_BIND_HOST, "127.0.0.1");
    conf.set(keys::WORKER_PORT, rpc_port.to_string());
    conf.set(keys::WORKER_DATA_PORT, "0");
    conf.set(keys::WORKER_WEB_PORT, "0");
    conf.set(keys::WORKER_MEMORY_SIZE, "8MB");
    conf.set(keys::WORKER_TIERED_STORE_LEVELS, "1");
    conf.set(&keys::tier_alias(0), "MEM");
    conf.set(&keys::tier_dirs_path(0), mem.display().to_string());
    conf.set(&keys::tier_dirs_quota(0), "8MB");
    conf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_fails_to_start_is_named_and_everything_started_is_stopped() {
    let root = tempfile::tempdir().unwrap();
    // A fixed master port, so the test can see it released; taken from the OS, then let go.
    let master_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut master = master_conf(root.path());
    master.set(keys::MASTER_PORT, master_port.to_string());
    // Worker 1's RPC port is held here, so it cannot bind.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let workers = vec![
        worker_conf(&master, root.path(), "worker0", 0),
        worker_conf(&master, root.path(), "worker1", taken_port),
    ];

    let err = match Cluster::start(master, workers).await {
        Ok(_) => panic!("worker 1 started on a port in use"),
        Err(err) => err,
    };
    assert!(matches!(err, LaunchError::Worker { index: 1, .. }), "{err:?}");
    assert!(err.to_string().starts_with("worker 1: "), "{err}");
    // The master is down: its port is free again.
    TcpListener::bind(("127.0.0.1", master_port)).expect("the master still holds its port");
    drop(taken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_and_a_worker_restart_on_their_ports() {
    let root = tempfile::tempdir().unwrap();
    let master = master_conf(root.path());
    let workers = vec![worker_conf(&master, root.path(), "worker0", 0)];
    let mut cluster = Cluster::start(master, workers).await.unwrap();
    let port = cluster.master_port();
    assert_ne!(port, 0);
    assert_eq!(cluster.master().unwrap().rpc_addr().port(), port);
    assert_eq!(cluster.conf().get_port(keys::MASTER_PORT).unwrap(), port);
    assert_eq!(
        cluster
            .worker_conf(0)
            .unwrap()
            .get_port(keys::MASTER_PORT)
            .unwrap(),
        port
    );

    cluster.restart_master().await.unwrap();
    assert_eq!(cluster.master_port(), port);
    assert_eq!(cluster.master().unwrap().rpc_addr().port(), port);

    let data_addr = cluster.worker(0).unwrap().data_addr();
    cluster.stop_worker(0).await.unwrap();
    assert!(cluster.worker(0).is_none());
    assert!(matches!(
        cluster.stop_worker(0).await,
        Err(LaunchError::NotRunning(0))
    ));
    assert!(matches!(
        cluster.stop_worker(1).await,
        Err(LaunchError::NoSuchWorker(1))
    ));
    cluster.start_worker(0).await.unwrap();
    assert_eq!(cluster.worker(0).unwrap().data_addr(), data_addr);
    assert!(matches!(
        cluster.start_worker(0).await,
        Err(LaunchError::AlreadyRunning(0))
    ));
    assert_eq!(cluster.running_workers().count(), 1);

    cluster.shutdown().await.unwrap();
    TcpListener::bind(("127.0.0.1", port)).expect("the master still holds its port");
}
