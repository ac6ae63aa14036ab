//! The master started with `start(conf)` on loopback, driven through its gRPC and web ports.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use alluxio_conf::{Configuration, keys};
use alluxio_master::{MasterError, RunningMaster, start};
use alluxio_proto::auth::{AuthChannel, AuthType, Credentials, OnBehalfOf};
use alluxio_proto::grpc::block_master_client_service_client::BlockMasterClientServiceClient;
use alluxio_proto::grpc::block_master_worker_service_client::BlockMasterWorkerServiceClient;
use alluxio_proto::grpc::file_system_master_client_service_client::FileSystemMasterClientServiceClient;
use alluxio_proto::grpc::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;
use tonic::transport::Channel;

struct Dirs {
    journal: tempfile::TempDir,
    ufs: tempfile::TempDir,
}

fn dirs() -> Dirs {
    Dirs {
        journal: tempfile::tempdir().expect("temp dir"),
        ufs: tempfile::tempdir().expect("temp dir"),
    }
}

fn conf(dirs: &Dirs, extra: &[(&str, &str)]) -> Configuration {
    let mut conf = Configuration::defaults();
    conf.set(keys::MASTER_BIND_HOST, "127.0.0.1");
    conf.set(keys::MASTER_WEB_BIND_HOST, "127.0.0.1");
    conf.set(keys::MASTER_PORT, "0");
    conf.set(keys::MASTER_WEB_PORT, "0");
    conf.set(
        keys::MASTER_JOURNAL_FOLDER,
        dirs.journal.path().display().to_string(),
    );
    conf.set(
        keys::MASTER_MOUNT_TABLE_ROOT_UFS,
        dirs.ufs.path().display().to_string(),
    );
    conf.set(keys::USER_BLOCK_SIZE_BYTES_DEFAULT, "100");
    for (key, value) in extra {
        conf.set(key, *value);
    }
    conf
}

struct Clients {
    fs: FileSystemMasterClientServiceClient<AuthChannel>,
    worker: BlockMasterWorkerServiceClient<AuthChannel>,
    block: BlockMasterClientServiceClient<AuthChannel>,
}

async fn channel(master: &RunningMaster) -> Channel {
    Channel::from_shared(format!("http://{}", master.rpc_addr()))
        .expect("uri")
        .connect()
        .await
        .expect("connect to the master")
}

/// Clients calling as this process's user (the master's too, by default: a superuser).
async fn clients(master: &RunningMaster) -> Clients {
    let channel = channel(master).await;
    let me = Credentials::from_conf(&Configuration::defaults()).expect("credentials");
    Clients {
        fs: FileSystemMasterClientServiceClient::new(me.on(channel.clone())),
        worker: BlockMasterWorkerServiceClient::new(me.on(channel.clone())),
        block: BlockMasterClientServiceClient::new(me.on(channel)),
    }
}

impl Clients {
    async fn register(&mut self, host: &str) -> u64 {
        let address = WorkerNetAddress {
            host: host.into(),
            rpc_port: 29998,
            data_port: 29999,
            web_port: 30000,
        };
        let request = GetWorkerIdRequest {
            address: Some(address),
        };
        let id = self
            .worker
            .get_worker_id(request)
            .await
            .unwrap()
            .into_inner()
            .worker_id;
        let register = RegisterWorkerRequest {
            worker_id: id,
            storage_tiers: vec!["MEM".into()],
            total_bytes_on_tiers: HashMap::from([("MEM".into(), 1 << 20)]),
            ..Default::default()
        };
        self.worker.register_worker(register).await.unwrap();
        id
    }

    async fn heartbeat(&mut self, worker: u64) -> BlockHeartbeatResponse {
        let request = BlockHeartbeatRequest {
            worker_id: worker,
            ..Default::default()
        };
        self.worker.block_heartbeat(request).await.unwrap().into_inner()
    }

    /// Creates and completes a MUST_CACHE file with blocks committed by `worker`.
    async fn write(&mut self, path: &str, length: u64, worker: u64) -> FileInfo {
        self.write_spread(path, WriteType::MustCache, length, &[worker])
            .await
    }

