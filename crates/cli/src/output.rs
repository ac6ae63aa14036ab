//! What commands print on stdout. `println!` panics when stdout is a pipe its reader closed
//! (`alluxio fs ls -R / | head`), printing a backtrace; these macros end the command quietly
//! instead, with the exit status a shell reports for a process SIGPIPE ended, as coreutils do.

use std::fmt;
use std::io::{self, Write};

use crate::exit;

/// Prints a line on stdout, ending the command if stdout is closed or fails.
macro_rules! outln {
    () => {
        $crate::output::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints on stdout without a newline, ending the command if stdout is closed or fails.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*))
    };
}

/// Writes `text` to stdout; see [`outln!`].
pub fn write(text: fmt::Arguments<'_>) {
    if let Err(err) = io::stdout().lock().write_fmt(text) {
        stdout_failed(&err);
    }
}

/// Ends the command after a failed write to stdout, with [`exit::stdout_failed`]'s code.
pub fn stdout_failed(err: &io::Error) -> ! {
    std::process::exit(i32::from(exit::stdout_failed(err)))
}
