//! Connections to workers' data ports, pooled per worker so a stream of blocks does not dial for
//! each one. A connection goes back to the pool only between requests (nothing left unread).

use std::collections::HashMap;
use std::time::Duration;

use alluxio_proto::data::{self, FrameError, Request, Response, Status};
use alluxio_proto::grpc::WorkerNetAddress;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;

use crate::{ClientError, ErrorKind, Subject};

/// Socket buffer of a data connection; larger reads and writes bypass it.
const IO_BUFFER_BYTES: usize = 64 * 1024;
/// Idle connections kept per worker.
const MAX_IDLE_PER_WORKER: usize = 8;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a worker's explanation after it broke a write off.
const ERROR_RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// `host:data_port` of a worker, the key of everything per worker in the client.
pub(crate) fn data_address(address: &WorkerNetAddress) -> String {
    format!("{}:{}", address.host, address.data_port)
}

/// One connection to a worker's data port.
pub(crate) struct DataConnection {
    stream: BufReader<BufWriter<TcpStream>>,
    address: String,
}

impl DataConnection {
    /// The worker's `host:data_port`.
    pub(crate) fn address(&self) -> &str {
        &self.address
    }

    /// Whether an idle connection is still open: a worker that restarted has closed it.
    fn is_reusable(&self) -> bool {
        let mut probe = [0u8; 1];
        // Between requests nothing may arrive; EOF or stray bytes both disqualify the connection.
        self.stream.buffer().is_empty()
            && matches!(
                self.stream.get_ref().get_ref().try_read(&mut probe),
                Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock
            )
    }

    fn broken(&self, err: FrameError) -> ClientError {
        ClientError::new(
            ErrorKind::Unavailable,
            format!("data connection to worker {} failed: {err}", self.address),
        )
        .about(self.subject())
    }

    /// The worker's answer to a request it refused.
    fn refused(&self, resp: Response) -> ClientError {
        ClientError::from_data_status(resp.status, resp.message).about(self.subject())
    }

    /// What this connection's failures concern.
    fn subject(&self) -> Subject {
        Subject::Worker(self.address.clone())
    }

    /// Sends a request and reads its response header; a non-OK status becomes an error.
    pub(crate) async fn call(&mut self, req: &Request) -> Result<Response, ClientError> {
        data::write_request(&mut self.stream, req)
            .await
            .map_err(|e| self.broken(e))?;
        self.response().await
    }

    /// Sends a request whose response comes later (writes).
    pub(crate) async fn send(&mut self, req: &Request) -> Result<(), ClientError> {
        data::write_request(&mut self.stream, req)
            .await
            .map_err(|e| self.broken(e))
    }

    /// Reads a response header; a non-OK status becomes an error with the worker's message.
    pub(crate) async fn response(&mut self) -> Result<Response, ClientError> {
        let resp = data::read_response(&mut self.stream)
            .await
            .map_err(|e| self.broken(e))?;
        if resp.status == Status::Ok {
            Ok(resp)
        } else {
            Err(self.refused(resp))
        }
    }

    /// Reads raw data bytes that follow a read response; 0 only if the worker hung up.
    pub(crate) async fn read_data(&mut self, buf: &mut [u8]) -> Result<usize, ClientError> {
        self.stream
            .read(buf)
            .await
            .map_err(|e| self.broken(FrameError::Io(e)))
    }

    /// Streams one chunk of a block being written.
    pub(crate) async fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), ClientError> {
        if let Err(err) = data::write_chunk(&mut self.stream, chunk).await {
            return Err(self.explain_broken_write(err).await);
        }
        Ok(())
    }

    /// Commits the block being written and returns its committed length.
    pub(crate) async fn commit(&mut self) -> Result<u64, ClientError> {
        let sent = async {
            data::write_chunk(&mut self.stream, &[]).await?;
            self.stream.flush().await.map_err(FrameError::Io)
        }
        .await;
        if let Err(err) = sent {
            return Err(self.explain_broken_write(err).await);
        }
        Ok(self.response().await?.length)
    }

    /// Abandons the block being written, waiting briefly for the worker's acknowledgement.
    pub(crate) async fn cancel(mut self) {
        if data::write_cancel(&mut self.stream).await.is_ok() {
            let _ = tokio::time::timeout(ERROR_RESPONSE_TIMEOUT, data::read_response(&mut self.stream)).await;
        }
    }

    /// A worker that rejects a write answers and hangs up; its answer says more than the broken pipe.
    async fn explain_broken_write(&mut self, err: FrameError) -> ClientError {
        match tokio::time::timeout(ERROR_RESPONSE_TIMEOUT, data::read_response(&mut self.stream)).await {
            Ok(Ok(resp)) if resp.status != Status::Ok => self.refused(resp),
            _ => self.broken(err),
        }
    }
}

