//! The cluster's own lifecycle: start, worker stop/start on the same address, master restart on
//! the same port, and a shutdown that removes every directory.

use alluxio_testkit::{ClusterError, LocalCluster};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_and_master_restart_in_place_and_shutdown_cleans_up() {
    let mut cluster = LocalCluster::builder()
        .workers(2)
        .mem_quota(8 * 1024 * 1024)
        .second_tier(16 * 1024 * 1024)
        .start()
        .await
        .unwrap();
    assert_eq!(cluster.worker_count(), 2);
    let root = cluster.ufs_root().parent().unwrap().to_path_buf();
    assert!(cluster.ufs_root().is_dir());
    for i in 0..2 {
        let worker = cluster.worker(i);
        assert!(worker.mem_dir.is_dir() && worker.ssd_dir.as_ref().unwrap().is_dir());
        assert!(worker.data_addr.unwrap().ip().is_loopback());
    }
    let conf = cluster.client_conf();
    assert_eq!(conf.get("alluxio.master.hostname").unwrap(), "127.0.0.1");
    assert_eq!(
        conf.get_port("alluxio.master.port").unwrap(),
        cluster.master_rpc_addr().port()
    );

    let data_addr = cluster.worker(1).data_addr;
    cluster.stop_worker(1).await.unwrap();
    assert_eq!(cluster.worker(1).worker_id, None);
    assert!(matches!(
        cluster.stop_worker(1).await,
        Err(ClusterError::NoSuchWorker(1))
    ));
    cluster.start_worker(1).await.unwrap();
    assert_eq!(cluster.worker(1).data_addr, data_addr);
    assert!(cluster.worker(1).worker_id.is_some());

    let master = cluster.master_rpc_addr();
    cluster.restart_master().await.unwrap();
    assert_eq!(cluster.master_rpc_addr(), master);

    cluster.shutdown().await.unwrap();
    assert!(!root.exists(), "{} was left behind", root.display());
}
