//! Mounting under file systems into the namespace, and listing the mounts.

use std::collections::BTreeMap;

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::MountRequest;

pub use alluxio_proto::grpc::MountPointInfo;

use crate::{ClientError, FileSystem, Subject};

/// How to mount a UFS (`alluxio fs mount` flags).
#[derive(Debug, Clone, Default)]
pub struct MountOptions {
    /// Refuse every write under the mount point (`--readonly`).
    pub read_only: bool,
    /// The UFS is shared with other users (`--shared`).
    pub shared: bool,
    /// UFS properties for this mount only (`--option key=value`): credentials, endpoint ...
    pub properties: BTreeMap<String, String>,
}

impl FileSystem {
    /// Mounts the UFS directory `ufs_uri` at `path`, which must not exist yet.
    pub async fn mount(
        &self,
        path: &AlluxioPath,
        ufs_uri: &str,
        options: MountOptions,
    ) -> Result<(), ClientError> {
        let req = MountRequest {
            path: path.to_string(),
            ufs_uri: ufs_uri.to_string(),
            properties: options.properties.into_iter().collect(),
            read_only: options.read_only,
            shared: options.shared,
            ..Default::default()
        };
        self.ctx
            .master
            .mount(req)
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// Removes the mount at `path` and Alluxio's metadata and cached blocks below it; the UFS
    /// keeps its data.
    pub async fn unmount(&self, path: &AlluxioPath) -> Result<(), ClientError> {
        self.ctx
            .master
            .unmount(path.as_str())
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// Every mount by mount point, the root included.
    pub async fn get_mount_table(&self) -> Result<BTreeMap<String, MountPointInfo>, ClientError> {
        let resp = self.ctx.master.get_mount_table().await?;
        Ok(resp.mount_points.into_iter().collect())
    }
}
