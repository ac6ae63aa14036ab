//! The physical limits the data-path cases are compared with, measured with plain system calls
//! and the same buffer size as the client: tmpfs (or any local file) write and read, a socket
//! copy over loopback TCP, and one core's MD5 rate (the ceiling of an S3 PUT); and the one a
//! getStatus call is compared with: request and answer round trips over loopback TCP.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

/// The memory page size read buffers are aligned to.
const PAGE: usize = 4096;

/// Writes `size` bytes to a new file at `path`, `buffer` bytes per call; returns the time taken.
pub fn file_write(path: &Path, size: u64, buffer: usize) -> anyhow::Result<Duration> {
    let chunk = pattern(buffer);
    let start = Instant::now();
    let mut file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..n])
            .with_context(|| format!("cannot write {}", path.display()))?;
        left -= n as u64;
    }
    drop(file);
    Ok(start.elapsed())
}

/// Reads the whole file at `path`, `buffer` bytes per call; returns the bytes and the time taken.
pub fn file_read(path: &Path, buffer: usize) -> anyhow::Result<(u64, Duration)> {
    file_read_with(path, buffer, OpenOptions::new().read(true))
}

/// [`file_read`] of the file opened with `options` (flags such as `O_DIRECT`).
pub fn file_read_with(path: &Path, buffer: usize, options: &OpenOptions) -> anyhow::Result<(u64, Duration)> {
    // Page-aligned, as programs reading with O_DIRECT align their buffers: an unaligned one
    // spans a page more than its size, and the kernel splits each read in two for it.
    let mut storage = pattern(buffer + PAGE);
    let aligned = storage.as_ptr().align_offset(PAGE);
    let buf = &mut storage[aligned..aligned + buffer];
    let start = Instant::now();
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut total = 0u64;
    loop {
        let n = file
            .read(buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    Ok((total, start.elapsed()))
}

/// Copies `size` bytes from one socket to another over 127.0.0.1, `buffer` bytes per call on
/// both ends; returns the time from connecting to the last byte read.
pub fn loopback_copy(size: u64, buffer: usize) -> anyhow::Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback socket")?;
    let addr = listener
        .local_addr()
        .context("cannot get the loopback socket's address")?;
    let (chunk, mut buf) = (pattern(buffer), pattern(buffer));
    let start = Instant::now();
    let sender = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut socket, _) = listener.accept()?;
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            socket.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        Ok(())
    });
    let mut socket = TcpStream::connect(addr).with_context(|| format!("cannot connect to {addr}"))?;
    let mut total = 0u64;
    while total < size {
        let n = socket
            .read(&mut buf)
            .context("cannot read from the loopback socket")?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let elapsed = start.elapsed();
    match sender.join() {
        Ok(result) => result.context("cannot write to the loopback socket")?,
        Err(_) => anyhow::bail!("the loopback sender thread panicked"),
    }
    anyhow::ensure!(
        total == size,
        "the loopback copy ended after {total} of {size} bytes"
    );
    Ok(elapsed)
}

/// Bytes of a getStatus request on the wire (its HTTP/2 HEADERS and DATA frames), and of the
/// answer (HEADERS, DATA, trailers), as `strace` shows the client and master exchanging them.
const STAT_REQUEST_BYTES: usize = 114;
const STAT_ANSWER_BYTES: usize = 229;

/// Round trips per second of `clients` loopback TCP connections, each sending a request of a
/// getStatus call's size and waiting for an answer of its size, one at a time, counted after
/// `warm_up` for `duration`: what a metadata call costs with nothing but the sockets and the
/// async runtime. The answering side runs on a runtime of its own, as the embedded servers do.
pub async fn loopback_round_trips(
    clients: usize,
    warm_up: Duration,
    duration: Duration,
) -> anyhow::Result<f64> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback socket")?;
    let addr = listener
        .local_addr()
        .context("cannot get the loopback socket's address")?;
    listener
        .set_nonblocking(true)
        .context("cannot make the loopback socket non-blocking")?;
    let answering = tokio::runtime::Builder::new_multi_thread()
        .thread_name("round-trip-limit")
        .enable_io()
        .build()
        .context("cannot start the answering side's runtime")?;
    answering.spawn(answer_round_trips(listener));
    let counted = ask_round_trips(addr, clients, warm_up, duration).await;
    // Dropping a runtime may not block inside async code; its threads end on their own.
    answering.shutdown_background();
    Ok(counted? as f64 / duration.as_secs_f64())
}

