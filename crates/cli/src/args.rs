//! Takes the `-Dkey=value` arguments out of the command line before clap parses the rest, since
//! Alluxio accepts them both before the command and right after it (`alluxio fs -Dk=v ls /`).

use std::ffi::OsString;

/// The command line split into property assignments and everything else.
#[derive(Debug, PartialEq)]
pub struct SplitArgs {
    /// `key=value` texts, `-D` stripped, in command-line order (later wins).
    pub properties: Vec<String>,
    /// The program name and the remaining arguments, for clap.
    pub rest: Vec<String>,
}

/// The process arguments as UTF-8 strings.
pub fn os_args() -> anyhow::Result<Vec<String>> {
    std::env::args_os()
        .map(|arg: OsString| {
            arg.into_string()
                .map_err(|bad| anyhow::anyhow!("argument {bad:?} is not valid UTF-8"))
        })
        .collect()
}

/// Extracts `-D...` arguments that precede the command, and those after the command word that
/// precede its first non-option argument (so a file literally named `-Dx` stays an operand).
pub fn extract_properties(argv: Vec<String>) -> SplitArgs {
    let mut properties = Vec::new();
    let mut rest = Vec::with_capacity(argv.len());
    let mut args = argv.into_iter();
    rest.extend(args.next());
    let mut seen_command = false;
    let mut in_options = true;
    for arg in args {
        if in_options && let Some(assignment) = arg.strip_prefix("-D") {
            properties.push(assignment.to_string());
            continue;
        }
        if !arg.starts_with('-') {
            if seen_command {
                in_options = false;
            }
            seen_command = true;
        }
        rest.push(arg);
    }
    SplitArgs { properties, rest }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(args: &[&str]) -> SplitArgs {
        extract_properties(args.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn takes_properties_before_and_right_after_the_command() {
        let s = split(&["alluxio", "-Da=1", "fs", "-Db=2", "copyFromLocal", "x", "/y"]);
        assert_eq!(s.properties, ["a=1", "b=2"]);
        assert_eq!(s.rest, ["alluxio", "fs", "copyFromLocal", "x", "/y"]);
    }

    #[test]
    fn leaves_operands_after_the_first_non_option_alone() {
        let s = split(&["alluxio", "fs", "ls", "-R", "/a", "-Dnot=prop"]);
        assert_eq!(s.properties, Vec::<String>::new());
        assert_eq!(s.rest, ["alluxio", "fs", "ls", "-R", "/a", "-Dnot=prop"]);
    }

    #[test]
    fn options_of_the_command_do_not_end_extraction() {
        let s = split(&["alluxio", "getConf", "--source", "-Dk=v", "k"]);
        assert_eq!(s.properties, ["k=v"]);
        assert_eq!(s.rest, ["alluxio", "getConf", "--source", "k"]);
    }
}
