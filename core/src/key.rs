//! The HS256 key: HMAC-SHA256 keyed once, its midstates wiped on drop.

use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::{Error, Reason, sat};

/// The shortest key hfjwt accepts, in bytes: RFC 7518 §3.2 requires a key at least as long as
/// the HS256 output. HappyFox keys are 32 alphanumeric characters.
pub const MIN_KEY_LEN: usize = 32;

/// Length of an HS256 signature in bytes.
pub(crate) const SIG_LEN: usize = 32;

/// A shared HS256 key.
///
/// The HMAC inner and outer hash states are computed once here, so signing or verifying a
/// token hashes only the token. The raw key bytes are not kept; the two SHA-256 midstates that
/// stand for them are zeroized when the `Key` is dropped (RustCrypto's `zeroize` feature).
/// `Debug` and `defmt` print `Key(<redacted>)`.
///
/// ```
/// let key = hfjwt::Key::new(b"0123456789abcdefghijklmnopqrstuv")?;
/// assert_eq!(format!("{key:?}"), "Key(<redacted>)");
/// assert_eq!(hfjwt::Key::new(b"short").unwrap_err().kind(), hfjwt::ErrorKind::WeakKey);
/// # Ok::<(), hfjwt::Error>(())
/// ```
#[derive(Clone)]
pub struct Key {
    mac: Hmac<Sha256>,
}

impl Key {
    /// Keys HMAC-SHA256 with `bytes` (for HappyFox: the bytes of the 32-character key).
    ///
    /// Fails with [`ErrorKind::WeakKey`](crate::ErrorKind::WeakKey) when `bytes` is shorter than [`MIN_KEY_LEN`].
    pub fn new(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < MIN_KEY_LEN {
            return Err(Error::new(Reason::KeyTooShort {
                len: sat(bytes.len()),
            }));
        }
        // HMAC accepts keys of any length; the only failure mode is unreachable for Hmac.
        Hmac::<Sha256>::new_from_slice(bytes)
            .map(|mac| Key { mac })
            .map_err(|_| {
                Error::new(Reason::KeyTooShort {
                    len: sat(bytes.len()),
                })
            })
    }

    /// HMAC-SHA256 of `message` under this key.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; SIG_LEN] {
        let mut mac = self.mac.clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// Whether `tag` is the HMAC-SHA256 of `message`, compared in constant time.
    pub(crate) fn verify(&self, message: &[u8], tag: &[u8; SIG_LEN]) -> bool {
        let mut mac = self.mac.clone();
        mac.update(message);
        mac.verify_slice(tag).is_ok()
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Key {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Key(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn rfc4231_case_2_style_long_key() {
        // RFC 4231 test case 6 uses a 131-byte key: longer-than-block keys are hashed first.
        let key = [0xaau8; 131];
        let k = Key::new(&key).unwrap();
        let tag = k.sign(b"Test Using Larger Than Block-Size Key - Hash Key First");
        let expected = [
            0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f, 0x0d, 0x8a, 0x26, 0xaa, 0xcb, 0xf5,
            0xb7, 0x7f, 0x8e, 0x0b, 0xc6, 0x21, 0x37, 0x28, 0xc5, 0x14, 0x05, 0x46, 0x04, 0x0f,
            0x0e, 0xe3, 0x7f, 0x54,
        ];
        assert_eq!(tag, expected);
        assert!(k.verify(
            b"Test Using Larger Than Block-Size Key - Hash Key First",
            &expected
        ));
        let mut wrong = expected;
        wrong[31] ^= 1;
        assert!(!k.verify(
            b"Test Using Larger Than Block-Size Key - Hash Key First",
            &wrong
        ));
    }

    #[test]
    fn weak_keys_are_refused() {
        for len in [0, 1, 16, 31] {
            let err = Key::new(&[b'a'; 64][..len]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WeakKey);
        }
        assert!(Key::new(&[b'a'; 32]).is_ok());
    }
}
