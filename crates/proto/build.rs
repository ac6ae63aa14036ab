//! Generates the gRPC stubs with a vendored `protoc`, so a fresh machine needs only cargo.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY: build scripts are single-threaded; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("PROTOC", protoc) };
    tonic_prost_build::configure()
        // Tonic's codec with buffers sized for Alluxio's messages (src/codec.rs).
        .codec_path("crate::codec::AlluxioCodec")
        .compile_protos(&["proto/alluxio.proto"], &["proto"])?;
    println!("cargo:rerun-if-changed=proto/alluxio.proto");
    Ok(())
}
