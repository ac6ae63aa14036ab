//! Capacity and usage of the mounted under storages for the web UI and the metrics, measured in
//! the background: `statvfs` can block for as long as a hung NFS server likes, so pages and
//! gauges read the last figures instead of asking on a request or scrape.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::mount_table::ufs_space;

/// How long one measurement may take before its figures count as unknown.
const MEASURE_TIMEOUT: Duration = Duration::from_secs(5);

/// The last (capacity, used) bytes of each UFS URI; (-1, -1) when unknown.
#[derive(Default)]
pub(crate) struct UfsSpace {
    by_uri: Mutex<HashMap<String, (i64, i64)>>,
    /// URIs whose measurement has not returned: never measured twice at once, so a hung file
    /// system holds one blocking thread, not one per refresh.
    measuring: Mutex<HashSet<String>>,
}

impl UfsSpace {
    /// The last figures of `uri`.
    pub(crate) fn get(&self, uri: &str) -> (i64, i64) {
        self.by_uri.lock().get(uri).copied().unwrap_or((-1, -1))
    }

    /// Measures every URI of `uris` again (those still being measured are skipped) and forgets
    /// the others (unmounted).
    pub(crate) async fn refresh(self: &Arc<Self>, uris: Vec<String>) {
        self.by_uri.lock().retain(|uri, _| uris.contains(uri));
        for uri in uris {
            if !self.measuring.lock().insert(uri.clone()) {
                continue;
            }
            let this = self.clone();
            let target = uri.clone();
            let measured = tokio::task::spawn_blocking(move || {
                let space = ufs_space(&target);
                this.measuring.lock().remove(&target);
                space
            });
            let space = match tokio::time::timeout(MEASURE_TIMEOUT, measured).await {
                Ok(Ok(space)) => space,
                Ok(Err(_)) | Err(_) => {
                    tracing::warn!(ufs = %uri, "measuring the under storage's space takes over {MEASURE_TIMEOUT:?}; shown as unknown");
                    (-1, -1)
                }
            };
            self.by_uri.lock().insert(uri, space);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_directories_are_measured_and_unmounted_ones_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let uri = format!("file://{}", dir.path().display());
        let space = Arc::new(UfsSpace::default());
        assert_eq!(space.get(&uri), (-1, -1), "unknown before the first refresh");
        space.refresh(vec![uri.clone(), "s3://bucket/dir".into()]).await;
        let (capacity, used) = space.get(&uri);
        assert!(capacity > 0 && used >= 0 && used <= capacity, "{capacity} {used}");
        assert_eq!(
            space.get("s3://bucket/dir"),
            (-1, -1),
            "object stores have no capacity"
        );
        space.refresh(vec![]).await;
        assert_eq!(space.get(&uri), (-1, -1));
    }
}
