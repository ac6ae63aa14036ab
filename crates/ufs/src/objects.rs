//! Directory semantics on object stores, the way Alluxio users expect them: a directory is a
//! zero-byte `dir/` marker object (written for every level by `mkdirs`) or is implied by keys
//! below it; a rename copies every object and then deletes the originals.

use futures::TryStreamExt;

use crate::UfsError;
use crate::opendal_ufs::{OpendalUfs, dir_path};

impl OpendalUfs {
    /// Writes the markers of `path` and of every missing level above it, after checking from
    /// the top that no level is a file.
    pub(crate) async fn mkdirs_with_markers(&self, uri: &str, path: &str) -> Result<(), UfsError> {
        if path.is_empty() {
            return Ok(());
        }
        // The common case (the directory exists) costs one lookup.
        if let Some(meta) = self.meta("mkdirs", uri, path).await? {
            return match meta.is_dir() {
                true => Ok(()),
                false => Err(UfsError::NotADirectory { uri: uri.to_string() }),
            };
        }
        let mut missing_from_here = false;
        let mut level = String::with_capacity(path.len());
        for part in path.split('/') {
            if !level.is_empty() {
                level.push('/');
            }
            level.push_str(part);
            if !missing_from_here {
                match self.meta("mkdirs", uri, &level).await? {
                    Some(meta) if meta.is_dir() => continue,
                    Some(_) => return Err(UfsError::NotADirectory { uri: uri.to_string() }),
                    // Nothing below a missing level can exist either.
                    None => missing_from_here = true,
                }
            }
            self.op
                .create_dir(&dir_path(&level))
                .await
                .map_err(|err| self.fail("mkdirs", uri, err))?;
        }
        Ok(())
    }

    /// Renames by copying then deleting: one object for a file; for a directory every object
    /// below it (markers included), then the originals. Not atomic: a failure part-way leaves
    /// the objects copied so far under the new name and every original in place, so retrying
    /// after removing the destination is safe.
    pub(crate) async fn rename_by_copy(
        &self,
        uri: &str,
        from: &str,
        to: &str,
        is_dir: bool,
    ) -> Result<(), UfsError> {
        let failed = |err| self.fail("rename", uri, err);
        if !is_dir {
            self.op.copy(from, to).await.map_err(failed)?;
            return self.op.delete(from).await.map_err(failed);
        }
        let (from_dir, to_dir) = (dir_path(from), dir_path(to));
        // The destination is a directory even when the source was only implied by its keys.
        self.op.create_dir(&to_dir).await.map_err(failed)?;
        let mut lister = self
            .op
            .lister_with(&from_dir)
            .recursive(true)
            .await
            .map_err(failed)?;
        while let Some(entry) = lister.try_next().await.map_err(failed)? {
            let relative = entry.path().strip_prefix(&from_dir).unwrap_or_default();
            if relative.is_empty() {
                continue;
            }
            let target = format!("{to_dir}{relative}");
            if entry.path().ends_with('/') {
                self.op.create_dir(&target).await.map_err(failed)?;
            } else {
                self.op.copy(entry.path(), &target).await.map_err(failed)?;
            }
        }
        self.op.remove_all(&from_dir).await.map_err(failed)
    }
}
