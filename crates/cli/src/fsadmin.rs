//! `alluxio fsadmin report [summary|capacity|metrics]`: the cluster as the master sees it;
//! `alluxio fsadmin journal checkpoint`: a journal checkpoint written now.

use std::collections::HashMap;
use std::process::ExitCode;

use alluxio_client::{BlockMasterInfo, FileSystem, MasterInfo, Metric, MetricType, WorkerInfo};
use alluxio_conf::{Configuration, compare_tiers, format_bytes};
use alluxio_ha::{LeaderInquiry, ZooKeeperSettings};
use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use crate::fs::display;

/// Arguments of `alluxio fsadmin`.
#[derive(Debug, Args)]
#[command(arg_required_else_help = true)]
pub struct FsadminArgs {
    #[command(subcommand)]
    command: FsadminCommand,
}

#[derive(Debug, Subcommand)]
enum FsadminCommand {
    /// Report the cluster's state.
    Report {
        /// Which report.
        #[arg(value_enum, default_value_t = Report::Summary)]
        report: Report,
    },
    /// The master's journal.
    Journal {
        #[command(subcommand)]
        command: JournalCommand,
    },
}

#[derive(Debug, Subcommand)]
enum JournalCommand {
    /// Write a checkpoint of the namespace now (a superuser's command), so that a restart
    /// replays less of the journal.
    Checkpoint,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Report {
    /// Master, workers and capacity totals.
    Summary,
    /// Capacity and usage per worker.
    Capacity,
    /// The master's metrics and the cluster totals workers and clients report.
    Metrics,
}

/// Runs one admin command.
pub async fn run(conf: Configuration, args: FsadminArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        FsadminCommand::Report { report } => print_report(conf, report).await,
        FsadminCommand::Journal {
            command: JournalCommand::Checkpoint,
        } => checkpoint(conf).await,
    }
}

async fn checkpoint(conf: Configuration) -> anyhow::Result<ExitCode> {
    let fs = FileSystem::connect(conf)
        .await
        .context("cannot connect to the Alluxio master")?;
    let sequence = fs
        .checkpoint()
        .await
        .context("cannot take a journal checkpoint")?;
    let master = fs
        .master_info()
        .await
        .context("cannot get the master's information")?;
    outln!(
        "Successfully took a checkpoint on master {} (through journal entry {sequence})",
        master.rpc_address
    );
    Ok(ExitCode::SUCCESS)
}

