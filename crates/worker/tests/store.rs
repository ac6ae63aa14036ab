//! Behaviour of the tiered block store on real temp directories.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use alluxio_proto::ids;
use alluxio_worker::store::{
    BlockMeta, BlockStore, DirSpec, EvictorKind, StoreChanges, StoreError, StoreOptions, TierSpec,
};

fn tier(alias: &str, dirs: &[(&Path, u64)]) -> TierSpec {
    TierSpec {
        alias: alias.to_string(),
        dirs: dirs
            .iter()
            .map(|(p, q)| DirSpec {
                path: p.to_path_buf(),
                quota: *q,
            })
            .collect(),
        high_watermark: 0.95,
        low_watermark: 0.7,
    }
}

fn options(tiers: Vec<TierSpec>) -> StoreOptions {
    StoreOptions {
        tiers,
        ..Default::default()
    }
}

fn bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| seed.wrapping_add(i as u8)).collect()
}

/// Writes and commits a block of `len` bytes in tier `level`, in two writes.
fn put(store: &BlockStore, id: u64, level: usize, len: usize) -> Result<BlockMeta, StoreError> {
    let data = bytes(id as u8, len);
    let mut block = store.create_block(id, level, 0)?;
    block.write(&data[..len / 2])?;
    block.write(&data[len / 2..])?;
    block.commit()
}

fn read(store: &BlockStore, id: u64) -> (Vec<u8>, PathBuf, String) {
    let lock = store.lock_block(id).unwrap();
    let data = std::fs::read(lock.path()).unwrap();
    (data, lock.path().to_path_buf(), lock.meta().tier.clone())
}

fn ids(store: &BlockStore) -> Vec<u64> {
    store.blocks().iter().map(|b| b.block_id).collect()
}

fn temp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("alluxioworker/.tmp")).unwrap().count()
}

#[test]
fn written_blocks_read_back_and_are_reported() {
    let mem = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![tier("MEM", &[(mem.path(), 1 << 20)])])).unwrap();
    assert_eq!(store.tier_aliases(), vec!["MEM"]);
    let meta = put(&store, 7, 0, 5000).unwrap();
    assert_eq!(
        meta,
        BlockMeta {
            block_id: 7,
            length: 5000,
            tier: "MEM".into()
        }
    );
    let (data, path, tier) = read(&store, 7);
    assert_eq!(data, bytes(7, 5000));
    assert_eq!(path, mem.path().join("alluxioworker/7"));
    assert_eq!(tier, "MEM");
    assert_eq!(store.usage()[0].used, 5000);
    assert_eq!(store.usage()[0].capacity, 1 << 20);
    assert_eq!(
        store.take_changes(),
        StoreChanges {
            added: vec![meta],
            removed: vec![]
        }
    );
    assert_eq!(store.take_changes(), StoreChanges::default());
    assert!(matches!(
        store.create_block(7, 0, 0),
        Err(StoreError::AlreadyExists(7))
    ));
    let _writing = store.create_block(8, 0, 0).unwrap();
    assert!(matches!(
        store.create_block(8, 0, 0),
        Err(StoreError::AlreadyExists(8))
    ));
    assert!(matches!(store.lock_block(8), Err(StoreError::NotFound(8))));
}

#[test]
fn dropped_temp_block_is_deleted_and_its_space_released() {
    let mem = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![tier("MEM", &[(mem.path(), 1 << 20)])])).unwrap();
    let mut block = store.create_block(1, 0, 4096).unwrap();
    block.write(&[1; 100]).unwrap();
    assert_eq!(block.length(), 100);
    assert_eq!(store.usage()[0].used, 4096);
    assert_eq!(temp_files(mem.path()), 1);
    drop(block);
    assert_eq!(store.usage()[0].used, 0);
    assert_eq!(temp_files(mem.path()), 0);
    assert!(store.blocks().is_empty());
    // The id is free again.
    assert_eq!(put(&store, 1, 0, 10).unwrap().length, 10);
}

