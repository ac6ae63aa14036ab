//! The FUSE file system logic against an in-process cluster, without a kernel mount: what each
//! request does to the namespace, and the errno of everything Alluxio's model refuses.

use std::time::Duration;

use alluxio_client::{AlluxioPath, FileSystem};
use alluxio_fuse::inodes::ROOT_INO;
use alluxio_fuse::{Caller, DirEntry, Errno, FileKind, FuseFs, FuseOptions, OpenFlags, SetAttr};
use alluxio_testkit::LocalCluster;

const WRITE: OpenFlags = OpenFlags(libc_flags::O_WRONLY);
const READ: OpenFlags = OpenFlags(0);
/// The user the tests' requests come from.
const ME: Caller = Caller { uid: 1000, gid: 1000 };

/// The few open flags the tests use (as on Linux).
mod libc_flags {
    pub const O_WRONLY: i32 = 0o1;
    pub const O_TRUNC: i32 = 0o1000;
    pub const O_EXCL: i32 = 0o200;
    pub const O_CREAT: i32 = 0o100;
}

async fn mount(cluster: &LocalCluster) -> (FuseFs, FileSystem) {
    mount_translating(cluster, false).await
}

async fn mount_translating(cluster: &LocalCluster, translate_owners: bool) -> (FuseFs, FileSystem) {
    let client = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let fs = FuseFs::new(
        client.clone(),
        AlluxioPath::root(),
        FuseOptions {
            uid: 1000,
            gid: 1000,
            request_timeout: Duration::from_secs(30),
            translate_owners,
        },
    );
    (fs, client)
}

/// Every entry of directory `ino` but the dots, as the kernel reads them: offered 128 entries
/// a request, taking at most `per_reply` of them, and asking again from the last one taken.
async fn list(fs: &FuseFs, ino: u64, per_reply: usize) -> Vec<DirEntry> {
    let fh = fs.opendir(ino).await.unwrap();
    let mut out: Vec<DirEntry> = Vec::new();
    let mut offset = 0;
    loop {
        let taken: Vec<DirEntry> = fs
            .readdir(fh, offset, 128)
            .await
            .unwrap()
            .into_iter()
            .take(per_reply)
            .collect();
        let Some(last) = taken.last() else {
            break;
        };
        offset = last.offset;
        out.extend(taken);
    }
    fs.releasedir(fh);
    let dots: Vec<_> = out.drain(..2).map(|e| e.name).collect();
    assert_eq!(dots, [".", ".."]);
    out
}

async fn write_file(fs: &FuseFs, parent: u64, name: &str, data: &[u8]) -> u64 {
    let (attr, fh) = fs
        .create(
            parent,
            name,
            OpenFlags(libc_flags::O_CREAT | libc_flags::O_WRONLY),
            0o644,
            ME,
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
    let dir = fs.mkdir(ROOT_INO, "data", 0o755, ME).await.unwrap();
    assert_eq!(dir.kind, FileKind::Directory);
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();

    let (attr, fh) = fs
        .create(
            dir.ino,
            "a.bin",
            OpenFlags(libc_flags::O_CREAT | libc_flags::O_WRONLY),
            0o644,
            ME,
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
    let entries = list(&fs, dir.ino, usize::MAX).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0].name.as_str(),
            entries[0].attr.ino,
            entries[0].attr.size
        ),
        ("a.bin", attr.ino, 100_000)
    );

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
    let to = |size| SetAttr {
        size: Some(size),
        ..Default::default()
    };
    assert_eq!(fs.setattr(ino, to(3)).await, Err(Errno::NOTSUP));
    assert_eq!(fs.setattr(ino, to(0)).await.unwrap().size, 0);
    let fh = fs.open(ino, WRITE).await.unwrap();
    fs.write(fh, 0, b"third").await.unwrap();
    fs.release(fh).await.unwrap();
    assert_eq!(fs.getattr(ino).await.unwrap().size, 5);

    let exclusive = OpenFlags(libc_flags::O_CREAT | libc_flags::O_EXCL | libc_flags::O_WRONLY);
    assert_eq!(
        fs.create(ROOT_INO, "f", exclusive, 0o644, ME).await.map(|_| ()),
        Err(Errno::EXIST)
    );
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removes_and_renames_follow_posix() {
    let cluster = LocalCluster::builder().start().await.unwrap();
    let (fs, _client) = mount(&cluster).await;
    let dir = fs.mkdir(ROOT_INO, "d", 0o755, ME).await.unwrap().ino;
    let file = write_file(&fs, dir, "f", b"1").await;
    write_file(&fs, ROOT_INO, "g", b"22").await;

    assert_eq!(fs.lookup(ROOT_INO, "missing").await, Err(Errno::NOENT));
    assert_eq!(
        fs.lookup(ROOT_INO, &"n".repeat(256)).await,
        Err(Errno::NAMETOOLONG)
    );
    assert_eq!(fs.mkdir(ROOT_INO, "d", 0o755, ME).await, Err(Errno::EXIST));
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
    fs.mkdir(ROOT_INO, "empty", 0o755, ME).await.unwrap();
    assert_eq!(
        fs.rename(ROOT_INO, "e", ROOT_INO, "empty").await,
        Ok(()),
        "an empty folder is replaced"
    );

    fs.remove(dir, "f", false).await.unwrap();
    fs.remove(ROOT_INO, "empty", true).await.unwrap();
    let names: Vec<String> = list(&fs, ROOT_INO, usize::MAX)
        .await
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert!(names.is_empty(), "{names:?}");
    cluster.shutdown().await.unwrap();
}

