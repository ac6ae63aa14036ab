//! An inode as the disk metastore stores it: fixed-width little-endian fields, strings with a
//! length before them. The id is the record's key, so it is not repeated inside.

use std::sync::Arc;

use alluxio_proto::grpc::{PersistenceState, TtlAction, WriteType};

use crate::namespace::tree::{Inode, InodeKind, Ownership};

const DIR: u8 = 0;
const FILE: u8 = 1;

/// Appends the record of `inode` (all but its id) to `out`.
pub(super) fn encode(inode: &Inode, out: &mut Vec<u8>) {
    out.extend_from_slice(&inode.parent.to_le_bytes());
    put_str(out, &inode.name);
    match &inode.kind {
        InodeKind::Dir { children_loaded } => {
            out.push(DIR);
            out.push(u8::from(*children_loaded));
        }
        InodeKind::File {
            block_size,
            length,
            completed,
            block_ids,
            write_type,
            cacheable,
            ufs_fingerprint,
        } => {
            out.push(FILE);
            out.extend_from_slice(&block_size.to_le_bytes());
            out.extend_from_slice(&length.to_le_bytes());
            out.push(u8::from(*completed));
            out.extend_from_slice(&(*write_type as i32).to_le_bytes());
            out.push(u8::from(*cacheable));
            out.push(u8::from(*ufs_fingerprint));
            out.extend_from_slice(&(block_ids.len() as u32).to_le_bytes());
            for block in block_ids {
                out.extend_from_slice(&block.to_le_bytes());
            }
        }
    }
    out.extend_from_slice(&inode.creation_ms.to_le_bytes());
    out.extend_from_slice(&inode.modification_ms.to_le_bytes());
    out.push(u8::from(inode.pinned));
    out.extend_from_slice(&inode.ttl.to_le_bytes());
    out.extend_from_slice(&i32::from(inode.ttl_action).to_le_bytes());
    out.extend_from_slice(&i32::from(inode.persistence).to_le_bytes());
    out.extend_from_slice(&inode.mode.to_le_bytes());
    put_str(out, inode.owner());
    put_str(out, inode.group());
}

/// Why a record does not decode: the metastore file is damaged.
#[derive(Debug, thiserror::Error)]
#[error("the record of inode {id} is damaged ({what})")]
pub struct DamagedRecord {
    id: u64,
    what: &'static str,
}

/// The inode `id` from its record; `ownership` turns the stored owner and group into the
/// shared pair.
pub(super) fn decode(
    id: u64,
    record: &[u8],
    ownership: impl FnOnce(&str, &str) -> Arc<Ownership>,
) -> Result<Inode, DamagedRecord> {
    let mut r = Reader { rest: record, id };
    let parent = r.u64()?;
    let name: Arc<str> = Arc::from(r.str()?);
    let kind = match r.u8()? {
        DIR => InodeKind::Dir {
            children_loaded: r.flag()?,
        },
        FILE => {
            let block_size = r.u64()?;
            let length = r.u64()?;
            let completed = r.flag()?;
            let write_type = WriteType::try_from(r.i32()?).map_err(|_| r.damaged("unknown write type"))?;
            let cacheable = r.flag()?;
            let ufs_fingerprint = r.flag()?;
            let count = r.u32()? as usize;
            let block_ids = (0..count).map(|_| r.u64()).collect::<Result<_, _>>()?;
            InodeKind::File {
                block_size,
                length,
                completed,
                block_ids,
                write_type,
                cacheable,
                ufs_fingerprint,
            }
        }
        _ => return Err(r.damaged("unknown inode kind")),
    };
    let creation_ms = r.i64()?;
    let modification_ms = r.i64()?;
    let pinned = r.flag()?;
    let ttl = r.i64()?;
    let ttl_action = TtlAction::try_from(r.i32()?).map_err(|_| r.damaged("unknown TTL action"))?;
    let persistence =
        PersistenceState::try_from(r.i32()?).map_err(|_| r.damaged("unknown persistence state"))?;
    let mode = r.u32()?;
    let owner = r.str()?;
    let group = r.str()?;
    if !r.rest.is_empty() {
        return Err(r.damaged("bytes after the last field"));
    }
    Ok(Inode {
        id,
        parent,
        name,
        kind,
        creation_ms,
        modification_ms,
        pinned,
        ttl,
        ttl_action: ttl_action.into(),
        persistence: persistence.into(),
        mode,
        ownership: ownership(owner, group),
    })
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

struct Reader<'a> {
    rest: &'a [u8],
    id: u64,
}

