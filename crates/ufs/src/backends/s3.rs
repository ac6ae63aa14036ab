//! Amazon S3 and S3-compatible stores (`s3://bucket/key`, `s3a://bucket/key`) through OpenDAL's
//! `s3` service, configured with Alluxio's keys.

use std::net::IpAddr;
use std::sync::Arc;

use opendal::services::S3Config;

use super::{Settings, network_ufs};
use crate::opendal_ufs::Kind;
use crate::uri::UfsUri;
use crate::{UfsError, UnderFileSystem};

/// Endpoint of an S3-compatible store (`http://127.0.0.1:9000`); AWS when unset.
const ENDPOINT: &str = "alluxio.underfs.s3.endpoint";
/// Signing region; `us-east-1` when an endpoint is set without one.
const REGION: &str = "alluxio.underfs.s3.endpoint.region";
/// `true` for path-style requests (`endpoint/bucket/key`) instead of `bucket.endpoint/key`.
const DISABLE_DNS_BUCKETS: &str = "alluxio.underfs.s3.disable.dns.buckets";
/// Access key ids, first set wins.
const ACCESS_KEYS: [&str; 2] = ["aws.accessKeyId", "s3a.accessKeyId"];
/// Secret keys, in the same order.
const SECRET_KEYS: [&str; 2] = ["aws.secretKey", "s3a.secretKey"];
/// Region used when nothing names one.
const DEFAULT_REGION: &str = "us-east-1";

/// An S3 bucket as an under file system: object-store directory semantics, retries.
pub(super) fn create(uri: &UfsUri, settings: &Settings) -> Result<Arc<dyn UnderFileSystem>, UfsError> {
    let env_region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()));
    let (config, credentials) = config(uri, settings, env_region)?;
    network_ufs(config, uri, settings, Kind::object_store(credentials))
}

/// The OpenDAL configuration for `uri`, and where its credentials come from (for access-denied
/// errors). `env_region`: the environment names a region, so OpenDAL may load it from there.
fn config(uri: &UfsUri, settings: &Settings, env_region: bool) -> Result<(S3Config, String), UfsError> {
    if uri.authority.is_empty() {
        return Err(settings.bad_uri(format!(
            "{}:// URIs name a bucket: {}://bucket/path",
            uri.scheme, uri.scheme
        )));
    }
    let mut config = S3Config::default();
    config.bucket = uri.authority.clone();
    config.root = Some("/".into());
    let endpoint = settings.get(ENDPOINT)?;
    config.region = match settings.get(REGION)? {
        Some(region) => Some(region),
        // Left unset, OpenDAL reads AWS_REGION or ~/.aws/config.
        None if endpoint.is_none() && env_region => None,
        None => Some(DEFAULT_REGION.into()),
    };
    let path_style =
        settings.get_bool(DISABLE_DNS_BUCKETS)? || endpoint.as_deref().is_some_and(is_ip_or_localhost);
    config.enable_virtual_host_style = !path_style;
    config.endpoint = endpoint;

    let access = settings.first_of(&ACCESS_KEYS)?;
    let secret = settings.first_of(&SECRET_KEYS)?;
    let credentials = match (access, secret) {
        (Some((access_key, id)), Some((secret_key, secret))) => {
            config.access_key_id = Some(id);
            config.secret_access_key = Some(secret);
            format!("{access_key}/{secret_key}")
        }
        (None, None) => "the AWS credentials of the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
                         ~/.aws, instance profile), or set aws.accessKeyId/aws.secretKey"
            .into(),
        (Some((key, _)), None) => {
            return Err(settings.invalid(format!(
                "{key} is set but no secret: set aws.secretKey (or s3a.secretKey)"
            )));
        }
        (None, Some((key, _))) => {
            return Err(settings.invalid(format!(
                "{key} is set but no key id: set aws.accessKeyId (or s3a.accessKeyId)"
            )));
        }
    };
    Ok((config, credentials))
}

