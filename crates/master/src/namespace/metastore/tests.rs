//! The disk store against a model made of maps: random changes, flushes at several thresholds,
//! caches small enough to evict, and frozen views that must keep showing what they saw.

use std::collections::BTreeMap;
use std::sync::Arc;

use alluxio_conf::Configuration;

use super::*;
use crate::namespace::tests::Lcg;
use crate::namespace::tree::{InodeKind, Tree};

const NAMES: [&str; 6] = ["a", "b", "c", "dd", "é", "f g"];

#[derive(Clone, Default)]
struct Model {
    inodes: BTreeMap<u64, Inode>,
    children: BTreeMap<(u64, String), u64>,
}

impl Model {
    fn children_of(&self, dir: u64) -> Vec<(Arc<str>, u64)> {
        self.children
            .range((dir, String::new())..)
            .take_while(|((parent, _), _)| *parent == dir)
            .map(|((_, name), id)| (Arc::from(name.as_str()), *id))
            .collect()
    }

    fn dirs(&self) -> Vec<u64> {
        self.inodes
            .values()
            .filter(|i| i.is_dir())
            .map(|i| i.id)
            .collect()
    }

    fn leaves(&self) -> Vec<u64> {
        let root = root_id();
        let parents: Vec<u64> = self.children.keys().map(|(parent, _)| *parent).collect();
        self.inodes
            .keys()
            .copied()
            .filter(|id| *id != root && !parents.contains(id))
            .collect()
    }
}

fn new_inode(id: u64, parent: u64, name: &str, dir: bool) -> Inode {
    let mut inode = Inode::clone(&Tree::new().root());
    inode.id = id;
    inode.parent = parent;
    inode.name = Arc::from(name);
    if !dir {
        inode.kind = InodeKind::File {
            block_size: 1 << 20,
            length: 0,
            completed: false,
            block_ids: Box::default(),
            write_type: alluxio_proto::grpc::WriteType::MustCache,
            cacheable: true,
            ufs_fingerprint: false,
        };
    }
    inode
}

/// Everything the store answers agrees with the model.
fn agree(store: &Metastore, model: &Model, rng: &mut Lcg) {
    assert_eq!(store.len(), model.inodes.len());
    for (id, inode) in &model.inodes {
        assert_eq!(store.get(*id).as_deref(), Some(inode), "inode {id}");
    }
    assert!(store.get(u64::MAX - 1).is_none());
    for dir in model.dirs() {
        let children = model.children_of(dir);
        assert_eq!(
            store.children_after(dir, None, usize::MAX),
            children,
            "children of {dir}"
        );
        assert_eq!(store.child_count(dir), children.len());
        let after = NAMES[rng.below(NAMES.len())];
        let limit = rng.below(4);
        let page: Vec<_> = children
            .iter()
            .filter(|(name, _)| &**name > after)
            .take(limit)
            .cloned()
            .collect();
        assert_eq!(
            store.children_after(dir, Some(after), limit),
            page,
            "page of {dir} after {after}"
        );
        for name in NAMES {
            let expected = model.children.get(&(dir, name.to_string())).copied();
            assert_eq!(store.child(dir, name), expected, "{dir}/{name}");
        }
    }
}

/// Applies one random change to both.
fn change(store: &mut Metastore, model: &mut Model, rng: &mut Lcg, next_id: &mut u64) {
    match rng.below(5) {
        0 | 1 => {
            let dirs = model.dirs();
            let parent = dirs[rng.below(dirs.len())];
            let name = NAMES[rng.below(NAMES.len())];
            if model.children.contains_key(&(parent, name.to_string())) {
                return;
            }
            *next_id += 1;
            let inode = new_inode(*next_id, parent, name, rng.below(2) == 0);
            model.children.insert((parent, name.to_string()), inode.id);
            model.inodes.insert(inode.id, inode.clone());
            store.insert(inode);
        }
        2 => {
            let ids: Vec<u64> = model.inodes.keys().copied().collect();
            let id = ids[rng.below(ids.len())];
            let (mode, time) = (rng.below(0o777) as u32, rng.below(1000) as i64);
            for inode in [
                store.get_mut(id).expect("a known inode"),
                model.inodes.get_mut(&id).unwrap(),
            ] {
                inode.mode = mode;
                inode.modification_ms = time;
                if let InodeKind::File { block_ids, .. } = &mut inode.kind {
                    *block_ids = (0..mode as u64 % 5).collect();
                }
            }
        }
        3 => {
            let leaves = model.leaves();
            if leaves.is_empty() {
                return;
            }
            let id = leaves[rng.below(leaves.len())];
            let removed = model.inodes.remove(&id).unwrap();
            model.children.remove(&(removed.parent, removed.name.to_string()));
            assert_eq!(store.remove(id), Some(removed));
            assert_eq!(store.remove(id), None, "removed twice");
        }
        _ => {
            let (leaves, dirs) = (model.leaves(), model.dirs());
            if leaves.is_empty() {
                return;
            }
            let id = leaves[rng.below(leaves.len())];
            let parent = dirs[rng.below(dirs.len())];
            let name = NAMES[rng.below(NAMES.len())];
            if parent == id || model.children.contains_key(&(parent, name.to_string())) {
                return;
            }
            let inode = model.inodes.get_mut(&id).unwrap();
            model.children.remove(&(inode.parent, inode.name.to_string()));
            store.remove_child(inode.parent, &inode.name);
            inode.parent = parent;
            inode.name = Arc::from(name);
            model.children.insert((parent, name.to_string()), id);
            store.add_child(parent, inode.name.clone(), id);
            let moved = store.get_mut(id).unwrap();
            moved.parent = parent;
            moved.name = Arc::from(name);
        }
    }
}

