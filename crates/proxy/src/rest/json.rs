//! The JSON of the REST API: FileInfo as Alluxio 1.x writes it, and the option objects of each
//! action as its clients send them (camelCase; an empty body means every default).
//!
//! Options are read strictly: a field this proxy cannot honour (access modes, per-call location
//! policies, replication) is refused with INVALID_ARGUMENT naming it, never accepted and
//! silently ignored.

use std::collections::BTreeMap;

use alluxio_client::{
    CreateDirectoryOptions, CreateFileOptions, DeleteOptions, FileInfo, FreeOptions, GetStatusOptions,
    ListStatusOptions, MountOptions, OpenFileOptions, SetAttributeOptions,
};
use alluxio_proto::grpc::{self, LoadMetadataType, ReadType, TtlAction, WriteType};
use serde::Deserialize;
use serde_json::{Value, json};

/// FileInfo with every key PyPI's `alluxio` client reads (and Alluxio 1.x writes).
pub(crate) fn file_info(info: &FileInfo) -> Value {
    let blocks: Vec<Value> = info.file_block_infos.iter().map(file_block_info).collect();
    json!({
        "blockIds": info.block_ids,
        "blockSizeBytes": info.block_size_bytes,
        "cacheable": info.cacheable,
        "completed": info.completed,
        "creationTimeMs": info.creation_time_ms,
        "fileBlockInfos": blocks,
        "fileId": info.file_id,
        "folder": info.folder,
        "group": info.group,
        "inAlluxioPercentage": info.in_alluxio_percentage,
        "inMemoryPercentage": info.in_memory_percentage,
        "lastModificationTimeMs": info.last_modification_time_ms,
        "length": info.length,
        "mode": info.mode,
        "mountPoint": info.mount_point,
        "name": info.name,
        "owner": info.owner,
        "path": info.path,
        "persisted": info.persisted,
        "persistenceState": info.persistence_name(),
        "pinned": info.pinned,
        "ttl": info.ttl,
        "ttlAction": ttl_action_name(info.ttl_action()),
        "ufsPath": info.ufs_path,
    })
}

fn file_block_info(block: &grpc::FileBlockInfo) -> Value {
    let info = block.block_info.clone().unwrap_or_default();
    let locations: Vec<Value> = info
        .locations
        .iter()
        .map(|location| {
            let address = location.worker_address.clone().unwrap_or_default();
            json!({
                "workerId": location.worker_id,
                "workerAddress": {
                    "host": address.host,
                    "rpcPort": address.rpc_port,
                    "dataPort": address.data_port,
                    "webPort": address.web_port,
                },
                "tierAlias": location.tier_alias,
            })
        })
        .collect();
    json!({
        "blockInfo": {
            "blockId": info.block_id,
            "length": info.length,
            "locations": locations,
        },
        "offset": block.offset,
        "ufsLocations": block.ufs_locations,
    })
}

fn ttl_action_name(action: TtlAction) -> &'static str {
    match action {
        TtlAction::Delete => "DELETE",
        TtlAction::Free => "FREE",
    }
}

/// A write type as the REST API spells it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum WriteTypeName {
    MustCache,
    CacheThrough,
    Through,
    AsyncThrough,
}

impl From<WriteTypeName> for WriteType {
    fn from(name: WriteTypeName) -> Self {
        match name {
            WriteTypeName::MustCache => WriteType::MustCache,
            WriteTypeName::CacheThrough => WriteType::CacheThrough,
            WriteTypeName::Through => WriteType::Through,
            WriteTypeName::AsyncThrough => WriteType::AsyncThrough,
        }
    }
}

/// A read type as the REST API spells it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum ReadTypeName {
    NoCache,
    Cache,
    CachePromote,
}

impl From<ReadTypeName> for ReadType {
    fn from(name: ReadTypeName) -> Self {
        match name {
            ReadTypeName::NoCache => ReadType::NoCache,
            ReadTypeName::Cache => ReadType::Cache,
            ReadTypeName::CachePromote => ReadType::CachePromote,
        }
    }
}

/// A TTL action as the REST API spells it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum TtlActionName {
    Delete,
    Free,
}

impl From<TtlActionName> for TtlAction {
    fn from(name: TtlActionName) -> Self {
        match name {
            TtlActionName::Delete => TtlAction::Delete,
            TtlActionName::Free => TtlAction::Free,
        }
    }
}

/// When to load metadata from the UFS, as Alluxio 1.x spells it (`Never`, `Once`, `Always`) or
/// as PyPI's client does (`NEVER`, `ONCE`, `ALWAYS`).
#[derive(Debug, Clone, Copy, Deserialize)]
enum LoadMetadataName {
    #[serde(alias = "NEVER")]
    Never,
    #[serde(alias = "ONCE")]
    Once,
    #[serde(alias = "ALWAYS")]
    Always,
}

