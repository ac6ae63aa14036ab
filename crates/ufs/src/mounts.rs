//! Under file systems by mount, for the processes that are not the master (clients and workers):
//! the root mount is opened with this process's own configuration, every other mount with the
//! options the master recorded for it (credentials, endpoint ...), asked for once per mount.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::{UfsError, UfsManager, UnderFileSystem};

/// Mount id of the root mount (0 from a sender that names no mount means the root too).
pub const ROOT_MOUNT_ID: u64 = 1;

/// A [`UfsManager`] plus the options of each mount, by mount id (ids are never reused).
pub struct MountUfsCache {
    manager: UfsManager,
    options: Mutex<HashMap<u64, Arc<BTreeMap<String, String>>>>,
}

impl MountUfsCache {
    /// Opens UFSes with `manager`.
    pub fn new(manager: UfsManager) -> Self {
        Self {
            manager,
            options: Mutex::new(HashMap::new()),
        }
    }

    /// The UFS serving `uri` of mount `mount_id`; `fetch_options` asks the master for the mount's
    /// options the first time a mount is seen.
    pub async fn get<E, Fut>(
        &self,
        mount_id: u64,
        uri: &str,
        fetch_options: impl FnOnce() -> Fut,
    ) -> Result<Arc<dyn UnderFileSystem>, E>
    where
        Fut: Future<Output = Result<BTreeMap<String, String>, E>>,
        E: From<UfsError>,
    {
        if mount_id <= ROOT_MOUNT_ID {
            return Ok(self.manager.get(uri)?);
        }
        let cached = self.options.lock().get(&mount_id).cloned();
        let options = match cached {
            Some(options) => options,
            None => {
                let options = Arc::new(fetch_options().await?);
                self.options.lock().insert(mount_id, Arc::clone(&options));
                options
            }
        };
        Ok(self.manager.get_with_options(uri, &options)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alluxio_conf::Configuration;

    #[tokio::test]
    async fn options_are_fetched_once_per_mount_and_never_for_the_root() {
        let cache = MountUfsCache::new(UfsManager::new(&Configuration::defaults()));
        let dir = tempfile::tempdir().unwrap();
        let uri = dir.path().display().to_string();
        let fetches = std::cell::Cell::new(0);
        let fetch = || async {
            fetches.set(fetches.get() + 1);
            Ok::<_, UfsError>(BTreeMap::new())
        };
        for mount_id in [0, ROOT_MOUNT_ID, 7, 7, 8] {
            cache.get(mount_id, &uri, fetch).await.unwrap();
        }
        assert_eq!(fetches.get(), 2, "mounts 7 and 8, once each");
    }
}
