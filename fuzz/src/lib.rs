//! Helpers shared by the hfjwt fuzz targets and the seed generator.
//!
//! Inputs use small fixed-size prefixes (read with `arbitrary::Unstructured`) followed by the
//! interesting bytes, so that seeds can be written by hand and libFuzzer's mutations of the
//! token land on the token rather than on length prefixes.

use base64ct::{Base64UrlUnpadded, Encoding};
use hfjwt::Key;

/// The key every target signs and verifies with (a HappyFox-style 32-character key).
pub const KEY: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
/// A second key, for cross-key checks.
pub const OTHER_KEY: &[u8; 32] = b"vutsrqponmlkjihgfedcba9876543210";
/// The header hfjwt mints.
pub const HEADER_JSON: &[u8] = br#"{"alg":"HS256","typ":"JWT"}"#;

pub fn key() -> Key {
    Key::new(KEY).expect("32-byte key")
}

/// HMAC-SHA256 of `msg` under `key`, computed with RustCrypto directly (hfjwt only signs
/// the claims it mints; the targets need signatures over arbitrary headers and payloads).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// `b64(header).b64(payload).b64(HMAC)` for arbitrary header and payload bytes.
pub fn sign(key: &[u8], header: &[u8], payload: &[u8]) -> String {
    let mut t = Base64UrlUnpadded::encode_string(header);
    t.push('.');
    t.push_str(&Base64UrlUnpadded::encode_string(payload));
    let sig = hmac_sha256(key, t.as_bytes());
    t.push('.');
    t.push_str(&Base64UrlUnpadded::encode_string(&sig));
    t
}

/// Splits `b` at the first NUL (which valid JSON never contains).
pub fn split_nul(b: &[u8]) -> (&[u8], Option<&[u8]>) {
    match b.iter().position(|&c| c == 0) {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    }
}
