//! Reading the tiered store settings (`alluxio.worker.tieredstore.*`, allocator, evictor) from the
//! configuration, with Alluxio's defaults and checks.

use std::path::{Path, PathBuf};

use alluxio_conf::{Configuration, Source, keys};

use super::{DirSpec, StoreError, StoreOptions, TierSpec};

/// The default level-0 directory of Alluxio; used only if it really is a RAM mount.
const DEFAULT_RAMDISK: &str = "/mnt/ramdisk";
const TMPFS_MAGIC: u32 = 0x0102_1994;
const RAMFS_MAGIC: u32 = 0x8584_58f6;

/// How the directory of a new block is chosen inside a tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AllocatorKind {
    /// The directory with the most free space.
    #[default]
    MaxFree,
    /// The first directory with enough free space.
    Greedy,
    /// The next directory with enough free space after the one used last.
    RoundRobin,
}

/// Which blocks are evicted first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EvictorKind {
    /// Least recently locked or committed first.
    #[default]
    Lru,
    /// Any evictable block, in block id order.
    Greedy,
}

impl AllocatorKind {
    const CHOICES: [(&'static str, AllocatorKind); 3] = [
        ("MaxFreeAllocator", AllocatorKind::MaxFree),
        ("GreedyAllocator", AllocatorKind::Greedy),
        ("RoundRobinAllocator", AllocatorKind::RoundRobin),
    ];

    /// Parses `MaxFreeAllocator` or `alluxio.worker.block.allocator.MaxFreeAllocator` (etc.).
    pub fn from_class_name(name: &str) -> Option<Self> {
        class_lookup(name, "alluxio.worker.block.allocator.", &Self::CHOICES)
    }
}

impl EvictorKind {
    const CHOICES: [(&'static str, EvictorKind); 2] = [
        ("LRUEvictor", EvictorKind::Lru),
        ("GreedyEvictor", EvictorKind::Greedy),
    ];

    /// Parses `LRUEvictor` or `alluxio.worker.block.evictor.LRUEvictor` (etc.).
    pub fn from_class_name(name: &str) -> Option<Self> {
        class_lookup(name, "alluxio.worker.block.evictor.", &Self::CHOICES)
    }
}

fn class_lookup<T: Copy>(name: &str, package: &str, choices: &[(&str, T)]) -> Option<T> {
    let short = name.trim();
    let short = short.strip_prefix(package).unwrap_or(short);
    choices.iter().find(|(n, _)| *n == short).map(|(_, kind)| *kind)
}

fn class_setting<T: Copy>(
    conf: &Configuration,
    key: &str,
    package: &str,
    choices: &[(&str, T)],
) -> Result<T, StoreError> {
    let name = conf.get(key).map_err(conf_error)?;
    class_lookup(&name, package, choices).ok_or_else(|| {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        StoreError::Config(format!(
            "{key}={name} is not a known class; use one of {} (optionally prefixed by {package})",
            names.join(", ")
        ))
    })
}

fn conf_error(e: alluxio_conf::ConfError) -> StoreError {
    StoreError::Config(e.to_string())
}

impl StoreOptions {
    /// Reads the `alluxio.worker.tieredstore.*` keys.
    pub fn from_conf(conf: &Configuration) -> Result<Self, StoreError> {
        let levels = conf
            .get_usize(keys::WORKER_TIERED_STORE_LEVELS)
            .map_err(conf_error)?;
        if levels == 0 {
            return Err(StoreError::Config(format!(
                "{} must be at least 1",
                keys::WORKER_TIERED_STORE_LEVELS
            )));
        }
        let mut tiers: Vec<TierSpec> = Vec::with_capacity(levels);
        for level in 0..levels {
            let tier = tier_from_conf(conf, level)?;
            if let Some(other) = tiers
                .iter()
                .position(|t| t.alias.eq_ignore_ascii_case(&tier.alias))
            {
                return Err(StoreError::Config(format!(
                    "{} and {} both name tier {}; give every level its own alias",
                    keys::tier_alias(other),
                    keys::tier_alias(level),
                    tier.alias
                )));
            }
            tiers.push(tier);
        }
        let allocator = class_setting(
            conf,
            keys::WORKER_ALLOCATOR_CLASS,
            "alluxio.worker.block.allocator.",
            &AllocatorKind::CHOICES,
        )?;
        let evictor = class_setting(
            conf,
            keys::WORKER_EVICTOR_CLASS,
            "alluxio.worker.block.evictor.",
            &EvictorKind::CHOICES,
        )?;
        Ok(StoreOptions {
            tiers,
            allocator,
            evictor,
        })
    }
}

fn tier_from_conf(conf: &Configuration, level: usize) -> Result<TierSpec, StoreError> {
    let alias = conf.get(&keys::tier_alias(level)).map_err(conf_error)?;
    let path_key = keys::tier_dirs_path(level);
    let quota_key = keys::tier_dirs_quota(level);
    let paths: Vec<PathBuf> = if level == 0 && conf.source(&path_key) == Source::Default {
        vec![default_ramdisk()]
    } else {
        conf.get_list(&path_key)
            .map_err(conf_error)?
            .into_iter()
            .map(PathBuf::from)
            .collect()
    };
    let quota_texts = conf.get_list(&quota_key).map_err(conf_error)?;
    if paths.is_empty() || quota_texts.is_empty() {
        return Err(StoreError::Config(format!(
            "{path_key} and {quota_key} must each list at least one entry"
        )));
    }
    if quota_texts.len() > paths.len() {
        return Err(StoreError::Config(format!(
            "{quota_key} lists {} quotas but {path_key} only {} directories; give one quota per directory",
            quota_texts.len(),
            paths.len()
        )));
    }
    let mut quotas = Vec::with_capacity(quota_texts.len());
    for text in &quota_texts {
        let quota = alluxio_conf::parse_bytes(text).map_err(|expected| {
            StoreError::Config(format!("{quota_key}: '{text}' is not a byte size ({expected})"))
        })?;
        quotas.push(quota);
    }
    let last = quotas[quotas.len() - 1];
    let dirs = paths
        .into_iter()
        .enumerate()
        .map(|(i, path)| DirSpec {
            path,
            quota: quotas.get(i).copied().unwrap_or(last),
        })
        .collect();
    let high_key = keys::tier_watermark_high(level);
    let low_key = keys::tier_watermark_low(level);
    let high_watermark = conf.get_ratio(&high_key).map_err(conf_error)?;
    let low_watermark = conf.get_ratio(&low_key).map_err(conf_error)?;
    if high_watermark <= low_watermark {
        return Err(StoreError::Config(format!(
            "{high_key}={high_watermark} must be greater than {low_key}={low_watermark}"
        )));
    }
    Ok(TierSpec {
        alias,
        dirs,
        high_watermark,
        low_watermark,
    })
}

/// `/mnt/ramdisk` if it is a RAM mount, else a per-user directory in `/dev/shm`, so a worker
/// started without setup still keeps its top tier in memory.
fn default_ramdisk() -> PathBuf {
    if is_ram_mount(Path::new(DEFAULT_RAMDISK)) {
        return PathBuf::from(DEFAULT_RAMDISK);
    }
    let fallback = PathBuf::from(format!("/dev/shm/alluxio-{}", user_name()));
    tracing::info!(
        "{DEFAULT_RAMDISK} is not a tmpfs/ramfs mount and {} is not set; using {} for the MEM tier",
        keys::tier_dirs_path(0),
        fallback.display()
    );
    fallback
}

/// Whether `path` lives on tmpfs or ramfs.
pub(crate) fn is_ram_mount(path: &Path) -> bool {
    match rustix::fs::statfs(path) {
        // f_type is a signed word on most targets; the magic numbers are 32-bit.
        Ok(stat) => matches!(stat.f_type as u32, TMPFS_MAGIC | RAMFS_MAGIC),
        Err(_) => false,
    }
}

fn user_name() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(name) = std::env::var(var)
            && !name.is_empty()
        {
            return name;
        }
    }
    let uid = rustix::process::getuid().as_raw();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                let id = fields.nth(1)?;
                (id.parse() == Ok(uid)).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| uid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> Configuration {
        let mut conf = Configuration::defaults();
        for (k, v) in pairs {
            conf.set(k, *v);
        }
        conf
    }

