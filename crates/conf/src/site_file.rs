//! Reading `alluxio-site.properties` (Java properties syntax).

use std::path::Path;

use crate::ConfError;

/// The `key=value` pairs of a properties file, in file order.
pub(crate) fn read(path: &Path) -> Result<Vec<(String, String)>, ConfError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, &path.display().to_string())
}

/// Parses Java properties: `#`/`!` comments, `key=value`, `key: value` or `key value`, and
/// lines continued with a trailing backslash.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Vec<(String, String)>, ConfError> {
    let mut pairs = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let mut logical = line.trim_start().to_string();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        while logical.ends_with('\\') {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let split = logical.find(['=', ':', ' ', '\t']);
        let (key, value) = match split {
            Some(i) => {
                let value = logical[i + 1..].trim_start();
                let value = value.strip_prefix(['=', ':']).unwrap_or(value);
                (logical[..i].trim(), value.trim())
            }
            None => (logical.trim(), ""),
        };
        if key.is_empty() {
            return Err(ConfError::Syntax {
                origin: format!("{origin}:{}", index + 1),
                text: line.to_string(),
            });
        }
        pairs.push((key.to_string(), value.to_string()));
    }
    Ok(pairs)
}
