//! Deletes of trees larger than one step ([`DELETE_STEP`] inodes).

use alluxio_proto::grpc::journal_entry::Entry;
use alluxio_proto::grpc::{LoadMetadataType, OperationId};

use super::delete::{DELETE_STEP, DeleteStep};
use super::tests::{Fixture, fixture, p};
use super::*;

/// Empty UFS files at `paths` (relative to the UFS root), then listed into Alluxio from `/`.
async fn loaded(f: &Fixture, paths: impl IntoIterator<Item = String>) {
    for path in paths {
        let file = f.ufs_dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, b"").unwrap();
    }
    f.fs.list_status(&p("/"), true, LoadMetadataType::Always)
        .await
        .unwrap();
}

/// `dirs` folders of `files` files each under `top`.
fn folders(top: &str, dirs: usize, files: usize) -> impl Iterator<Item = String> {
    (0..dirs).flat_map(move |d| (0..files).map(move |i| format!("{top}/d{d}/f{i:05}")))
}

fn id_of(f: &Fixture, path: &str) -> u64 {
    f.fs.tree.read().lookup(&p(path)).expect(path).id
}

#[tokio::test]
async fn a_step_takes_whole_subtrees_then_goes_into_the_first_too_large() {
    let f = fixture(1_000);
    let names = ["big/a/1", "big/a/2", "big/a/3", "big/c"].map(String::from);
    loaded(
        &f,
        names.into_iter().chain((1..=10).map(|i| format!("big/b/{i:02}"))),
    )
    .await;
    let [big, a, b, b01] = ["/big", "/big/a", "/big/b", "/big/b/01"].map(|path| id_of(&f, path));
    let tree = f.fs.tree.read();

    let step = DeleteStep::plan(&tree, big, 5);
    assert_eq!(step.pieces, vec![(big, a), (b, b01)]);
    let mut expected = tree.subtree(a);
    expected.push(b01);
    assert_eq!(step.removed, expected);
    assert!(!step.last);

    let whole = DeleteStep::plan(&tree, big, 17);
    assert_eq!(whole.pieces, vec![(tree::root_id(), big)]);
    assert_eq!(whole.removed, tree.subtree(big));
    assert!(whole.last);
    assert!(!DeleteStep::plan(&tree, big, 16).last, "/big holds 17 inodes");
}

#[tokio::test]
async fn a_tree_larger_than_a_step_goes_in_steps_recorded_once_and_replays() {
    let f = fixture(1_000_000);
    // /big and 3 folders of 3,000 files: several steps.
    loaded(&f, folders("big", 3, 3_000)).await;
    let big = id_of(&f, "/big");
    assert!(f.fs.tree.read().subtree(big).len() > DELETE_STEP);
    let before = f.journal.entries.lock().len();

    let operation = OperationId { high: 1, low: 2 };
    f.fs.once(Some(operation), f.fs.delete(&p("/big"), true, true), |_| Ok(()))
        .await
        .unwrap();

    assert_eq!(f.fs.tree.read().len(), 1, "only the root is left");
    assert!(f.ufs_dir.path().join("big/d2/f02999").exists(), "Alluxio-only");
    let entries = f.journal.entries.lock()[before..].to_vec();
    let deletes: Vec<u64> = entries
        .iter()
        .filter_map(|entry| match &entry.entry {
            Some(Entry::Delete(delete)) => Some(delete.id),
            _ => None,
        })
        .collect();
    assert!(deletes.len() > 1, "one Delete per piece: {deletes:?}");
    assert_eq!(deletes.last(), Some(&big), "/big itself goes last");
    let recorded: Vec<_> = entries
        .iter()
        .filter(|entry| entry.operation_id.is_some())
        .collect();
    assert_eq!(recorded.len(), 1, "the client's operation is recorded once");
    assert_eq!(recorded[0].sequence, entries.last().unwrap().sequence);
    assert!(f.fs.tree.read().applied.get(&operation).is_some());
    assert_eq!(f.replayed().len(), 1);
}

#[tokio::test]
async fn a_denied_delete_larger_than_a_step_removes_nothing() {
    let f = fixture(1_000_000);
    // The first step fills up in d0: z, locked, comes in a later one.
    loaded(&f, folders("w/big", 3, 3_000).chain(["w/big/z/f".into()])).await;
    let open = SetAttributeOptions {
        mode: Some(0o777),
        recursive: true,
        ..Default::default()
    };
    f.fs.set_attribute(&p("/w"), open).await.unwrap();
    let locked = SetAttributeOptions {
        mode: Some(0o555),
        ..Default::default()
    };
    f.fs.set_attribute(&p("/w/big/z"), locked).await.unwrap();
    let inodes = f.fs.tree.read().len();

    let dave = Arc::new(Caller {
        user: "dave".into(),
        groups: vec!["staff".into()],
    });
    let err = dave
        .scope(f.fs.delete(&p("/w/big"), true, true))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs -w- on /w/big/z"), "{err}");
    assert_eq!(
        f.fs.tree.read().len(),
        inodes,
        "the folders before z are kept too"
    );
}
