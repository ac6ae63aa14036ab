//! Metadata sync and checkConsistency against a local UFS directory changed behind Alluxio's back.

use std::time::{Duration, SystemTime};

use alluxio_proto::grpc::{CommitBlockRequest, FileInfo, LoadMetadataType};

use super::tests::{Fixture, fixture, p};
use super::tree::Tree;

const ALWAYS: Option<Duration> = Some(Duration::ZERO);
const NEVER: Option<Duration> = None;

async fn list(f: &Fixture, dir: &str, sync: Option<Duration>) -> Vec<FileInfo> {
    let mut infos =
        f.fs.list_status_synced(&p(dir), false, LoadMetadataType::Once, sync)
            .await
            .expect("list");
    infos.sort_by(|a, b| a.path.cmp(&b.path));
    infos
}

fn names_and_lengths(infos: &[FileInfo]) -> Vec<(String, u64)> {
    infos.iter().map(|i| (i.name.clone(), i.length)).collect()
}

fn find<'a>(infos: &'a [FileInfo], name: &str) -> &'a FileInfo {
    infos.iter().find(|i| i.name == name).expect("listed")
}

#[tokio::test]
async fn interval_zero_follows_additions_changes_and_deletions_in_the_ufs() {
    let f = fixture(1_000);
    let ufs = f.ufs_dir.path().join("d");
    std::fs::create_dir(&ufs).unwrap();
    std::fs::write(ufs.join("a"), b"12345").unwrap();
    let first = list(&f, "/d", ALWAYS).await;
    assert_eq!(names_and_lengths(&first), [("a".to_string(), 5)]);
    let old = find(&first, "a").clone();
    // A worker caches the file's only block.
    let worker = f.worker("w1");
    f.fs.commit_block(CommitBlockRequest {
        worker_id: worker,
        tier_alias: "MEM".into(),
        block_id: old.block_ids[0],
        length: 5,
        used_bytes_on_tier: 0,
    })
    .unwrap();
    // An unpersisted Alluxio file the UFS never had must survive every sync.
    f.fs.create_file(
        &p("/d/mine"),
        super::tests::file_options(alluxio_proto::grpc::WriteType::MustCache),
    )
    .await
    .unwrap();
    f.fs.complete_file(&p("/d/mine"), 0).await.unwrap();

    std::fs::write(ufs.join("a"), b"12345678").unwrap();
    std::fs::write(ufs.join("b"), b"bb").unwrap();
    let second = list(&f, "/d", ALWAYS).await;
    assert_eq!(
        names_and_lengths(&second),
        [
            ("a".to_string(), 8),
            ("b".to_string(), 2),
            ("mine".to_string(), 0)
        ]
    );
    let reloaded = find(&second, "a");
    assert_ne!(reloaded.file_id, old.file_id, "a changed file is loaded anew");
    assert_ne!(reloaded.block_ids, old.block_ids);
    assert!(
        f.fs.blocks.block_info(old.block_ids[0]).is_none(),
        "the stale cached block is no longer served"
    );
    assert_eq!(reloaded.in_alluxio_percentage, 0);

    // Same length, other content: the modification time tells.
    let file = std::fs::File::options().write(true).open(ufs.join("a")).unwrap();
    std::io::Write::write_all(&mut &file, b"abcdefgh").unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(3600))
        .unwrap();
    drop(file);
    let third = list(&f, "/d", ALWAYS).await;
    assert_ne!(find(&third, "a").file_id, reloaded.file_id);
    // Nothing changed: nothing is reloaded.
    let fourth = list(&f, "/d", ALWAYS).await;
    assert_eq!(find(&fourth, "a").file_id, find(&third, "a").file_id);
    assert_eq!(find(&fourth, "b").file_id, find(&third, "b").file_id);

    std::fs::remove_file(ufs.join("b")).unwrap();
    let fifth = list(&f, "/d", ALWAYS).await;
    assert_eq!(
        names_and_lengths(&fifth),
        [("a".to_string(), 8), ("mine".to_string(), 0)]
    );

    // getStatus syncs the path itself.
    std::fs::remove_file(ufs.join("a")).unwrap();
    f.fs.sync_status(&p("/d/a"), ALWAYS).await.unwrap();
    let gone = f.fs.get_status(&p("/d/a"), LoadMetadataType::Never).await;
    assert!(matches!(gone, Err(crate::MasterError::NotFound(_))), "{gone:?}");
    std::fs::create_dir_all(f.ufs_dir.path().join("new/deep")).unwrap();
    f.fs.sync_status(&p("/new/deep"), ALWAYS).await.unwrap();
    let deep =
        f.fs.get_status(&p("/new/deep"), LoadMetadataType::Never)
            .await
            .unwrap();
    assert!(deep.folder && deep.persisted);
    // A directory gone from the UFS leaves with its persisted subtree.
    std::fs::remove_dir_all(ufs).unwrap();
    f.fs.create_directory(
        &p("/kept"),
        false,
        false,
        alluxio_proto::grpc::WriteType::MustCache,
    )
    .await
    .unwrap();
    let root = list(&f, "/", ALWAYS).await;
    let names: Vec<&str> = root.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["d", "kept", "new"], "/d holds the unpersisted /d/mine");
    assert_eq!(f.replayed(), *f.fs.tree.read());
}