#[test]
fn the_disk_store_answers_like_a_model_through_flushes_evictions_and_frozen_views() {
    let dir = tempfile::tempdir().unwrap();
    for (seed, cache, flush_at) in [(1, 0, 1), (2, 3, 5), (3, 2, 64), (4, 1000, 17)] {
        let mut rng = Lcg(seed);
        let mut store = Metastore::Disk(DiskStore::create(dir.path(), cache, flush_at).unwrap());
        let mut model = Model::default();
        let root = Inode::clone(&Tree::new().root());
        model.inodes.insert(root.id, root.clone());
        store.insert(root);
        let mut next_id = root_id();
        let mut frozen: Vec<(Metastore, Model)> = Vec::new();
        for step in 0..1500 {
            change(&mut store, &mut model, &mut rng, &mut next_id);
            store.settle();
            if step % 50 == 0 {
                agree(&store, &model, &mut rng);
            }
            if step % 300 == 0 {
                frozen.push((store.clone(), model.clone()));
            }
        }
        agree(&store, &model, &mut rng);
        for (view, seen) in &frozen {
            agree(view, seen, &mut rng);
        }
        let mut heap = Metastore::Heap(HeapStore::default());
        for inode in model.inodes.values() {
            heap.insert(inode.clone());
        }
        assert!(
            store.eq(&heap) && heap.eq(&store),
            "seed {seed}: the same tree in either store"
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "the store's files are unlinked"
    );
}

/// A kept file holds what its last commit recorded, whenever the process dies: random changes
/// and commits, and at random moments the file as it is on disk then (all that a killed process
/// leaves) is opened and compared with the model as of the last commit.
#[test]
fn a_kept_store_reopens_as_of_its_last_commit_after_a_crash_at_any_point() {
    let dir = tempfile::tempdir().unwrap();
    let (path, crashed) = (dir.path().join("inodes.redb"), dir.path().join("crashed.redb"));
    let reopen = |path: &std::path::Path| {
        let (store, state) = DiskStore::open_kept(path, 3, 5).unwrap();
        (Metastore::Disk(store), state)
    };
    let (mut store, state) = reopen(&path);
    assert_eq!(state, None, "a new file records nothing");
    let mut rng = Lcg(11);
    let mut model = Model::default();
    let root = Inode::clone(&Tree::new().root());
    model.inodes.insert(root.id, root.clone());
    store.insert(root);
    let mut next_id = root_id();
    let mut committed: Option<(Vec<u8>, Model)> = None;
    let (mut commits, mut crashes) = (0, 0);
    for step in 0..1500u32 {
        change(&mut store, &mut model, &mut rng, &mut next_id);
        store.settle();
        match rng.below(30) {
            0 => {
                let state = step.to_le_bytes().to_vec();
                store.commit(&state);
                committed = Some((state, model.clone()));
                commits += 1;
            }
            1 => {
                std::fs::copy(&path, &crashed).unwrap();
                let (after_crash, state) = reopen(&crashed);
                match &committed {
                    Some((recorded, seen)) => {
                        assert_eq!(state.as_ref(), Some(recorded), "step {step}");
                        agree(&after_crash, seen, &mut rng);
                    }
                    None => assert_eq!(state, None, "step {step}: nothing committed yet"),
                }
                drop(after_crash);
                std::fs::remove_file(&crashed).unwrap();
                crashes += 1;
            }
            _ => {}
        }
    }
    assert!(
        commits > 10 && crashes > 10,
        "{commits} commits, {crashes} crashes"
    );

    // Closed after a commit: the next run resumes from it.
    store.commit(b"closed");
    drop(store);
    let (mut store, state) = reopen(&path);
    assert_eq!(state.as_deref(), Some(&b"closed"[..]));
    agree(&store, &model, &mut rng);

    // Closed after flushes no commit covers (redb makes them durable at close): the file must
    // no longer claim the last commit's state, or a restart would replay entries it holds.
    for _ in 0..50 {
        change(&mut store, &mut model, &mut rng, &mut next_id);
        store.settle();
    }
    drop(store);
    let (_, state) = reopen(&path);
    assert_eq!(
        state, None,
        "a file changed since its last commit records nothing"
    );
}

#[test]
fn the_settings_name_what_is_wrong() {
    let mut conf = Configuration::defaults();
    assert_eq!(
        MetastoreSettings::from_conf(&conf).unwrap(),
        MetastoreSettings::Heap
    );
    conf.set("alluxio.master.metastore", "ROCKSDB");
    let err = MetastoreSettings::from_conf(&conf).unwrap_err().to_string();
    assert!(
        err.contains("alluxio.master.metastore=ROCKSDB") && err.contains("HEAP"),
        "{err}"
    );

    let file = tempfile::NamedTempFile::new().unwrap();
    conf.set("alluxio.master.metastore", "ROCKS");
    conf.set(
        "alluxio.master.metastore.dir",
        file.path().join("below-a-file").display().to_string(),
    );
    conf.set("alluxio.master.metastore.inode.cache.max.size", "1000");
    let settings = MetastoreSettings::from_conf(&conf).unwrap();
    assert!(matches!(
        &settings,
        MetastoreSettings::Disk {
            inode_cache: 1000,
            ..
        }
    ));
    let err = settings.open().unwrap_err().to_string();
    assert!(
        err.contains("alluxio.master.metastore.dir=") && err.contains("below-a-file"),
        "{err}"
    );
}
