//! Which of a port's gRPC services answers a call: the one its path names
//! (`/<package>.<Service>/<Method>`).
//!
//! Tonic's `Routes` sends every call through axum's router, which boxes the request's body
//! twice, the response's body twice, and the call's future three times, and matches the path
//! against a route table with parameters. A port serves one to four services, so comparing the
//! service name with each is all the routing it needs, and each call is handed to its service
//! as it came.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::Status;
use tonic::body::Body;
use tonic::codegen::BoxFuture;
use tonic::server::NamedService;
use tower_service::Service;

use crate::RecvBody;

/// A call as the routes take it.
type Call = http::Request<RecvBody>;
/// The answer a service gives: its messages and trailers.
type Answer = http::Response<Body>;

/// A generated tonic service, its type erased.
trait Route: Send + Sync {
    fn call(&self, call: Call) -> BoxFuture<Answer, Infallible>;
}

impl<S> Route for S
where
    S: Service<Call, Response = Answer, Error = Infallible, Future = BoxFuture<Answer, Infallible>>
        + Clone
        + Send
        + Sync,
{
    fn call(&self, call: Call) -> BoxFuture<Answer, Infallible> {
        // A generated service is always ready, and cheap to clone (its implementation is shared).
        Service::call(&mut self.clone(), call)
    }
}

/// The gRPC services of one port, by name; clones share them.
#[derive(Clone, Default)]
pub struct GrpcRoutes {
    services: Arc<Vec<(&'static str, Arc<dyn Route>)>>,
}

impl GrpcRoutes {
    /// These routes and `service`, which answers the calls to its name: a generated tonic
    /// server, always ready (calls are made without waiting on `poll_ready`).
    ///
    /// # Panics
    ///
    /// If a service of that name was added already: one of the two would never be called.
    pub fn with<S>(self, service: S) -> Self
    where
        S: NamedService
            + Service<Call, Response = Answer, Error = Infallible, Future = BoxFuture<Answer, Infallible>>
            + Clone
            + Send
            + Sync
            + 'static,
    {
        assert!(
            self.services.iter().all(|(name, _)| *name != S::NAME),
            "the gRPC service {} is added twice",
            S::NAME
        );
        let mut services = Vec::clone(&self.services);
        services.push((S::NAME, Arc::new(service)));
        Self {
            services: Arc::new(services),
        }
    }

    fn route(&self, path: &str) -> Option<&dyn Route> {
        let (service, _method) = path.strip_prefix('/')?.split_once('/')?;
        self.services
            .iter()
            .find(|(name, _)| *name == service)
            .map(|(_, route)| route.as_ref())
    }
}

impl Service<Call> for GrpcRoutes {
    type Response = Answer;
    type Error = Infallible;
    type Future = BoxFuture<Answer, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        match self.route(call.uri().path()) {
            Some(route) => route.call(call),
            None => {
                let status =
                    Status::unimplemented(format!("this port serves no gRPC method {}", call.uri().path()));
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::{RpcLimits, Shutdown};

    /// A service answering every call NOT_FOUND with the name of the method called.
    #[derive(Clone)]
    struct Named;

    impl NamedService for Named {
        const NAME: &'static str = "alluxio.grpc.Test";
    }

    impl Service<Call> for Named {
        type Response = Answer;
        type Error = Infallible;
        type Future = BoxFuture<Answer, Infallible>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, call: Call) -> Self::Future {
            let method = call
                .uri()
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            Box::pin(async move { Ok(Status::not_found(method).into_http()) })
        }
    }

    #[test]
    #[should_panic(expected = "the gRPC service alluxio.grpc.Test is added twice")]
    fn a_service_added_twice_is_refused() {
        let _ = GrpcRoutes::default().with(Named).with(Named);
    }

    #[tokio::test]
    async fn a_call_is_answered_by_the_service_its_path_names_and_any_other_is_unimplemented() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = RpcLimits {
            max_connections: 1,
            silent_timeout: Duration::from_secs(10),
            keepalive_time: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(30),
        };
        let (stop, stopped) = Shutdown::channel();
        let server = tokio::spawn(limits.serve(listener, GrpcRoutes::default().with(Named), stopped));
        let (mut client, connection) = h2::client::handshake(TcpStream::connect(addr).await.unwrap())
            .await
            .unwrap();
        let connection = tokio::spawn(connection);
        let answered = [
            ("/alluxio.grpc.Test/Get", "5", "Get"),
            ("/alluxio.grpc.Test/Put", "5", "Put"),
            ("/alluxio.grpc.Other/Get", "12", "/alluxio.grpc.Other/Get"),
            ("/alluxio.grpc.Test", "12", "/alluxio.grpc.Test"),
            ("/alluxio.grpc.Tes/Get", "12", "/alluxio.grpc.Tes/Get"),
        ];
        for (path, code, message) in answered {
            let request = http::Request::post(format!("http://{addr}{path}"))
                .header("content-type", "application/grpc")
                .body(())
                .unwrap();
            let (answer, _) = client.send_request(request, true).unwrap();
            let answer = answer.await.unwrap();
            let header = |name| answer.headers().get(name).unwrap().to_str().unwrap().to_string();
            assert_eq!(header("grpc-status"), code, "{path}");
            assert!(header("grpc-message").contains(message), "{path}");
        }
        drop(client);
        connection.await.unwrap().unwrap();
        stop.stop();
        server.await.unwrap();
    }
}
