//! A listing read page by page as the master streams it.

use alluxio_proto::AlluxioPath;
use alluxio_proto::grpc::{FileInfo, ListStatusResponse};

use crate::error::{ClientError, Subject};

/// The pages of a listing, from [`crate::FileSystem::list_status_pages`].
pub struct ListStatusPages {
    pages: tonic::Streaming<ListStatusResponse>,
    path: AlluxioPath,
}

impl ListStatusPages {
    pub(crate) fn new(pages: tonic::Streaming<ListStatusResponse>, path: &AlluxioPath) -> Self {
        Self {
            pages,
            path: path.clone(),
        }
    }

    /// The next page, in path order; `None` once the listing is complete. A master lost midway
    /// ends the listing with an error (list again to start over).
    pub async fn next_page(&mut self) -> Result<Option<Vec<FileInfo>>, ClientError> {
        match self.pages.message().await {
            Ok(page) => Ok(page.map(|page| page.file_infos)),
            Err(status) => Err(ClientError::from_status(&status, "the Alluxio master")
                .about(Subject::Path(self.path.to_string()))),
        }
    }
}