/// Answers every request on every connection to `listener` until the peer goes.
async fn answer_round_trips(listener: TcpListener) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::from_std(listener)?;
    loop {
        let (mut socket, _) = listener.accept().await?;
        socket.set_nodelay(true)?;
        tokio::spawn(async move {
            let (mut request, answer) = ([0u8; STAT_REQUEST_BYTES], pattern(STAT_ANSWER_BYTES));
            while socket.read_exact(&mut request).await.is_ok() {
                if socket.write_all(&answer).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Round trips to `addr` from `clients` connections finished between `warm_up` and `warm_up +
/// duration` from now.
async fn ask_round_trips(
    addr: std::net::SocketAddr,
    clients: usize,
    warm_up: Duration,
    duration: Duration,
) -> anyhow::Result<u64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let start = Instant::now();
    let (measure_from, stop_at) = (start + warm_up, start + warm_up + duration);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let mut socket = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        socket.set_nodelay(true)?;
        tasks.spawn(async move {
            let (request, mut answer) = (pattern(STAT_REQUEST_BYTES), [0u8; STAT_ANSWER_BYTES]);
            let mut counted = 0u64;
            loop {
                socket.write_all(&request).await?;
                socket.read_exact(&mut answer).await?;
                let now = Instant::now();
                if now >= stop_at {
                    return std::io::Result::Ok(counted);
                }
                if now >= measure_from {
                    counted += 1;
                }
            }
        });
    }
    let mut total = 0;
    while let Some(finished) = tasks.join_next().await {
        total += finished
            .context("a round-trip client panicked")?
            .context("a loopback round trip failed")?;
    }
    Ok(total)
}

/// Hashes `size` bytes with MD5, `buffer` bytes per call, on this thread; returns the time taken.
/// The rate is the ceiling of an S3 PUT, whose ETag is the MD5 of its body.
pub fn md5(size: u64, buffer: usize) -> Duration {
    use md5::Digest;
    let chunk = pattern(buffer);
    let start = Instant::now();
    let mut hasher = md5::Md5::new();
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        hasher.update(&chunk[..n]);
        left -= n as u64;
    }
    std::hint::black_box(hasher.finalize());
    start.elapsed()
}

/// A buffer of non-zero bytes, so no layer can treat it as a hole; writing them also faults its
/// pages in, so no timed read pays for first touches of its buffer.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 + 1).collect()
}

/// Mebibytes per second.
pub fn mib_per_sec(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / (1u64 << 20) as f64 / elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_write_then_read_moves_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        file_write(&path, 1_000_003, 4096).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 1_000_003);
        assert_eq!(file_read(&path, 4096).unwrap().0, 1_000_003);
        assert_eq!(
            std::fs::read(&path).unwrap()[4095..4097],
            [pattern(4096)[4095], 1]
        );
    }

    #[tokio::test]
    async fn loopback_round_trips_are_counted_from_every_client() {
        let rate = loopback_round_trips(4, Duration::from_millis(20), Duration::from_millis(100))
            .await
            .unwrap();
        assert!(rate > 0.0, "{rate}");
    }

    #[test]
    fn loopback_copy_moves_the_requested_size() {
        assert!(loopback_copy(3 << 20, 65536).is_ok());
        assert!((mib_per_sec(1 << 20, Duration::from_millis(500)) - 2.0).abs() < 1e-9);
    }
}
