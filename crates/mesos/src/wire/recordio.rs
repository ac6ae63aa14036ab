//! RecordIO framing of the event stream: `<decimal length>\n<length bytes>`, repeated.
//!
//! Chunk boundaries of the HTTP body mean nothing, so the decoder buffers across pushes and
//! checks that a whole record is present before taking it (as mini-redis checks frames).

use bytes::{Buf, Bytes, BytesMut};

/// Largest record accepted by default; Mesos events are far smaller.
pub const DEFAULT_MAX_RECORD: usize = 64 * 1024 * 1024;

/// Digits of `u64::MAX`: a longer length line cannot be valid.
const MAX_LENGTH_DIGITS: usize = 20;

/// A stream that is not valid RecordIO.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordIoError {
    /// The length line is not an ASCII decimal number.
    #[error("RecordIO length line {line:?} is not a decimal number; the peer does not speak RecordIO")]
    BadLength {
        /// The offending line (lossy UTF-8, at most 21 bytes).
        line: String,
    },
    /// A record is larger than the bound.
    #[error("RecordIO record of {length} bytes exceeds the {max} byte limit")]
    TooLarge {
        /// Declared length.
        length: u64,
        /// The bound.
        max: usize,
    },
    /// The stream ended inside a record.
    #[error("RecordIO stream ended inside a record ({buffered} bytes buffered)")]
    Truncated {
        /// Bytes left in the buffer.
        buffered: usize,
    },
}

/// Incremental decoder: push chunks, pull whole records.
#[derive(Debug)]
pub struct Decoder {
    buffer: BytesMut,
    max_record: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_RECORD)
    }
}

impl Decoder {
    /// A decoder rejecting records longer than `max_record` bytes.
    pub fn new(max_record: usize) -> Self {
        Self {
            buffer: BytesMut::new(),
            max_record,
        }
    }

    /// Appends bytes received from the stream.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    /// The next whole record, `Ok(None)` if more bytes are needed.
    pub fn next_record(&mut self) -> Result<Option<Bytes>, RecordIoError> {
        let Some(newline) = self.buffer.iter().position(|&b| b == b'\n') else {
            if self.buffer.len() > MAX_LENGTH_DIGITS {
                return Err(self.bad_length(self.buffer.len()));
            }
            return Ok(None);
        };
        let line = &self.buffer[..newline];
        if line.is_empty() || line.len() > MAX_LENGTH_DIGITS || !line.iter().all(u8::is_ascii_digit) {
            return Err(self.bad_length(newline));
        }
        // Only digits, at most 20 of them: parsing can fail only on u64 overflow.
        let length: u64 = std::str::from_utf8(line)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| self.bad_length(newline))?;
        let too_large = RecordIoError::TooLarge {
            length,
            max: self.max_record,
        };
        let length = usize::try_from(length).map_err(|_| too_large.clone())?;
        if length > self.max_record {
            return Err(too_large);
        }
        if self.buffer.len() - newline - 1 < length {
            return Ok(None);
        }
        self.buffer.advance(newline + 1);
        Ok(Some(self.buffer.split_to(length).freeze()))
    }

    /// Called at end of stream: an error if a partial record is left.
    pub fn finish(&self) -> Result<(), RecordIoError> {
        match self.buffer.len() {
            0 => Ok(()),
            buffered => Err(RecordIoError::Truncated { buffered }),
        }
    }

    fn bad_length(&self, end: usize) -> RecordIoError {
        let shown = &self.buffer[..end.min(MAX_LENGTH_DIGITS + 1)];
        RecordIoError::BadLength {
            line: String::from_utf8_lossy(shown).into_owned(),
        }
    }
}

/// Frames one record.
pub fn encode(record: &[u8]) -> Vec<u8> {
    let mut out = format!("{}\n", record.len()).into_bytes();
    out.extend_from_slice(record);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(decoder: &mut Decoder) -> Result<Vec<Bytes>, RecordIoError> {
        let mut records = Vec::new();
        while let Some(record) = decoder.next_record()? {
            records.push(record);
        }
        Ok(records)
    }

    #[test]
    fn records_split_at_every_byte_boundary_decode_identically() {
        let mut stream = encode(br#"{"type":"SUBSCRIBED"}"#);
        stream.extend(encode(b""));
        stream.extend(encode(br#"{"type":"HEARTBEAT"}"#));
        for chunk_size in 1..=stream.len() {
            let mut decoder = Decoder::default();
            let mut records = Vec::new();
            for chunk in stream.chunks(chunk_size) {
                decoder.push(chunk);
                records.extend(decode_all(&mut decoder).unwrap());
            }
            assert_eq!(
                records,
                vec![
                    Bytes::from_static(br#"{"type":"SUBSCRIBED"}"#),
                    Bytes::new(),
                    Bytes::from_static(br#"{"type":"HEARTBEAT"}"#)
                ],
                "chunk size {chunk_size}"
            );
            assert_eq!(decoder.finish(), Ok(()));
        }
    }

    #[test]
    fn partial_record_needs_more_and_is_truncated_at_eof() {
        let mut decoder = Decoder::default();
        decoder.push(b"10\nabc");
        assert_eq!(decoder.next_record(), Ok(None));
        assert_eq!(decoder.finish(), Err(RecordIoError::Truncated { buffered: 6 }));
        decoder.push(b"defghij");
        assert_eq!(decoder.next_record(), Ok(Some(Bytes::from_static(b"abcdefghij"))));
        assert_eq!(decoder.finish(), Ok(()));
    }

    #[test]
    fn non_decimal_length_lines_are_rejected() {
        for bad in [&b"abc\n"[..], b"\n", b"-1\n", b" 5\n", b"5\r\nhello", b"0x10\n"] {
            let mut decoder = Decoder::default();
            decoder.push(bad);
            assert!(
                matches!(decoder.next_record(), Err(RecordIoError::BadLength { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn endless_length_line_is_rejected_without_waiting_for_a_newline() {
        let mut decoder = Decoder::default();
        decoder.push(&[b'1'; 21]);
        assert!(matches!(
            decoder.next_record(),
            Err(RecordIoError::BadLength { .. })
        ));
    }

    #[test]
    fn oversized_and_overflowing_lengths_are_rejected_before_buffering() {
        let mut decoder = Decoder::new(16);
        decoder.push(b"17\n");
        assert_eq!(
            decoder.next_record(),
            Err(RecordIoError::TooLarge { length: 17, max: 16 })
        );
        let mut decoder = Decoder::default();
        decoder.push(b"99999999999999999999\n");
        assert!(matches!(
            decoder.next_record(),
            Err(RecordIoError::BadLength { .. })
        ));
        let mut decoder = Decoder::default();
        decoder.push(b"18446744073709551615\n");
        assert!(matches!(
            decoder.next_record(),
            Err(RecordIoError::TooLarge { .. })
        ));
    }
}
