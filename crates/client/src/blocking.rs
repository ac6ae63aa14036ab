//! A synchronous facade over [`crate::FileSystem`], for callers without an async runtime. Each
//! call drives the async client on a runtime this facade owns; calling it from inside an async
//! runtime is refused with an error instead of deadlocking or panicking.

use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use alluxio_conf::Configuration;
use tokio::runtime::{Handle, Runtime};

use crate::{
    AlluxioPath, BlockMasterInfo, ClientError, CreateDirectoryOptions, CreateFileOptions, DeleteOptions,
    ErrorKind, FileInfo, FreeOptions, ListStatusOptions, MasterInfo, OpenFileOptions, SetAttributeOptions,
    WorkerInfo,
};

/// Owns the runtime; shuts it down without blocking wherever the last handle is dropped.
struct OwnedRuntime(Option<Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

#[derive(Clone)]
struct Driver(Arc<OwnedRuntime>);

impl Driver {
    fn new() -> Result<Self, ClientError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("alluxio-client")
            .enable_all()
            .build()
            .map_err(|e| {
                ClientError::new(
                    ErrorKind::Internal,
                    format!("cannot start the client's runtime: {e}"),
                )
            })?;
        Ok(Self(Arc::new(OwnedRuntime(Some(runtime)))))
    }

    fn run<F: Future>(&self, future: F) -> Result<F::Output, ClientError> {
        if Handle::try_current().is_ok() {
            return Err(ClientError::new(
                ErrorKind::FailedPrecondition,
                "the blocking Alluxio client was called from inside an async runtime; \
                 use alluxio_client::FileSystem there",
            ));
        }
        match &self.0.0 {
            Some(runtime) => Ok(runtime.block_on(future)),
            None => Err(ClientError::new(
                ErrorKind::Internal,
                "the client's runtime has shut down",
            )),
        }
    }
}

/// A blocking connection to an Alluxio cluster. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct FileSystem {
    inner: crate::FileSystem,
    driver: Driver,
}

impl FileSystem {
    /// Connects to the master at `alluxio.master.hostname`:`alluxio.master.port`.
    pub fn connect(conf: Configuration) -> Result<Self, ClientError> {
        let driver = Driver::new()?;
        let inner = driver.run(crate::FileSystem::connect(conf))??;
        Ok(Self { inner, driver })
    }

    /// The async client this facade drives.
    pub fn as_async(&self) -> &crate::FileSystem {
        &self.inner
    }

    /// The configuration this client uses.
    pub fn conf(&self) -> &Configuration {
        self.inner.conf()
    }

    /// Creates a directory.
    pub fn create_directory(
        &self,
        path: &AlluxioPath,
        options: CreateDirectoryOptions,
    ) -> Result<(), ClientError> {
        self.driver.run(self.inner.create_directory(path, options))?
    }

    /// Creates a file and returns the stream to write it.
    pub fn create_file(
        &self,
        path: &AlluxioPath,
        options: CreateFileOptions,
    ) -> Result<FileOutStream, ClientError> {
        let inner = self.driver.run(self.inner.create_file(path, options))??;
        Ok(FileOutStream {
            inner: Some(inner),
            driver: self.driver.clone(),
        })
    }

    /// Opens a complete file for reading.
    pub fn open_file(
        &self,
        path: &AlluxioPath,
        options: OpenFileOptions,
    ) -> Result<FileInStream, ClientError> {
        let inner = self.driver.run(self.inner.open_file(path, options))??;
        Ok(FileInStream {
            inner,
            driver: self.driver.clone(),
        })
    }

    /// Status of a file or directory.
    pub fn get_status(&self, path: &AlluxioPath) -> Result<FileInfo, ClientError> {
        self.driver.run(self.inner.get_status(path))?
    }

    /// Whether a path exists.
    pub fn exists(&self, path: &AlluxioPath) -> Result<bool, ClientError> {
        self.driver.run(self.inner.exists(path))?
    }

    /// Children of a directory (or the file itself).
    pub fn list_status(
        &self,
        path: &AlluxioPath,
        options: ListStatusOptions,
    ) -> Result<Vec<FileInfo>, ClientError> {
        self.driver.run(self.inner.list_status(path, options))?
    }

    /// Deletes a file or directory.
    pub fn delete(&self, path: &AlluxioPath, options: DeleteOptions) -> Result<(), ClientError> {
        self.driver.run(self.inner.delete(path, options))?
    }

    /// Renames (metadata only).
    pub fn rename(&self, src: &AlluxioPath, dst: &AlluxioPath) -> Result<(), ClientError> {
        self.driver.run(self.inner.rename(src, dst))?
    }

    /// Sets pin and TTL attributes.
    pub fn set_attribute(&self, path: &AlluxioPath, options: SetAttributeOptions) -> Result<(), ClientError> {
        self.driver.run(self.inner.set_attribute(path, options))?
    }

