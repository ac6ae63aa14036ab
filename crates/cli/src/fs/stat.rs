//! `stat [-f FORMAT] <path>`: a file's metadata, whole or through `%N %z %u %g %y %Y %b`.

use alluxio_client::FileInfo;
use clap::Args;

use super::display;
use super::shell::Shell;

/// Arguments of `stat`.
#[derive(Debug, Args)]
pub struct StatArgs {
    /// Format: %N name, %z size, %u owner, %g group, %y modified (date), %Y modified (ms), %b blocks.
    #[arg(short = 'f')]
    format: Option<String>,
    /// Path or glob.
    path: String,
}

/// Prints the status of every match.
pub async fn run(shell: &Shell, args: &StatArgs) -> anyhow::Result<()> {
    for target in shell.expand(&args.path).await? {
        let info = target.status().await?;
        match &args.format {
            Some(format) => outln!("{}", apply_format(format, &info)),
            None => print_full(&info),
        }
    }
    Ok(())
}

/// Replaces the `%` specifiers of `format` with fields of `info`.
fn apply_format(format: &str, info: &FileInfo) -> String {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('N') => out.push_str(&info.name),
            Some('z') => out.push_str(&info.length.to_string()),
            Some('u') => out.push_str(&info.owner),
            Some('g') => out.push_str(&info.group),
            Some('y') => out.push_str(&display::date(info.last_modification_time_ms, display::STAT_DATE)),
            Some('Y') => out.push_str(&info.last_modification_time_ms.to_string()),
            Some('b') => out.push_str(&info.block_ids.len().to_string()),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

fn print_full(info: &FileInfo) {
    let kind = if info.folder { "directory" } else { "file" };
    outln!("{} is a {kind} path.", info.path);
    outln!("  File id:            {}", info.file_id);
    outln!("  Length:             {}", info.length);
    outln!("  Block size:         {}", info.block_size_bytes);
    outln!("  Completed:          {}", info.completed);
    outln!("  Persistence state:  {}", info.persistence_name());
    outln!("  UFS path:           {}", info.ufs_path);
    outln!("  Pinned:             {}", info.pinned);
    outln!("  TTL:                {}", info.ttl);
    outln!("  Owner:              {}", info.owner);
    outln!("  Group:              {}", info.group);
    outln!("  Mode:               {} ({:o})", info.mode_string(), info.mode);
    outln!("  In memory:          {}%", info.in_memory_percentage);
    outln!("  In Alluxio:         {}%", info.in_alluxio_percentage);
    outln!(
        "  Created:            {}",
        display::date(info.creation_time_ms, display::STAT_DATE)
    );
    outln!(
        "  Modified:           {}",
        display::date(info.last_modification_time_ms, display::STAT_DATE)
    );
    if info.folder {
        return;
    }
    outln!("Containing the following blocks:");
    for block in &info.file_block_infos {
        let Some(b) = &block.block_info else { continue };
        let tiers: Vec<String> = b
            .locations
            .iter()
            .map(|l| {
                let host = l.worker_address.as_ref().map(|a| a.host.as_str()).unwrap_or("?");
                format!("{host} ({})", l.tier_alias)
            })
            .collect();
        outln!(
            "  BlockInfo(id={}, offset={}, length={}, locations=[{}])",
            b.block_id,
            block.offset,
            b.length,
            tiers.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_specifiers() {
        let info = FileInfo {
            name: "f".into(),
            length: 42,
            owner: "alice".into(),
            group: "staff".into(),
            last_modification_time_ms: 7,
            block_ids: vec![1, 2],
            ..Default::default()
        };
        assert_eq!(
            apply_format("%N %z %u:%g %Y %b %q %", &info),
            "f 42 alice:staff 7 2 %q %"
        );
    }
}