#[tokio::test]
async fn a_loaded_file_keeps_its_ufs_fingerprint_across_a_restart_until_alluxio_changes_it() {
    let f = fixture(1_000);
    let ufs = f.ufs_dir.path().join("d");
    std::fs::create_dir(&ufs).unwrap();
    for name in ["a", "b"] {
        std::fs::write(ufs.join(name), b"12345").unwrap();
    }
    let loaded = list(&f, "/d", ALWAYS).await;
    // Touched through Alluxio: its modification time is no longer the UFS's.
    let touch = super::SetAttributeOptions {
        modification_time_ms: Some(find(&loaded, "b").last_modification_time_ms + 7_000),
        ..Default::default()
    };
    f.fs.set_attribute(&p("/d/b"), touch).await.unwrap();
    let f = f.restarted().await;

    // Same length, other modification time, seen first after the restart: still a change.
    let file = std::fs::File::options().write(true).open(ufs.join("a")).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(3600))
        .unwrap();
    drop(file);
    let synced = list(&f, "/d", ALWAYS).await;
    assert_ne!(find(&synced, "a").file_id, find(&loaded, "a").file_id);
    assert_eq!(
        find(&synced, "b").file_id,
        find(&loaded, "b").file_id,
        "a touch in Alluxio is no change in the UFS"
    );
    assert_eq!(f.replayed(), *f.fs.tree.read());
    assert_eq!(
        Tree::replay(&f.fs.tree.read().snapshot()).unwrap(),
        *f.fs.tree.read()
    );
}

#[tokio::test]
async fn no_interval_or_a_long_one_leaves_loaded_metadata_alone() {
    let f = fixture(1_000);
    let ufs = f.ufs_dir.path().join("d");
    std::fs::create_dir(&ufs).unwrap();
    std::fs::write(ufs.join("a"), b"aaa").unwrap();
    let first = list(&f, "/d", Some(Duration::from_secs(3600))).await;
    assert_eq!(names_and_lengths(&first), [("a".to_string(), 3)]);

    std::fs::write(ufs.join("a"), b"a").unwrap();
    std::fs::write(ufs.join("c"), b"c").unwrap();
    let unsynced = list(&f, "/d", NEVER).await;
    assert_eq!(names_and_lengths(&unsynced), [("a".to_string(), 3)]);
    let not_due = list(&f, "/d", Some(Duration::from_secs(3600))).await;
    assert_eq!(names_and_lengths(&not_due), [("a".to_string(), 3)]);
    let status = f.fs.get_status(&p("/d/a"), LoadMetadataType::Once).await.unwrap();
    assert_eq!(status.length, 3);

    let synced = list(&f, "/d", ALWAYS).await;
    assert_eq!(
        names_and_lengths(&synced),
        [("a".to_string(), 1), ("c".to_string(), 1)]
    );
}

