//! What every call and stream of one client shares: configuration defaults (validated once),
//! the master client, worker selection and location policies, the data-connection pool and the
//! blocks being cached passively.

use std::collections::HashSet;
use std::sync::Arc;

use alluxio_conf::{Configuration, keys};
use alluxio_proto::data::MAX_CHUNK_LEN;
use alluxio_proto::grpc::{LoadMetadataType, ReadType, WriteType};
use parking_lot::Mutex;

use crate::master_client::MasterClient;
use crate::metrics::ClientMetrics;
use crate::policy::{LocationPolicy, WorkerSelector};
use crate::worker_client::DataPool;
use crate::{ClientError, ErrorKind};

/// Smallest chunk sent to a worker, whatever the buffer setting.
const MIN_CHUNK_BYTES: u64 = 64 * 1024;

/// The `alluxio.user.*` defaults, parsed once so a bad value fails at connect, naming its key.
pub(crate) struct Defaults {
    pub(crate) write_type: WriteType,
    pub(crate) read_type: ReadType,
    pub(crate) block_size: u64,
    pub(crate) chunk_size: usize,
    pub(crate) write_tier: u32,
    pub(crate) load_metadata_type: LoadMetadataType,
    /// Milliseconds; `None` (-1) never syncs.
    pub(crate) sync_interval_ms: Option<i64>,
    pub(crate) short_circuit: bool,
    /// Copy blocks read from a remote worker to a worker on this host.
    pub(crate) passive_cache: bool,
}

impl Defaults {
    fn from_conf(conf: &Configuration) -> Result<Self, ClientError> {
        let block_size = conf.get_bytes(keys::USER_BLOCK_SIZE_BYTES_DEFAULT)?;
        if block_size == 0 {
            return Err(ClientError::new(
                ErrorKind::InvalidArgument,
                format!("{} must be positive", keys::USER_BLOCK_SIZE_BYTES_DEFAULT),
            ));
        }
        let buffer = conf.get_bytes(keys::USER_FILE_BUFFER_BYTES)?;
        Ok(Self {
            write_type: conf.get_parsed(keys::USER_FILE_WRITE_TYPE_DEFAULT, WriteType::from_alluxio_name)?,
            read_type: conf.get_parsed(keys::USER_FILE_READ_TYPE_DEFAULT, ReadType::from_alluxio_name)?,
            block_size,
            chunk_size: buffer.clamp(MIN_CHUNK_BYTES, u64::from(MAX_CHUNK_LEN)) as usize,
            write_tier: conf.get_parsed(keys::USER_FILE_WRITE_TIER_DEFAULT, str::parse::<u32>)?,
            load_metadata_type: conf.get_parsed(
                keys::USER_FILE_METADATA_LOAD_TYPE,
                LoadMetadataType::from_alluxio_name,
            )?,
            sync_interval_ms: conf.get_parsed(keys::USER_FILE_METADATA_SYNC_INTERVAL, parse_sync_interval)?,
            short_circuit: conf.get_bool(keys::USER_SHORT_CIRCUIT_ENABLED)?,
            passive_cache: conf.get_bool(keys::USER_FILE_PASSIVE_CACHE_ENABLED)?,
        })
    }
}

/// `alluxio.user.file.metadata.sync.interval`: a negative number never syncs, else a duration.
fn parse_sync_interval(value: &str) -> Result<Option<i64>, String> {
    let value = value.trim();
    if value.starts_with('-') {
        return match value.parse::<i64>() {
            Ok(_) => Ok(None),
            Err(_) => Err("-1 (never), 0 (every call) or a duration such as 5min".into()),
        };
    }
    let interval = alluxio_conf::parse_duration(value)?;
    Ok(Some(i64::try_from(interval.as_millis()).unwrap_or(i64::MAX)))
}

