//! `alluxio fuse mount` against a master and a worker started by the `alluxio` binary: programs
//! that know nothing of Alluxio (cp, diff, grep, tar, ls, a shell redirection, Python's shutil
//! and os.walk) work in the mounted folder, and what they write is what `alluxio fs` shows. The
//! mount is always unmounted, even when an assertion fails.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Cluster, stderr, stdout};

/// Runs this repository's `integration/fuse/bin/alluxio-fuse` in a distribution laid out
/// under `root` (bin/ and libexec/ of the repository, lib/alluxio this test's binary), so it
/// runs the binary under test rather than whatever build target/ holds.
fn fuse_script(root: &Path, args: &[&str]) -> std::process::Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let home = root.join("dist");
    if !home.exists() {
        std::fs::create_dir_all(home.join("lib")).unwrap();
        for dir in ["bin", "libexec", "integration"] {
            std::os::unix::fs::symlink(repo.join(dir).canonicalize().unwrap(), home.join(dir)).unwrap();
        }
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_alluxio"), home.join("lib/alluxio")).unwrap();
    }
    Command::new(home.join("integration/fuse/bin/alluxio-fuse"))
        .args(args)
        .env("ALLUXIO_HOME", &home)
        .output()
        .unwrap()
}

/// Runs a program to success.
fn run(program: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

#[test]
fn everyday_programs_work_in_the_mounted_folder() {
    let mut cluster = Cluster::new();
    cluster.start_master();
    cluster.start_worker();
    let mounted = cluster.mount_fuse(&["user_xattr"]);
    let mnt = mounted.point.clone();
    let stat = fuse_script(&cluster.root(), &["stat"]);
    assert!(
        stdout(&stat).contains(&format!("{}\t/", mnt.display())),
        "{}{}",
        stdout(&stat),
        stderr(&stat)
    );

    // A tree of files, copied in and compared back.
    let src = cluster.root().join("src");
    std::fs::create_dir_all(src.join("sub/deeper")).unwrap();
    std::fs::write(src.join("a.txt"), "needle in a\n".repeat(1000)).unwrap();
    std::fs::write(
        src.join("sub/b.bin"),
        (0..3_000_000u32).map(|i| i as u8).collect::<Vec<u8>>(),
    )
    .unwrap();
    std::fs::write(src.join("sub/deeper/c.txt"), "c\n").unwrap();
    run(
        "cp",
        &["-r", src.to_str().unwrap(), mnt.join("copy").to_str().unwrap()],
        &cluster.root(),
    );
    run(
        "diff",
        &["-r", src.to_str().unwrap(), mnt.join("copy").to_str().unwrap()],
        &cluster.root(),
    );
    let found = run(
        "grep",
        &["-rl", "needle", mnt.join("copy").to_str().unwrap()],
        &cluster.root(),
    );
    assert_eq!(found.trim(), mnt.join("copy/a.txt").display().to_string());
    let listing = run(
        "ls",
        &["-l", mnt.join("copy/sub").to_str().unwrap()],
        &cluster.root(),
    );
    assert!(
        listing.contains("3000000") && listing.contains("b.bin"),
        "{listing}"
    );

    // tar in and out, keeping modification times.
    run(
        "touch",
        &[
            "-m",
            "-d",
            "2001-02-03 04:05:06 UTC",
            src.join("a.txt").to_str().unwrap(),
        ],
        &cluster.root(),
    );
    let tarball = cluster.root().join("src.tar");
    run(
        "tar",
        &["cf", tarball.to_str().unwrap(), "-C", src.to_str().unwrap(), "."],
        &cluster.root(),
    );
    std::fs::create_dir(mnt.join("untarred")).unwrap();
    run(
        "tar",
        &[
            "xf",
            tarball.to_str().unwrap(),
            "-C",
            mnt.join("untarred").to_str().unwrap(),
        ],
        &cluster.root(),
    );
    run(
        "diff",
        &[
            "-r",
            src.to_str().unwrap(),
            mnt.join("untarred").to_str().unwrap(),
        ],
        &cluster.root(),
    );
    let untarred = mnt.join("untarred/a.txt");
    let mtime = run("stat", &["-c", "%Y", untarred.to_str().unwrap()], &cluster.root());
    assert_eq!(mtime.trim(), "981173106", "tar x keeps the modification time");

    // A shell redirection (open, dup2, close, write), then replacing the file.
    run(
        "sh",
        &[
            "-c",
            &format!("echo first > {0}/note && echo second > {0}/note", mnt.display()),
        ],
        &cluster.root(),
    );
    assert_eq!(std::fs::read_to_string(mnt.join("note")).unwrap(), "second\n");

    // Python's shutil and os.walk.
    let script = format!(
        "import os, shutil\n\
         shutil.copytree({src:?}, {dst:?})\n\
         print(sum(len(files) for _, _, files in os.walk({dst:?})))\n\
         shutil.rmtree({dst:?})\n",
        src = src.display().to_string(),
        dst = mnt.join("py").display().to_string(),
    );
    assert_eq!(run("python3", &["-c", &script], &cluster.root()).trim(), "3");
    assert!(!mnt.join("py").exists());

    // What the programs wrote is what Alluxio shows, and the other way round.
    let ls = cluster.ok(&["fs", "ls", "/copy/sub"]);
    assert!(ls.contains("/copy/sub/b.bin") && ls.contains("3000000"), "{ls}");
    assert_eq!(cluster.ok(&["fs", "cat", "/note"]), "second\n");
    cluster.ok(&["fs", "mkdir", "/from-alluxio"]);
    assert!(mnt.join("from-alluxio").is_dir());

    // chmod and touch are stored in Alluxio; Alluxio's attributes read as extended attributes.
    let note = mnt.join("note").display().to_string();
    run("chmod", &["600", &note], &cluster.root());
    run(
        "touch",
        &["-m", "-d", "2001-02-03 04:05:06 UTC", &note],
        &cluster.root(),
    );
    let ls = cluster.ok(&["fs", "ls", "/note"]);
    assert!(ls.contains("-rw-------"), "{ls}");
    let script = format!(
        "import os\n\
         print(int(os.stat({note:?}).st_mtime), oct(os.stat({note:?}).st_mode & 0o7777))\n\
         print(os.getxattr({note:?}, 'user.alluxio.persistence_state').decode())\n"
    );
    assert_eq!(
        run("python3", &["-c", &script], &cluster.root()),
        "981173106 0o600\nNOT_PERSISTED\n"
    );

    // What Alluxio's model refuses, with the errno a program expects.
    let err = std::fs::OpenOptions::new()
        .append(true)
        .open(mnt.join("note"))
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(common::EOPNOTSUPP), "{err}");
    let err = std::fs::remove_dir(mnt.join("copy")).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::DirectoryNotEmpty, "{err}");

    let unmounted = fuse_script(&cluster.root(), &["unmount", mnt.to_str().unwrap()]);
    assert!(unmounted.status.success(), "{}", stderr(&unmounted));
    assert!(!cluster.ok(&["fuse", "stat"]).contains(mnt.to_str().unwrap()));
    let usage = fuse_script(&cluster.root(), &[]);
    assert!(
        !usage.status.success() && stderr(&usage).contains("alluxio-fuse mount"),
        "{}",
        stderr(&usage)
    );
    drop(mounted);
}

