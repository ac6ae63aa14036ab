//! FileSystemMasterClientService.

use std::sync::Arc;

use alluxio_proto::grpc::file_system_master_client_service_server::FileSystemMasterClientService;
use alluxio_proto::grpc::*;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};
use tonic::{Request, Response, Status};

use super::parse;
use crate::MasterError;
use crate::mount_table::{MountInfo, ufs_space, ufs_type};
use crate::namespace::{
    CreateFileOptions, FileSystemMaster, Listing, MountOptions, SetAttributeOptions, sync_interval,
};
use crate::operations::Applied;

/// Serves client namespace calls.
pub struct FsClientService(pub Arc<FileSystemMaster>);

#[tonic::async_trait]
impl FileSystemMasterClientService for FsClientService {
    async fn create_directory(
        &self,
        request: Request<CreateDirectoryRequest>,
    ) -> Result<Response<CreateDirectoryResponse>, Status> {
        let r = request.into_inner();
        let path = parse(&r.path)?;
        let write_type = r.write_type();
        let fs = &self.0;
        let change = fs.create_directory(&path, r.recursive, r.allow_exists, write_type);
        fs.once(r.operation_id, change, |_| Ok(())).await?;
        Ok(Response::new(CreateDirectoryResponse {}))
    }

    async fn create_file(
        &self,
        request: Request<CreateFileRequest>,
    ) -> Result<Response<CreateFileResponse>, Status> {
        let r = request.into_inner();
        let path = parse(&r.path)?;
        let options = CreateFileOptions {
            recursive: r.recursive,
            block_size: r.block_size_bytes,
            write_type: r.write_type(),
            ttl: r.ttl,
            ttl_action: r.ttl_action(),
            complete_empty: r.complete_empty,
        };
        let fs = &self.0;
        let change = fs.create_file(&path, options);
        let file_info = fs
            .once(r.operation_id, change, |_| fs.file_info_at(&path))
            .await?;
        Ok(Response::new(CreateFileResponse {
            file_info: Some(file_info),
        }))
    }

    async fn get_new_block_id_for_file(
        &self,
        request: Request<GetNewBlockIdForFileRequest>,
    ) -> Result<Response<GetNewBlockIdForFileResponse>, Status> {
        let r = request.into_inner();
        let path = parse(&r.path)?;
        let fs = &self.0;
        let block_id = fs
            .once(r.operation_id, fs.new_block_id(&path), |applied| match applied {
                Applied::NewBlock(block_id) => Ok(block_id),
                Applied::Done => Err(MasterError::InvalidArgument(format!(
                    "operation {:?} named in GetNewBlockIdForFile of {path} was another change; \
                     give each change an id of its own",
                    r.operation_id
                ))),
            })
            .await?;
        Ok(Response::new(GetNewBlockIdForFileResponse { block_id }))
    }

    async fn complete_file(
        &self,
        request: Request<CompleteFileRequest>,
    ) -> Result<Response<CompleteFileResponse>, Status> {
        let r = request.into_inner();
        let path = parse(&r.path)?;
        let fs = &self.0;
        let change = fs.complete_file(&path, r.length);
        let file_info = fs
            .once(r.operation_id, change, |_| fs.file_info_at(&path))
            .await?;
        Ok(Response::new(CompleteFileResponse {
            file_info: Some(file_info),
        }))
    }

    async fn get_status(
        &self,
        request: Request<GetStatusRequest>,
    ) -> Result<Response<GetStatusResponse>, Status> {
        let r = request.into_inner();
        let path = parse(&r.path)?;
        self.0
            .sync_status(&path, sync_interval(r.sync_interval_ms))
            .await?;
        let file_info = self.0.get_status(&path, r.load_metadata_type()).await?;
        Ok(Response::new(GetStatusResponse {
            file_info: Some(file_info),
        }))
    }

    type ListStatusStream = BoxStream<'static, Result<ListStatusResponse, Status>>;

    async fn list_status(
        &self,
        request: Request<ListStatusRequest>,
    ) -> Result<Response<Self::ListStatusStream>, Status> {
        let r = request.into_inner();
        let path = parse(&r.path)?;
        let (load, sync) = (r.load_metadata_type(), sync_interval(r.sync_interval_ms));
        let paged = r.limit > 0 || !r.start_after.is_empty();
        if paged {
            if r.recursive {
                return Err(Status::invalid_argument(format!(
                    "cannot list {path} recursively by pages: page through one directory at a time"
                )));
            }
            let start_after = Some(r.start_after.as_str()).filter(|name| !name.is_empty());
            let limit = match r.limit {
                0 => usize::MAX,
                limit => limit as usize,
            };
            let file_infos = self
                .0
                .list_status_page(&path, load, sync, start_after, limit)
                .await?;
            let page = Ok(ListStatusResponse { file_infos });
            return Ok(Response::new(stream::once(async { page }).boxed()));
        }
        let mut listing = Listing::new(self.0.clone(), path, r.recursive, load, sync);
        // The first page is read before answering, so a missing path or a denial fails the call.
        let first = listing.next_page().await?.unwrap_or_default();
        let rest = stream::try_unfold(listing, |mut listing| async move {
            Ok(listing.next_page().await?.map(|page| (page, listing)))
        });
        let pages = stream::once(async { Ok(first) })
            .chain(rest)
            .map_ok(|file_infos| ListStatusResponse { file_infos })
            .map_err(|err: MasterError| Status::from(err));
        Ok(Response::new(pages.boxed()))
    }