#[test]
fn commit_releases_over_reservation() {
    let mem = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![tier("MEM", &[(mem.path(), 1 << 20)])])).unwrap();
    let mut block = store.create_block(1, 0, 10_000).unwrap();
    block.write(&[3; 300]).unwrap();
    block.commit().unwrap();
    assert_eq!(store.usage()[0].used, 300);
}

#[test]
fn restart_keeps_committed_blocks_and_drops_unfinished_ones() {
    let mem = tempfile::tempdir().unwrap();
    let ssd = tempfile::tempdir().unwrap();
    let opts = options(vec![
        tier("MEM", &[(mem.path(), 10_000)]),
        tier("SSD", &[(ssd.path(), 10_000)]),
    ]);
    {
        let store = BlockStore::open(opts.clone()).unwrap();
        put(&store, 1, 0, 1000).unwrap();
        put(&store, 2, 1, 700).unwrap();
    }
    // A crash in the middle of writing block 3 leaves its temp file (and releases the lock, as
    // the kernel does for a dead process).
    std::fs::write(mem.path().join("alluxioworker/.tmp/3-0"), [9; 50]).unwrap();
    // A stale copy of block 1 in the lower tier, as a move cut short would leave.
    std::fs::write(ssd.path().join("alluxioworker/1"), b"stale").unwrap();
    assert_eq!(temp_files(mem.path()), 1);
    let store = BlockStore::open(opts).unwrap();
    assert_eq!(temp_files(mem.path()), 0);
    assert!(!ssd.path().join("alluxioworker/1").exists());
    assert_eq!(
        store.blocks(),
        vec![
            BlockMeta {
                block_id: 1,
                length: 1000,
                tier: "MEM".into()
            },
            BlockMeta {
                block_id: 2,
                length: 700,
                tier: "SSD".into()
            },
        ]
    );
    assert_eq!(read(&store, 1).0, bytes(1, 1000));
    let used: Vec<u64> = store.usage().iter().map(|u| u.used).collect();
    assert_eq!(used, vec![1000, 700]);
    assert!(matches!(store.lock_block(3), Err(StoreError::NotFound(3))));
}

#[test]
fn max_free_allocator_picks_the_emptier_directory() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![tier("MEM", &[(a.path(), 1000), (b.path(), 1500)])])).unwrap();
    put(&store, 1, 0, 800).unwrap();
    put(&store, 2, 0, 100).unwrap();
    put(&store, 3, 0, 100).unwrap();
    assert!(read(&store, 1).1.starts_with(b.path()));
    // b has 700 free, a has 1000: a is emptier.
    assert!(read(&store, 2).1.starts_with(a.path()));
    // a has 900 free, b 700.
    assert!(read(&store, 3).1.starts_with(a.path()));
}

#[test]
fn full_memory_tier_deletes_the_least_recently_used_block() {
    let mem = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![tier("MEM", &[(mem.path(), 300)])])).unwrap();
    for id in 1..=3 {
        put(&store, id, 0, 100).unwrap();
    }
    drop(store.lock_block(1).unwrap());
    store.take_changes();
    put(&store, 4, 0, 100).unwrap();
    assert_eq!(ids(&store), vec![1, 3, 4]);
    assert!(!mem.path().join("alluxioworker/2").exists());
    let changes = store.take_changes();
    assert_eq!(changes.removed, vec![2]);
    assert_eq!(
        changes.added.iter().map(|b| b.block_id).collect::<Vec<_>>(),
        vec![4]
    );
    assert_eq!(store.usage()[0].used, 300);
}

#[test]
fn full_memory_tier_moves_the_evicted_block_down() {
    let mem = tempfile::tempdir().unwrap();
    let ssd = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![
        tier("MEM", &[(mem.path(), 250)]),
        tier("SSD", &[(ssd.path(), 1000)]),
    ]))
    .unwrap();
    put(&store, 1, 0, 100).unwrap();
    put(&store, 2, 0, 100).unwrap();
    store.take_changes();
    put(&store, 3, 0, 100).unwrap();
    let (data, path, tier) = read(&store, 1);
    assert_eq!((data, tier), (bytes(1, 100), "SSD".to_string()));
    assert_eq!(path, ssd.path().join("alluxioworker/1"));
    assert!(!mem.path().join("alluxioworker/1").exists());
    let changes = store.take_changes();
    assert_eq!(
        changes.added,
        vec![
            BlockMeta {
                block_id: 1,
                length: 100,
                tier: "SSD".into()
            },
            BlockMeta {
                block_id: 3,
                length: 100,
                tier: "MEM".into()
            },
        ]
    );
    assert!(changes.removed.is_empty());
    let used: Vec<u64> = store.usage().iter().map(|u| u.used).collect();
    assert_eq!(used, vec![200, 100]);
}

