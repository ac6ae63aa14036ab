//! The namespace at scale (`--only scale`, embedded cluster only): a UFS tree of
//! `--scale-files` empty files in folders of 1,000 is loaded by 16 clients listing it folder by
//! folder a page at a time, giving the load rate and the servers' resident memory per loaded
//! file; then, once a checkpoint is written (so that none runs beside them), 16 clients stat
//! random files of the tree, one client lists it all recursively, 16 clients create files while
//! the master writes a checkpoint (the longest create is the stall a checkpoint causes), the
//! master restarts (timed until it serves again), one client deletes the tree from Alluxio
//! while another stats `/`, and the client lists the tree again after Alluxio forgot it (as
//! `alluxio fs count` loads a tree).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use alluxio_client::{AlluxioPath, DeleteOptions, FileSystem, ListStatusOptions};
use anyhow::{Context, bail};
use tokio::task::JoinSet;

use super::Setup;
use super::cluster::MasterRestart;
use super::metadata::create_empty;
use super::report::{Limit, Line, Reporter};

/// Files in each folder of the tree.
const FOLDER_FILES: usize = 1_000;
/// Concurrent clients loading and statting.
const CLIENTS: usize = 16;

/// Builds the tree, loads it, stats it, and removes it again.
pub async fn run(setup: &Setup, out: &mut Reporter) -> anyhow::Result<()> {
    let files = setup.args.scale_files;
    let Some(ufs_root) = &setup.ufs_root else {
        out.emit(&Line::error(
            "scale",
            "the scale cases measure the embedded cluster's memory: run them without --target",
        ));
        return Ok(());
    };
    if files == 0 {
        return Ok(());
    }
    let name = format!("{}-scale", setup.base.trim_start_matches('/'));
    let on_disk = ufs_root.join(&name);
    let tree = Arc::new(ScaleTree {
        root: AlluxioPath::new(&format!("/{name}"))?,
        files,
    });
    let made = {
        let on_disk = on_disk.clone();
        tokio::task::spawn_blocking(move || make_tree(&on_disk, files)).await
    };
    let result = match made.context("making the UFS tree panicked") {
        Ok(Ok(())) => measure(setup, &tree, out).await,
        Ok(Err(e)) | Err(e) => Err(e),
    };
    let cleaned = clean_up(setup, &tree.root, on_disk).await;
    result.and(cleaned)
}

/// The tree in Alluxio: `root/d{folder}/f{file}`.
struct ScaleTree {
    root: AlluxioPath,
    files: usize,
}

impl ScaleTree {
    fn folders(&self) -> usize {
        self.files.div_ceil(FOLDER_FILES)
    }

    fn folder(&self, folder: usize) -> anyhow::Result<AlluxioPath> {
        Ok(self.root.join(&format!("d{folder}"))?)
    }

    fn file(&self, index: usize) -> anyhow::Result<AlluxioPath> {
        Ok(self
            .folder(index / FOLDER_FILES)?
            .join(&format!("f{}", index % FOLDER_FILES))?)
    }
}

