//! Who may do what: the POSIX permission checks of namespace operations
//! (`alluxio.security.authorization.permission.*`), for the caller the RPC layer names.
//!
//! As in Alluxio, reaching a path needs execute (traverse) permission on every directory above
//! it; reading a path's status or listing it needs read permission on it; creating, deleting or
//! renaming needs write permission on the parent; writing a file's blocks and changing its
//! attributes needs write permission on it; changing the mode needs the owner, the owner the
//! superuser, and the group the owner (who must be in the new group). In a folder with the
//! sticky bit, removing or renaming an entry also needs owning it or the folder. The master's login user
//! and members of the supergroup are superusers, unchecked. So is the master's own work (TTL,
//! persistence, UFS sync), which runs without a caller.

use std::future::Future;
use std::sync::Arc;

use alluxio_proto::AlluxioPath;
use alluxio_proto::names::permission_string;

use super::FileSystemMaster;
use super::metastore::InodeRef;
use super::tree::{Inode, Tree};
use crate::MasterError;

/// The sticky bit of a folder's mode: only an entry's owner, or the folder's, removes it.
const STICKY_BIT: u32 = 0o1000;

tokio::task_local! {
    /// The user a client call comes from, set by the RPC layer around the whole call.
    static CALLER: Arc<Caller>;
}

/// A user calling the master, with the groups the OS gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user the call is served as: its login user, or the user it acts for.
    pub user: String,
    /// The user's groups.
    pub groups: Vec<String>,
}

impl Caller {
    /// Runs `call` as this caller: the namespace checks its permissions and makes it the owner
    /// of what it creates. Shared: the RPC layer keeps one per user for all their calls.
    pub fn scope<F: Future>(self: Arc<Self>, call: F) -> impl Future<Output = F::Output> {
        CALLER.scope(self, call)
    }

    /// The caller of the call being served; `None` for the master's own work.
    pub(crate) fn current() -> Option<Arc<Caller>> {
        CALLER.try_with(Arc::clone).ok()
    }
}

/// A permission bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    Execute,
}

impl Access {
    /// The bit among an owner's, group's or other's three.
    fn bit(self) -> u32 {
        match self {
            Access::Read => 4,
            Access::Write => 2,
            Access::Execute => 1,
        }
    }

    /// As `ls` shows it alone: `r--`, `-w-`, `--x`.
    fn shown(self) -> &'static str {
        match self {
            Access::Read => "r--",
            Access::Write => "-w-",
            Access::Execute => "--x",
        }
    }
}

/// How permissions are checked (from the master's configuration).
#[derive(Debug, Clone)]
pub struct PermissionSettings {
    /// `alluxio.security.authorization.permission.enabled`.
    pub enabled: bool,
    /// `alluxio.security.authorization.permission.supergroup`.
    pub supergroup: String,
}

impl FileSystemMaster {
    /// The checks of the caller against `tree`, or `None` when nothing is checked: the
    /// master's own work, checks off, or a superuser.
    fn checked_caller<'a>(&'a self, tree: &'a Tree) -> Option<Check<'a>> {
        let caller = Caller::current()?;
        let superuser = self.is_superuser(&caller);
        (self.settings.permissions.enabled && !superuser).then_some(Check {
            tree,
            caller,
            default_owner: &self.settings.owner,
            default_group: &self.settings.group,
        })
    }

    /// Whether `caller` is a superuser: the master's login user or a member of the supergroup.
    fn is_superuser(&self, caller: &Caller) -> bool {
        caller.user == self.settings.owner || caller.groups.contains(&self.settings.permissions.supergroup)
    }

    /// Whether the call being served comes from a superuser (workers run as the master's user),
    /// or from no user at all (the master's own work, NOSASL): they may see a mount's
    /// credentials.
    pub fn caller_is_superuser(&self) -> bool {
        Caller::current().is_none_or(|caller| self.is_superuser(&caller))
    }