impl From<LoadMetadataName> for LoadMetadataType {
    fn from(name: LoadMetadataName) -> Self {
        match name {
            LoadMetadataName::Never => LoadMetadataType::Never,
            LoadMetadataName::Once => LoadMetadataType::Once,
            LoadMetadataName::Always => LoadMetadataType::Always,
        }
    }
}

/// Fields a client may send that this proxy cannot apply per call; present = refused.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Unsupported {
    mode: Option<Value>,
    owner: Option<Value>,
    group: Option<Value>,
    location_policy_class: Option<Value>,
    cache_location_policy_class: Option<Value>,
    ufs_read_location_policy_class: Option<Value>,
    max_ufs_read_concurrency: Option<Value>,
    replication_durable: Option<Value>,
    replication_max: Option<Value>,
    replication_min: Option<Value>,
}

impl Unsupported {
    /// The first field set, with why it is refused.
    fn check(&self) -> Result<(), String> {
        let refused = [
            (
                "mode",
                self.mode.is_some(),
                "access modes are not enforced by this cluster yet",
            ),
            (
                "owner",
                self.owner.is_some(),
                "file owners are not recorded by this cluster yet",
            ),
            (
                "group",
                self.group.is_some(),
                "file groups are not recorded by this cluster yet",
            ),
            (
                "locationPolicyClass",
                self.location_policy_class.is_some(),
                "set alluxio.user.file.write.location.policy.class on the proxy instead",
            ),
            (
                "cacheLocationPolicyClass",
                self.cache_location_policy_class.is_some(),
                "set alluxio.user.file.write.location.policy.class on the proxy instead",
            ),
            (
                "ufsReadLocationPolicyClass",
                self.ufs_read_location_policy_class.is_some(),
                "set alluxio.user.ufs.block.read.location.policy on the proxy instead",
            ),
            (
                "maxUfsReadConcurrency",
                self.max_ufs_read_concurrency.is_some(),
                "it has no per-call setting here",
            ),
            (
                "replicationDurable",
                self.replication_durable.is_some(),
                "block replication is not supported",
            ),
            (
                "replicationMax",
                self.replication_max.is_some(),
                "block replication is not supported",
            ),
            (
                "replicationMin",
                self.replication_min.is_some(),
                "block replication is not supported",
            ),
        ];
        match refused.into_iter().find(|(_, set, _)| *set) {
            Some((field, _, why)) => Err(format!("option '{field}' is not supported: {why}")),
            None => Ok(()),
        }
    }
}

/// Parses an action's option object (empty body = defaults), refusing unknown fields and the
/// fields in [`Unsupported`].
pub(crate) fn options<T: OptionsBody>(body: &[u8]) -> Result<T::Options, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default().into_options());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the options are not valid JSON: {e}"))?;
    if !value.is_object() {
        return Err(format!("the options must be a JSON object, not {value}"));
    }
    let unsupported: Unsupported = serde_json::from_value(value.clone()).unwrap_or_default();
    unsupported.check()?;
    let parsed: T = serde_json::from_value(without_nulls(value))
        .map_err(|e| format!("invalid options for this action: {e}"))?;
    Ok(parsed.into_options())
}

/// The option object without its null fields, which mean "the default" as absent ones do.
fn without_nulls(mut value: Value) -> Value {
    if let Some(object) = value.as_object_mut() {
        object.retain(|_, field| !field.is_null());
    }
    value
}