/// Creates the folders and empty files in the root UFS directory.
fn make_tree(on_disk: &Path, files: usize) -> anyhow::Result<()> {
    for index in 0..files {
        let folder = on_disk.join(format!("d{}", index / FOLDER_FILES));
        if index % FOLDER_FILES == 0 {
            std::fs::create_dir_all(&folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        let file = folder.join(format!("f{}", index % FOLDER_FILES));
        std::fs::File::create(&file).with_context(|| format!("cannot create {}", file.display()))?;
    }
    Ok(())
}

async fn measure(setup: &Setup, tree: &Arc<ScaleTree>, out: &mut Reporter) -> anyhow::Result<()> {
    let mut clients = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        clients.push(FileSystem::connect(setup.conf.clone()).await?);
    }
    let before = resident_bytes()?;
    let started = Instant::now();
    let loaded = load(&clients, tree).await?;
    let rate = loaded as f64 / started.elapsed().as_secs_f64().max(f64::MIN_POSITIVE);
    if loaded != tree.files {
        bail!("loading {} listed {loaded} files, not {}", tree.root, tree.files);
    }
    out.emit(&Line::figure(
        format!("scale.load.{}_files", tree.files),
        rate,
        "files/s",
    ));
    let grown = resident_bytes()?.saturating_sub(before);
    out.emit(&Line::figure(
        format!("scale.resident_per_file.{}_files", tree.files),
        grown as f64 / tree.files as f64,
        "B/file",
    ));
    // Loading journals an entry a file, so a checkpoint fell due during it and may still be
    // running: stats measured beside it would measure the checkpoint (a third of the CPU at
    // 2M files). Asking for one waits for it and leaves nothing due.
    wait_for_checkpoint(&clients[0]).await?;
    let rate = stat_random(&clients, tree, setup.args.duration).await?;
    out.emit(&Line::figure(
        format!("scale.get_status.c{CLIENTS}.{}_files", tree.files),
        rate,
        "ops/s",
    ));
    let rate = list_recursively(&clients[0], tree).await?;
    out.emit(&Line::figure(
        format!("scale.list_recursive.{}_files", tree.files),
        rate,
        "entries/s",
    ));
    let checkpoint = creates_through_a_checkpoint(&clients, tree).await?;
    out.emit(&Line::figure(
        format!("scale.checkpoint.{}_files", tree.files),
        checkpoint.took.as_secs_f64(),
        "s",
    ));
    out.emit(&Line::against(
        format!("scale.create_during_checkpoint.c{CLIENTS}.{}_files", tree.files),
        checkpoint.longest_during.as_secs_f64() * 1000.0,
        "ms",
        Limit {
            name: "longest_create_before",
            value: checkpoint.longest_before.as_secs_f64() * 1000.0,
        },
    ));
    if let Some(restart) = &setup.master_restart {
        let seconds = restart_to_serving(restart, &clients[0], tree).await?;
        out.emit(&Line::figure(
            format!("scale.restart.{}_files", tree.files),
            seconds,
            "s",
        ));
    }
    let delete = forget_beside_stats(&clients, tree).await?;
    out.emit(&Line::figure(
        format!("scale.delete.{}_files", tree.files),
        (tree.files + tree.folders()) as f64 / delete.took.as_secs_f64().max(f64::MIN_POSITIVE),
        "inodes/s",
    ));
    out.emit(&Line::figure(
        format!("scale.stat_during_delete.{}_files", tree.files),
        delete.longest_stat.as_secs_f64() * 1000.0,
        "ms",
    ));
    // What `alluxio fs count` costs on a tree Alluxio has not loaded yet: one client's recursive
    // listing, which loads each folder as it reaches it.
    let rate = list_recursively(&clients[0], tree).await?;
    out.emit(&Line::figure(
        format!("scale.load_recursive.{}_files", tree.files),
        rate,
        "entries/s",
    ));
    Ok(())
}

/// Asks the master for a checkpoint and waits until it is written (after the one being written,
/// if any).
async fn wait_for_checkpoint(fs: &FileSystem) -> anyhow::Result<()> {
    fs.checkpoint()
        .await
        .context("cannot take a journal checkpoint (the bench runs as the master's user)")?;
    Ok(())
}

/// What a checkpoint cost the writers.
struct CheckpointStall {
    /// From asking for the checkpoint until it was written.
    took: Duration,
    /// The longest create+complete that overlapped it.
    longest_during: Duration,
    /// The longest one in the second before it.
    longest_before: Duration,
}

/// 16 clients create and complete empty files (each in a folder of its own, beside the tree) for
/// a second, then while the master writes a checkpoint asked for, then half a second more; the
/// files are deleted again.
async fn creates_through_a_checkpoint(
    clients: &[FileSystem],
    tree: &Arc<ScaleTree>,
) -> anyhow::Result<CheckpointStall> {
    let stop = Arc::new(AtomicBool::new(false));
    let writes = AlluxioPath::new(&format!("{}-writes", tree.root))?;
    let mut writers = JoinSet::new();
    for (writer, fs) in clients.iter().cloned().enumerate() {
        let (stop, folder) = (stop.clone(), writes.join(&format!("w{writer}"))?);
        writers.spawn(async move {
            let mut creates = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let path = folder.join(&format!("f{}", creates.len()))?;
                let started = Instant::now();
                create_empty(&fs, &path).await?;
                creates.push((started, started.elapsed()));
            }
            anyhow::Ok(creates)
        });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let asked = Instant::now();
    wait_for_checkpoint(&clients[0]).await?;
    let written = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut stall = CheckpointStall {
        took: written - asked,
        longest_during: Duration::ZERO,
        longest_before: Duration::ZERO,
    };
    while let Some(creates) = writers.join_next().await {
        for (started, took) in creates.context("a writing client panicked")?? {
            let ended = started + took;
            if ended < asked {
                stall.longest_before = stall.longest_before.max(took);
            } else if started < written {
                stall.longest_during = stall.longest_during.max(took);
            }
        }
    }
    let everything = DeleteOptions {
        recursive: true,
        alluxio_only: false,
    };
    clients[0]
        .delete(&writes, everything)
        .await
        .with_context(|| format!("cannot delete {writes}"))?;
    Ok(stall)
}

/// Seconds from stopping the master until it answers a getStatus of a file of the tree again
/// (the journal replayed, the client reconnected).
async fn restart_to_serving(
    restart: &MasterRestart,
    fs: &FileSystem,
    tree: &ScaleTree,
) -> anyhow::Result<f64> {
    let last = tree.file(tree.files - 1)?;
    let started = Instant::now();
    restart.restart().await?;
    fs.get_status(&last)
        .await
        .with_context(|| format!("the restarted master cannot stat {last}"))?;
    Ok(started.elapsed().as_secs_f64())
}

/// One recursive listing of the whole tree, streamed a page at a time, in entries per second.
async fn list_recursively(fs: &FileSystem, tree: &ScaleTree) -> anyhow::Result<f64> {
    let options = ListStatusOptions {
        recursive: true,
        ..Default::default()
    };
    let started = Instant::now();
    let cannot_list = || format!("cannot list {} recursively", tree.root);
    let mut pages = fs
        .list_status_pages(&tree.root, options)
        .await
        .with_context(cannot_list)?;
    let mut listed = 0;
    while let Some(page) = pages.next_page().await.with_context(cannot_list)? {
        listed += page.len();
    }
    let expected = tree.files + tree.folders();
    if listed != expected {
        bail!("{} lists {listed} entries recursively, not {expected}", tree.root);
    }
    Ok(listed as f64 / started.elapsed().as_secs_f64().max(f64::MIN_POSITIVE))
}

/// What dropping the tree from Alluxio cost.
struct DeleteBesideStats {
    /// The one recursive delete.
    took: Duration,
    /// The longest getStatus of `/` another client waited for meanwhile.
    longest_stat: Duration,
}

/// One client drops the tree from Alluxio (its UFS copy stays) while another stats `/` over and
/// over: the delete must leave the master serving.
async fn forget_beside_stats(clients: &[FileSystem], tree: &ScaleTree) -> anyhow::Result<DeleteBesideStats> {
    let stop = Arc::new(AtomicBool::new(false));
    let statting = {
        let (fs, stop) = (clients[1].clone(), stop.clone());
        tokio::spawn(async move {
            let mut longest = Duration::ZERO;
            // At least once, however soon the delete ends.
            loop {
                let started = Instant::now();
                fs.get_status(&AlluxioPath::root())
                    .await
                    .context("cannot stat / while the tree is deleted")?;
                longest = longest.max(started.elapsed());
                if stop.load(Ordering::Relaxed) {
                    return anyhow::Ok(longest);
                }
            }
        })
    };
    let started = Instant::now();
    let deleted = forget(&clients[0], &tree.root).await;
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let longest_stat = statting.await.context("the statting client panicked")??;
    deleted?;
    Ok(DeleteBesideStats { took, longest_stat })
}

/// Drops `root` from Alluxio, keeping its UFS copy.
async fn forget(fs: &FileSystem, root: &AlluxioPath) -> anyhow::Result<()> {
    let options = DeleteOptions {
        recursive: true,
        alluxio_only: true,
    };
    match fs.delete(root, options).await {
        Err(e) if e.kind() != alluxio_client::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot delete {root}"))
        }
        _ => Ok(()),
    }
}

