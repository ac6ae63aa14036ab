//! Alluxio owner and group names as the local user and group ids the kernel shows, and back
//! (`alluxio.fuse.user.group.translation.enabled`), through the system's user database with
//! a cache, since `ls -l` asks for every entry.

use std::collections::HashMap;

use nix::unistd::{Gid, Group, Uid, User};
use parking_lot::Mutex;

/// Name and id lookups of users and groups, cached.
#[derive(Default)]
pub struct Principals {
    uids: Mutex<HashMap<String, Option<u32>>>,
    gids: Mutex<HashMap<String, Option<u32>>>,
    user_names: Mutex<HashMap<u32, String>>,
    group_names: Mutex<HashMap<u32, String>>,
}

impl Principals {
    /// The id of user `name`; a name that is a number stands for that id (an owner set by a
    /// `chown` to an id without a name).
    pub fn uid(&self, name: &str) -> Option<u32> {
        cached(&self.uids, name, || match User::from_name(name) {
            Ok(Some(user)) => Some(user.uid.as_raw()),
            _ => name.parse().ok(),
        })
    }

    /// The id of group `name`, as [`Self::uid`].
    pub fn gid(&self, name: &str) -> Option<u32> {
        cached(&self.gids, name, || match Group::from_name(name) {
            Ok(Some(group)) => Some(group.gid.as_raw()),
            _ => name.parse().ok(),
        })
    }

    /// The name of user `uid`, or the number itself when it has none.
    pub fn user_name(&self, uid: u32) -> String {
        let mut names = self.user_names.lock();
        names
            .entry(uid)
            .or_insert_with(|| match User::from_uid(Uid::from_raw(uid)) {
                Ok(Some(user)) => user.name,
                _ => uid.to_string(),
            })
            .clone()
    }

    /// The name of group `gid`, or the number itself when it has none.
    pub fn group_name(&self, gid: u32) -> String {
        let mut names = self.group_names.lock();
        names
            .entry(gid)
            .or_insert_with(|| match Group::from_gid(Gid::from_raw(gid)) {
                Ok(Some(group)) => group.name,
                _ => gid.to_string(),
            })
            .clone()
    }
}

fn cached(
    cache: &Mutex<HashMap<String, Option<u32>>>,
    name: &str,
    look_up: impl FnOnce() -> Option<u32>,
) -> Option<u32> {
    if let Some(id) = cache.lock().get(name) {
        return *id;
    }
    let id = look_up();
    cache.lock().insert(name.to_string(), id);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_bare_numbers_translate_both_ways() {
        let principals = Principals::default();
        assert_eq!(principals.uid("root"), Some(0));
        assert_eq!(principals.gid("root"), Some(0));
        assert_eq!(principals.user_name(0), "root");
        assert_eq!(principals.group_name(0), "root");
        // An id no user has is kept as its number, and the number maps back to it.
        assert_eq!(principals.user_name(4_000_000_000), "4000000000");
        assert_eq!(principals.uid("4000000000"), Some(4_000_000_000));
        assert_eq!(principals.uid("no-such-user-here"), None);
    }
}
