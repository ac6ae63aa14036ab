//! HDFS (`hdfs://namenode:port/path`) through OpenDAL's `hdfs-native` service: the HDFS RPC and
//! data-transfer protocols in Rust, no JVM and no libhdfs.

use std::sync::Arc;

use opendal::services::HdfsNativeConfig;

use super::{Settings, network_ufs};
use crate::opendal_ufs::Kind;
use crate::uri::UfsUri;
use crate::{UfsError, UnderFileSystem};

/// Who is refused when HDFS denies access.
const CREDENTIALS: &str =
    "the HDFS permissions of the user running Alluxio (HADOOP_USER_NAME, or the Kerberos ticket)";

/// An HDFS cluster as an under file system: real directories and renames, retries.
pub(super) fn create(uri: &UfsUri, settings: &Settings) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
    network_ufs(
        config(uri, settings)?,
        uri,
        settings,
        Kind::remote_file_system(CREDENTIALS),
    )
}

/// The OpenDAL configuration for `uri`: the name node is the URI's authority.
fn config(uri: &UfsUri, settings: &Settings) -> Result<HdfsNativeConfig, UfsError> {
    if uri.authority.is_empty() {
        return Err(settings.bad_uri("hdfs:// URIs name the name node: hdfs://namenode:8020/path"));
    }
    let mut config = HdfsNativeConfig::default();
    config.name_node = Some(format!("hdfs://{}", uri.authority));
    config.root = Some("/".into());
    Ok(config)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use alluxio_conf::Configuration;

    use super::*;

    #[test]
    fn the_name_node_comes_from_the_authority() {
        let conf = Configuration::defaults();
        let options = BTreeMap::new();
        let uri = "hdfs://nn.example.com:8020/warehouse/x";
        let config = config(&UfsUri::parse(uri).unwrap(), &Settings::new(&conf, &options, uri)).unwrap();
        assert_eq!(config.name_node.as_deref(), Some("hdfs://nn.example.com:8020"));
        assert_eq!(config.root.as_deref(), Some("/"));
        let err = config_err("hdfs:///x");
        assert!(err.contains("namenode"), "{err}");
    }

    fn config_err(uri: &str) -> String {
        let conf = Configuration::defaults();
        let options = BTreeMap::new();
        config(&UfsUri::parse(uri).unwrap(), &Settings::new(&conf, &options, uri))
            .unwrap_err()
            .to_string()
    }
}
