//! Open directories: a listing read from the master a page at a time, in name order, so a
//! folder of millions of entries is never held whole, and `ls` starts printing at once.
//!
//! Offsets are the kernel's cookies: 0 starts the listing, 1 follows `.`, 2 follows `..` and
//! `3 + i` follows the entry numbered `i`. The kernel reads on from the last cookie it got; a
//! cookie before the page in hand (`rewinddir`) lists again from the start.

use alluxio_client::{AlluxioPath, FileInfo, ListStatusOptions};

use super::{Attr, FileKind, FuseFs, known_or_stand_in};
use crate::errno::Errno;

/// Entries asked of the master at a time.
const PAGE: u32 = 1000;
/// The cookie after `..`: entry `i` is followed by cookie `DOTS + 1 + i`.
const DOTS: u64 = 2;

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The kernel's cookie of the entry after this one.
    pub offset: u64,
    /// Its name.
    pub name: String,
    /// Its attributes; the inode number is the one the kernel holds for it, else a stable
    /// stand-in derived from its path (see [`FuseFs::looked_up`]).
    pub attr: Attr,
    /// Its path (`None` for `.` and `..`).
    path: Option<AlluxioPath>,
}

impl DirEntry {
    /// File or directory.
    pub fn kind(&self) -> FileKind {
        self.attr.kind
    }
}

/// An open directory.
pub(super) struct Listing {
    dir: AlluxioPath,
    /// The directory's attributes, which `.` and `..` show.
    attr: Attr,
    /// The page in hand, whose first entry is entry number `base`.
    page: Vec<FileInfo>,
    base: u64,
    /// Whether the master has no entries after this page.
    last: bool,
}

impl FuseFs {
    /// `opendir`: a handle listing the directory `ino`.
    pub async fn opendir(&self, ino: u64) -> Result<u64, Errno> {
        let dir = self.path_of(ino)?;
        let info = self
            .bounded("opendir", &dir, self.status("opendir", &dir))
            .await?;
        if !info.folder {
            return Err(Errno::NOTDIR);
        }
        let listing = Listing {
            attr: self.attr(ino, &info),
            dir,
            page: Vec::new(),
            base: 0,
            last: false,
        };
        let fh = self.next_handle();
        self.listings
            .lock()
            .insert(fh, std::sync::Arc::new(tokio::sync::Mutex::new(listing)));
        Ok(fh)
    }

    /// `readdir`: up to `max` entries from cookie `offset`, within the page holding it (none
    /// at the end of the listing); the kernel asks again from the last one it could take, so
    /// `max` is about what its reply buffer holds.
    pub async fn readdir(&self, fh: u64, offset: u64, max: usize) -> Result<Vec<DirEntry>, Errno> {
        let listing = self.listings.lock().get(&fh).cloned().ok_or(Errno::BADF)?;
        let mut listing = listing.lock().await;
        let dir = listing.dir.clone();
        let listing = &mut *listing;
        self.bounded("readdir", &dir, async {
            let mut out = Vec::new();
            for (cookie, name) in [(1, "."), (2, "..")] {
                if offset < cookie {
                    out.push(DirEntry {
                        offset: cookie,
                        name: name.to_string(),
                        attr: listing.attr.clone(),
                        path: None,
                    });
                }
            }
            let wanted = offset.saturating_sub(DOTS);
            if wanted < listing.base {
                *listing = Listing {
                    page: Vec::new(),
                    base: 0,
                    last: false,
                    dir: listing.dir.clone(),
                    attr: listing.attr.clone(),
                };
            }
            while wanted >= listing.base + listing.page.len() as u64 && !listing.last {
                let start_after = listing.page.last().map(|info| info.name.clone());
                let page = self.page(&listing.dir, start_after).await?;
                listing.base += listing.page.len() as u64;
                listing.last = page.len() < PAGE as usize;
                listing.page = page;
            }
            let start = wanted.saturating_sub(listing.base) as usize;
            let inodes = self.inodes.lock();
            for (i, info) in listing
                .page
                .iter()
                .enumerate()
                .skip(start)
                .take(max.saturating_sub(out.len()))
            {
                out.push(DirEntry {
                    offset: DOTS + 1 + listing.base + i as u64,
                    name: info.name.clone(),
                    attr: self.attr(known_or_stand_in(&inodes, &info.path), info),
                    path: AlluxioPath::new(&info.path).ok(),
                });
            }
            Ok(out)
        })
        .await
    }

    /// One page of `dir`'s entries after `start_after`.
    async fn page(&self, dir: &AlluxioPath, start_after: Option<String>) -> Result<Vec<FileInfo>, Errno> {
        let options = ListStatusOptions {
            start_after,
            limit: Some(PAGE),
            ..Default::default()
        };
        self.client
            .list_status(dir, options)
            .await
            .map_err(|e| Errno::of(&e, "readdir", dir.as_str()))
    }

    /// `readdirplus` hands `entry` to the kernel, which counts that as a lookup (except for
    /// `.` and `..`): its inode number, with one more kernel reference; `None` for the dots.
    pub fn looked_up(&self, entry: &DirEntry) -> Option<u64> {
        let path = entry.path.as_ref()?;
        Some(self.inodes.lock().remember(path))
    }

    /// `releasedir`.
    pub fn releasedir(&self, fh: u64) {
        self.listings.lock().remove(&fh);
    }
}
