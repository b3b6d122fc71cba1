//! Helpers shared by the integration tests: signing arbitrary header/payload bytes and
//! reading the vector files under the repository's `tests/vectors/`.
#![allow(dead_code)]

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const KEY: &[u8] = b"Hf7aQ2mZ9xLp4Rt8Vc3Nw6Yb1Ks5Jd0E";
pub const OTHER_KEY: &[u8] = b"Zz9yXx8wWv7uUt6sSr5qQp4oOn3mMl2k";

pub fn vectors(file: &str) -> serde_json::Value {
    let path = format!("{}/../tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

pub fn b64(data: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(data)
}

pub fn sign(key: &[u8], signing_input: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(signing_input.as_bytes());
    b64(&mac.finalize().into_bytes())
}

/// A correctly signed token over the raw JSON `header` and `payload`.
pub fn token(key: &[u8], header: &str, payload: &str) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = sign(key, &input);
    format!("{input}.{sig}")
}

/// A standard HappyFox-shaped payload.
pub fn payload(email: &str, iat: u64, jti: &str) -> String {
    serde_json::json!({"name": "Jo", "email": email, "iat": iat, "jti": jti}).to_string()
}

pub const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