/// Lists every folder a page at a time (which loads it from the UFS), the clients taking the
/// next folder as they finish one; the number of files listed.
async fn load(clients: &[FileSystem], tree: &Arc<ScaleTree>) -> anyhow::Result<usize> {
    let next_folder = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for fs in clients {
        let (fs, tree, next_folder) = (fs.clone(), tree.clone(), next_folder.clone());
        tasks.spawn(async move {
            let mut listed = 0;
            loop {
                let folder = next_folder.fetch_add(1, Ordering::Relaxed);
                if folder >= tree.folders() {
                    return anyhow::Ok(listed);
                }
                listed += list_folder(&fs, &tree.folder(folder)?).await?;
            }
        });
    }
    let mut listed = 0;
    while let Some(done) = tasks.join_next().await {
        listed += done.context("a loading client panicked")??;
    }
    Ok(listed)
}

/// Entries of `dir`, listed in pages of one folder's size.
async fn list_folder(fs: &FileSystem, dir: &AlluxioPath) -> anyhow::Result<usize> {
    let mut listed = 0;
    let mut start_after = None;
    loop {
        let options = ListStatusOptions {
            start_after: start_after.take(),
            limit: Some(FOLDER_FILES as u32),
            ..Default::default()
        };
        let page = fs
            .list_status(dir, options)
            .await
            .with_context(|| format!("cannot list {dir}"))?;
        listed += page.len();
        match page.last() {
            Some(last) if page.len() == FOLDER_FILES => start_after = Some(last.name.clone()),
            _ => return Ok(listed),
        }
    }
}

