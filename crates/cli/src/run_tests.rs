//! `alluxio runTests`: every write type × read type against the running cluster; a file with a
//! known byte pattern is written, read back and compared.

use std::process::ExitCode;

use alluxio_client::{
    AlluxioPath, CreateFileOptions, DeleteOptions, ErrorKind, FileSystem, OpenFileOptions, ReadType,
    WriteType,
};
use alluxio_conf::Configuration;
use anyhow::{Context, bail};

use crate::exit;

/// Directory the test files go to, as in Alluxio.
const TEST_DIR: &str = "/default_tests_files";
/// Bytes per test file: more than one client buffer is not needed to exercise each path.
const FILE_SIZE: usize = 256 * 1024 + 17;

/// Runs the matrix and prints one line per combination and a summary.
pub async fn run(conf: Configuration) -> anyhow::Result<ExitCode> {
    let fs = FileSystem::connect(conf)
        .await
        .context("cannot connect to the Alluxio master")?;
    let (mut passed, mut failed) = (0, 0);
    for write_type in WriteType::ALL {
        for read_type in ReadType::ALL {
            let (read, write) = (read_type.alluxio_name(), write_type.alluxio_name());
            let path = AlluxioPath::new(&format!("{TEST_DIR}/Basic_{read}_{write}"))?;
            match run_one(&fs, &path, read_type, write_type).await {
                Ok(()) => {
                    passed += 1;
                    outln!("runTest {read} {write}... Passed the test!");
                }
                Err(e) => {
                    failed += 1;
                    outln!("runTest {read} {write}... Failed the test! {e:#}");
                }
            }
        }
    }
    outln!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}

/// The byte at `i` of every test file.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

async fn run_one(
    fs: &FileSystem,
    path: &AlluxioPath,
    read_type: ReadType,
    write_type: WriteType,
) -> anyhow::Result<()> {
    match fs.delete(path, DeleteOptions::default()).await {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot remove the old {path}")),
    }
    let expected: Vec<u8> = (0..FILE_SIZE).map(pattern).collect();
    let options = CreateFileOptions {
        recursive: true,
        write_type: Some(write_type),
        ..Default::default()
    };
    let mut out = fs
        .create_file(path, options)
        .await
        .with_context(|| format!("cannot create {path}"))?;
    out.write(&expected)
        .await
        .with_context(|| format!("cannot write {path}"))?;
    out.close()
        .await
        .with_context(|| format!("cannot complete {path}"))?;
    let options = OpenFileOptions {
        read_type: Some(read_type),
    };
    let mut input = fs
        .open_file(path, options)
        .await
        .with_context(|| format!("cannot open {path}"))?;
    let actual = input
        .read_to_end()
        .await
        .with_context(|| format!("cannot read {path}"))?;
    input
        .close()
        .await
        .with_context(|| format!("cannot close {path}"))?;
    if actual.len() != expected.len() {
        bail!(
            "read {} bytes back from {path}, wrote {}",
            actual.len(),
            expected.len()
        );
    }
    if let Some(at) = actual.iter().zip(&expected).position(|(a, b)| a != b) {
        bail!("byte {at} of {path} is {}, expected {}", actual[at], expected[at]);
    }
    Ok(())
}
