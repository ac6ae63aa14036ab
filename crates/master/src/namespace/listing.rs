//! Listings page by page: a directory's children, or a whole subtree, in path order, so that a
//! listing of millions of entries never sits in one message or one `Vec` on either side. Each
//! page is read under the tree's read lock. Directories are synced and loaded from the UFS
//! between pages, unlocked: up to [`LOADING_AHEAD`] of those the listing has seen are loaded in
//! parallel ahead of it, so a slow UFS costs one round trip per batch of folders, not per folder.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::{FileInfo, LoadMetadataType};

use super::FileSystemMaster;
use super::permission::Access;
use super::tree::{Inode, Tree};
use crate::MasterError;

/// Entries of a page of a streamed listing.
pub(crate) const LIST_PAGE: usize = 1_000;
/// Directories loaded from the UFS at once ahead of a listing.
pub(crate) const LOADING_AHEAD: usize = 8;

/// A listing in progress.
pub struct Listing {
    fs: Arc<FileSystemMaster>,
    path: AlluxioPath,
    recursive: bool,
    load: LoadMetadataType,
    sync: Option<Duration>,
    started: bool,
    /// The directories being listed, the deepest last.
    frames: Vec<Frame>,
    ahead: LoadingAhead,
}

/// Directories the listing has seen and will list, synced and loaded before it reaches them.
#[derive(Default)]
struct LoadingAhead {
    /// Not started yet, in the order they were seen.
    queued: VecDeque<AlluxioPath>,
    /// Being synced and loaded; dropping the set stops them.
    running: tokio::task::JoinSet<(AlluxioPath, Result<(), MasterError>)>,
    running_dirs: HashSet<AlluxioPath>,
    /// Synced and loaded, not reached yet.
    done: HashSet<AlluxioPath>,
}

/// Where the listing of one directory stands.
struct Frame {
    dir: AlluxioPath,
    /// Whether the directory was synced and loaded from the UFS.
    loaded: bool,
    /// The last child listed.
    after: Option<String>,
    /// Subdirectories listed whose own entries are still to come, by `name/`: in path order they
    /// come once the listing passes that key (after a sibling `a.txt`, before `a0`, for `a`).
    due: BTreeMap<String, AlluxioPath>,
    /// The last child looked at for subdirectories to load ahead, and whether all were.
    scanned: Option<String>,
    scanned_all: bool,
}

impl Frame {
    fn new(dir: AlluxioPath) -> Self {
        Self {
            dir,
            loaded: false,
            after: None,
            due: BTreeMap::new(),
            scanned: None,
            scanned_all: false,
        }
    }

    /// Queues the next subdirectories of this directory (`inode`) to load ahead of the listing,
    /// looking at one page of children at most.
    fn queue_subdirectories(
        &mut self,
        tree: &Tree,
        inode: &Inode,
        queued: &mut VecDeque<AlluxioPath>,
    ) -> Result<(), MasterError> {
        if self.scanned_all {
            return Ok(());
        }
        let scanned = self.scanned.take();
        let mut last = None;
        for (name, id) in tree.children_after(inode.id, scanned.as_deref(), LIST_PAGE) {
            let is_dir = tree.get(id).is_some_and(|child| child.is_dir());
            if is_dir {
                queued.push_back(self.dir.join(&name)?);
            }
            last = Some(name);
            if is_dir && queued.len() == 2 * LOADING_AHEAD {
                break;
            }
        }
        match last {
            Some(name) => self.scanned = Some(name.to_string()),
            None => {
                self.scanned = scanned;
                self.scanned_all = true;
            }
        }
        Ok(())
    }
}

impl LoadingAhead {
    /// Whether `dir` was synced and loaded ahead (waiting for it if that is under way); `false`
    /// when it was not, or failed, and is still to be done. Either way it leaves the queue.
    async fn wait_for(&mut self, dir: &AlluxioPath) -> bool {
        self.queued.retain(|queued| queued != dir);
        while self.running_dirs.contains(dir) {
            match self.running.join_next().await {
                Some(finished) => self.finished(finished),
                None => break,
            }
        }
        self.done.remove(dir)
    }