    fn config_error(pairs: &[(&str, &str)]) -> String {
        match StoreOptions::from_conf(&conf(pairs)) {
            Err(StoreError::Config(message)) => message,
            other => panic!("expected a config error for {pairs:?}, got {other:?}"),
        }
    }

    #[test]
    fn defaults_give_one_memory_tier_in_a_ram_directory() {
        let options = StoreOptions::from_conf(&Configuration::defaults()).unwrap();
        assert_eq!(options.tiers.len(), 1);
        let tier = &options.tiers[0];
        assert_eq!(tier.alias, "MEM");
        assert_eq!((tier.high_watermark, tier.low_watermark), (0.95, 0.7));
        assert_eq!(tier.dirs.len(), 1);
        // Level 0's quota defaults to the worker memory size (two thirds of the machine's RAM).
        let memory = Configuration::defaults()
            .get_bytes(keys::WORKER_MEMORY_SIZE)
            .unwrap();
        assert!(memory > 0);
        assert_eq!(tier.dirs[0].quota, memory);
        if !is_ram_mount(Path::new(DEFAULT_RAMDISK)) {
            let path = tier.dirs[0].path.to_string_lossy().into_owned();
            assert!(
                path.starts_with("/dev/shm/alluxio-") && path.len() > "/dev/shm/alluxio-".len(),
                "{path}"
            );
        }
        assert_eq!(
            (options.allocator, options.evictor),
            (AllocatorKind::MaxFree, EvictorKind::Lru)
        );
    }

