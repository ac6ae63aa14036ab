//! `mount [--readonly] [--shared] [--option key=value]... <alluxioPath> <ufsUri>`, `mount` alone
//! (prints the mount table as Alluxio 1.x does) and `unmount <alluxioPath>`.

use std::collections::BTreeMap;

use alluxio_client::{MountOptions, MountPointInfo};
use alluxio_conf::format_bytes;
use anyhow::{Context, bail};
use clap::Args;

use super::shell::Shell;

/// Usage line as Alluxio prints it.
const MOUNT_USAGE: &str = "mount [--readonly] [--shared] [--option <key=val>] <alluxioPath> <ufsURI>";

/// Arguments of `mount`.
#[derive(Debug, Args)]
#[command(
    override_usage = "alluxio fs mount [--readonly] [--shared] [--option <key=val>] <alluxioPath> <ufsURI>\n       alluxio fs mount"
)]
pub struct MountArgs {
    /// Refuse every write under the mount point.
    #[arg(long)]
    readonly: bool,
    /// Mark the UFS as shared with other users.
    #[arg(long)]
    shared: bool,
    /// A UFS property for this mount only (credentials, endpoint ...); repeat for more.
    #[arg(long = "option", value_name = "key=value", value_parser = parse_option)]
    options: Vec<(String, String)>,
    /// Alluxio path to mount at; without it, the mount table is printed.
    #[arg(value_name = "alluxioPath")]
    alluxio_path: Option<String>,
    /// URI of the UFS directory to mount (/local/dir, s3://bucket/dir, hdfs://host:port/dir ...).
    #[arg(value_name = "ufsURI")]
    ufs_uri: Option<String>,
}

/// Arguments of `unmount`.
#[derive(Debug, Args)]
pub struct UnmountArgs {
    /// The mount point to remove.
    #[arg(value_name = "alluxioPath")]
    alluxio_path: String,
}

fn parse_option(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("'{raw}' is not key=value")),
    }
}

/// Mounts, or prints the mount table when no path is given.
pub async fn mount(shell: &Shell, args: &MountArgs) -> anyhow::Result<()> {
    let (raw_path, ufs_uri) = match (&args.alluxio_path, &args.ufs_uri) {
        (None, None) if !args.readonly && !args.shared && args.options.is_empty() => {
            let table = shell.default_client().await?.get_mount_table().await?;
            out!("{}", format_table(&table));
            return Ok(());
        }
        (Some(path), Some(uri)) => (path, uri),
        _ => bail!("mount takes an Alluxio path and a UFS URI: {MOUNT_USAGE}"),
    };
    let target = shell.target(raw_path).await?;
    let options = MountOptions {
        read_only: args.readonly,
        shared: args.shared,
        properties: args.options.iter().cloned().collect(),
    };
    target
        .fs
        .mount(&target.path, ufs_uri, options)
        .await
        .with_context(|| format!("cannot mount {ufs_uri} at {raw_path}"))?;
    outln!("Mounted {ufs_uri} at {raw_path}");
    Ok(())
}

/// Unmounts a mount point.
pub async fn unmount(shell: &Shell, args: &UnmountArgs) -> anyhow::Result<()> {
    let target = shell.target(&args.alluxio_path).await?;
    target
        .fs
        .unmount(&target.path)
        .await
        .with_context(|| format!("cannot unmount {}", args.alluxio_path))?;
    outln!("Unmounted {}", args.alluxio_path);
    Ok(())
}

/// One line per mount, aligned like Alluxio's:
/// `<ufs>  on  <path>  (<type>, capacity=..., used=..., <not >read-only, <not >shared, properties={...})`.
fn format_table(table: &BTreeMap<String, MountPointInfo>) -> String {
    let uri_width = table.values().map(|m| m.ufs_uri.len()).max().unwrap_or(0);
    let path_width = table.keys().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for (point, info) in table {
        let used_percent = if info.ufs_capacity_bytes > 0 {
            format!(
                "({}%)",
                100 * info.ufs_used_bytes.max(0) / info.ufs_capacity_bytes
            )
        } else {
            String::new()
        };
        let properties: BTreeMap<_, _> = info.properties.iter().collect();
        let properties = properties
            .into_iter()
            .map(|(key, value)| format!("{key}={}", alluxio_conf::displayed_value(key, value.clone())))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "{:<uri_width$}  on  {:<path_width$}  ({}, capacity={}, used={}{}, {}read-only, {}shared, properties={{{}}})\n",
            info.ufs_uri,
            point,
            info.ufs_type,
            size(info.ufs_capacity_bytes),
            size(info.ufs_used_bytes),
            used_percent,
            if info.read_only { "" } else { "not " },
            if info.shared { "" } else { "not " },
            properties,
        ));
    }
    out
}

/// Alluxio prints an unknown size (-1) as `-1B`.
fn size(bytes: i64) -> String {
    u64::try_from(bytes).map_or_else(|_| format!("{bytes}B"), format_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_aligns_and_masks_credentials() {
        let table = BTreeMap::from([
            (
                "/".to_string(),
                MountPointInfo {
                    ufs_uri: "/data/underFSStorage".into(),
                    ufs_type: "local".into(),
                    ufs_capacity_bytes: 4096,
                    ufs_used_bytes: 1024,
                    ..Default::default()
                },
            ),
            (
                "/s3".to_string(),
                MountPointInfo {
                    ufs_uri: "s3://bucket/dir".into(),
                    ufs_type: "s3".into(),
                    ufs_capacity_bytes: -1,
                    ufs_used_bytes: -1,
                    read_only: true,
                    shared: true,
                    properties: [
                        ("aws.accessKeyId".to_string(), "AKIA".to_string()),
                        ("aws.secretKey".to_string(), "hush".to_string()),
                        (
                            "alluxio.underfs.s3.endpoint".to_string(),
                            "http://127.0.0.1:9000".to_string(),
                        ),
                    ]
                    .into(),
                    ..Default::default()
                },
            ),
        ]);
        assert_eq!(
            format_table(&table),
            "/data/underFSStorage  on  /    (local, capacity=4.00KB, used=1.00KB(25%), not read-only, not shared, properties={})\n\
             s3://bucket/dir       on  /s3  (s3, capacity=-1B, used=-1B, read-only, shared, \
             properties={alluxio.underfs.s3.endpoint=http://127.0.0.1:9000, aws.accessKeyId=******, aws.secretKey=******})\n"
        );
    }

    #[test]
    fn options_must_be_key_value() {
        assert_eq!(parse_option("a.b=c=d"), Ok(("a.b".into(), "c=d".into())));
        assert!(parse_option("novalue").is_err());
        assert!(parse_option("=x").is_err());
    }
}