    fn finished(&mut self, finished: Result<(AlluxioPath, Result<(), MasterError>), tokio::task::JoinError>) {
        // A failed load is left to the listing, which reports the error when it gets there.
        if let Ok((dir, result)) = finished {
            self.running_dirs.remove(&dir);
            if result.is_ok() {
                self.done.insert(dir);
            }
        }
    }
}

impl Listing {
    /// The children of `path` (every entry below it if `recursive`), or the file itself; every
    /// directory listed is first synced with the UFS when last synced longer ago than `sync`
    /// (`None`: never) and loaded as `load` asks.
    pub fn new(
        fs: Arc<FileSystemMaster>,
        path: AlluxioPath,
        recursive: bool,
        load: LoadMetadataType,
        sync: Option<Duration>,
    ) -> Self {
        Self {
            fs,
            path,
            recursive,
            load,
            sync,
            started: false,
            frames: Vec::new(),
            ahead: LoadingAhead::default(),
        }
    }

    /// The next page of at most [`LIST_PAGE`] entries in path order (the first may be empty,
    /// for an empty directory); `None` once everything was listed. A subdirectory deleted while
    /// the listing runs is left out.
    pub async fn next_page(&mut self) -> Result<Option<Vec<FileInfo>>, MasterError> {
        if !self.started {
            self.started = true;
            if let Some(file) = self.start().await? {
                return Ok(Some(vec![file]));
            }
        } else if self.frames.is_empty() {
            return Ok(None);
        }
        let mut page = Vec::new();
        loop {
            self.start_loading_ahead();
            let Some(frame) = self.frames.last_mut() else {
                break;
            };
            if !frame.loaded {
                let dir = frame.dir.clone();
                if !self.ahead.wait_for(&dir).await {
                    self.fs.sync_listing(&dir, self.sync).await?;
                    self.fs.sync_directory(&dir, self.load).await?;
                }
            }
            let Some(frame) = self.frames.last_mut() else {
                break;
            };
            frame.loaded = true;
            let fs = &*self.fs;
            let tree = fs.tree.read();
            let inode = match tree.resolve(&frame.dir) {
                Ok(inode) if inode.is_dir() => inode,
                // Deleted (or replaced by a file) since its parent listed it.
                Ok(_) | Err(MasterError::NotFound(_)) if frame.dir != self.path => {
                    drop(tree);
                    self.frames.pop();
                    continue;
                }
                Ok(_) => return Err(MasterError::NotFound(frame.dir.to_string())),
                Err(err) => return Err(err),
            };
            fs.check(&tree, "list", &frame.dir, Access::Read)?;
            if self.recursive
                && (self.load != LoadMetadataType::Never || self.sync.is_some())
                && self.ahead.queued.len() < LOADING_AHEAD
            {
                frame.queue_subdirectories(&tree, &inode, &mut self.ahead.queued)?;
            }
            let after = frame.after.take();
            let mut children = tree
                .children_after(inode.id, after.as_deref(), LIST_PAGE)
                .into_iter()
                .peekable();
            let mut last: Option<Arc<str>> = None;
            let descend = loop {
                if page.len() == LIST_PAGE {
                    frame.after = last.as_deref().map(ToString::to_string).or_else(|| after.clone());
                    return Ok(Some(page));
                }
                let next_name = children.peek().map(|(name, _)| name.as_ref());
                if let Some(key) = frame.due.keys().next()
                    && next_name.is_none_or(|name| key.as_str() < name)
                {
                    break frame.due.pop_first().map(|(_, dir)| dir);
                }
                let Some((name, id)) = children.next() else {
                    break None;
                };
                let Some(child) = tree.get(id) else { continue };
                let child_path = frame.dir.join(&name)?;
                page.push(fs.file_info(&tree, &child, &child_path));
                if self.recursive && child.is_dir() {
                    frame.due.insert(format!("{name}/"), child_path);
                }
                last = Some(name);
            };
            frame.after = last.as_deref().map(ToString::to_string).or_else(|| after.clone());
            drop(children);
            drop(tree);
            match descend {
                Some(dir) => self.frames.push(Frame::new(dir)),
                None => {
                    self.frames.pop();
                }
            }
        }
        Ok(Some(page))
    }

