//! Passthrough: a file that is one block cached by the worker on this host is read by the
//! kernel straight from that block file, with no request to the mount and no page cache of
//! its own: one copy per byte, as a short-circuit read, where a read through the mount costs
//! two (into the page cache, then to the program).
//!
//! The kernel keeps each inode in one I/O mode at a time. Every handle of an inode read from a
//! backing file must name the same one, and while any does, an open handle of it that the mount
//! serves (cached or direct, reading or writing) fails with `EIO`; a passthrough open while the
//! mount serves a handle of it fails too. [`IoModes`] keeps, per inode, which way its open handles
//! go, so that each new open asks for a mode the kernel accepts. Its counts may only lag the
//! kernel's (the kernel forgets a handle before it sends its release), so the mode chosen is
//! always one the kernel still agrees with.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use crate::Errno;

/// How long an open for writing waits for passthrough readers of the file to close it.
const READERS_WAIT: Duration = Duration::from_secs(2);

/// Which way the open handles of one inode go.
enum Mode<B, K> {
    /// Through the mount (the page cache or direct I/O).
    Mount { handles: usize },
    /// Read by the kernel from `backing`, the same for all of them: the block file `file`.
    Backing {
        backing: Arc<B>,
        file: K,
        handles: usize,
    },
}

/// How the kernel is to serve a new handle.
pub(crate) enum Served<B> {
    /// Through the mount.
    Mount,
    /// From this backing file.
    Backing(Arc<B>),
    /// Not at all for now: the inode's readers read an older version of the file from its
    /// block file, which this open must not get, and the kernel lets it have no other.
    Busy,
}

/// The I/O mode of every inode with open handles; `B` is the kernel's reference to a backing
/// file (fuser's `BackingId`, closed when dropped), `K` what tells block files apart.
pub(crate) struct IoModes<B, K> {
    inodes: Mutex<HashMap<u64, Mode<B, K>>>,
    /// Off with `-o no_passthrough`, when the kernel does not offer passthrough, or once it
    /// refused a backing file (it takes them only from a process with `CAP_SYS_ADMIN`).
    enabled: AtomicBool,
}

