//! Metadata operations per second, modelled on Alluxio's StressMasterBench: for 1, 4 and 16
//! concurrent clients, each operation runs a warm-up and then a fixed measured duration.
//! getStatus, a round trip that writes nothing, is compared with plain loopback TCP round trips
//! of its size from as many clients.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alluxio_client::{
    AlluxioPath, CreateFileOptions, DeleteOptions, FileSystem, ListStatusOptions, WriteType,
};
use anyhow::{Context, bail};
use tokio::task::JoinSet;

use super::Setup;
use super::limits;
use super::report::{Limit, Line, Reporter};

/// Concurrent clients of each round.
const CONCURRENCY: [usize; 3] = [1, 4, 16];
/// Clients creating the entries of the listed directory.
const FILLERS: usize = 16;

/// The measured operations, in the order they run (each relies on what the previous left).
#[derive(Debug, Clone, Copy)]
enum Op {
    CreateComplete,
    GetStatus,
    ListStatus,
    Rename,
    Delete,
}

impl Op {
    const ALL: [Op; 5] = [
        Op::CreateComplete,
        Op::GetStatus,
        Op::ListStatus,
        Op::Rename,
        Op::Delete,
    ];

    fn name(self) -> &'static str {
        match self {
            Op::CreateComplete => "create_complete",
            Op::GetStatus => "get_status",
            Op::ListStatus => "list_status",
            Op::Rename => "rename",
            Op::Delete => "delete",
        }
    }
}

/// Runs every operation at every concurrency, one line each.
pub async fn run(setup: &Setup, out: &mut Reporter) -> anyhow::Result<()> {
    let entries = setup.args.list_entries;
    let list_dir = Arc::new(fill_list_dir(setup, entries).await?);
    let warm_up = setup.args.duration / 5;
    for clients in CONCURRENCY {
        let mut workers = Vec::with_capacity(clients);
        for i in 0..clients {
            let dir = setup.path(&format!("meta-c{clients}/w{i}"))?;
            workers.push(Worker::new(setup, dir, list_dir.clone(), entries).await?);
        }
        let round_trips = Limit {
            name: "loopback_round_trips",
            value: limits::loopback_round_trips(clients, warm_up, setup.args.duration).await?,
        };
        for op in Op::ALL {
            let case = format!("metadata.{}.c{clients}", op.name());
            let limit = matches!(op, Op::GetStatus).then_some(round_trips);
            let (line, back) = match measure(workers, op, warm_up, setup.args.duration).await {
                Ok((rate, back)) => (Line::against_any(&case, rate, "ops/s", limit), back),
                Err(e) => {
                    out.emit(&Line::error(&case, format!("{e:#}")));
                    // The remaining operations of this round depend on the failed one.
                    break;
                }
            };
            out.emit(&line);
            workers = back;
        }
    }
    out.emit(&browse_page(setup, &list_dir, entries).await);
    Ok(())
}

/// Fetches of the web UI's page of the listed directory; the median is printed.
const BROWSE_FETCHES: usize = 20;

