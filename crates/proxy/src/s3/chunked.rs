//! The `aws-chunked` content encoding, decoded as the body streams in.
//!
//! SDKs upload with `x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (signed chunks)
//! or `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (plain chunks and a checksum trailer). The body is
//! then `<hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n` per chunk, a last chunk of size 0,
//! optional `name:value\r\n` trailer lines and an empty line. When credentials are configured
//! s3s decodes (and verifies) this itself; without credentials there is no secret to verify the
//! chunk signatures with, and s3s's decoder is private, so the gateway strips the framing here.
//! Memory stays bounded: data is passed on as it arrives, and only a header or trailer line is
//! ever buffered (at most [`MAX_LINE`] bytes).

use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};

/// The longest chunk header or trailer line accepted (signatures are 64 hex digits).
const MAX_LINE: usize = 4096;

/// Why an `aws-chunked` body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ChunkedError {
    /// A chunk header or trailer line is malformed.
    #[error("malformed aws-chunked body: {0}")]
    Malformed(String),
    /// The body ended before the final chunk and its terminating empty line.
    #[error("the aws-chunked body ended before its final chunk")]
    Truncated,
    /// The decoded length differs from `x-amz-decoded-content-length`.
    #[error("the aws-chunked body holds {actual} bytes but x-amz-decoded-content-length says {expected}")]
    LengthMismatch {
        /// The announced length.
        expected: u64,
        /// What the chunks held.
        actual: u64,
    },
    /// Reading the request body failed.
    #[error("the request body broke off: {0}")]
    Body(String),
}

impl From<ChunkedError> for std::io::Error {
    fn from(err: ChunkedError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, err)
    }
}

/// Where the decoder is in the framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Expecting a chunk header line.
    Header,
    /// Inside a chunk, with this many data bytes left.
    Data(u64),
    /// Expecting the CRLF that ends a chunk's data.
    DataEnd,
    /// After the final chunk: trailer lines until an empty line.
    Trailers,
    /// The body ended correctly.
    Done,
    /// An error was reported; nothing more is produced.
    Failed,
}

struct Decoder<S> {
    input: S,
    buffer: BytesMut,
    phase: Phase,
    decoded: u64,
    expected: Option<u64>,
}

/// Decodes the `aws-chunked` body `input`; `expected` is `x-amz-decoded-content-length` if given.
pub(crate) fn decode<S, E>(
    input: S,
    expected: Option<u64>,
) -> impl Stream<Item = Result<Bytes, ChunkedError>> + Send
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: std::fmt::Display,
{
    let decoder = Decoder {
        input,
        buffer: BytesMut::new(),
        phase: Phase::Header,
        decoded: 0,
        expected,
    };
    futures::stream::unfold(decoder, |mut decoder| async move {
        let item = decoder.next_data().await;
        if matches!(item, Some(Err(_))) {
            decoder.phase = Phase::Failed;
        }
        item.map(|item| (item, decoder))
    })
}

