//! Who a call to the master comes from. Every client, worker and proxy sends its authentication
//! type (`alluxio.security.authentication.type`) and, under SIMPLE, its login user
//! (`alluxio.security.login.username`, else the OS user) as metadata of each call; the master
//! takes the user as given (SIMPLE trusts the caller, as Alluxio's does) and refuses a call whose
//! type differs from its own with a message naming both, never a hang.
//!
//! A caller serving others (the proxy for its S3 clients, the Hadoop client for its Hadoop user)
//! also names the user it acts for ([`OnBehalfOf`]); the master serves the call as that user if
//! its impersonation rules let the login user act for them.

use alluxio_conf::{ConfError, Configuration, keys};
use tonic::metadata::{AsciiMetadataValue, BinaryMetadataValue, MetadataMap};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Request, Status};

/// Metadata key of the caller's authentication type.
pub const AUTHENTICATION_KEY: &str = "alluxio-authentication";
/// Metadata key of the caller's login user (binary: any bytes a user name may hold).
pub const USER_KEY: &str = "alluxio-user-bin";

/// Metadata key of the user a caller acts for (binary, as [`USER_KEY`]).
pub const ON_BEHALF_OF_KEY: &str = "alluxio-impersonated-user-bin";

/// The property both sides must agree on.
const TYPE_PROPERTY: &str = "alluxio.security.authentication.type";

/// `alluxio.security.authentication.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// No authentication: calls carry no user and nothing is checked.
    NoSasl,
    /// Each call names its login user, whom the master trusts.
    Simple,
}

impl AuthType {
    /// The type named `text` (the property's value), if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "NOSASL" => Some(Self::NoSasl),
            "SIMPLE" => Some(Self::Simple),
            _ => None,
        }
    }

    /// The property's value for this type.
    pub fn name(self) -> &'static str {
        match self {
            Self::NoSasl => "NOSASL",
            Self::Simple => "SIMPLE",
        }
    }
}

/// What a caller sends with every call.
#[derive(Debug, Clone)]
pub struct Credentials {
    kind: AsciiMetadataValue,
    /// The login user, under SIMPLE.
    user: Option<BinaryMetadataValue>,
}

impl Credentials {
    /// `user` logging in with authentication `kind` (the user is not sent under NOSASL).
    pub fn new(kind: AuthType, user: &str) -> Self {
        Self {
            kind: AsciiMetadataValue::from_static(kind.name()),
            user: (kind == AuthType::Simple).then(|| BinaryMetadataValue::from_bytes(user.as_bytes())),
        }
    }

    /// What a process configured by `conf` sends: its authentication type and login user
    /// (`alluxio.security.login.username`, whose default is the OS user).
    pub fn from_conf(conf: &Configuration) -> Result<Self, ConfError> {
        let kind = conf.get_parsed(keys::SECURITY_AUTHENTICATION_TYPE, |text| {
            AuthType::parse(text).ok_or("NOSASL or SIMPLE")
        })?;
        let user = conf.get_opt(keys::SECURITY_LOGIN_USERNAME)?.unwrap_or_default();
        Ok(Self::new(kind, &user))
    }

    /// `channel`, with these credentials on its every call.
    pub fn on<C>(&self, channel: C) -> AuthChannel<C> {
        InterceptedService::new(channel, self.clone())
    }

    /// Adds these credentials to the metadata of a call.
    pub fn attach(&self, metadata: &mut MetadataMap) {
        metadata.insert(AUTHENTICATION_KEY, self.kind.clone());
        if let Some(user) = &self.user {
            metadata.insert_bin(USER_KEY, user.clone());
        }
    }
}

impl Interceptor for Credentials {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        self.attach(request.metadata_mut());
        Ok(request)
    }
}

/// The user a caller acts for, sent with each of its calls besides its own credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnBehalfOf(BinaryMetadataValue);

impl OnBehalfOf {
    /// Acting for `user`.
    pub fn new(user: &str) -> Self {
        Self(BinaryMetadataValue::from_bytes(user.as_bytes()))
    }

    /// Adds the user to the metadata of a call.
    pub fn attach(&self, metadata: &mut MetadataMap) {
        metadata.insert_bin(ON_BEHALF_OF_KEY, self.0.clone());
    }
}

/// The user a call says its caller acts for, if it names one; an `UNAUTHENTICATED` status for
/// a name that is not UTF-8 or is empty.
pub fn on_behalf_of(metadata: &MetadataMap) -> Result<Option<String>, Status> {
    let Some(value) = metadata.get_bin(ON_BEHALF_OF_KEY) else {
        return Ok(None);
    };
    user_name(value)
        .map(Some)
        .ok_or_else(|| Status::unauthenticated("the user the call acts for is empty or not UTF-8"))
}