/// Milliseconds the master's web UI takes to serve the last page of the listed directory
/// (`/browse`, 100 rows; the last page skips the most entries).
async fn browse_page(setup: &Setup, dir: &AlluxioPath, entries: usize) -> Line {
    let case = format!("web.browse_last_page.{entries}_entries");
    let url = format!("http://{}/browse", setup.master_web);
    let offset = entries.saturating_sub(100).to_string();
    let http = reqwest::Client::new();
    let mut millis = Vec::with_capacity(BROWSE_FETCHES);
    for _ in 0..BROWSE_FETCHES {
        let started = Instant::now();
        let fetched = async {
            let response = http
                .get(&url)
                .query(&[("path", dir.as_str()), ("offset", offset.as_str())])
                .send()
                .await?
                .error_for_status()?;
            response.text().await
        };
        if let Err(e) = fetched.await {
            return Line::error(&case, format!("cannot fetch {url}: {e}"));
        }
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    Line::figure(&case, millis[millis.len() / 2], "ms")
}

/// The directory listed by the listStatus case, with `entries` empty files. With a local UFS
/// they are made there and loaded by the first listing (part of the warm-up); otherwise
/// clients create them.
async fn fill_list_dir(setup: &Setup, entries: usize) -> anyhow::Result<AlluxioPath> {
    if let Some(ufs_root) = &setup.ufs_root {
        let name = format!("{}-list", setup.base.trim_start_matches('/'));
        let dir = ufs_root.join(&name);
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for i in 0..entries {
            let file = dir.join(format!("e{i}"));
            std::fs::File::create(&file).with_context(|| format!("cannot create {}", file.display()))?;
        }
        return Ok(AlluxioPath::new(&format!("/{name}"))?);
    }
    let dir = setup.path("list")?;
    let mut tasks = JoinSet::new();
    for filler in 0..FILLERS {
        let (fs, dir) = (FileSystem::connect(setup.conf.clone()).await?, dir.clone());
        tasks.spawn(async move {
            for i in (filler..entries).step_by(FILLERS) {
                create_empty(&fs, &dir.join(&format!("e{i}"))?).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.context("a client filling the listed directory panicked")??;
    }
    Ok(dir)
}

/// One client and what its operations left behind.
struct Worker {
    fs: FileSystem,
    dir: AlluxioPath,
    list_dir: Arc<AlluxioPath>,
    list_entries: usize,
    created: u64,
    deleted: u64,
    /// Which of `r0`/`r1` the rename file is called now.
    renamed: bool,
}

impl Worker {
    async fn new(
        setup: &Setup,
        dir: AlluxioPath,
        list_dir: Arc<AlluxioPath>,
        list_entries: usize,
    ) -> anyhow::Result<Self> {
        let fs = FileSystem::connect(setup.conf.clone()).await?;
        super::create_bench_dir(&fs, &dir).await?;
        create_empty(&fs, &dir.join("r0")?).await?;
        Ok(Self {
            fs,
            dir,
            list_dir,
            list_entries,
            created: 0,
            deleted: 0,
            renamed: false,
        })
    }

    /// Runs `op` once; `false` when there is nothing left to do it on.
    async fn step(&mut self, op: Op) -> anyhow::Result<bool> {
        match op {
            Op::CreateComplete => {
                create_empty(&self.fs, &self.dir.join(&format!("f{}", self.created))?).await?;
                self.created += 1;
            }
            Op::GetStatus => {
                let path = self.dir.join("r0")?;
                self.fs
                    .get_status(&path)
                    .await
                    .with_context(|| format!("cannot stat {path}"))?;
            }
            Op::ListStatus => {
                let listed = self
                    .fs
                    .list_status(&self.list_dir, ListStatusOptions::default())
                    .await
                    .with_context(|| format!("cannot list {}", self.list_dir))?;
                if listed.len() != self.list_entries {
                    bail!(
                        "{} lists {} entries, not {}",
                        self.list_dir,
                        listed.len(),
                        self.list_entries
                    );
                }
            }
            Op::Rename => {
                let (from, to) = if self.renamed { ("r1", "r0") } else { ("r0", "r1") };
                let (from, to) = (self.dir.join(from)?, self.dir.join(to)?);
                self.fs
                    .rename(&from, &to)
                    .await
                    .with_context(|| format!("cannot rename {from} to {to}"))?;
                self.renamed = !self.renamed;
            }
            Op::Delete => {
                if self.deleted == self.created {
                    return Ok(false);
                }
                let path = self.dir.join(&format!("f{}", self.deleted))?;
                self.fs
                    .delete(&path, DeleteOptions::default())
                    .await
                    .with_context(|| format!("cannot delete {path}"))?;
                self.deleted += 1;
            }
        }
        Ok(true)
    }
}

/// Ops per second of `op` over all workers: operations finished after the warm-up divided by
/// the measured time (shorter when every worker ran out of files to delete). Deletes may run
/// out during the warm-up when creates were slow; then every delete counts, from the start.
async fn measure(
    workers: Vec<Worker>,
    op: Op,
    warm_up: Duration,
    duration: Duration,
) -> anyhow::Result<(f64, Vec<Worker>)> {
    let start = Instant::now();
    let (measure_from, stop_at) = (start + warm_up, start + warm_up + duration);
    let mut tasks = JoinSet::new();
    for (index, mut worker) in workers.into_iter().enumerate() {
        tasks.spawn(async move {
            let (mut counted, mut done) = (0u64, 0u64);
            let mut last = Instant::now();
            while last < stop_at {
                if !worker.step(op).await? {
                    break;
                }
                done += 1;
                last = Instant::now();
                if last >= measure_from && last <= stop_at {
                    counted += 1;
                }
            }
            anyhow::Ok((index, worker, counted, done, last.min(stop_at)))
        });
    }
    let mut back = Vec::new();
    let (mut counted_total, mut done_total, mut end) = (0u64, 0u64, start);
    while let Some(finished) = tasks.join_next().await {
        let (index, worker, counted, done, last) = finished.context("a benchmark client panicked")??;
        back.push((index, worker));
        counted_total += counted;
        done_total += done;
        end = end.max(last);
    }
    back.sort_by_key(|(index, _)| *index);
    let (total, from) = if counted_total > 0 {
        (counted_total, measure_from)
    } else {
        (done_total, start)
    };
    let window = end.saturating_duration_since(from);
    if total == 0 || window.is_zero() {
        bail!("no {} finished in {:?}", op.name(), warm_up + duration);
    }
    Ok((
        total as f64 / window.as_secs_f64(),
        back.into_iter().map(|(_, w)| w).collect(),
    ))
}

/// Creates an empty MUST_CACHE file complete in one call to the master, as `alluxio fs touch` does.
pub(super) async fn create_empty(fs: &FileSystem, path: &AlluxioPath) -> anyhow::Result<()> {
    let options = CreateFileOptions {
        write_type: Some(WriteType::MustCache),
        recursive: true,
        ..Default::default()
    };
    fs.create_empty_file(path, options)
        .await
        .with_context(|| format!("cannot create {path}"))?;
    Ok(())
}
