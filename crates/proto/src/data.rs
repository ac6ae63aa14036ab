//! The worker's data port: a small framed binary protocol, so block bytes travel raw (the worker
//! can `sendfile` them) instead of being chopped into protobuf messages.
//!
//! A connection carries requests one after another. Each request is a fixed 40-byte header
//! (big-endian), then `extra_len` bytes of op-specific extra data:
//!
//! ```text
//! magic "ALXD" | version u8 | op u8 | flags u16 | block_id u64 | offset u64 | length u64
//! | extra_len u32 | tier u32
//! ```
//!
//! Each response is a 16-byte header, then `message_len` bytes of UTF-8 message (an error's text,
//! or the block file path of `OpenLocalBlock`), then `length` raw data bytes (reads only):
//!
//! ```text
//! status u8 | flags u8 | reserved [u8; 2] | message_len u32 | length u64
//! ```
//!
//! Ops:
//! - `ReadBlock`: `length` bytes (or to the end with [`TO_END`]) of a cached block from `offset`.
//!   Response `length` = bytes that follow. Flag [`FLAG_PROMOTE`] moves the block to the top tier.
//! - `ReadUfsBlock`: same, for a block not cached anywhere; extra = encoded
//!   [`crate::grpc::UfsBlockSource`]. With `cache` set the worker keeps the whole block.
//! - `WriteBlock`: the client streams chunks `len u32 | bytes`; a zero-length chunk commits the
//!   block, [`CHUNK_CANCEL`] abandons it. `length` is the expected size (space to reserve, 0 if
//!   unknown), `tier` the target tier level. One response after commit or cancel; `length` = size.
//! - `OpenLocalBlock`: short-circuit. The response message is the block file's absolute path,
//!   `length` its size. The block stays locked (not evicted, moved or removed) until
//!   `CloseLocalBlock` with the same block id, or until the connection closes.
//! - `CloseLocalBlock`: releases the lock taken by `OpenLocalBlock`.
//! - `CreateLocalBlock`: short-circuit write. The worker starts a temp block in tier `tier`,
//!   reserving `length` bytes, and answers with the temp file's absolute path (message) and the
//!   bytes reserved (`length`), with [`RESPONSE_IN_MEMORY`] when the file is in a memory tier
//!   (writing it never waits for a disk). The client writes the file itself, never past the
//!   reservation.
//!   The temp block lives as long as the connection, unless completed.
//! - `RequestLocalSpace`: grows the reservation of a block being written locally to at least
//!   `length` bytes in total (evicting if needed); answers with the new reservation.
//! - `CompleteLocalBlock`: commits a block written locally, at the file's length (answered as
//!   `length`), and reports it to the master; with [`FLAG_CANCEL`] abandons it instead.
//! - `WriteUfsFile`: the worker writes a UFS file for the client (THROUGH writes), so the
//!   mount's credentials stay with the workers; extra = encoded [`crate::grpc::UfsFileTarget`],
//!   `block_id` 0. A first response once the file is created (an error ends the request there);
//!   then the client streams chunks as for `WriteBlock`: a zero-length chunk publishes the file
//!   under its name, [`CHUNK_CANCEL`] abandons it. One response after either; `length` = bytes
//!   written. Nothing appears in the UFS if the connection breaks first.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Magic bytes opening every request.
pub const MAGIC: [u8; 4] = *b"ALXD";
/// Protocol version this code speaks.
pub const VERSION: u8 = 1;
/// Size of a request header.
pub const REQUEST_HEADER_LEN: usize = 40;
/// Size of a response header.
pub const RESPONSE_HEADER_LEN: usize = 16;
/// Largest extra data a request may carry.
pub const MAX_EXTRA_LEN: u32 = 64 * 1024;
/// Largest response message.
pub const MAX_MESSAGE_LEN: u32 = 64 * 1024;
/// Largest write chunk.
pub const MAX_CHUNK_LEN: u32 = 64 * 1024 * 1024;
/// Chunk length that abandons a block being written.
pub const CHUNK_CANCEL: u32 = u32::MAX;
/// Read `length` meaning "to the end of the block".
pub const TO_END: u64 = u64::MAX;
/// Flag: move the block to the top tier when read (CACHE_PROMOTE).
pub const FLAG_PROMOTE: u16 = 1;
/// Flag of `CompleteLocalBlock`: abandon the block instead of committing it.
pub const FLAG_CANCEL: u16 = 2;
/// Response flag of `CreateLocalBlock`: the temp file is in a memory tier.
pub const RESPONSE_IN_MEMORY: u8 = 1;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// Stream bytes of a cached block.
    ReadBlock = 1,
    /// Stream a cached block's bytes in, then commit.
    WriteBlock = 2,
    /// Stream bytes of a block from the UFS, optionally caching it.
    ReadUfsBlock = 3,
    /// Lock a block and hand out its file path for a short-circuit read.
    OpenLocalBlock = 4,
    /// Release a short-circuit lock.
    CloseLocalBlock = 5,
    /// Start a block the client writes to its file directly.
    CreateLocalBlock = 6,
    /// Reserve more space for a block being written locally.
    RequestLocalSpace = 7,
    /// Commit (or abandon) a block written locally.
    CompleteLocalBlock = 8,
    /// Stream a UFS file's bytes in, for the worker to write.
    WriteUfsFile = 9,
}