#[tokio::test]
async fn check_consistency_reports_what_the_ufs_disagrees_with() {
    let f = fixture(1_000);
    let ufs = f.ufs_dir.path().join("c");
    std::fs::create_dir_all(ufs.join("sub")).unwrap();
    std::fs::write(ufs.join("x"), b"x").unwrap();
    std::fs::write(ufs.join("y"), b"yy").unwrap();
    std::fs::write(ufs.join("sub/z"), b"z").unwrap();
    let loaded =
        f.fs.list_status(&p("/c"), true, LoadMetadataType::Once)
            .await
            .unwrap();
    assert_eq!(loaded.len(), 4);
    f.fs.create_file(
        &p("/c/mine"),
        super::tests::file_options(alluxio_proto::grpc::WriteType::MustCache),
    )
    .await
    .unwrap();
    f.fs.complete_file(&p("/c/mine"), 0).await.unwrap();
    assert!(f.fs.check_consistency(&p("/c")).await.unwrap().is_empty());
    assert!(f.fs.check_consistency(&p("/")).await.unwrap().is_empty());

    std::fs::remove_file(ufs.join("x")).unwrap();
    std::fs::write(ufs.join("y"), b"yyy").unwrap();
    std::fs::remove_dir_all(ufs.join("sub")).unwrap();
    std::fs::write(ufs.join("sub"), b"now a file").unwrap();
    std::fs::write(ufs.join("mine"), b"").unwrap();
    let found = f.fs.check_consistency(&p("/c")).await.unwrap();
    let found: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(found, ["/c/mine", "/c/sub", "/c/sub/z", "/c/x", "/c/y"]);
    let one = f.fs.check_consistency(&p("/c/y")).await.unwrap();
    assert_eq!(one, [p("/c/y")]);
    let missing = f.fs.check_consistency(&p("/nowhere")).await;
    assert!(
        matches!(missing, Err(crate::MasterError::NotFound(_))),
        "{missing:?}"
    );

    // Repair as the shell does it: drop the Alluxio metadata, then load it again.
    for path in ["/c/sub", "/c/x", "/c/y"] {
        f.fs.delete(&p(path), true, true).await.unwrap();
        let _ = f.fs.get_status(&p(path), LoadMetadataType::Once).await;
    }
    let after: Vec<String> =
        f.fs.check_consistency(&p("/c"))
            .await
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
    assert_eq!(after, ["/c/mine"]);
    assert_eq!(
        f.fs.get_status(&p("/c/y"), LoadMetadataType::Never)
            .await
            .unwrap()
            .length,
        3
    );
    assert!(
        !f.fs
            .get_status(&p("/c/sub"), LoadMetadataType::Never)
            .await
            .unwrap()
            .folder
    );
}

#[tokio::test]
async fn check_consistency_walks_a_tree_larger_than_a_chunk_to_the_end() {
    let f = fixture(1_000);
    // 9,003 inodes below /big: the walk resumes twice, once inside d1/sub.
    let ufs = f.ufs_dir.path().join("big");
    for folder in ["d0", "d1/sub", "d2"] {
        std::fs::create_dir_all(ufs.join(folder)).unwrap();
        for i in 0..3_000 {
            std::fs::write(ufs.join(format!("{folder}/f{i:04}")), b"x").unwrap();
        }
    }
    let loaded =
        f.fs.list_status(&p("/big"), true, LoadMetadataType::Once)
            .await
            .unwrap();
    assert_eq!(loaded.len(), 9_004);
    assert!(f.fs.check_consistency(&p("/")).await.unwrap().is_empty());

    for file in ["d0/f0000", "d1/sub/f1500", "d2/f2999"] {
        std::fs::remove_file(ufs.join(file)).unwrap();
    }
    let found: Vec<String> =
        f.fs.check_consistency(&p("/"))
            .await
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
    assert_eq!(found, ["/big/d0/f0000", "/big/d1/sub/f1500", "/big/d2/f2999"]);
}
