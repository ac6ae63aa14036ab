//! The mount table: which under file system serves which Alluxio path. It is part of the inode
//! tree's state and changes only through journal entries (`journal_apply.rs`), so it survives
//! restarts with the namespace. The root mount comes from the configuration and is not stored.

use std::collections::BTreeMap;

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::JournalAddMountPoint;
pub use alluxio_ufs::ROOT_MOUNT_ID;
use alluxio_ufs::UfsUri;

use crate::MasterError;
use crate::journal_apply::ApplyError;

/// One mounted under file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInfo {
    /// Unique id (the mount point directory's inode id; [`ROOT_MOUNT_ID`] for `/`), never reused.
    pub mount_id: u64,
    /// URI of the UFS directory mounted.
    pub ufs_uri: String,
    /// Writes under the mount point are refused.
    pub read_only: bool,
    /// Whether the UFS is shared with other users (reported only).
    pub shared: bool,
    /// UFS properties for this mount only (credentials, endpoint ...).
    pub options: BTreeMap<String, String>,
}

impl MountInfo {
    /// The options as shown to users: secrets (credentials) replaced by `******`. Only workers
    /// and superusers get them whole (GetUfsInfo).
    pub fn shown_options(&self) -> BTreeMap<String, String> {
        self.options
            .iter()
            .map(|(key, value)| (key.clone(), alluxio_conf::displayed_value(key, value.clone())))
            .collect()
    }

    /// Where `path`, at or below the mount point `point`, lives in this UFS.
    pub fn ufs_path(&self, point: &AlluxioPath, path: &AlluxioPath) -> String {
        let relative = path.as_str().strip_prefix(point.as_str()).unwrap_or("");
        alluxio_ufs::join(&self.ufs_uri, relative)
    }

    /// The mount described by an AddMountPoint journal entry.
    pub fn from_entry(entry: &JournalAddMountPoint) -> Self {
        Self {
            mount_id: entry.mount_id,
            ufs_uri: entry.ufs_uri.clone(),
            read_only: entry.read_only,
            shared: entry.shared,
            options: entry.properties.clone().into_iter().collect(),
        }
    }
}

/// The mounts below the root, by mount point.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountTable {
    mounts: BTreeMap<AlluxioPath, MountInfo>,
}

impl MountTable {
    /// The deepest mount point at or above `path` and its mount; `None` means the root mount.
    pub fn resolve(&self, path: &AlluxioPath) -> Option<(&AlluxioPath, &MountInfo)> {
        self.mounts
            .iter()
            .filter(|(point, _)| point.is_ancestor_of(path))
            .max_by_key(|(point, _)| point.depth())
    }

    /// The mount with this id.
    pub fn by_id(&self, mount_id: u64) -> Option<(&AlluxioPath, &MountInfo)> {
        self.mounts.iter().find(|(_, info)| info.mount_id == mount_id)
    }

    /// Whether `path` is a mount point below the root.
    pub fn is_mount_point(&self, path: &AlluxioPath) -> bool {
        self.mounts.contains_key(path)
    }

    /// Mount points at or below `path`.
    pub fn points_under<'a>(&'a self, path: &'a AlluxioPath) -> impl Iterator<Item = &'a AlluxioPath> {
        self.mounts.keys().filter(move |point| path.is_ancestor_of(point))
    }

    /// Whether only the root is mounted.
    pub fn is_empty(&self) -> bool {
        self.mounts.is_empty()
    }

    /// Every mount below the root, by mount point.
    pub fn iter(&self) -> impl Iterator<Item = (&AlluxioPath, &MountInfo)> {
        self.mounts.iter()
    }

