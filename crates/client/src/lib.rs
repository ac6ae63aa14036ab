//! The Alluxio file system client: metadata from the master over gRPC, block bytes to and from
//! workers over their data ports (or straight from the block file when the worker is local).
//!
//! [`FileSystem`] is async; [`blocking::FileSystem`] wraps it for synchronous callers.

// Requests are built with `..Default::default()` even when every field is named today, so that
// fields added to the proto later don't break the client.
#![allow(clippy::needless_update)]

mod block_sink;
mod block_source;
pub mod blocking;
mod context;
mod error;
mod grpc_channel;
mod in_stream;
mod listing;
mod master_client;
mod metrics;
mod mounts;
mod options;
mod out_stream;
mod passive_cache;
mod policy;
mod ufs_sink;
mod worker_client;

pub use alluxio_proto::grpc::{
    BlockMasterInfo, FileInfo, MasterInfo, Metric, MetricType, ReadType, WorkerInfo, WriteType,
};
pub use alluxio_proto::{AlluxioPath, AlluxioUri};
pub use error::{ClientError, ErrorKind, Subject};
pub use in_stream::{FileInStream, ReadStats};
pub use listing::ListStatusPages;
pub use master_client::IMPERSONATE_HADOOP_USER;
pub use mounts::{MountOptions, MountPointInfo};
pub use options::{
    CreateDirectoryOptions, CreateFileOptions, DeleteOptions, FreeOptions, GetStatusOptions,
    ListStatusOptions, OpenFileOptions, SetAttributeOptions,
};
pub use out_stream::{FileOutStream, WriteStats};

use std::sync::Arc;

use alluxio_conf::{Configuration, keys};
use alluxio_proto::grpc::{
    CreateDirectoryRequest, CreateFileRequest, DeleteRequest, FreeRequest, ListStatusRequest,
    LoadMetadataType, RenameRequest, SetAttributeRequest,
};

use context::Context;

/// A connection to an Alluxio cluster. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct FileSystem {
    ctx: Arc<Context>,
}

impl FileSystem {
    /// Connects to the master at `alluxio.master.hostname`:`alluxio.master.port`.
    pub async fn connect(conf: Configuration) -> Result<Self, ClientError> {
        let report_metrics = conf.get_bool(keys::USER_METRICS_COLLECTION_ENABLED)?;
        let interval = conf.get_duration(keys::USER_METRICS_HEARTBEAT_INTERVAL)?;
        let ctx = Arc::new(Context::new(conf)?);
        if report_metrics {
            metrics::spawn_heartbeat(Arc::downgrade(&ctx), interval);
        }
        Ok(Self { ctx })
    }

    /// This client acting for `user`: its calls to the master say they are made on behalf of
    /// `user`, whom the master serves them as if the client's login user may act for them
    /// (`alluxio.master.security.impersonation.<login user>.users|groups`, or a superuser).
    /// Connections, caches and metrics stay shared with this client; cheap enough per request.
    pub fn impersonating(&self, user: &str) -> Self {
        Self {
            ctx: Arc::new(self.ctx.impersonating(user)),
        }
    }

    /// The master's metrics, with the cluster totals of what workers and clients report
    /// (`alluxio fsadmin report metrics`).
    pub async fn master_metrics(&self) -> Result<Vec<Metric>, ClientError> {
        self.ctx.master.metrics().await
    }

    /// The configuration this client uses (defaults for options come from it).
    pub fn conf(&self) -> &Configuration {
        &self.ctx.conf
    }

