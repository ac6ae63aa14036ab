//! `getCapacityBytes` and `getUsedBytes`: cluster totals.

use super::shell::Shell;

/// Which total to print.
#[derive(Debug, Clone, Copy)]
pub enum Total {
    /// Capacity of all workers.
    Capacity,
    /// Bytes used on all workers.
    Used,
}

/// Prints `Capacity Bytes: N` or `Used Bytes: N`.
pub async fn run(shell: &Shell, total: Total) -> anyhow::Result<()> {
    let info = shell.default_client().await?.block_master_info().await?;
    match total {
        Total::Capacity => outln!("Capacity Bytes: {}", info.capacity_bytes),
        Total::Used => outln!("Used Bytes: {}", info.used_bytes),
    }
    Ok(())
}
