//! Either side of a copy: a local path or an Alluxio path, with the few operations a recursive
//! copy needs, so `copyFromLocal`, `copyToLocal` and `cp` share one copy routine.

use std::path::PathBuf;

use alluxio_client::{
    CreateDirectoryOptions, CreateFileOptions, ErrorKind, FileInStream, FileOutStream, ListStatusOptions,
    OpenFileOptions,
};
use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::shell::{Shell, Target};

/// A local file or directory, or one in Alluxio.
#[derive(Clone)]
pub enum Endpoint {
    /// On this host's file system.
    Local(PathBuf),
    /// In Alluxio.
    Alluxio(Target),
}

/// What an endpoint currently is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A file of this many bytes.
    File(u64),
}

/// An open file to read from.
pub enum Source {
    /// A local file.
    Local(tokio::fs::File),
    /// An Alluxio file (boxed: the stream is much larger than a local file handle).
    Alluxio(Box<FileInStream>),
}

/// A file being written.
pub enum Sink {
    /// A local file, removed if the copy fails.
    Local(tokio::fs::File, PathBuf),
    /// An Alluxio file, cancelled if the copy fails.
    Alluxio(FileOutStream),
}

impl Endpoint {
    /// `file:///x` or `file:/x` is local; anything else is an Alluxio path or URI.
    pub async fn parse(shell: &Shell, raw: &str) -> anyhow::Result<Self> {
        match raw.strip_prefix("file://").or_else(|| raw.strip_prefix("file:")) {
            Some(local) => Ok(Endpoint::Local(PathBuf::from(local))),
            None => Ok(Endpoint::Alluxio(shell.target(raw).await?)),
        }
    }

    /// The path as the user reads it.
    pub fn display(&self) -> String {
        match self {
            Endpoint::Local(path) => path.display().to_string(),
            Endpoint::Alluxio(target) => target.path.to_string(),
        }
    }

    /// The last component.
    pub fn name(&self) -> String {
        match self {
            Endpoint::Local(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Endpoint::Alluxio(target) => target.path.name().to_string(),
        }
    }

    /// A child of this directory.
    pub fn join(&self, name: &str) -> anyhow::Result<Self> {
        Ok(match self {
            Endpoint::Local(path) => Endpoint::Local(path.join(name)),
            Endpoint::Alluxio(target) => Endpoint::Alluxio(target.with_path(target.path.join(name)?)),
        })
    }

    /// What it is, or `None` if it does not exist.
    pub async fn kind(&self) -> anyhow::Result<Option<Kind>> {
        match self {
            Endpoint::Local(path) => match tokio::fs::metadata(path).await {
                Ok(meta) if meta.is_dir() => Ok(Some(Kind::Dir)),
                Ok(meta) => Ok(Some(Kind::File(meta.len()))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
            },
            Endpoint::Alluxio(target) => match target.fs.get_status(&target.path).await {
                Ok(info) if info.folder => Ok(Some(Kind::Dir)),
                Ok(info) => Ok(Some(Kind::File(info.length))),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("cannot get the status of {}", target.path)),
            },
        }
    }

    /// Names of the entries of this directory, sorted.
    pub async fn child_names(&self) -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        match self {
            Endpoint::Local(path) => {
                let mut dir = tokio::fs::read_dir(path)
                    .await
                    .with_context(|| format!("cannot list {}", path.display()))?;
                while let Some(entry) = dir
                    .next_entry()
                    .await
                    .with_context(|| format!("cannot list {}", path.display()))?
                {
                    names.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
            Endpoint::Alluxio(target) => {
                let children = target
                    .fs
                    .list_status(&target.path, ListStatusOptions::default())
                    .await
                    .with_context(|| format!("cannot list {}", target.path))?;
                names.extend(children.into_iter().map(|c| c.name));
            }
        }
        names.sort();
        Ok(names)
    }

    /// Creates this directory (and missing parents); an existing one is fine.
    pub async fn create_dir(&self) -> anyhow::Result<()> {
        match self {
            Endpoint::Local(path) => tokio::fs::create_dir_all(path)
                .await
                .with_context(|| format!("cannot create directory {}", path.display())),
            Endpoint::Alluxio(target) => {
                let options = CreateDirectoryOptions {
                    recursive: true,
                    allow_exists: true,
                    ..Default::default()
                };
                target
                    .fs
                    .create_directory(&target.path, options)
                    .await
                    .with_context(|| format!("cannot create directory {}", target.path))
            }
        }
    }

    /// Opens this file for reading.
    pub async fn open(&self) -> anyhow::Result<Source> {
        match self {
            Endpoint::Local(path) => Ok(Source::Local(
                tokio::fs::File::open(path)
                    .await
                    .with_context(|| format!("cannot open {}", path.display()))?,
            )),
            Endpoint::Alluxio(target) => Ok(Source::Alluxio(Box::new(
                target
                    .fs
                    .open_file(&target.path, OpenFileOptions::default())
                    .await
                    .with_context(|| format!("cannot open {}", target.path))?,
            ))),
        }
    }

    /// Creates this file (parents included); an existing file is an error.
    pub async fn create(&self) -> anyhow::Result<Sink> {
        match self {
            Endpoint::Local(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .with_context(|| format!("cannot create directory {}", parent.display()))?;
                }
                let file = tokio::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)
                    .await
                    .with_context(|| format!("cannot create {}", path.display()))?;
                Ok(Sink::Local(file, path.clone()))
            }
            Endpoint::Alluxio(target) => {
                let options = CreateFileOptions {
                    recursive: true,
                    ..Default::default()
                };
                Ok(Sink::Alluxio(
                    target
                        .fs
                        .create_file(&target.path, options)
                        .await
                        .with_context(|| format!("cannot create {}", target.path))?,
                ))
            }
        }
    }
}

impl Source {
    /// Reads up to `buf.len()` bytes; 0 at the end.
    pub async fn read(&mut self, buf: &mut [u8]) -> anyhow::Result<usize> {
        Ok(match self {
            Source::Local(file) => file.read(buf).await?,
            Source::Alluxio(stream) => stream.read(buf).await?,
        })
    }

    /// Releases the file.
    pub async fn close(self) -> anyhow::Result<()> {
        if let Source::Alluxio(stream) = self {
            stream.close().await?;
        }
        Ok(())
    }
}

impl Sink {
    /// Appends bytes.
    pub async fn write(&mut self, data: &[u8]) -> anyhow::Result<()> {
        match self {
            Sink::Local(file, _) => file.write_all(data).await?,
            Sink::Alluxio(stream) => stream.write(data).await?,
        }
        Ok(())
    }

    /// Completes the file.
    pub async fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Local(mut file, _) => {
                file.flush().await?;
                file.sync_all().await?;
            }
            Sink::Alluxio(stream) => {
                stream.close().await?;
            }
        }
        Ok(())
    }

    /// Drops what was written so far; best effort, the copy's own error is what gets reported.
    pub async fn abort(self) {
        match self {
            Sink::Local(file, path) => {
                drop(file);
                if let Err(e) = tokio::fs::remove_file(&path).await {
                    tracing::warn!(path = %path.display(), error = %e, "cannot remove the partial copy");
                }
            }
            Sink::Alluxio(stream) => {
                if let Err(e) = stream.cancel().await {
                    tracing::warn!(error = %e, "cannot cancel the partial copy");
                }
            }
        }
    }
}
