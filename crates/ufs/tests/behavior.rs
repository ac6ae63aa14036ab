//! One behaviour suite for every UFS backend: each case runs against every backend of
//! [`backends`], each time in a fresh uuid-named directory: the local file system (as a path
//! and as a `file://` URI) and S3 through a real S3 server on loopback. HDFS, GCS and Azure run
//! the same cases in `remote.rs` when a server is named in the environment.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use alluxio_conf::Configuration;
use alluxio_testkit::s3::S3Server;
use alluxio_ufs::{UfsAccess, UfsError, UfsManager, UnderFileSystem, join};
use bytes::Bytes;
use futures::TryStreamExt;

/// Where a backend keeps test data: every case works below `base`.
pub struct Backend {
    /// Named in assertion messages.
    pub name: &'static str,
    /// Every case works below this URI.
    pub base: String,
    /// The configuration the backend is opened with.
    pub options: BTreeMap<String, String>,
    /// Whether writes go to a temporary name first (file systems) rather than being published
    /// by the store on completion (object stores).
    pub writes_temporaries: bool,
    /// What must live as long as the backend is used: a temp dir, a loopback server.
    pub _keep: Box<dyn std::any::Any>,
}

/// The bucket every S3 case works in.
pub const BUCKET: &str = "alluxio-test";

