//! The protobuf codec of every generated service and client: tonic's prost codec with buffers
//! sized for Alluxio's messages.
//!
//! Tonic's default codec allocates an 8 KiB buffer to encode and another to decode every call,
//! though most of Alluxio's calls (getStatus, create, complete, heartbeats) carry a few hundred
//! bytes. Allocations that large miss the allocator's per-thread cache, and a master answering
//! tens of thousands of calls a second pays for two of them per call, its client for two more.
//! A buffer of 1 KiB holds those messages; a larger one (a page of a listing, a worker's block
//! report) grows it as it is encoded, and a message is decoded into a buffer reserved for its
//! whole length.

use std::marker::PhantomData;

use prost::Message;
use tonic::codec::{BufferSettings, Codec};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

/// Bytes each call's encoding and decoding buffer starts with.
const BUFFER_BYTES: usize = 1024;
/// Bytes of streamed messages gathered before they are handed to the connection (tonic's
/// default).
const YIELD_THRESHOLD: usize = 32 * 1024;

/// Encodes `T` and decodes `U` as protobuf (`application/grpc+proto`) with small buffers.
#[derive(Debug, Clone)]
pub struct AlluxioCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for AlluxioCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for AlluxioCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::raw_encoder(buffers())
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstCodec::<T, U>::raw_decoder(buffers())
    }
}

fn buffers() -> BufferSettings {
    BufferSettings::new(BUFFER_BYTES, YIELD_THRESHOLD)
}
