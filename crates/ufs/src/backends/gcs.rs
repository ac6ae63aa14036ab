//! Google Cloud Storage (`gs://bucket/path`) through OpenDAL's `gcs` service (the JSON API),
//! authenticated as Alluxio's GCS UFS version 2 is: a service account key file.

use std::sync::Arc;

use opendal::services::GcsConfig;

use super::{Settings, network_ufs};
use crate::opendal_ufs::Kind;
use crate::uri::UfsUri;
use crate::{UfsError, UnderFileSystem};

/// Path of a service account JSON key file (Alluxio's key for GCS UFS version 2).
const CREDENTIAL_PATH: &str = "fs.gcs.credential.path";
/// Alluxio 1.x interoperability (HMAC) key id, which the JSON API cannot use.
const HMAC_ACCESS_KEY: &str = "fs.gcs.accessKeyId";

/// A GCS bucket as an under file system: object-store directory semantics, retries.
pub(super) fn create(uri: &UfsUri, settings: &Settings) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
    let (config, credentials) = config(uri, settings)?;
    network_ufs(config, uri, settings, Kind::object_store(credentials))
}

/// The OpenDAL configuration for `uri`, and where its credentials come from.
fn config(uri: &UfsUri, settings: &Settings) -> Result<(GcsConfig, String), UfsError> {
    if uri.authority.is_empty() {
        return Err(settings.bad_uri("gs:// URIs name a bucket: gs://bucket/path"));
    }
    let mut config = GcsConfig::default();
    config.bucket = uri.authority.clone();
    config.root = Some("/".into());
    let credentials = match settings.get(CREDENTIAL_PATH)? {
        Some(path) => {
            config.credential_path = Some(path);
            CREDENTIAL_PATH.to_string()
        }
        None if settings.get(HMAC_ACCESS_KEY)?.is_some() => {
            return Err(settings.invalid(format!(
                "{HMAC_ACCESS_KEY} (GCS interoperability keys) is not supported; set {CREDENTIAL_PATH} to a \
                 service account JSON key file"
            )));
        }
        // OpenDAL then uses GOOGLE_APPLICATION_CREDENTIALS or the VM's service account.
        None => {
            format!("GOOGLE_APPLICATION_CREDENTIALS or the VM's service account, or set {CREDENTIAL_PATH}")
        }
    };
    Ok((config, credentials))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use alluxio_conf::Configuration;

    use super::*;

    fn configure(options: &[(&str, &str)]) -> Result<(GcsConfig, String), UfsError> {
        let conf = Configuration::defaults();
        let options: BTreeMap<String, String> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let uri = "gs://my-bucket/data";
        config(&UfsUri::parse(uri).unwrap(), &Settings::new(&conf, &options, uri))
    }

    #[test]
    fn bucket_and_key_file_come_from_the_uri_and_alluxio_keys() {
        let (config, credentials) = configure(&[(CREDENTIAL_PATH, "/etc/gcs/key.json")]).unwrap();
        assert_eq!(config.bucket, "my-bucket");
        assert_eq!(config.credential_path.as_deref(), Some("/etc/gcs/key.json"));
        assert_eq!(credentials, CREDENTIAL_PATH);
        let (config, credentials) = configure(&[]).unwrap();
        assert_eq!(config.credential_path, None);
        assert!(
            credentials.contains("GOOGLE_APPLICATION_CREDENTIALS"),
            "{credentials}"
        );
        let err = configure(&[(HMAC_ACCESS_KEY, "GOOG1234")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(CREDENTIAL_PATH) && err.contains("gs://my-bucket/data"),
            "{err}"
        );
    }
}
