//! The startup consistency check: once the master serves, it compares the whole namespace with
//! the under storage in the background and keeps the outcome for the web UI (Alluxio's
//! `alluxio.master.startup.consistency.check.enabled`).

use std::sync::Arc;

use alluxio_proto::AlluxioPath;
use parking_lot::Mutex;
use tokio::task::JoinHandle;

use crate::namespace::FileSystemMaster;

/// Where the check stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConsistencyCheck {
    /// Turned off by configuration.
    Disabled,
    /// Still comparing.
    Running,
    /// Done; the paths that disagree with the UFS.
    Complete(Vec<String>),
    /// The comparison itself failed.
    Failed(String),
}

impl ConsistencyCheck {
    /// Alluxio's status name.
    pub(crate) fn status(&self) -> &'static str {
        match self {
            Self::Disabled => "DISABLED",
            Self::Running => "RUNNING",
            Self::Complete(_) => "COMPLETE",
            Self::Failed(_) => "FAILED",
        }
    }

    /// The paths found inconsistent (none unless complete).
    pub(crate) fn inconsistent(&self) -> &[String] {
        match self {
            Self::Complete(paths) => paths,
            _ => &[],
        }
    }
}

/// Starts the check (unless `enabled` is false) and returns where its outcome will be.
pub(crate) fn start(
    fs: &Arc<FileSystemMaster>,
    enabled: bool,
) -> (Arc<Mutex<ConsistencyCheck>>, Option<JoinHandle<()>>) {
    if !enabled {
        return (Arc::new(Mutex::new(ConsistencyCheck::Disabled)), None);
    }
    let state = Arc::new(Mutex::new(ConsistencyCheck::Running));
    let (fs, outcome) = (fs.clone(), state.clone());
    let task = tokio::spawn(async move {
        let checked = fs.check_consistency(&AlluxioPath::root()).await;
        let result = match checked {
            Ok(paths) => {
                if !paths.is_empty() {
                    tracing::warn!(
                        inconsistent = paths.len(),
                        "startup consistency check found paths that differ from the under storage"
                    );
                }
                ConsistencyCheck::Complete(paths.iter().map(ToString::to_string).collect())
            }
            Err(err) => {
                tracing::warn!(error = %err, "startup consistency check failed");
                ConsistencyCheck::Failed(err.to_string())
            }
        };
        *outcome.lock() = result;
    });
    (state, Some(task))
}
