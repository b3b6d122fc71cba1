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
pub const MAX_KEY_SOURCE_LEN: usize = hfjwt::MAX_KEY_TEXT_LEN;

/// What is wrong with a key's bytes (the core's kinds and words).
pub use hfjwt::KeyTextProblem as KeyProblem;

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
        let key =
            key_bytes(&bytes).map_err(|problem| Failure::usage(format!("{origin}: {problem}")))?;
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

/// The key in `source` by the one rule of every front end ([`hfjwt::key_text`]): exactly one
/// trailing `\n` or `\r\n` stripped, anything else around or inside it that is not key
/// material refused.
pub fn key_bytes(source: &[u8]) -> Result<&[u8], KeyProblem> {
    hfjwt::key_text(source)
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
