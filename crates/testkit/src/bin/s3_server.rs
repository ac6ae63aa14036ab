//! `s3-server`: the testkit's loopback S3 server as a standalone process, to try S3 mounts by
//! hand (`alluxio fs mount --option ... /s3 s3://bucket/`). Buckets live in memory and vanish
//! when it stops (Ctrl-C / SIGTERM): a test double, not a place for data.

use std::net::SocketAddr;

use alluxio_testkit::s3::S3Server;
use clap::Parser;

/// An S3-compatible server on loopback (path-style, SigV4 with one key pair), in memory.
#[derive(Debug, Parser)]
#[command(name = "s3-server")]
struct Args {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// A bucket to create (repeatable).
    #[arg(long = "bucket", default_value = "alluxio")]
    buckets: Vec<String>,
    /// The access key id it accepts.
    #[arg(long, default_value = "ALLUXIOTESTKEY")]
    access_key: String,
    /// The secret key it accepts.
    #[arg(long, default_value = "alluxio-test-secret")]
    secret_key: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let buckets: Vec<&str> = args.buckets.iter().map(String::as_str).collect();
    let server = S3Server::start_on(addr, &buckets, args.access_key, args.secret_key)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!(
        "S3 server at {} with buckets {}",
        server.endpoint,
        buckets.join(", ")
    );
    println!("Mount a bucket with:");
    println!(
        "  alluxio fs mount --option alluxio.underfs.s3.endpoint={} \\\n    \
         --option alluxio.underfs.s3.disable.dns.buckets=true \\\n    \
         --option aws.accessKeyId={} --option aws.secretKey={} /s3 s3://{}/",
        server.endpoint, server.access_key, server.secret_key, buckets[0]
    );
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    drop(server);
    Ok(())
}