impl Op {
    fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => Op::ReadBlock,
            2 => Op::WriteBlock,
            3 => Op::ReadUfsBlock,
            4 => Op::OpenLocalBlock,
            5 => Op::CloseLocalBlock,
            6 => Op::CreateLocalBlock,
            7 => Op::RequestLocalSpace,
            8 => Op::CompleteLocalBlock,
            9 => Op::WriteUfsFile,
            _ => return None,
        })
    }
}

/// Outcome of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// The block (or UFS file) does not exist.
    NotFound = 1,
    /// The request was malformed or inconsistent.
    InvalidArgument = 2,
    /// No space can be freed for the block.
    ResourceExhausted = 3,
    /// The worker cannot serve now (shutting down, UFS unreachable).
    Unavailable = 4,
    /// Anything else.
    Internal = 5,
    /// The block already exists.
    AlreadyExists = 6,
    /// The under storage refused the worker's credentials or permissions.
    PermissionDenied = 7,
}

impl Status {
    fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            0 => Status::Ok,
            1 => Status::NotFound,
            2 => Status::InvalidArgument,
            3 => Status::ResourceExhausted,
            4 => Status::Unavailable,
            5 => Status::Internal,
            6 => Status::AlreadyExists,
            7 => Status::PermissionDenied,
            _ => return None,
        })
    }
}

/// A decoded request header with its extra data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The operation.
    pub op: Op,
    /// Op-specific flags ([`FLAG_PROMOTE`], [`FLAG_CANCEL`]).
    pub flags: u16,
    /// The block concerned.
    pub block_id: u64,
    /// Byte offset inside the block.
    pub offset: u64,
    /// Bytes wanted, or expected block size for writes.
    pub length: u64,
    /// Target tier level for writes.
    pub tier: u32,
    /// Op-specific extra data.
    pub extra: Vec<u8>,
}

impl Request {
    /// A request with no flags, tier 0 and no extra data.
    pub fn new(op: Op, block_id: u64, offset: u64, length: u64) -> Self {
        Self {
            op,
            flags: 0,
            block_id,
            offset,
            length,
            tier: 0,
            extra: Vec::new(),
        }
    }
}

/// A decoded response header with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Outcome.
    pub status: Status,
    /// Op-specific flags ([`RESPONSE_IN_MEMORY`]).
    pub flags: u8,
    /// Error text, or the block file path for `OpenLocalBlock` and `CreateLocalBlock`.
    pub message: String,
    /// Raw bytes that follow (reads), the block size (open, write) or bytes reserved (local writes).
    pub length: u64,
}

impl Response {
    /// A success with no message.
    pub fn ok(length: u64) -> Self {
        Self {
            status: Status::Ok,
            flags: 0,
            message: String::new(),
            length,
        }
    }

    /// A failure with a message for the user.
    pub fn error(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            flags: 0,
            message: message.into(),
            length: 0,
        }
    }
}

/// Why bytes on the data port could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the connection inside a frame.
    #[error("connection closed in the middle of a frame")]
    Truncated,
    /// The bytes are not a frame of this protocol.
    #[error("malformed data-port frame: {0}")]
    Invalid(String),
    /// The connection failed.
    #[error("data-port I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Encodes a request header (without extra data).
