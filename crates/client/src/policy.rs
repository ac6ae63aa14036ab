//! Worker selection: the live worker list (cached briefly), which workers are on this host, and
//! Alluxio 1.x's location policies, which pick the worker for a new block
//! (`alluxio.user.file.write.location.policy.class`) and the worker that reads a block from the
//! UFS (`alluxio.user.ufs.block.read.location.policy`).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alluxio_conf::{Configuration, keys};
use alluxio_proto::grpc::{WorkerInfo, WorkerNetAddress};
use parking_lot::Mutex;
use tokio::time::Instant;

use crate::master_client::MasterClient;
use crate::worker_client::data_address;
use crate::{ClientError, ErrorKind};

/// How long a fetched worker list is trusted.
const WORKER_LIST_TTL: Duration = Duration::from_secs(1);

/// Packages a policy class may be named in: Alluxio 1.x's, and the one Alluxio 2 moved them to.
const POLICY_PACKAGES: [&str; 2] = ["alluxio.client.file.policy.", "alluxio.client.block.policy."];

/// What a policy key accepts, for the error on any other value.
const ACCEPTED_POLICIES: &str = "a worker location policy class: \
     alluxio.client.file.policy.LocalFirstPolicy, LocalFirstAvoidEvictionPolicy, \
     MostAvailableFirstPolicy, RoundRobinPolicy or SpecificHostPolicy (the short name alone \
     is accepted too)";

/// The policies, by short class name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PolicyKind {
    /// A worker on this host, else the one with most free space.
    LocalFirst,
    /// Like LocalFirst, among the workers with a block's worth of free space (if any has).
    LocalFirstAvoidEviction,
    /// The worker with most free space.
    MostAvailableFirst,
    /// The live workers in turn, per client.
    RoundRobin,
    /// The worker on this host (`alluxio.worker.hostname`), and no other.
    SpecificHost(String),
}

/// `value` of a policy key without the host SpecificHostPolicy needs.
fn parse_policy(value: &str) -> Result<PolicyKind, String> {
    let value = value.trim();
    let short = POLICY_PACKAGES
        .iter()
        .find_map(|package| value.strip_prefix(package))
        .unwrap_or(value);
    let kinds = [
        ("LocalFirstPolicy", PolicyKind::LocalFirst),
        (
            "LocalFirstAvoidEvictionPolicy",
            PolicyKind::LocalFirstAvoidEviction,
        ),
        ("MostAvailableFirstPolicy", PolicyKind::MostAvailableFirst),
        ("RoundRobinPolicy", PolicyKind::RoundRobin),
        ("SpecificHostPolicy", PolicyKind::SpecificHost(String::new())),
    ];
    kinds
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(short))
        .map(|(_, kind)| kind)
        .ok_or_else(|| ACCEPTED_POLICIES.to_string())
}

/// A live worker this operation may use, and whether it runs on this host.
pub(crate) struct Candidate<'a> {
    worker: &'a WorkerInfo,
    address: &'a WorkerNetAddress,
    local: bool,
}

impl Candidate<'_> {
    fn free(&self) -> u64 {
        self.worker.capacity_bytes.saturating_sub(self.worker.used_bytes)
    }

    /// Where the worker sits in round-robin order.
    fn order(&self) -> (&str, u32) {
        (&self.address.host, self.address.data_port)
    }
}

/// A configured location policy and its per-client state.
pub(crate) struct LocationPolicy {
    /// The key it was configured with, for messages.
    key: &'static str,
    kind: PolicyKind,
    /// RoundRobin: the `(host, data port)` picked last.
    last: Mutex<Option<(String, u32)>>,
    /// Turns among equally good workers.
    turn: AtomicUsize,
}

impl LocationPolicy {
    /// The policy `key` names; an unknown class, or SpecificHostPolicy without
    /// `alluxio.worker.hostname`, is an error naming the key, the value and what is accepted.
    pub(crate) fn from_conf(conf: &Configuration, key: &'static str) -> Result<Self, ClientError> {
        let mut kind = conf.get_parsed(key, parse_policy)?;
        if let PolicyKind::SpecificHost(host) = &mut kind {
            *host = conf
                .get_opt(keys::WORKER_HOSTNAME)?
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .ok_or_else(|| {
                    ClientError::new(
                        ErrorKind::InvalidArgument,
                        format!(
                            "{key}={} uses the worker on the host named by {}, which is not set; \
                             set it to that worker's host name, or choose another policy",
                            conf.get(key).unwrap_or_default(),
                            keys::WORKER_HOSTNAME
                        ),
                    )
                })?;
        }
        Ok(Self::new(key, kind))
    }

