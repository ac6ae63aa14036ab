//! Writing a UFS file so that it appears under its final name complete or not at all.

use bytes::Bytes;
use opendal::Operator;

use crate::{UfsError, UfsWriter};

/// Marks Alluxio's temporary files: `<name>.alluxio.0x<16 hex digits>.tmp`, as Alluxio 1.x names
/// them, so listings can leave them out.
const TEMP_MARKER: &str = ".alluxio.0x";

/// A fresh temporary name for `path` in the same directory.
pub(crate) fn temporary_path(path: &str) -> String {
    format!(
        "{path}{TEMP_MARKER}{:016X}.tmp",
        uuid::Uuid::new_v4().as_u64_pair().0
    )
}

/// Whether `name` is one of our temporary files (a write in progress or abandoned by a crash).
pub(crate) fn is_temporary_name(name: &str) -> bool {
    name.strip_suffix(".tmp")
        .and_then(|rest| rest.rsplit_once(TEMP_MARKER))
        .is_some_and(|(_, hex)| {
            hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
        })
}

/// Streams bytes into an OpenDAL writer at a temporary path, renamed to `path` on close and
/// removed on abort or drop; `temp` is `None` once nothing is left to clean up, or from the
/// start on object stores, which publish the object itself only when its upload completes.
pub(crate) struct OpendalWriter {
    pub(crate) op: Operator,
    pub(crate) writer: Option<opendal::Writer>,
    pub(crate) uri: String,
    /// Where a remote backend's credentials come from, for access-denied errors.
    pub(crate) credentials: Option<String>,
    pub(crate) path: String,
    pub(crate) temp: Option<String>,
}

impl OpendalWriter {
    fn failed(&self, operation: &'static str, err: opendal::Error) -> UfsError {
        UfsError::from_opendal(operation, &self.uri, err).with_credentials(self.credentials.as_deref())
    }

    async fn discard(&mut self) -> Result<(), UfsError> {
        if let Some(mut writer) = self.writer.take() {
            // Backends without abort (plain files) leave nothing to undo but the temporary.
            match writer.abort().await {
                Err(err) if err.kind() != opendal::ErrorKind::Unsupported => {
                    tracing::debug!(uri = %self.uri, error = %err, "UFS writer abort failed");
                }
                _ => {}
            }
        }
        if let Some(temp) = self.temp.take() {
            self.op
                .delete(&temp)
                .await
                .map_err(|err| self.failed("abort", err))?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl UfsWriter for OpendalWriter {
    async fn write(&mut self, data: Bytes) -> Result<(), UfsError> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(UfsError::Operation {
                operation: "write",
                uri: self.uri.clone(),
                cause: "the writer already failed".into(),
                temporary: false,
            });
        };
        if let Err(err) = writer.write(data).await {
            let err = self.failed("write", err);
            self.discard().await?;
            return Err(err);
        }
        Ok(())
    }

    async fn close(mut self: Box<Self>) -> Result<(), UfsError> {
        let closed = match self.writer.as_mut() {
            Some(writer) => writer.close().await.map(drop),
            None => Ok(()),
        };
        if let Err(err) = closed {
            let err = self.failed("close", err);
            self.discard().await?;
            return Err(err);
        }
        self.writer = None;
        if let Some(temp) = self.temp.clone() {
            if let Err(err) = self.op.rename(&temp, &self.path).await {
                let err = self.failed("close", err);
                self.discard().await?;
                return Err(err);
            }
            self.temp = None;
        }
        Ok(())
    }

    async fn abort(mut self: Box<Self>) -> Result<(), UfsError> {
        self.discard().await
    }
}

impl Drop for OpendalWriter {
    fn drop(&mut self) {
        let (writer, temp) = (self.writer.take(), self.temp.take());
        if writer.is_none() && temp.is_none() {
            return;
        }
        // Dropped mid-write (a cancelled task, an early return): abort the upload (an object
        // store's multipart upload would otherwise linger) and remove the temporary in the
        // background, since Drop cannot wait.
        let op = self.op.clone();
        let uri = self.uri.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Some(mut writer) = writer
                        && let Err(err) = writer.abort().await
                        && err.kind() != opendal::ErrorKind::Unsupported
                    {
                        tracing::debug!(%uri, error = %err, "abandoned UFS upload not aborted");
                    }
                    if let Some(temp) = temp
                        && let Err(err) = op.delete(&temp).await
                    {
                        tracing::warn!(%uri, %temp, error = %err, "cannot remove abandoned UFS temporary file");
                    }
                });
            }
            Err(_) => {
                tracing::warn!(%uri, ?temp, "UFS writer dropped outside a runtime; upload or temporary file left behind");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_recognised() {
        let temp = temporary_path("dir/a file.txt");
        assert!(temp.starts_with("dir/a file.txt.alluxio.0x"), "{temp}");
        assert!(is_temporary_name(&temp));
        assert!(!is_temporary_name("dir/a file.txt"));
        assert!(!is_temporary_name("x.alluxio.0x00000000000000zz.tmp"));
        assert!(!is_temporary_name("x.alluxio.0x0000.tmp"));
    }
}