/// Idle data connections per worker.
#[derive(Default)]
pub(crate) struct DataPool {
    idle: Mutex<HashMap<String, Vec<DataConnection>>>,
}

impl DataPool {
    /// An idle connection to `address`, or a new one.
    pub(crate) async fn acquire(&self, address: &str) -> Result<DataConnection, ClientError> {
        loop {
            let pooled = self.idle.lock().get_mut(address).and_then(Vec::pop);
            match pooled {
                Some(conn) if conn.is_reusable() => return Ok(conn),
                Some(_) => continue,
                None => break,
            }
        }
        let unreachable = |message: String| {
            ClientError::new(ErrorKind::Unavailable, message).about(Subject::Worker(address.to_string()))
        };
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => {
                return Err(unreachable(format!(
                    "cannot connect to the data port of worker {address}: {err}; is the worker running?"
                )));
            }
            Err(_) => {
                return Err(unreachable(format!(
                    "connecting to the data port of worker {address} timed out after {CONNECT_TIMEOUT:?}"
                )));
            }
        };
        // Small requests must not wait behind Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        Ok(DataConnection {
            stream: BufReader::with_capacity(
                IO_BUFFER_BYTES,
                BufWriter::with_capacity(IO_BUFFER_BYTES, stream),
            ),
            address: address.to_string(),
        })
    }

    /// Returns a connection with no request in flight for reuse.
    pub(crate) fn release(&self, conn: DataConnection) {
        let mut idle = self.idle.lock();
        let list = idle.entry(conn.address.clone()).or_default();
        if list.len() < MAX_IDLE_PER_WORKER {
            list.push(conn);
        }
    }

    /// Drops every idle connection to `address` (the worker failed or restarted).
    pub(crate) fn forget(&self, address: &str) {
        self.idle.lock().remove(address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alluxio_proto::data::Op;
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn connections_are_reused_and_errors_keep_the_worker_message() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            for _ in 0..2 {
                let req = data::read_request(&mut sock).await.unwrap().unwrap();
                let resp = Response::error(Status::NotFound, format!("block {} is not cached", req.block_id));
                data::write_response(&mut sock, &resp).await.unwrap();
            }
        });
        let pool = DataPool::default();
        for block in [7, 8] {
            let mut conn = pool.acquire(&address).await.unwrap();
            let err = conn
                .call(&Request::new(Op::ReadBlock, block, 0, 1))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            assert_eq!(err.message(), format!("block {block} is not cached"));
            assert_eq!(err.subject(), Some(&Subject::Worker(address.clone())));
            pool.release(conn);
        }
        // Both requests went over the single accepted connection.
        server.await.unwrap();
    }

    #[tokio::test]
    async fn connections_closed_by_the_worker_are_not_reused() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let pool = DataPool::default();
        let conn = pool.acquire(&address).await.unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        assert!(conn.is_reusable());
        // The worker goes away (e.g. restarts): its end of the idle connection closes.
        drop(accepted);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while conn.is_reusable() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the close was never noticed"
            );
            tokio::task::yield_now().await;
        }
        pool.release(conn);
        let fresh = pool.acquire(&address).await.unwrap();
        // A new connection was dialled instead of handing out the dead one.
        let (_second, _) = listener.accept().await.unwrap();
        assert!(fresh.is_reusable());
    }

    #[tokio::test]
    async fn unreachable_worker_is_unavailable_naming_the_address() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        let err = DataPool::default().acquire(&address).await.err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(err.message().contains(&address), "{err}");
        assert_eq!(err.subject(), Some(&Subject::Worker(address)));
    }
}
