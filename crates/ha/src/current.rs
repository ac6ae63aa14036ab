//! The master a client's or a worker's calls go to now, shared by all its calls, and the move
//! to the next master when that one cannot serve (gone, or a standby naming the leader).

use std::sync::Arc;

use parking_lot::RwLock;

use crate::{HaError, MasterLocator};

/// A connection to one master, as a caller builds it.
pub trait MasterConnection: Sized {
    /// Why a connection could not be built (a malformed address).
    type Error: std::fmt::Display;
    /// What every connection is opened with (who calls).
    type Options;
    /// A connection to the master at `address` (`host:port`).
    fn open(address: &str, options: &Self::Options) -> Result<Self, Self::Error>;
    /// The `host:port` of its master.
    fn address(&self) -> &str;
}

/// Why no connection to a master could be had.
#[derive(Debug, thiserror::Error)]
pub enum NoMaster<E> {
    /// The locator found no master to call (no leader in ZooKeeper yet, ZooKeeper unreachable).
    #[error(transparent)]
    NotFound(#[from] HaError),
    /// The master it found could not be connected to.
    #[error("{0}")]
    Open(E),
}

/// The connection calls go to now, and the locator naming the next one.
pub struct CurrentMaster<C: MasterConnection> {
    locator: MasterLocator,
    options: C::Options,
    current: RwLock<Option<Arc<C>>>,
    /// Held while moving off a failed master, so calls failing together move once.
    switching: tokio::sync::Mutex<()>,
}

impl<C: MasterConnection> CurrentMaster<C> {
    /// Calls go to `first`, or, when `None`, to the master `locator` names at the first call;
    /// connections to other masters are opened with `options`.
    pub fn new(locator: MasterLocator, first: Option<C>, options: C::Options) -> Self {
        Self {
            locator,
            options,
            current: RwLock::new(first.map(Arc::new)),
            switching: tokio::sync::Mutex::new(()),
        }
    }

    /// How the next master is found.
    pub fn locator(&self) -> &MasterLocator {
        &self.locator
    }

    /// The connection calls go to now, if one was made.
    pub fn get(&self) -> Option<Arc<C>> {
        self.current.read().clone()
    }

    /// The connection calls go to now, or one to the master the locator names.
    pub async fn get_or_find(&self) -> Result<Arc<C>, NoMaster<C::Error>> {
        if let Some(current) = self.get() {
            return Ok(current);
        }
        let address = self.locator.leader().await?;
        let found = Arc::new(C::open(&address, &self.options).map_err(NoMaster::Open)?);
        Ok(self.current.write().get_or_insert(found).clone())
    }

    /// Moves calls off `failed`, which could not serve (gone, or a standby naming `hint`), to
    /// the master the locator names next, unless another call moved them already. Returns
    /// whether calls now go to a master other than `failed`.
    pub async fn move_from(&self, failed: &Arc<C>, hint: Option<&str>) -> bool {
        if !self.locator.fails_over() {
            return false;
        }
        let _one_at_a_time = self.switching.lock().await;
        if let Some(current) = self.get()
            && !Arc::ptr_eq(&current, failed)
        {
            return current.address() != failed.address();
        }
        let next = match self.locator.after_failure(failed.address(), hint).await {
            Ok(next) if next == failed.address() => return false,
            Ok(next) => next,
            Err(err) => {
                // Usual during an election: the caller retries, or reports when it gives up.
                tracing::debug!(master = failed.address(), error = %err, "no other master found yet");
                return false;
            }
        };
        match C::open(&next, &self.options) {
            Ok(connection) => {
                tracing::info!(from = failed.address(), to = %next, "calling another master");
                *self.current.write() = Some(Arc::new(connection));
                true
            }
            Err(err) => {
                tracing::warn!(
                    master = %next,
                    error = %err,
                    "cannot call the master named next by {}; calls stay on {}",
                    self.locator.describe(),
                    failed.address()
                );
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use alluxio_conf::{Configuration, keys};

    use super::*;

    /// A connection that is only its address.
    struct Fake(String);

    impl MasterConnection for Fake {
        type Error = String;

        type Options = ();

        fn open(address: &str, (): &()) -> Result<Self, String> {
            Ok(Self(address.to_string()))
        }

        fn address(&self) -> &str {
            &self.0
        }
    }

    fn listed(addresses: &[&str]) -> MasterLocator {
        let mut conf = Configuration::default();
        conf.set(keys::MASTER_RPC_ADDRESSES, addresses.join(","));
        MasterLocator::from_conf(&conf).unwrap()
    }

    fn address(master: &CurrentMaster<Fake>) -> String {
        master.get().unwrap().0.clone()
    }

    #[tokio::test]
    async fn a_standby_naming_the_leader_moves_calls_there_once() {
        let master = CurrentMaster::<Fake>::new(listed(&["a:1", "b:2", "c:3"]), None, ());
        let failed = master.get_or_find().await.unwrap();
        assert_eq!(failed.0, "a:1", "the first listed master at the first call");
        assert!(master.move_from(&failed, Some("c:3")).await);
        assert_eq!(address(&master), "c:3");
        // Calls that failed on the old master together move once, not once each.
        assert!(master.move_from(&failed, None).await);
        assert_eq!(address(&master), "c:3");
        // Without a hint, the next listed master.
        assert!(master.move_from(&master.get().unwrap(), None).await);
        assert_eq!(address(&master), "a:1");
    }

    #[tokio::test]
    async fn one_master_is_never_left() {
        let mut conf = Configuration::default();
        conf.set(keys::MASTER_HOSTNAME, "m");
        conf.set(keys::MASTER_PORT, "1");
        let locator = MasterLocator::from_conf(&conf).unwrap();
        let master = CurrentMaster::new(locator, Some(Fake("m:1".into())), ());
        let failed = master.get().unwrap();
        assert!(!master.move_from(&failed, Some("other:2")).await);
        assert!(Arc::ptr_eq(&master.get().unwrap(), &failed));
    }
}
