//! What `stat` shows of a file, and what `chmod`, `chown`, `touch` and `truncate` change:
//! permission bits, owner, group and modification time are stored in the Alluxio namespace,
//! so every client and every later mount sees them. Alluxio's own attributes (persistence,
//! pinning, caching) are extended attributes under `user.alluxio.`.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alluxio_client::{AlluxioPath, ClientError, ErrorKind, FileInfo, SetAttributeOptions};

use super::{Attr, FileKind, FuseFs, STAT_BLOCK};
use crate::errno::Errno;

/// Who makes a request: new files and folders are theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// The attributes a `setattr` changes; `None` leaves one as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// New size: only 0 (the file is replaced by an empty one) or the size it has.
    pub size: Option<u64>,
    /// Permission bits.
    pub mode: Option<u32>,
    /// Owner.
    pub uid: Option<u32>,
    /// Group.
    pub gid: Option<u32>,
    /// Modification time.
    pub mtime: Option<SystemTime>,
}

/// Prefix of the extended attributes that show Alluxio's attributes of a file.
const XATTR_PREFIX: &str = "user.alluxio.";

/// Alluxio's attributes of a file, by extended attribute name (after the prefix).
const XATTRS: [&str; 7] = [
    "persistence_state",
    "pinned",
    "in_memory_percentage",
    "in_alluxio_percentage",
    "ufs_path",
    "ttl",
    "block_size_bytes",
];

fn xattr_value(info: &FileInfo, name: &str) -> Option<String> {
    Some(match name {
        "persistence_state" => info.persistence_name().to_string(),
        "pinned" => info.pinned.to_string(),
        "in_memory_percentage" => info.in_memory_percentage.to_string(),
        "in_alluxio_percentage" => info.in_alluxio_percentage.to_string(),
        "ufs_path" => info.ufs_path.clone(),
        "ttl" => info.ttl.to_string(),
        "block_size_bytes" => info.block_size_bytes.to_string(),
        _ => return None,
    })
}

/// Milliseconds since the epoch as a time (before it when negative).
fn time_of(ms: i64) -> SystemTime {
    let offset = Duration::from_millis(ms.unsigned_abs());
    if ms < 0 {
        UNIX_EPOCH - offset
    } else {
        UNIX_EPOCH + offset
    }
}

/// A time as milliseconds since the epoch, the precision Alluxio keeps.
fn ms_of(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_millis() as i64,
        Err(before) => -(before.duration().as_millis() as i64),
    }
}

impl FuseFs {
    /// What `stat` shows of `info`, as inode `ino`.
    pub(super) fn attr(&self, ino: u64, info: &FileInfo) -> Attr {
        let mut size = info.length;
        let mut mtime = time_of(info.last_modification_time_ms);
        if let Some(progress) = AlluxioPath::new(&info.path)
            .ok()
            .and_then(|path| self.progress(&path))
        {
            size = progress.written.load(Ordering::Acquire);
            mtime = progress.mtime.lock().unwrap_or(mtime);
        }
        let (uid, gid) = if self.options.translate_owners {
            (
                self.principals.uid(&info.owner).unwrap_or(self.options.uid),
                self.principals.gid(&info.group).unwrap_or(self.options.gid),
            )
        } else {
            (self.options.uid, self.options.gid)
        };
        Attr {
            ino,
            size,
            blocks: size.div_ceil(STAT_BLOCK),
            kind: if info.folder {
                FileKind::Directory
            } else {
                FileKind::File
            },
            perm: (info.mode & 0o7777) as u16,
            mtime,
            crtime: time_of(info.creation_time_ms),
            uid,
            gid,
        }
    }

    /// Gives a file or folder just made for `caller` the mode it asked for and, when owners
    /// are translated, the caller as owner; returns its status as it then is.
    pub(super) async fn adopt(
        &self,
        operation: &str,
        path: &AlluxioPath,
        mode: u32,
        caller: Caller,
    ) -> Result<FileInfo, Errno> {
        let info = self.status(operation, path).await?;
        let mut change = SetAttributeOptions::default();
        if info.mode != mode & 0o7777 {
            change.mode = Some(mode & 0o7777);
        }
        if self.options.translate_owners {
            let owner = self.principals.user_name(caller.uid);
            let group = self.principals.group_name(caller.gid);
            change.owner = (info.owner != owner).then_some(owner);
            change.group = (info.group != group).then_some(group);
        }
        if change.mode.is_none() && change.owner.is_none() && change.group.is_none() {
            return Ok(info);
        }
        let gives_away = change.owner.is_some() || change.group.is_some();
        match self.client.set_attribute(path, change.clone()).await {
            Ok(()) => {}
            // Only a superuser gives files away: keep them the mount's, with the asked mode.
            Err(e) if gives_away && e.kind() == ErrorKind::PermissionDenied => {
                tracing::warn!(path = %path, error = %e, "owner translation needs the mount's login user to be a superuser (alluxio.security.authorization.permission.supergroup); the file stays the mount user's");
                let mode_only = SetAttributeOptions {
                    mode: change.mode,
                    ..Default::default()
                };
                if mode_only.mode.is_some() {
                    self.client
                        .set_attribute(path, mode_only)
                        .await
                        .map_err(|e| Errno::of(&e, operation, path.as_str()))?;
                }
            }
            Err(e) => return Err(Errno::of(&e, operation, path.as_str())),
        }
        self.status(operation, path).await
    }

