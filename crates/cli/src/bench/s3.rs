//! S3 cases through the proxy: a GET of the cached sequential file and a PUT of a new object of
//! the same size. The proxy is a client of the same worker with one more loopback hop in front,
//! so each is compared with the data-port case of the same round (`read.data_port`,
//! `write.data_port`). Requests are anonymous, as a proxy without key pairs accepts them.

use std::time::Instant;

use alluxio_client::{AlluxioPath, FileSystem};
use anyhow::{Context, bail};
use bytes::Bytes;
use reqwest::header::CONTENT_LENGTH;

use super::limits::{mib_per_sec, pattern};
use super::report::{Limit, Line};

const UNIT: &str = "MiB/s";

/// The S3 API of a proxy, e.g. `http://127.0.0.1:39999/api/v1/s3`, whose buckets are the
/// top-level directories (bucket root `/`).
#[derive(Debug, Clone)]
pub struct S3Endpoint {
    base_url: String,
    http: reqwest::Client,
}

impl S3Endpoint {
    /// The S3 API under `/api/v1/s3` of the proxy at `host:port`.
    pub fn new(proxy: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .context("cannot create the HTTP client")?;
        Ok(Self {
            base_url: format!("http://{proxy}/api/v1/s3"),
            http,
        })
    }

    /// The URL of the object at `path` (`/bucket/key…`).
    fn url(&self, path: &AlluxioPath) -> String {
        format!("{}{path}", self.base_url)
    }

    /// GETs the object at `path`, which must hold `size` bytes.
    pub async fn get(&self, path: &AlluxioPath, size: u64, limit: Option<Limit>) -> Line {
        const CASE: &str = "s3.get";
        let start = Instant::now();
        match self.timed_get(path).await {
            Ok(read) if read == size => {
                Line::against_any(CASE, mib_per_sec(size, start.elapsed()), UNIT, limit)
            }
            Ok(read) => Line::error(CASE, format!("GET {path} returned {read} of its {size} bytes")),
            Err(e) => Line::error(CASE, format!("{e:#}")),
        }
    }

    async fn timed_get(&self, path: &AlluxioPath) -> anyhow::Result<u64> {
        let mut response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .with_context(|| format!("GET {path} through the proxy failed"))?;
        if !response.status().is_success() {
            bail!("GET {path} answered {}", response.status());
        }
        let mut read = 0u64;
        while let Some(chunk) = response
            .chunk()
            .await
            .with_context(|| format!("GET {path}: the body broke off"))?
        {
            read += chunk.len() as u64;
        }
        Ok(read)
    }

    /// PUTs `size` bytes to `path`, `buffer` bytes per body chunk, and checks that the file
    /// Alluxio holds afterwards has them all.
    pub async fn put(
        &self,
        fs: &FileSystem,
        path: &AlluxioPath,
        size: u64,
        buffer: usize,
        limit: Option<Limit>,
    ) -> Line {
        const CASE: &str = "s3.put";
        let start = Instant::now();
        if let Err(e) = self.timed_put(path, size, buffer).await {
            return Line::error(CASE, format!("{e:#}"));
        }
        let elapsed = start.elapsed();
        match fs.get_status(path).await {
            Ok(status) if status.length == size => {
                Line::against_any(CASE, mib_per_sec(size, elapsed), UNIT, limit)
            }
            Ok(status) => Line::error(
                CASE,
                format!(
                    "PUT {path} of {size} bytes left a file of {} bytes",
                    status.length
                ),
            ),
            Err(e) => Line::error(CASE, format!("PUT {path} succeeded but Alluxio has no file: {e}")),
        }
    }

    async fn timed_put(&self, path: &AlluxioPath, size: u64, buffer: usize) -> anyhow::Result<()> {
        let chunk = Bytes::from(pattern(buffer));
        let chunks = size.div_ceil(buffer as u64);
        let body = futures::stream::iter((0..chunks).map(move |i| {
            let n = (size - i * chunk.len() as u64).min(chunk.len() as u64) as usize;
            Ok::<_, std::io::Error>(chunk.slice(..n))
        }));
        let response = self
            .http
            .put(self.url(path))
            .header(CONTENT_LENGTH, size)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
            .with_context(|| format!("PUT {path} through the proxy failed"))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            bail!("PUT {path} answered {status}: {text}");
        }
        Ok(())
    }
}