    /// Checks Alluxio's rules for mounting `ufs_uri` at `point` next to the existing mounts and
    /// the root mount `root`: the point is new and not inside another mount, and the UFS
    /// directory is neither inside nor above another mount's.
    pub fn check_new(&self, root: &MountInfo, point: &AlluxioPath, ufs_uri: &str) -> Result<(), MasterError> {
        if point.is_root() || self.mounts.contains_key(point) {
            return Err(MasterError::MountPointExists(point.to_string()));
        }
        if let Some((parent_point, _)) = self.resolve(point) {
            return Err(MasterError::MountPointPrefix {
                prefix: parent_point.to_string(),
                path: point.to_string(),
            });
        }
        let new = UfsUri::parse(ufs_uri)?;
        let root_point = AlluxioPath::root();
        let existing = std::iter::once((&root_point, root)).chain(self.mounts.iter());
        for (_, mounted) in existing {
            let Ok(old) = UfsUri::parse(&mounted.ufs_uri) else {
                continue;
            };
            if old.scheme != new.scheme || old.authority != new.authority {
                continue;
            }
            let (inner, outer) = if has_prefix(&new.path, &old.path) {
                (ufs_uri, mounted.ufs_uri.as_str())
            } else if has_prefix(&old.path, &new.path) {
                (mounted.ufs_uri.as_str(), ufs_uri)
            } else {
                continue;
            };
            return Err(MasterError::MountPointPrefix {
                prefix: outer.to_string(),
                path: inner.to_string(),
            });
        }
        Ok(())
    }

    /// Adds a mount (journal apply).
    pub(crate) fn add(&mut self, point: AlluxioPath, info: MountInfo) -> Result<(), ApplyError> {
        if point.is_root() || self.mounts.contains_key(&point) {
            return Err(ApplyError::MountPointExists(point));
        }
        self.mounts.insert(point, info);
        Ok(())
    }

    /// Removes a mount (journal apply).
    pub(crate) fn remove(&mut self, point: &AlluxioPath) -> Result<MountInfo, ApplyError> {
        self.mounts
            .remove(point)
            .ok_or_else(|| ApplyError::NotAMountPoint(point.clone()))
    }
}