impl<S, E> Decoder<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    /// The next piece of decoded data; `None` at the (well-formed) end.
    async fn next_data(&mut self) -> Option<Result<Bytes, ChunkedError>> {
        loop {
            match self.phase {
                Phase::Failed => return None,
                Phase::Done => return self.finish().await.err().map(Err),
                Phase::Header => match self.take_line() {
                    Ok(Some(line)) => match parse_chunk_size(&line) {
                        Ok(0) => self.phase = Phase::Trailers,
                        Ok(size) => self.phase = Phase::Data(size),
                        Err(err) => return Some(Err(err)),
                    },
                    Ok(None) => {
                        if let Err(err) = self.fill().await {
                            return Some(Err(err));
                        }
                    }
                    Err(err) => return Some(Err(err)),
                },
                Phase::Data(left) => {
                    if self.buffer.is_empty()
                        && let Err(err) = self.fill().await
                    {
                        return Some(Err(err));
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(self.buffer.len());
                    let data = self.buffer.split_to(take).freeze();
                    let left = left - take as u64;
                    self.phase = if left == 0 {
                        Phase::DataEnd
                    } else {
                        Phase::Data(left)
                    };
                    self.decoded += take as u64;
                    return Some(Ok(data));
                }
                Phase::DataEnd => {
                    if self.buffer.len() < 2 {
                        if let Err(err) = self.fill().await {
                            return Some(Err(err));
                        }
                        continue;
                    }
                    if &self.buffer[..2] != b"\r\n" {
                        return Some(Err(ChunkedError::Malformed(
                            "a chunk's data is longer than its header says (no CRLF after it)".into(),
                        )));
                    }
                    self.buffer.advance(2);
                    self.phase = Phase::Header;
                }
                Phase::Trailers => match self.take_line() {
                    Ok(Some(line)) if line.is_empty() => self.phase = Phase::Done,
                    Ok(Some(line)) => {
                        if !line.contains(&b':') {
                            return Some(Err(ChunkedError::Malformed(format!(
                                "trailer line {:?} is not 'name:value'",
                                String::from_utf8_lossy(&line)
                            ))));
                        }
                    }
                    Ok(None) => {
                        if let Err(err) = self.fill().await {
                            return Some(Err(err));
                        }
                    }
                    Err(err) => return Some(Err(err)),
                },
            }
        }
    }

    /// Reads more of the body into the buffer; the body ending here is a truncation.
    async fn fill(&mut self) -> Result<(), ChunkedError> {
        loop {
            match self.input.next().await {
                Some(Ok(bytes)) if bytes.is_empty() => continue,
                Some(Ok(bytes)) => {
                    self.buffer.extend_from_slice(&bytes);
                    return Ok(());
                }
                Some(Err(err)) => return Err(ChunkedError::Body(err.to_string())),
                None => return Err(ChunkedError::Truncated),
            }
        }
    }

    /// A complete CRLF-terminated line from the buffer (without the CRLF), if there is one.
    fn take_line(&mut self) -> Result<Option<BytesMut>, ChunkedError> {
        match self.buffer.windows(2).position(|w| w == b"\r\n") {
            Some(end) if end > MAX_LINE => Err(too_long()),
            Some(end) => {
                let line = self.buffer.split_to(end);
                self.buffer.advance(2);
                Ok(Some(line))
            }
            None if self.buffer.len() > MAX_LINE => Err(too_long()),
            None => Ok(None),
        }
    }

    /// After the final chunk: nothing may follow, and the length must be the announced one.
    async fn finish(&mut self) -> Result<(), ChunkedError> {
        self.phase = Phase::Failed;
        let mut extra = !self.buffer.is_empty();
        while !extra {
            match self.input.next().await {
                Some(Ok(bytes)) => extra = !bytes.is_empty(),
                Some(Err(err)) => return Err(ChunkedError::Body(err.to_string())),
                None => break,
            }
        }
        if extra {
            return Err(ChunkedError::Malformed("data follows the final chunk".into()));
        }
        match self.expected {
            Some(expected) if expected != self.decoded => Err(ChunkedError::LengthMismatch {
                expected,
                actual: self.decoded,
            }),
            _ => Ok(()),
        }
    }
}

fn too_long() -> ChunkedError {
    ChunkedError::Malformed(format!("a chunk header or trailer line exceeds {MAX_LINE} bytes"))
}

