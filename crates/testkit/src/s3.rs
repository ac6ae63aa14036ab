//! A real S3 server on loopback for tests: `s3s` parses the S3 REST protocol and checks every
//! request's SigV4 signature against one key pair (so a wrong secret really is refused), over
//! buckets kept in memory. Bound to 127.0.0.1 on an OS-chosen port; stopped when dropped.

mod store;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use hyper_util::rt::TokioIo;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use store::Store;

/// A running loopback S3 server and the credentials it accepts.
pub struct S3Server {
    /// `http://127.0.0.1:<port>`, for `alluxio.underfs.s3.endpoint`.
    pub endpoint: String,
    /// The only access key id it accepts (`aws.accessKeyId`).
    pub access_key: String,
    /// Its secret (`aws.secretKey`).
    pub secret_key: String,
    addr: SocketAddr,
    store: Store,
    accept: JoinHandle<()>,
}

impl S3Server {
    /// Starts a server on 127.0.0.1 (an OS-chosen port) holding these empty buckets, with fresh
    /// random credentials.
    pub async fn start(buckets: &[&str]) -> std::io::Result<S3Server> {
        let access_key = format!("AK{}", uuid::Uuid::new_v4().simple()).to_uppercase();
        let secret_key = uuid::Uuid::new_v4().simple().to_string();
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::start_on(addr, buckets, access_key, secret_key).await
    }

    /// Starts a server on `addr` holding these empty buckets, accepting only this key pair.
    pub async fn start_on(
        addr: SocketAddr,
        buckets: &[&str],
        access_key: String,
        secret_key: String,
    ) -> std::io::Result<S3Server> {
        let store = Store::default();
        for bucket in buckets {
            store.create_bucket(bucket);
        }
        let mut builder = S3ServiceBuilder::new(store.clone());
        builder.set_auth(SimpleAuth::from_single(access_key.clone(), secret_key.clone()));
        let service = builder.build();

        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let accept = tokio::spawn(async move {
            // Connections live in this set: aborting the accept task on drop ends them all.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((socket, _)) => {
                            let service = service.clone();
                            connections.spawn(async move {
                                let served = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(socket), service)
                                    .await;
                                if let Err(err) = served {
                                    tracing::debug!(error = %err, "S3 test server connection ended");
                                }
                            });
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "S3 test server cannot accept");
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        }
                    },
                    Some(_) = connections.join_next() => {}
                }
            }
        });
        tracing::debug!(%addr, "S3 test server listening");
        Ok(S3Server {
            endpoint: format!("http://{addr}"),
            access_key,
            secret_key,
            addr,
            store,
            accept,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Alluxio properties that reach this server: endpoint, path-style requests and its key
    /// pair; for `alluxio-site.properties`, a `Configuration` or a mount's options.
    pub fn properties(&self) -> BTreeMap<String, String> {
        [
            ("alluxio.underfs.s3.endpoint", self.endpoint.as_str()),
            ("alluxio.underfs.s3.disable.dns.buckets", "true"),
            ("aws.accessKeyId", self.access_key.as_str()),
            ("aws.secretKey", self.secret_key.as_str()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
    }

    /// Stores an object straight into a bucket, bypassing HTTP, as another S3 client would;
    /// false if the bucket does not exist.
    pub fn put_object(&self, bucket: &str, key: &str, data: impl Into<Bytes>) -> bool {
        self.store.put(bucket, key, data.into())
    }

    /// How many multipart uploads were started and neither completed nor aborted.
    pub fn uploads_in_progress(&self) -> usize {
        self.store.uploads_in_progress()
    }

    /// Every key of a bucket, sorted (markers and all); `None` if the bucket does not exist.
    pub fn keys(&self, bucket: &str) -> Option<Vec<String>> {
        self.store.keys(bucket)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