/// Whether UFS path `path` is `prefix` or lies below it (both normalised, absolute).
fn has_prefix(path: &str, prefix: &str) -> bool {
    prefix == "/"
        || path == prefix
        || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// Alluxio's name for the kind of UFS behind `uri` (`local`, `s3`, `hdfs`, `gcs`, `wasb`).
pub fn ufs_type(uri: &str) -> String {
    match UfsUri::parse(uri).map(|u| u.scheme) {
        Ok(scheme) => match scheme.as_str() {
            "file" => "local".into(),
            "s3a" | "s3n" => "s3".into(),
            "gs" => "gcs".into(),
            "wasbs" => "wasb".into(),
            _ => scheme,
        },
        Err(_) => "unknown".into(),
    }
}

/// Capacity and used bytes of the file system holding a local UFS directory; -1 for both when
/// the UFS is not local or cannot tell (object stores have no capacity).
pub fn ufs_space(uri: &str) -> (i64, i64) {
    let local = match UfsUri::parse(uri) {
        Ok(parsed) if parsed.scheme == "file" => parsed.path,
        _ => return (-1, -1),
    };
    match rustix::fs::statvfs(local.as_str()) {
        Ok(stat) => {
            let capacity = stat.f_blocks.saturating_mul(stat.f_frsize);
            let used = stat
                .f_blocks
                .saturating_sub(stat.f_bfree)
                .saturating_mul(stat.f_frsize);
            (capacity as i64, used as i64)
        }
        Err(_) => (-1, -1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str) -> AlluxioPath {
        AlluxioPath::new(raw).unwrap()
    }

    fn mount(id: u64, uri: &str) -> MountInfo {
        MountInfo {
            mount_id: id,
            ufs_uri: uri.into(),
            read_only: false,
            shared: false,
            options: BTreeMap::new(),
        }
    }

    fn table() -> (MountInfo, MountTable) {
        let mut table = MountTable::default();
        table.add(path("/mnt/foo"), mount(7, "/data/foo")).unwrap();
        table.add(path("/mnt/bar"), mount(8, "s3://bucket/bar")).unwrap();
        (mount(ROOT_MOUNT_ID, "/data/root"), table)
    }

    #[test]
    fn resolves_to_the_deepest_mount_point() {
        let (_, table) = table();
        assert!(table.resolve(&path("/mnt")).is_none());
        assert!(table.resolve(&path("/mnt/foobar")).is_none());
        let (point, info) = table.resolve(&path("/mnt/foo/x/y")).unwrap();
        assert_eq!(point.as_str(), "/mnt/foo");
        assert_eq!(info.ufs_path(point, &path("/mnt/foo/x/y")), "/data/foo/x/y");
        assert_eq!(info.ufs_path(point, point), "/data/foo");
        let (point, info) = table.resolve(&path("/mnt/bar/k")).unwrap();
        assert_eq!(info.ufs_path(point, &path("/mnt/bar/k")), "s3://bucket/bar/k");
        assert_eq!(table.by_id(8).map(|(p, _)| p.as_str()), Some("/mnt/bar"));
    }

    #[test]
    fn rejects_what_alluxio_rejects() {
        let (root, table) = table();
        let message =
            |point: &str, uri: &str| table.check_new(&root, &path(point), uri).unwrap_err().to_string();
        assert_eq!(
            message("/mnt/foo", "/other"),
            "Mount point /mnt/foo already exists"
        );
        assert_eq!(message("/", "/other"), "Mount point / already exists");
        assert_eq!(
            message("/mnt/foo/in", "/other"),
            "Mount point /mnt/foo is a prefix of /mnt/foo/in"
        );
        assert_eq!(
            message("/x", "/data/foo/sub"),
            "Mount point /data/foo is a prefix of /data/foo/sub"
        );
        assert_eq!(
            message("/x", "/data"),
            "Mount point /data is a prefix of /data/root"
        );
        assert_eq!(
            message("/x", "/data/root/y"),
            "Mount point /data/root is a prefix of /data/root/y"
        );
        assert_eq!(
            message("/x", "s3://bucket/"),
            "Mount point s3://bucket/ is a prefix of s3://bucket/bar"
        );
        table.check_new(&root, &path("/x"), "/data/foobar").unwrap();
        table.check_new(&root, &path("/x"), "s3://other/bar").unwrap();
        table
            .check_new(&root, &path("/mnt/baz"), "hdfs://nn:9000/data/foo")
            .unwrap();
    }

    #[test]
    fn conflicts_reach_clients_as_invalid_arguments_naming_the_mount_point() {
        let (root, table) = table();
        let status = |point: &str, uri: &str| {
            tonic::Status::from(table.check_new(&root, &path(point), uri).unwrap_err())
        };
        let exists = status("/mnt/foo", "/other");
        assert_eq!(exists.code(), tonic::Code::InvalidArgument);
        assert!(exists.message().contains("/mnt/foo"), "{}", exists.message());
        let nested = status("/mnt/foo/in", "/other");
        assert_eq!(nested.code(), tonic::Code::InvalidArgument);
        assert!(nested.message().contains("/mnt/foo/in"), "{}", nested.message());
        let overlap = status("/x", "/data/foo/sub");
        assert_eq!(overlap.code(), tonic::Code::InvalidArgument);
        assert!(
            overlap.message().contains("/data/foo/sub"),
            "{}",
            overlap.message()
        );
    }

    #[test]
    fn journal_changes_name_the_mount_point_they_do_not_fit() {
        let (_, mut table) = table();
        assert_eq!(
            table.add(path("/mnt/foo"), mount(9, "/d")),
            Err(ApplyError::MountPointExists(path("/mnt/foo")))
        );
        assert_eq!(
            table.add(AlluxioPath::root(), mount(9, "/d")),
            Err(ApplyError::MountPointExists(AlluxioPath::root()))
        );
        assert_eq!(
            table.remove(&path("/mnt")),
            Err(ApplyError::NotAMountPoint(path("/mnt")))
        );
        assert_eq!(table.remove(&path("/mnt/foo")).map(|info| info.mount_id), Ok(7));
    }

    #[test]
    fn names_ufs_types_like_alluxio() {
        assert_eq!(ufs_type("/tmp/x"), "local");
        assert_eq!(ufs_type("s3a://b/k"), "s3");
        assert_eq!(ufs_type("hdfs://nn:9000/"), "hdfs");
        assert_eq!(ufs_type("gs://b/"), "gcs");
    }
}
