//! ReadBlock: streams a range of a cached block. Memory-tier blocks go to another host with
//! `sendfile`, from tmpfs to the socket without passing through user space; to a client on this
//! host (loopback) they are written from a mapping of the block file, because on loopback the
//! receiver copies anyway and a bulk copy into the socket beats `sendfile`'s page-by-page
//! hand-over (a cached 1 GiB block read in 0.39-0.55 s instead of 0.54-0.70 s; see
//! docs/performance.md). Blocks on disk tiers are read on the blocking pool, so a slow disk
//! never stalls a runtime thread.

use std::os::fd::AsFd;

use alluxio_proto::data::{self, FLAG_PROMOTE, Request, Response, TO_END};
use tokio::io::{AsyncReadExt, AsyncSeekExt, BufReader, Interest};
use tokio::net::TcpStream;

use super::{Connection, DataError, blocking};
use crate::store::BlockLock;

/// Largest count passed to one `sendfile` call (Linux moves at most ~2 GiB per call anyway).
const MAX_SENDFILE: u64 = 1 << 30;
/// Read size for blocks on disk tiers: large enough that the per-read hop to the blocking pool
/// costs little.
const DISK_READ_BUFFER: usize = 1 << 20;

/// Serves a ReadBlock request.
pub(super) async fn read_block(conn: &mut Connection, request: &Request) -> Result<(), DataError> {
    let block_id = request.block_id;
    if request.flags & FLAG_PROMOTE != 0 {
        let store = conn.ctx.store.clone();
        // Best effort: a block that cannot move up is still served from where it is.
        if let Err(e) = blocking(move || store.promote(block_id)).await {
            tracing::debug!(block_id, error = ?e, "promotion skipped");
        }
    }
    let store = conn.ctx.store.clone();
    let lock = blocking(move || store.lock_block(block_id)).await?;
    send_range(conn, &lock, request.offset, request.length).await
}

/// How many bytes a read of `length` (or [`TO_END`]) from `offset` of a block of `block_length`
/// bytes covers; a range past the end is an invalid argument.
pub(super) fn resolve_range(
    block_id: u64,
    block_length: u64,
    offset: u64,
    length: u64,
) -> Result<u64, DataError> {
    if offset > block_length {
        return Err(DataError::invalid(format!(
            "offset {offset} is past the end of block {block_id} ({block_length} bytes)"
        )));
    }
    if length == TO_END {
        return Ok(block_length - offset);
    }
    match offset.checked_add(length) {
        Some(end) if end <= block_length => Ok(length),
        _ => Err(DataError::invalid(format!(
            "range {offset}+{length} is past the end of block {block_id} ({block_length} bytes)"
        ))),
    }
}

/// Answers with the header, then sends the range of the locked block.
pub(super) async fn send_range(
    conn: &mut Connection,
    lock: &BlockLock,
    offset: u64,
    length: u64,
) -> Result<(), DataError> {
    let meta = lock.meta();
    let length = resolve_range(meta.block_id, meta.length, offset, length)?;
    let file = std::fs::File::open(lock.path()).map_err(|e| {
        DataError::Request(
            alluxio_proto::data::Status::Internal,
            format!(
                "cannot open the file {} of block {}: {e}",
                lock.path().display(),
                meta.block_id
            ),
        )
    })?;
    data::write_response(&mut conn.stream, &Response::ok(length)).await?;
    let sent = if lock.in_memory() {
        if conn.peer.ip().is_loopback() {
            send_mapped(conn.stream.get_ref(), &file, offset, length).await
        } else {
            sendfile_all(conn.stream.get_ref(), &file, offset, length).await
        }
    } else {
        // A non-blocking sendfile from a disk still waits for the disk, on a runtime thread;
        // tokio::fs does those reads on the blocking pool instead.
        copy_from_disk(conn.stream.get_mut(), file, offset, length).await
    };
    sent.map_err(|e| DataError::Connection(format!("sending block {}: {e}", meta.block_id)))?;
    conn.ctx.metrics.bytes_read_alluxio.add(length);
    conn.ctx.metrics.blocks_accessed.inc();
    Ok(())
}

