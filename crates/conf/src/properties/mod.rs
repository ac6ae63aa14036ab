//! Known properties (name, value kind, default, description), their deprecated aliases, the
//! environment variables that set them, and lookup by name.

use crate::kinds::ValueKind;
use ValueKind as K;

mod table;

pub use table::{IMPERSONATION_TEMPLATES, PROPERTIES, READ_TYPES, TIER_TEMPLATES, WRITE_TYPES};

/// One known property.
#[derive(Debug, Clone, Copy)]
pub struct PropertyDef {
    /// Full key, e.g. `alluxio.master.port`; tier templates spell the level `{N}`.
    pub name: &'static str,
    /// What its value must look like.
    pub kind: ValueKind,
    /// Default value (may contain `${key}` references); `None` = unset unless configured.
    pub default: Option<&'static str>,
    /// What it controls.
    pub description: &'static str,
}

/// Old names still accepted, with the key they stand for. Values of `.ms` aliases are plain
/// milliseconds, which the duration parser accepts as-is.
pub const ALIASES: &[(&str, &str)] = &[
    (
        "alluxio.master.worker.timeout.ms",
        "alluxio.master.worker.timeout",
    ),
    (
        "alluxio.master.ttl.checker.interval.ms",
        "alluxio.master.ttl.checker.interval",
    ),
    (
        "alluxio.worker.block.heartbeat.interval.ms",
        "alluxio.worker.block.heartbeat.interval",
    ),
    (
        "alluxio.worker.block.heartbeat.timeout.ms",
        "alluxio.worker.block.heartbeat.timeout",
    ),
    (
        "alluxio.worker.tieredstore.reserver.interval.ms",
        "alluxio.worker.tieredstore.reserver.interval",
    ),
    ("alluxio.master.rpc.port", "alluxio.master.port"),
    ("alluxio.worker.rpc.port", "alluxio.worker.port"),
];

/// Environment variables that set properties, as `libexec/alluxio-config.sh` maps them. A later
/// entry wins over an earlier one for the same key: like that script, the deprecated
/// `ALLUXIO_MASTER_ADDRESS` overrides `ALLUXIO_MASTER_HOSTNAME`.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("ALLUXIO_HOME", "alluxio.home"),
    ("ALLUXIO_CONF_DIR", "alluxio.conf.dir"),
    ("ALLUXIO_LOGS_DIR", "alluxio.logs.dir"),
    ("ALLUXIO_MASTER_HOSTNAME", "alluxio.master.hostname"),
    ("ALLUXIO_MASTER_ADDRESS", "alluxio.master.hostname"),
    ("ALLUXIO_UNDERFS_ADDRESS", "alluxio.underfs.address"),
    ("ALLUXIO_WORKER_MEMORY_SIZE", "alluxio.worker.memory.size"),
    (
        "ALLUXIO_RAM_FOLDER",
        "alluxio.worker.tieredstore.level0.dirs.path",
    ),
];

/// Prefix of the per-tier keys, followed by the level number.
const TIER_PREFIX: &str = "alluxio.worker.tieredstore.level";

/// The definition of `name` (a current name, see [`canonical`]), if it is a known property or
/// a per-tier key of any level.
pub fn find(name: &str) -> Option<&'static PropertyDef> {
    PROPERTIES
        .iter()
        .find(|p| p.name == name)
        .or_else(|| tier_template(name))
        .or_else(|| impersonation_template(name))
}

fn tier_template(name: &str) -> Option<&'static PropertyDef> {
    let rest = name.strip_prefix(TIER_PREFIX)?;
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    if digits == 0 {
        return None;
    }
    let suffix = &rest[digits..];
    TIER_TEMPLATES
        .iter()
        .find(|t| t.name.strip_prefix("alluxio.worker.tieredstore.level{N}") == Some(suffix))
}

/// Prefix of the impersonation keys, followed by the user and `.users` or `.groups`.
const IMPERSONATION_PREFIX: &str = "alluxio.master.security.impersonation.";

/// What an impersonation key allows its user to act for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpersonationOf {
    /// `....<user>.users`: the users named.
    Users,
    /// `....<user>.groups`: the members of the groups named.
    Groups,
}

/// The user an impersonation key (`alluxio.master.security.impersonation.<user>.users|groups`)
/// is about, and which of the two it is; `None` for any other key.
pub fn impersonation_key(name: &str) -> Option<(&str, ImpersonationOf)> {
    let rest = name.strip_prefix(IMPERSONATION_PREFIX)?;
    let (user, of) = if let Some(user) = rest.strip_suffix(".users") {
        (user, ImpersonationOf::Users)
    } else {
        (rest.strip_suffix(".groups")?, ImpersonationOf::Groups)
    };
    (!user.is_empty()).then_some((user, of))
}

fn impersonation_template(name: &str) -> Option<&'static PropertyDef> {
    let (_, of) = impersonation_key(name)?;
    let suffix = match of {
        ImpersonationOf::Users => ".users",
        ImpersonationOf::Groups => ".groups",
    };
    IMPERSONATION_TEMPLATES.iter().find(|t| t.name.ends_with(suffix))
}

/// The definition of `key`, which may be a deprecated alias or a per-tier key of any level.
pub fn describe(key: &str) -> Option<&'static PropertyDef> {
    find(canonical(key))
}

/// Fixed values an environment variable implies besides its own key: the ramdisk folder is the
/// MEM tier.
pub const ENV_IMPLIED: &[(&str, &str, &str)] = &[(
    "ALLUXIO_RAM_FOLDER",
    "alluxio.worker.tieredstore.level0.alias",
    "MEM",
)];

/// The current name of `name` if it is a deprecated alias, else `name` itself.
pub fn canonical(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(old, _)| *old == name)
        .map(|(_, new)| *new)
        .unwrap_or(name)
}
