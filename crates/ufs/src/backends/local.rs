//! The local file system (`/data/x`, `file:///data/x`) through OpenDAL's `fs` service.

use std::sync::Arc;

use opendal::Operator;
use opendal::services::Fs;

use super::Settings;
use crate::opendal_ufs::OpendalUfs;
use crate::uri::UfsUri;
use crate::{UfsError, UnderFileSystem};

/// The local file system rooted at `/`; only an empty or `localhost` authority names this host.
///
/// No `RetryLayer` here, unlike network backends: OpenDAL's `fs` service marks every I/O error
/// it does not classify (ENOTDIR, ENOTEMPTY, ENOSPC, ...) temporary, so retrying would only
/// delay permanent failures by seconds.
pub(super) fn create(uri: &UfsUri, settings: &Settings) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
    if !uri.authority.is_empty() && !uri.authority.eq_ignore_ascii_case("localhost") {
        return Err(settings.bad_uri(format!(
            "file:// URIs name this host's files; '{}' is another host (write file:///path)",
            uri.authority
        )));
    }
    let op = Operator::new(Fs::default().root("/"))
        .map_err(|err| UfsError::from_opendal("open", settings.uri, err))?
        .finish();
    Ok(Arc::new(OpendalUfs::local(op, uri.root())))
}
