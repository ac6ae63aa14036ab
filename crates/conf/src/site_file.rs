//! Reading `alluxio-site.properties` (the syntax of `java.util.Properties`).

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

const WHITESPACE: [char; 3] = [' ', '\t', '\u{c}'];

/// Parses Java properties: `#`/`!` comment lines, `key=value`, `key: value` or `key value`, a
/// key alone (empty value), lines continued by an odd number of trailing backslashes, and the
/// escapes `\t \n \r \f \uXXXX` (any other escaped character stands for itself).
pub(crate) fn parse(text: &str, origin: &str) -> Result<Vec<(String, String)>, ConfError> {
    let mut pairs = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let mut logical = line.trim_start_matches(WHITESPACE).to_string();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        while continues(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start_matches(WHITESPACE)),
                None => break,
            }
        }
        let syntax_error = || ConfError::Syntax {
            origin: format!("{origin}:{}", index + 1),
            text: line.to_string(),
        };
        let (key, rest) = unescape_until(&logical, |c| c == '=' || c == ':' || WHITESPACE.contains(&c))
            .ok_or_else(syntax_error)?;
        let rest = rest.trim_start_matches(WHITESPACE);
        let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest);
        let (value, _) =
            unescape_until(rest.trim_start_matches(WHITESPACE), |_| false).ok_or_else(syntax_error)?;
        if key.is_empty() {
            return Err(syntax_error());
        }
        pairs.push((key, value.trim_end().to_string()));
    }
    Ok(pairs)
}

/// Whether a line ends with an odd number of backslashes, i.e. an unescaped one.
fn continues(line: &str) -> bool {
    line.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Unescapes `text` up to the first unescaped character matching `stop`; returns the unescaped
/// part and the rest (starting at the stop character). `None` on a malformed `\u` escape.
fn unescape_until(text: &str, stop: impl Fn(char) -> bool) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            if stop(c) {
                return Some((out, &text[at..]));
            }
            out.push(c);
            continue;
        }
        match chars.next() {
            None => {}
            Some((_, 't')) => out.push('\t'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, 'f')) => out.push('\u{c}'),
            Some((start, 'u')) => {
                let hex = text.get(start + 1..start + 5)?;
                out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                for _ in 0..4 {
                    chars.next();
                }
            }
            Some((_, other)) => out.push(other),
        }
    }
    Some((out, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text, "test").unwrap_or_else(|e| panic!("{e}"))
    }

    fn pair(key: &str, value: &str) -> (String, String) {
        (key.to_string(), value.to_string())
    }

    proptest::proptest! {
        /// Any text, bytes of a damaged file included, parses or fails naming the file.
        #[test]
        fn any_text_parses_or_names_the_file(text in "(.|\n|\\|=|:|#){0,200}") {
            if let Err(err) = parse(&text, "the-site-file") {
                proptest::prop_assert!(err.to_string().contains("the-site-file"), "{err}");
            }
        }

        /// Properties written one per line, separated by any of `=`, `:` or a space, read back
        /// exactly, values with inner spaces and backslashes (escaped) included. (A value may
        /// not start with `=` or `:`: after a space, as in Java, that is the separator.)
        #[test]
        fn written_properties_read_back(
            entries in proptest::collection::vec(
                ("[a-z][a-z0-9.]{0,20}", "([A-Za-z0-9./_\\-]([A-Za-z0-9 ./:_\\-]*[A-Za-z0-9./:_\\-])?)?", 0..3usize),
                0..10,
            ),
        ) {
            let text: String = entries
                .iter()
                .map(|(key, value, separator)| {
                    let separator = ["=", " : ", " "][*separator];
                    format!("{key}{separator}{}\n", value.replace('\\', "\\\\"))
                })
                .collect();
            let expected: Vec<(String, String)> =
                entries.into_iter().map(|(key, value, _)| (key, value)).collect();
            proptest::prop_assert_eq!(pairs(&text), expected);
        }
    }

    #[test]
    fn separators_comments_and_bare_keys() {
        let text = "# comment\n! also a comment\n\n  a=1\nb : 2\nc 3\nd\te=4\nonly.key\nf=\ng = x = y\n";
        assert_eq!(
            pairs(text),
            vec![
                pair("a", "1"),
                pair("b", "2"),
                pair("c", "3"),
                pair("d", "e=4"),
                pair("only.key", ""),
                pair("f", ""),
                pair("g", "x = y"),
            ]
        );
    }

    #[test]
    fn continuation_lines_join_without_leading_space() {
        let text = "list=a,\\\n    b,\\\n\tc\nnext=1\n";
        assert_eq!(pairs(text), vec![pair("list", "a,b,c"), pair("next", "1")]);
        // An even number of backslashes is an escaped backslash, not a continuation.
        assert_eq!(
            pairs("path=C:\\\\\nx=1"),
            vec![pair("path", "C:\\"), pair("x", "1")]
        );
        // A comment line is never continued.
        assert_eq!(pairs("# a \\\nb=1"), vec![pair("b", "1")]);
        assert_eq!(pairs("last=a\\"), vec![pair("last", "a")]);
    }

    #[test]
    fn escapes_in_keys_and_values() {
        assert_eq!(
            pairs("my\\ key\\=x=tab\\there\\u00e9\\:"),
            vec![pair("my key=x", "tab\there\u{e9}:")]
        );
        assert!(parse("k=\\u12", "f").is_err());
    }

    #[test]
    fn a_line_without_key_is_an_error_naming_file_and_line() {
        let err = parse("a=1\n=2\n", "/etc/alluxio/alluxio-site.properties").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/etc/alluxio/alluxio-site.properties:2: '=2' is not of the form key=value"
        );
    }
}
