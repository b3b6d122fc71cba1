//! Where a key comes from: a file or an environment variable, never the command line
//! (argv is visible to every user of the machine through `ps`).

use std::path::{Path, PathBuf};

use hfjwt::Key;
use zeroize::Zeroizing;

use crate::failure::Failure;

/// `--key-file PATH` or `--key-env VAR`.
#[derive(clap::Args, Clone, Debug, Default)]
#[group(id = "key_source", multiple = false)]
pub struct KeySource {
    /// File holding the key, e.g. HappyFox's 32-character JWT key (a trailing newline is
    /// stripped).
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    /// Environment variable holding the key.
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<String>,
}

impl KeySource {
    /// Whether a source was given.
    pub fn is_given(&self) -> bool {
        self.key_file.is_some() || self.key_env.is_some()
    }

    /// Reads the key and keys HMAC with it; the raw bytes are wiped once read.
    ///
    /// A missing source or an unreadable file is a usage failure; a key the core refuses
    /// (`weak_key`) is a configuration failure. Both exit 2.
    pub fn load(&self) -> Result<Key, Failure> {
        if let Some(path) = &self.key_file {
            load_file(path)
        } else if let Some(var) = &self.key_env {
            let value = std::env::var_os(var)
                .ok_or_else(|| Failure::usage(format!("environment variable {var} is not set")))?;
            let bytes = Zeroizing::new(value.into_encoded_bytes());
            Key::new(&bytes).map_err(Failure::Config)
        } else {
            Err(Failure::usage(
                "a key is needed: pass --key-file PATH or --key-env VAR",
            ))
        }
    }
}

fn load_file(path: &Path) -> Result<Key, Failure> {
    let bytes =
        Zeroizing::new(std::fs::read(path).map_err(|e| {
            Failure::usage(format!("cannot read key file {}: {e}", path.display()))
        })?);
    let key = bytes
        .strip_suffix(b"\r\n")
        .or_else(|| bytes.strip_suffix(b"\n"))
        .unwrap_or(&bytes);
    Key::new(key).map_err(Failure::Config)
}