    /// Creates and completes a file of 100-byte blocks committed by `workers` in turn.
    async fn write_spread(
        &mut self,
        path: &str,
        write_type: WriteType,
        length: u64,
        workers: &[u64],
    ) -> FileInfo {
        let create = CreateFileRequest {
            path: path.into(),
            recursive: true,
            write_type: write_type.into(),
            ..Default::default()
        };
        self.fs.create_file(create).await.unwrap();
        let mut left = length;
        for worker in workers.iter().cycle() {
            if left == 0 {
                break;
            }
            let request = GetNewBlockIdForFileRequest {
                path: path.into(),
                ..Default::default()
            };
            let block_id = self
                .fs
                .get_new_block_id_for_file(request)
                .await
                .unwrap()
                .into_inner()
                .block_id;
            let commit = CommitBlockRequest {
                worker_id: *worker,
                tier_alias: "MEM".into(),
                block_id,
                length: left.min(100),
                used_bytes_on_tier: length,
            };
            self.worker.commit_block(commit).await.unwrap();
            left -= left.min(100);
        }
        let complete = CompleteFileRequest {
            path: path.into(),
            length,
            ..Default::default()
        };
        self.fs
            .complete_file(complete)
            .await
            .unwrap()
            .into_inner()
            .file_info
            .unwrap()
    }

    async fn status(&mut self, path: &str) -> Result<FileInfo, tonic::Status> {
        let request = GetStatusRequest {
            path: path.into(),
            load_metadata_type: LoadMetadataType::Never.into(),
            ..Default::default()
        };
        Ok(self
            .fs
            .get_status(request)
            .await?
            .into_inner()
            .file_info
            .unwrap_or_default())
    }

    /// The paths of a recursive listing, checked to arrive in path order.
    async fn list(&mut self, path: &str, load: LoadMetadataType) -> Vec<String> {
        let pages = self.list_pages(path, load).await;
        let paths: Vec<String> = pages.into_iter().flatten().collect();
        assert!(paths.is_sorted(), "{paths:?}");
        paths
    }

    /// The pages of a recursive listing as the master streams them.
    async fn list_pages(&mut self, path: &str, load: LoadMetadataType) -> Vec<Vec<String>> {
        let request = ListStatusRequest {
            path: path.into(),
            recursive: true,
            load_metadata_type: load.into(),
            ..Default::default()
        };
        let mut stream = self.fs.list_status(request).await.unwrap().into_inner();
        let mut pages = Vec::new();
        while let Some(page) = stream.message().await.unwrap() {
            pages.push(page.file_infos.into_iter().map(|i| i.path).collect());
        }
        pages
    }
}