#[test]
fn pinned_and_locked_blocks_are_never_evicted() {
    let mem = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![tier("MEM", &[(mem.path(), 300)])])).unwrap();
    let pinned = ids::block_id(5, 0);
    let locked = ids::block_id(6, 0);
    let free = ids::block_id(7, 0);
    for id in [pinned, locked, free] {
        put(&store, id, 0, 100).unwrap();
    }
    store.set_pinned_files(HashSet::from([ids::file_id(5)]));
    let lock = store.lock_block(locked).unwrap();
    put(&store, ids::block_id(8, 0), 0, 100).unwrap();
    assert!(!ids(&store).contains(&free));
    // Now only the block just written can go: two more blocks cannot fit.
    put(&store, ids::block_id(9, 0), 0, 100).unwrap();
    let err = store.create_block(ids::block_id(10, 0), 0, 200).unwrap_err();
    match err {
        StoreError::NoSpace {
            tier, needed, reason, ..
        } => {
            assert_eq!((tier.as_str(), needed), ("MEM", 200));
            assert!(reason.contains("locked, pinned"), "{reason}");
        }
        other => panic!("expected NoSpace, got {other}"),
    }
    assert!(ids(&store).contains(&pinned) && ids(&store).contains(&locked));
    assert_eq!(std::fs::read(lock.path()).unwrap(), bytes(locked as u8, 100));
}

#[test]
fn block_larger_than_every_directory_fails_with_no_space() {
    let mem = tempfile::tempdir().unwrap();
    let ssd = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![
        tier("MEM", &[(mem.path(), 100)]),
        tier("SSD", &[(ssd.path(), 200)]),
    ]))
    .unwrap();
    // Announced larger than every directory (as a client announces the block size of a file
    // whose length it does not know yet), the length is a hint: a small block still fits.
    let mut block = store.create_block(3, 0, 300).unwrap();
    block.write(&[3; 50]).unwrap();
    assert_eq!(block.commit().unwrap().tier, "MEM");
    store.remove_block(3).unwrap();
    // Too big for MEM but fits in SSD: falls to the lower tier.
    let mut block = store.create_block(1, 0, 150).unwrap();
    block.write(&[1; 150]).unwrap();
    assert_eq!(block.commit().unwrap().tier, "SSD");
    // Growing past the quota while writing fails too.
    let mut block = store.create_block(2, 0, 0).unwrap();
    block.write(&[2; 100]).unwrap();
    let err = block.write(&[2; 1]).unwrap_err();
    assert!(matches!(&err, StoreError::NoSpace { block_id: 2, .. }), "{err}");
    assert!(err.to_string().contains("holds 100 of 100 bytes"), "{err}");
}

#[test]
fn watermark_pass_frees_down_to_the_low_mark() {
    let mem = tempfile::tempdir().unwrap();
    let mut spec = tier("MEM", &[(mem.path(), 1000)]);
    spec.high_watermark = 0.8;
    spec.low_watermark = 0.5;
    let store = BlockStore::open(StoreOptions {
        evictor: EvictorKind::Greedy,
        ..options(vec![spec])
    })
    .unwrap();
    for id in 1..=8 {
        put(&store, id, 0, 100).unwrap();
    }
    assert_eq!(
        store.reserve_space().unwrap(),
        0,
        "80% is not above the high watermark"
    );
    put(&store, 9, 0, 100).unwrap();
    assert_eq!(store.reserve_space().unwrap(), 400);
    assert_eq!(store.usage()[0].used, 500);
    // The greedy evictor goes by block id.
    assert_eq!(ids(&store), vec![5, 6, 7, 8, 9]);
}