    /// Stores `mtime` as the modification time of `path`.
    pub(super) async fn store_mtime(&self, path: &AlluxioPath, mtime: SystemTime) -> Result<(), ClientError> {
        let change = SetAttributeOptions {
            modification_time_ms: Some(ms_of(mtime)),
            ..Default::default()
        };
        self.client.set_attribute(path, change).await
    }

    /// `setattr`: truncates (see [`SetAttr::size`]), then stores mode, owner, group and
    /// modification time in the namespace; the modification time of a file this mount is
    /// writing is stored once it is complete. The access time is not kept.
    pub async fn setattr(&self, ino: u64, changes: SetAttr) -> Result<Attr, Errno> {
        if let Some(size) = changes.size {
            self.truncate(ino, size).await?;
        }
        let path = self.path_of(ino)?;
        self.bounded("setattr", &path, async {
            let mut mtime = changes.mtime;
            if let Some(time) = mtime {
                // `cp -p` sets times before `close`, `tar x` right after it, before the
                // release that completes the file: held until then (see `release`).
                let writing = self.writing.lock();
                if let Some(progress) = writing.get(&path) {
                    *progress.mtime.lock() = Some(time);
                    mtime = None;
                }
            }
            let change = SetAttributeOptions {
                mode: changes.mode.map(|mode| mode & 0o7777),
                owner: changes.uid.map(|uid| self.principals.user_name(uid)),
                group: changes.gid.map(|gid| self.principals.group_name(gid)),
                modification_time_ms: mtime.map(ms_of),
                ..Default::default()
            };
            let changes_any = change.mode.is_some()
                || change.owner.is_some()
                || change.group.is_some()
                || change.modification_time_ms.is_some();
            if changes_any {
                self.client
                    .set_attribute(&path, change)
                    .await
                    .map_err(|e| Errno::of(&e, "setattr", path.as_str()))?;
            }
            let info = self.status("setattr", &path).await?;
            Ok(self.attr(ino, &info))
        })
        .await
    }

    /// Whether `name` is one of Alluxio's extended attributes (any other has no value).
    pub fn has_xattr(name: &str) -> bool {
        name.strip_prefix(XATTR_PREFIX)
            .is_some_and(|a| XATTRS.contains(&a))
    }

    /// `getxattr`: one of Alluxio's attributes (`user.alluxio.persistence_state`, ...); any
    /// other name has no value (`ENODATA`), answered without asking the master.
    pub async fn getxattr(&self, ino: u64, name: &str) -> Result<Vec<u8>, Errno> {
        let Some(attribute) = name.strip_prefix(XATTR_PREFIX).filter(|a| XATTRS.contains(a)) else {
            return Err(Errno::NODATA);
        };
        let path = self.path_of(ino)?;
        self.bounded("getxattr", &path, async {
            let info = self.status("getxattr", &path).await?;
            xattr_value(&info, attribute)
                .map(String::into_bytes)
                .ok_or(Errno::NODATA)
        })
        .await
    }

    /// `listxattr`: the names of Alluxio's attributes, each followed by a NUL.
    pub fn listxattr(&self, ino: u64) -> Result<Vec<u8>, Errno> {
        self.path_of(ino)?;
        let mut out = Vec::new();
        for name in XATTRS {
            out.extend_from_slice(XATTR_PREFIX.as_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(0);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_before_the_epoch_round_trip() {
        for ms in [-1_500, 0, 1_234_567] {
            assert_eq!(ms_of(time_of(ms)), ms);
        }
    }

    #[test]
    fn every_listed_attribute_has_a_value() {
        let info = FileInfo::default();
        for name in XATTRS {
            assert!(xattr_value(&info, name).is_some(), "{name}");
        }
    }
}