    /// Creates a directory.
    pub async fn create_directory(
        &self,
        path: &AlluxioPath,
        options: CreateDirectoryOptions,
    ) -> Result<(), ClientError> {
        let write_type = options.write_type.unwrap_or(self.ctx.defaults.write_type);
        let req = CreateDirectoryRequest {
            path: path.to_string(),
            recursive: options.recursive,
            allow_exists: options.allow_exists,
            write_type: write_type as i32,
            ..Default::default()
        };
        self.ctx
            .master
            .create_directory(req)
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// Creates a file and returns the stream to write it; the file exists once the stream closes.
    pub async fn create_file(
        &self,
        path: &AlluxioPath,
        options: CreateFileOptions,
    ) -> Result<FileOutStream, ClientError> {
        let created = async {
            let req = self.create_request(path, &options, false)?;
            let write_type = req.write_type();
            let info = self.ctx.master.create_file(req).await?;
            FileOutStream::start(self.ctx.clone(), path.clone(), info, write_type).await
        };
        created
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// Creates a complete, empty file in one call to the master, which makes its UFS file when
    /// it writes through: what [`FileSystem::create_file`] and closing the stream at once do in
    /// two (and two journal flushes).
    pub async fn create_empty_file(
        &self,
        path: &AlluxioPath,
        options: CreateFileOptions,
    ) -> Result<FileInfo, ClientError> {
        let created = async {
            let req = self.create_request(path, &options, true)?;
            self.ctx.master.create_file(req).await
        };
        created
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// The master request creating `path`, with the defaults filled in and checked.
    fn create_request(
        &self,
        path: &AlluxioPath,
        options: &CreateFileOptions,
        complete_empty: bool,
    ) -> Result<CreateFileRequest, ClientError> {
        let write_type = options.write_type.unwrap_or(self.ctx.defaults.write_type);
        let block_size = options.block_size_bytes.unwrap_or(self.ctx.defaults.block_size);
        if write_type == WriteType::Unspecified {
            return Err(ClientError::new(
                ErrorKind::InvalidArgument,
                format!(
                    "cannot create {path}: the write type must be MUST_CACHE, CACHE_THROUGH, THROUGH or ASYNC_THROUGH"
                ),
            ));
        }
        if block_size == 0 {
            return Err(ClientError::new(
                ErrorKind::InvalidArgument,
                format!("cannot create {path} with a block size of 0 bytes"),
            ));
        }
        Ok(CreateFileRequest {
            path: path.to_string(),
            recursive: options.recursive,
            block_size_bytes: block_size,
            write_type: write_type as i32,
            ttl: options.ttl.unwrap_or(-1),
            ttl_action: options.ttl_action.unwrap_or_default() as i32,
            complete_empty,
            operation_id: None,
        })
    }

    /// Opens a complete file for reading.
    pub async fn open_file(
        &self,
        path: &AlluxioPath,
        options: OpenFileOptions,
    ) -> Result<FileInStream, ClientError> {
        let read_type = options.read_type.unwrap_or(self.ctx.defaults.read_type);
        let opened = async {
            if read_type == ReadType::Unspecified {
                return Err(ClientError::new(
                    ErrorKind::InvalidArgument,
                    format!("cannot open {path}: the read type must be NO_CACHE, CACHE or CACHE_PROMOTE"),
                ));
            }
            let info = self.get_status(path).await?;
            if info.folder {
                return Err(ClientError::new(
                    ErrorKind::FailedPrecondition,
                    format!("cannot open {path}: it is a directory, not a file"),
                ));
            }
            if !info.completed {
                return Err(ClientError::new(
                    ErrorKind::FailedPrecondition,
                    format!(
                        "cannot open {path}: the file is incomplete (still being written, or its writer failed)"
                    ),
                ));
            }
            Ok(info)
        };
        let info = opened
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))?;
        Ok(FileInStream::new(self.ctx.clone(), path.clone(), info, read_type))
    }

    /// Status of a file or directory.
    pub async fn get_status(&self, path: &AlluxioPath) -> Result<FileInfo, ClientError> {
        self.get_status_with(path, GetStatusOptions::default()).await
    }

    /// Status of a file or directory, loading its metadata from the UFS as `options` say.
    pub async fn get_status_with(
        &self,
        path: &AlluxioPath,
        options: GetStatusOptions,
    ) -> Result<FileInfo, ClientError> {
        let load = options
            .load_metadata_type
            .unwrap_or(self.ctx.defaults.load_metadata_type);
        self.ctx
            .master
            .get_status(path.as_str(), load, self.ctx.defaults.sync_interval_ms)
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// Whether a path exists.
    pub async fn exists(&self, path: &AlluxioPath) -> Result<bool, ClientError> {
        match self.get_status(path).await {
            Ok(_) => Ok(true),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Children of a directory (or the file itself), loading UFS metadata per the options.
    pub async fn list_status(
        &self,
        path: &AlluxioPath,
        options: ListStatusOptions,
    ) -> Result<Vec<FileInfo>, ClientError> {
        self.ctx
            .master
            .list_status(self.list_request(path, options))
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// [`Self::list_status`] a page at a time, in path order, as the master streams it: a
    /// listing of millions of entries (`recursive`) in bounded memory.
    pub async fn list_status_pages(
        &self,
        path: &AlluxioPath,
        options: ListStatusOptions,
    ) -> Result<ListStatusPages, ClientError> {
        let pages = self
            .ctx
            .master
            .list_status_pages(self.list_request(path, options))
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))?;
        Ok(ListStatusPages::new(pages, path))
    }

    fn list_request(&self, path: &AlluxioPath, options: ListStatusOptions) -> ListStatusRequest {
        let load: LoadMetadataType = options
            .load_metadata_type
            .unwrap_or(self.ctx.defaults.load_metadata_type);
        ListStatusRequest {
            path: path.to_string(),
            recursive: options.recursive,
            load_metadata_type: load as i32,
            sync_interval_ms: self.ctx.defaults.sync_interval_ms,
            start_after: options.start_after.unwrap_or_default(),
            limit: options.limit.unwrap_or(0),
        }
    }

    /// Deletes a file or directory.
    pub async fn delete(&self, path: &AlluxioPath, options: DeleteOptions) -> Result<(), ClientError> {
        let req = DeleteRequest {
            path: path.to_string(),
            recursive: options.recursive,
            alluxio_only: options.alluxio_only,
            ..Default::default()
        };
        self.ctx
            .master
            .delete(req)
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// Renames (metadata only). A failure may concern either path, so it records neither as its
    /// subject; the message names the one at fault.
    pub async fn rename(&self, src: &AlluxioPath, dst: &AlluxioPath) -> Result<(), ClientError> {
        let req = RenameRequest {
            src: src.to_string(),
            dst: dst.to_string(),
            ..Default::default()
        };
        self.ctx.master.rename(req).await
    }

    /// Sets pin and TTL attributes.
    pub async fn set_attribute(
        &self,
        path: &AlluxioPath,
        options: SetAttributeOptions,
    ) -> Result<(), ClientError> {
        let req = SetAttributeRequest {
            path: path.to_string(),
            pinned: options.pinned,
            ttl: options.ttl,
            ttl_action: options.ttl_action.map(|a| a as i32),
            mode: options.mode,
            owner: options.owner,
            group: options.group,
            modification_time_ms: options.modification_time_ms,
            recursive: options.recursive,
        };
        self.ctx
            .master
            .set_attribute(req)
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// Drops cached blocks of persisted files.
    pub async fn free(&self, path: &AlluxioPath, options: FreeOptions) -> Result<(), ClientError> {
        let req = FreeRequest {
            path: path.to_string(),
            recursive: options.recursive,
            forced: options.forced,
            ..Default::default()
        };
        self.ctx
            .master
            .free(req)
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// Asks for a complete file to be persisted to the UFS in the background.
    pub async fn persist(&self, path: &AlluxioPath) -> Result<(), ClientError> {
        self.ctx
            .master
            .schedule_persistence(path.as_str())
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))
    }

    /// Paths at or below `path` whose Alluxio metadata disagrees with the UFS (missing there, of
    /// another type or length, or present there although never persisted), sorted.
    /// Has the master write a journal checkpoint now (a superuser's call); returns the last
    /// journal sequence it covers.
    pub async fn checkpoint(&self) -> Result<u64, ClientError> {
        self.ctx.master.checkpoint().await
    }

    pub async fn check_consistency(&self, path: &AlluxioPath) -> Result<Vec<AlluxioPath>, ClientError> {
        let paths = self
            .ctx
            .master
            .check_consistency(path.as_str())
            .await
            .map_err(|e| e.about(Subject::Path(path.to_string())))?;
        paths
            .iter()
            .map(|p| {
                AlluxioPath::new(p).map_err(|e| {
                    ClientError::new(
                        ErrorKind::Internal,
                        format!("the master reported an invalid path {p:?}: {e}"),
                    )
                })
            })
            .collect()
    }

    /// Whether a live worker runs on this host (`alluxio.user.hostname`, or a local address).
    pub async fn has_local_worker(&self) -> Result<bool, ClientError> {
        for worker in self.ctx.workers.live_workers(true).await?.iter() {
            if let Some(address) = &worker.address
                && self.ctx.workers.is_local(&address.host).await
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Capacity and usage of the cluster, per tier.
    pub async fn block_master_info(&self) -> Result<BlockMasterInfo, ClientError> {
        self.ctx.master.block_master_info().await
    }

    /// Live and lost workers.
    pub async fn worker_info_list(&self) -> Result<(Vec<WorkerInfo>, Vec<WorkerInfo>), ClientError> {
        let resp = self.ctx.master.worker_info_list().await?;
        Ok((resp.live_workers, resp.lost_workers))
    }

    /// The master's addresses, start time and version.
    pub async fn master_info(&self) -> Result<MasterInfo, ClientError> {
        self.ctx.master.master_info().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// Callers spawn client calls on multi-threaded runtimes: every future must be `Send`.
    #[allow(dead_code)]
    fn futures_are_send(
        fs: &FileSystem,
        path: &AlluxioPath,
        input: &mut FileInStream,
        output: &mut FileOutStream,
    ) {
        assert_send(&fs.create_file(path, CreateFileOptions::default()));
        assert_send(&fs.open_file(path, OpenFileOptions::default()));
        assert_send(&fs.list_status(path, ListStatusOptions::default()));
        assert_send(&input.read(&mut []));
        assert_send(&output.write(&[]));
    }
}