/// Sends `length` bytes of a file on a disk from `offset`, in large buffered reads.
async fn copy_from_disk(
    stream: &mut TcpStream,
    file: std::fs::File,
    offset: u64,
    length: u64,
) -> std::io::Result<()> {
    let mut file = tokio::fs::File::from_std(file);
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let mut reader = BufReader::with_capacity(DISK_READ_BUFFER, file.take(length));
    let copied = tokio::io::copy_buf(&mut reader, stream).await?;
    if copied < length {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("block file ended {} bytes early", length - copied),
        ));
    }
    Ok(())
}

/// Sends `length` bytes of a memory-tier `file` from `offset` by writing from a mapping of it.
async fn send_mapped(
    stream: &TcpStream,
    file: &std::fs::File,
    offset: u64,
    length: u64,
) -> std::io::Result<()> {
    if length == 0 {
        return Ok(());
    }
    // SAFETY: the caller holds the block's lock, and a committed block file is never written,
    // truncated or removed while locked, so the mapping stays valid and unchanged while read.
    let map = unsafe {
        memmap2::MmapOptions::new()
            .offset(offset)
            .len(length as usize)
            .populate()
            .map(file)?
    };
    let mut sent = 0;
    while sent < map.len() {
        stream.writable().await?;
        match stream.try_write(&map[sent..]) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Sends `length` bytes of `file` from `offset` to a non-blocking socket.
async fn sendfile_all(
    stream: &TcpStream,
    file: &std::fs::File,
    mut offset: u64,
    length: u64,
) -> std::io::Result<()> {
    let end = offset + length;
    while offset < end {
        let count = (end - offset).min(MAX_SENDFILE) as usize;
        stream.writable().await?;
        let sent = stream.try_io(Interest::WRITABLE, || {
            rustix::fs::sendfile(stream.as_fd(), file.as_fd(), Some(&mut offset), count)
                .map_err(std::io::Error::from)
        });
        match sent {
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("block file ended {} bytes early", end - offset),
                ));
            }
            // `offset` was advanced by the kernel; short writes just loop.
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends bytes 1000..(1000 + 3 MiB) of a 4 MiB file with `send` and checks what arrives.
    async fn check_sender(send: Sender) {
        use std::io::Write;
        use tokio::io::AsyncReadExt;
        let content: Vec<u8> = (0..4u32 << 20).map(|i| (i % 253) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&content).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let reader = tokio::spawn(async move {
            let mut socket = TcpStream::connect(addr).await.unwrap();
            let mut received = Vec::new();
            socket.read_to_end(&mut received).await.unwrap();
            received
        });
        let (socket, _) = listener.accept().await.unwrap();
        send(socket, file).await.unwrap();
        let received = reader.await.unwrap();
        assert!(
            received == content[1000..1000 + (3 << 20)],
            "the range arrives unchanged"
        );
    }

    /// One of the memory-tier senders, given the accepted socket and the block file.
    type Sender = fn(TcpStream, std::fs::File) -> futures::future::BoxFuture<'static, std::io::Result<()>>;

    #[tokio::test]
    async fn mapped_and_sendfile_sends_carry_the_exact_range() {
        check_sender(|socket, file| {
            Box::pin(async move { send_mapped(&socket, &file, 1000, 3 << 20).await })
        })
        .await;
        check_sender(|socket, file| {
            Box::pin(async move { sendfile_all(&socket, &file, 1000, 3 << 20).await })
        })
        .await;
    }

    #[test]
    fn ranges_are_checked_against_the_block_length() {
        assert_eq!(resolve_range(1, 100, 0, TO_END).unwrap(), 100);
        assert_eq!(resolve_range(1, 100, 40, TO_END).unwrap(), 60);
        assert_eq!(resolve_range(1, 100, 100, TO_END).unwrap(), 0);
        assert_eq!(resolve_range(1, 100, 90, 10).unwrap(), 10);
        assert!(matches!(
            resolve_range(1, 100, 90, 11),
            Err(DataError::Request(..))
        ));
        assert!(matches!(
            resolve_range(1, 100, 101, TO_END),
            Err(DataError::Request(..))
        ));
        assert!(matches!(
            resolve_range(1, 100, 1, u64::MAX - 1),
            Err(DataError::Request(..))
        ));
    }
}
