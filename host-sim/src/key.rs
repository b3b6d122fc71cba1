//! Where a key comes from: a file (`-` for standard input) or an environment variable, never
//! the command line (argv is visible to every user of the machine through `ps`).
//!
//! One rule for every source, shared with the Python side: exactly one trailing `\n` or
//! `\r\n` is stripped (an editor's final newline); anything else that is not part of a key
//! is refused with a message that says what — other leading or trailing whitespace, control
//! characters, a UTF-8 byte order mark — because a key that keeps it signs tokens HappyFox
//! rejects. A key source longer than [`MAX_KEY_SOURCE_LEN`] is refused without reading it
//! whole (`--key-file /dev/zero` reads 4 KiB + 1 byte, not forever). A key file that group or
//! others may read gets a warning on stderr.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use hfjwt::Key;
use zeroize::Zeroizing;

use crate::failure::Failure;

/// The most bytes a key file, standard input or a key variable may hold, final newline
/// included. HappyFox keys are 32 characters; anything near this size is not a key.
pub const MAX_KEY_SOURCE_LEN: usize = 4096;

/// `--key-file PATH` or `--key-env VAR`.
#[derive(clap::Args, Clone, Debug, Default)]
#[group(id = "key_source", multiple = false)]
pub struct KeySource {
    /// File holding the key, e.g. HappyFox's 32-character JWT key; `-` reads standard input.
    /// One trailing newline is stripped; other whitespace, control characters or a BOM are
    /// refused.
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Environment variable holding the key (same rule as a key file).
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<String>,
}

impl KeySource {
    /// Whether a source was given.
    pub fn is_given(&self) -> bool {
        self.key_file.is_some() || self.key_env.is_some()
    }

    /// Whether the key is read from standard input (`--key-file -`), which then cannot
    /// carry anything else.
    pub fn reads_stdin(&self) -> bool {
        self.key_file.as_deref() == Some(Path::new("-"))
    }

    /// Reads the key and keys HMAC with it; the raw bytes are wiped once read.
    ///
    /// A missing source, an unreadable or oversized file, or a key with stray bytes is a
    /// usage failure; a key the core refuses (`weak_key`) is a configuration failure. Both
    /// exit 2.
    pub fn load(&self) -> Result<Key, Failure> {
        let (origin, bytes) = if let Some(path) = &self.key_file {
            let origin = if path == Path::new("-") {
                Origin::Stdin
            } else {
                Origin::File(path)
            };
            (origin, read_key_file(path)?)
        } else if let Some(var) = &self.key_env {
            let value = std::env::var_os(var)
                .ok_or_else(|| Failure::usage(format!("environment variable {var} is not set")))?;
            (Origin::Env(var), Zeroizing::new(value.into_encoded_bytes()))
        } else {
            return Err(Failure::usage(
                "a key is needed: pass --key-file PATH or --key-env VAR",
            ));
        };
        let key = key_bytes(&bytes).map_err(|problem| {
            Failure::usage(format!("{origin}: {problem}; {}", problem.advice()))
        })?;
        Key::new(key).map_err(Failure::Config)
    }
}

/// Where a key was read from, for messages.
#[derive(Clone, Copy, Debug)]
enum Origin<'a> {
    File(&'a Path),
    Stdin,
    Env(&'a str),
}

impl fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(p) => write!(f, "key file {}", p.display()),
            Origin::Stdin => f.write_str("the key on standard input"),
            Origin::Env(v) => write!(f, "environment variable {v}"),
        }
    }
}

/// What is wrong with a key's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// More than [`MAX_KEY_SOURCE_LEN`] bytes.
    TooLarge,
    /// It starts with the UTF-8 byte order mark (EF BB BF), as some Windows editors save.
    ByteOrderMark,
    /// Whitespace before the key or after it (beyond the one final newline stripped).
    SurroundingWhitespace,
    /// A control character (U+0000–U+001F, U+007F–U+009F) inside the key.
    ControlCharacter,
}

impl KeyProblem {
    /// What to do about it.
    fn advice(self) -> &'static str {
        match self {
            KeyProblem::TooLarge => "a HappyFox key is 32 characters",
            KeyProblem::ByteOrderMark => "save the file as UTF-8 without BOM, or as plain ASCII",
            KeyProblem::SurroundingWhitespace | KeyProblem::ControlCharacter => {
                "write only the key, optionally followed by one newline"
            }
        }
    }
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyProblem::TooLarge => "is larger than 4 KiB, so it is not a key",
            KeyProblem::ByteOrderMark => "starts with a UTF-8 byte order mark (BOM)",
            KeyProblem::SurroundingWhitespace => {
                "has whitespace before or after the key (only one final newline is stripped)"
            }
            KeyProblem::ControlCharacter => "contains control characters",
        })
    }
}