/// Whether an endpoint names a host by IP address or as `localhost`: no bucket subdomains there.
fn is_ip_or_localhost(endpoint: &str) -> bool {
    let authority = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    let authority = authority.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use alluxio_conf::Configuration;

    use super::*;

    fn configure(
        conf: &Configuration,
        options: &[(&str, &str)],
        env_region: bool,
    ) -> Result<(S3Config, String), UfsError> {
        let options: BTreeMap<String, String> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let uri = "s3a://bucket/dir/key";
        config(
            &UfsUri::parse(uri).unwrap(),
            &Settings::new(conf, &options, uri),
            env_region,
        )
    }

    #[test]
    fn endpoint_region_path_style_and_credentials_come_from_alluxio_keys() {
        let mut conf = Configuration::defaults();
        conf.set(ENDPOINT, "http://127.0.0.1:9000");
        conf.set("aws.accessKeyId", "AKID");
        conf.set("aws.secretKey", "SECRET");
        let (config, credentials) = configure(&conf, &[], true).unwrap();
        assert_eq!(config.bucket, "bucket");
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(
            config.region.as_deref(),
            Some("us-east-1"),
            "endpoint without region"
        );
        assert!(!config.enable_virtual_host_style, "an IP endpoint is path-style");
        assert_eq!(config.access_key_id.as_deref(), Some("AKID"));
        assert_eq!(config.secret_access_key.as_deref(), Some("SECRET"));
        assert_eq!(credentials, "aws.accessKeyId/aws.secretKey");

        // Mount options win over the configuration; s3a.* keys are accepted.
        let mut conf = Configuration::defaults();
        conf.set(ENDPOINT, "https://minio.example.com");
        conf.set(REGION, "eu-west-1");
        let (config, credentials) = configure(
            &conf,
            &[
                ("s3a.accessKeyId", "K2"),
                ("s3a.secretKey", "S2"),
                (DISABLE_DNS_BUCKETS, "true"),
                (REGION, "ap-south-1"),
            ],
            false,
        )
        .unwrap();
        assert_eq!(config.region.as_deref(), Some("ap-south-1"));
        assert!(!config.enable_virtual_host_style);
        assert_eq!(config.access_key_id.as_deref(), Some("K2"));
        assert_eq!(credentials, "s3a.accessKeyId/s3a.secretKey");
        let (config, _) = configure(&conf, &[], false).unwrap();
        assert!(
            config.enable_virtual_host_style,
            "DNS buckets by default for a named host"
        );
    }

    #[test]
    fn without_credentials_the_aws_chain_is_used_and_half_pairs_are_refused() {
        let conf = Configuration::defaults();
        let (config, credentials) = configure(&conf, &[], true).unwrap();
        assert_eq!(config.access_key_id, None);
        assert!(
            !config.disable_config_load,
            "environment and profile stay enabled"
        );
        assert_eq!(config.region, None, "AWS_REGION is left to OpenDAL");
        assert!(credentials.contains("AWS_ACCESS_KEY_ID"), "{credentials}");
        let (config, _) = configure(&conf, &[], false).unwrap();
        assert_eq!(config.region.as_deref(), Some("us-east-1"));

        let err = configure(&conf, &[("aws.accessKeyId", "AKID")], false).unwrap_err();
        assert!(err.to_string().contains("aws.secretKey"), "{err}");
        assert!(err.to_string().contains("s3a://bucket/dir/key"), "{err}");
        let err = configure(&conf, &[(DISABLE_DNS_BUCKETS, "yes")], false).unwrap_err();
        assert!(matches!(err, UfsError::Configuration { .. }), "{err}");
        let no_bucket = UfsUri::parse("s3:///key").unwrap();
        let err = super::config(
            &no_bucket,
            &Settings::new(&conf, &BTreeMap::new(), "s3:///key"),
            false,
        )
        .unwrap_err();
        assert!(matches!(err, UfsError::BadUri { .. }), "{err}");
    }

    #[test]
    fn ip_and_localhost_endpoints_are_recognised() {
        for endpoint in [
            "http://127.0.0.1:9000",
            "localhost:9000",
            "https://[::1]:443/",
            "10.0.0.1",
        ] {
            assert!(is_ip_or_localhost(endpoint), "{endpoint}");
        }
        for endpoint in [
            "https://s3.amazonaws.com",
            "minio.local:9000",
            "http://storage.googleapis.com",
        ] {
            assert!(!is_ip_or_localhost(endpoint), "{endpoint}");
        }
    }
}