impl<B, K: PartialEq> IoModes<B, K> {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            inodes: Mutex::new(HashMap::new()),
            enabled: AtomicBool::new(enabled),
        }
    }

    /// Whether new handles may be read from backing files.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// No handle is read from a backing file any more; says so once, with `why`.
    pub(crate) fn disable(&self, why: &str) {
        if self.enabled.swap(false, Ordering::Relaxed) {
            tracing::info!("files are read through the mount, not passthrough: {why}");
        }
    }

    /// A handle of `ino`, whose block file is now `file` (`None`: none on this host), opened
    /// for reading: from the backing file its other handles read, if it is still the file's
    /// (else [`Served::Busy`]); else through the mount if the mount serves others; else from
    /// the backing file `open_backing` makes of `file`, or through the mount when it makes none.
    pub(crate) fn start_reading(
        &self,
        ino: u64,
        file: Option<K>,
        open_backing: impl FnOnce() -> Option<B>,
    ) -> Served<B> {
        let mut inodes = self.inodes.lock();
        match inodes.get_mut(&ino) {
            Some(Mode::Backing {
                backing,
                file: read,
                handles,
            }) => {
                if file.as_ref() != Some(read) {
                    tracing::warn!(
                        ino,
                        "open refused: readers still read the replaced file's old version"
                    );
                    return Served::Busy;
                }
                *handles += 1;
                Served::Backing(backing.clone())
            }
            Some(Mode::Mount { handles }) => {
                *handles += 1;
                Served::Mount
            }
            None => match file
                .filter(|_| self.enabled())
                .and_then(|file| Some((open_backing()?, file)))
            {
                Some((backing, file)) => {
                    let backing = Arc::new(backing);
                    let handles = 1;
                    inodes.insert(
                        ino,
                        Mode::Backing {
                            backing: backing.clone(),
                            file,
                            handles,
                        },
                    );
                    Served::Backing(backing)
                }
                None => {
                    inodes.insert(ino, Mode::Mount { handles: 1 });
                    Served::Mount
                }
            },
        }
    }

    /// A handle of `ino` about to be opened for writing, which the mount serves; waits a little
    /// for passthrough readers of the file to close it (the kernel sends their release after
    /// `close` returns), then fails with `ETXTBSY`. [`IoModes::release`] undoes it.
    pub(crate) async fn start_writing(&self, ino: u64) -> Result<(), Errno> {
        let deadline = tokio::time::Instant::now() + READERS_WAIT;
        loop {
            if self.try_start_writing(ino) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(
                    ino,
                    "open for writing refused: the file is being read through passthrough"
                );
                return Err(Errno::TXTBSY);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// A handle of `ino` served by the mount, unless passthrough readers have it open.
    pub(crate) fn try_start_writing(&self, ino: u64) -> bool {
        let mut inodes = self.inodes.lock();
        match inodes.entry(ino).or_insert(Mode::Mount { handles: 0 }) {
            Mode::Mount { handles } => {
                *handles += 1;
                true
            }
            Mode::Backing { .. } => false,
        }
    }

    /// A handle of `ino` was released; the inode's backing file is closed with its last one.
    pub(crate) fn release(&self, ino: u64) {
        let mut inodes = self.inodes.lock();
        let Some(Mode::Mount { handles } | Mode::Backing { handles, .. }) = inodes.get_mut(&ino) else {
            return;
        };
        *handles -= 1;
        if *handles == 0 {
            inodes.remove(&ino);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backing file, holding `alive` so the tests see when the last reference goes.
    struct Backing {
        _alive: Arc<()>,
    }

    fn backing(alive: &Arc<()>) -> Option<Backing> {
        Some(Backing {
            _alive: alive.clone(),
        })
    }

    fn is_backing(served: &Served<Backing>) -> bool {
        matches!(served, Served::Backing(_))
    }

    #[test]
    fn readers_of_one_inode_share_its_backing_file_which_closes_with_the_last() {
        let modes: IoModes<Backing, u64> = IoModes::new(true);
        let alive = Arc::new(());
        let first = modes.start_reading(7, Some(1), || backing(&alive));
        let second = modes.start_reading(7, Some(1), || panic!("a second backing file for the same inode"));
        let (Served::Backing(a), Served::Backing(b)) = (first, second) else {
            panic!("both readers must read the backing file");
        };
        assert!(Arc::ptr_eq(&a, &b));
        drop((a, b));
        modes.release(7);
        assert_eq!(Arc::strong_count(&alive), 2, "one reader still reads it");
        modes.release(7);
        assert_eq!(Arc::strong_count(&alive), 1, "closed with the last reader");
        // Another inode, or this one opened anew, gets a backing file of its own.
        assert!(is_backing(&modes.start_reading(7, Some(1), || backing(&alive))));
    }

    #[test]
    fn a_reader_joins_the_mount_while_the_mount_serves_the_inode() {
        let modes: IoModes<Backing, u64> = IoModes::new(true);
        assert!(
            !is_backing(&modes.start_reading(3, None, || None)),
            "no block file: through the mount"
        );
        let later = modes.start_reading(3, Some(1), || panic!("the inode already goes through the mount"));
        assert!(!is_backing(&later));
        modes.release(3);
        modes.release(3);
        assert!(is_backing(
            &modes.start_reading(3, Some(1), || backing(&Arc::new(())))
        ));
    }

    #[test]
    fn writers_wait_for_passthrough_readers_and_readers_for_writers() {
        let modes: IoModes<Backing, u64> = IoModes::new(true);
        assert!(modes.try_start_writing(5));
        let reader = modes.start_reading(5, Some(1), || {
            panic!("the inode is being written through the mount")
        });
        assert!(!is_backing(&reader));
        modes.release(5);
        modes.release(5);

        assert!(is_backing(
            &modes.start_reading(5, Some(1), || backing(&Arc::new(())))
        ));
        assert!(
            !modes.try_start_writing(5),
            "the kernel would fail this open with EIO"
        );
        modes.release(5);
        assert!(modes.try_start_writing(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_writer_gives_up_on_readers_that_stay_with_etxtbsy() {
        let modes: IoModes<Backing, u64> = IoModes::new(true);
        assert!(is_backing(
            &modes.start_reading(9, Some(1), || backing(&Arc::new(())))
        ));
        assert_eq!(modes.start_writing(9).await, Err(Errno::TXTBSY));
        modes.release(9);
        assert_eq!(modes.start_writing(9).await, Ok(()));
    }

    #[test]
    fn a_replaced_file_is_not_read_from_its_old_block_file() {
        let modes: IoModes<Backing, u64> = IoModes::new(true);
        assert!(is_backing(
            &modes.start_reading(4, Some(1), || backing(&Arc::new(())))
        ));
        let replaced = modes.start_reading(4, Some(2), || panic!("the kernel keeps the first backing file"));
        assert!(matches!(replaced, Served::Busy));
        assert!(matches!(modes.start_reading(4, None, || None), Served::Busy));
        modes.release(4);
        assert!(is_backing(
            &modes.start_reading(4, Some(2), || backing(&Arc::new(())))
        ));
    }

    #[test]
    fn disabled_modes_serve_every_reader_through_the_mount() {
        let modes: IoModes<Backing, u64> = IoModes::new(true);
        modes.disable("the kernel refused a backing file");
        assert!(!modes.enabled());
        assert!(!is_backing(
            &modes.start_reading(1, Some(1), || backing(&Arc::new(())))
        ));
    }
}
