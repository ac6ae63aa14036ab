//! FileInfo of inodes, with block locations from the block master.

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::{BlockInfo, FileBlockInfo, FileInfo};

use super::FileSystemMaster;
use super::permission::Access;
use super::tree::{Inode, InodeKind, Tree, root_id};
use crate::MasterError;
use crate::block_master::MEM_TIER;

impl FileSystemMaster {
    /// The status of the inode `id`, expected at `path`.
    pub(crate) fn file_info_of(&self, id: u64, path: &AlluxioPath) -> Result<FileInfo, MasterError> {
        let tree = self.tree.read();
        let inode = tree
            .get(id)
            .ok_or_else(|| MasterError::NotFound(path.to_string()))?;
        Ok(self.file_info(&tree, &inode, path))
    }

    /// The status of the inode at `path`, as the namespace holds it (nothing is loaded).
    pub(crate) fn file_info_at(&self, path: &AlluxioPath) -> Result<FileInfo, MasterError> {
        let tree = self.tree.read();
        let inode = tree.resolve(path)?;
        // The answer to a change the caller named, maybe repeated with another's path.
        self.check_owner_or(&tree, "read", path, Access::Read)?;
        Ok(self.file_info(&tree, &inode, path))
    }

    /// The status of `inode`, which is at `path` in `tree`.
    pub(crate) fn file_info(&self, tree: &Tree, inode: &Inode, path: &AlluxioPath) -> FileInfo {
        let (ufs_path, mount_id) = self.ufs_location(tree, path);
        let mut info = FileInfo {
            file_id: inode.id,
            name: inode.name.to_string(),
            path: path.to_string(),
            ufs_path,
            mount_id,
            creation_time_ms: inode.creation_ms,
            last_modification_time_ms: inode.modification_ms,
            folder: inode.is_dir(),
            pinned: inode.pinned,
            persisted: inode.is_persisted(),
            persistence_state: inode.persistence.into(),
            ttl: inode.ttl,
            ttl_action: inode.ttl_action.into(),
            owner: self.owner_of(inode).to_string(),
            group: self.group_of(inode).to_string(),
            mode: inode.mode,
            mount_point: inode.id == root_id() || tree.mounts.is_mount_point(path),
            ..Default::default()
        };
        let InodeKind::File {
            block_size,
            length,
            completed,
            block_ids,
            cacheable,
            ..
        } = &inode.kind
        else {
            info.completed = true;
            return info;
        };
        info.length = *length;
        info.block_size_bytes = *block_size;
        info.completed = *completed;
        info.cacheable = *cacheable;
        info.block_ids = block_ids.to_vec();
        let (mut in_memory, mut in_alluxio) = (0u64, 0u64);
        for (index, block_id) in block_ids.iter().enumerate() {
            let offset = index as u64 * block_size;
            let block_info = self.blocks.block_info(*block_id).unwrap_or(BlockInfo {
                block_id: *block_id,
                length: (*length).saturating_sub(offset).min(*block_size),
                locations: Vec::new(),
            });
            if !block_info.locations.is_empty() {
                in_alluxio += block_info.length;
            }
            if block_info.locations.iter().any(|l| l.tier_alias == MEM_TIER) {
                in_memory += block_info.length;
            }
            info.file_block_infos.push(FileBlockInfo {
                block_info: Some(block_info),
                offset,
                ufs_locations: Vec::new(),
            });
        }
        (info.in_memory_percentage, info.in_alluxio_percentage) = if *length == 0 {
            (100, 100)
        } else {
            (percent(in_memory, *length), percent(in_alluxio, *length))
        };
        info
    }
}

fn percent(part: u64, whole: u64) -> u32 {
    (u128::from(part.min(whole)) * 100 / u128::from(whole)) as u32
}