/// chmod, chown, touch and the mode of new files are stored in the namespace: the master and
/// a second mount see them. Owners show as local ids when translation is on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_owners_and_times_are_stored_in_alluxio() {
    let cluster = LocalCluster::builder().start().await.unwrap();
    let (fs, client) = mount_translating(&cluster, true).await;
    let root_caller = Caller { uid: 0, gid: 0 };
    let dir = fs.mkdir(ROOT_INO, "private", 0o750, root_caller).await.unwrap();
    assert_eq!((dir.perm, dir.uid, dir.gid), (0o750, 0, 0));
    let (file, fh) = fs
        .create(
            dir.ino,
            "f",
            OpenFlags(libc_flags::O_CREAT | libc_flags::O_WRONLY),
            0o600,
            root_caller,
        )
        .await
        .unwrap();
    fs.release(fh).await.unwrap();
    assert_eq!(file.perm, 0o600);

    let when = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let changed = fs
        .setattr(
            file.ino,
            SetAttr {
                mode: Some(0o4644),
                uid: Some(4_000_000_000),
                mtime: Some(when),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.perm, changed.uid, changed.gid, changed.mtime),
        (0o4644, 4_000_000_000, 0, when)
    );
    let info = client
        .get_status(&AlluxioPath::new("/private/f").unwrap())
        .await
        .unwrap();
    assert_eq!(
        (
            info.mode,
            info.owner.as_str(),
            info.group.as_str(),
            info.last_modification_time_ms
        ),
        (0o4644, "4000000000", "root", 1_000_000_000)
    );
    let dir_info = client
        .get_status(&AlluxioPath::new("/private").unwrap())
        .await
        .unwrap();
    assert_eq!((dir_info.mode, dir_info.owner.as_str()), (0o750, "root"));

    // A time set while the file is being written (cp -p, tar x) outlives its completion.
    let (written, fh) = fs
        .create(
            dir.ino,
            "g",
            OpenFlags(libc_flags::O_CREAT | libc_flags::O_WRONLY),
            0o644,
            root_caller,
        )
        .await
        .unwrap();
    fs.write(fh, 0, b"data").await.unwrap();
    let set = SetAttr {
        mtime: Some(when),
        ..Default::default()
    };
    assert_eq!(fs.setattr(written.ino, set).await.unwrap().mtime, when);
    fs.release(fh).await.unwrap();
    let info = client
        .get_status(&AlluxioPath::new("/private/g").unwrap())
        .await
        .unwrap();
    assert_eq!((info.length, info.last_modification_time_ms), (4, 1_000_000_000));

    // A mount without translation shows its own user for every file, with the stored mode.
    let (other, _) = mount(&cluster).await;
    let seen = other.lookup(ROOT_INO, "private").await.unwrap();
    let seen = other.lookup(seen.ino, "f").await.unwrap();
    assert_eq!((seen.perm, seen.uid, seen.mtime), (0o4644, 1000, when));

    // Alluxio's attributes as extended attributes; other names have no value.
    let state = fs
        .getxattr(file.ino, "user.alluxio.persistence_state")
        .await
        .unwrap();
    assert_eq!(state, b"NOT_PERSISTED");
    assert_eq!(
        fs.getxattr(file.ino, "security.selinux").await,
        Err(Errno::NODATA)
    );
    assert_eq!(
        fs.getxattr(file.ino, "user.alluxio.nope").await,
        Err(Errno::NODATA)
    );
    let names = fs.listxattr(file.ino).unwrap();
    assert!(
        names.starts_with(b"user.alluxio.persistence_state\0"),
        "{names:?}"
    );
    cluster.shutdown().await.unwrap();
}

