//! Client failures as S3 errors: the code an S3 client acts on, and the client's own message
//! (which names the Alluxio path) so the user sees what went wrong.

use alluxio_client::{ClientError, ErrorKind};
use s3s::{S3Error, S3ErrorCode};

/// An S3 error for a failed client call; callers map the `NotFound`s that mean a missing key or
/// bucket themselves, so one left here is an internal inconsistency (a race with a delete).
pub(crate) fn from_client(err: ClientError) -> S3Error {
    let code = match err.kind() {
        ErrorKind::NotFound => S3ErrorCode::NoSuchKey,
        ErrorKind::AlreadyExists | ErrorKind::FailedPrecondition => S3ErrorCode::OperationAborted,
        ErrorKind::InvalidArgument => S3ErrorCode::InvalidArgument,
        ErrorKind::ResourceExhausted | ErrorKind::Unavailable => S3ErrorCode::ServiceUnavailable,
        ErrorKind::PermissionDenied => S3ErrorCode::AccessDenied,
        ErrorKind::Internal => S3ErrorCode::InternalError,
    };
    S3Error::with_message(code, err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_message_is_kept() {
        let err = from_client(ClientError::new(
            ErrorKind::Unavailable,
            "the master at m:19998 is down",
        ));
        assert_eq!(err.code(), &S3ErrorCode::ServiceUnavailable);
        assert_eq!(err.message(), Some("the master at m:19998 is down"));
        assert_eq!(
            from_client(ClientError::new(ErrorKind::PermissionDenied, "no")).code(),
            &S3ErrorCode::AccessDenied
        );
    }
}
