//! Mount table behaviour of the namespace: Alluxio's rules, resolution, read-only mounts,
//! unmount, and journal replay of all of it.

use std::collections::BTreeMap;

use alluxio_proto::grpc::{LoadMetadataType, WriteType};

use super::tests::{Fixture, file_options, fixture, p};
use super::*;
use crate::mount_table::ROOT_MOUNT_ID;

/// A fixture with a second local directory holding `a.txt` (5 bytes) and `sub/b.txt`.
fn with_second_ufs(checkpoint_period: u64) -> (Fixture, tempfile::TempDir) {
    let f = fixture(checkpoint_period);
    let other = tempfile::tempdir().expect("temp dir");
    std::fs::write(other.path().join("a.txt"), b"hello").expect("write");
    std::fs::create_dir(other.path().join("sub")).expect("mkdir");
    std::fs::write(other.path().join("sub/b.txt"), b"b").expect("write");
    (f, other)
}

fn uri(dir: &tempfile::TempDir) -> String {
    dir.path().display().to_string()
}

fn read_only() -> MountOptions {
    MountOptions {
        read_only: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_mounted_directory_lists_and_resolves_to_its_ufs() {
    let (f, other) = with_second_ufs(1000);
    f.fs.mount(&p("/mnt"), &uri(&other), MountOptions::default())
        .await
        .unwrap();
    let listed =
        f.fs.list_status(&p("/mnt"), false, LoadMetadataType::Once)
            .await
            .unwrap();
    let names: Vec<_> = listed.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["a.txt", "sub"]);
    let a = &listed[0];
    assert_eq!(a.length, 5);
    assert_eq!(a.ufs_path, format!("{}/a.txt", uri(&other)));
    assert!(a.persisted);
    let point =
        f.fs.get_status(&p("/mnt"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert!(point.mount_point);
    assert_eq!(point.ufs_path, uri(&other));
    assert_ne!(point.mount_id, ROOT_MOUNT_ID);
    assert_eq!(a.mount_id, point.mount_id);
    let b =
        f.fs.get_status(&p("/mnt/sub/b.txt"), LoadMetadataType::Once)
            .await
            .unwrap();
    assert_eq!(b.ufs_path, format!("{}/sub/b.txt", uri(&other)));
    let info = f.fs.ufs_info(point.mount_id).unwrap();
    assert_eq!(info.ufs_uri, uri(&other));
    let root = f.fs.get_status(&p("/"), LoadMetadataType::Never).await.unwrap();
    assert_eq!((root.mount_point, root.mount_id), (true, ROOT_MOUNT_ID));
    assert!(matches!(
        f.fs.ufs_info(424242),
        Err(MasterError::UnknownMount(424242))
    ));

    // A CACHE_THROUGH directory under the mount lands in the mounted directory.
    f.fs.create_directory(&p("/mnt/made"), false, false, WriteType::CacheThrough)
        .await
        .unwrap();
    assert!(other.path().join("made").is_dir());
    assert!(
        !f.ufs_dir.path().join("mnt").exists(),
        "the root UFS is untouched"
    );
    let resolved = f.fs.resolve_ufs(&p("/mnt/made/x")).unwrap();
    assert_eq!(resolved.uri, format!("{}/made/x", uri(&other)));
}

#[tokio::test]
async fn mounts_follow_alluxio_rules() {
    let (f, other) = with_second_ufs(1000);
    let second = tempfile::tempdir().unwrap();
    let fs = &f.fs;
    let message = |err: MasterError| err.to_string();
    fs.create_directory(&p("/exists"), false, false, WriteType::MustCache)
        .await
        .unwrap();
    let err = fs
        .mount(&p("/exists"), &uri(&other), MountOptions::default())
        .await
        .unwrap_err();
    assert_eq!(message(err), "Mount point /exists already exists");
    let err = fs
        .mount(&p("/"), &uri(&other), MountOptions::default())
        .await
        .unwrap_err();
    assert_eq!(message(err), "Mount point / already exists");
    let err = fs
        .mount(&p("/no/such"), &uri(&other), MountOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, MasterError::NotFound(ref path) if path == "/no"),
        "{err}"
    );
    let missing = format!("{}/missing", uri(&second));
    let err = fs
        .mount(&p("/m"), &missing, MountOptions::default())
        .await
        .unwrap_err();
    assert_eq!(message(err), format!("Ufs path {missing} does not exist"));
    let err = fs
        .mount(&p("/m"), "nope://x/y", MountOptions::default())
        .await
        .unwrap_err();
    assert!(message(err).contains("nope://x/y"));

    fs.mount(&p("/mnt"), &uri(&other), MountOptions::default())
        .await
        .unwrap();
    let err = fs
        .mount(&p("/mnt"), &uri(&second), MountOptions::default())
        .await
        .unwrap_err();
    assert_eq!(message(err), "Mount point /mnt already exists");
    let err = fs
        .mount(&p("/mnt/sub2"), &uri(&second), MountOptions::default())
        .await
        .unwrap_err();
    assert_eq!(message(err), "Mount point /mnt is a prefix of /mnt/sub2");
    let inner = format!("{}/sub", uri(&other));
    let err = fs
        .mount(&p("/dup"), &inner, MountOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        message(err),
        format!("Mount point {} is a prefix of {inner}", uri(&other))
    );
    let err = fs
        .mount(&p("/dup"), &uri(&other), MountOptions::default())
        .await
        .unwrap_err();
    assert!(message(err).contains("is a prefix of"));
    assert!(
        fs.tree.read().lookup(&p("/dup")).is_none(),
        "a refused mount leaves nothing"
    );

    // Nested Alluxio paths under the root mount are fine.
    fs.mount(&p("/exists/deeper"), &uri(&second), MountOptions::default())
        .await
        .unwrap();
    let table = fs.mount_table();
    let points: Vec<_> = table.iter().map(|(point, _)| point.as_str()).collect();
    assert_eq!(points, ["/", "/exists/deeper", "/mnt"]);
    assert_eq!(f.replayed(), *fs.tree.read());
}

#[tokio::test]
async fn unmount_forgets_metadata_and_keeps_ufs_data() {
    let (f, other) = with_second_ufs(1000);
    let worker = f.worker("w1");
    f.fs.mount(&p("/mnt"), &uri(&other), MountOptions::default())
        .await
        .unwrap();
    f.fs.list_status(&p("/mnt"), true, LoadMetadataType::Once)
        .await
        .unwrap();
    f.write_cached("/mnt/cached", 150, worker).await;
    let blocks =
        f.fs.get_status(&p("/mnt/cached"), LoadMetadataType::Never)
            .await
            .unwrap()
            .block_ids;
    assert_eq!(blocks.len(), 2);

    let err = f.fs.unmount(&p("/")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Failed to unmount /. Please ensure the path is an existing mount point and not root."
    );
    let err = f.fs.unmount(&p("/mnt/sub")).await.unwrap_err();
    assert!(matches!(err, MasterError::InvalidArgument(_)), "{err}");
    assert!(matches!(
        f.fs.unmount(&p("/gone")).await,
        Err(MasterError::NotFound(_))
    ));

    f.fs.unmount(&p("/mnt")).await.unwrap();
    assert!(f.fs.tree.read().lookup(&p("/mnt")).is_none());
    assert_eq!(f.fs.mount_table().len(), 1);
    assert!(blocks.iter().all(|b| f.fs.blocks.block_info(*b).is_none()));
    assert_eq!(std::fs::read(other.path().join("a.txt")).unwrap(), b"hello");
    assert!(other.path().join("sub/b.txt").exists());
    // The same path can take another mount now, and the journal replays it all.
    f.fs.mount(&p("/mnt"), &uri(&other), read_only()).await.unwrap();
    assert_eq!(f.replayed(), *f.fs.tree.read());
}

#[tokio::test]
async fn read_only_mounts_refuse_every_write() {
    let (f, other) = with_second_ufs(1000);
    f.fs.mount(&p("/ro"), &uri(&other), read_only()).await.unwrap();
    f.fs.list_status(&p("/ro"), false, LoadMetadataType::Once)
        .await
        .unwrap();
    let refused = |result: Result<(), MasterError>, path: &str| match result {
        Err(err @ MasterError::ReadOnlyMount { .. }) => assert_eq!(
            err.to_string(),
            format!("A write operation on {path} is under a readonly mount point /ro")
        ),
        other => panic!("{path}: expected a read-only refusal, got {other:?}"),
    };
    let fs = &f.fs;
    refused(
        fs.create_directory(&p("/ro/d"), false, false, WriteType::CacheThrough)
            .await,
        "/ro/d",
    );
    refused(
        fs.create_file(&p("/ro/f"), file_options(WriteType::MustCache))
            .await
            .map(|_| ()),
        "/ro/f",
    );
    refused(fs.delete(&p("/ro/a.txt"), false, false).await, "/ro/a.txt");
    refused(fs.delete(&p("/ro"), true, false).await, "/ro");
    refused(fs.rename(&p("/ro/a.txt"), &p("/ro/b.txt")).await, "/ro/a.txt");
    refused(fs.schedule_persist(&p("/ro/a.txt")).await, "/ro/a.txt");
    assert!(other.path().join("a.txt").exists());
    assert!(!other.path().join("d").exists());
    // Metadata-only changes are allowed, as in Alluxio.
    fs.set_attribute(
        &p("/ro/a.txt"),
        SetAttributeOptions {
            pinned: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    fs.unmount(&p("/ro")).await.unwrap();
}

#[tokio::test]
async fn renames_stay_inside_their_mount() {
    let (f, other) = with_second_ufs(1000);
    f.fs.mount(&p("/mnt"), &uri(&other), MountOptions::default())
        .await
        .unwrap();
    f.fs.list_status(&p("/mnt"), false, LoadMetadataType::Once)
        .await
        .unwrap();
    f.fs.create_directory(&p("/local"), false, false, WriteType::CacheThrough)
        .await
        .unwrap();
    let err =
        f.fs.rename(&p("/mnt/a.txt"), &p("/local/a.txt"))
            .await
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Renaming /mnt/a.txt to /local/a.txt is a cross mount operation"
    );
    let err = f.fs.rename(&p("/mnt"), &p("/elsewhere")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Renaming /mnt to /elsewhere is a cross mount operation"
    );
    f.fs.rename(&p("/mnt/a.txt"), &p("/mnt/sub/c.txt")).await.unwrap();
    assert_eq!(std::fs::read(other.path().join("sub/c.txt")).unwrap(), b"hello");
}

#[tokio::test]
async fn deleting_a_directory_holding_a_mount_unmounts_it() {
    let (f, other) = with_second_ufs(1000);
    f.fs.create_directory(&p("/dir"), false, false, WriteType::CacheThrough)
        .await
        .unwrap();
    f.fs.mount(&p("/dir/m"), &uri(&other), MountOptions::default())
        .await
        .unwrap();
    f.fs.list_status(&p("/dir/m"), true, LoadMetadataType::Once)
        .await
        .unwrap();
    f.fs.delete(&p("/dir"), true, false).await.unwrap();
    assert_eq!(f.fs.mount_table().len(), 1);
    assert!(other.path().exists(), "the mounted directory itself stays");
    assert!(
        !other.path().join("a.txt").exists(),
        "its contents go, as in Alluxio"
    );
    assert!(!f.ufs_dir.path().join("dir").exists());

    // Only what Alluxio knows is deleted: a mount never listed keeps its UFS files.
    let unlisted = tempfile::tempdir().unwrap();
    std::fs::write(unlisted.path().join("unknown"), b"u").unwrap();
    f.fs.mount(&p("/m2"), &uri(&unlisted), MountOptions::default())
        .await
        .unwrap();
    f.fs.delete(&p("/m2"), false, false).await.unwrap();
    assert!(unlisted.path().join("unknown").exists());
    assert_eq!(f.fs.mount_table().len(), 1);
    assert_eq!(f.replayed(), *f.fs.tree.read());
}

#[tokio::test]
async fn mounts_survive_replay_and_checkpoints() {
    let (f, other) = with_second_ufs(3);
    let options = MountOptions {
        read_only: true,
        shared: true,
        properties: BTreeMap::from([("aws.accessKeyId".to_string(), "id".to_string())]),
    };
    f.fs.mount(&p("/mnt"), &uri(&other), options).await.unwrap();
    for name in ["x", "y", "z", "w"] {
        f.fs.create_directory(&p(&format!("/{name}")), false, false, WriteType::MustCache)
            .await
            .unwrap();
    }
    f.fs.close().await;
    assert!(*f.journal.checkpoints.lock() > 0, "a checkpoint was taken");
    let replayed = f.replayed();
    assert_eq!(replayed, *f.fs.tree.read());
    let (point, info) = replayed.mounts.resolve(&p("/mnt/a.txt")).unwrap();
    assert_eq!(point.as_str(), "/mnt");
    assert!(info.read_only && info.shared);
    assert_eq!(
        info.options.get("aws.accessKeyId").map(String::as_str),
        Some("id")
    );
}

#[tokio::test]
async fn a_persist_reported_after_unmount_deletes_nothing() {
    let (f, other) = with_second_ufs(1000);
    let worker = f.worker("w1");
    f.fs.mount(&p("/mnt"), &uri(&other), MountOptions::default())
        .await
        .unwrap();
    let file = f.write_async("/mnt/late", &[worker]).await;
    let jobs = f.jobs(worker).await;
    let mount_id =
        f.fs.get_status(&p("/mnt"), LoadMetadataType::Never)
            .await
            .unwrap()
            .mount_id;
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].ufs_path.clone(), jobs[0].mount_id),
        (format!("{}/late", uri(&other)), mount_id)
    );
    std::fs::write(other.path().join("late"), b"persisted").unwrap();
    // The root UFS holds a file at the same path, which the unmount uncovers.
    std::fs::create_dir_all(f.ufs_dir.path().join("mnt")).unwrap();
    std::fs::write(f.ufs_dir.path().join("mnt/late"), b"root copy").unwrap();

    f.fs.unmount(&p("/mnt")).await.unwrap();
    f.beat(worker, vec![file]).await;
    assert_eq!(
        std::fs::read(f.ufs_dir.path().join("mnt/late")).unwrap(),
        b"root copy"
    );
    assert_eq!(std::fs::read(other.path().join("late")).unwrap(), b"persisted");
}
