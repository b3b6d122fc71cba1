//! The kiosk configuration baked in at build time by `build.rs` from `firmware/kiosk.toml`
//! (or `$HFJWT_KIOSK_CONFIG`; keys from `$HFJWT_PORTAL_KEY` / `$HFJWT_HAPPYFOX_KEY`).
//!
//! The repository's `kiosk.toml` holds PUBLIC DEMO KEYS ([`DEMO_KEYS`] is `true`); a real
//! deployment provisions its own, see `firmware/README.md`.

use hfjwt::{Error, Key};

include!(concat!(env!("OUT_DIR"), "/kiosk_config.rs"));

/// The portal's key, which verifies scanned tokens.
pub fn portal_key() -> Result<Key, Error> {
    Key::new(PORTAL_KEY)
}

/// HappyFox's key, which signs the tokens the kiosk mints.
pub fn happyfox_key() -> Result<Key, Error> {
    Key::new(HAPPYFOX_KEY)
}
