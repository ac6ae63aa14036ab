//! Master addresses: `host:port`, `http(s)://host:port[/path]`, comma-separated lists, and the
//! `Location` of a 307 from a non-leading master.

use std::fmt;

use crate::error::MesosError;

use super::SCHEDULER_PATH;

/// Default Mesos master port, when an address names none.
const DEFAULT_PORT: u16 = 5050;

/// How a master is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// Plain HTTP, the Mesos default.
    #[default]
    Http,
    /// HTTP over TLS, for masters run with `LIBPROCESS_SSL_ENABLED=1`.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// One master: its scheme and `host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// http or https.
    pub scheme: Scheme,
    /// `host:port`.
    pub authority: String,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.authority)
    }
}

impl Endpoint {
    /// The scheduler endpoint URL on this master.
    pub fn url(&self) -> String {
        format!("{self}{SCHEDULER_PATH}")
    }

    /// Parses `host[:port]` (spoken to with `default_scheme`) or `http(s)://host[:port][/path]`.
    fn parse(text: &str, address: &str, default_scheme: Scheme) -> Result<Self, MesosError> {
        let bad = |reason: &str| MesosError::BadAddress {
            address: address.to_string(),
            reason: reason.to_string(),
        };
        let (scheme, rest) = match text.split_once("://") {
            // Schemes are case-insensitive (RFC 3986).
            Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
                "http" => (Scheme::Http, rest),
                "https" => (Scheme::Https, rest),
                _ => return Err(bad(&format!("scheme {scheme}:// is not supported"))),
            },
            None => (default_scheme, text),
        };
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() || authority.contains(char::is_whitespace) || authority.contains('@') {
            return Err(bad(&format!("{text:?} names no host")));
        }
        // A bracketed IPv6 literal has colons of its own; the port follows the bracket.
        let port_part = authority.rsplit_once(']').map_or(authority, |(_, after)| after);
        let authority = match port_part.rsplit_once(':') {
            Some((_, port)) => {
                port.parse::<u16>()
                    .map_err(|_| bad(&format!("port {port:?} is not a number")))?;
                authority.to_string()
            }
            None => format!("{authority}:{DEFAULT_PORT}"),
        };
        Ok(Self { scheme, authority })
    }

    /// The leader named by a 307 `Location` this master sent: a full URL says its own scheme;
    /// `//host:port/...` (what Mesos sends) and a bare `host:port` keep this master's.
    pub(super) fn redirected(&self, location: &str) -> Option<Self> {
        let text = location.strip_prefix("//").unwrap_or(location);
        Self::parse(text, location, self.scheme).ok()
    }
}

/// The Mesos masters a framework subscribes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MesosMasters {
    /// Tried in order, following redirects to the leader.
    Listed(Vec<Endpoint>),
    /// The leader the masters publish in ZooKeeper (`zk://host:port[,host:port]/path`), looked up
    /// again at each subscription, so a new leader is followed.
    ZooKeeper(alluxio_ha::MesosMasters),
}

impl From<Vec<Endpoint>> for MesosMasters {
    fn from(listed: Vec<Endpoint>) -> Self {
        Self::Listed(listed)
    }
}

impl MesosMasters {
    /// The masters to try now: the listed ones, or the leader ZooKeeper names.
    pub async fn resolve(&self) -> Result<Vec<Endpoint>, MesosError> {
        match self {
            Self::Listed(listed) => Ok(listed.clone()),
            Self::ZooKeeper(zookeeper) => {
                let leader = zookeeper.leader().await.map_err(|e| MesosError::BadAddress {
                    address: zookeeper.to_string(),
                    reason: e.to_string(),
                })?;
                Ok(vec![Endpoint::parse(
                    &leader,
                    &zookeeper.to_string(),
                    Scheme::Http,
                )?])
            }
        }
    }
}

impl std::fmt::Display for MesosMasters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Listed(listed) => {
                let listed: Vec<String> = listed.iter().map(Endpoint::to_string).collect();
                f.write_str(&listed.join(","))
            }
            Self::ZooKeeper(zookeeper) => zookeeper.fmt(f),
        }
    }
}