#[test]
fn removing_a_locked_block_waits_for_the_last_lock() {
    let mem = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![tier("MEM", &[(mem.path(), 1000)])])).unwrap();
    put(&store, 1, 0, 100).unwrap();
    store.take_changes();
    let first = store.lock_block(1).unwrap();
    let second = store.lock_block(1).unwrap();
    store.remove_block(1).unwrap();
    assert!(matches!(store.lock_block(1), Err(StoreError::NotFound(1))));
    drop(first);
    assert_eq!(std::fs::read(second.path()).unwrap(), bytes(1, 100));
    assert_eq!(store.take_changes(), StoreChanges::default());
    drop(second);
    assert!(!mem.path().join("alluxioworker/1").exists());
    assert_eq!(store.take_changes().removed, vec![1]);
    assert_eq!(store.usage()[0].used, 0);
    assert!(matches!(store.remove_block(1), Err(StoreError::NotFound(1))));
}

#[test]
fn promote_moves_a_block_to_the_top_tier() {
    let mem = tempfile::tempdir().unwrap();
    let ssd = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![
        tier("MEM", &[(mem.path(), 150)]),
        tier("SSD", &[(ssd.path(), 1000)]),
    ]))
    .unwrap();
    put(&store, 1, 1, 100).unwrap();
    put(&store, 2, 0, 100).unwrap();
    store.take_changes();
    store.promote(1).unwrap();
    let (data, path, tier) = read(&store, 1);
    assert_eq!((data, tier), (bytes(1, 100), "MEM".to_string()));
    assert_eq!(path, mem.path().join("alluxioworker/1"));
    assert!(!ssd.path().join("alluxioworker/1").exists());
    // Block 2 made room by going down.
    assert_eq!(read(&store, 2).2, "SSD");
    let tiers: Vec<(u64, String)> = store
        .take_changes()
        .added
        .into_iter()
        .map(|b| (b.block_id, b.tier))
        .collect();
    assert_eq!(tiers, vec![(1, "MEM".into()), (2, "SSD".into())]);
    store.promote(1).unwrap();
    assert_eq!(store.take_changes(), StoreChanges::default());
    assert!(matches!(store.promote(99), Err(StoreError::NotFound(99))));
}

#[test]
fn promote_without_room_leaves_the_block_in_place() {
    let mem = tempfile::tempdir().unwrap();
    let ssd = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![
        tier("MEM", &[(mem.path(), 50)]),
        tier("SSD", &[(ssd.path(), 1000)]),
    ]))
    .unwrap();
    put(&store, 1, 1, 100).unwrap();
    store.promote(1).unwrap();
    assert_eq!(
        read(&store, 1),
        (bytes(1, 100), ssd.path().join("alluxioworker/1"), "SSD".into())
    );
}

#[test]
fn changes_report_a_block_added_then_removed_only_as_removed() {
    let mem = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![tier("MEM", &[(mem.path(), 1000)])])).unwrap();
    put(&store, 1, 0, 10).unwrap();
    put(&store, 2, 0, 10).unwrap();
    store.remove_block(1).unwrap();
    let changes = store.take_changes();
    assert_eq!(
        changes.added,
        vec![BlockMeta {
            block_id: 2,
            length: 10,
            tier: "MEM".into()
        }]
    );
    assert_eq!(changes.removed, vec![1]);
}

#[test]
fn format_deletes_every_block_folder() {
    let mem = tempfile::tempdir().unwrap();
    let ssd = tempfile::tempdir().unwrap();
    let opts = options(vec![
        tier("MEM", &[(mem.path(), 1000)]),
        tier("SSD", &[(ssd.path(), 1000)]),
    ]);
    let store = BlockStore::open(opts.clone()).unwrap();
    put(&store, 1, 0, 10).unwrap();
    put(&store, 2, 1, 10).unwrap();
    drop(store);
    BlockStore::format(&opts).unwrap();
    assert!(!mem.path().join("alluxioworker").exists());
    assert!(!ssd.path().join("alluxioworker").exists());
    assert!(BlockStore::open(opts).unwrap().blocks().is_empty());
}