#[tokio::test]
async fn namespace_operations_over_grpc() {
    let dirs = dirs();
    let master = start(conf(&dirs, &[])).await.unwrap();
    let mut c = clients(&master).await;
    let worker = c.register("host-a").await;
    let info = c.write("/a/b/file", 250, worker).await;
    assert_eq!((info.length, info.block_ids.len()), (250, 3));
    assert_eq!(
        c.list("/", LoadMetadataType::Never).await,
        ["/a", "/a/b", "/a/b/file"]
    );

    let bad =
        c.fs.get_status(GetStatusRequest {
            path: "no/slash".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(bad.unwrap_err().code(), Code::InvalidArgument);
    let missing = c.status("/nope").await.unwrap_err();
    assert_eq!(
        (missing.code(), missing.message()),
        (Code::NotFound, "Path /nope does not exist")
    );

    let rename = RenameRequest {
        src: "/a/b".into(),
        dst: "/c".into(),
        ..Default::default()
    };
    c.fs.rename(rename).await.unwrap();
    assert_eq!(c.status("/c/file").await.unwrap().file_id, info.file_id);
    let into_itself = RenameRequest {
        src: "/c".into(),
        dst: "/c/d".into(),
        ..Default::default()
    };
    assert_eq!(
        c.fs.rename(into_itself).await.unwrap_err().code(),
        Code::InvalidArgument
    );

    let keep = DeleteRequest {
        path: "/c".into(),
        ..Default::default()
    };
    assert_eq!(
        c.fs.delete(keep).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    let delete = DeleteRequest {
        path: "/c".into(),
        recursive: true,
        ..Default::default()
    };
    c.fs.delete(delete).await.unwrap();
    let command = c.heartbeat(worker).await.command.unwrap();
    assert_eq!(command.command_type(), CommandType::Free);
    assert_eq!(command.block_ids, info.block_ids);

    let block = c
        .block
        .get_block_info(GetBlockInfoRequest {
            block_id: info.block_ids[0],
        })
        .await;
    assert_eq!(block.unwrap_err().code(), Code::NotFound);
    master.shutdown().await.unwrap();
}

/// File system clients on `channel` calling as the user given (SIMPLE authentication).
fn simple_clients(channel: Channel) -> impl Fn(&str) -> FileSystemMasterClientServiceClient<AuthChannel> {
    move |user| {
        FileSystemMasterClientServiceClient::new(Credentials::new(AuthType::Simple, user).on(channel.clone()))
    }
}

#[tokio::test]
async fn calls_carry_their_user_and_a_mismatched_authentication_type_is_refused() {
    let dirs = dirs();
    let master = start(conf(&dirs, &[(keys::SECURITY_LOGIN_USERNAME, "admin")]))
        .await
        .unwrap();
    let channel = channel(&master).await;
    let as_user = simple_clients(channel.clone());
    let mkdir = |path: &str| CreateDirectoryRequest {
        path: path.into(),
        ..Default::default()
    };
    // The master's user (a superuser) makes a folder for alice; alice's files are hers.
    as_user("admin").create_directory(mkdir("/home")).await.unwrap();
    let chown = SetAttributeRequest {
        path: "/home".into(),
        owner: Some("alice".into()),
        ..Default::default()
    };
    as_user("admin").set_attribute(chown).await.unwrap();
    as_user("alice")
        .create_directory(mkdir("/home/docs"))
        .await
        .unwrap();
    let status = GetStatusRequest {
        path: "/home/docs".into(),
        ..Default::default()
    };
    let info = as_user("alice")
        .get_status(status)
        .await
        .unwrap()
        .into_inner()
        .file_info
        .unwrap();
    assert_eq!(
        (info.owner.as_str(), info.group.as_str()),
        ("alice", "admin"),
        "the parent's group"
    );
    let denied = as_user("bob")
        .create_directory(mkdir("/home/bobs"))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(
        denied.message(),
        "cannot create /home/bobs: permission denied: user=bob needs -w- on /home \
         (owner alice, group admin, mode rwxr-xr-x)"
    );

    // No credentials, or the other type: refused, saying what to set.
    let mut bare = FileSystemMasterClientServiceClient::new(channel.clone());
    let refused = bare.create_directory(mkdir("/x")).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(refused.message().contains("SIMPLE"), "{}", refused.message());
    let nosasl = Credentials::new(AuthType::NoSasl, "alice");
    let refused = FileSystemMasterClientServiceClient::new(nosasl.on(channel.clone()))
        .create_directory(mkdir("/x"))
        .await
        .unwrap_err();
    assert!(
        refused.message().contains("NOSASL")
            && refused.message().contains(keys::SECURITY_AUTHENTICATION_TYPE),
        "{}",
        refused.message()
    );
    master.shutdown().await.unwrap();

    // A NOSASL master checks nothing and takes plain gRPC clients.
    let open_dirs = self::dirs();
    let master = start(conf(
        &open_dirs,
        &[(keys::SECURITY_AUTHENTICATION_TYPE, "NOSASL")],
    ))
    .await
    .unwrap();
    let mut bare = FileSystemMasterClientServiceClient::new(self::channel(&master).await);
    bare.create_directory(mkdir("/anyone")).await.unwrap();
    master.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_call_acts_for_another_user_only_as_the_rules_allow() {
    let dirs = dirs();
    let rules = [
        (keys::SECURITY_LOGIN_USERNAME, "admin"),
        ("alluxio.master.security.impersonation.proxy.users", "alice,admin"),
    ];
    let master = start(conf(&dirs, &rules)).await.unwrap();
    let channel = channel(&master).await;
    // `login`'s client, acting for `user`.
    let acting = |login: &str, user: &str, path: &str| {
        let mut client = FileSystemMasterClientServiceClient::new(
            Credentials::new(AuthType::Simple, login).on(channel.clone()),
        );
        let mut request = tonic::Request::new(CreateDirectoryRequest {
            path: path.into(),
            ..Default::default()
        });
        OnBehalfOf::new(user).attach(request.metadata_mut());
        async move { client.create_directory(request).await }
    };
    let open = SetAttributeRequest {
        path: "/".into(),
        mode: Some(0o777),
        ..Default::default()
    };
    FileSystemMasterClientServiceClient::new(Credentials::new(AuthType::Simple, "admin").on(channel.clone()))
        .set_attribute(open)
        .await
        .unwrap();
    let owner = |path: &'static str| {
        let mut client = FileSystemMasterClientServiceClient::new(
            Credentials::new(AuthType::Simple, "admin").on(channel.clone()),
        );
        async move {
            let status = GetStatusRequest {
                path: path.into(),
                ..Default::default()
            };
            client
                .get_status(status)
                .await
                .unwrap()
                .into_inner()
                .file_info
                .unwrap()
                .owner
        }
    };
    // The rule lets the proxy act for alice: her folder.
    acting("proxy", "alice", "/alices").await.unwrap();
    assert_eq!(owner("/alices").await, "alice");
    // Not for bob, and not for the master's user (a superuser), whatever the rule lists.
    for user in ["bob", "admin"] {
        let refused = acting("proxy", user, "/refused").await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
        assert!(
            refused
                .message()
                .contains(&format!("user=proxy may not act for user={user}")),
            "{}",
            refused.message()
        );
    }
    // Carol has no rule at all; the master's user needs none.
    let refused = acting("carol", "alice", "/refused").await.unwrap_err();
    assert!(
        refused.message().contains("not configured to act for anyone"),
        "{}",
        refused.message()
    );
    acting("admin", "dave", "/daves").await.unwrap();
    assert_eq!(owner("/daves").await, "dave");
    // Acting for oneself is plain.
    acting("erin", "erin", "/erins").await.unwrap();
    assert_eq!(owner("/erins").await, "erin");
    master.shutdown().await.unwrap();
}

#[tokio::test]
async fn free_sends_free_commands_for_persisted_files_only() {
    let dirs = dirs();
    let master = start(conf(&dirs, &[])).await.unwrap();
    let mut c = clients(&master).await;
    let worker = c.register("host-a").await;
    let info = c.write("/cached", 50, worker).await;
    let free = FreeRequest {
        path: "/cached".into(),
        ..Default::default()
    };
    let err = c.fs.free(free.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(err.message(), "Cannot free file /cached which is not persisted");

    let persist = ScheduleAsyncPersistenceRequest {
        path: "/cached".into(),
    };
    c.fs.schedule_async_persistence(persist).await.unwrap();
    let jobs = c.heartbeat(worker).await.persist_files;
    assert_eq!(jobs.iter().map(|j| j.file_id).collect::<Vec<_>>(), [info.file_id]);
    std::fs::write(dirs.ufs.path().join("cached"), vec![0u8; 50]).unwrap();
    let done = BlockHeartbeatRequest {
        worker_id: worker,
        persisted_file_ids: vec![info.file_id],
        ..Default::default()
    };
    c.worker.block_heartbeat(done).await.unwrap();
    assert!(c.status("/cached").await.unwrap().persisted);
    c.fs.free(free).await.unwrap();
    let command = c.heartbeat(worker).await.command.unwrap();
    assert_eq!(command.command_type(), CommandType::Free);
    assert_eq!(command.block_ids, info.block_ids);
    let removed = BlockHeartbeatRequest {
        worker_id: worker,
        removed_block_ids: info.block_ids.clone(),
        ..Default::default()
    };
    c.worker.block_heartbeat(removed).await.unwrap();
    assert_eq!(c.status("/cached").await.unwrap().in_alluxio_percentage, 0);
    master.shutdown().await.unwrap();
}

#[tokio::test]
async fn workers_register_heartbeat_and_get_lost() {
    let dirs = dirs();
    let timing = [
        (keys::MASTER_WORKER_TIMEOUT, "300ms"),
        (keys::MASTER_WORKER_HEARTBEAT_INTERVAL, "20ms"),
    ];
    let master = start(conf(&dirs, &timing)).await.unwrap();
    let mut c = clients(&master).await;
    let worker = c.register("host-a").await;
    assert_eq!(c.register("host-a").await, worker, "same address, same id");
    let info = c.write("/f", 10, worker).await;
    let list = c
        .block
        .get_worker_info_list(GetWorkerInfoListRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.live_workers.len(), 1);
    assert_eq!(list.live_workers[0].capacity_bytes, 1 << 20);
    let totals = c
        .block
        .get_block_master_info(GetBlockMasterInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((totals.live_worker_num, totals.capacity_bytes), (1, 1 << 20));

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = c
            .block
            .get_worker_info_list(GetWorkerInfoListRequest {})
            .await
            .unwrap()
            .into_inner();
        if list.lost_workers.len() == 1 {
            assert_eq!(list.lost_workers[0].state, "Out of Service");
            break;
        }
        assert!(Instant::now() < deadline, "the worker was never declared lost");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        c.status("/f").await.unwrap().in_alluxio_percentage,
        0,
        "locations dropped"
    );
    assert_eq!(info.in_alluxio_percentage, 100);
    let command = c.heartbeat(worker).await.command.unwrap();
    assert_eq!(command.command_type(), CommandType::Register);
    let unknown = CommitBlockRequest {
        worker_id: worker,
        block_id: info.block_ids[0],
        ..Default::default()
    };
    assert_eq!(
        c.worker.commit_block(unknown).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    master.shutdown().await.unwrap();
}

#[tokio::test]
async fn ufs_files_are_loaded_on_listing() {
    let dirs = dirs();
    std::fs::create_dir_all(dirs.ufs.path().join("in/deep")).unwrap();
    std::fs::write(dirs.ufs.path().join("in/x"), vec![1u8; 120]).unwrap();
    std::fs::write(dirs.ufs.path().join("in/deep/y"), b"y").unwrap();
    let master = start(conf(&dirs, &[])).await.unwrap();
    let mut c = clients(&master).await;
    assert!(c.list("/", LoadMetadataType::Never).await.is_empty());
    assert_eq!(
        c.list("/", LoadMetadataType::Once).await,
        ["/in", "/in/deep", "/in/deep/y", "/in/x"]
    );
    let x = c.status("/in/x").await.unwrap();
    assert!(x.persisted && x.completed);
    assert_eq!((x.length, x.block_ids.len()), (120, 2));
    assert!(x.ufs_path.ends_with("/in/x"));

    // A large listing streams in pages of at most 1,000 entries, still in path order.
    let many = dirs.ufs.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..2_500 {
        std::fs::write(many.join(format!("f{i}")), b"").unwrap();
    }
    let pages = c.list_pages("/many", LoadMetadataType::Once).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [1_000, 1_000, 500]);
    assert!(pages.concat().is_sorted());
    master.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_restarted_master_keeps_its_namespace() {
    restart_keeps_the_namespace(&[]).await;
}

/// The same with the disk metastore, which the restarted master resumes from (its file holds
/// the namespace as of the shutdown) instead of replaying the journal.
#[tokio::test]
async fn a_restarted_master_keeps_its_namespace_in_the_disk_metastore() {
    let metastore = tempfile::tempdir().unwrap();
    let dir = metastore.path().display().to_string();
    restart_keeps_the_namespace(&[
        (keys::MASTER_METASTORE, "ROCKS"),
        (keys::MASTER_METASTORE_DIR, &dir),
        (keys::MASTER_METASTORE_INODE_CACHE_MAX_SIZE, "2"),
    ])
    .await;
    assert!(
        metastore.path().join("inodes.redb").is_file(),
        "the metastore is kept"
    );
}

async fn restart_keeps_the_namespace(metastore: &[(&str, &str)]) {
    let dirs = dirs();
    // A checkpoint every few entries, so recovery reads a checkpoint and a log tail.
    let mut settings = vec![(keys::MASTER_JOURNAL_CHECKPOINT_PERIOD_ENTRIES, "5")];
    settings.extend_from_slice(metastore);
    let master = start(conf(&dirs, &settings)).await.unwrap();
    let mut c = clients(&master).await;
    let worker = c.register("host-a").await;
    let before = c.write("/dir/one", 230, worker).await;
    c.write("/dir/two", 0, worker).await;
    let pin = SetAttributeRequest {
        path: "/dir/one".into(),
        pinned: Some(true),
        ttl: Some(60_000),
        ..Default::default()
    };
    c.fs.set_attribute(pin).await.unwrap();
    let rm = DeleteRequest {
        path: "/dir/two".into(),
        ..Default::default()
    };
    c.fs.delete(rm).await.unwrap();
    master.shutdown().await.unwrap();
    assert!(
        checkpoint_in(dirs.journal.path()).is_some(),
        "a checkpoint was written"
    );

    let master = start(conf(&dirs, &settings)).await.unwrap();
    let mut c = clients(&master).await;
    let after = c.status("/dir/one").await.unwrap();
    assert_eq!(after.file_id, before.file_id);
    assert_eq!(after.block_ids, before.block_ids);
    assert_eq!((after.length, after.pinned, after.ttl), (230, true, 60_000));
    assert_eq!(c.status("/dir/two").await.unwrap_err().code(), Code::NotFound);
    let create = CreateFileRequest {
        path: "/dir/three".into(),
        ..Default::default()
    };
    let three =
        c.fs.create_file(create)
            .await
            .unwrap()
            .into_inner()
            .file_info
            .unwrap();
    assert!(
        three.file_id > before.file_id,
        "ids are not reused after a restart"
    );
    let beat = c.heartbeat(worker).await.command.unwrap();
    assert_eq!(
        beat.command_type(),
        CommandType::Register,
        "the new master does not know the worker"
    );
    master.shutdown().await.unwrap();
}

/// A change retried with the id its first attempt carried is answered, not applied again: by
/// the master that applied it, and by a master that read it from the journal (as a standby
/// taking over does). Changes with another id are applied (or refused) as usual.
#[tokio::test]
async fn a_retried_change_is_answered_once_even_after_a_restart() {
    let dirs = dirs();
    let master = start(conf(&dirs, &[])).await.unwrap();
    let mut c = clients(&master).await;
    let id = |low| Some(OperationId { high: 1, low });
    let mkdir = CreateDirectoryRequest {
        path: "/d".into(),
        operation_id: id(1),
        ..Default::default()
    };
    let create = CreateFileRequest {
        path: "/d/f".into(),
        operation_id: id(2),
        ..Default::default()
    };
    let block = GetNewBlockIdForFileRequest {
        path: "/d/f".into(),
        operation_id: id(3),
    };
    let rename = RenameRequest {
        src: "/d/f".into(),
        dst: "/d/g".into(),
        operation_id: id(4),
    };
    c.fs.create_directory(mkdir.clone()).await.unwrap();
    let created = c.fs.create_file(create.clone()).await.unwrap().into_inner();
    let first_block = c.fs.get_new_block_id_for_file(block.clone()).await.unwrap();
    let first_block = first_block.into_inner().block_id;
    for _ in 0..2 {
        c.fs.create_directory(mkdir.clone()).await.unwrap();
        let again = c.fs.create_file(create.clone()).await.unwrap().into_inner();
        assert_eq!(
            again.file_info.unwrap().file_id,
            created.file_info.clone().unwrap().file_id
        );
        let again = c.fs.get_new_block_id_for_file(block.clone()).await.unwrap();
        assert_eq!(again.into_inner().block_id, first_block, "no second block");
    }
    assert_eq!(c.status("/d/f").await.unwrap().block_ids, vec![first_block]);
    // The same change under a new id is a new change.
    let fresh = CreateFileRequest {
        operation_id: id(5),
        ..create.clone()
    };
    assert_eq!(
        c.fs.create_file(fresh).await.unwrap_err().code(),
        Code::AlreadyExists
    );
    c.fs.rename(rename.clone()).await.unwrap();
    master.shutdown().await.unwrap();

    // A master reading the journal knows every change it holds.
    let master = start(conf(&dirs, &[])).await.unwrap();
    let mut c = clients(&master).await;
    c.fs.rename(rename).await.unwrap();
    c.fs.create_directory(mkdir).await.unwrap();
    let again = c.fs.get_new_block_id_for_file(block).await.unwrap();
    assert_eq!(again.into_inner().block_id, first_block);
    assert_eq!(c.status("/d/g").await.unwrap().block_ids, vec![first_block]);
    assert_eq!(c.status("/d/f").await.unwrap_err().code(), Code::NotFound);
    let delete = DeleteRequest {
        path: "/d/g".into(),
        operation_id: id(6),
        ..Default::default()
    };
    c.fs.delete(delete.clone()).await.unwrap();
    c.fs.delete(delete).await.unwrap();
    master.shutdown().await.unwrap();
}

/// A master relaunched on another host (nothing of the first one's disk) recovers the namespace
/// from a journal in S3, checkpoint and log tail alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_elsewhere_recovers_from_a_journal_in_s3() {
    let s3 = alluxio_testkit::s3::S3Server::start(&["journal"]).await.unwrap();
    let journal_uri = "s3://journal/alluxio/journal";
    // The root UFS is shared storage too; the local journal folder is set aside for the S3 one.
    let shared = dirs();
    let settings = || {
        let mut conf = conf(&shared, &[(keys::MASTER_JOURNAL_CHECKPOINT_PERIOD_ENTRIES, "5")]);
        conf.set(keys::MASTER_JOURNAL_FOLDER, journal_uri);
        for (key, value) in s3.properties() {
            conf.set(&key, value);
        }
        conf
    };

    let first = start(settings()).await.unwrap();
    let mut c = clients(&first).await;
    let worker = c.register("host-a").await;
    let mut written = Vec::new();
    for i in 0..8 {
        written.push(c.write(&format!("/data/part-{i}"), 150, worker).await);
    }
    first.shutdown().await.unwrap();
    assert_eq!(std::fs::read_dir(shared.journal.path()).unwrap().count(), 0);
    let keys = s3.keys("journal").unwrap();
    assert!(
        keys.iter().any(|k| k.starts_with("alluxio/journal/checkpoints/"))
            && keys.iter().any(|k| k.starts_with("alluxio/journal/logs/")),
        "a checkpoint and a log tail in the bucket: {keys:?}"
    );

    let second = start(settings()).await.unwrap();
    let mut c = clients(&second).await;
    for before in &written {
        let after = c.status(&before.path).await.unwrap();
        assert_eq!(
            (after.file_id, after.length, &after.block_ids),
            (before.file_id, 150, &before.block_ids)
        );
    }
    let listed = c.list("/data", LoadMetadataType::Never).await;
    assert_eq!(listed.len(), 8, "{listed:?}");
    second.shutdown().await.unwrap();
}

/// The newest checkpoint file of a local journal folder (`checkpoint.<through>.e<epoch>`).
fn checkpoint_in(journal: &std::path::Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(journal)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("checkpoint.") && !name.ends_with(".tmp")
        })
        .max()
}

#[tokio::test]
async fn a_corrupt_journal_stops_the_start() {
    let dirs = dirs();
    let master = start(conf(
        &dirs,
        &[(keys::MASTER_JOURNAL_CHECKPOINT_PERIOD_ENTRIES, "1")],
    ))
    .await
    .unwrap();
    let mut c = clients(&master).await;
    c.write("/f", 0, 0).await;
    master.shutdown().await.unwrap();
    let checkpoint = checkpoint_in(dirs.journal.path()).expect("a checkpoint was written");
    std::fs::write(checkpoint, b"definitely not a checkpoint").unwrap();
    let result = start(conf(&dirs, &[])).await;
    assert!(
        matches!(result, Err(MasterError::Journal(_))),
        "{:?}",
        result.err()
    );
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn web_port_serves_health_and_json() {
    let dirs = dirs();
    let master = start(conf(
        &dirs,
        &[
            (keys::MASTER_HOSTNAME, "master.example"),
            (keys::WEB_HEADER_READ_TIMEOUT, "300ms"),
        ],
    ))
    .await
    .unwrap();
    // A request head that never ends loses its connection after the header timeout.
    let mut slow = tokio::net::TcpStream::connect(master.web_addr()).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "the master's web port kept a slow-header connection open"
    );
    let health = http_get(master.web_addr(), "/health").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("OK"), "{health}");
    let info = http_get(master.web_addr(), "/api/v1/master/info").await;
    let body = info.split("\r\n\r\n").nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    // The configured host name, not the bind address clients cannot always reach.
    let rpc = format!("master.example:{}", master.rpc_addr().port());
    let web = format!("master.example:{}", master.web_addr().port());
    assert_eq!(
        (&json["rpcAddress"], &json["webAddress"]),
        (&rpc.into(), &web.into())
    );
    assert_eq!(json["workerCount"], 0);
    let version = http_get(master.web_addr(), "/api/v1/master/version").await;
    assert!(
        version.ends_with(&format!("\"{}\"", alluxio_proto::VERSION)),
        "{version}"
    );
    let missing = http_get(master.web_addr(), "/nothing/here").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    master.shutdown().await.unwrap();
}

#[tokio::test]
async fn format_wipes_the_namespace() {
    let dirs = dirs();
    let master = start(conf(&dirs, &[])).await.unwrap();
    let mut c = clients(&master).await;
    c.write("/kept-until-format", 0, 0).await;
    master.shutdown().await.unwrap();
    alluxio_master::format(&conf(&dirs, &[])).unwrap();
    let master = start(conf(&dirs, &[])).await.unwrap();
    let mut c = clients(&master).await;
    assert_eq!(
        c.status("/kept-until-format").await.unwrap_err().code(),
        Code::NotFound
    );
    master.shutdown().await.unwrap();
}

#[tokio::test]
async fn async_through_blocks_on_two_workers_are_persisted_by_the_fuller_one() {
    let dirs = dirs();
    let master = start(conf(&dirs, &[])).await.unwrap();
    let mut c = clients(&master).await;
    let (w1, w2) = (c.register("w1").await, c.register("w2").await);
    let info = c
        .write_spread("/spread", WriteType::AsyncThrough, 300, &[w1, w2, w2])
        .await;
    assert_eq!(info.persistence_state(), PersistenceState::ToBePersisted);
    assert!(c.heartbeat(w1).await.persist_files.is_empty());
    let jobs = c.heartbeat(w2).await.persist_files;
    assert_eq!(
        jobs.len(),
        1,
        "the worker holding 2 of the 3 blocks persists the file"
    );
    assert_eq!((jobs[0].file_id, jobs[0].length), (info.file_id, 300));
    assert_eq!(jobs[0].block_ids, info.block_ids);
    std::fs::write(dirs.ufs.path().join("spread"), [7u8; 300]).unwrap();
    let done = BlockHeartbeatRequest {
        worker_id: w2,
        persisted_file_ids: vec![info.file_id],
        ..Default::default()
    };
    c.worker.block_heartbeat(done).await.unwrap();
    let status = c.status("/spread").await.unwrap();
    assert_eq!(status.persistence_state(), PersistenceState::Persisted);
    master.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_mounts_credentials_reach_superusers_only() {
    let dirs = dirs();
    let master = start(conf(&dirs, &[(keys::SECURITY_LOGIN_USERNAME, "admin")]))
        .await
        .unwrap();
    let as_user = simple_clients(channel(&master).await);
    let other = tempfile::tempdir().unwrap();
    let mount = MountRequest {
        path: "/data".into(),
        ufs_uri: other.path().display().to_string(),
        properties: [
            ("aws.secretKey".to_string(), "s3cr3t".to_string()),
            (
                "alluxio.underfs.s3.endpoint".to_string(),
                "http://127.0.0.1:1".to_string(),
            ),
        ]
        .into(),
        ..Default::default()
    };
    as_user("admin").mount(mount).await.unwrap();
    let table = as_user("admin")
        .get_mount_table(GetMountTableRequest::default())
        .await
        .unwrap()
        .into_inner();
    let data = &table.mount_points["/data"];
    // Listings mask secrets for everyone, superusers included.
    assert_eq!(data.properties["aws.secretKey"], "******");
    assert_eq!(
        data.properties["alluxio.underfs.s3.endpoint"],
        "http://127.0.0.1:1"
    );
    let ufs_info = |user: &str| {
        let mut client = as_user(user);
        let mount_id = data.mount_id;
        async move {
            client
                .get_ufs_info(GetUfsInfoRequest { mount_id })
                .await
                .unwrap()
                .into_inner()
                .ufs_info
                .unwrap()
                .properties
        }
    };
    // Workers run as the master's user: they get the credentials to reach the UFS.
    assert_eq!(ufs_info("admin").await["aws.secretKey"], "s3cr3t");
    assert_eq!(ufs_info("alice").await["aws.secretKey"], "******");
    master.shutdown().await.unwrap();
}
