//! Alluxio paths: `/a/b` or `alluxio://host:port/a/b`, normalised (no `//`, no trailing `/`,
//! `.` and `..` resolved) and validated once, so the master and the client never see a raw string.

use std::fmt;

/// Why a string is not a valid Alluxio path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Not absolute.
    #[error("invalid path '{0}': an Alluxio path must start with '/' (or alluxio://host:port/)")]
    NotAbsolute(String),
    /// An `alluxio://` URI without `host:port`, or a scheme other than `alluxio`.
    #[error("invalid URI '{0}': expected alluxio://host:port/path")]
    BadUri(String),
    /// `..` above the root.
    #[error("invalid path '{0}': '..' goes above the root")]
    AboveRoot(String),
    /// A NUL or other control character.
    #[error("invalid path '{0}': it contains a control character")]
    ControlCharacter(String),
    /// A name that cannot be a path component.
    #[error("invalid name '{0}': a file name cannot be empty, '.', '..' or contain '/'")]
    BadName(String),
}

/// A normalised absolute Alluxio path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlluxioPath(String);

impl AlluxioPath {
    /// Parses and normalises an absolute path (no scheme).
    pub fn new(raw: &str) -> Result<Self, PathError> {
        if !raw.starts_with('/') {
            return Err(PathError::NotAbsolute(raw.to_string()));
        }
        if raw.chars().any(char::is_control) {
            return Err(PathError::ControlCharacter(raw.escape_debug().to_string()));
        }
        if is_normalised(raw) {
            return Ok(Self(raw.to_string()));
        }
        let mut parts: Vec<&str> = Vec::new();
        for part in raw.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(PathError::AboveRoot(raw.to_string()));
                    }
                }
                name => parts.push(name),
            }
        }
        Ok(Self(format!("/{}", parts.join("/"))))
    }

    /// The root, `/`.
    pub fn root() -> Self {
        Self("/".to_string())
    }

    /// Whether this is `/`.
    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The names from the root down; empty for the root.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }

    /// Number of components (0 for the root).
    pub fn depth(&self) -> usize {
        self.components().count()
    }

    /// The last component; empty for the root.
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }

    /// The parent directory; `None` for the root.
    pub fn parent(&self) -> Option<Self> {
        if self.is_root() {
            return None;
        }
        let cut = self.0.rfind('/').unwrap_or(0);
        Some(if cut == 0 {
            Self::root()
        } else {
            Self(self.0[..cut].to_string())
        })
    }

    /// This path with `name` appended; `name` must be a single valid component.
    pub fn join(&self, name: &str) -> Result<Self, PathError> {
        if name.is_empty() || name == "." || name == ".." || name.contains('/') {
            return Err(PathError::BadName(name.to_string()));
        }
        if name.chars().any(char::is_control) {
            return Err(PathError::ControlCharacter(name.escape_debug().to_string()));
        }
        let parent = if self.is_root() { "" } else { self.0.as_str() };
        let mut joined = String::with_capacity(parent.len() + 1 + name.len());
        joined.push_str(parent);
        joined.push('/');
        joined.push_str(name);
        Ok(Self(joined))
    }

    /// Whether `self` is `other` or one of its ancestors.
    pub fn is_ancestor_of(&self, other: &AlluxioPath) -> bool {
        self.is_root()
            || other.0 == self.0
            || (other.0.starts_with(&self.0) && other.0.as_bytes().get(self.0.len()) == Some(&b'/'))
    }
}

impl fmt::Display for AlluxioPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for AlluxioPath {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// A path as a user writes it: optionally with the master's `host:port` in front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlluxioUri {
    /// `host:port` of the master named in the URI, if any.
    pub authority: Option<String>,
    /// The path inside the namespace.
    pub path: AlluxioPath,
}

