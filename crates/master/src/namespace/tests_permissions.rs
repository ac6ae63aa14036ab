//! Permission checks of the namespace, for two users the OS need not know (carol and dave),
//! the master's own user (alice, a superuser), and a member of the supergroup (`admins`).

use alluxio_proto::grpc::{LoadMetadataType, TtlAction, WriteType};

use super::tests::{Fixture, file_options, fixture, p};
use super::*;

fn user(name: &str, groups: &[&str]) -> Arc<Caller> {
    Arc::new(Caller {
        user: name.to_string(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
    })
}

fn carol() -> Arc<Caller> {
    user("carol", &["staff"])
}

fn dave() -> Arc<Caller> {
    user("dave", &["staff"])
}

fn chmod(mode: u32) -> SetAttributeOptions {
    SetAttributeOptions {
        mode: Some(mode),
        ..Default::default()
    }
}

/// `/home/carol` (carol's, mode 755) holding `/home/carol/private` (600) and `shared` (644),
/// in the group `staff` of `/home` (the master's, 777).
async fn homes() -> Fixture {
    let f = fixture(1000);
    f.fs.create_directory(&p("/home"), false, false, WriteType::MustCache)
        .await
        .unwrap();
    let home = SetAttributeOptions {
        mode: Some(0o777),
        group: Some("staff".into()),
        ..Default::default()
    };
    f.fs.set_attribute(&p("/home"), home).await.unwrap();
    carol()
        .scope(async {
            f.fs.create_directory(&p("/home/carol"), false, false, WriteType::MustCache)
                .await
                .unwrap();
            for name in ["private", "shared"] {
                let path = p(&format!("/home/carol/{name}"));
                f.fs.create_file(&path, file_options(WriteType::MustCache))
                    .await
                    .unwrap();
                f.fs.complete_file(&path, 0).await.unwrap();
            }
            f.fs.set_attribute(&p("/home/carol/private"), chmod(0o600))
                .await
                .unwrap();
        })
        .await;
    f
}

fn denied(result: Result<impl std::fmt::Debug, MasterError>) -> String {
    match result {
        Err(err @ MasterError::PermissionDenied { .. }) => err.to_string(),
        other => panic!("expected a permission denial, got {other:?}"),
    }
}

#[tokio::test]
async fn new_inodes_belong_to_their_creator_in_the_parents_group_with_the_umask() {
    let f = homes().await;
    let info =
        f.fs.get_status(&p("/home/carol/shared"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert_eq!(
        (info.owner.as_str(), info.group.as_str(), info.mode),
        ("carol", "staff", 0o644)
    );
    let dir =
        f.fs.get_status(&p("/home/carol"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert_eq!(
        (dir.owner.as_str(), dir.group.as_str(), dir.mode),
        ("carol", "staff", 0o755)
    );
    // The master's own work creates as the master's user.
    f.fs.create_directory(&p("/tmp"), false, false, WriteType::MustCache)
        .await
        .unwrap();
    let tmp =
        f.fs.get_status(&p("/tmp"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert_eq!(tmp.owner, "alice");
}

#[tokio::test]
async fn another_user_cannot_read_or_delete_a_private_file_and_its_owner_can() {
    let f = homes().await;
    let private = p("/home/carol/private");
    let err = denied(
        dave()
            .scope(f.fs.get_status(&private, LoadMetadataType::Never))
            .await,
    );
    assert_eq!(
        err,
        "cannot read /home/carol/private: permission denied: user=dave needs r-- on \
         /home/carol/private (owner carol, group staff, mode rw-------)"
    );
    denied(
        dave()
            .scope(f.fs.list_status(&private, false, LoadMetadataType::Never))
            .await,
    );
    let err = denied(dave().scope(f.fs.delete(&private, false, false)).await);
    assert!(err.contains("user=dave needs -w- on /home/carol "), "{err}");
    // A file others may read is readable; the folder listing shows both.
    dave()
        .scope(f.fs.get_status(&p("/home/carol/shared"), LoadMetadataType::Never))
        .await
        .unwrap();
    let listed = dave()
        .scope(f.fs.list_status(&p("/home/carol"), false, LoadMetadataType::Never))
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    carol()
        .scope(f.fs.get_status(&private, LoadMetadataType::Never))
        .await
        .unwrap();
    carol().scope(f.fs.delete(&private, false, false)).await.unwrap();
}

#[tokio::test]
async fn a_folder_without_execute_permission_hides_everything_below() {
    let f = homes().await;
    carol()
        .scope(f.fs.set_attribute(&p("/home/carol"), chmod(0o700)))
        .await
        .unwrap();
    let err = denied(
        dave()
            .scope(f.fs.get_status(&p("/home/carol/shared"), LoadMetadataType::Never))
            .await,
    );
    assert!(err.contains("needs --x on /home/carol "), "{err}");
    let path = p("/home/carol/new");
    let err = denied(
        dave()
            .scope(f.fs.create_file(&path, file_options(WriteType::MustCache)))
            .await,
    );
    assert!(err.starts_with("cannot create /home/carol/new"), "{err}");
}

#[tokio::test]
async fn creating_renaming_and_deleting_need_write_permission_on_the_parents() {
    let f = homes().await;
    let theirs = p("/home/carol/daves");
    denied(
        dave()
            .scope(f.fs.create_file(&theirs, file_options(WriteType::MustCache)))
            .await,
    );
    denied(
        dave()
            .scope(f.fs.create_directory(&theirs, false, false, WriteType::MustCache))
            .await,
    );
    // Into a folder dave may write (/home), out of one he may not.
    denied(
        dave()
            .scope(f.fs.rename(&p("/home/carol/shared"), &p("/home/shared")))
            .await,
    );
    dave()
        .scope(f.fs.create_directory(&p("/home/dave"), false, false, WriteType::MustCache))
        .await
        .unwrap();
    denied(
        carol()
            .scope(f.fs.rename(&p("/home/carol/shared"), &p("/home/dave/shared")))
            .await,
    );
    carol()
        .scope(f.fs.rename(&p("/home/carol/shared"), &p("/home/shared")))
        .await
        .unwrap();
    // A recursive delete needs write permission on every folder it empties.
    dave()
        .scope(async {
            f.fs.create_directory(&p("/home/dave/locked/in"), true, false, WriteType::MustCache)
                .await
                .unwrap();
            f.fs.set_attribute(&p("/home/dave/locked"), chmod(0o555))
                .await
                .unwrap();
        })
        .await;
    let err = denied(dave().scope(f.fs.delete(&p("/home/dave"), true, false)).await);
    assert!(err.contains("needs -w- on /home/dave/locked "), "{err}");
}

#[tokio::test]
async fn only_the_owner_changes_modes_only_a_superuser_owners_and_groups_go_to_members() {
    let f = homes().await;
    let shared = p("/home/carol/shared");
    let err = denied(dave().scope(f.fs.set_attribute(&shared, chmod(0o666))).await);
    assert!(err.contains("user=dave is not the owner (carol)"), "{err}");
    let give = SetAttributeOptions {
        owner: Some("dave".into()),
        ..Default::default()
    };
    let err = denied(carol().scope(f.fs.set_attribute(&shared, give.clone())).await);
    assert!(err.contains("only a superuser changes owners"), "{err}");
    let to_group = |group: &str| SetAttributeOptions {
        group: Some(group.into()),
        ..Default::default()
    };
    let err = denied(
        carol()
            .scope(f.fs.set_attribute(&shared, to_group("wheel")))
            .await,
    );
    assert!(err.contains("user=carol is not in group wheel"), "{err}");
    user("carol", &["staff", "wheel"])
        .scope(f.fs.set_attribute(&shared, to_group("wheel")))
        .await
        .unwrap();
    // Pinning needs write permission, which dave lacks on carol's file.
    let pin = SetAttributeOptions {
        pinned: Some(true),
        ..Default::default()
    };
    denied(dave().scope(f.fs.set_attribute(&shared, pin)).await);
    // The master's user is a superuser: it gives the file away.
    user("alice", &[])
        .scope(f.fs.set_attribute(&shared, give))
        .await
        .unwrap();
    let info = f.fs.get_status(&shared, LoadMetadataType::Never).await.unwrap();
    assert_eq!((info.owner.as_str(), info.group.as_str()), ("dave", "wheel"));
}

#[tokio::test]
async fn members_of_the_supergroup_may_do_anything() {
    let f = homes().await;
    let admin = user("erin", &["admins"]);
    let private = p("/home/carol/private");
    admin
        .scope(async {
            f.fs.get_status(&private, LoadMetadataType::Never).await.unwrap();
            f.fs.delete(&private, false, false).await.unwrap();
            f.fs.set_attribute(&p("/home/carol"), chmod(0o700)).await.unwrap();
        })
        .await;
}

#[tokio::test]
async fn a_writer_completes_its_file_whatever_mode_it_gave_it() {
    let f = homes().await;
    let path = p("/home/carol/read-only");
    carol()
        .scope(async {
            f.fs.create_file(&path, file_options(WriteType::MustCache))
                .await
                .unwrap();
            f.fs.set_attribute(&path, chmod(0o444)).await.unwrap();
            f.fs.new_block_id(&path).await.unwrap();
            f.fs.complete_file(&path, 0).await.unwrap();
        })
        .await;
    // Another user gets no blocks of it, nor its status through a repeated change's answer.
    denied(
        dave()
            .scope(async { f.fs.file_info_at(&p("/home/carol/private")) })
            .await,
    );
}

#[tokio::test]
async fn a_deleting_ttl_needs_what_deleting_needs() {
    let f = homes().await;
    let shared = p("/home/shared");
    f.fs.create_directory(&shared, false, false, WriteType::MustCache)
        .await
        .unwrap();
    f.fs.set_attribute(&shared, chmod(0o777)).await.unwrap();
    carol()
        .scope(f.fs.create_directory(&p("/home/shared/carol/work"), true, false, WriteType::MustCache))
        .await
        .unwrap();
    let ttl = |action| SetAttributeOptions {
        ttl: Some(1),
        ttl_action: Some(action),
        ..Default::default()
    };
    let err = denied(
        dave()
            .scope(f.fs.set_attribute(&shared, ttl(TtlAction::Delete)))
            .await,
    );
    assert!(err.contains("needs -w- on /home/shared/carol "), "{err}");
    // Freeing on expiry deletes nothing: the folder's own write bit is enough.
    dave()
        .scope(f.fs.set_attribute(&shared, ttl(TtlAction::Free)))
        .await
        .unwrap();
    // A recursive change needs write permission on everything it changes.
    let pin_all = SetAttributeOptions {
        pinned: Some(true),
        recursive: true,
        ..Default::default()
    };
    denied(dave().scope(f.fs.set_attribute(&shared, pin_all)).await);
}

#[tokio::test]
async fn nothing_is_loaded_from_the_ufs_for_a_caller_who_may_not_see_it() {
    let f = homes().await;
    carol()
        .scope(f.fs.set_attribute(&p("/home/carol"), chmod(0o700)))
        .await
        .unwrap();
    let in_ufs = f.ufs_dir.path().join("home/carol");
    std::fs::create_dir_all(&in_ufs).unwrap();
    std::fs::write(in_ufs.join("diary.txt"), b"dear diary").unwrap();
    let diary = p("/home/carol/diary.txt");
    let err = denied(
        dave()
            .scope(f.fs.get_status(&diary, LoadMetadataType::Once))
            .await,
    );
    assert!(err.contains("needs --x on /home/carol "), "{err}");
    denied(
        dave()
            .scope(f.fs.list_status(&p("/home/carol"), false, LoadMetadataType::Always))
            .await,
    );
    assert!(
        f.fs.tree.read().lookup(&diary).is_none(),
        "loaded for a caller refused"
    );
    carol()
        .scope(f.fs.get_status(&diary, LoadMetadataType::Once))
        .await
        .unwrap();
}

/// Creates and completes the empty file `path` (as the caller of the scope).
async fn empty_file(f: &Fixture, path: &alluxio_proto::AlluxioPath) {
    f.fs.create_file(path, file_options(WriteType::MustCache))
        .await
        .unwrap();
    f.fs.complete_file(path, 0).await.unwrap();
}

#[tokio::test]
async fn in_a_sticky_folder_only_owners_remove_entries() {
    let f = homes().await;
    let file = p("/home/daves");
    dave().scope(empty_file(&f, &file)).await;
    // Without the sticky bit, write on /home (777) lets carol rename dave's file.
    carol()
        .scope(f.fs.rename(&file, &p("/home/moved")))
        .await
        .unwrap();
    dave().scope(f.fs.rename(&p("/home/moved"), &file)).await.unwrap();
    f.fs.set_attribute(&p("/home"), chmod(0o1777)).await.unwrap();
    let err = denied(carol().scope(f.fs.delete(&file, false, false)).await);
    assert_eq!(
        err,
        "cannot delete /home/daves: permission denied: user=carol owns neither /home/daves (owner \
         dave) nor /home (owner alice), whose sticky bit (mode rwxrwxrwt) lets only owners remove \
         entries"
    );
    denied(carol().scope(f.fs.rename(&file, &p("/home/moved"))).await);
    // Creating in the folder is as before; the owner removes their own entry.
    carol()
        .scope(f.fs.create_directory(&p("/home/carols"), false, false, WriteType::MustCache))
        .await
        .unwrap();
    dave().scope(f.fs.delete(&file, false, false)).await.unwrap();

    // Deep in a folder carol may empty, dave's sticky folder keeps dave's entries his.
    f.fs.set_attribute(&p("/home/carol"), chmod(0o777)).await.unwrap();
    let tmp = p("/home/carol/tmp");
    dave()
        .scope(async {
            f.fs.create_directory(&tmp, false, false, WriteType::MustCache)
                .await
                .unwrap();
            f.fs.set_attribute(&tmp, chmod(0o1777)).await.unwrap();
            empty_file(&f, &p("/home/carol/tmp/daves")).await;
        })
        .await;
    let err = denied(carol().scope(f.fs.delete(&tmp, true, false)).await);
    assert!(err.contains("owns neither /home/carol/tmp/daves"), "{err}");
    // The folder's owner removes any entry of it.
    carol()
        .scope(f.fs.set_attribute(&p("/home/carol"), chmod(0o1777)))
        .await
        .unwrap();
    let daves = p("/home/carol/daves");
    dave().scope(empty_file(&f, &daves)).await;
    carol().scope(f.fs.delete(&daves, false, false)).await.unwrap();
    dave().scope(f.fs.delete(&tmp, true, false)).await.unwrap();
}

#[tokio::test]
async fn checking_consistency_needs_what_listing_the_subtree_needs() {
    let f = homes().await;
    let home = p("/home/carol");
    carol()
        .scope(f.fs.set_attribute(&home, chmod(0o700)))
        .await
        .unwrap();
    let err = denied(dave().scope(f.fs.check_consistency(&home)).await);
    assert!(err.contains("user=dave needs r-- on /home/carol "), "{err}");
    carol().scope(f.fs.check_consistency(&home)).await.unwrap();
}

#[tokio::test]
async fn a_checkpoint_asked_for_is_written_for_a_superuser_only() {
    let f = homes().await;
    let err = carol().scope(f.fs.checkpoint()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            MasterError::PermissionDenied {
                operation: "checkpoint",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(*f.journal.checkpoints.lock(), 0);
    let last = f.journal.entries.lock().last().unwrap().sequence;
    let through = f.fs.checkpoint().await.unwrap();
    assert_eq!(through, last, "it covers every entry queued");
    assert_eq!(*f.journal.checkpoints.lock(), 1);
    assert_eq!(
        f.replayed(),
        *f.fs.tree.read(),
        "the checkpoint replays to the same tree"
    );
    let through_again = f.fs.checkpoint().await.unwrap();
    assert_eq!((through_again, *f.journal.checkpoints.lock()), (last, 2));
}