#[test]
fn a_directory_in_use_is_neither_opened_twice_nor_formatted() {
    let mem = tempfile::tempdir().unwrap();
    let ssd = tempfile::tempdir().unwrap();
    let opts = options(vec![
        tier("MEM", &[(mem.path(), 1000)]),
        tier("SSD", &[(ssd.path(), 1000)]),
    ]);
    let store = BlockStore::open(opts.clone()).unwrap();
    put(&store, 1, 0, 10).unwrap();
    let mut writing = store.create_block(2, 0, 0).unwrap();
    writing.write(&[7; 20]).unwrap();
    // A second worker sharing only the lower directory is refused too, and touches nothing.
    let other = options(vec![tier("SSD", &[(ssd.path(), 1000)])]);
    for attempt in [&opts, &other] {
        match BlockStore::open(attempt.clone()) {
            Err(StoreError::InUse(path)) => {
                assert!(path == mem.path() || path == ssd.path(), "{path:?}");
                let message = StoreError::InUse(path).to_string();
                assert!(message.contains("in use by another worker"), "{message}");
            }
            Err(e) => panic!("expected InUse, got {e}"),
            Ok(_) => panic!("a directory in use was opened twice"),
        }
        assert!(matches!(BlockStore::format(attempt), Err(StoreError::InUse(_))));
    }
    assert_eq!(temp_files(mem.path()), 1);
    writing.write(&[7; 20]).unwrap();
    writing.commit().unwrap();
    assert_eq!(read(&store, 1).0, bytes(1, 10));
    assert_eq!(read(&store, 2).0, vec![7; 40]);
    // Once the worker is gone, the directories are free again.
    drop(store);
    BlockStore::format(&opts).unwrap();
    assert!(BlockStore::open(opts).unwrap().blocks().is_empty());
}

#[test]
fn formatting_a_directory_never_created_creates_nothing() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("not/yet");
    BlockStore::format(&options(vec![tier("MEM", &[(&missing, 1000)])])).unwrap();
    assert!(!root.path().join("not").exists());
}

#[test]
fn concurrent_writers_and_readers_keep_the_books_straight() {
    let mem = tempfile::tempdir().unwrap();
    let ssd = tempfile::tempdir().unwrap();
    let store = BlockStore::open(options(vec![
        tier("MEM", &[(mem.path(), 2000)]),
        tier("SSD", &[(ssd.path(), 3000)]),
    ]))
    .unwrap();
    std::thread::scope(|scope| {
        for t in 0..4u64 {
            let store = store.clone();
            scope.spawn(move || {
                for i in 0..20u64 {
                    let id = t * 100 + i;
                    put(&store, id, 0, 300).unwrap();
                    if let Ok(lock) = store.lock_block(id) {
                        assert_eq!(std::fs::read(lock.path()).unwrap(), bytes(id as u8, 300));
                    }
                    if i % 3 == 0 {
                        let _ = store.promote(id.saturating_sub(2));
                    }
                }
            });
        }
    });
    let blocks = store.blocks();
    for (level, (alias, dir)) in [("MEM", mem.path()), ("SSD", ssd.path())].into_iter().enumerate() {
        let held: Vec<&BlockMeta> = blocks.iter().filter(|b| b.tier == alias).collect();
        let used: u64 = held.iter().map(|b| b.length).sum();
        assert_eq!(store.usage()[level].used, used, "tier {alias}");
        assert!(used <= store.usage()[level].capacity);
        // Besides block files the folder holds `.tmp` and `.lock`.
        let files = std::fs::read_dir(dir.join("alluxioworker")).unwrap().count() - 2;
        assert_eq!(files, held.len(), "files in tier {alias}");
    }
    for block in &blocks {
        assert_eq!(read(&store, block.block_id).0, bytes(block.block_id as u8, 300));
    }
}

#[test]
fn handles_can_cross_threads_and_tasks() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<BlockStore>();
    send_sync::<alluxio_worker::store::TempBlock>();
    send_sync::<alluxio_worker::store::BlockLock>();
}
