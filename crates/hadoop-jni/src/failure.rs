//! What a native call can fail with, and how each failure reaches Java: as the exception a
//! Hadoop caller catches, with the client's message (which names the path, worker or block).
//! No failure and no panic crosses into the JVM any other way.

use std::panic::{AssertUnwindSafe, catch_unwind};

use alluxio_client::{ClientError, ErrorKind};
use jni::JNIEnv;

const IO_EXCEPTION: &str = "java/io/IOException";

/// A failed native call.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The Alluxio client failed; its kind picks the exception.
    Client(ClientError),
    /// A failure with a Java exception class of its own.
    Java {
        /// The exception's class, e.g. `java/io/EOFException`.
        class: &'static str,
        /// Its message.
        message: String,
    },
    /// A JNI call failed; if it left a Java exception pending, that one is thrown.
    Jni(jni::errors::Error),
}

impl Failure {
    /// An `IOException` with `message`.
    pub(crate) fn io(message: impl Into<String>) -> Self {
        Failure::Java {
            class: IO_EXCEPTION,
            message: message.into(),
        }
    }

    /// An exception of `class` with `message`.
    pub(crate) fn java(class: &'static str, message: impl Into<String>) -> Self {
        Failure::Java {
            class,
            message: message.into(),
        }
    }

    /// Throws this failure as a Java exception.
    fn throw(self, env: &mut JNIEnv) {
        let (class, message) = match self {
            Failure::Client(err) => (exception_class(err.kind()), err.to_string()),
            Failure::Java { class, message } => (class, message),
            Failure::Jni(err) => {
                if env.exception_check().unwrap_or(false) {
                    return;
                }
                (
                    IO_EXCEPTION,
                    format!("a JNI call of the Alluxio client failed: {err}"),
                )
            }
        };
        if env.throw_new(class, &message).is_err() {
            // The class is missing (e.g. Hadoop's, with no Hadoop on the class path): an
            // IOException still carries the message.
            let _ = env.exception_clear();
            let _ = env.throw_new(IO_EXCEPTION, &message);
        }
    }
}

impl From<ClientError> for Failure {
    fn from(err: ClientError) -> Self {
        Failure::Client(err)
    }
}

impl From<jni::errors::Error> for Failure {
    fn from(err: jni::errors::Error) -> Self {
        Failure::Jni(err)
    }
}

/// The Java exception Hadoop callers expect for a client failure of `kind`.
fn exception_class(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "java/io/FileNotFoundException",
        ErrorKind::AlreadyExists => "org/apache/hadoop/fs/FileAlreadyExistsException",
        ErrorKind::PermissionDenied => "org/apache/hadoop/security/AccessControlException",
        ErrorKind::Unavailable => "java/net/ConnectException",
        ErrorKind::InvalidArgument
        | ErrorKind::FailedPrecondition
        | ErrorKind::ResourceExhausted
        | ErrorKind::Internal => IO_EXCEPTION,
    }
}

/// Runs the body of a native method: its value on success; otherwise a pending Java exception
/// and `T::default()` (which Java never sees, as the exception is thrown on return).
pub(crate) fn call<'local, T: Default>(
    env: &mut JNIEnv<'local>,
    body: impl FnOnce(&mut JNIEnv<'local>) -> Result<T, Failure>,
) -> T {
    let failure = match catch_unwind(AssertUnwindSafe(|| body(env))) {
        Ok(Ok(value)) => return value,
        Ok(Err(failure)) => failure,
        Err(panic) => {
            let cause = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            Failure::io(format!("internal error of the Alluxio native client: {cause}"))
        }
    };
    failure.throw(env);
    T::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_the_exception_hadoop_callers_catch() {
        assert_eq!(
            exception_class(ErrorKind::NotFound),
            "java/io/FileNotFoundException"
        );
        assert_eq!(
            exception_class(ErrorKind::AlreadyExists),
            "org/apache/hadoop/fs/FileAlreadyExistsException"
        );
        assert_eq!(
            exception_class(ErrorKind::PermissionDenied),
            "org/apache/hadoop/security/AccessControlException"
        );
        assert_eq!(
            exception_class(ErrorKind::Unavailable),
            "java/net/ConnectException"
        );
        assert_eq!(exception_class(ErrorKind::Internal), IO_EXCEPTION);
    }
}