    fn new(key: &'static str, kind: PolicyKind) -> Self {
        Self {
            key,
            kind,
            last: Mutex::new(None),
            turn: AtomicUsize::new(0),
        }
    }

    /// The worker for a block of `block_size` bytes among `candidates`, or `None` if the policy
    /// accepts none of them.
    fn choose(&self, candidates: &[Candidate], block_size: u64) -> Option<WorkerNetAddress> {
        let all: Vec<&Candidate> = candidates.iter().collect();
        // A worker too small to ever hold the block is passed over, unless every one is (the
        // worker chosen then says why the block does not fit).
        let fitting = prefer(&all, |c| c.worker.capacity_bytes >= block_size);
        match &self.kind {
            PolicyKind::LocalFirst => self.local_first(&fitting),
            PolicyKind::LocalFirstAvoidEviction => {
                self.local_first(&prefer(&fitting, |c| c.free() >= block_size))
            }
            PolicyKind::MostAvailableFirst => self.most_free(&fitting),
            PolicyKind::RoundRobin => self.round_robin(&fitting),
            PolicyKind::SpecificHost(host) => self.most_free(&only(&all, |c| c.address.host == *host)),
        }
    }

    fn local_first(&self, candidates: &[&Candidate]) -> Option<WorkerNetAddress> {
        self.most_free(&prefer(candidates, |c| c.local))
    }

    /// The candidate with most free space, taking turns among equals.
    fn most_free(&self, candidates: &[&Candidate]) -> Option<WorkerNetAddress> {
        let most = candidates.iter().map(|c| c.free()).max()?;
        let ties = only(candidates, |c| c.free() == most);
        let chosen = ties[self.turn.fetch_add(1, Ordering::Relaxed) % ties.len()];
        Some(chosen.address.clone())
    }

    /// The candidate after the one picked last, in `(host, data port)` order, so workers that
    /// join or leave do not upset the turns of the others.
    fn round_robin(&self, candidates: &[&Candidate]) -> Option<WorkerNetAddress> {
        let mut last = self.last.lock();
        let after_last = |c: &&&Candidate| {
            last.as_ref()
                .is_none_or(|(host, port)| c.order() > (host.as_str(), *port))
        };
        let next = candidates
            .iter()
            .filter(after_last)
            .min_by(|a, b| a.order().cmp(&b.order()))
            .or_else(|| candidates.iter().min_by(|a, b| a.order().cmp(&b.order())))?;
        *last = Some((next.address.host.clone(), next.address.data_port));
        Some(next.address.clone())
    }

    /// Why no worker was chosen among `usable` of the live `workers`.
    fn none_chosen(&self, workers: &[WorkerInfo], usable: usize) -> ClientError {
        if workers.is_empty() {
            return ClientError::new(
                ErrorKind::Unavailable,
                "no Alluxio worker is registered with the master; start one (alluxio-start.sh worker)",
            );
        }
        if let (PolicyKind::SpecificHost(host), true) = (&self.kind, usable > 0) {
            let hosts: Vec<String> = workers
                .iter()
                .filter_map(|w| w.address.as_ref().map(data_address))
                .collect();
            return ClientError::new(
                ErrorKind::Unavailable,
                format!(
                    "no usable live Alluxio worker runs on host {host}, the only one {}=SpecificHostPolicy \
                     may use (the host comes from {}); the live workers are {}",
                    self.key,
                    keys::WORKER_HOSTNAME,
                    hosts.join(", ")
                ),
            );
        }
        ClientError::new(
            ErrorKind::Unavailable,
            format!(
                "none of the {} live Alluxio workers is usable: every one failed for this operation",
                workers.len()
            ),
        )
    }
}

