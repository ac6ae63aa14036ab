//! `chmod`, `chown` and `chgrp`: a path's permission bits, owner and group, through
//! `set_attribute` (the master checks that the caller may change them).

use alluxio_client::SetAttributeOptions;
use anyhow::Context;
use clap::Args;

use super::shell::Shell;

/// Arguments of `chmod`.
#[derive(Debug, Args)]
pub struct ChmodArgs {
    /// Change everything below a folder too.
    #[arg(short = 'R')]
    recursive: bool,
    /// Permission bits in octal, as 755 or 0640.
    #[arg(value_parser = parse_mode)]
    mode: u32,
    /// Path or glob.
    path: String,
}

/// Arguments of `chown`.
#[derive(Debug, Args)]
pub struct ChownArgs {
    /// Change everything below a folder too.
    #[arg(short = 'R')]
    recursive: bool,
    /// OWNER or OWNER:GROUP.
    owner: String,
    /// Path or glob.
    path: String,
}

/// Arguments of `chgrp`.
#[derive(Debug, Args)]
pub struct ChgrpArgs {
    /// Change everything below a folder too.
    #[arg(short = 'R')]
    recursive: bool,
    /// The new group.
    group: String,
    /// Path or glob.
    path: String,
}

/// Octal permission bits (up to 7777).
fn parse_mode(text: &str) -> Result<u32, String> {
    u32::from_str_radix(text, 8)
        .ok()
        .filter(|mode| *mode <= 0o7777)
        .ok_or_else(|| format!("'{text}' is not a mode: give octal permission bits such as 755 or 0640"))
}

/// Sets the permission bits of every match.
pub async fn chmod(shell: &Shell, args: &ChmodArgs) -> anyhow::Result<()> {
    let options = SetAttributeOptions {
        mode: Some(args.mode),
        recursive: args.recursive,
        ..Default::default()
    };
    let done = |path: &str| format!("Changed permission of {path} to {:o}", args.mode);
    apply(shell, &args.path, options, "permission", done).await
}

/// Sets the owner (and group) of every match.
pub async fn chown(shell: &Shell, args: &ChownArgs) -> anyhow::Result<()> {
    let (owner, group) = match args.owner.split_once(':') {
        Some((owner, group)) => (owner.to_string(), Some(group.to_string())),
        None => (args.owner.clone(), None),
    };
    let done = |path: &str| match &group {
        Some(group) => format!("Changed owner:group of {path} to {owner}:{group}."),
        None => format!("Changed owner of {path} to {owner}."),
    };
    let options = SetAttributeOptions {
        owner: Some(owner.clone()),
        group: group.clone(),
        recursive: args.recursive,
        ..Default::default()
    };
    apply(shell, &args.path, options, "owner", done).await
}

/// Sets the group of every match.
pub async fn chgrp(shell: &Shell, args: &ChgrpArgs) -> anyhow::Result<()> {
    let options = SetAttributeOptions {
        group: Some(args.group.clone()),
        recursive: args.recursive,
        ..Default::default()
    };
    let done = |path: &str| format!("Changed group of {path} to {}", args.group);
    apply(shell, &args.path, options, "group", done).await
}

/// Applies `options` to every path `pattern` matches, printing `done` of each.
async fn apply(
    shell: &Shell,
    pattern: &str,
    options: SetAttributeOptions,
    what: &str,
    done: impl Fn(&str) -> String,
) -> anyhow::Result<()> {
    for target in shell.expand(pattern).await? {
        target
            .fs
            .set_attribute(&target.path, options.clone())
            .await
            .with_context(|| format!("cannot change the {what} of {}", target.path))?;
        outln!("{}", done(target.path.as_str()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_octal_bits() {
        assert_eq!(parse_mode("755"), Ok(0o755));
        assert_eq!(parse_mode("0640"), Ok(0o640));
        for bad in ["rwx", "u+x", "789", "17777", ""] {
            let err = parse_mode(bad).unwrap_err();
            assert!(err.contains("octal"), "{bad}: {err}");
        }
    }
}