/// `ETXTBSY` on Linux: a file being read from its block file cannot be replaced meanwhile.
const ETXTBSY: i32 = 26;

/// Reads the mount served for the file `/name`, as its debug log (`alluxio.fuse.debug.enabled`)
/// records them.
fn reads_served(log: &str, name: &str) -> usize {
    let path = format!("path=/{name} ");
    log.lines()
        .filter(|line| line.contains("operation=\"read\"") && line.contains(&path))
        .count()
}

#[test]
fn the_kernel_reads_a_file_of_one_cached_block_from_the_block_file() {
    let mut cluster = Cluster::new();
    cluster
        .props
        .push("-Dalluxio.fuse.debug.enabled=true".to_string());
    cluster.start_master();
    cluster.start_worker();
    let mounted = cluster.mount_fuse(&[]);
    let mnt = mounted.point.clone();
    // alluxio.logs.dir is ${alluxio.work.dir}/logs.
    let log = cluster.root().join("work/logs/fuse.log");

    // Blocks are 1 MB here: one file of one block, one of three, written through the mount
    // and so cached by the worker on this host.
    let one: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    let three: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(mnt.join("one"), &one).unwrap();
    std::fs::write(mnt.join("three"), &three).unwrap();
    assert_eq!(std::fs::read(mnt.join("one")).unwrap(), one);
    assert_eq!(std::fs::read(mnt.join("three")).unwrap(), three);
    let mut served = String::new();
    let logged = common::poll(Duration::from_secs(10), || {
        served = std::fs::read_to_string(&log).unwrap_or_default();
        reads_served(&served, "three") > 0
    });
    assert!(
        logged,
        "the mount served reads of the file of three blocks:\n{served}"
    );
    assert_eq!(
        reads_served(&served, "one"),
        0,
        "the kernel read the file of one block from the block file, not through the mount:\n{served}"
    );

    // Replacing it waits for its readers, and gives up on one that stays.
    let reader = std::fs::File::open(mnt.join("one")).unwrap();
    let err = std::fs::write(mnt.join("one"), b"new").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(ETXTBSY), "{err}");
    drop(reader);
    std::fs::write(mnt.join("one"), b"new").unwrap();
    assert_eq!(std::fs::read(mnt.join("one")).unwrap(), b"new");
    assert_eq!(cluster.ok(&["fs", "cat", "/one"]), "new");
    // Replaced by another client while a reader holds it: a new open is refused rather than
    // given the old version's block file, until that reader closes it.
    let old_reader = std::fs::File::open(mnt.join("one")).unwrap();
    let newer = cluster.root().join("newer");
    std::fs::write(&newer, b"newer bytes").unwrap();
    cluster.ok(&["fs", "rm", "/one"]);
    cluster.ok(&["fs", "copyFromLocal", newer.to_str().unwrap(), "/one"]);
    std::thread::sleep(Duration::from_millis(1100)); // the mount's attribute timeout
    let err = std::fs::File::open(mnt.join("one")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(ETXTBSY), "{err}");
    drop(old_reader);
    let mut read = Err(err);
    common::poll(Duration::from_secs(5), || {
        read = std::fs::read(mnt.join("one"));
        read.is_ok()
    });
    assert_eq!(read.unwrap(), b"newer bytes");
    // Readers of one file at once share its block file.
    let mut readers: Vec<std::fs::File> = (0..3)
        .map(|_| std::fs::File::open(mnt.join("three")).unwrap())
        .collect();
    readers.extend((0..3).map(|_| std::fs::File::open(mnt.join("one")).unwrap()));
    for mut reader in readers {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut bytes).unwrap();
        assert!(
            bytes == three || bytes == b"newer bytes",
            "{} bytes read",
            bytes.len()
        );
    }
    drop(mounted);
}