/// The size of a chunk header line `<hex>[;extensions]`.
fn parse_chunk_size(line: &[u8]) -> Result<u64, ChunkedError> {
    let size = line.split(|&b| b == b';').next().unwrap_or_default();
    let size = std::str::from_utf8(size)
        .ok()
        .filter(|s| !s.is_empty() && s.len() <= 16);
    size.and_then(|s| u64::from_str_radix(s, 16).ok()).ok_or_else(|| {
        ChunkedError::Malformed(format!(
            "chunk header {:?} does not start with a hexadecimal size",
            String::from_utf8_lossy(line)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    /// Decodes `body` delivered in pieces of `piece` bytes.
    async fn decode_in_pieces(
        body: &[u8],
        piece: usize,
        expected: Option<u64>,
    ) -> Result<Vec<u8>, ChunkedError> {
        let pieces: Vec<Result<Bytes, std::io::Error>> = body
            .chunks(piece.max(1))
            .map(|p| Ok(Bytes::copy_from_slice(p)))
            .collect();
        let chunks: Vec<Bytes> = decode(futures::stream::iter(pieces), expected)
            .try_collect()
            .await?;
        Ok(chunks.concat())
    }

    fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// `data` framed as aws-chunked in chunks of `chunk` bytes, signed or with a trailer.
    fn framed(data: &[u8], chunk: usize, signed: bool) -> Vec<u8> {
        let mut body = Vec::new();
        for piece in data.chunks(chunk.max(1)).chain([&[][..]]) {
            body.extend_from_slice(format!("{:x}", piece.len()).as_bytes());
            if signed {
                body.extend_from_slice(b";chunk-signature=0123456789abcdef");
            }
            body.extend_from_slice(b"\r\n");
            if !piece.is_empty() {
                body.extend_from_slice(piece);
                body.extend_from_slice(b"\r\n");
            }
        }
        if !signed {
            body.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\n");
        }
        body.extend_from_slice(b"\r\n");
        body
    }

    proptest::proptest! {
        /// Whatever a client uploads, in whatever pieces, decodes or fails with an error: never a
        /// panic, never more bytes than the body held.
        #[test]
        fn any_body_decodes_or_fails_cleanly(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            piece in 1..40usize,
        ) {
            if let Ok(decoded) = block_on(decode_in_pieces(&body, piece, None)) {
                proptest::prop_assert!(decoded.len() <= body.len());
            }
        }

        /// A body mostly well framed (tokens of the grammar in random order) decodes or fails
        /// cleanly too: this reaches the states random bytes rarely do.
        #[test]
        fn shuffled_framing_decodes_or_fails_cleanly(
            tokens in proptest::collection::vec(
                proptest::sample::select(vec![
                    "5", "0", "ffffffffffffffffff", ";chunk-signature=ab", "\r\n", "hello",
                    "x:y", ":", "\r", "\n", "",
                ]),
                0..30,
            ),
            piece in 1..16usize,
        ) {
            let body = tokens.concat();
            let _ = block_on(decode_in_pieces(body.as_bytes(), piece, Some(5)));
        }

        /// Any data framed in any chunk size, signed or with a trailer, decodes to itself
        /// whatever the pieces it arrives in.
        #[test]
        fn framed_data_round_trips(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000),
            chunk in 1..700usize,
            signed: bool,
            piece in 1..100usize,
        ) {
            let body = framed(&data, chunk, signed);
            let decoded = block_on(decode_in_pieces(&body, piece, Some(data.len() as u64)));
            proptest::prop_assert_eq!(decoded, Ok(data));
        }
    }

    const SIGNED: &[u8] = b"5;chunk-signature=aaaa\r\nhello\r\n6;chunk-signature=bbbb\r\n world\r\n0;chunk-signature=cccc\r\n\r\n";
    const TRAILER: &[u8] = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";

    #[tokio::test]
    async fn decodes_whatever_the_piece_boundaries() {
        for body in [SIGNED, TRAILER] {
            for piece in 1..=body.len() {
                let decoded = decode_in_pieces(body, piece, Some(11)).await.unwrap();
                assert_eq!(decoded, b"hello world", "pieces of {piece}");
            }
        }
    }

    #[tokio::test]
    async fn an_empty_body_is_one_final_chunk() {
        assert_eq!(decode_in_pieces(b"0\r\n\r\n", 3, Some(0)).await.unwrap(), b"");
    }

    #[tokio::test]
    async fn a_truncated_body_is_an_error() {
        for cut in [0, 3, 10, 20, SIGNED.len() - 2] {
            let err = decode_in_pieces(&SIGNED[..cut], 4, None).await.unwrap_err();
            assert_eq!(err, ChunkedError::Truncated, "cut at {cut}");
        }
    }

    #[tokio::test]
    async fn malformed_framing_is_explained() {
        let cases: [&[u8]; 5] = [
            b"zz\r\nhello\r\n0\r\n\r\n",
            b"5\r\nhello!!\r\n0\r\n\r\n",
            b"5\r\nhello\r\n0\r\nno-colon\r\n\r\n",
            b"5\r\nhello\r\n0\r\n\r\nextra",
            b"\r\n",
        ];
        for body in cases {
            let err = decode_in_pieces(body, 2, None).await.unwrap_err();
            assert!(matches!(err, ChunkedError::Malformed(_)), "{body:?}: {err}");
        }
        let endless = vec![b'1'; MAX_LINE + 10];
        let err = decode_in_pieces(&endless, 100, None).await.unwrap_err();
        assert!(err.to_string().contains("exceeds"), "{err}");
    }

    #[tokio::test]
    async fn the_announced_length_is_checked() {
        let err = decode_in_pieces(SIGNED, 7, Some(12)).await.unwrap_err();
        assert_eq!(
            err,
            ChunkedError::LengthMismatch {
                expected: 12,
                actual: 11
            }
        );
    }

    #[tokio::test]
    async fn a_broken_body_is_reported() {
        let pieces: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"5\r\nhe")),
            Err(std::io::Error::other("connection reset")),
        ];
        let result: Result<Vec<Bytes>, _> = decode(futures::stream::iter(pieces), None).try_collect().await;
        assert!(matches!(result, Err(ChunkedError::Body(m)) if m.contains("connection reset")));
    }
}