/// What a [`crate::FileSystem`] and its streams call with: the master client, making calls as
/// the client's user (or the user it acts for), and everything else, which every
/// [`crate::FileSystem::impersonating`] view of one client shares (reached through `Deref`).
#[derive(Clone)]
pub(crate) struct Context {
    pub(crate) master: MasterClient,
    shared: Arc<Shared>,
}

/// The state shared by every view of one client.
pub(crate) struct Shared {
    pub(crate) conf: Configuration,
    pub(crate) defaults: Defaults,
    pub(crate) workers: WorkerSelector,
    /// Picks the worker for each new block.
    pub(crate) write_policy: LocationPolicy,
    /// Picks the worker that reads an uncached block from the UFS.
    pub(crate) ufs_read_policy: LocationPolicy,
    pub(crate) pool: DataPool,
    /// Blocks being copied to a worker on this host by passive caching.
    pub(crate) passive_copies: Mutex<HashSet<u64>>,
    /// Bytes moved, reported to the master.
    pub(crate) metrics: ClientMetrics,
}

impl std::ops::Deref for Context {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl Context {
    /// Validates the configuration and prepares (lazy) connections.
    pub(crate) fn new(conf: Configuration) -> Result<Self, ClientError> {
        let defaults = Defaults::from_conf(&conf)?;
        let master = MasterClient::new(&conf)?;
        let user_hostname = conf.get_opt(keys::USER_HOSTNAME)?.filter(|h| !h.is_empty());
        let shared = Shared {
            defaults,
            workers: WorkerSelector::new(master.clone(), user_hostname),
            write_policy: LocationPolicy::from_conf(&conf, keys::USER_FILE_WRITE_LOCATION_POLICY)?,
            ufs_read_policy: LocationPolicy::from_conf(&conf, keys::USER_UFS_BLOCK_READ_LOCATION_POLICY)?,
            pool: DataPool::default(),
            passive_copies: Mutex::new(HashSet::new()),
            metrics: ClientMetrics::new(),
            conf,
        };
        Ok(Self {
            master,
            shared: Arc::new(shared),
        })
    }

    /// This context, its calls to the master made on behalf of `user`.
    pub(crate) fn impersonating(&self, user: &str) -> Self {
        Self {
            master: self.master.impersonating(user),
            shared: self.shared.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_defaults_fail_naming_the_key() {
        let mut conf = Configuration::defaults();
        conf.set(keys::USER_FILE_WRITE_TYPE_DEFAULT, "FAST");
        let err = Defaults::from_conf(&conf).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(
            err.message().contains(keys::USER_FILE_WRITE_TYPE_DEFAULT)
                && err.message().contains("MUST_CACHE"),
            "{err}"
        );

        let defaults = Defaults::from_conf(&Configuration::defaults()).unwrap();
        assert_eq!(defaults.write_type, WriteType::MustCache);
        assert_eq!(defaults.read_type, ReadType::CachePromote);
        assert_eq!(defaults.block_size, 512 * 1024 * 1024);
        assert_eq!(defaults.chunk_size, 8 * 1024 * 1024);
        assert_eq!(defaults.load_metadata_type, LoadMetadataType::Once);
        assert_eq!(defaults.sync_interval_ms, None);
        assert!(defaults.passive_cache);
    }

    #[test]
    fn sync_interval_is_never_zero_or_a_duration() {
        assert_eq!(parse_sync_interval("-1"), Ok(None));
        assert_eq!(parse_sync_interval("0"), Ok(Some(0)));
        assert_eq!(parse_sync_interval("5min"), Ok(Some(300_000)));
        assert!(parse_sync_interval("-x").is_err());
        let mut conf = Configuration::defaults();
        conf.set(keys::USER_FILE_METADATA_SYNC_INTERVAL, "soon");
        let err = Defaults::from_conf(&conf).err().unwrap();
        assert!(
            err.to_string().contains(keys::USER_FILE_METADATA_SYNC_INTERVAL),
            "{err}"
        );
    }
}
