//! The Alluxio file system client: metadata from the master over gRPC, block bytes to and from
//! workers over their data ports (or straight from the block file when the worker is local).
//!
//! [`FileSystem`] is async; [`blocking::FileSystem`] wraps it for synchronous callers.

pub mod blocking;
mod error;
mod options;

pub use alluxio_proto::grpc::{BlockMasterInfo, FileInfo, MasterInfo, ReadType, WorkerInfo, WriteType};
pub use alluxio_proto::{AlluxioPath, AlluxioUri};
pub use error::ClientError;
pub use options::{
    CreateDirectoryOptions, CreateFileOptions, DeleteOptions, FreeOptions, ListStatusOptions,
    OpenFileOptions, SetAttributeOptions,
};

use alluxio_conf::Configuration;

/// A connection to an Alluxio cluster. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct FileSystem {}

impl FileSystem {
    /// Connects to the master at `alluxio.master.hostname`:`alluxio.master.port`.
    pub async fn connect(_conf: Configuration) -> Result<Self, ClientError> {
        unimplemented!("being written")
    }

    /// The configuration this client uses (defaults for options come from it).
    pub fn conf(&self) -> &Configuration {
        unimplemented!("being written")
    }

    /// Creates a directory.
    pub async fn create_directory(
        &self,
        _path: &AlluxioPath,
        _options: CreateDirectoryOptions,
    ) -> Result<(), ClientError> {
        unimplemented!("being written")
    }

    /// Creates a file and returns the stream to write it; the file exists once the stream closes.
    pub async fn create_file(
        &self,
        _path: &AlluxioPath,
        _options: CreateFileOptions,
    ) -> Result<FileOutStream, ClientError> {
        unimplemented!("being written")
    }

    /// Opens a complete file for reading.
    pub async fn open_file(
        &self,
        _path: &AlluxioPath,
        _options: OpenFileOptions,
    ) -> Result<FileInStream, ClientError> {
        unimplemented!("being written")
    }

    /// Status of a file or directory.
    pub async fn get_status(&self, _path: &AlluxioPath) -> Result<FileInfo, ClientError> {
        unimplemented!("being written")
    }

    /// Whether a path exists.
    pub async fn exists(&self, _path: &AlluxioPath) -> Result<bool, ClientError> {
        unimplemented!("being written")
    }

    /// Children of a directory (or the file itself), loading UFS metadata per the options.
    pub async fn list_status(
        &self,
        _path: &AlluxioPath,
        _options: ListStatusOptions,
    ) -> Result<Vec<FileInfo>, ClientError> {
        unimplemented!("being written")
    }

    /// Deletes a file or directory.
    pub async fn delete(&self, _path: &AlluxioPath, _options: DeleteOptions) -> Result<(), ClientError> {
        unimplemented!("being written")
    }

    /// Renames (metadata only).
    pub async fn rename(&self, _src: &AlluxioPath, _dst: &AlluxioPath) -> Result<(), ClientError> {
        unimplemented!("being written")
    }

    /// Sets pin and TTL attributes.
    pub async fn set_attribute(
        &self,
        _path: &AlluxioPath,
        _options: SetAttributeOptions,
    ) -> Result<(), ClientError> {
        unimplemented!("being written")
    }

    /// Drops cached blocks of persisted files.
    pub async fn free(&self, _path: &AlluxioPath, _options: FreeOptions) -> Result<(), ClientError> {
        unimplemented!("being written")
    }

    /// Asks for a complete file to be persisted to the UFS in the background.
    pub async fn persist(&self, _path: &AlluxioPath) -> Result<(), ClientError> {
        unimplemented!("being written")
    }

    /// Capacity and usage of the cluster, per tier.
    pub async fn block_master_info(&self) -> Result<BlockMasterInfo, ClientError> {
        unimplemented!("being written")
    }

    /// Live and lost workers.
    pub async fn worker_info_list(&self) -> Result<(Vec<WorkerInfo>, Vec<WorkerInfo>), ClientError> {
        unimplemented!("being written")
    }

    /// The master's addresses, start time and version.
    pub async fn master_info(&self) -> Result<MasterInfo, ClientError> {
        unimplemented!("being written")
    }
}

/// A file being written. Call [`FileOutStream::close`] to complete it; dropped unclosed, the
/// file stays incomplete and its blocks are abandoned.
pub struct FileOutStream {}

impl FileOutStream {
    /// Appends bytes.
    pub async fn write(&mut self, _data: &[u8]) -> Result<(), ClientError> {
        unimplemented!("being written")
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        unimplemented!("being written")
    }

    /// Flushes the last block and completes the file.
    pub async fn close(self) -> Result<FileInfo, ClientError> {
        unimplemented!("being written")
    }

    /// Abandons the file: its blocks are dropped and the incomplete file deleted.
    pub async fn cancel(self) -> Result<(), ClientError> {
        unimplemented!("being written")
    }
}

/// A file being read.
pub struct FileInStream {}

impl FileInStream {
    /// Reads up to `buf.len()` bytes; 0 at the end of the file.
    pub async fn read(&mut self, _buf: &mut [u8]) -> Result<usize, ClientError> {
        unimplemented!("being written")
    }

    /// Moves to byte `position` of the file.
    pub async fn seek(&mut self, _position: u64) -> Result<(), ClientError> {
        unimplemented!("being written")
    }

    /// Current position.
    pub fn position(&self) -> u64 {
        unimplemented!("being written")
    }

    /// File length.
    pub fn length(&self) -> u64 {
        unimplemented!("being written")
    }

    /// Reads everything from the current position to the end.
    pub async fn read_to_end(&mut self) -> Result<Vec<u8>, ClientError> {
        unimplemented!("being written")
    }

    /// Releases block locks and connections.
    pub async fn close(self) -> Result<(), ClientError> {
        unimplemented!("being written")
    }
}
