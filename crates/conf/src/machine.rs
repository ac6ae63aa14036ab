//! Defaults computed from the machine at load time rather than fixed in the property table.

use crate::keys;

/// Computes a default from the machine; `None` when it cannot be known here.
type ComputeDefault = fn() -> Option<String>;

/// Keys whose default depends on the machine, with the function computing it.
const COMPUTED_DEFAULTS: &[(&str, ComputeDefault)] = &[
    (keys::WORKER_MEMORY_SIZE, two_thirds_of_memory),
    (keys::SECURITY_LOGIN_USERNAME, os_user),
];

/// The computed defaults of this machine; a key whose computation fails keeps its table default.
pub(crate) fn computed_defaults() -> Vec<(&'static str, String)> {
    COMPUTED_DEFAULTS
        .iter()
        .filter_map(|(key, compute)| compute().map(|value| (*key, value)))
        .collect()
}

/// Alluxio 1.8's default worker memory: two thirds of physical memory, so a first file of a few
/// GB fits without the space reserver evicting blocks that exist nowhere else.
fn two_thirds_of_memory() -> Option<String> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let total_kb: u64 = parse_mem_total_kb(&meminfo)?;
    Some(format!("{}MB", total_kb * 2 / 3 / 1024))
}

/// The name of the user this process runs as, as Alluxio logs in without
/// `alluxio.security.login.username`.
fn os_user() -> Option<String> {
    let user = nix::unistd::User::from_uid(nix::unistd::Uid::effective()).ok()??;
    Some(user.name)
}

fn parse_mem_total_kb(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mem_total_from_meminfo() {
        let meminfo = "MemTotal:       24576000 kB\nMemFree:        1000 kB\n";
        assert_eq!(parse_mem_total_kb(meminfo), Some(24_576_000));
        assert_eq!(parse_mem_total_kb("garbage"), None);
    }
}