    /// The group an inode created in `dir` takes.
    pub(crate) fn group_in(&self, dir: &Inode) -> String {
        self.group_of(dir).to_string()
    }

    /// Who owns `inode`: its owner, or the master's user for inodes recorded without one.
    pub(crate) fn owner_of<'a>(&'a self, inode: &'a Inode) -> &'a str {
        or_default(inode.owner(), &self.settings.owner)
    }

    /// The group of `inode`: its group, or the master's for inodes recorded without one.
    pub(crate) fn group_of<'a>(&'a self, inode: &'a Inode) -> &'a str {
        or_default(inode.group(), &self.settings.group)
    }

    /// Owner of an inode the current call creates: the caller, or the master's user.
    pub(crate) fn new_owner(&self) -> String {
        Caller::current().map_or_else(|| self.settings.owner.clone(), |caller| caller.user.clone())
    }

    /// `access` on the inode at `path` (when it exists), and traversal of every directory above.
    pub(crate) fn check(
        &self,
        tree: &Tree,
        operation: &'static str,
        path: &AlluxioPath,
        access: Access,
    ) -> Result<(), MasterError> {
        self.check_path(tree, operation, path, access, false)
    }

    /// Like [`Self::check`], but the inode's owner needs no bit: a writer adds blocks to and
    /// completes the file it created whatever mode it gave it (`open(O_CREAT, 0444)` writes,
    /// as POSIX lets a descriptor opened for writing write), and sees what it created.
    pub(crate) fn check_owner_or(
        &self,
        tree: &Tree,
        operation: &'static str,
        path: &AlluxioPath,
        access: Access,
    ) -> Result<(), MasterError> {
        self.check_path(tree, operation, path, access, true)
    }

    /// Traversal down to `path`, and `access` on its inode when it exists (unless the caller
    /// owns it and `owner_exempt`).
    fn check_path(
        &self,
        tree: &Tree,
        operation: &'static str,
        path: &AlluxioPath,
        access: Access,
        owner_exempt: bool,
    ) -> Result<(), MasterError> {
        let Some(check) = self.checked_caller(tree) else {
            return Ok(());
        };
        let (reached, walked) = check
            .traverse(path)
            .map_err(|denial| denial.of(operation, path))?;
        let exempt = owner_exempt && check.caller.user == or_default(reached.owner(), check.default_owner);
        if walked == path.depth() && !exempt {
            check
                .permit(&reached, access)
                .map_err(|d| d.of(operation, path))?;
        }
        Ok(())
    }

    /// `access` on the parent of `path` (its deepest existing ancestor, for an operation that
    /// creates the missing ones), and traversal of every directory down to it.
    pub(crate) fn check_parent(
        &self,
        tree: &Tree,
        operation: &'static str,
        path: &AlluxioPath,
        access: Access,
    ) -> Result<(), MasterError> {
        let Some(check) = self.checked_caller(tree) else {
            return Ok(());
        };
        let Some(parent) = path.parent() else {
            return Ok(());
        };
        let (reached, _) = check
            .traverse(&parent)
            .map_err(|denial| denial.of(operation, path))?;
        check.permit(&reached, access).map_err(|d| d.of(operation, path))
    }

    /// What removing the existing `path` from its folder needs (delete, rename away): write on
    /// the folder, and, when the folder has the sticky bit (`chmod 1777`, as `/tmp`), owning
    /// the entry or the folder.
    pub(crate) fn check_removal(
        &self,
        tree: &Tree,
        operation: &'static str,
        path: &AlluxioPath,
    ) -> Result<(), MasterError> {
        self.check_parent(tree, operation, path, Access::Write)?;
        let Some(check) = self.checked_caller(tree) else {
            return Ok(());
        };
        let (Some(parent), Ok(entry)) = (path.parent(), tree.resolve(path)) else {
            return Ok(());
        };
        let Ok(folder) = tree.resolve(&parent) else {
            return Ok(());
        };
        match check.sticky_refusal(&folder, &entry) {
            None => Ok(()),
            Some(reason) => Err(MasterError::PermissionDenied {
                operation,
                path: path.to_string(),
                reason,
            }),
        }
    }