/// The key in `source`: exactly one trailing `\n` or `\r\n` stripped, and refused when
/// anything else around or inside it is not key material (see the module docs).
pub fn key_bytes(source: &[u8]) -> Result<&[u8], KeyProblem> {
    if source.len() > MAX_KEY_SOURCE_LEN {
        return Err(KeyProblem::TooLarge);
    }
    let key = source
        .strip_suffix(b"\r\n")
        .or_else(|| source.strip_suffix(b"\n"))
        .unwrap_or(source);
    if key.starts_with(b"\xEF\xBB\xBF") {
        return Err(KeyProblem::ByteOrderMark);
    }
    // Decoded leniently: invalid UTF-8 becomes U+FFFD, which is neither whitespace nor a
    // control character, so raw non-UTF-8 key bytes pass through to the core as they are.
    let text = String::from_utf8_lossy(key);
    let (first, last) = (text.chars().next(), text.chars().next_back());
    if first.is_some_and(char::is_whitespace) || last.is_some_and(char::is_whitespace) {
        return Err(KeyProblem::SurroundingWhitespace);
    }
    if text.chars().any(char::is_control) {
        return Err(KeyProblem::ControlCharacter);
    }
    Ok(key)
}

/// Reads at most [`MAX_KEY_SOURCE_LEN`] + 1 bytes of `path` (`-`: standard input), warning
/// when a regular file is readable by group or others.
fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let cannot =
        |e: std::io::Error| Failure::usage(format!("cannot read key file {}: {e}", path.display()));
    let mut bytes = Zeroizing::new(Vec::with_capacity(64));
    let limit = u64::try_from(MAX_KEY_SOURCE_LEN)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
    } else {
        let file = std::fs::File::open(path).map_err(cannot)?;
        warn_if_shared(path, &file);
        file.take(limit).read_to_end(&mut bytes).map_err(cannot)?;
    }
    Ok(bytes)
}

/// A warning on stderr when `file` is a regular file that group or others may read.
#[cfg(unix)]
fn warn_if_shared(path: &Path, file: &std::fs::File) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = file.metadata()
        && meta.is_file()
    {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o044 != 0 {
            eprintln!(
                "hfjwt-sim: warning: key file {} is readable by group or others (mode {mode:03o}); \
                 chmod 600 it",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_: &Path, _: &std::fs::File) {}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdefghijklmnopqrstuv";

    fn with(prefix: &[u8], suffix: &[u8]) -> Vec<u8> {
        [prefix, KEY, suffix].concat()
    }

    #[test]
    fn strips_exactly_one_final_newline() {
        for suffix in [&b""[..], b"\n", b"\r\n"] {
            assert_eq!(key_bytes(&with(b"", suffix)), Ok(KEY), "{suffix:?}");
        }
        for suffix in [
            &b"\n\n"[..],
            b"\r\n\n",
            b"\n\r\n",
            b" \n",
            b"\r",
            b"\t",
            b" ",
        ] {
            assert_eq!(
                key_bytes(&with(b"", suffix)),
                Err(KeyProblem::SurroundingWhitespace),
                "{suffix:?}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_key_material() {
        for prefix in [&b" "[..], b"\n", b"\t", "\u{a0}".as_bytes()] {
            assert_eq!(
                key_bytes(&with(prefix, b"\n")),
                Err(KeyProblem::SurroundingWhitespace),
                "{prefix:?}"
            );
        }
        assert_eq!(
            key_bytes(&with(b"\xEF\xBB\xBF", b"\n")),
            Err(KeyProblem::ByteOrderMark)
        );
        for inner in [&b"\0"[..], b"\x1b", b"\x7f", "\u{85}".as_bytes()] {
            let key = [&KEY[..8], inner, &KEY[8..]].concat();
            assert_eq!(
                key_bytes(&key),
                Err(KeyProblem::ControlCharacter),
                "{inner:?}"
            );
        }
        // Inner spaces are the core's business (weak or not), not stray bytes.
        assert!(key_bytes(b"correct horse battery staple 1234").is_ok());
        // Non-UTF-8 bytes are key bytes.
        assert!(key_bytes(b"\xff\xfe0123456789abcdefghijklmnopqrst").is_ok());
    }

    #[test]
    fn refuses_sources_over_4_kib() {
        assert!(key_bytes(&[b'a'; MAX_KEY_SOURCE_LEN]).is_ok());
        assert_eq!(
            key_bytes(&[b'a'; MAX_KEY_SOURCE_LEN + 1]),
            Err(KeyProblem::TooLarge)
        );
    }
}