    /// Starts syncing and loading queued directories while fewer than [`LOADING_AHEAD`] run.
    fn start_loading_ahead(&mut self) {
        let ahead = &mut self.ahead;
        while let Some(finished) = ahead.running.try_join_next() {
            ahead.finished(finished);
        }
        while ahead.running.len() < LOADING_AHEAD
            && let Some(dir) = ahead.queued.pop_front()
        {
            let (fs, load, sync) = (self.fs.clone(), self.load, self.sync);
            ahead.running_dirs.insert(dir.clone());
            ahead.running.spawn(async move {
                let loaded = async {
                    fs.sync_listing(&dir, sync).await?;
                    fs.sync_directory(&dir, load).await
                };
                let result = loaded.await;
                (dir, result)
            });
        }
    }

    /// Checks, syncs and loads the listed path; a file is its own listing.
    async fn start(&mut self) -> Result<Option<FileInfo>, MasterError> {
        let fs = &*self.fs;
        fs.check_before_loading("list", &self.path)?;
        fs.sync_status(&self.path, self.sync).await?;
        fs.load_path(&self.path, self.load).await?;
        let tree = fs.tree.read();
        let inode = tree.resolve(&self.path)?;
        if inode.is_dir() {
            self.frames.push(Frame::new(self.path.clone()));
            return Ok(None);
        }
        fs.check(&tree, "list", &self.path, Access::Read)?;
        Ok(Some(fs.file_info(&tree, &inode, &self.path)))
    }
}

#[cfg(test)]
impl FileSystemMaster {
    /// Every page of a [`Listing`] at once (tests' shorthand).
    pub async fn list_status_synced(
        self: &Arc<Self>,
        path: &AlluxioPath,
        recursive: bool,
        load: LoadMetadataType,
        sync: Option<Duration>,
    ) -> Result<Vec<FileInfo>, MasterError> {
        let mut listing = Listing::new(self.clone(), path.clone(), recursive, load, sync);
        let mut out = Vec::new();
        while let Some(page) = listing.next_page().await? {
            out.extend(page);
        }
        Ok(out)
    }

    /// [`Self::list_status_synced`] without metadata sync.
    pub async fn list_status(
        self: &Arc<Self>,
        path: &AlluxioPath,
        recursive: bool,
        load: LoadMetadataType,
    ) -> Result<Vec<FileInfo>, MasterError> {
        self.list_status_synced(path, recursive, load, None).await
    }
}

#[cfg(test)]
mod tests {
    use alluxio_proto::grpc::LoadMetadataType;

    use super::super::tests::{fixture, p};
    use super::super::tree::InodeKind;
    use super::*;

    async fn pages(listing: &mut Listing) -> Vec<Vec<String>> {
        let mut pages = Vec::new();
        while let Some(page) = listing.next_page().await.expect("page") {
            pages.push(page.into_iter().map(|info| info.path).collect());
        }
        pages
    }

