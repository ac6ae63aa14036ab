//! One launcher of a master and its workers in this process, shared by the test cluster, `alluxio
//! local` and `alluxio bench`: it starts the master from a [`Configuration`], tells each worker
//! the RPC port the master bound, starts the workers, stops or restarts them in place and shuts
//! everything down in order (workers first, then the master).
//!
//! Every configuration choice (directories, hosts, ports, tiers) is the caller's: the launcher
//! only sets the master's port in the workers' configurations and, so that a restart keeps an
//! address, the ports each server bound in its own configuration.

use alluxio_conf::{Configuration, keys};
use alluxio_master::{MasterError, RunningMaster};
use alluxio_worker::{RunningWorker, WorkerError};

/// Why the cluster could not be started, changed or stopped.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The master failed to start or stop.
    #[error("master: {0}")]
    Master(#[from] MasterError),
    /// A worker failed to start or stop.
    #[error("worker {index}: {source}")]
    Worker {
        /// Which worker (its position in the configurations given to [`Cluster::start`]).
        index: usize,
        /// The cause.
        #[source]
        source: WorkerError,
    },
    /// The cluster has no worker with this index.
    #[error("there is no worker {0}")]
    NoSuchWorker(usize),
    /// The worker is stopped, so it cannot be stopped again.
    #[error("worker {0} is not running")]
    NotRunning(usize),
    /// The worker runs already, so it cannot be started.
    #[error("worker {0} is already running")]
    AlreadyRunning(usize),
}

/// One worker: its configuration, and the server while it runs.
struct WorkerSlot {
    conf: Configuration,
    running: Option<RunningWorker>,
}

/// A master and its workers running in this process.
///
/// Dropping it without [`Cluster::shutdown`] leaves the servers' tasks running until their async
/// runtime ends.
pub struct Cluster {
    /// The master's configuration; once it started, with the RPC port it bound.
    conf: Configuration,
    master: Option<RunningMaster>,
    workers: Vec<WorkerSlot>,
}

impl Cluster {
    /// Starts the master from `master_conf`, then one worker per configuration of `worker_confs`,
    /// in order, each told the RPC port the master bound (`alluxio.master.port` 0 means any).
    ///
    /// If a worker fails to start, the workers already started and the master are stopped and the
    /// error names the worker.
    pub async fn start(
        master_conf: Configuration,
        worker_confs: Vec<Configuration>,
    ) -> Result<Self, LaunchError> {
        let mut cluster = Self {
            conf: master_conf,
            master: None,
            workers: worker_confs
                .into_iter()
                .map(|conf| WorkerSlot { conf, running: None })
                .collect(),
        };
        cluster.start_master().await?;
        for index in 0..cluster.workers.len() {
            if let Err(err) = cluster.start_worker(index).await {
                if let Err(stop) = cluster.stop_all().await {
                    tracing::warn!(error = %stop, "the cluster did not shut down cleanly after a failed start");
                }
                return Err(err);
            }
        }
        Ok(cluster)
    }

    /// The master's configuration with the RPC port it bound: what clients of the cluster use.
    pub fn conf(&self) -> &Configuration {
        &self.conf
    }

    /// The RPC port the master bound (it keeps it across [`Cluster::restart_master`]).
    pub fn master_port(&self) -> u16 {
        self.conf.get_port(keys::MASTER_PORT).unwrap_or(0)
    }

    /// The master, while it runs.
    pub fn master(&self) -> Option<&RunningMaster> {
        self.master.as_ref()
    }

    /// Number of workers, running or stopped.
    pub fn worker_count(&self) -> usize {
        self.workers.len()
    }

    /// Worker `index`, while it runs.
    pub fn worker(&self, index: usize) -> Option<&RunningWorker> {
        self.workers.get(index).and_then(|slot| slot.running.as_ref())
    }

    /// The running workers, in order.
    pub fn running_workers(&self) -> impl Iterator<Item = &RunningWorker> {
        self.workers.iter().filter_map(|slot| slot.running.as_ref())
    }

    /// Worker `index`'s configuration: the caller's, with the master's port and, once the worker
    /// started, the ports it bound.
    pub fn worker_conf(&self, index: usize) -> Option<&Configuration> {
        self.workers.get(index).map(|slot| &slot.conf)
    }

    /// Stops the master and starts it again on the same configuration and RPC port.
    pub async fn restart_master(&mut self) -> Result<(), LaunchError> {
        if let Some(master) = self.master.take() {
            master.shutdown().await?;
        }
        self.start_master().await
    }

    /// Stops worker `index`; its cached blocks stay on disk.
    pub async fn stop_worker(&mut self, index: usize) -> Result<(), LaunchError> {
        let slot = self
            .workers
            .get_mut(index)
            .ok_or(LaunchError::NoSuchWorker(index))?;
        let running = slot.running.take().ok_or(LaunchError::NotRunning(index))?;
        running
            .shutdown()
            .await
            .map_err(|source| LaunchError::Worker { index, source })
    }

    /// Starts stopped worker `index` on its configuration, the master's current port and the
    /// ports it had, if it ran before.
    pub async fn start_worker(&mut self, index: usize) -> Result<(), LaunchError> {
        let master_port = self.master_port();
        let slot = self
            .workers
            .get_mut(index)
            .ok_or(LaunchError::NoSuchWorker(index))?;
        if slot.running.is_some() {
            return Err(LaunchError::AlreadyRunning(index));
        }
        // Port 0 means "any": the worker must be told the one the master got.
        slot.conf.set(keys::MASTER_PORT, master_port.to_string());
        let running = alluxio_worker::start(slot.conf.clone())
            .await
            .map_err(|source| LaunchError::Worker { index, source })?;
        for (key, addr) in [
            (keys::WORKER_PORT, running.rpc_addr()),
            (keys::WORKER_DATA_PORT, running.data_addr()),
            (keys::WORKER_WEB_PORT, running.web_addr()),
        ] {
            slot.conf.set(key, addr.port().to_string());
        }
        slot.running = Some(running);
        Ok(())
    }

    /// Stops the workers, then the master; every server is stopped even if one fails, and the
    /// first failure is returned (later ones are logged).
    pub async fn shutdown(mut self) -> Result<(), LaunchError> {
        self.stop_all().await
    }

    async fn start_master(&mut self) -> Result<(), LaunchError> {
        let master = alluxio_master::start(self.conf.clone()).await?;
        // Workers, clients and a restart find the master through this.
        self.conf
            .set(keys::MASTER_PORT, master.rpc_addr().port().to_string());
        tracing::info!(rpc = %master.rpc_addr(), "embedded master started");
        self.master = Some(master);
        Ok(())
    }

    async fn stop_all(&mut self) -> Result<(), LaunchError> {
        let mut first_error = None;
        let mut note = |err: LaunchError| match first_error {
            None => first_error = Some(err),
            Some(_) => tracing::warn!(error = %err, "the embedded cluster did not shut down cleanly"),
        };
        for (index, slot) in self.workers.iter_mut().enumerate() {
            if let Some(running) = slot.running.take()
                && let Err(source) = running.shutdown().await
            {
                note(LaunchError::Worker { index, source });
            }
        }
        if let Some(master) = self.master.take()
            && let Err(err) = master.shutdown().await
        {
            note(err.into());
        }
        first_error.map_or(Ok(()), Err)
    }
}