/// Parses the `--mesos` argument: a `zk://` address, or one or more comma-separated masters.
pub fn parse_mesos_masters(address: &str) -> Result<MesosMasters, MesosError> {
    match alluxio_ha::MesosMasters::parse(address) {
        Some(Ok(zookeeper)) => Ok(MesosMasters::ZooKeeper(zookeeper)),
        Some(Err(err)) => Err(MesosError::BadAddress {
            address: address.to_string(),
            reason: err.to_string(),
        }),
        None => parse_masters(address).map(MesosMasters::Listed),
    }
}

/// Parses a list of one or more comma-separated masters.
pub fn parse_masters(address: &str) -> Result<Vec<Endpoint>, MesosError> {
    let masters = address
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| Endpoint::parse(part, address, Scheme::Http))
        .collect::<Result<Vec<_>, _>>()?;
    if masters.is_empty() {
        return Err(MesosError::BadAddress {
            address: address.to_string(),
            reason: "no master given".to_string(),
        });
    }
    Ok(masters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(authority: &str) -> Endpoint {
        Endpoint {
            scheme: Scheme::Http,
            authority: authority.into(),
        }
    }

    fn https(authority: &str) -> Endpoint {
        Endpoint {
            scheme: Scheme::Https,
            authority: authority.into(),
        }
    }

    #[test]
    fn master_lists_accept_host_port_urls_and_default_port() {
        assert_eq!(
            parse_masters("m1:5050, http://m2:5051/ ,m4,[::1]:5052").unwrap(),
            vec![
                http("m1:5050"),
                http("m2:5051"),
                http("m4:5050"),
                http("[::1]:5052")
            ]
        );
        assert_eq!(http("m1:5050").url(), "http://m1:5050/api/v1/scheduler");
    }

    #[test]
    fn https_masters_keep_their_scheme_in_lists_and_urls() {
        assert_eq!(
            parse_masters("https://m1:5050,m2:5051,https://[::1]/x,HTTPS://m3").unwrap(),
            vec![
                https("m1:5050"),
                http("m2:5051"),
                https("[::1]:5050"),
                https("m3:5050")
            ]
        );
        assert_eq!(https("m1:5050").url(), "https://m1:5050/api/v1/scheduler");
        assert_eq!(https("m1:5050").to_string(), "https://m1:5050");
    }

    #[test]
    fn zk_addresses_name_the_zookeeper_path_of_the_masters() {
        let masters = parse_mesos_masters("zk://z1:2181,z2:2181/mesos").unwrap();
        assert_eq!(masters.to_string(), "zk://z1:2181,z2:2181/mesos");
        assert!(matches!(masters, MesosMasters::ZooKeeper(_)));
        assert_eq!(
            parse_mesos_masters("m1:5050").unwrap(),
            MesosMasters::Listed(vec![http("m1:5050")])
        );
        match parse_mesos_masters("zk://z1:2181") {
            Err(MesosError::BadAddress { address, .. }) => assert_eq!(address, "zk://z1:2181"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_master_lists_are_rejected_with_the_address() {
        for bad in [
            "",
            " , ",
            "zk://z1:2181/mesos",
            "m1:port",
            "http:///x",
            "https://",
            "https://m1:99999",
            "user@m1:5050",
        ] {
            match parse_masters(bad) {
                Err(MesosError::BadAddress { address, .. }) => assert_eq!(address, bad),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn redirect_locations_in_all_forms_name_the_leader() {
        let from = http("m1:5050");
        assert_eq!(
            from.redirected("//m2:5050/master/api/v1/scheduler"),
            Some(http("m2:5050"))
        );
        assert_eq!(from.redirected("m3:5051"), Some(http("m3:5051")));
        assert_eq!(
            from.redirected("http://m4:5050/api/v1/scheduler"),
            Some(http("m4:5050"))
        );
        assert_eq!(from.redirected(""), None);
    }

    #[test]
    fn redirects_from_an_https_master_stay_https_unless_the_url_says_otherwise() {
        let from = https("m1:5050");
        assert_eq!(
            from.redirected("//m2:5050/master/api/v1/scheduler"),
            Some(https("m2:5050"))
        );
        assert_eq!(from.redirected("m3"), Some(https("m3:5050")));
        assert_eq!(
            from.redirected("http://m4:5050/api/v1/scheduler"),
            Some(http("m4:5050"))
        );
        // A full URL from a plain master can move us onto TLS.
        assert_eq!(
            http("m1:5050").redirected("https://m5:5443/api/v1/scheduler"),
            Some(https("m5:5443"))
        );
        assert_eq!(from.redirected("ftp://m6:21/"), None);
    }
}
