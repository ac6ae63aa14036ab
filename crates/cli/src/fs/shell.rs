//! What every `alluxio fs` command shares: the configuration, one client per master (a path
//! written `alluxio://host:port/...` talks to that master), and glob expansion.

use std::collections::HashMap;
use std::sync::Mutex;

use alluxio_client::{AlluxioPath, AlluxioUri, FileInfo, FileSystem, ListStatusOptions};
use alluxio_conf::{Configuration, keys};
use anyhow::{Context, bail};

/// A path in Alluxio together with the client of the master that owns it.
#[derive(Clone)]
pub struct Target {
    /// Client of the master named by the URI (or the configured one).
    pub fs: FileSystem,
    /// The path inside that namespace.
    pub path: AlluxioPath,
}

/// Shared state of one `alluxio fs` invocation.
pub struct Shell {
    conf: Configuration,
    clients: Mutex<HashMap<Option<String>, FileSystem>>,
}

impl Shell {
    /// A shell that connects lazily with `conf`.
    pub fn new(conf: Configuration) -> Self {
        Self {
            conf,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The configuration of this invocation.
    pub fn conf(&self) -> &Configuration {
        &self.conf
    }

    /// The client of the configured master.
    pub async fn default_client(&self) -> anyhow::Result<FileSystem> {
        self.client(None).await
    }

    async fn client(&self, authority: Option<&str>) -> anyhow::Result<FileSystem> {
        let key = authority.map(str::to_string);
        if let Some(fs) = self.lock_clients().get(&key) {
            return Ok(fs.clone());
        }
        let mut conf = self.conf.clone();
        if let Some((host, port)) = authority.and_then(|a| a.rsplit_once(':')) {
            conf.set(keys::MASTER_HOSTNAME, host);
            conf.set(keys::MASTER_PORT, port);
        }
        let master = format!(
            "{}:{}",
            conf.get(keys::MASTER_HOSTNAME)?,
            conf.get(keys::MASTER_PORT)?
        );
        let fs = FileSystem::connect(conf)
            .await
            .with_context(|| format!("cannot connect to the Alluxio master at {master}"))?;
        self.lock_clients().insert(key, fs.clone());
        Ok(fs)
    }

    fn lock_clients(&self) -> std::sync::MutexGuard<'_, HashMap<Option<String>, FileSystem>> {
        // The map only caches clients; a panic while it was held cannot leave it inconsistent.
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Parses `/a/b` or `alluxio://host:port/a/b`.
    pub async fn target(&self, raw: &str) -> anyhow::Result<Target> {
        let uri = AlluxioUri::parse(raw)?;
        let fs = self.client(uri.authority.as_deref()).await?;
        Ok(Target { fs, path: uri.path })
    }

    /// Like [`Shell::target`], but a `*` or `?` in the last component expands against the parent
    /// directory's listing; a pattern matching nothing is an error.
    pub async fn expand(&self, raw: &str) -> anyhow::Result<Vec<Target>> {
        let target = self.target(raw).await?;
        let pattern = target.path.name().to_string();
        if !pattern.contains(['*', '?']) {
            return Ok(vec![target]);
        }
        let Some(parent) = target.path.parent() else {
            return Ok(vec![target]);
        };
        let children = target
            .fs
            .list_status(&parent, ListStatusOptions::default())
            .await
            .with_context(|| format!("cannot expand {raw}"))?;
        let mut matches: Vec<Target> = Vec::new();
        for child in children.iter().filter(|c| wildcard_match(&pattern, &c.name)) {
            matches.push(Target {
                fs: target.fs.clone(),
                path: AlluxioPath::new(&child.path)?,
            });
        }
        if matches.is_empty() {
            bail!("{raw} does not exist");
        }
        matches.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(matches)
    }
}

impl Target {
    /// Status of this path, with the path named in the error.
    pub async fn status(&self) -> anyhow::Result<FileInfo> {
        self.fs
            .get_status(&self.path)
            .await
            .with_context(|| format!("cannot get the status of {}", self.path))
    }

    /// Hands each entry of the listing of this path to `each`, in path order, a page at a
    /// time as the master streams it (a listing of any size takes one page of memory).
    pub async fn for_each_listed(
        &self,
        options: ListStatusOptions,
        mut each: impl FnMut(&FileInfo),
    ) -> anyhow::Result<()> {
        let cannot_list = || format!("cannot list {}", self.path);
        let mut pages = self
            .fs
            .list_status_pages(&self.path, options)
            .await
            .with_context(cannot_list)?;
        while let Some(page) = pages.next_page().await.with_context(cannot_list)? {
            page.iter().for_each(&mut each);
        }
        Ok(())
    }

    /// The same master, another path.
    pub fn with_path(&self, path: AlluxioPath) -> Target {
        Target {
            fs: self.fs.clone(),
            path,
        }
    }
}

/// Shell-style matching of one name: `*` any run of characters, `?` one character.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((star_p, star_n)) = star {
            p = star_p + 1;
            n = star_n + 1;
            star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*.txt", "a.txt"));
        assert!(wildcard_match("a*b*c", "aXXbYc"));
        assert!(wildcard_match("f?le", "file"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("*.txt", "a.txt.gz"));
        assert!(!wildcard_match("f?le", "fle"));
    }
}