pub fn encode_request_header(req: &Request) -> [u8; REQUEST_HEADER_LEN] {
    let mut buf = [0u8; REQUEST_HEADER_LEN];
    buf[0..4].copy_from_slice(&MAGIC);
    buf[4] = VERSION;
    buf[5] = req.op as u8;
    buf[6..8].copy_from_slice(&req.flags.to_be_bytes());
    buf[8..16].copy_from_slice(&req.block_id.to_be_bytes());
    buf[16..24].copy_from_slice(&req.offset.to_be_bytes());
    buf[24..32].copy_from_slice(&req.length.to_be_bytes());
    buf[32..36].copy_from_slice(&(req.extra.len() as u32).to_be_bytes());
    buf[36..40].copy_from_slice(&req.tier.to_be_bytes());
    buf
}

/// Decodes a request header; returns the request (extra empty) and the extra length to read.
pub fn decode_request_header(buf: &[u8; REQUEST_HEADER_LEN]) -> Result<(Request, u32), FrameError> {
    if buf[0..4] != MAGIC {
        return Err(FrameError::Invalid(format!(
            "bad magic {:02x?}; is this an Alluxio data-port client?",
            &buf[0..4]
        )));
    }
    if buf[4] != VERSION {
        return Err(FrameError::Invalid(format!(
            "unsupported protocol version {}",
            buf[4]
        )));
    }
    let op = Op::from_u8(buf[5]).ok_or_else(|| FrameError::Invalid(format!("unknown op {}", buf[5])))?;
    let extra_len = be_u32(&buf[32..36]);
    if extra_len > MAX_EXTRA_LEN {
        return Err(FrameError::Invalid(format!(
            "extra data of {extra_len} bytes exceeds {MAX_EXTRA_LEN}"
        )));
    }
    let req = Request {
        op,
        flags: u16::from_be_bytes([buf[6], buf[7]]),
        block_id: be_u64(&buf[8..16]),
        offset: be_u64(&buf[16..24]),
        length: be_u64(&buf[24..32]),
        tier: be_u32(&buf[36..40]),
        extra: Vec::new(),
    };
    Ok((req, extra_len))
}

/// Encodes a response header followed by its message.
pub fn encode_response(resp: &Response) -> Vec<u8> {
    let message = truncate_message(&resp.message);
    let mut buf = Vec::with_capacity(RESPONSE_HEADER_LEN + message.len());
    buf.push(resp.status as u8);
    buf.push(resp.flags);
    buf.extend_from_slice(&[0, 0]);
    buf.extend_from_slice(&(message.len() as u32).to_be_bytes());
    buf.extend_from_slice(&resp.length.to_be_bytes());
    buf.extend_from_slice(message.as_bytes());
    buf
}

/// Decodes a response header; returns the response (message empty) and the message length.
pub fn decode_response_header(buf: &[u8; RESPONSE_HEADER_LEN]) -> Result<(Response, u32), FrameError> {
    let status =
        Status::from_u8(buf[0]).ok_or_else(|| FrameError::Invalid(format!("unknown status {}", buf[0])))?;
    let message_len = be_u32(&buf[4..8]);
    if message_len > MAX_MESSAGE_LEN {
        return Err(FrameError::Invalid(format!(
            "message of {message_len} bytes exceeds {MAX_MESSAGE_LEN}"
        )));
    }
    Ok((
        Response {
            status,
            flags: buf[1],
            message: String::new(),
            length: be_u64(&buf[8..16]),
        },
        message_len,
    ))
}

/// Writes a request (header and extra data) and flushes.
pub async fn write_request<W: AsyncWrite + Unpin>(w: &mut W, req: &Request) -> Result<(), FrameError> {
    if req.extra.len() > MAX_EXTRA_LEN as usize {
        return Err(FrameError::Invalid(format!(
            "extra data of {} bytes exceeds {MAX_EXTRA_LEN}",
            req.extra.len()
        )));
    }
    w.write_all(&encode_request_header(req)).await?;
    w.write_all(&req.extra).await?;
    w.flush().await?;
    Ok(())
}

/// Reads the next request; `Ok(None)` when the peer closed the connection between requests.
pub async fn read_request<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<Request>, FrameError> {
    let mut header = [0u8; REQUEST_HEADER_LEN];
    if !read_exact_or_eof(r, &mut header).await? {
        return Ok(None);
    }
    let (mut req, extra_len) = decode_request_header(&header)?;
    req.extra = vec![0; extra_len as usize];
    read_exact_in_frame(r, &mut req.extra).await?;
    Ok(Some(req))
}

/// Writes a response header and message and flushes (data bytes, if any, follow separately).
pub async fn write_response<W: AsyncWrite + Unpin>(w: &mut W, resp: &Response) -> Result<(), FrameError> {
    w.write_all(&encode_response(resp)).await?;
    w.flush().await?;
    Ok(())
}

