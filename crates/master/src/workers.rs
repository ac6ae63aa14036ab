//! The worker registry: one id per worker address for as long as this master lives, and what
//! each worker reported (capacity, usage, contact, the blocks it holds) with the Free commands
//! queued for it. The block master keeps it behind the same mutex as the block map.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use alluxio_proto::grpc::{Command, CommandType, WorkerInfo, WorkerNetAddress};

/// One worker, registered or not yet.
pub(crate) struct Worker {
    pub(crate) address: WorkerNetAddress,
    pub(crate) capacity: BTreeMap<String, u64>,
    pub(crate) used: BTreeMap<String, u64>,
    pub(crate) last_contact: Instant,
    pub(crate) start_time_ms: i64,
    pub(crate) registered: bool,
    pub(crate) lost: bool,
    pub(crate) blocks: HashSet<u64>,
    /// Blocks to tell the worker to drop in the next heartbeat answer.
    pub(crate) to_free: BTreeSet<u64>,
    /// Blocks it was told to drop and has not reported removed yet: the answer may have been
    /// lost, so a later report listing one of them sends the Free again (removal is idempotent).
    pub(crate) freeing: BTreeSet<u64>,
}

impl Worker {
    fn new(address: WorkerNetAddress) -> Self {
        Self {
            address,
            capacity: BTreeMap::new(),
            used: BTreeMap::new(),
            last_contact: Instant::now(),
            start_time_ms: crate::now_ms(),
            registered: false,
            lost: false,
            blocks: HashSet::new(),
            to_free: BTreeSet::new(),
            freeing: BTreeSet::new(),
        }
    }

    /// Registered and not lost since.
    pub(crate) fn is_live(&self) -> bool {
        self.registered && !self.lost
    }

    /// `host:rpc_port:data_port`, the worker's identity.
    pub(crate) fn key(&self) -> String {
        address_key(&self.address)
    }

    /// The heartbeat answer: Free for the blocks queued (then awaiting removal), else nothing.
    pub(crate) fn free_command(&mut self) -> Command {
        if self.to_free.is_empty() {
            return Command::default();
        }
        let block_ids: Vec<u64> = self.to_free.iter().copied().collect();
        self.freeing.append(&mut self.to_free);
        Command {
            command_type: CommandType::Free.into(),
            block_ids,
        }
    }

    fn info(&self, id: u64) -> WorkerInfo {
        WorkerInfo {
            id,
            address: Some(self.address.clone()),
            state: if self.lost { "Out of Service" } else { "In Service" }.into(),
            capacity_bytes: self.capacity.values().sum(),
            used_bytes: self.used.values().sum(),
            capacity_bytes_on_tiers: self.capacity.clone().into_iter().collect(),
            used_bytes_on_tiers: self.used.clone().into_iter().collect(),
            last_contact_ms: self.last_contact.elapsed().as_millis() as u64,
            start_time_ms: self.start_time_ms,
            block_count: self.blocks.len() as u64,
        }
    }
}

fn address_key(address: &WorkerNetAddress) -> String {
    format!("{}:{}:{}", address.host, address.rpc_port, address.data_port)
}

/// Every worker that asked for an id, by id.
pub(crate) struct WorkerRegistry {
    workers: HashMap<u64, Worker>,
    by_address: HashMap<String, u64>,
    next_worker_id: u64,
}

impl WorkerRegistry {
    /// An empty registry handing out ids from `first_worker_id` (at least 1).
    pub(crate) fn new(first_worker_id: u64) -> Self {
        Self {
            workers: HashMap::new(),
            by_address: HashMap::new(),
            next_worker_id: first_worker_id.max(1),
        }
    }

    /// The id of the worker at `address`, added (unregistered) when new.
    pub(crate) fn id_of(&mut self, address: WorkerNetAddress) -> u64 {
        let key = address_key(&address);
        if let Some(id) = self.by_address.get(&key) {
            return *id;
        }
        let id = self.next_worker_id;
        self.next_worker_id += 1;
        self.by_address.insert(key, id);
        self.workers.insert(id, Worker::new(address));
        id
    }

    /// The worker with this id.
    pub(crate) fn get(&self, id: u64) -> Option<&Worker> {
        self.workers.get(&id)
    }

    /// The worker with this id, to update.
    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut Worker> {
        self.workers.get_mut(&id)
    }

    /// The live worker with this id.
    pub(crate) fn live(&self, id: u64) -> Option<&Worker> {
        self.get(id).filter(|w| w.is_live())
    }

    /// Every live worker.
    pub(crate) fn live_workers(&self) -> impl Iterator<Item = &Worker> {
        self.workers.values().filter(|w| w.is_live())
    }

    /// Every worker with its id, to update.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&u64, &mut Worker)> {
        self.workers.iter_mut()
    }

    /// Live and lost registered workers, each sorted by id.
    pub(crate) fn infos(&self) -> (Vec<WorkerInfo>, Vec<WorkerInfo>) {
        let (mut live, mut lost) = (Vec::new(), Vec::new());
        for (id, worker) in &self.workers {
            if !worker.registered {
                continue;
            }
            let info = worker.info(*id);
            if worker.lost { &mut lost } else { &mut live }.push(info);
        }
        live.sort_by_key(|w| w.id);
        lost.sort_by_key(|w| w.id);
        (live, lost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(host: &str) -> WorkerNetAddress {
        WorkerNetAddress {
            host: host.into(),
            rpc_port: 29999,
            data_port: 29998,
            ..Default::default()
        }
    }

    #[test]
    fn one_id_per_address_and_only_registered_workers_listed() {
        let mut registry = WorkerRegistry::new(0);
        let a = registry.id_of(address("a"));
        assert_eq!(a, 1);
        assert_eq!(registry.id_of(address("a")), a);
        let b = registry.id_of(address("b"));
        assert_ne!(a, b);
        assert!(registry.live(a).is_none());
        assert_eq!(registry.infos(), (vec![], vec![]));
        registry.get_mut(a).unwrap().registered = true;
        registry.get_mut(b).unwrap().registered = true;
        registry.get_mut(b).unwrap().lost = true;
        let (live, lost) = registry.infos();
        assert_eq!((live[0].id, live[0].state.as_str()), (a, "In Service"));
        assert_eq!((lost[0].id, lost[0].state.as_str()), (b, "Out of Service"));
        assert_eq!(registry.live_workers().count(), 1);
    }

    #[test]
    fn queued_frees_are_sent_once_then_awaited() {
        let mut registry = WorkerRegistry::new(5);
        let id = registry.id_of(address("a"));
        let worker = registry.get_mut(id).unwrap();
        assert_eq!(worker.free_command(), Command::default());
        worker.to_free.extend([3, 1]);
        let command = worker.free_command();
        assert_eq!(command.command_type(), CommandType::Free);
        assert_eq!(command.block_ids, [1, 3]);
        assert!(worker.to_free.is_empty());
        assert_eq!(worker.freeing, BTreeSet::from([1, 3]));
    }
}
