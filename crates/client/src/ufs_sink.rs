//! The UFS copy of a file written THROUGH or CACHE_THROUGH, streamed to a worker that writes it
//! with the mount's options: the UFS's credentials stay with the workers and the master.

use alluxio_proto::data::{Op, Request};
use alluxio_proto::grpc::UfsFileTarget;
use prost::Message;

use crate::worker_client::{DataConnection, DataPool};
use crate::{ClientError, ErrorKind, Subject};

/// A UFS file being written through one worker.
pub(crate) struct UfsSink {
    conn: DataConnection,
    uri: String,
    written: u64,
}

impl UfsSink {
    /// Has the worker at the other end of `conn` create `target`; fails if it cannot (the UFS
    /// refused, the mount is gone) before any byte is sent.
    pub(crate) async fn open(mut conn: DataConnection, target: UfsFileTarget) -> Result<Self, ClientError> {
        let mut request = Request::new(Op::WriteUfsFile, 0, 0, 0);
        request.extra = target.encode_to_vec();
        conn.call(&request).await?;
        Ok(Self {
            conn,
            uri: target.ufs_path,
            written: 0,
        })
    }

    /// The `host:data_port` of the worker writing it.
    pub(crate) fn address(&self) -> &str {
        self.conn.address()
    }

    /// Appends `data`.
    pub(crate) async fn write(&mut self, data: &[u8]) -> Result<(), ClientError> {
        self.conn.write_chunk(data).await?;
        self.written += data.len() as u64;
        Ok(())
    }

    /// Publishes the file under its name and returns the connection to `pool`.
    pub(crate) async fn close(mut self, pool: &DataPool) -> Result<(), ClientError> {
        let stored = self.conn.commit().await?;
        if stored != self.written {
            let message = format!(
                "worker {} wrote {stored} bytes of UFS file {}, {} were sent",
                self.conn.address(),
                self.uri,
                self.written
            );
            return Err(
                ClientError::new(ErrorKind::Internal, message).about(Subject::Worker(self.address().into()))
            );
        }
        pool.release(self.conn);
        Ok(())
    }

    /// Abandons the file: nothing appears in the UFS.
    pub(crate) async fn abort(self) {
        self.conn.cancel().await;
    }
}
