//! `pin`, `unpin`, `setTtl` and `unsetTtl`: attribute changes through `set_attribute`.

use alluxio_client::SetAttributeOptions;
use alluxio_conf::parse_duration;
use alluxio_proto::grpc::TtlAction;
use anyhow::Context;
use clap::Args;

use super::shell::Shell;

/// Arguments of `pin`, `unpin` and `unsetTtl`.
#[derive(Debug, Args)]
pub struct PathArgs {
    /// Path or glob.
    path: String,
}

/// Arguments of `setTtl`.
#[derive(Debug, Args)]
pub struct SetTtlArgs {
    /// Path.
    path: String,
    /// Time to live: milliseconds, or a duration such as `10min`.
    #[arg(value_parser = parse_duration)]
    ttl: std::time::Duration,
    /// What happens when it expires: delete or free.
    #[arg(long, default_value = "delete", value_parser = TtlAction::from_alluxio_name)]
    action: TtlAction,
}

/// Pins (`true`) or unpins every match, recursively for directories.
pub async fn pin(shell: &Shell, args: &PathArgs, pinned: bool) -> anyhow::Result<()> {
    for target in shell.expand(&args.path).await? {
        let options = SetAttributeOptions {
            pinned: Some(pinned),
            recursive: true,
            ..Default::default()
        };
        let verb = if pinned { "pinned" } else { "unpinned" };
        target
            .fs
            .set_attribute(&target.path, options)
            .await
            .with_context(|| format!("cannot mark {} {verb}", target.path))?;
        outln!("File '{}' was successfully {verb}.", target.path);
    }
    Ok(())
}

/// Sets a TTL.
pub async fn set_ttl(shell: &Shell, args: &SetTtlArgs) -> anyhow::Result<()> {
    let target = shell.target(&args.path).await?;
    let millis = i64::try_from(args.ttl.as_millis()).context("the TTL is too long")?;
    let options = SetAttributeOptions {
        ttl: Some(millis),
        ttl_action: Some(args.action),
        ..Default::default()
    };
    target
        .fs
        .set_attribute(&target.path, options)
        .await
        .with_context(|| format!("cannot set the TTL of {}", target.path))?;
    outln!(
        "TTL of path '{}' was successfully set to {millis} milliseconds, with expiry action set to {}",
        target.path,
        args.action.alluxio_name()
    );
    Ok(())
}

/// Removes a TTL.
pub async fn unset_ttl(shell: &Shell, args: &PathArgs) -> anyhow::Result<()> {
    let target = shell.target(&args.path).await?;
    let options = SetAttributeOptions {
        ttl: Some(-1),
        ..Default::default()
    };
    target
        .fs
        .set_attribute(&target.path, options)
        .await
        .with_context(|| format!("cannot remove the TTL of {}", target.path))?;
    outln!("TTL of path '{}' was successfully removed.", target.path);
    Ok(())
}