impl AlluxioUri {
    /// Parses `/a/b` or `alluxio://host:port/a/b`.
    pub fn parse(raw: &str) -> Result<Self, PathError> {
        let Some(rest) = raw.strip_prefix("alluxio://") else {
            if raw.contains("://") {
                return Err(PathError::BadUri(raw.to_string()));
            }
            return Ok(Self {
                authority: None,
                path: AlluxioPath::new(raw)?,
            });
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let valid_authority = authority
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid_authority {
            return Err(PathError::BadUri(raw.to_string()));
        }
        Ok(Self {
            authority: Some(authority.to_string()),
            path: AlluxioPath::new(path)?,
        })
    }
}

/// Whether `raw` (absolute) is already in normal form: `/` alone, or `/`-separated names with
/// no empty, `.` or `..` one and no trailing `/`.
fn is_normalised(raw: &str) -> bool {
    raw == "/"
        || raw
            .strip_prefix('/')
            .is_some_and(|names| names.split('/').all(|name| !matches!(name, "" | "." | "..")))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any text is a normalised path or refused: a normalised path is absolute, has no
        /// empty, `.` or `..` component, no control character, and parses to itself.
        #[test]
        fn any_text_is_a_normalised_path_or_refused(raw in "/?(/|[a-z]|\\.|\\.\\.|[^a-z/.]){0,40}") {
            let _ = AlluxioUri::parse(&raw);
            if let Ok(path) = AlluxioPath::new(&raw) {
                let text = path.as_str();
                proptest::prop_assert!(text.starts_with('/'));
                proptest::prop_assert!(!text.chars().any(char::is_control));
                if text != "/" {
                    for name in text[1..].split('/') {
                        proptest::prop_assert!(!matches!(name, "" | "." | ".."), "{text}");
                    }
                }
                proptest::prop_assert_eq!(AlluxioPath::new(text), Ok(path.clone()));
            }
        }
    }

    #[test]
    fn normalises_slashes_dots_and_trailing_separators() {
        assert_eq!(AlluxioPath::new("//a/./b//c/").unwrap().as_str(), "/a/b/c");
        assert_eq!(AlluxioPath::new("/a/b/../c").unwrap().as_str(), "/a/c");
        assert_eq!(AlluxioPath::new("/").unwrap(), AlluxioPath::root());
    }

    #[test]
    fn rejects_relative_control_and_above_root_paths() {
        assert_eq!(AlluxioPath::new("a/b"), Err(PathError::NotAbsolute("a/b".into())));
        assert!(matches!(
            AlluxioPath::new("/a\0b"),
            Err(PathError::ControlCharacter(_))
        ));
        assert!(matches!(AlluxioPath::new("/.."), Err(PathError::AboveRoot(_))));
    }

    #[test]
    fn parent_name_join_and_ancestry() {
        let p = AlluxioPath::new("/a/b").unwrap();
        assert_eq!(p.name(), "b");
        assert_eq!(p.parent().unwrap().as_str(), "/a");
        assert_eq!(p.parent().unwrap().parent().unwrap(), AlluxioPath::root());
        assert_eq!(AlluxioPath::root().parent(), None);
        assert_eq!(AlluxioPath::root().join("x").unwrap().as_str(), "/x");
        assert!(p.join("..").is_err());
        assert!(AlluxioPath::new("/a").unwrap().is_ancestor_of(&p));
        assert!(
            !AlluxioPath::new("/ab")
                .unwrap()
                .is_ancestor_of(&AlluxioPath::new("/a").unwrap())
        );
        assert!(
            !AlluxioPath::new("/a")
                .unwrap()
                .is_ancestor_of(&AlluxioPath::new("/ab").unwrap())
        );
        assert_eq!(p.components().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn parses_alluxio_uris() {
        let u = AlluxioUri::parse("alluxio://localhost:19998/x/y").unwrap();
        assert_eq!(u.authority.as_deref(), Some("localhost:19998"));
        assert_eq!(u.path.as_str(), "/x/y");
        assert_eq!(
            AlluxioUri::parse("alluxio://h:1").unwrap().path,
            AlluxioPath::root()
        );
        assert!(matches!(
            AlluxioUri::parse("alluxio://nohost/x"),
            Err(PathError::BadUri(_))
        ));
        assert!(matches!(
            AlluxioUri::parse("hdfs://h:1/x"),
            Err(PathError::BadUri(_))
        ));
        assert_eq!(AlluxioUri::parse("/z").unwrap().authority, None);
    }
}