    #[test]
    fn explicit_paths_are_kept_and_the_last_quota_repeats() {
        let options = StoreOptions::from_conf(&conf(&[
            ("alluxio.worker.tieredstore.levels", "2"),
            ("alluxio.worker.tieredstore.level0.dirs.path", "/mnt/ramdisk"),
            ("alluxio.worker.tieredstore.level0.dirs.quota", "64MB"),
            ("alluxio.worker.tieredstore.level1.dirs.path", "/a, /b,/c"),
            ("alluxio.worker.tieredstore.level1.dirs.quota", "1GB,2GB"),
            ("alluxio.worker.allocator.class", "RoundRobinAllocator"),
            (
                "alluxio.worker.evictor.class",
                "alluxio.worker.block.evictor.GreedyEvictor",
            ),
        ]))
        .unwrap();
        assert_eq!(
            options.tiers[0].dirs,
            vec![DirSpec {
                path: "/mnt/ramdisk".into(),
                quota: 64 << 20
            }]
        );
        let lower = &options.tiers[1];
        assert_eq!(lower.alias, "SSD");
        let dirs: Vec<(PathBuf, u64)> = lower.dirs.iter().map(|d| (d.path.clone(), d.quota)).collect();
        assert_eq!(
            dirs,
            vec![
                ("/a".into(), 1 << 30),
                ("/b".into(), 2 << 30),
                ("/c".into(), 2 << 30)
            ]
        );
        assert_eq!(
            (options.allocator, options.evictor),
            (AllocatorKind::RoundRobin, EvictorKind::Greedy)
        );
    }

    #[test]
    fn class_names_are_accepted_short_or_full() {
        assert_eq!(
            AllocatorKind::from_class_name("alluxio.worker.block.allocator.GreedyAllocator"),
            Some(AllocatorKind::Greedy)
        );
        assert_eq!(
            AllocatorKind::from_class_name("MaxFreeAllocator"),
            Some(AllocatorKind::MaxFree)
        );
        assert_eq!(
            AllocatorKind::from_class_name("alluxio.worker.block.evictor.LRUEvictor"),
            None
        );
        assert_eq!(EvictorKind::from_class_name("LRUEvictor"), Some(EvictorKind::Lru));
    }

    #[test]
    fn bad_settings_are_config_errors_naming_the_keys() {
        let message = config_error(&[
            ("alluxio.worker.tieredstore.level0.watermark.high.ratio", "0.5"),
            ("alluxio.worker.tieredstore.level0.watermark.low.ratio", "0.6"),
        ]);
        assert!(
            message.contains("level0.watermark.high.ratio") && message.contains("level0.watermark.low.ratio")
        );
        let message = config_error(&[("alluxio.worker.tieredstore.level0.watermark.high.ratio", "1.5")]);
        assert!(message.contains("level0.watermark.high.ratio"), "{message}");
        let message = config_error(&[("alluxio.worker.allocator.class", "FastestAllocator")]);
        assert!(
            message.contains("alluxio.worker.allocator.class=FastestAllocator"),
            "{message}"
        );
        assert!(
            message.contains("MaxFreeAllocator, GreedyAllocator, RoundRobinAllocator"),
            "{message}"
        );
        let message = config_error(&[("alluxio.worker.evictor.class", "LRFUEvictor")]);
        assert!(message.contains("LRUEvictor, GreedyEvictor"), "{message}");
        let message = config_error(&[
            ("alluxio.worker.tieredstore.level0.dirs.path", "/x"),
            ("alluxio.worker.tieredstore.level0.dirs.quota", "1GB,2GB"),
        ]);
        assert!(message.contains("level0.dirs.quota lists 2 quotas"), "{message}");
        let message = config_error(&[("alluxio.worker.tieredstore.level0.dirs.quota", "lots")]);
        assert!(message.contains("level0.dirs.quota: 'lots'"), "{message}");
        let message = config_error(&[("alluxio.worker.tieredstore.levels", "2")]);
        assert!(
            message.contains("alluxio.worker.tieredstore.level1.dirs.quota"),
            "{message}"
        );
        let message = config_error(&[
            ("alluxio.worker.tieredstore.levels", "2"),
            ("alluxio.worker.tieredstore.level1.alias", "mem"),
            ("alluxio.worker.tieredstore.level1.dirs.quota", "1GB"),
        ]);
        assert!(message.contains("both name tier mem"), "{message}");
        let message = config_error(&[("alluxio.worker.tieredstore.levels", "0")]);
        assert!(message.contains("at least 1"), "{message}");
    }
}