/// The candidates that pass `keep`.
fn only<'a, 'b>(
    candidates: &[&'a Candidate<'b>],
    keep: impl Fn(&Candidate) -> bool,
) -> Vec<&'a Candidate<'b>> {
    candidates.iter().copied().filter(|c| keep(c)).collect()
}

/// The candidates that pass `keep`, or all of them if none does.
fn prefer<'a, 'b>(
    candidates: &[&'a Candidate<'b>],
    keep: impl Fn(&Candidate) -> bool,
) -> Vec<&'a Candidate<'b>> {
    let kept = only(candidates, keep);
    if kept.is_empty() {
        candidates.to_vec()
    } else {
        kept
    }
}

/// Live workers and where they are.
pub(crate) struct WorkerSelector {
    master: MasterClient,
    user_hostname: Option<String>,
    cached: Mutex<Option<(Instant, Arc<Vec<WorkerInfo>>)>>,
    local_hosts: Mutex<HashMap<String, bool>>,
}

impl WorkerSelector {
    /// A selector; `user_hostname` (`alluxio.user.hostname`) names this host if set.
    pub(crate) fn new(master: MasterClient, user_hostname: Option<String>) -> Self {
        Self {
            master,
            user_hostname,
            cached: Mutex::new(None),
            local_hosts: Mutex::new(HashMap::new()),
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

    /// Whether `host` is this client's host. With `alluxio.user.hostname` set, that name is the
    /// client's identity, as in Alluxio: a worker is local when its host is that name or
    /// resolves to one of its addresses. Unset, a host is local when it resolves to an address
    /// of this machine.
    pub(crate) async fn is_local(&self, host: &str) -> bool {
        if self.user_hostname.as_deref() == Some(host) {
            return true;
        }
        if let Some(known) = self.local_hosts.lock().get(host) {
            return *known;
        }
        let addresses = resolve(host).await;
        let local = match &self.user_hostname {
            Some(name) => {
                let own = resolve(name).await;
                addresses.iter().any(|ip| own.contains(ip))
            }
            None => addresses.into_iter().any(is_local_ip),
        };
        self.local_hosts.lock().insert(host.to_string(), local);
        local
    }

    /// The worker `policy` picks for a block of `block_size` bytes, skipping `exclude` data
    /// addresses.
    pub(crate) async fn pick(
        &self,
        policy: &LocationPolicy,
        block_size: u64,
        exclude: &HashSet<String>,
    ) -> Result<WorkerNetAddress, ClientError> {
        let cached = self.live_workers(false).await?;
        if let Some(address) = policy.choose(&self.candidates(&cached, exclude).await, block_size) {
            return Ok(address);
        }
        // The cached list may predate workers that joined or restarted since.
        let fresh = self.live_workers(true).await?;
        let candidates = self.candidates(&fresh, exclude).await;
        policy
            .choose(&candidates, block_size)
            .ok_or_else(|| policy.none_chosen(&fresh, candidates.len()))
    }

    /// The live worker on this host with most free space, skipping `exclude` data addresses.
    pub(crate) async fn local_worker(
        &self,
        exclude: &HashSet<String>,
    ) -> Result<Option<WorkerNetAddress>, ClientError> {
        let workers = self.live_workers(false).await?;
        let candidates = self.candidates(&workers, exclude).await;
        Ok(candidates
            .iter()
            .filter(|c| c.local)
            .max_by_key(|c| c.free())
            .map(|c| c.address.clone()))
    }

    async fn candidates<'a>(
        &self,
        workers: &'a [WorkerInfo],
        exclude: &HashSet<String>,
    ) -> Vec<Candidate<'a>> {
        let mut candidates = Vec::with_capacity(workers.len());
        for worker in workers {
            let Some(address) = &worker.address else { continue };
            if exclude.contains(&data_address(address)) {
                continue;
            }
            let local = self.is_local(&address.host).await;
            candidates.push(Candidate {
                worker,
                address,
                local,
            });
        }
        candidates
    }
}

/// The addresses `host` resolves to (none if it does not).
async fn resolve(host: &str) -> Vec<IpAddr> {
    match tokio::net::lookup_host((host, 0)).await {
        Ok(addrs) => addrs.map(|a| a.ip()).collect(),
        Err(err) => {
            tracing::debug!(host, error = %err, "cannot resolve host; treating it as remote");
            Vec::new()
        }
    }
}