/// getStatus of random files of the tree by every client for `duration`, in operations per
/// second.
async fn stat_random(
    clients: &[FileSystem],
    tree: &Arc<ScaleTree>,
    duration: Duration,
) -> anyhow::Result<f64> {
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for (seed, fs) in clients.iter().cloned().enumerate() {
        let tree = tree.clone();
        tasks.spawn(async move {
            let mut random = XorShift(0x9e37_79b9_7f4a_7c15 ^ (seed as u64 + 1));
            let mut done = 0u64;
            while started.elapsed() < duration {
                let path = tree.file(random.below(tree.files))?;
                fs.get_status(&path)
                    .await
                    .with_context(|| format!("cannot stat {path}"))?;
                done += 1;
            }
            anyhow::Ok(done)
        });
    }
    let mut done = 0;
    while let Some(finished) = tasks.join_next().await {
        done += finished.context("a statting client panicked")??;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

/// A small, fast pseudo-random sequence; the bench needs spread, not quality.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

/// Resident memory of this process (servers and bench together), from /proc/self/status.
fn resident_bytes() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status").context("cannot read /proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .context("/proc/self/status has no VmRSS line")
}

/// Drops the tree from Alluxio (its UFS copy stays) and then from the disk.
async fn clean_up(setup: &Setup, root: &AlluxioPath, on_disk: PathBuf) -> anyhow::Result<()> {
    forget(&FileSystem::connect(setup.conf.clone()).await?, root).await?;
    tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&on_disk) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", on_disk.display()))
        }
        _ => Ok(()),
    })
    .await
    .context("removing the UFS tree panicked")?
}