    /// Write permission on every non-empty directory under `inode`, whose children a
    /// recursive delete removes; in one with the sticky bit, owning each child or the folder.
    pub(crate) fn check_subtree(
        &self,
        tree: &Tree,
        operation: &'static str,
        path: &AlluxioPath,
        inode: &Inode,
    ) -> Result<(), MasterError> {
        let Some(check) = self.checked_caller(tree) else {
            return Ok(());
        };
        for id in tree.subtree(inode.id) {
            let Some(dir) = tree.get(id) else { continue };
            let children = tree.children_after(id, None, usize::MAX);
            let children: Vec<_> = children.iter().filter_map(|(_, id)| tree.get(*id)).collect();
            check.taking_out(&dir, &children, operation, path)?;
        }
        Ok(())
    }

    /// What one step of a recursive delete needs for each of its `pieces` (a subtree's root
    /// with its parent): taking the root out of its parent, and [`Self::check_subtree`] below.
    pub(crate) fn check_pieces(
        &self,
        tree: &Tree,
        operation: &'static str,
        path: &AlluxioPath,
        pieces: &[(u64, u64)],
    ) -> Result<(), MasterError> {
        let Some(check) = self.checked_caller(tree) else {
            return Ok(());
        };
        for (parent, piece) in pieces {
            let (Some(dir), Some(root)) = (tree.get(*parent), tree.get(*piece)) else {
                continue;
            };
            check.taking_out(&dir, std::slice::from_ref(&root), operation, path)?;
            self.check_subtree(tree, operation, path, &root)?;
        }
        Ok(())
    }

    /// `access` on each inode of `ids` (those a recursive change touches).
    pub(crate) fn check_each(
        &self,
        tree: &Tree,
        operation: &'static str,
        path: &AlluxioPath,
        ids: &[u64],
        access: Access,
    ) -> Result<(), MasterError> {
        let Some(check) = self.checked_caller(tree) else {
            return Ok(());
        };
        for inode in ids.iter().filter_map(|id| tree.get(*id)) {
            check.permit(&inode, access).map_err(|d| d.of(operation, path))?;
        }
        Ok(())
    }

    /// Whether the caller may change `inode`'s owner (a superuser only), group (its owner, to
    /// a group they are in) or mode (its owner).
    pub(crate) fn check_attribute_owner(
        &self,
        tree: &Tree,
        inode: &Inode,
        owner: Option<&str>,
        group: Option<&str>,
        mode: bool,
    ) -> Result<(), MasterError> {
        let Some(Check { caller, .. }) = self.checked_caller(tree) else {
            return Ok(());
        };
        let owned_by = self.owner_of(inode);
        let denied = |reason: String| MasterError::PermissionDenied {
            operation: "set the owner, group or mode of",
            path: shown_path(tree, inode),
            reason,
        };
        if owner.is_some_and(|owner| owner != owned_by) {
            return Err(denied(format!(
                "user={} is not a superuser (the master's user {} or a member of its supergroup {}); only a superuser changes owners",
                caller.user, self.settings.owner, self.settings.permissions.supergroup
            )));
        }
        if (mode || group.is_some()) && caller.user != owned_by {
            return Err(denied(format!(
                "user={} is not the owner ({owned_by}) of the inode",
                caller.user
            )));
        }
        if let Some(group) = group
            && group != self.group_of(inode)
            && !caller.groups.iter().any(|mine| mine == group)
        {
            return Err(denied(format!("user={} is not in group {group}", caller.user)));
        }
        Ok(())
    }
}

/// A missing bit, before the operation is known.
struct Denial {
    user: String,
    access: Access,
    /// Where the bit is missing.
    at: String,
    owner: String,
    group: String,
    mode: u32,
}

