//! Options of the file system calls. `Default` takes nothing from configuration; `None` fields
//! mean "the configured default" (`alluxio.user.*`).

use alluxio_proto::grpc::{ReadType, TtlAction, WriteType};

/// Options of [`crate::FileSystem::create_directory`].
#[derive(Debug, Clone, Default)]
pub struct CreateDirectoryOptions {
    /// Create missing parents.
    pub recursive: bool,
    /// Succeed if the directory exists.
    pub allow_exists: bool,
    /// THROUGH or CACHE_THROUGH also create it in the UFS; `None` = configured default.
    pub write_type: Option<WriteType>,
}

/// Options of [`crate::FileSystem::create_file`] and [`crate::FileSystem::create_empty_file`].
#[derive(Debug, Clone, Default)]
pub struct CreateFileOptions {
    /// Create missing parents.
    pub recursive: bool,
    /// `None` = `alluxio.user.block.size.bytes.default`.
    pub block_size_bytes: Option<u64>,
    /// `None` = `alluxio.user.file.writetype.default`.
    pub write_type: Option<WriteType>,
    /// Milliseconds to live after creation.
    pub ttl: Option<i64>,
    /// What happens when the TTL expires.
    pub ttl_action: Option<TtlAction>,
}

/// Options of [`crate::FileSystem::open_file`].
#[derive(Debug, Clone, Default)]
pub struct OpenFileOptions {
    /// `None` = `alluxio.user.file.readtype.default`.
    pub read_type: Option<ReadType>,
}

/// Options of [`crate::FileSystem::list_status`].
#[derive(Debug, Clone, Default)]
pub struct ListStatusOptions {
    /// List the whole subtree.
    pub recursive: bool,
    /// `None` = `alluxio.user.file.metadata.load.type`.
    pub load_metadata_type: Option<alluxio_proto::grpc::LoadMetadataType>,
    /// One page of a directory (not recursive): the children whose names come after this one,
    /// in name order; `None` starts from the first.
    pub start_after: Option<String>,
    /// With paging, at most this many entries; `None` lists all.
    pub limit: Option<u32>,
}

/// Options of [`crate::FileSystem::get_status_with`].
#[derive(Debug, Clone, Default)]
pub struct GetStatusOptions {
    /// `None` = `alluxio.user.file.metadata.load.type`.
    pub load_metadata_type: Option<alluxio_proto::grpc::LoadMetadataType>,
}

/// Options of [`crate::FileSystem::delete`].
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// Delete non-empty directories.
    pub recursive: bool,
    /// Keep the UFS copy.
    pub alluxio_only: bool,
}

/// Options of [`crate::FileSystem::set_attribute`].
#[derive(Debug, Clone, Default)]
pub struct SetAttributeOptions {
    /// Pin or unpin.
    pub pinned: Option<bool>,
    /// Milliseconds to live after creation; -1 removes the TTL.
    pub ttl: Option<i64>,
    /// What happens when the TTL expires.
    pub ttl_action: Option<TtlAction>,
    /// Permission bits (at most `0o7777`), as chmod.
    pub mode: Option<u32>,
    /// Owner name, as chown.
    pub owner: Option<String>,
    /// Group name, as chgrp.
    pub group: Option<String>,
    /// Last modification time in ms since the epoch, as touch.
    pub modification_time_ms: Option<i64>,
    /// Apply to the whole subtree.
    pub recursive: bool,
}

/// Options of [`crate::FileSystem::free`].
#[derive(Debug, Clone, Default)]
pub struct FreeOptions {
    /// Free a directory's subtree.
    pub recursive: bool,
    /// Free pinned files too.
    pub forced: bool,
}
