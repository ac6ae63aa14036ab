//! The UFS writer's sink: every group-commit batch published as one complete log object.

use std::sync::Arc;

use alluxio_ufs::UnderFileSystem;
use bytes::Bytes;
use tokio::runtime::Handle;

use super::objects::{Layout, publish};
use crate::JournalError;
use crate::writer::{Failure, Sink};

/// Publishes the batches of one epoch.
pub(crate) struct ObjectSink {
    pub(super) handle: Handle,
    pub(super) ufs: Arc<dyn UnderFileSystem>,
    pub(super) layout: Layout,
    pub(super) epoch: u64,
    pub(super) after: u64,
}

impl Sink for ObjectSink {
    fn write(&mut self, batch: &[u8], first: u64, next: u64) -> Result<(), Failure> {
        let uri = self.layout.log(first, next - 1, self.epoch, self.after);
        // The writer thread is not a runtime thread, so it may block on the journal's runtime.
        self.handle
            .block_on(publish(self.ufs.as_ref(), &uri, Bytes::copy_from_slice(batch)))
            .map_err(|err| match err {
                JournalError::Ufs { source, .. } => Failure::ufs(&uri, &source),
                other => Failure::from(other),
            })
    }

    fn rotate_if_due(&mut self, _requested: bool) -> Result<(), Failure> {
        // Every batch is already an object of its own.
        Ok(())
    }
}