    async fn delete(&self, request: Request<DeleteRequest>) -> Result<Response<DeleteResponse>, Status> {
        let r = request.into_inner();
        let path = parse(&r.path)?;
        let fs = &self.0;
        let change = fs.delete(&path, r.recursive, r.alluxio_only);
        fs.once(r.operation_id, change, |_| Ok(())).await?;
        Ok(Response::new(DeleteResponse {}))
    }

    async fn rename(&self, request: Request<RenameRequest>) -> Result<Response<RenameResponse>, Status> {
        let r = request.into_inner();
        let (src, dst) = (parse(&r.src)?, parse(&r.dst)?);
        let fs = &self.0;
        fs.once(r.operation_id, fs.rename(&src, &dst), |_| Ok(())).await?;
        Ok(Response::new(RenameResponse {}))
    }

    async fn set_attribute(
        &self,
        request: Request<SetAttributeRequest>,
    ) -> Result<Response<SetAttributeResponse>, Status> {
        let r = request.into_inner();
        let path = parse(&r.path)?;
        let options = SetAttributeOptions {
            pinned: r.pinned,
            ttl: r.ttl,
            ttl_action: r.ttl_action.map(|_| r.ttl_action()),
            mode: r.mode,
            owner: r.owner,
            group: r.group,
            modification_time_ms: r.modification_time_ms,
            recursive: r.recursive,
        };
        self.0.set_attribute(&path, options).await?;
        Ok(Response::new(SetAttributeResponse {}))
    }

    async fn free(&self, request: Request<FreeRequest>) -> Result<Response<FreeResponse>, Status> {
        let r = request.into_inner();
        let path = parse(&r.path)?;
        self.0.free(&path, r.recursive, r.forced).await?;
        Ok(Response::new(FreeResponse {}))
    }

    async fn schedule_async_persistence(
        &self,
        request: Request<ScheduleAsyncPersistenceRequest>,
    ) -> Result<Response<ScheduleAsyncPersistenceResponse>, Status> {
        let path = parse(&request.into_inner().path)?;
        self.0.schedule_persist(&path).await?;
        Ok(Response::new(ScheduleAsyncPersistenceResponse {}))
    }

    async fn check_consistency(
        &self,
        request: Request<CheckConsistencyRequest>,
    ) -> Result<Response<CheckConsistencyResponse>, Status> {
        let path = parse(&request.into_inner().path)?;
        let inconsistent = self.0.check_consistency(&path).await?;
        Ok(Response::new(CheckConsistencyResponse {
            inconsistent_paths: inconsistent.iter().map(ToString::to_string).collect(),
        }))
    }

    async fn checkpoint(
        &self,
        _request: Request<CheckpointRequest>,
    ) -> Result<Response<CheckpointResponse>, Status> {
        let sequence = self.0.checkpoint().await?;
        Ok(Response::new(CheckpointResponse { sequence }))
    }

    async fn mount(&self, request: Request<MountRequest>) -> Result<Response<MountResponse>, Status> {
        let r = request.into_inner();
        let path = parse(&r.path)?;
        let options = MountOptions {
            read_only: r.read_only,
            shared: r.shared,
            properties: r.properties.into_iter().collect(),
        };
        self.0.mount(&path, &r.ufs_uri, options).await?;
        Ok(Response::new(MountResponse {}))
    }

    async fn unmount(&self, request: Request<UnmountRequest>) -> Result<Response<UnmountResponse>, Status> {
        let path = parse(&request.into_inner().path)?;
        self.0.unmount(&path).await?;
        Ok(Response::new(UnmountResponse {}))
    }

    async fn get_mount_table(
        &self,
        _request: Request<GetMountTableRequest>,
    ) -> Result<Response<GetMountTableResponse>, Status> {
        let mount_points = self
            .0
            .mount_table()
            .into_iter()
            .map(|(point, info)| (point.to_string(), mount_point_info(info)))
            .collect();
        Ok(Response::new(GetMountTableResponse { mount_points }))
    }

    async fn get_ufs_info(
        &self,
        request: Request<GetUfsInfoRequest>,
    ) -> Result<Response<GetUfsInfoResponse>, Status> {
        let info = self.0.ufs_info(request.into_inner().mount_id)?;
        // Workers read the UFS with the mount's credentials; users see them masked.
        let properties = if self.0.caller_is_superuser() {
            info.options
        } else {
            info.shown_options()
        };
        Ok(Response::new(GetUfsInfoResponse {
            ufs_info: Some(UfsInfo {
                uri: info.ufs_uri,
                properties: properties.into_iter().collect(),
                read_only: info.read_only,
                shared: info.shared,
            }),
        }))
    }
}

fn mount_point_info(info: MountInfo) -> MountPointInfo {
    let (ufs_capacity_bytes, ufs_used_bytes) = ufs_space(&info.ufs_uri);
    MountPointInfo {
        ufs_type: ufs_type(&info.ufs_uri),
        ufs_capacity_bytes,
        ufs_used_bytes,
        read_only: info.read_only,
        properties: info.shown_options().into_iter().collect(),
        ufs_uri: info.ufs_uri,
        shared: info.shared,
        mount_id: info.mount_id,
    }
}