/// Mount options reaching `server` with its credentials.
pub fn s3_options(server: &S3Server) -> BTreeMap<String, String> {
    [
        ("alluxio.underfs.s3.endpoint", server.endpoint.as_str()),
        ("aws.accessKeyId", server.access_key.as_str()),
        ("aws.secretKey", server.secret_key.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn backends() -> Vec<Backend> {
    let plain = tempfile::tempdir().unwrap();
    let url = tempfile::tempdir().unwrap();
    let s3 = S3Server::start(&[BUCKET]).await.unwrap();
    vec![
        Backend {
            name: "local path",
            base: plain.path().display().to_string(),
            options: BTreeMap::new(),
            writes_temporaries: true,
            _keep: Box::new(plain),
        },
        Backend {
            name: "local file://",
            base: format!("file://{}", url.path().display()),
            options: BTreeMap::new(),
            writes_temporaries: true,
            _keep: Box::new(url),
        },
        Backend {
            name: "s3 (loopback server)",
            base: format!("s3://{BUCKET}/base"),
            options: s3_options(&s3),
            writes_temporaries: false,
            _keep: Box::new(s3),
        },
    ]
}

/// A fresh directory on one backend for one case.
pub struct Fixture {
    backend: &'static str,
    manager: UfsManager,
    options: BTreeMap<String, String>,
    writes_temporaries: bool,
    ufs: Arc<dyn UnderFileSystem>,
    dir: String,
}

impl Fixture {
    /// A new uuid-named directory below the backend's base.
    pub async fn new(backend: &Backend) -> Self {
        let manager = UfsManager::new(&Configuration::defaults());
        let ufs = manager.get_with_options(&backend.base, &backend.options).unwrap();
        let dir = join(&backend.base, &uuid::Uuid::new_v4().to_string());
        ufs.mkdirs(&dir).await.unwrap();
        Self {
            backend: backend.name,
            manager,
            options: backend.options.clone(),
            writes_temporaries: backend.writes_temporaries,
            ufs,
            dir,
        }
    }

    fn uri(&self, relative: &str) -> String {
        join(&self.dir, relative)
    }

    async fn put(&self, relative: &str, data: &[u8]) -> String {
        let uri = self.uri(relative);
        let mut writer = self.ufs.create(&uri).await.unwrap();
        writer.write(Bytes::copy_from_slice(data)).await.unwrap();
        writer.close().await.unwrap();
        uri
    }

    async fn read(&self, uri: &str, offset: u64, length: u64) -> Vec<u8> {
        let chunks: Vec<Bytes> = self
            .ufs
            .read(uri, offset, length)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        chunks.concat()
    }

    async fn names(&self, uri: &str) -> Vec<String> {
        let list = self.ufs.list(uri).await.unwrap().unwrap();
        list.into_iter().map(|s| s.name).collect()
    }

    /// Whether the case directory holds nothing at all, temporaries included: only then does a
    /// non-recursive delete succeed.
    async fn dir_is_truly_empty(&self) -> bool {
        match self.ufs.delete_directory(&self.dir, false).await {
            Ok(()) => {
                self.ufs.mkdirs(&self.dir).await.unwrap();
                true
            }
            Err(UfsError::DirectoryNotEmpty { .. }) => false,
            Err(err) => panic!("{}: {err}", self.backend),
        }
    }
}

macro_rules! behavior {
    ($($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                for backend in backends().await {
                    let fixture = Fixture::new(&backend).await;
                    cases::$case(&fixture).await;
                }
            }
        )+

        /// Runs every case against `backend` (for backends reached through the environment).
        pub async fn run_all(backend: &Backend) {
            $(
                cases::$case(&Fixture::new(backend).await).await;
            )+
        }
    };
}

behavior!(
    status_of_files_directories_and_missing_paths,
    list_contract,
    special_characters_in_names,
    mkdirs_is_idempotent_and_creates_parents,
    create_replaces_and_creates_parents,
    half_written_file_is_never_visible,
    abort_and_drop_leave_nothing_behind,
    read_ranges_of_a_large_file,
    delete_contract,
    rename_contract,
    create_exclusive_lets_one_of_racing_writers_win,
    manager_caches_per_root_and_rejects_other_schemes,
    owners_and_modes_where_the_file_system_keeps_them,
);

/// Deterministic bytes that differ at every offset, so a shifted read cannot pass.
fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

mod cases {
    use super::*;

    pub async fn create_exclusive_lets_one_of_racing_writers_win(f: &Fixture) {
        let uri = f.uri("claims/00000000000000000001");
        let attempts = (0..8).map(|i| f.ufs.create_exclusive(&uri, Bytes::from(format!("owner {i}"))));
        let results = futures::future::join_all(attempts).await;
        if f.dir.starts_with("hdfs://") {
            // OpenDAL's HDFS service always overwrites: refused, and nothing written.
            for result in results {
                assert!(
                    matches!(result, Err(UfsError::NoConditionalCreate { .. })),
                    "{result:?}"
                );
            }
            assert_eq!(f.ufs.status(&uri).await.unwrap(), None);
            return;
        }
        let won: Vec<usize> = results
            .into_iter()
            .enumerate()
            .filter_map(|(i, result)| match result {
                Ok(true) => Some(i),
                Ok(false) => None,
                Err(err) => panic!("{}: {err}", f.backend),
            })
            .collect();
        assert_eq!(won.len(), 1, "{}: winners {won:?}", f.backend);
        let content = f.ufs.read_all(&uri).await.unwrap();
        assert_eq!(content, format!("owner {}", won[0]).into_bytes(), "{}", f.backend);
        assert!(!f.ufs.create_exclusive(&uri, Bytes::from("late")).await.unwrap());
        assert_eq!(f.ufs.read_all(&uri).await.unwrap(), content, "{}", f.backend);
    }

    pub async fn status_of_files_directories_and_missing_paths(f: &Fixture) {
        assert_eq!(f.ufs.status(&f.uri("missing")).await.unwrap(), None);
        let file = f.put("a.txt", b"hello").await;
        let status = f.ufs.status(&file).await.unwrap().unwrap();
        assert_eq!(
            (status.name.as_str(), status.is_dir, status.length),
            ("a.txt", false, 5)
        );
        assert!(status.last_modified_ms > 1_600_000_000_000, "{}", f.backend);
        f.ufs.mkdirs(&f.uri("sub")).await.unwrap();
        let status = f.ufs.status(&f.uri("sub/")).await.unwrap().unwrap();
        assert_eq!(
            (status.name.as_str(), status.is_dir, status.length),
            ("sub", true, 0)
        );
        assert_eq!(f.ufs.status(&f.uri("a.txt/below")).await.unwrap(), None);
    }

    pub async fn owners_and_modes_where_the_file_system_keeps_them(f: &Fixture) {
        let file = f.put("owned/file", b"x").await;
        let dir = f.uri("owned");
        let status = f.ufs.status(&file).await.unwrap().unwrap();
        if !f.backend.starts_with("local") {
            assert_eq!(status.access, None, "{}: object stores keep no owners", f.backend);
            let access = UfsAccess {
                owner: "alice".into(),
                group: "staff".into(),
                mode: 0o600,
            };
            assert!(!f.ufs.set_access(&file, &access).await.unwrap(), "{}", f.backend);
            return;
        }
        let me = nix::unistd::User::from_uid(nix::unistd::getuid())
            .unwrap()
            .unwrap()
            .name;
        let mine = status
            .access
            .expect("the local file system keeps owners and modes");
        assert_eq!(mine.owner, me);
        let wanted = UfsAccess {
            mode: 0o640,
            ..mine.clone()
        };
        assert!(f.ufs.set_access(&file, &wanted).await.unwrap());
        assert_eq!(
            f.ufs.status(&file).await.unwrap().unwrap().access,
            Some(wanted.clone())
        );
        let listed = f.ufs.list(&dir).await.unwrap().unwrap();
        assert_eq!(listed[0].access, Some(wanted));
        let sticky = UfsAccess {
            mode: 0o1750,
            ..mine.clone()
        };
        assert!(f.ufs.set_access(&dir, &sticky).await.unwrap());
        assert_eq!(f.ufs.status(&dir).await.unwrap().unwrap().access, Some(sticky));
        // A user the OS lacks cannot own the file there: the mode is still written.
        let stranger = UfsAccess {
            owner: "no-such-user-of-alluxio-tests".into(),
            group: mine.group.clone(),
            mode: 0o604,
        };
        assert!(f.ufs.set_access(&file, &stranger).await.unwrap());
        let kept = f.ufs.status(&file).await.unwrap().unwrap().access.unwrap();
        assert_eq!((kept.owner.as_str(), kept.mode), (me.as_str(), 0o604));
        let missing = f.ufs.set_access(&f.uri("missing"), &stranger).await;
        assert!(matches!(missing, Err(UfsError::NotFound { .. })), "{missing:?}");
    }

    pub async fn list_contract(f: &Fixture) {
        assert_eq!(f.ufs.list(&f.uri("missing")).await.unwrap(), None);
        let file = f.put("file", b"x").await;
        assert_eq!(f.ufs.list(&file).await.unwrap(), None);
        f.ufs.mkdirs(&f.uri("empty")).await.unwrap();
        assert_eq!(f.ufs.list(&f.uri("empty")).await.unwrap(), Some(vec![]));
        f.put("tree/b", b"bb").await;
        f.put("tree/a", b"a").await;
        f.put("tree/c/deep", b"ccc").await;
        let list = f.ufs.list(&f.uri("tree/")).await.unwrap().unwrap();
        let seen: Vec<(&str, bool, u64)> = list
            .iter()
            .map(|s| (s.name.as_str(), s.is_dir, s.length))
            .collect();
        assert_eq!(
            seen,
            vec![("a", false, 1), ("b", false, 2), ("c", true, 0)],
            "{}",
            f.backend
        );
    }

    pub async fn special_characters_in_names(f: &Fixture) {
        let names = ["a b", "100%", "%20", "ünïcødé ✓", "semi;colon", "q?x#y"];
        for name in names {
            let uri = f.put(&format!("dir {name}/{name}"), name.as_bytes()).await;
            assert_eq!(f.read(&uri, 0, u64::MAX).await, name.as_bytes(), "{name}");
            let status = f.ufs.status(&uri).await.unwrap().unwrap();
            assert_eq!(status.name, name);
        }
        let mut expected: Vec<String> = names.iter().map(|n| format!("dir {n}")).collect();
        expected.sort();
        assert_eq!(f.names(&f.dir).await, expected, "{}", f.backend);
    }

    pub async fn mkdirs_is_idempotent_and_creates_parents(f: &Fixture) {
        let deep = f.uri("x/y/z");
        f.ufs.mkdirs(&deep).await.unwrap();
        f.ufs.mkdirs(&deep).await.unwrap();
        assert!(f.ufs.status(&f.uri("x/y")).await.unwrap().unwrap().is_dir);
        assert_eq!(f.names(&f.uri("x/y")).await, vec!["z"]);
        let file = f.put("plain", b"1").await;
        assert!(matches!(
            f.ufs.mkdirs(&file).await,
            Err(UfsError::NotADirectory { .. })
        ));
        assert!(matches!(
            f.ufs.mkdirs(&f.uri("plain/below")).await,
            Err(UfsError::NotADirectory { .. })
        ));
        assert_eq!(f.ufs.list(&f.uri("plain/below")).await.unwrap(), None);
    }

    pub async fn create_replaces_and_creates_parents(f: &Fixture) {
        let uri = f.put("new/parents/file", b"first version").await;
        assert_eq!(f.read(&uri, 0, u64::MAX).await, b"first version");
        f.put("new/parents/file", b"second").await;
        assert_eq!(f.read(&uri, 0, u64::MAX).await, b"second");
        let empty = f.put("empty", b"").await;
        assert_eq!(f.ufs.status(&empty).await.unwrap().unwrap().length, 0);
        assert!(f.read(&empty, 0, 10).await.is_empty());
        assert!(matches!(
            f.ufs.create(&f.uri("new")).await.err(),
            Some(UfsError::IsADirectory { .. })
        ));
    }

    pub async fn half_written_file_is_never_visible(f: &Fixture) {
        let uri = f.uri("growing");
        let mut writer = f.ufs.create(&uri).await.unwrap();
        writer.write(Bytes::from_static(b"part one, ")).await.unwrap();
        assert_eq!(f.ufs.status(&uri).await.unwrap(), None);
        assert!(f.names(&f.dir).await.is_empty(), "{}", f.backend);
        writer.write(Bytes::from_static(b"part two")).await.unwrap();
        assert_eq!(f.ufs.status(&uri).await.unwrap(), None);
        writer.close().await.unwrap();
        assert_eq!(f.read(&uri, 0, u64::MAX).await, b"part one, part two");
        assert_eq!(f.names(&f.dir).await, vec!["growing"]);

        // Rewriting keeps the old content visible until the new one is complete.
        let mut writer = f.ufs.create(&uri).await.unwrap();
        writer.write(Bytes::from_static(b"new")).await.unwrap();
        assert_eq!(f.read(&uri, 0, u64::MAX).await, b"part one, part two");
        writer.close().await.unwrap();
        assert_eq!(f.read(&uri, 0, u64::MAX).await, b"new");
    }

    pub async fn abort_and_drop_leave_nothing_behind(f: &Fixture) {
        let mut writer = f.ufs.create(&f.uri("aborted")).await.unwrap();
        writer.write(Bytes::from_static(b"never")).await.unwrap();
        if f.writes_temporaries {
            assert!(
                !f.dir_is_truly_empty().await,
                "the temporary exists while writing"
            );
        }
        writer.abort().await.unwrap();
        assert_eq!(f.ufs.status(&f.uri("aborted")).await.unwrap(), None);
        assert!(f.dir_is_truly_empty().await, "{}", f.backend);

        let mut writer = f.ufs.create(&f.uri("dropped")).await.unwrap();
        writer.write(Bytes::from_static(b"never")).await.unwrap();
        drop(writer);
        // The temporary is removed in the background: poll, bounded.
        let mut empty = false;
        for _ in 0..200 {
            if f.dir_is_truly_empty().await {
                empty = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(empty, "{}: temporary of a dropped writer left behind", f.backend);
        assert_eq!(f.ufs.status(&f.uri("dropped")).await.unwrap(), None);
    }

    pub async fn read_ranges_of_a_large_file(f: &Fixture) {
        const LEN: usize = 5 * 1024 * 1024 + 17;
        let data = pattern(LEN);
        let uri = f.uri("large");
        let mut writer = f.ufs.create(&uri).await.unwrap();
        for piece in data.chunks(1_000_003) {
            writer.write(Bytes::copy_from_slice(piece)).await.unwrap();
        }
        writer.close().await.unwrap();
        assert_eq!(f.ufs.status(&uri).await.unwrap().unwrap().length, LEN as u64);

        let chunks: Vec<Bytes> = f
            .ufs
            .read(&uri, 0, u64::MAX)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert!(chunks.len() > 1, "a 5 MiB read should stream in several chunks");
        assert!(chunks.concat() == data, "{}: whole file differs", f.backend);

        let ranges: [(u64, u64); 7] = [
            (1, 3),
            (12_345, 2 * 1024 * 1024 + 7),
            (1_048_575, 3_145_729),
            (777, u64::MAX),
            (LEN as u64 - 3, 100),
            (LEN as u64, 10),
            (LEN as u64 + 10, 10),
        ];
        for (offset, length) in ranges {
            let start = (offset as usize).min(LEN);
            let end = (offset.saturating_add(length) as usize).min(LEN);
            let got = f.read(&uri, offset, length).await;
            assert!(got == data[start..end], "{}: range {offset}+{length}", f.backend);
        }
        assert!(matches!(
            f.ufs.read(&f.uri("missing"), 0, 1).await.err(),
            Some(UfsError::NotFound { .. })
        ));
        assert!(matches!(
            f.ufs.read(&f.dir, 0, 1).await.err(),
            Some(UfsError::IsADirectory { .. })
        ));
    }

    pub async fn delete_contract(f: &Fixture) {
        let file = f.put("file", b"1").await;
        f.ufs.delete_file(&file).await.unwrap();
        assert_eq!(f.ufs.status(&file).await.unwrap(), None);
        f.ufs.delete_file(&file).await.unwrap();
        f.ufs.delete_directory(&f.uri("no-dir"), true).await.unwrap();

        f.put("dir/a", b"a").await;
        f.put("dir/sub/b", b"b").await;
        let sibling = f.put("dir2/keep", b"keep").await;
        let dir = f.uri("dir");
        assert!(matches!(
            f.ufs.delete_file(&dir).await,
            Err(UfsError::IsADirectory { .. })
        ));
        assert!(matches!(
            f.ufs.delete_directory(&sibling, false).await,
            Err(UfsError::NotADirectory { .. })
        ));
        assert!(matches!(
            f.ufs.delete_directory(&dir, false).await,
            Err(UfsError::DirectoryNotEmpty { .. })
        ));
        assert_eq!(f.names(&dir).await, vec!["a", "sub"]);
        f.ufs.delete_directory(&dir, true).await.unwrap();
        assert_eq!(f.ufs.status(&dir).await.unwrap(), None);
        assert_eq!(f.read(&sibling, 0, 10).await, b"keep", "{}", f.backend);

        f.ufs.mkdirs(&f.uri("empty")).await.unwrap();
        f.ufs.delete_directory(&f.uri("empty"), false).await.unwrap();
        assert_eq!(f.names(&f.dir).await, vec!["dir2"]);
    }

    pub async fn rename_contract(f: &Fixture) {
        let src = f.put("src", b"content").await;
        let dst = f.uri("dst");
        f.ufs.rename(&src, &dst).await.unwrap();
        assert_eq!(f.ufs.status(&src).await.unwrap(), None);
        assert_eq!(f.read(&dst, 0, u64::MAX).await, b"content");
        assert!(matches!(
            f.ufs.rename(&src, &f.uri("other")).await,
            Err(UfsError::NotFound { .. })
        ));
        let taken = f.put("taken", b"old").await;
        assert!(matches!(
            f.ufs.rename(&dst, &taken).await,
            Err(UfsError::AlreadyExists { .. })
        ));
        assert_eq!(f.read(&taken, 0, u64::MAX).await, b"old");
        assert_eq!(f.read(&dst, 0, u64::MAX).await, b"content");

        f.put("d1/inner/file", b"deep").await;
        f.ufs.rename(&f.uri("d1"), &f.uri("d2")).await.unwrap();
        assert_eq!(f.ufs.status(&f.uri("d1")).await.unwrap(), None);
        assert_eq!(
            f.read(&f.uri("d2/inner/file"), 0, 100).await,
            b"deep",
            "{}",
            f.backend
        );
    }

    pub async fn manager_caches_per_root_and_rejects_other_schemes(f: &Fixture) {
        let again = f.manager.get_with_options(&f.dir, &f.options).unwrap();
        assert!(Arc::ptr_eq(&again, &f.ufs));
        let other_form = if f.dir.starts_with('/') {
            format!("file://{}", f.dir)
        } else if f.dir.starts_with("file://") {
            f.dir.trim_start_matches("file://").to_string()
        } else {
            join(&f.dir, "elsewhere/below")
        };
        let same = f.manager.get_with_options(&other_form, &f.options).unwrap();
        assert!(Arc::ptr_eq(&same, &f.ufs), "{}", f.backend);
        let mut other_options = f.options.clone();
        other_options.insert("alluxio.underfs.s3.endpoint.region".into(), "eu-west-3".into());
        let distinct = f.manager.get_with_options(&f.dir, &other_options).unwrap();
        assert!(!Arc::ptr_eq(&distinct, &f.ufs), "other options, other instance");
        let err = f.manager.get("ftp://host/key").err().unwrap();
        assert!(err.to_string().contains("scheme 'ftp' is not supported"), "{err}");
        assert!(err.to_string().contains("file://"), "{err}");
        assert!(matches!(
            f.manager.get("relative/path").err(),
            Some(UfsError::BadUri { .. })
        ));
        assert!(matches!(
            f.ufs.status("hdfs://nn:9000/x").await,
            Err(UfsError::BadUri { .. })
        ));
        assert!(matches!(
            f.manager.get("file://otherhost/x").err(),
            Some(UfsError::BadUri { .. })
        ));
        // Refused before any request: no HDFS needs to answer.
        let hdfs = f.manager.get("hdfs://nn:9000/").unwrap();
        let refused = hdfs.create_exclusive("hdfs://nn:9000/x", Bytes::new()).await;
        assert!(
            matches!(refused, Err(UfsError::NoConditionalCreate { .. })),
            "{refused:?}"
        );
    }
}

/// HDFS, GCS and Azure: the whole suite against a server named in the environment.
#[path = "behavior/remote.rs"]
mod remote;
