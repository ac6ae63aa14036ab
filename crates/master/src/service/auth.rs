//! Authentication of every gRPC call: a layer around the master's services that checks the
//! caller's credentials against `alluxio.security.authentication.type` and serves the call as
//! its user (with the user's groups from the OS), so the namespace checks what it may do. A
//! call made on behalf of another user is served as that user if the impersonation rules allow
//! it (see [`Impersonation`]).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use alluxio_proto::auth::{AuthType, authenticate, on_behalf_of};
use parking_lot::Mutex;
use tonic::metadata::MetadataMap;
use tower::{Layer, Service};

use super::impersonation::Impersonation;
use crate::namespace::Caller;

/// How long a user's groups are kept before the OS is asked again, as Alluxio's group mapping
/// cache (`alluxio.security.group.mapping.cache.timeout`, 1 min).
const GROUPS_KEPT: Duration = Duration::from_secs(60);

/// Users whose groups are remembered at most: the names come from callers, so the cache must
/// not grow with every name one of them makes up.
const GROUPS_CACHED_MAX: usize = 10_000;

/// Each user with the groups the OS gives them (NSS: `/etc/group`, LDAP ...), asked once a
/// minute per user on the blocking pool (an LDAP lookup may take a while); a user the OS does not
/// know has none. Every call of a user within the minute shares one [`Caller`].
#[derive(Default)]
pub(crate) struct Callers {
    known: Mutex<HashMap<String, (Instant, Arc<Caller>)>>,
}

impl Callers {
    /// `user` with their groups.
    async fn of(self: &Arc<Self>, user: &str) -> Arc<Caller> {
        if let Some((at, caller)) = self.known.lock().get(user)
            && at.elapsed() < GROUPS_KEPT
        {
            return caller.clone();
        }
        let name = user.to_string();
        let groups = tokio::task::spawn_blocking(move || os_groups(&name))
            .await
            .unwrap_or_default();
        let caller = Arc::new(Caller {
            user: user.to_string(),
            groups,
        });
        let mut known = self.known.lock();
        if known.len() >= GROUPS_CACHED_MAX {
            known.retain(|_, (at, _)| at.elapsed() < GROUPS_KEPT);
            if known.len() >= GROUPS_CACHED_MAX {
                known.clear();
            }
        }
        known.insert(user.to_string(), (Instant::now(), caller.clone()));
        caller
    }
}

/// The names of `user`'s groups, its primary group first.
fn os_groups(user: &str) -> Vec<String> {
    use nix::unistd::{Group, User, getgrouplist};
    let Ok(Some(account)) = User::from_name(user) else {
        return Vec::new();
    };
    let Ok(name) = std::ffi::CString::new(user) else {
        return Vec::new();
    };
    let gids = getgrouplist(&name, account.gid).unwrap_or_else(|_| vec![account.gid]);
    gids.into_iter()
        .filter_map(|gid| Group::from_gid(gid).ok().flatten().map(|group| group.name))
        .collect()
}

/// Checks each call's credentials (see [`AuthService`]).
#[derive(Clone)]
pub(crate) struct AuthLayer {
    expected: AuthType,
    impersonation: Arc<Impersonation>,
    callers: Arc<Callers>,
}

impl AuthLayer {
    /// Calls must use authentication `expected`; callers may act for others as `impersonation`
    /// allows.
    pub(crate) fn new(expected: AuthType, impersonation: Arc<Impersonation>) -> Self {
        Self {
            expected,
            impersonation,
            callers: Arc::new(Callers::default()),
        }
    }

    /// The caller to serve a call from `login` as: the login user, or the user it acts for if
    /// the rules allow it (else why not).
    async fn caller(&self, login: String, acting_for: Option<String>) -> Result<Arc<Caller>, String> {
        let login = self.callers.of(&login).await;
        let Some(user) = acting_for.filter(|user| *user != login.user) else {
            return Ok(login);
        };
        let user = self.callers.of(&user).await;
        self.impersonation
            .check(&login.user, &login.groups, &user.user, &user.groups)?;
        tracing::trace!(login = %login.user, user = %user.user, "call made on behalf of another user");
        Ok(user)
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// Refuses a call whose credentials do not match the master's authentication type with
/// `UNAUTHENTICATED` and a message saying what to change; serves any other as its caller
/// (under SIMPLE) or as nobody in particular (under NOSASL, where nothing is checked).
#[derive(Clone)]
pub(crate) struct AuthService<S> {
    inner: S,
    layer: AuthLayer,
}

impl<S, B, R> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The headers are read as gRPC metadata and given back, not copied.
        let metadata = MetadataMap::from_headers(std::mem::take(request.headers_mut()));
        let checked = authenticate(self.layer.expected, &metadata).and_then(|login| {
            login
                .map(|login| Ok((login, on_behalf_of(&metadata)?)))
                .transpose()
        });
        *request.headers_mut() = metadata.into_headers();
        match checked {
            Err(status) => {
                tracing::debug!(path = request.uri().path(), error = %status.message(), "call refused");
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
            Ok(None) => Box::pin(self.inner.call(request)),
            Ok(Some((login, acting_for))) => {
                let (layer, call) = (self.layer.clone(), self.inner.call(request));
                Box::pin(async move {
                    match layer.caller(login, acting_for).await {
                        Ok(caller) => caller.scope(call).await,
                        Err(denied) => Ok(tonic::Status::permission_denied(denied).into_http()),
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_os_gives_root_its_group_and_strangers_none() {
        let callers = Arc::new(Callers::default());
        let root = callers.of("root").await;
        assert!(root.groups.contains(&"root".to_string()));
        assert!(callers.of("no-such-user-anywhere").await.groups.is_empty());
        // Kept: asked again within the minute, the answer is the remembered one.
        assert!(Arc::ptr_eq(&root, &callers.of("root").await));
    }
}