/// The user name a metadata value holds, unless it is empty or not UTF-8.
fn user_name(value: &BinaryMetadataValue) -> Option<String> {
    let bytes = value.to_bytes().ok()?;
    String::from_utf8(bytes.to_vec())
        .ok()
        .filter(|user| !user.is_empty())
}

/// A channel to the master whose every call carries the caller's credentials.
pub type AuthChannel<C = Channel> = InterceptedService<C, Credentials>;

/// The master's check of a call's metadata against its own authentication type `expected`:
/// the caller's login user under SIMPLE, `None` under NOSASL; an `UNAUTHENTICATED` status
/// saying what to change otherwise.
pub fn authenticate(expected: AuthType, metadata: &MetadataMap) -> Result<Option<String>, Status> {
    let sent = match metadata.get(AUTHENTICATION_KEY) {
        None => None,
        Some(value) => Some(value.to_str().ok().and_then(AuthType::parse).ok_or_else(|| {
            Status::unauthenticated(format!("unknown authentication type {value:?} in the call"))
        })?),
    };
    match (expected, sent) {
        // A plain gRPC client (grpcurl, a test) may call a master that checks nothing.
        (AuthType::NoSasl, None | Some(AuthType::NoSasl)) => Ok(None),
        (AuthType::Simple, None) => Err(Status::unauthenticated(format!(
            "the call carries no login user and this master uses SIMPLE authentication: call it \
             through an Alluxio client, or set {TYPE_PROPERTY}=NOSASL on every server"
        ))),
        (expected, Some(sent)) if sent != expected => Err(Status::unauthenticated(format!(
            "the caller uses {} authentication and this master uses {}: set {TYPE_PROPERTY} to the \
             same value on clients, workers, proxies and masters",
            sent.name(),
            expected.name()
        ))),
        (_, Some(_)) => match metadata.get_bin(USER_KEY).and_then(user_name) {
            Some(user) => Ok(Some(user)),
            None => Err(Status::unauthenticated(
                "SIMPLE authentication without a login user (alluxio.security.login.username)",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(credentials: &Credentials) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        credentials.attach(&mut metadata);
        metadata
    }

    #[test]
    fn a_simple_caller_is_known_by_its_login_user() {
        let metadata = sent(&Credentials::new(AuthType::Simple, "alice"));
        assert_eq!(
            authenticate(AuthType::Simple, &metadata).unwrap().as_deref(),
            Some("alice")
        );
        let unusual = sent(&Credentials::new(AuthType::Simple, "dörte smith"));
        assert_eq!(
            authenticate(AuthType::Simple, &unusual).unwrap().as_deref(),
            Some("dörte smith")
        );
    }

    #[test]
    fn nosasl_callers_carry_no_user() {
        let metadata = sent(&Credentials::new(AuthType::NoSasl, "alice"));
        assert!(metadata.get_bin(USER_KEY).is_none());
        assert_eq!(authenticate(AuthType::NoSasl, &metadata).unwrap(), None);
        assert_eq!(authenticate(AuthType::NoSasl, &MetadataMap::new()).unwrap(), None);
    }

    #[test]
    fn a_call_names_the_user_it_acts_for() {
        let mut metadata = sent(&Credentials::new(AuthType::Simple, "proxy"));
        assert_eq!(on_behalf_of(&metadata).unwrap(), None);
        OnBehalfOf::new("dörte").attach(&mut metadata);
        assert_eq!(on_behalf_of(&metadata).unwrap().as_deref(), Some("dörte"));
        assert_eq!(
            authenticate(AuthType::Simple, &metadata).unwrap().as_deref(),
            Some("proxy")
        );
        OnBehalfOf::new("").attach(&mut metadata);
        assert!(on_behalf_of(&metadata).is_err());
    }

    #[test]
    fn mixed_types_are_refused_naming_both_and_the_property() {
        let simple = sent(&Credentials::new(AuthType::Simple, "alice"));
        let nosasl = sent(&Credentials::new(AuthType::NoSasl, "alice"));
        for (master, call) in [(AuthType::NoSasl, &simple), (AuthType::Simple, &nosasl)] {
            let status = authenticate(master, call).unwrap_err();
            assert_eq!(status.code(), tonic::Code::Unauthenticated);
            assert!(
                status.message().contains("SIMPLE")
                    && status.message().contains("NOSASL")
                    && status.message().contains(TYPE_PROPERTY),
                "{}",
                status.message()
            );
        }
        let bare = authenticate(AuthType::Simple, &MetadataMap::new()).unwrap_err();
        assert!(bare.message().contains("no login user"), "{}", bare.message());
        let mut garbage = MetadataMap::new();
        garbage.insert(AUTHENTICATION_KEY, AsciiMetadataValue::from_static("KERBEROS"));
        assert!(authenticate(AuthType::Simple, &garbage).is_err());
    }
}
