//! Kernel inode numbers for Alluxio paths.
//!
//! The kernel names files by inode number and counts its references (lookups) to each; the
//! number stays valid until the kernel forgets it. Numbers are handed out per path and never
//! reused; a path removed or renamed over is detached at once: its number then names nothing
//! (`ENOENT`) until the kernel forgets it, and a file created there later gets a new number.

use std::collections::HashMap;

use alluxio_client::AlluxioPath;

/// The inode number of the mounted folder.
pub const ROOT_INO: u64 = 1;

struct Node {
    path: AlluxioPath,
    /// Kernel references; the root is never forgotten.
    lookups: u64,
    /// Still the inode of `path` (false once removed or replaced).
    attached: bool,
}

/// Inode numbers and the paths they stand for.
pub struct InodeTable {
    by_ino: HashMap<u64, Node>,
    by_path: HashMap<AlluxioPath, u64>,
    next: u64,
}

impl InodeTable {
    /// A table whose root (inode 1) is `root`.
    pub fn new(root: AlluxioPath) -> Self {
        let mut table = Self {
            by_ino: HashMap::new(),
            by_path: HashMap::new(),
            next: ROOT_INO + 1,
        };
        table.by_path.insert(root.clone(), ROOT_INO);
        table.by_ino.insert(
            ROOT_INO,
            Node {
                path: root,
                lookups: 1,
                attached: true,
            },
        );
        table
    }

    /// The path of `ino`, unless it was forgotten or its file removed.
    pub fn path(&self, ino: u64) -> Option<AlluxioPath> {
        self.by_ino
            .get(&ino)
            .filter(|node| node.attached)
            .map(|node| node.path.clone())
    }

    /// The inode the kernel holds for `path`, if any.
    pub fn ino(&self, path: &AlluxioPath) -> Option<u64> {
        self.by_path.get(path).copied()
    }

    /// The inode of `path` with one more kernel reference (a new number if it has none).
    pub fn remember(&mut self, path: &AlluxioPath) -> u64 {
        if let Some(&ino) = self.by_path.get(path) {
            if let Some(node) = self.by_ino.get_mut(&ino) {
                node.lookups += 1;
            }
            return ino;
        }
        let ino = self.next;
        self.next += 1;
        self.by_path.insert(path.clone(), ino);
        self.by_ino.insert(
            ino,
            Node {
                path: path.clone(),
                lookups: 1,
                attached: true,
            },
        );
        ino
    }

    /// Drops `count` kernel references to `ino`; the number is gone at zero.
    pub fn forget(&mut self, ino: u64, count: u64) {
        if ino == ROOT_INO {
            return;
        }
        let Some(node) = self.by_ino.get_mut(&ino) else {
            return;
        };
        node.lookups = node.lookups.saturating_sub(count);
        if node.lookups == 0 {
            let node = self.by_ino.remove(&ino).expect("present above");
            if node.attached {
                self.by_path.remove(&node.path);
            }
        }
    }

    /// `path` no longer exists (removed, or about to be replaced by a rename).
    pub fn detach(&mut self, path: &AlluxioPath) {
        if let Some(ino) = self.by_path.remove(path)
            && let Some(node) = self.by_ino.get_mut(&ino)
        {
            node.attached = false;
        }
    }

    /// Everything at or below `from` is now at the same place below `to`.
    pub fn rename(&mut self, from: &AlluxioPath, to: &AlluxioPath) {
        self.detach(to);
        let moved: Vec<(AlluxioPath, u64)> = self
            .by_path
            .iter()
            .filter(|(path, _)| *path == from || from.is_ancestor_of(path))
            .map(|(path, ino)| (path.clone(), *ino))
            .collect();
        for (old, ino) in moved {
            let suffix = &old.as_str()[from.as_str().len()..];
            let Ok(new) = AlluxioPath::new(&format!("{}{suffix}", to.as_str())) else {
                continue;
            };
            self.by_path.remove(&old);
            self.by_path.insert(new.clone(), ino);
            if let Some(node) = self.by_ino.get_mut(&ino) {
                node.path = new;
            }
        }
    }

    /// How many inode numbers the kernel holds.
    pub fn len(&self) -> usize {
        self.by_ino.len()
    }

    /// Whether only the root is held.
    pub fn is_empty(&self) -> bool {
        self.by_ino.len() <= 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str) -> AlluxioPath {
        AlluxioPath::new(raw).unwrap()
    }

    #[test]
    fn numbers_are_per_path_until_forgotten() {
        let mut table = InodeTable::new(path("/mnt"));
        assert_eq!(table.path(ROOT_INO), Some(path("/mnt")));
        let a = table.remember(&path("/mnt/a"));
        assert_eq!(table.remember(&path("/mnt/a")), a, "same path, same number");
        table.forget(a, 1);
        assert_eq!(table.path(a), Some(path("/mnt/a")), "one reference left");
        table.forget(a, 1);
        assert_eq!(table.path(a), None);
        assert_ne!(table.remember(&path("/mnt/a")), a, "numbers are never reused");
        table.forget(ROOT_INO, 5);
        assert!(table.path(ROOT_INO).is_some(), "the root stays");
    }

    #[test]
    fn renames_move_the_subtree_and_detach_what_they_replace() {
        let mut table = InodeTable::new(path("/"));
        let dir = table.remember(&path("/d"));
        let file = table.remember(&path("/d/f"));
        let other = table.remember(&path("/e"));
        table.rename(&path("/d"), &path("/e"));
        assert_eq!(table.path(dir), Some(path("/e")));
        assert_eq!(table.path(file), Some(path("/e/f")));
        assert_eq!(table.path(other), None, "the replaced inode names nothing");
        assert_eq!(table.len(), 4, "but is held until forgotten");
        assert_eq!(
            table.remember(&path("/e")),
            dir,
            "the path now names the renamed inode"
        );
        table.forget(other, 1);
        assert_eq!(
            table.path(dir),
            Some(path("/e")),
            "forgetting the old one leaves the new"
        );
        let sibling = table.remember(&path("/dd"));
        table.rename(&path("/e"), &path("/x"));
        assert_eq!(
            table.path(sibling),
            Some(path("/dd")),
            "a name prefix is not a parent"
        );
    }
}