/// An action's JSON option object and the client options it becomes.
pub(crate) trait OptionsBody: for<'de> Deserialize<'de> + Default {
    /// The client's options.
    type Options;
    /// Converts the parsed object.
    fn into_options(self) -> Self::Options;
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateDirectoryBody {
    allow_exists: Option<bool>,
    recursive: Option<bool>,
    write_type: Option<WriteTypeName>,
}

impl OptionsBody for CreateDirectoryBody {
    type Options = CreateDirectoryOptions;
    fn into_options(self) -> CreateDirectoryOptions {
        CreateDirectoryOptions {
            recursive: self.recursive.unwrap_or(false),
            allow_exists: self.allow_exists.unwrap_or(false),
            write_type: self.write_type.map(WriteType::from),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateFileBody {
    block_size_bytes: Option<u64>,
    recursive: Option<bool>,
    ttl: Option<i64>,
    ttl_action: Option<TtlActionName>,
    write_type: Option<WriteTypeName>,
}

impl OptionsBody for CreateFileBody {
    type Options = CreateFileOptions;
    fn into_options(self) -> CreateFileOptions {
        CreateFileOptions {
            recursive: self.recursive.unwrap_or(false),
            block_size_bytes: self.block_size_bytes,
            write_type: self.write_type.map(WriteType::from),
            ttl: self.ttl,
            ttl_action: self.ttl_action.map(TtlAction::from),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeleteBody {
    recursive: Option<bool>,
}

impl OptionsBody for DeleteBody {
    type Options = DeleteOptions;
    fn into_options(self) -> DeleteOptions {
        DeleteOptions {
            recursive: self.recursive.unwrap_or(false),
            alluxio_only: false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FreeBody {
    recursive: Option<bool>,
}

impl OptionsBody for FreeBody {
    type Options = FreeOptions;
    fn into_options(self) -> FreeOptions {
        FreeOptions {
            recursive: self.recursive.unwrap_or(false),
            forced: false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetStatusBody {
    load_metadata_type: Option<LoadMetadataName>,
}

impl OptionsBody for GetStatusBody {
    type Options = GetStatusOptions;
    fn into_options(self) -> GetStatusOptions {
        GetStatusOptions {
            load_metadata_type: self.load_metadata_type.map(LoadMetadataType::from),
        }
    }
}

/// Actions that take no options: `exists`, `rename`, `unmount`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoBody {}

impl OptionsBody for NoBody {
    type Options = ();
    fn into_options(self) {}
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ListStatusBody {
    load_metadata_type: Option<LoadMetadataName>,
}

impl OptionsBody for ListStatusBody {
    type Options = ListStatusOptions;
    fn into_options(self) -> ListStatusOptions {
        ListStatusOptions {
            load_metadata_type: self.load_metadata_type.map(LoadMetadataType::from),
            ..Default::default()
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MountBody {
    properties: Option<BTreeMap<String, String>>,
    read_only: Option<bool>,
    shared: Option<bool>,
}

impl OptionsBody for MountBody {
    type Options = MountOptions;
    fn into_options(self) -> MountOptions {
        MountOptions {
            read_only: self.read_only.unwrap_or(false),
            shared: self.shared.unwrap_or(false),
            properties: self.properties.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct OpenFileBody {
    read_type: Option<ReadTypeName>,
}

impl OptionsBody for OpenFileBody {
    type Options = OpenFileOptions;
    fn into_options(self) -> OpenFileOptions {
        OpenFileOptions {
            read_type: self.read_type.map(ReadType::from),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SetAttributeBody {
    owner: Option<String>,
    group: Option<String>,
    pinned: Option<bool>,
    recursive: Option<bool>,
    ttl: Option<i64>,
    ttl_action: Option<TtlActionName>,
}

impl OptionsBody for SetAttributeBody {
    type Options = SetAttributeOptions;
    fn into_options(self) -> SetAttributeOptions {
        SetAttributeOptions {
            pinned: self.pinned,
            ttl: self.ttl,
            ttl_action: self.ttl_action.map(TtlAction::from),
            owner: self.owner,
            group: self.group,
            recursive: self.recursive.unwrap_or(false),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_bodies_mean_defaults() {
        let created = options::<CreateFileBody>(b"").unwrap();
        assert!(!created.recursive);
        assert!(created.write_type.is_none());
        let deleted = options::<DeleteBody>(b" \n").unwrap();
        assert!(!deleted.recursive);
    }

    #[test]
    fn option_objects_as_the_python_client_sends_them() {
        let created = options::<CreateFileBody>(
            br#"{"blockSizeBytes": 1048576, "recursive": true, "ttl": 60000, "ttlAction": "FREE", "writeType": "CACHE_THROUGH"}"#,
        )
        .unwrap();
        assert_eq!(created.block_size_bytes, Some(1 << 20));
        assert!(created.recursive);
        assert_eq!(created.ttl, Some(60_000));
        assert_eq!(created.ttl_action, Some(TtlAction::Free));
        assert_eq!(created.write_type, Some(WriteType::CacheThrough));
        let listed = options::<ListStatusBody>(br#"{"loadMetadataType": "Always"}"#).unwrap();
        assert_eq!(listed.load_metadata_type, Some(LoadMetadataType::Always));
        let listed = options::<ListStatusBody>(br#"{"loadMetadataType": "NEVER"}"#).unwrap();
        assert_eq!(listed.load_metadata_type, Some(LoadMetadataType::Never));
    }

    #[test]
    fn unknown_unsupported_and_malformed_options_are_refused_by_name() {
        let err = options::<CreateFileBody>(br#"{"writeType": "SOMETIMES"}"#).unwrap_err();
        assert!(err.contains("SOMETIMES"), "{err}");
        let err = options::<DeleteBody>(br#"{"recursiv": true}"#).unwrap_err();
        assert!(err.contains("recursiv"), "{err}");
        let err = options::<CreateDirectoryBody>(
            br#"{"mode": {"ownerBits": "ALL", "groupBits": "READ", "otherBits": "NONE"}}"#,
        )
        .unwrap_err();
        assert!(err.contains("'mode'"), "{err}");
        let err = options::<OpenFileBody>(b"{not json").unwrap_err();
        assert!(err.contains("not valid JSON"), "{err}");
        let err = options::<NoBody>(b"[1]").unwrap_err();
        assert!(err.contains("JSON object"), "{err}");
    }
}
