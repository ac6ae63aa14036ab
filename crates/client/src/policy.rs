//! Worker selection: the live worker list (cached briefly), which workers are on this host, and
//! LocalFirstPolicy (a local worker if any, else the one with most free space, round robin on ties).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alluxio_proto::grpc::{WorkerInfo, WorkerNetAddress};
use parking_lot::Mutex;
use tokio::time::Instant;

use crate::ClientError;
use crate::master_client::MasterClient;
use crate::worker_client::data_address;

/// How long a fetched worker list is trusted.
const WORKER_LIST_TTL: Duration = Duration::from_secs(1);

/// Live workers and where they are.
pub(crate) struct WorkerSelector {
    master: MasterClient,
    user_hostname: Option<String>,
    cached: Mutex<Option<(Instant, Arc<Vec<WorkerInfo>>)>>,
    local_hosts: Mutex<HashMap<String, bool>>,
    next: AtomicUsize,
}

impl WorkerSelector {
    /// A selector; `user_hostname` (`alluxio.user.hostname`) names this host if set.
    pub(crate) fn new(master: MasterClient, user_hostname: Option<String>) -> Self {
        Self {
            master,
            user_hostname,
            cached: Mutex::new(None),
            local_hosts: Mutex::new(HashMap::new()),
            next: AtomicUsize::new(0),
        }
    }

    /// Live workers, from the cache unless it is stale or `refresh` is set.
    pub(crate) async fn live_workers(&self, refresh: bool) -> Result<Arc<Vec<WorkerInfo>>, ClientError> {
        if !refresh
            && let Some((at, list)) = self.cached.lock().as_ref()
            && at.elapsed() < WORKER_LIST_TTL
        {
            return Ok(list.clone());
        }
        let list = Arc::new(self.master.worker_info_list().await?.live_workers);
        *self.cached.lock() = Some((Instant::now(), list.clone()));
        Ok(list)
    }

    /// Whether `host` is this machine.
    pub(crate) async fn is_local(&self, host: &str) -> bool {
        if self.user_hostname.as_deref() == Some(host) {
            return true;
        }
        if let Some(known) = self.local_hosts.lock().get(host) {
            return *known;
        }
        let local = match tokio::net::lookup_host((host, 0)).await {
            Ok(addrs) => addrs.into_iter().any(|a| is_local_ip(a.ip())),
            Err(err) => {
                tracing::debug!(host, error = %err, "cannot resolve worker host; treating it as remote");
                false
            }
        };
        self.local_hosts.lock().insert(host.to_string(), local);
        local
    }

    /// LocalFirstPolicy: a worker for a new block or a UFS read, skipping `exclude` data addresses.
    pub(crate) async fn pick(&self, exclude: &HashSet<String>) -> Result<WorkerNetAddress, ClientError> {
        let cached = self.live_workers(false).await?;
        if let Some(address) = self.choose(&cached, exclude).await {
            return Ok(address);
        }
        // The cached list may predate workers that joined or restarted since.
        let fresh = self.live_workers(true).await?;
        if let Some(address) = self.choose(&fresh, exclude).await {
            return Ok(address);
        }
        Err(ClientError::Unavailable(if fresh.is_empty() {
            "no Alluxio worker is registered with the master; start one (alluxio-start.sh worker)".to_string()
        } else {
            format!(
                "none of the {} live Alluxio workers is usable: every one failed for this operation",
                fresh.len()
            )
        }))
    }

    async fn choose(&self, workers: &[WorkerInfo], exclude: &HashSet<String>) -> Option<WorkerNetAddress> {
        let mut candidates = Vec::new();
        let mut local = Vec::new();
        for worker in workers {
            let Some(address) = &worker.address else { continue };
            if exclude.contains(&data_address(address)) {
                continue;
            }
            if self.is_local(&address.host).await {
                local.push(worker);
            }
            candidates.push(worker);
        }
        if !local.is_empty() {
            candidates = local;
        }
        let free = |w: &WorkerInfo| w.capacity_bytes.saturating_sub(w.used_bytes);
        let most_free = candidates.iter().map(|w| free(w)).max()?;
        let ties: Vec<&WorkerInfo> = candidates.into_iter().filter(|w| free(w) == most_free).collect();
        let chosen = ties[self.next.fetch_add(1, Ordering::Relaxed) % ties.len()];
        chosen.address.clone()
    }
}

/// An address of this machine: loopback, or one a socket can be bound to.
fn is_local_ip(ip: IpAddr) -> bool {
    ip.is_loopback() || (!ip.is_unspecified() && UdpSocket::bind((ip, 0)).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(host: &str, data_port: u32, capacity: u64, used: u64) -> WorkerInfo {
        WorkerInfo {
            address: Some(WorkerNetAddress {
                host: host.into(),
                data_port,
                ..Default::default()
            }),
            capacity_bytes: capacity,
            used_bytes: used,
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn local_first_then_most_free_with_round_robin_on_ties() {
        let mut conf = alluxio_conf::Configuration::defaults();
        conf.set("alluxio.master.hostname", "127.0.0.1");
        let selector = WorkerSelector::new(MasterClient::new(&conf).unwrap(), None);
        let remote = worker("203.0.113.7", 1, 100, 0);
        let local_a = worker("127.0.0.1", 2, 100, 90);
        let local_b = worker("127.0.0.1", 3, 100, 90);
        let workers = vec![remote, local_a.clone()];
        let none = HashSet::new();
        // The local worker wins even with less free space.
        assert_eq!(selector.choose(&workers, &none).await, local_a.address.clone());
        let exclude: HashSet<String> = [data_address(local_a.address.as_ref().unwrap())].into();
        assert_eq!(selector.choose(&workers, &exclude).await.unwrap().data_port, 1);

        let ties = vec![local_a, local_b];
        let first = selector.choose(&ties, &none).await.unwrap().data_port;
        let second = selector.choose(&ties, &none).await.unwrap().data_port;
        assert_ne!(first, second, "equal local workers take turns");
        assert_eq!(selector.choose(&[], &none).await, None);
    }

    #[test]
    fn loopback_is_local_and_foreign_addresses_are_not() {
        assert!(is_local_ip("127.0.0.1".parse().unwrap()));
        assert!(is_local_ip("::1".parse().unwrap()));
        // TEST-NET-3 is reserved for documentation and never assigned to an interface.
        assert!(!is_local_ip("203.0.113.7".parse().unwrap()));
        assert!(!is_local_ip("0.0.0.0".parse().unwrap()));
    }
}