    #[tokio::test]
    async fn a_recursive_listing_comes_in_pages_in_path_order() {
        let f = fixture(100_000);
        let ufs = f.ufs_dir.path();
        for dir in ["a/y", "a0", "big"] {
            std::fs::create_dir_all(ufs.join(dir)).unwrap();
        }
        for file in ["a.txt", "a-b", "a/x", "a/y/z", "a0/k", "b"] {
            std::fs::write(ufs.join(file), b"").unwrap();
        }
        for i in 0..2_500 {
            std::fs::write(ufs.join(format!("big/f{i:04}")), b"").unwrap();
        }
        let mut listing = Listing::new(f.fs.clone(), p("/"), true, LoadMetadataType::Once, None);
        let pages = pages(&mut listing).await;
        assert!(pages.len() >= 3 && pages.iter().all(|page| page.len() <= LIST_PAGE));
        let paths = pages.concat();
        assert_eq!(paths.len(), 4 + 6 + 2_500);
        // "-" and "." sort before "/": a's siblings a-b and a.txt come before a's children.
        assert_eq!(
            paths[..10],
            [
                "/a", "/a-b", "/a.txt", "/a/x", "/a/y", "/a/y/z", "/a0", "/a0/k", "/b", "/big"
            ]
        );
        assert!(paths.is_sorted());
        assert!(listing.next_page().await.unwrap().is_none(), "done stays done");

        let flat =
            f.fs.list_status(&p("/a"), false, LoadMetadataType::Once)
                .await
                .unwrap();
        let names: Vec<&str> = flat.iter().map(|info| info.path.as_str()).collect();
        assert_eq!(names, ["/a/x", "/a/y"]);
        let file =
            f.fs.list_status(&p("/a/x"), true, LoadMetadataType::Once)
                .await
                .unwrap();
        assert_eq!(file.len(), 1, "a file lists as itself");
    }

    #[tokio::test]
    async fn folders_ahead_of_the_listing_are_loaded_in_the_background() {
        let f = fixture(100_000);
        for folder in 0..20 {
            let dir = f.ufs_dir.path().join(format!("d{folder:02}"));
            std::fs::create_dir(&dir).unwrap();
            for i in 0..100 {
                std::fs::write(dir.join(format!("f{i:03}")), b"").unwrap();
            }
        }
        let loaded = |name: &str| {
            let tree = f.fs.tree.read();
            tree.lookup(&p(name)).is_some_and(|inode| {
                matches!(
                    inode.kind,
                    InodeKind::Dir {
                        children_loaded: true
                    }
                )
            })
        };
        let mut listing = Listing::new(f.fs.clone(), p("/"), true, LoadMetadataType::Once, None);
        let first = listing.next_page().await.unwrap().unwrap();
        assert_eq!(
            first.last().unwrap().path,
            "/d09/f089",
            "the listing reached /d09"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !loaded("/d12") {
            assert!(
                std::time::Instant::now() < deadline,
                "/d12 was never loaded ahead"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let rest = pages(&mut listing).await.concat();
        assert_eq!(first.len() + rest.len(), 20 * 101);
    }

    #[tokio::test]
    async fn a_directory_deleted_midway_is_left_out_and_a_missing_path_fails_at_once() {
        let f = fixture(100_000);
        let ufs = f.ufs_dir.path();
        for (dir, files) in [("d1", 1_500), ("d2", 10)] {
            std::fs::create_dir(ufs.join(dir)).unwrap();
            for i in 0..files {
                std::fs::write(ufs.join(format!("{dir}/f{i}")), b"").unwrap();
            }
        }
        f.fs.list_status(&p("/"), true, LoadMetadataType::Once)
            .await
            .unwrap();
        let mut listing = Listing::new(f.fs.clone(), p("/"), true, LoadMetadataType::Never, None);
        let first = listing.next_page().await.unwrap().unwrap();
        assert_eq!(first.len(), LIST_PAGE);
        f.fs.delete(&p("/d2"), true, true).await.unwrap();
        let rest = pages(&mut listing).await.concat();
        assert_eq!(rest.len(), 1 + 1_500 - LIST_PAGE);
        assert!(
            rest.iter().all(|path| path.starts_with("/d1/")),
            "{:?}",
            rest.last()
        );

        let mut missing = Listing::new(f.fs.clone(), p("/nowhere"), true, LoadMetadataType::Once, None);
        assert!(matches!(missing.next_page().await, Err(MasterError::NotFound(_))));
    }
}