/// An address of this machine: loopback, or one a socket can be bound to.
fn is_local_ip(ip: IpAddr) -> bool {
    ip.is_loopback() || (!ip.is_unspecified() && UdpSocket::bind((ip, 0)).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

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

    /// Candidates from `workers`, local when their host is `here`.
    fn candidates<'a>(workers: &'a [WorkerInfo], here: &str) -> Vec<Candidate<'a>> {
        workers
            .iter()
            .map(|worker| {
                let address = worker.address.as_ref().unwrap();
                Candidate {
                    worker,
                    address,
                    local: address.host == here,
                }
            })
            .collect()
    }

    fn policy(value: &str) -> LocationPolicy {
        LocationPolicy::new(
            keys::USER_FILE_WRITE_LOCATION_POLICY,
            parse_policy(value).unwrap(),
        )
    }

    /// The data port of the worker `policy` picks for a block of `block_size` bytes.
    fn port(policy: &LocationPolicy, workers: &[WorkerInfo], here: &str, block_size: u64) -> Option<u32> {
        policy
            .choose(&candidates(workers, here), block_size)
            .map(|a| a.data_port)
    }

    #[test]
    fn class_names_parse_in_either_package_or_short_and_others_are_refused() {
        assert_eq!(
            parse_policy("alluxio.client.file.policy.RoundRobinPolicy"),
            Ok(PolicyKind::RoundRobin)
        );
        assert_eq!(
            parse_policy(" alluxio.client.block.policy.LocalFirstPolicy "),
            Ok(PolicyKind::LocalFirst)
        );
        assert_eq!(
            parse_policy("MostAvailableFirstPolicy"),
            Ok(PolicyKind::MostAvailableFirst)
        );
        let refused = parse_policy("alluxio.client.file.policy.FastestPolicy").unwrap_err();
        assert!(refused.contains("LocalFirstAvoidEvictionPolicy"), "{refused}");
        assert!(parse_policy("alluxio.client.file.policy.").is_err());
    }

    #[test]
    fn bad_policies_fail_naming_the_key_value_and_accepted_names() {
        let mut conf = Configuration::defaults();
        conf.set(keys::USER_UFS_BLOCK_READ_LOCATION_POLICY, "NearestPolicy");
        let err = LocationPolicy::from_conf(&conf, keys::USER_UFS_BLOCK_READ_LOCATION_POLICY)
            .err()
            .unwrap();
        let message = err.to_string();
        for part in [
            keys::USER_UFS_BLOCK_READ_LOCATION_POLICY,
            "NearestPolicy",
            "RoundRobinPolicy",
        ] {
            assert!(message.contains(part), "{message}");
        }

        conf.set(keys::USER_FILE_WRITE_LOCATION_POLICY, "SpecificHostPolicy");
        let err = LocationPolicy::from_conf(&conf, keys::USER_FILE_WRITE_LOCATION_POLICY)
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(
            err.message().contains(keys::USER_FILE_WRITE_LOCATION_POLICY)
                && err.message().contains(keys::WORKER_HOSTNAME),
            "{err}"
        );
        conf.set(keys::WORKER_HOSTNAME, "node7");
        let specific = LocationPolicy::from_conf(&conf, keys::USER_FILE_WRITE_LOCATION_POLICY).unwrap();
        assert_eq!(specific.kind, PolicyKind::SpecificHost("node7".into()));

        let defaults = Configuration::defaults();
        for key in [
            keys::USER_FILE_WRITE_LOCATION_POLICY,
            keys::USER_UFS_BLOCK_READ_LOCATION_POLICY,
        ] {
            let policy = LocationPolicy::from_conf(&defaults, key).unwrap();
            assert_eq!(policy.kind, PolicyKind::LocalFirst, "{key}");
        }
    }

    #[test]
    fn local_first_prefers_this_host_then_most_free_taking_turns_on_ties() {
        let local_first = policy("LocalFirstPolicy");
        let workers = [
            worker("remote", 1, 300 * MB, 0),
            worker("here", 2, 100 * MB, 90 * MB),
        ];
        // The local worker wins even with less free space.
        assert_eq!(port(&local_first, &workers, "here", MB), Some(2));
        assert_eq!(port(&local_first, &workers, "elsewhere", MB), Some(1));
        // A local worker too small for the block is passed over.
        assert_eq!(port(&local_first, &workers, "here", 200 * MB), Some(1));

        let ties = [
            worker("here", 2, 100 * MB, 90 * MB),
            worker("here", 3, 100 * MB, 90 * MB),
        ];
        let first = port(&local_first, &ties, "here", MB);
        let second = port(&local_first, &ties, "here", MB);
        assert_ne!(first, second, "equal local workers take turns");
        assert_eq!(local_first.choose(&[], MB), None);
    }

    /// Workers "here" (nearly full), "a" (half full) and "b" (a fifth full), of 100 MB each.
    fn three() -> [WorkerInfo; 3] {
        [
            worker("here", 1, 100 * MB, 99 * MB),
            worker("a", 2, 100 * MB, 50 * MB),
            worker("b", 3, 100 * MB, 20 * MB),
        ]
    }

    #[test]
    fn avoid_eviction_skips_a_full_local_worker_for_the_one_with_most_room() {
        let avoid = policy("alluxio.client.file.policy.LocalFirstAvoidEvictionPolicy");
        assert_eq!(port(&avoid, &three(), "here", 2 * MB), Some(3));
        // With room for the block the local worker is kept.
        assert_eq!(port(&avoid, &three(), "here", MB / 2), Some(1));
        // With no room anywhere, local first again.
        assert_eq!(port(&avoid, &three(), "here", 90 * MB), Some(1));
    }

    #[test]
    fn most_available_first_ignores_locality() {
        let most = policy("MostAvailableFirstPolicy");
        assert_eq!(port(&most, &three(), "here", MB), Some(3));
        assert_eq!(port(&most, &three(), "b", MB), Some(3));
    }

    #[test]
    fn round_robin_cycles_in_address_order_across_calls_and_list_changes() {
        let rr = policy("RoundRobinPolicy");
        let workers = three();
        let picks: Vec<String> = (0..6)
            .map(|_| rr.choose(&candidates(&workers, "here"), MB).unwrap().host)
            .collect();
        // The local and the fullest worker take their turn like the others.
        assert_eq!(picks, ["a", "b", "here", "a", "b", "here"]);
        // "a" went away: after "here" the turn wraps to the first one still there.
        let rest = [workers[0].clone(), workers[2].clone()];
        assert_eq!(rr.choose(&candidates(&rest, "here"), MB).unwrap().host, "b");
        assert_eq!(rr.choose(&candidates(&rest, "here"), MB).unwrap().host, "here");
    }

    #[test]
    fn specific_host_uses_only_that_host() {
        let specific = LocationPolicy::new(
            keys::USER_FILE_WRITE_LOCATION_POLICY,
            PolicyKind::SpecificHost("b".into()),
        );
        let workers = [worker("a", 1, 100 * MB, 0), worker("b", 2, 100 * MB, 99 * MB)];
        assert_eq!(port(&specific, &workers, "a", MB), Some(2));
        let others = [worker("a", 1, 100 * MB, 0)];
        assert_eq!(port(&specific, &others, "a", MB), None);
        let err = specific.none_chosen(&others, 1).to_string();
        assert!(
            err.contains("host b") && err.contains(keys::WORKER_HOSTNAME),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_user_hostname_is_this_clients_identity() {
        let mut conf = Configuration::defaults();
        conf.set(keys::MASTER_HOSTNAME, "127.0.0.1");
        let named = WorkerSelector::new(MasterClient::new(&conf).unwrap(), Some("127.0.0.2".into()));
        assert!(named.is_local("127.0.0.2").await);
        // Another loopback address is another host for a client that was given its name.
        assert!(!named.is_local("127.0.0.1").await);
        let unnamed = WorkerSelector::new(MasterClient::new(&conf).unwrap(), None);
        assert!(unnamed.is_local("127.0.0.1").await);
        assert!(!unnamed.is_local("203.0.113.7").await);
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
