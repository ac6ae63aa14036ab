//! The one place that turns a failure into what the user sees: a single `Error: ...` line on
//! stderr and an exit code chosen by the kind of the root cause.

use std::io;
use std::process::ExitCode;

use alluxio_client::{ClientError, ErrorKind};
use alluxio_conf::ConfError;

/// Exit code of a failed operation (also of `fs test` when the condition is false).
pub const FAILURE: u8 = 1;
/// Exit code of a configuration that cannot be loaded or is invalid.
pub const BAD_CONFIGURATION: u8 = 2;
/// Exit code when the cluster (master or worker) cannot be reached.
pub const UNAVAILABLE: u8 = 3;
/// Exit code when a named path does not exist.
pub const NOT_FOUND: u8 = 4;
/// Exit code when stdout is a pipe its reader closed: what a shell reports for a process
/// SIGPIPE ended (128 + 13), as for `ls -R / | head`.
pub const CLOSED_PIPE: u8 = 141;

/// The exit code for `err`, from the first cause in its chain that has a known kind.
pub fn code_for(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<ConfError>() {
            return BAD_CONFIGURATION;
        }
        if let Some(err) = cause.downcast_ref::<ClientError>() {
            return match err.kind() {
                ErrorKind::Unavailable => UNAVAILABLE,
                ErrorKind::NotFound => NOT_FOUND,
                _ => FAILURE,
            };
        }
    }
    FAILURE
}

/// Prints `err` as one line on stderr and returns its exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    let message = format!("{err:#}").replace('\n', " ");
    eprintln!("Error: {message}");
    ExitCode::from(code_for(err))
}

/// The exit code of a command that cannot write to stdout, saying why on stderr unless the
/// reader merely stopped reading.
pub fn stdout_failed(err: &io::Error) -> u8 {
    if err.kind() == io::ErrorKind::BrokenPipe {
        return CLOSED_PIPE;
    }
    eprintln!("Error: cannot write to stdout: {err}");
    FAILURE
}

/// Prints a clap parse outcome (help goes to stdout with success, usage errors to stderr) and
/// returns the exit code: 0 for help, 1 for a usage error, as Alluxio's scripts do.
pub fn usage(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind as Usage;
    // A failed print leaves nothing better to do than exit with the code.
    let _ = err.print();
    match err.kind() {
        Usage::DisplayHelp | Usage::DisplayVersion => ExitCode::SUCCESS,
        _ => ExitCode::from(FAILURE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_root_cause_through_context() {
        let not_found = ClientError::new(ErrorKind::NotFound, "/x does not exist");
        let not_found = anyhow::Error::new(not_found).context("cat /x");
        assert_eq!(code_for(&not_found), NOT_FOUND);
        let down = anyhow::Error::new(ClientError::new(ErrorKind::Unavailable, "master localhost:1"));
        assert_eq!(code_for(&down), UNAVAILABLE);
        let denied = anyhow::Error::new(ClientError::new(ErrorKind::PermissionDenied, "/x"));
        assert_eq!(code_for(&denied), FAILURE);
        let conf = anyhow::Error::new(ConfError::Missing { key: "k".into() });
        assert_eq!(code_for(&conf), BAD_CONFIGURATION);
        assert_eq!(code_for(&anyhow::anyhow!("other")), FAILURE);
    }
}
