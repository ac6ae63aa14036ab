//! The TTL checker: inodes whose creation time plus TTL has passed are deleted or freed.

use alluxio_proto::grpc::TtlAction;

use crate::namespace::{FileSystemMaster, SetAttributeOptions};

impl FileSystemMaster {
    /// Acts on every inode expired at `now_ms`; returns how many were handled.
    pub async fn expire_ttl(&self, now_ms: i64) -> usize {
        let expired: Vec<(u64, TtlAction)> = {
            let tree = self.tree.read();
            tree.with_ttl
                .iter()
                .filter_map(|id| tree.get(*id))
                .filter(|i| i.ttl >= 0 && i.creation_ms.saturating_add(i.ttl) <= now_ms)
                .map(|i| (i.id, i.ttl_action.get()))
                .collect()
        };
        let mut handled = 0;
        for (id, action) in expired {
            // An ancestor handled earlier in this pass may have removed it.
            let Some(path) = self.path_of(id) else { continue };
            let result = match action {
                TtlAction::Delete => self.delete(&path, true, false).await,
                TtlAction::Free => match self.free(&path, true, true).await {
                    // The TTL is spent: clear it so the file is not freed again and again.
                    Ok(()) => {
                        let clear = SetAttributeOptions {
                            ttl: Some(-1),
                            ..Default::default()
                        };
                        self.set_attribute(&path, clear).await
                    }
                    Err(err) => Err(err),
                },
            };
            match result {
                Ok(()) => {
                    tracing::info!(%path, action = action.alluxio_name(), "TTL expired");
                    handled += 1;
                }
                Err(err) => tracing::warn!(%path, error = %err, "TTL action failed"),
            }
        }
        handled
    }
}
