//! The FUSE file system logic against an in-process cluster, without a kernel mount: what each
//! request does to the namespace, and the errno of everything Alluxio's model refuses.

use std::time::Duration;

use alluxio_client::{AlluxioPath, FileSystem};
use alluxio_fuse::inodes::ROOT_INO;
use alluxio_fuse::{Errno, FileKind, FuseFs, FuseOptions, OpenFlags};
use alluxio_testkit::LocalCluster;

const WRITE: OpenFlags = OpenFlags(libc_flags::O_WRONLY);
const READ: OpenFlags = OpenFlags(0);

/// The few open flags the tests use (as on Linux).
mod libc_flags {
    pub const O_WRONLY: i32 = 0o1;
    pub const O_TRUNC: i32 = 0o1000;
    pub const O_EXCL: i32 = 0o200;
    pub const O_CREAT: i32 = 0o100;
}

async fn mount(cluster: &LocalCluster) -> (FuseFs, FileSystem) {
    let client = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let fs = FuseFs::new(
        client.clone(),
        AlluxioPath::root(),
        FuseOptions {
            uid: 1000,
            gid: 1000,
            request_timeout: Duration::from_secs(30),
        },
    );
    (fs, client)
}

async fn write_file(fs: &FuseFs, parent: u64, name: &str, data: &[u8]) -> u64 {
    let (attr, fh) = fs
        .create(
            parent,
            name,
            OpenFlags(libc_flags::O_CREAT | libc_flags::O_WRONLY),
        )
        .await
        .unwrap();
    for (i, chunk) in data.chunks(4096).enumerate() {
        assert_eq!(
            fs.write(fh, (i * 4096) as u64, chunk).await.unwrap() as usize,
            chunk.len()
        );
    }
    fs.release(fh).await.unwrap();
    attr.ino
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_written_through_the_mount_are_the_files_alluxio_shows() {
    let cluster = LocalCluster::builder().start().await.unwrap();
    let (fs, client) = mount(&cluster).await;
    let dir = fs.mkdir(ROOT_INO, "data").await.unwrap();
    assert_eq!(dir.kind, FileKind::Directory);
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();

    let (attr, fh) = fs
        .create(
            dir.ino,
            "a.bin",
            OpenFlags(libc_flags::O_CREAT | libc_flags::O_WRONLY),
        )
        .await
        .unwrap();
    fs.write(fh, 0, &data[..60_000]).await.unwrap();
    assert_eq!(
        fs.getattr(attr.ino).await.unwrap().size,
        60_000,
        "sizes are right while writing"
    );
    assert_eq!(
        fs.write(fh, 10, b"x").await,
        Err(Errno::NOTSUP),
        "writes are sequential"
    );
    // A flush (the close of a dup'ed descriptor) leaves the file open for more.
    fs.flush(fh).await.unwrap();
    fs.write(fh, 60_000, &data[60_000..]).await.unwrap();
    fs.release(fh).await.unwrap();
    assert_eq!(fs.release(fh).await, Err(Errno::BADF));

    // Another client sees the completed file.
    let path = AlluxioPath::new("/data/a.bin").unwrap();
    let mut stream = client.open_file(&path, Default::default()).await.unwrap();
    assert_eq!(stream.read_to_end().await.unwrap(), data);

    let found = fs.lookup(dir.ino, "a.bin").await.unwrap();
    assert_eq!(
        (found.ino, found.size, found.kind),
        (attr.ino, 100_000, FileKind::File)
    );
    let entries = fs.readdir(dir.ino).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].name.as_str(), entries[0].ino), ("a.bin", attr.ino));

    let fh = fs.open(found.ino, READ).await.unwrap();
    assert_eq!(
        fs.read(fh, 99_990, 4096).await.unwrap(),
        &data[99_990..],
        "short only at the end"
    );
    assert_eq!(fs.read(fh, 5, 10).await.unwrap(), &data[5..15], "reads seek back");
    assert!(fs.read(fh, 200_000, 10).await.unwrap().is_empty());
    fs.release(fh).await.unwrap();

    let statfs = fs.statfs().await.unwrap();
    assert_eq!(statfs.blocks * u64::from(statfs.block_size), 64 * 1024 * 1024);
    assert!(statfs.free < statfs.blocks);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_once_files_are_replaced_only_when_truncated() {
    let cluster = LocalCluster::builder().start().await.unwrap();
    let (fs, client) = mount(&cluster).await;
    let ino = write_file(&fs, ROOT_INO, "f", b"first").await;
    assert_eq!(
        fs.open(ino, WRITE).await,
        Err(Errno::NOTSUP),
        "a complete file is not appended to"
    );
    let fh = fs
        .open(ino, OpenFlags(libc_flags::O_WRONLY | libc_flags::O_TRUNC))
        .await
        .unwrap();
    fs.write(fh, 0, b"second").await.unwrap();
    fs.release(fh).await.unwrap();
    let path = AlluxioPath::new("/f").unwrap();
    let mut stream = client.open_file(&path, Default::default()).await.unwrap();
    assert_eq!(stream.read_to_end().await.unwrap(), b"second");

    // The kernel's truncate-then-open of `> f`.
    assert_eq!(fs.truncate(ino, 3).await, Err(Errno::NOTSUP));
    assert_eq!(fs.truncate(ino, 0).await.unwrap().size, 0);
    let fh = fs.open(ino, WRITE).await.unwrap();
    fs.write(fh, 0, b"third").await.unwrap();
    fs.release(fh).await.unwrap();
    assert_eq!(fs.getattr(ino).await.unwrap().size, 5);

    let exclusive = OpenFlags(libc_flags::O_CREAT | libc_flags::O_EXCL | libc_flags::O_WRONLY);
    assert_eq!(
        fs.create(ROOT_INO, "f", exclusive).await.map(|_| ()),
        Err(Errno::EXIST)
    );
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removes_and_renames_follow_posix() {
    let cluster = LocalCluster::builder().start().await.unwrap();
    let (fs, _client) = mount(&cluster).await;
    let dir = fs.mkdir(ROOT_INO, "d").await.unwrap().ino;
    let file = write_file(&fs, dir, "f", b"1").await;
    write_file(&fs, ROOT_INO, "g", b"22").await;

    assert_eq!(fs.lookup(ROOT_INO, "missing").await, Err(Errno::NOENT));
    assert_eq!(
        fs.lookup(ROOT_INO, &"n".repeat(256)).await,
        Err(Errno::NAMETOOLONG)
    );
    assert_eq!(fs.mkdir(ROOT_INO, "d").await, Err(Errno::EXIST));
    assert_eq!(fs.remove(ROOT_INO, "d", true).await, Err(Errno::NOTEMPTY));
    assert_eq!(fs.remove(ROOT_INO, "d", false).await, Err(Errno::ISDIR));
    assert_eq!(fs.remove(ROOT_INO, "g", true).await, Err(Errno::NOTDIR));
    assert_eq!(fs.open(dir, READ).await, Err(Errno::ISDIR));

    // A rename replaces a file, and the inode keeps following the file.
    fs.rename(ROOT_INO, "g", dir, "f").await.unwrap();
    assert_eq!(
        fs.getattr(file).await,
        Err(Errno::NOENT),
        "the replaced file is gone"
    );
    assert_eq!(fs.lookup(dir, "f").await.unwrap().size, 2);
    fs.rename(ROOT_INO, "d", ROOT_INO, "e").await.unwrap();
    let moved = fs.lookup(ROOT_INO, "e").await.unwrap();
    assert_eq!(moved.ino, dir, "a renamed folder keeps its inode");
    assert_eq!(
        fs.lookup(dir, "f").await.unwrap().size,
        2,
        "and its children follow"
    );
    fs.mkdir(ROOT_INO, "empty").await.unwrap();
    assert_eq!(
        fs.rename(ROOT_INO, "e", ROOT_INO, "empty").await,
        Ok(()),
        "an empty folder is replaced"
    );

    fs.remove(dir, "f", false).await.unwrap();
    fs.remove(ROOT_INO, "empty", true).await.unwrap();
    let names: Vec<String> = fs
        .readdir(ROOT_INO)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert!(names.is_empty(), "{names:?}");
    cluster.shutdown().await.unwrap();
}