/// Reads a response header and message. The peer closing here is always an error.
pub async fn read_response<R: AsyncRead + Unpin>(r: &mut R) -> Result<Response, FrameError> {
    let mut header = [0u8; RESPONSE_HEADER_LEN];
    read_exact_in_frame(r, &mut header).await?;
    let (mut resp, message_len) = decode_response_header(&header)?;
    let mut message = vec![0; message_len as usize];
    read_exact_in_frame(r, &mut message).await?;
    resp.message = String::from_utf8_lossy(&message).into_owned();
    Ok(resp)
}

/// Writes one chunk of a block being written (an empty `data` commits the block).
pub async fn write_chunk<W: AsyncWrite + Unpin>(w: &mut W, data: &[u8]) -> Result<(), FrameError> {
    let len = u32::try_from(data.len())
        .ok()
        .filter(|len| *len <= MAX_CHUNK_LEN)
        .ok_or_else(|| {
            FrameError::Invalid(format!("chunk of {} bytes exceeds {MAX_CHUNK_LEN}", data.len()))
        })?;
    w.write_all(&len.to_be_bytes()).await?;
    w.write_all(data).await?;
    Ok(())
}

/// Writes the chunk marker that abandons a block being written, and flushes.
pub async fn write_cancel<W: AsyncWrite + Unpin>(w: &mut W) -> Result<(), FrameError> {
    w.write_all(&CHUNK_CANCEL.to_be_bytes()).await?;
    w.flush().await?;
    Ok(())
}

/// What the next chunk header of a write says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkHeader {
    /// `n` bytes of data follow.
    Data(u32),
    /// The block is complete.
    Commit,
    /// The client abandons the block.
    Cancel,
}

/// Reads the next chunk header of a write.
pub async fn read_chunk_header<R: AsyncRead + Unpin>(r: &mut R) -> Result<ChunkHeader, FrameError> {
    let mut len = [0u8; 4];
    read_exact_in_frame(r, &mut len).await?;
    match u32::from_be_bytes(len) {
        0 => Ok(ChunkHeader::Commit),
        CHUNK_CANCEL => Ok(ChunkHeader::Cancel),
        n if n <= MAX_CHUNK_LEN => Ok(ChunkHeader::Data(n)),
        n => Err(FrameError::Invalid(format!(
            "chunk of {n} bytes exceeds {MAX_CHUNK_LEN}"
        ))),
    }
}

/// Fills `buf`; `Ok(false)` if the stream ended before the first byte, an error if inside.
async fn read_exact_or_eof<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8]) -> Result<bool, FrameError> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = r.read(&mut buf[filled..]).await?;
        if n == 0 {
            return if filled == 0 {
                Ok(false)
            } else {
                Err(FrameError::Truncated)
            };
        }
        filled += n;
    }
    Ok(true)
}

async fn read_exact_in_frame<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8]) -> Result<(), FrameError> {
    if buf.is_empty() || read_exact_or_eof(r, buf).await? {
        Ok(())
    } else {
        Err(FrameError::Truncated)
    }
}