impl<'a> Reader<'a> {
    fn damaged(&self, what: &'static str) -> DamagedRecord {
        DamagedRecord { id: self.id, what }
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], DamagedRecord> {
        let (head, rest) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or_else(|| self.damaged("cut short"))?;
        self.rest = rest;
        Ok(*head)
    }

    fn u8(&mut self) -> Result<u8, DamagedRecord> {
        Ok(self.take::<1>()?[0])
    }

    fn flag(&mut self) -> Result<bool, DamagedRecord> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.damaged("a flag is neither 0 nor 1")),
        }
    }

    fn u32(&mut self) -> Result<u32, DamagedRecord> {
        self.take().map(u32::from_le_bytes)
    }

    fn i32(&mut self) -> Result<i32, DamagedRecord> {
        self.take().map(i32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, DamagedRecord> {
        self.take().map(u64::from_le_bytes)
    }

    fn i64(&mut self) -> Result<i64, DamagedRecord> {
        self.take().map(i64::from_le_bytes)
    }

    fn str(&mut self) -> Result<&'a str, DamagedRecord> {
        let len = self.u32()? as usize;
        if self.rest.len() < len {
            return Err(self.damaged("cut short"));
        }
        let (text, rest) = self.rest.split_at(len);
        self.rest = rest;
        std::str::from_utf8(text).map_err(|_| self.damaged("a name is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespace::tree::Tree;

    fn file() -> Inode {
        let mut inode = Inode::clone(&Tree::new().root());
        inode.id = 77;
        inode.parent = 5;
        inode.name = Arc::from("ünïcode name");
        inode.kind = InodeKind::File {
            block_size: 64 << 20,
            length: 12345,
            completed: true,
            block_ids: vec![1, 2, 3].into(),
            write_type: WriteType::CacheThrough,
            cacheable: false,
            ufs_fingerprint: true,
        };
        inode.pinned = true;
        inode.ttl = 60_000;
        inode.ttl_action = TtlAction::Free.into();
        inode.persistence = PersistenceState::ToBePersisted.into();
        inode.mode = 0o640;
        inode.ownership = Arc::new(Ownership {
            owner: "alice".into(),
            group: "staff".into(),
        });
        inode
    }

    fn shared(owner: &str, group: &str) -> Arc<Ownership> {
        Arc::new(Ownership {
            owner: owner.into(),
            group: group.into(),
        })
    }

    #[test]
    fn an_inode_decodes_to_what_was_encoded() {
        for inode in [file(), Inode::clone(&Tree::new().root())] {
            let mut record = Vec::new();
            encode(&inode, &mut record);
            assert_eq!(decode(inode.id, &record, shared).unwrap(), inode);
        }
    }

    #[test]
    fn a_damaged_record_is_an_error_naming_the_inode() {
        let mut record = Vec::new();
        encode(&file(), &mut record);
        let cut = decode(77, &record[..record.len() - 1], shared).unwrap_err();
        assert_eq!(cut.to_string(), "the record of inode 77 is damaged (cut short)");
        record.push(0);
        let long = decode(77, &record, shared).unwrap_err();
        assert!(long.to_string().contains("bytes after the last field"), "{long}");
        let mut bad_kind = Vec::new();
        encode(&file(), &mut bad_kind);
        bad_kind[8 + 4 + "ünïcode name".len()] = 9;
        assert!(
            decode(77, &bad_kind, shared)
                .unwrap_err()
                .to_string()
                .contains("unknown inode kind")
        );
    }
}