    /// Drops cached blocks of persisted files.
    pub fn free(&self, path: &AlluxioPath, options: FreeOptions) -> Result<(), ClientError> {
        self.driver.run(self.inner.free(path, options))?
    }

    /// Asks for a complete file to be persisted in the background.
    pub fn persist(&self, path: &AlluxioPath) -> Result<(), ClientError> {
        self.driver.run(self.inner.persist(path))?
    }

    /// Capacity and usage of the cluster, per tier.
    pub fn block_master_info(&self) -> Result<BlockMasterInfo, ClientError> {
        self.driver.run(self.inner.block_master_info())?
    }

    /// Live and lost workers.
    pub fn worker_info_list(&self) -> Result<(Vec<WorkerInfo>, Vec<WorkerInfo>), ClientError> {
        self.driver.run(self.inner.worker_info_list())?
    }

    /// The master's addresses, start time and version.
    pub fn master_info(&self) -> Result<MasterInfo, ClientError> {
        self.driver.run(self.inner.master_info())?
    }
}

/// A file being written; [`FileOutStream::close`] completes it. Also a [`std::io::Write`].
pub struct FileOutStream {
    /// `None` once closed or cancelled.
    inner: Option<crate::FileOutStream>,
    driver: Driver,
}

impl FileOutStream {
    fn stream(&mut self) -> Result<&mut crate::FileOutStream, ClientError> {
        self.inner.as_mut().ok_or_else(|| {
            ClientError::new(
                ErrorKind::FailedPrecondition,
                "the output stream is already closed",
            )
        })
    }

    /// Appends bytes.
    pub fn write_bytes(&mut self, data: &[u8]) -> Result<(), ClientError> {
        let driver = self.driver.clone();
        let stream = self.stream()?;
        driver.run(stream.write(data))?
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.inner.as_ref().map_or(0, crate::FileOutStream::bytes_written)
    }

    /// Bytes sent to workers so far, by path.
    pub fn stats(&self) -> crate::WriteStats {
        self.inner
            .as_ref()
            .map_or_else(Default::default, crate::FileOutStream::stats)
    }

    /// Flushes the last block and completes the file.
    pub fn close(mut self) -> Result<FileInfo, ClientError> {
        let stream = self.inner.take().ok_or_else(|| {
            ClientError::new(
                ErrorKind::FailedPrecondition,
                "the output stream is already closed",
            )
        })?;
        self.driver.run(stream.close())?
    }

    /// Abandons the file.
    pub fn cancel(mut self) -> Result<(), ClientError> {
        match self.inner.take() {
            Some(stream) => self.driver.run(stream.cancel())?,
            None => Ok(()),
        }
    }
}

impl Write for FileOutStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_bytes(buf)?;
        Ok(buf.len())
    }

    /// Sends buffered bytes on to the worker and the UFS; durability comes only with `close`.
    fn flush(&mut self) -> io::Result<()> {
        let driver = self.driver.clone();
        let stream = self.stream()?;
        Ok(driver.run(stream.flush())??)
    }
}

/// A file being read. Also a [`std::io::Read`] and [`std::io::Seek`].
pub struct FileInStream {
    inner: crate::FileInStream,
    driver: Driver,
}

impl FileInStream {
    /// File length.
    pub fn length(&self) -> u64 {
        self.inner.length()
    }

    /// Current position.
    pub fn position(&self) -> u64 {
        self.inner.position()
    }

    /// Bytes read so far, by how they reached the client.
    pub fn stats(&self) -> crate::ReadStats {
        self.inner.stats()
    }

    /// Reads up to `buf.len()` bytes at the current position; 0 at the end of the file.
    pub fn read_bytes(&mut self, buf: &mut [u8]) -> Result<usize, ClientError> {
        self.driver.run(self.inner.read(buf))?
    }

    /// Moves to `position` (at most the length).
    pub fn seek_to(&mut self, position: u64) -> Result<(), ClientError> {
        self.driver.run(self.inner.seek(position))?
    }

    /// Reads everything from the current position to the end.
    pub fn read_to_end_bytes(&mut self) -> Result<Vec<u8>, ClientError> {
        self.driver.run(self.inner.read_to_end())?
    }

    /// Releases block locks and connections.
    pub fn close(self) -> Result<(), ClientError> {
        self.driver.run(self.inner.close())?
    }
}

impl Read for FileInStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.read_bytes(buf)?)
    }
}

impl Seek for FileInStream {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(delta) => self.inner.length().checked_add_signed(delta),
            SeekFrom::Current(delta) => self.inner.position().checked_add_signed(delta),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the file"))?;
        self.seek_to(target)?;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_to_block_inside_a_runtime() {
        let driver = std::thread::spawn(Driver::new).join().unwrap().unwrap();
        let err = driver.run(async { 1 }).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FailedPrecondition);
        assert!(err.message().contains("async runtime"), "{err}");
        assert_eq!(
            std::thread::spawn(move || driver.run(async { 1 }).unwrap())
                .join()
                .unwrap(),
            1
        );
    }
}