/// A folder larger than a page of the master's listing reads whole, in name order, however
/// few entries the kernel takes per reply, and again from the start after a rewind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_folders_are_listed_page_by_page() {
    let cluster = LocalCluster::builder().start().await.unwrap();
    let (fs, client) = mount(&cluster).await;
    let dir = fs.mkdir(ROOT_INO, "big", 0o755, ME).await.unwrap();
    let names: Vec<String> = (0..2_345).map(|i| format!("entry-{i:05}")).collect();
    for name in &names {
        let path = AlluxioPath::new(&format!("/big/{name}")).unwrap();
        client.create_directory(&path, Default::default()).await.unwrap();
    }
    for per_reply in [usize::MAX, 97] {
        let listed: Vec<String> = list(&fs, dir.ino, per_reply)
            .await
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(listed, names, "{per_reply} entries per reply");
    }

    let fh = fs.opendir(dir.ino).await.unwrap();
    let mut offset = 0;
    while let Some(last) = fs.readdir(fh, offset, 50).await.unwrap().last() {
        offset = last.offset;
    }
    let again = fs.readdir(fh, 0, 50).await.unwrap();
    let first: Vec<&str> = again.iter().take(3).map(|e| e.name.as_str()).collect();
    assert_eq!(first, [".", "..", "entry-00000"], "a rewind lists from the start");
    fs.releasedir(fh);
    assert_eq!(fs.readdir(fh, 0, 50).await.map(|_| ()), Err(Errno::BADF));
    cluster.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_one_local_block_is_handed_out_as_its_block_file() {
    let cluster = LocalCluster::builder()
        .block_size(64 * 1024)
        .start()
        .await
        .unwrap();
    let (fs, _client) = mount(&cluster).await;
    let data: Vec<u8> = (0..150_000u32).map(|i| (i % 241) as u8).collect();
    let mut inos = Vec::new();
    for (name, len) in [("one", 50_000), ("three", 150_000)] {
        let flags = OpenFlags(libc_flags::O_CREAT | libc_flags::O_WRONLY);
        let (attr, fh) = fs.create(ROOT_INO, name, flags, 0o644, ME).await.unwrap();
        assert_eq!(
            fs.block_file(fh).await.map(|_| ()),
            None,
            "a file being written has none"
        );
        fs.write(fh, 0, &data[..len]).await.unwrap();
        fs.release(fh).await.unwrap();
        inos.push(attr.ino);
    }

    let fh = fs.open(inos[0], READ).await.unwrap();
    let file = fs.block_file(fh).await.expect("one block cached on this host");
    let mut bytes = vec![0; 60_000];
    let n = std::os::unix::fs::FileExt::read_at(&*file, &mut bytes, 0).unwrap();
    assert_eq!(
        &bytes[..n],
        &data[..50_000],
        "the block file holds the file's bytes"
    );
    assert_eq!(fs.read(fh, 49_990, 100).await.unwrap(), &data[49_990..50_000]);
    fs.release(fh).await.unwrap();

    let fh = fs.open(inos[1], READ).await.unwrap();
    assert_eq!(
        fs.block_file(fh).await.map(|_| ()),
        None,
        "three blocks are no one file"
    );
    fs.release(fh).await.unwrap();
    cluster.shutdown().await.unwrap();
}

/// A mount whose login user is no superuser cannot give new files to their callers: they stay
/// the mount user's, with the mode asked, and the create succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_translation_without_superuser_rights_keeps_files_the_mounts() {
    let cluster = LocalCluster::builder().start().await.unwrap();
    let admin = FileSystem::connect(cluster.client_conf()).await.unwrap();
    let open_root = alluxio_client::SetAttributeOptions {
        mode: Some(0o777),
        ..Default::default()
    };
    admin
        .set_attribute(&AlluxioPath::root(), open_root)
        .await
        .unwrap();
    let mut conf = cluster.client_conf();
    conf.set("alluxio.security.login.username", "mounter");
    let client = FileSystem::connect(conf).await.unwrap();
    let options = FuseOptions {
        uid: 1000,
        gid: 1000,
        request_timeout: Duration::from_secs(30),
        translate_owners: true,
    };
    let fs = FuseFs::new(client, AlluxioPath::root(), options);
    let flags = OpenFlags(libc_flags::O_CREAT | libc_flags::O_WRONLY);
    let (_, fh) = fs.create(ROOT_INO, "theirs", flags, 0o640, ME).await.unwrap();
    fs.release(fh).await.unwrap();
    let info = admin
        .get_status(&AlluxioPath::new("/theirs").unwrap())
        .await
        .unwrap();
    assert_eq!((info.owner.as_str(), info.mode), ("mounter", 0o640));
    cluster.shutdown().await.unwrap();
}