async fn print_report(conf: Configuration, report: Report) -> anyhow::Result<ExitCode> {
    let zookeeper = ZooKeeperSettings::from_conf(&conf)?;
    let fs = FileSystem::connect(conf)
        .await
        .context("cannot connect to the Alluxio master")?;
    if let Report::Metrics = report {
        let metrics = fs
            .master_metrics()
            .await
            .context("cannot get the master's metrics")?;
        print_metrics(metrics);
        return Ok(ExitCode::SUCCESS);
    }
    let info = fs
        .block_master_info()
        .await
        .context("cannot get the cluster capacity")?;
    match report {
        Report::Summary => {
            let master = fs
                .master_info()
                .await
                .context("cannot get the master's information")?;
            print_summary(&master, &info);
            if let Some(zookeeper) = zookeeper {
                print_masters(&zookeeper, &master.rpc_address).await?;
            }
        }
        Report::Capacity => {
            let (live, lost) = fs.worker_info_list().await.context("cannot list the workers")?;
            print_capacity(&info, &live, &lost);
        }
        Report::Metrics => unreachable!("answered above"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Every metric by name, sizes in bytes human-readable, as Alluxio prints them.
fn print_metrics(mut metrics: Vec<Metric>) {
    metrics.sort_by(|a, b| a.name.cmp(&b.name));
    let width = metrics.iter().map(|m| m.name.len()).max().unwrap_or(0);
    for metric in metrics {
        let kind = match metric.metric_type() {
            MetricType::Counter => "COUNTER",
            MetricType::Meter => "METER",
            MetricType::Gauge => "GAUGE",
        };
        let is_size = metric.name.contains("Bytes") || metric.name.contains("Capacity");
        let value = if is_size && metric.value >= 0.0 {
            format_bytes(metric.value as u64)
        } else if metric.value.fract() == 0.0 {
            format!("{:.0}", metric.value)
        } else {
            format!("{:.2}", metric.value)
        };
        outln!("    {:<width$}  (Type: {kind}, Value: {value})", metric.name);
    }
}

fn print_summary(master: &MasterInfo, info: &BlockMasterInfo) {
    outln!("Alluxio cluster summary: ");
    outln!("    Master Address: {}", master.rpc_address);
    outln!("    Web Address: {}", master.web_address);
    outln!(
        "    Started: {}",
        display::date(master.start_time_ms, display::LS_DATE)
    );
    outln!("    Uptime: {}", uptime(master.uptime_ms));
    outln!("    Version: {}", master.version);
    outln!("    Live Workers: {}", info.live_worker_num);
    outln!("    Lost Workers: {}", info.lost_worker_num);
    print_totals(info);
    outln!(
        "    Free Capacity: {}",
        format_bytes(info.capacity_bytes.saturating_sub(info.used_bytes))
    );
}

/// The ZooKeeper servers and every master in the election with its role.
async fn print_masters(zookeeper: &ZooKeeperSettings, leader: &str) -> anyhow::Result<()> {
    let candidates = LeaderInquiry::new(zookeeper)
        .candidates()
        .await
        .context("cannot list the masters in ZooKeeper")?;
    outln!("    Zookeeper Enabled: true");
    outln!("    Zookeeper Address: {}", zookeeper.address);
    let masters: Vec<String> = candidates
        .iter()
        .map(|master| {
            let role = if master == leader { "leader" } else { "standby" };
            format!("{master} ({role})")
        })
        .collect();
    outln!("    Masters: {}", masters.join(", "));
    Ok(())
}

fn print_totals(info: &BlockMasterInfo) {
    outln!("    Total Capacity: {}", format_bytes(info.capacity_bytes));
    print_tiers(&info.capacity_bytes_on_tiers);
    outln!("    Used Capacity: {}", format_bytes(info.used_bytes));
    print_tiers(&info.used_bytes_on_tiers);
}

fn print_tiers(tiers: &HashMap<String, u64>) {
    for (alias, bytes) in sorted_tiers(tiers) {
        outln!("        Tier: {alias}  Size: {}", format_bytes(bytes));
    }
}

/// Tiers in Alluxio's order (MEM, SSD, HDD), others after them by name.
fn sorted_tiers(tiers: &HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = tiers.iter().map(|(a, b)| (a.clone(), *b)).collect();
    out.sort_by(|a, b| compare_tiers(&a.0, &b.0));
    out
}

fn print_capacity(info: &BlockMasterInfo, live: &[WorkerInfo], lost: &[WorkerInfo]) {
    outln!("Capacity information for all workers: ");
    print_totals(info);
    let used_percent = percent(info.used_bytes, info.capacity_bytes);
    outln!("    Used Percentage: {used_percent}%");
    outln!("    Free Percentage: {}%", 100 - used_percent);
    outln!();
    let aliases: Vec<String> = sorted_tiers(&info.capacity_bytes_on_tiers)
        .into_iter()
        .map(|(alias, _)| alias)
        .collect();
    let mut heading = format!("{:<18}{:<18}{:<14}", "Worker Name", "Last Heartbeat", "Storage");
    for alias in &aliases {
        heading.push_str(&format!("{alias:<18}"));
    }
    outln!("{}", heading.trim_end());
    for worker in live.iter().chain(lost) {
        let name = worker
            .address
            .as_ref()
            .map(|a| a.host.clone())
            .unwrap_or_default();
        let heartbeat = format!("{}", worker.last_contact_ms / 1000);
        let mut capacity = format!("{name:<18}{heartbeat:<18}{:<14}", "capacity");
        let mut used = format!("{:<18}{:<18}{:<14}", "", "", "used");
        for alias in &aliases {
            let cap = worker.capacity_bytes_on_tiers.get(alias).copied().unwrap_or(0);
            let u = worker.used_bytes_on_tiers.get(alias).copied().unwrap_or(0);
            capacity.push_str(&format!("{:<18}", format_bytes(cap)));
            used.push_str(&format!(
                "{:<18}",
                format!("{} ({}%)", format_bytes(u), percent(u, cap))
            ));
        }
        outln!("{}", capacity.trim_end());
        outln!("{}", used.trim_end());
        if !worker.state.is_empty() && worker.state != "In Service" {
            outln!("{:<18}{}", "", worker.state);
        }
    }
}

fn percent(part: u64, whole: u64) -> u64 {
    part.saturating_mul(100).checked_div(whole).unwrap_or(0)
}

/// `0 day(s), 1 hour(s), 2 minute(s), and 3 second(s)`, as Alluxio prints uptime.
fn uptime(millis: u64) -> String {
    let secs = millis / 1000;
    format!(
        "{} day(s), {} hour(s), {} minute(s), and {} second(s)",
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_and_tier_order() {
        assert_eq!(
            uptime(90_061_000),
            "1 day(s), 1 hour(s), 1 minute(s), and 1 second(s)"
        );
        let tiers = HashMap::from([
            ("HDD".to_string(), 1),
            ("MEM".to_string(), 2),
            ("SSD".to_string(), 3),
        ]);
        let order: Vec<String> = sorted_tiers(&tiers).into_iter().map(|t| t.0).collect();
        assert_eq!(order, ["MEM", "SSD", "HDD"]);
    }
}