impl Denial {
    fn of(self, operation: &'static str, path: &AlluxioPath) -> MasterError {
        MasterError::PermissionDenied {
            operation,
            path: path.to_string(),
            reason: format!(
                "user={} needs {} on {} (owner {}, group {}, mode {})",
                self.user,
                self.access.shown(),
                self.at,
                self.owner,
                self.group,
                permission_string(self.mode)
            ),
        }
    }
}

/// One caller's checks against one state of the tree.
struct Check<'a> {
    tree: &'a Tree,
    caller: Arc<Caller>,
    /// Whom an inode without owner or group belongs to (the root, until someone changes it).
    default_owner: &'a str,
    default_group: &'a str,
}

impl Check<'_> {
    /// Walks from the root towards `path` while it exists, needing execute permission on every
    /// directory it passes through; returns the deepest inode reached and its depth.
    fn traverse(&self, path: &AlluxioPath) -> Result<(InodeRef<'_>, usize), Denial> {
        let mut inode = self.tree.root();
        let mut depth = 0;
        for name in path.components() {
            if !inode.is_dir() {
                break;
            }
            let Some(child) = self.tree.child(inode.id, name).and_then(|id| self.tree.get(id)) else {
                break;
            };
            self.permit(&inode, Access::Execute)?;
            inode = child;
            depth += 1;
        }
        Ok((inode, depth))
    }

    /// Why the sticky bit of `folder` keeps the caller from removing `entry` (they own neither),
    /// or `None` if it does not.
    fn sticky_refusal(&self, folder: &Inode, entry: &Inode) -> Option<String> {
        let user = self.caller.user.as_str();
        let entry_owner = or_default(entry.owner(), self.default_owner);
        let folder_owner = or_default(folder.owner(), self.default_owner);
        if folder.mode & STICKY_BIT == 0 || user == entry_owner || user == folder_owner {
            return None;
        }
        Some(format!(
            "user={user} owns neither {} (owner {entry_owner}) nor {} (owner {folder_owner}), whose \
             sticky bit (mode {}) lets only owners remove entries",
            shown_path(self.tree, entry),
            shown_path(self.tree, folder),
            permission_string(folder.mode)
        ))
    }

    /// What removing `children` from `dir` needs: write permission on `dir` (unless there
    /// are none), and, with its sticky bit, owning each child or `dir`.
    fn taking_out(
        &self,
        dir: &Inode,
        children: &[InodeRef<'_>],
        operation: &'static str,
        path: &AlluxioPath,
    ) -> Result<(), MasterError> {
        if children.is_empty() {
            return Ok(());
        }
        self.permit(dir, Access::Write)
            .map_err(|d| d.of(operation, path))?;
        match children.iter().find_map(|child| self.sticky_refusal(dir, child)) {
            None => Ok(()),
            Some(reason) => Err(MasterError::PermissionDenied {
                operation,
                path: path.to_string(),
                reason,
            }),
        }
    }

    /// Whether the caller has `access` on `inode`: the owner's bits if they own it, else the
    /// group's if they are in its group, else the others'.
    fn permit(&self, inode: &Inode, access: Access) -> Result<(), Denial> {
        let owner = or_default(inode.owner(), self.default_owner);
        let group = or_default(inode.group(), self.default_group);
        let shift = if self.caller.user == owner {
            6
        } else if self.caller.groups.iter().any(|mine| mine == group) {
            3
        } else {
            0
        };
        if inode.mode >> shift & access.bit() != 0 {
            return Ok(());
        }
        Err(Denial {
            user: self.caller.user.clone(),
            access,
            at: shown_path(self.tree, inode),
            owner: owner.to_string(),
            group: group.to_string(),
            mode: inode.mode,
        })
    }
}

/// The path of `inode` for a message.
fn shown_path(tree: &Tree, inode: &Inode) -> String {
    tree.path_of(inode.id)
        .map_or_else(|| inode.name.to_string(), |path| path.to_string())
}

fn or_default<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.is_empty() { default } else { value }
}
