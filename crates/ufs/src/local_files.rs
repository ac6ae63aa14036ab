//! This host's files seen through POSIX calls: status and listings with owner, group and mode
//! (OpenDAL's `fs` service reports none of them), and writing those back. A listing costs one
//! `stat` per entry in one blocking task, where OpenDAL took a listing plus an async stat each.

use std::collections::HashMap;
use std::fs::{self, Metadata, Permissions};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::unistd::{Gid, Group, Uid, User};
use parking_lot::Mutex;

use crate::{UfsAccess, UfsStatus, writer};

/// Permission bits a mode keeps (with setuid, setgid and sticky).
const MODE_BITS: u32 = 0o7777;

/// Names of the OS's users and groups by id, looked up once each (NSS calls are slow and a
/// listing names the same few owners again and again).
#[derive(Default)]
pub(crate) struct LocalFiles {
    users: Mutex<HashMap<u32, String>>,
    groups: Mutex<HashMap<u32, String>>,
    /// Set once a change of owner was refused (only root may give files away); later refusals
    /// are logged at debug level.
    chown_refusal_logged: AtomicBool,
}

/// Whether `err` means nothing is at the path (or a file stands where a folder was expected).
fn is_absent(err: &io::Error) -> bool {
    matches!(err.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory)
}

impl LocalFiles {
    /// The status of `path`, named `name`; `None` if nothing is there. Symbolic links are
    /// followed, as by every other operation on the local UFS.
    pub(crate) fn status(&self, path: &Path, name: &str) -> io::Result<Option<UfsStatus>> {
        match fs::metadata(path) {
            Ok(meta) => Ok(Some(self.status_of(name, &meta))),
            Err(err) if is_absent(&err) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The entries of directory `path` sorted by name, without Alluxio's temporary files and
    /// names that are not UTF-8 (no Alluxio path can hold them); `None` if it is no directory.
    pub(crate) fn list(&self, path: &Path) -> io::Result<Option<Vec<UfsStatus>>> {
        let entries = match fs::read_dir(path) {
            Ok(entries) => entries,
            Err(err) if is_absent(&err) => return Ok(None),
            Err(err) => return Err(err),
        };
        let mut children = Vec::new();
        for entry in entries {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                tracing::debug!(dir = %path.display(), name = ?entry.file_name(), "UFS name is not UTF-8; left out");
                continue;
            };
            if writer::is_temporary_name(&name) {
                continue;
            }
            // Gone since the listing, or a link to nothing: not an entry Alluxio can load.
            if let Some(status) = self.status(&entry.path(), &name)? {
                children.push(status);
            }
        }
        children.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(children))
    }

    /// Gives `path` the mode of `access`, and its owner and group where the OS knows those
    /// names and lets this process give the file away (only root may). A name the OS does not
    /// know, or a refused change of owner, leaves the owner as it is: Alluxio keeps its own.
    pub(crate) fn set_access(&self, path: &Path, access: &UfsAccess) -> io::Result<()> {
        let meta = fs::metadata(path)?;
        if meta.mode() & MODE_BITS != access.mode & MODE_BITS {
            fs::set_permissions(path, Permissions::from_mode(access.mode & MODE_BITS))?;
        }
        let uid = (self.user_name(meta.uid()) != access.owner)
            .then(|| os_user_id(&access.owner))
            .flatten();
        let gid = (self.group_name(meta.gid()) != access.group)
            .then(|| os_group_id(&access.group))
            .flatten();
        if uid.is_none() && gid.is_none() {
            return Ok(());
        }
        match std::os::unix::fs::chown(path, uid, gid) {
            Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
                let first = !self.chown_refusal_logged.swap(true, Ordering::Relaxed);
                if first {
                    tracing::warn!(path = %path.display(), owner = %access.owner, group = %access.group, error = %err,
                        "the local UFS keeps its files' owners: only a master running as root can give files to other users (further refusals are logged at debug level)");
                } else {
                    tracing::debug!(path = %path.display(), owner = %access.owner, group = %access.group, "local UFS owner not changed: {err}");
                }
                Ok(())
            }
            other => other,
        }
    }

    fn status_of(&self, name: &str, meta: &Metadata) -> UfsStatus {
        let modified_ms = meta.mtime().saturating_mul(1000) + meta.mtime_nsec() / 1_000_000;
        UfsStatus {
            name: name.to_string(),
            is_dir: meta.is_dir(),
            length: if meta.is_dir() { 0 } else { meta.len() },
            last_modified_ms: modified_ms,
            access: Some(UfsAccess {
                owner: self.user_name(meta.uid()),
                group: self.group_name(meta.gid()),
                mode: meta.mode() & MODE_BITS,
            }),
        }
    }

    /// The OS's name of user `uid`, or the number if it has none.
    fn user_name(&self, uid: u32) -> String {
        cached_name(&self.users, uid, |id| {
            User::from_uid(Uid::from_raw(id))
                .ok()
                .flatten()
                .map(|user| user.name)
        })
    }

    /// The OS's name of group `gid`, or the number if it has none.
    fn group_name(&self, gid: u32) -> String {
        cached_name(&self.groups, gid, |id| {
            Group::from_gid(Gid::from_raw(id))
                .ok()
                .flatten()
                .map(|group| group.name)
        })
    }
}

fn cached_name(
    cache: &Mutex<HashMap<u32, String>>,
    id: u32,
    lookup: impl FnOnce(u32) -> Option<String>,
) -> String {
    if let Some(name) = cache.lock().get(&id) {
        return name.clone();
    }
    let name = lookup(id).unwrap_or_else(|| id.to_string());
    cache.lock().insert(id, name.clone());
    name
}

/// The id of the OS user `name` (a number names itself); `None` if the OS has no such user.
fn os_user_id(name: &str) -> Option<u32> {
    match User::from_name(name) {
        Ok(Some(user)) => Some(user.uid.as_raw()),
        _ => name.parse().ok(),
    }
}

/// The id of the OS group `name` (a number names itself); `None` if the OS has no such group.
fn os_group_id(name: &str) -> Option<u32> {
    match Group::from_name(name) {
        Ok(Some(group)) => Some(group.gid.as_raw()),
        _ => name.parse().ok(),
    }
}
