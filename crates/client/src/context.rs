//! What every call and stream of one client shares: configuration defaults (validated once),
//! the master client, worker selection, the data-connection pool and the UFS manager.

use alluxio_conf::{Configuration, keys};
use alluxio_proto::data::MAX_CHUNK_LEN;
use alluxio_proto::grpc::{LoadMetadataType, ReadType, WriteType};
use alluxio_ufs::UfsManager;

use crate::ClientError;
use crate::master_client::MasterClient;
use crate::policy::WorkerSelector;
use crate::worker_client::DataPool;

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
    pub(crate) short_circuit: bool,
}

impl Defaults {
    fn from_conf(conf: &Configuration) -> Result<Self, ClientError> {
        let block_size = conf.get_bytes(keys::USER_BLOCK_SIZE_BYTES_DEFAULT)?;
        if block_size == 0 {
            return Err(ClientError::InvalidArgument(format!(
                "{} must be positive",
                keys::USER_BLOCK_SIZE_BYTES_DEFAULT
            )));
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
            short_circuit: conf.get_bool(keys::USER_SHORT_CIRCUIT_ENABLED)?,
        })
    }
}

/// Shared state of a [`crate::FileSystem`] and its streams.
pub(crate) struct Context {
    pub(crate) conf: Configuration,
    pub(crate) defaults: Defaults,
    pub(crate) master: MasterClient,
    pub(crate) workers: WorkerSelector,
    pub(crate) pool: DataPool,
    pub(crate) ufs: UfsManager,
}

impl Context {
    /// Validates the configuration and prepares (lazy) connections.
    pub(crate) fn new(conf: Configuration) -> Result<Self, ClientError> {
        let defaults = Defaults::from_conf(&conf)?;
        let master = MasterClient::new(&conf)?;
        let user_hostname = conf.get_opt(keys::USER_HOSTNAME)?.filter(|h| !h.is_empty());
        Ok(Self {
            defaults,
            workers: WorkerSelector::new(master.clone(), user_hostname),
            master,
            pool: DataPool::default(),
            ufs: UfsManager::new(&conf),
            conf,
        })
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
        assert!(
            matches!(&err, ClientError::InvalidArgument(m)
            if m.contains(keys::USER_FILE_WRITE_TYPE_DEFAULT) && m.contains("MUST_CACHE")),
            "{err}"
        );

        let defaults = Defaults::from_conf(&Configuration::defaults()).unwrap();
        assert_eq!(defaults.write_type, WriteType::MustCache);
        assert_eq!(defaults.read_type, ReadType::CachePromote);
        assert_eq!(defaults.block_size, 512 * 1024 * 1024);
        assert_eq!(defaults.chunk_size, 8 * 1024 * 1024);
        assert_eq!(defaults.load_metadata_type, LoadMetadataType::Once);
    }
}
