//! The names users type for wire enums (`MUST_CACHE`, `CACHE_PROMOTE`, `delete`, ...), parsed
//! case-insensitively, and printed the way Alluxio prints them.

use crate::grpc::{FileInfo, LoadMetadataType, PersistenceState, ReadType, TtlAction, WriteType};

/// A name that is not one of the accepted values of an enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {kind}; expected one of {expected}")]
pub struct UnknownName {
    /// What was being parsed ("write type", ...).
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
    /// The accepted names, comma separated.
    pub expected: &'static str,
}

macro_rules! alluxio_names {
    ($ty:ty, $kind:literal, $( $name:literal => $variant:expr ),+ $(,)?) => {
        impl $ty {
            /// Parses the Alluxio name of this value, ignoring case.
            pub fn from_alluxio_name(value: &str) -> Result<Self, UnknownName> {
                $( if value.eq_ignore_ascii_case($name) { return Ok($variant); } )+
                Err(UnknownName {
                    kind: $kind,
                    value: value.to_string(),
                    expected: concat!($( $name, " " ),+),
                })
            }

            /// The Alluxio name of this value.
            pub fn alluxio_name(self) -> &'static str {
                $( if self == $variant { return $name; } )+
                "UNSPECIFIED"
            }
        }
    };
}

alluxio_names!(WriteType, "write type",
    "MUST_CACHE" => WriteType::MustCache,
    "CACHE_THROUGH" => WriteType::CacheThrough,
    "THROUGH" => WriteType::Through,
    "ASYNC_THROUGH" => WriteType::AsyncThrough,
);

alluxio_names!(ReadType, "read type",
    "NO_CACHE" => ReadType::NoCache,
    "CACHE" => ReadType::Cache,
    "CACHE_PROMOTE" => ReadType::CachePromote,
);

alluxio_names!(TtlAction, "TTL action",
    "DELETE" => TtlAction::Delete,
    "FREE" => TtlAction::Free,
);

alluxio_names!(LoadMetadataType, "metadata load type",
    "ONCE" => LoadMetadataType::Once,
    "NEVER" => LoadMetadataType::Never,
    "ALWAYS" => LoadMetadataType::Always,
);

alluxio_names!(PersistenceState, "persistence state",
    "NOT_PERSISTED" => PersistenceState::NotPersisted,
    "TO_BE_PERSISTED" => PersistenceState::ToBePersisted,
    "PERSISTED" => PersistenceState::Persisted,
);

/// The nine permission bits of `mode` as `ls` prints them: `rwxr-x---`, the sticky bit as the
/// others' `t` (`T` without their execute bit).
pub fn permission_string(mode: u32) -> String {
    let mut out = String::with_capacity(9);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 0o7;
        out.push(if bits & 4 != 0 { 'r' } else { '-' });
        out.push(if bits & 2 != 0 { 'w' } else { '-' });
        let sticky = shift == 0 && mode & 0o1000 != 0;
        out.push(match (bits & 1 != 0, sticky) {
            (true, false) => 'x',
            (false, false) => '-',
            (true, true) => 't',
            (false, true) => 'T',
        });
    }
    out
}

impl FileInfo {
    /// `-rw-r--r--` / `drwxr-xr-x` from the mode bits, as `ls` prints them.
    pub fn mode_string(&self) -> String {
        let kind = if self.folder { 'd' } else { '-' };
        format!("{kind}{}", permission_string(self.mode))
    }

    /// The persistence state as Alluxio names it (`NOT_PERSISTED` when unknown).
    pub fn persistence_name(&self) -> &'static str {
        PersistenceState::try_from(self.persistence_state)
            .unwrap_or(PersistenceState::NotPersisted)
            .alluxio_name()
    }
}

impl WriteType {
    /// Every write type a user can choose, in Alluxio's documentation order.
    pub const ALL: [WriteType; 4] = [
        WriteType::MustCache,
        WriteType::CacheThrough,
        WriteType::Through,
        WriteType::AsyncThrough,
    ];

    /// Whether blocks are kept in Alluxio storage.
    pub fn caches(self) -> bool {
        matches!(
            self,
            WriteType::MustCache | WriteType::CacheThrough | WriteType::AsyncThrough
        )
    }

    /// Whether bytes go to the UFS synchronously, before the file completes.
    pub fn writes_through(self) -> bool {
        matches!(self, WriteType::CacheThrough | WriteType::Through)
    }
}

impl ReadType {
    /// Every read type a user can choose.
    pub const ALL: [ReadType; 3] = [ReadType::NoCache, ReadType::Cache, ReadType::CachePromote];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_infos_print_like_ls() {
        let dir = FileInfo {
            folder: true,
            mode: 0o755,
            ..Default::default()
        };
        assert_eq!(dir.mode_string(), "drwxr-xr-x");
        let file = FileInfo {
            mode: 0o640,
            persistence_state: PersistenceState::ToBePersisted.into(),
            ..Default::default()
        };
        assert_eq!(file.mode_string(), "-rw-r-----");
        assert_eq!(permission_string(0o001), "--------x");
        assert_eq!(permission_string(0o1777), "rwxrwxrwt");
        assert_eq!(permission_string(0o1770), "rwxrwx--T");
        assert_eq!(file.persistence_name(), "TO_BE_PERSISTED");
        let unknown = FileInfo {
            persistence_state: 99,
            ..Default::default()
        };
        assert_eq!(unknown.persistence_name(), "NOT_PERSISTED");
    }

    #[test]
    fn names_parse_case_insensitively_and_print_back() {
        assert_eq!(
            WriteType::from_alluxio_name("cache_through"),
            Ok(WriteType::CacheThrough)
        );
        assert_eq!(ReadType::CachePromote.alluxio_name(), "CACHE_PROMOTE");
        assert_eq!(TtlAction::from_alluxio_name("free"), Ok(TtlAction::Free));
        let err = WriteType::from_alluxio_name("FAST").unwrap_err();
        assert!(err.to_string().contains("'FAST' is not a valid write type"));
        assert!(err.to_string().contains("MUST_CACHE"));
    }
}
