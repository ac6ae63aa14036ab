//! `leader` and `masterInfo`: which master serves, and how clients find it.

use alluxio_ha::MasterLocator;

use super::shell::Shell;

/// Prints the host name of the leading master, as Alluxio's `fs leader`.
pub async fn leader(shell: &Shell) -> anyhow::Result<()> {
    let info = shell.default_client().await?.master_info().await?;
    outln!("{}", host_of(&info.rpc_address));
    Ok(())
}

/// Prints the leading master's address and where clients look for it.
pub async fn master_info(shell: &Shell) -> anyhow::Result<()> {
    let locator = MasterLocator::from_conf(shell.conf())?;
    let info = shell.default_client().await?.master_info().await?;
    outln!("Leading master: {}", info.rpc_address);
    outln!("Web UI: http://{}", info.web_address);
    let mode = match locator.fails_over() {
        true => "with standby masters",
        false => "with one master",
    };
    outln!("Clients find it as {} ({mode})", locator.describe());
    Ok(())
}

/// `host` of `host:port`.
fn host_of(address: &str) -> &str {
    address.rsplit_once(':').map_or(address, |(host, _)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_the_address_without_its_port() {
        assert_eq!(host_of("m1.example.com:19998"), "m1.example.com");
        assert_eq!(host_of("m1"), "m1");
    }
}
