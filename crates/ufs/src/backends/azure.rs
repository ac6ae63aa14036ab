//! Azure Blob Storage in Alluxio's (Hadoop's) URI form,
//! `wasb[s]://container@account.blob.core.windows.net/path`, through OpenDAL's `azblob` service.

use std::sync::Arc;

use opendal::services::AzblobConfig;

use super::{Settings, network_ufs};
use crate::opendal_ufs::Kind;
use crate::uri::UfsUri;
use crate::{UfsError, UnderFileSystem};

/// An Azure container as an under file system: object-store directory semantics, retries.
pub(super) fn create(uri: &UfsUri, settings: &Settings) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
    let (config, credentials) = config(uri, settings)?;
    network_ufs(config, uri, settings, Kind::object_store(credentials))
}

/// The OpenDAL configuration for `uri`, and where its credentials come from: the account key
/// `fs.azure.account.key.<account host>`, as in Hadoop and Alluxio.
fn config(uri: &UfsUri, settings: &Settings) -> Result<(AzblobConfig, String), UfsError> {
    let Some((container, host)) = uri
        .authority
        .split_once('@')
        .filter(|(c, h)| !c.is_empty() && !h.is_empty())
    else {
        return Err(settings.bad_uri(format!(
            "{}:// URIs name a container and an account: {}://container@account.blob.core.windows.net/path",
            uri.scheme, uri.scheme
        )));
    };
    let account = host.split('.').next().unwrap_or(host);
    // As in Hadoop: wasb is plain HTTP, wasbs is TLS.
    let protocol = if uri.scheme == "wasbs" { "https" } else { "http" };
    let key_name = format!("fs.azure.account.key.{host}");
    let config = AzblobConfig {
        container: container.to_string(),
        root: Some("/".into()),
        endpoint: Some(format!("{protocol}://{host}")),
        account_name: Some(account.to_string()),
        account_key: settings.get(&key_name)?,
        ..Default::default()
    };
    let credentials = if config.account_key.is_some() {
        key_name
    } else {
        format!("{key_name} (not set: the environment's Azure credentials are used)")
    };
    Ok((config, credentials))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use alluxio_conf::Configuration;

    use super::*;

    fn configure(uri: &str, conf: &Configuration) -> Result<(AzblobConfig, String), UfsError> {
        config(
            &UfsUri::parse(uri).unwrap(),
            &Settings::new(conf, &BTreeMap::new(), uri),
        )
    }

    #[test]
    fn container_account_endpoint_and_key_come_from_the_uri_and_alluxio_keys() {
        let mut conf = Configuration::defaults();
        conf.set("fs.azure.account.key.acct.blob.core.windows.net", "a2V5");
        let (config, credentials) = configure("wasbs://data@acct.blob.core.windows.net/x/y", &conf).unwrap();
        assert_eq!(config.container, "data");
        assert_eq!(config.account_name.as_deref(), Some("acct"));
        assert_eq!(
            config.endpoint.as_deref(),
            Some("https://acct.blob.core.windows.net")
        );
        assert_eq!(config.account_key.as_deref(), Some("a2V5"));
        assert_eq!(credentials, "fs.azure.account.key.acct.blob.core.windows.net");

        let (config, credentials) = configure("wasb://c@other.blob.core.windows.net/", &conf).unwrap();
        assert_eq!(
            config.endpoint.as_deref(),
            Some("http://other.blob.core.windows.net")
        );
        assert_eq!(config.account_key, None);
        assert!(
            credentials.contains("fs.azure.account.key.other.blob.core.windows.net"),
            "{credentials}"
        );

        for bad in [
            "wasb://acct.blob.core.windows.net/x",
            "wasbs://@acct.blob.core.windows.net/",
        ] {
            assert!(
                matches!(configure(bad, &conf), Err(UfsError::BadUri { .. })),
                "{bad}"
            );
        }
    }
}
