//! A link to ZooKeeper that a test can cut, as if the master at its end had crashed.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A loopback TCP relay to a server. [`cut`](Self::cut) closes every relayed connection and
/// stops listening: to the server the client at the other end has crashed, and the client
/// cannot reconnect.
pub struct Link {
    addr: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Link {
    /// Starts relaying a free loopback port to `target`.
    pub async fn to(target: SocketAddr) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind the relay");
        let addr = listener.local_addr().expect("the relay's address");
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let connections = Arc::clone(&tasks);
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                connections.lock().expect("relay tasks").push(relay);
            }
        });
        tasks.lock().expect("relay tasks").push(accept);
        Self { addr, tasks }
    }

    /// The connect string of the relay.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Closes the relayed connections and the listener.
    pub fn cut(&self) {
        for task in self.tasks.lock().expect("relay tasks").drain(..) {
            task.abort();
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.cut();
    }
}
