//! Owners, groups and modes shared with a local UFS: loaded and synced from it, written to it
//! when Alluxio persists an inode or changes a persisted one.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use alluxio_proto::grpc::{LoadMetadataType, WriteType};
use nix::unistd::{Gid, Group, Uid, User, getegid, geteuid};

use super::tests::{Fixture, file_options, fixture, p};
use super::*;

fn carol() -> Arc<Caller> {
    Arc::new(Caller {
        user: "carol".into(),
        groups: vec!["staff".into()],
    })
}

fn os_user() -> String {
    User::from_uid(geteuid()).unwrap().unwrap().name
}

fn os_group() -> String {
    Group::from_gid(getegid()).unwrap().unwrap().name
}

fn mode_in_ufs(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn set_mode_in_ufs(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chmod(mode: u32) -> SetAttributeOptions {
    SetAttributeOptions {
        mode: Some(mode),
        ..Default::default()
    }
}

/// `/home` (mode 777, so carol may create below it), persisted.
async fn home(f: &Fixture) {
    f.fs.create_directory(&p("/home"), false, false, WriteType::CacheThrough)
        .await
        .unwrap();
    f.fs.set_attribute(&p("/home"), chmod(0o777)).await.unwrap();
}

#[tokio::test]
async fn loaded_metadata_keeps_the_owner_group_and_mode_of_the_ufs() {
    let f = fixture(1000);
    let dir = f.ufs_dir.path().join("vault");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("secret"), b"s3cr3t").unwrap();
    set_mode_in_ufs(&dir.join("secret"), 0o600);
    set_mode_in_ufs(&dir, 0o751);

    let listed =
        f.fs.list_status(&p("/vault"), false, LoadMetadataType::Once)
            .await
            .unwrap();
    let secret = &listed[0];
    assert_eq!(
        (secret.owner.as_str(), secret.group.as_str(), secret.mode),
        (os_user().as_str(), os_group().as_str(), 0o600)
    );
    let vault =
        f.fs.get_status(&p("/vault"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert_eq!((vault.owner, vault.mode), (os_user(), 0o751));
    // A private UFS file stays private in Alluxio.
    let refused = carol()
        .scope(f.fs.get_status(&p("/vault/secret"), LoadMetadataType::Never))
        .await;
    assert!(
        matches!(refused, Err(MasterError::PermissionDenied { .. })),
        "{refused:?}"
    );
    // The journal holds them too: a restarted master agrees.
    let replayed = f.replayed();
    let inode = replayed.lookup(&p("/vault/secret")).unwrap();
    assert_eq!((inode.owner(), inode.mode), (os_user().as_str(), 0o600));
}

#[tokio::test]
async fn metadata_sync_follows_modes_changed_in_the_ufs() {
    let f = fixture(1000);
    let file = f.ufs_dir.path().join("report");
    std::fs::write(&file, b"q3").unwrap();
    set_mode_in_ufs(&file, 0o644);
    f.fs.get_status(&p("/report"), LoadMetadataType::Once)
        .await
        .unwrap();
    set_mode_in_ufs(&file, 0o600);
    let synced =
        f.fs.list_status_synced(&p("/"), false, LoadMetadataType::Once, Some(Duration::ZERO))
            .await
            .unwrap();
    let report = synced.iter().find(|info| info.name == "report").unwrap();
    assert_eq!(report.mode, 0o600);
}

#[tokio::test]
async fn persisting_writes_the_mode_and_owner_to_the_ufs() {
    let f = fixture(1000);
    home(&f).await;
    assert_eq!(mode_in_ufs(&f.ufs_dir.path().join("home")), 0o777);
    carol()
        .scope(async {
            f.fs.create_directory(&p("/home/carol"), false, false, WriteType::CacheThrough)
                .await
                .unwrap();
            // An empty ASYNC_THROUGH file is persisted by the master at once.
            let notes = p("/home/carol/notes");
            f.fs.create_file(&notes, file_options(WriteType::AsyncThrough))
                .await
                .unwrap();
            f.fs.complete_file(&notes, 0).await.unwrap();
        })
        .await;
    let in_ufs = f.ufs_dir.path().join("home/carol");
    assert_eq!(mode_in_ufs(&in_ufs), 0o755, "0777 less the umask 022");
    assert_eq!(mode_in_ufs(&in_ufs.join("notes")), 0o644);

    carol()
        .scope(async {
            let private = SetAttributeOptions {
                mode: Some(0o700),
                recursive: true,
                ..Default::default()
            };
            f.fs.set_attribute(&p("/home/carol"), private).await.unwrap();
        })
        .await;
    assert_eq!(mode_in_ufs(&in_ufs), 0o700);
    assert_eq!(mode_in_ufs(&in_ufs.join("notes")), 0o700);

    // carol is no user of this OS: the UFS keeps the owner it has. An OS user takes the file
    // where the master may give it away (running as root).
    let uid_before = std::fs::metadata(&in_ufs).unwrap().uid();
    assert_eq!(uid_before, geteuid().as_raw());
    let nobody = User::from_name("nobody")
        .unwrap()
        .expect("the OS has the user nobody");
    let give = SetAttributeOptions {
        owner: Some("nobody".into()),
        ..Default::default()
    };
    f.fs.set_attribute(&p("/home/carol/notes"), give).await.unwrap();
    let notes = std::fs::metadata(in_ufs.join("notes")).unwrap();
    let (owner, group) = if geteuid().is_root() {
        // The group Alluxio gave it (the master's, staff) where the OS has it.
        let staff = Group::from_name("staff")
            .unwrap()
            .map_or(getegid(), |group| group.gid);
        (nobody.uid, staff)
    } else {
        (geteuid(), getegid())
    };
    assert_eq!(
        (Uid::from_raw(notes.uid()), Gid::from_raw(notes.gid())),
        (owner, group)
    );
}

#[tokio::test]
async fn unpersisted_inodes_leave_the_ufs_alone() {
    let f = fixture(1000);
    home(&f).await;
    // A MUST_CACHE folder has no UFS folder: changing its mode touches nothing there.
    f.fs.create_directory(&p("/home/cache"), false, false, WriteType::MustCache)
        .await
        .unwrap();
    f.fs.set_attribute(&p("/home/cache"), chmod(0o700)).await.unwrap();
    assert!(!f.ufs_dir.path().join("home/cache").exists());
    assert_eq!(mode_in_ufs(&f.ufs_dir.path().join("home")), 0o777);
}
