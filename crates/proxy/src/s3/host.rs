//! Virtual-host style requests: with `alluxio.proxy.s3.virtual.host.domain` set to `<domain>`,
//! a `Host` of `<bucket>.<domain>` names the bucket. Any other host (an IP address, the bare
//! domain, another name) is taken as path style, so path-style clients keep working; s3s's own
//! `SingleDomain` would instead take an unknown host as a bucket name.

use std::borrow::Cow;

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

/// Buckets as subdomains of one domain.
#[derive(Debug, Clone)]
pub(crate) struct BucketSubdomains {
    domain: String,
}

impl BucketSubdomains {
    /// Checks the configured domain: DNS labels, no port, no scheme.
    pub(crate) fn new(domain: &str) -> Result<Self, String> {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let valid = !domain.is_empty()
            && domain.split('.').all(|label| {
                !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !valid {
            return Err("a domain name such as s3.example.com (no scheme, port or path)".to_string());
        }
        Ok(Self { domain })
    }
}

impl S3Host for BucketSubdomains {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        let name = match host.rsplit_once(':') {
            Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        };
        let bucket = name
            .len()
            .checked_sub(self.domain.len() + 1)
            .filter(|&at| {
                at > 0 && name.as_bytes()[at] == b'.' && name[at + 1..].eq_ignore_ascii_case(&self.domain)
            })
            .map(|at| &name[..at]);
        let virtual_host = VirtualHost::new(Cow::Borrowed(self.domain.as_str()));
        Ok(match bucket {
            Some(bucket) => virtual_host.with_bucket(bucket),
            None => virtual_host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_name_buckets_and_other_hosts_are_path_style() {
        let hosts = BucketSubdomains::new("localhost").unwrap();
        let bucket = |host: &str| {
            hosts
                .parse_host_header(host)
                .unwrap()
                .bucket()
                .map(str::to_string)
        };
        assert_eq!(bucket("bk.localhost:8080").as_deref(), Some("bk"));
        assert_eq!(bucket("my.dotted.bk.LOCALHOST").as_deref(), Some("my.dotted.bk"));
        assert_eq!(bucket("localhost:8080"), None);
        assert_eq!(bucket("127.0.0.1:8080"), None);
        assert_eq!(bucket("example.com"), None);
        assert_eq!(bucket(".localhost"), None);
        assert_eq!(bucket("xlocalhost"), None);
    }

    #[test]
    fn domains_are_checked() {
        assert!(BucketSubdomains::new("s3.example.com").is_ok());
        for bad in ["", "http://x", "a..b", "x:80", "a/b"] {
            assert!(BucketSubdomains::new(bad).is_err(), "{bad}");
        }
    }
}