fn truncate_message(message: &str) -> &str {
    let mut end = message.len().min(MAX_MESSAGE_LEN as usize);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    &message[..end]
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be_u64(b: &[u8]) -> u64 {
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn request_round_trips_through_split_reads() {
        let mut req = Request::new(Op::ReadUfsBlock, 42, 7, TO_END);
        req.flags = FLAG_PROMOTE;
        req.tier = 1;
        req.extra = b"source".to_vec();
        let mut wire = Vec::new();
        write_request(&mut wire, &req).await.unwrap();
        // A reader that hands out one byte at a time must still see one whole request.
        let mut reader = tokio_test_reader(wire);
        assert_eq!(read_request(&mut reader).await.unwrap(), Some(req));
        assert_eq!(read_request(&mut reader).await.unwrap(), None);
    }

    #[tokio::test]
    async fn truncated_request_is_an_error_not_eof() {
        let wire = encode_request_header(&Request::new(Op::ReadBlock, 1, 0, 10));
        let mut short = &wire[..20];
        assert!(matches!(
            read_request(&mut short).await,
            Err(FrameError::Truncated)
        ));
    }

    #[tokio::test]
    async fn garbage_and_hostile_lengths_are_rejected() {
        let mut garbage: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n0123456789abcdef";
        let err = read_request(&mut garbage).await.unwrap_err();
        assert!(err.to_string().contains("bad magic"), "{err}");

        let mut header = encode_request_header(&Request::new(Op::ReadBlock, 1, 0, 10));
        header[32..36].copy_from_slice(&(MAX_EXTRA_LEN + 1).to_be_bytes());
        assert!(matches!(
            decode_request_header(&header),
            Err(FrameError::Invalid(_))
        ));
        header[5] = 99;
        assert!(matches!(
            decode_request_header(&header),
            Err(FrameError::Invalid(_))
        ));

        let mut chunk: &[u8] = &(MAX_CHUNK_LEN + 1).to_be_bytes();
        assert!(matches!(
            read_chunk_header(&mut chunk).await,
            Err(FrameError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn response_and_chunks_round_trip() {
        let mut wire = Vec::new();
        write_response(&mut wire, &Response::error(Status::NotFound, "block 5 not found"))
            .await
            .unwrap();
        write_chunk(&mut wire, b"abc").await.unwrap();
        write_chunk(&mut wire, b"").await.unwrap();
        write_cancel(&mut wire).await.unwrap();
        let mut r = &wire[..];
        let resp = read_response(&mut r).await.unwrap();
        assert_eq!(resp, Response::error(Status::NotFound, "block 5 not found"));
        assert_eq!(read_chunk_header(&mut r).await.unwrap(), ChunkHeader::Data(3));
        let mut data = [0u8; 3];
        r.read_exact(&mut data).await.unwrap();
        assert_eq!(&data, b"abc");
        assert_eq!(read_chunk_header(&mut r).await.unwrap(), ChunkHeader::Commit);
        assert_eq!(read_chunk_header(&mut r).await.unwrap(), ChunkHeader::Cancel);
    }

    /// A reader that returns one byte per read call.
    /// Runs `future` to completion on a fresh single-threaded runtime (the readers below never
    /// wait on anything but their in-memory input).
    fn run<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        proptest::sample::select((1..=9).filter_map(Op::from_u8).collect::<Vec<_>>())
    }

    proptest::proptest! {
        /// Whatever a peer sends, the server's reader returns requests within the limits, a
        /// clean end, or an error; it never panics nor reads past a bad header.
        #[test]
        fn any_bytes_are_requests_or_a_clean_error(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        ) {
            let mut input = bytes.as_slice();
            for _ in 0..bytes.len() + 1 {
                match run(read_request(&mut input)) {
                    Ok(Some(req)) => proptest::prop_assert!(req.extra.len() <= MAX_EXTRA_LEN as usize),
                    Ok(None) | Err(_) => break,
                }
            }
            let _ = run(read_response(&mut bytes.as_slice()));
            let _ = run(read_chunk_header(&mut bytes.as_slice()));
        }

        /// Every request a client can send reads back as sent, whatever the split of reads.
        #[test]
        fn requests_round_trip(
            op in op(),
            flags: u16,
            block_id: u64,
            offset: u64,
            length: u64,
            tier: u32,
            extra in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let req = Request { op, flags, block_id, offset, length, tier, extra };
            let mut wire = Vec::new();
            run(write_request(&mut wire, &req)).unwrap();
            let read = run(read_request(&mut tokio_test_reader(wire))).unwrap();
            proptest::prop_assert_eq!(read, Some(req));
        }

        /// One changed byte of a valid header decodes to some request or is refused; a change
        /// of the magic, the version or the op to an unknown one is always refused.
        #[test]
        fn a_mutated_header_is_decoded_or_refused(
            op in op(),
            block_id: u64,
            at in 0..REQUEST_HEADER_LEN,
            value: u8,
        ) {
            let mut header = encode_request_header(&Request::new(op, block_id, 0, 1));
            header[at] = value;
            let decoded = decode_request_header(&header);
            let framing_broken = header[0..4] != MAGIC
                || header[4] != VERSION
                || Op::from_u8(header[5]).is_none()
                || be_u32(&header[32..36]) > MAX_EXTRA_LEN;
            proptest::prop_assert_eq!(decoded.is_err(), framing_broken);
        }
    }

    fn tokio_test_reader(bytes: Vec<u8>) -> impl AsyncRead + Unpin {
        struct OneByte(std::collections::VecDeque<u8>);
        impl AsyncRead for OneByte {
            fn poll_read(
                mut self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                if let Some(b) = self.0.pop_front() {
                    buf.put_slice(&[b]);
                }
                std::task::Poll::Ready(Ok(()))
            }
        }
        OneByte(bytes.into())
    }
}
