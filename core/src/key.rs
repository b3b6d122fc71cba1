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

/// The most bytes of key text [`key_text`] looks at: a HappyFox key is 32 characters, so a
/// longer source (a file, a variable) is not a key. Readers stop at this many bytes plus one.
pub const MAX_KEY_TEXT_LEN: usize = 4096;

/// Why key text is not a key (see [`key_text`]). `Display` says what is wrong and what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyTextProblem {
    /// More than [`MAX_KEY_TEXT_LEN`] bytes.
    TooLarge,
    /// It starts with the UTF-8 byte order mark (EF BB BF), as some Windows editors save.
    ByteOrderMark,
    /// Whitespace before the key or after it (beyond the one final newline stripped).
    SurroundingWhitespace,
    /// A control character (U+0000–U+001F, U+007F–U+009F) inside the key.
    ControlCharacter,
}

impl KeyTextProblem {
    /// What is wrong, e.g. "starts with a UTF-8 byte order mark (BOM)".
    pub const fn problem(self) -> &'static str {
        match self {
            KeyTextProblem::TooLarge => "is larger than 4 KiB, so it is not a key",
            KeyTextProblem::ByteOrderMark => "starts with a UTF-8 byte order mark (BOM)",
            KeyTextProblem::SurroundingWhitespace => {
                "has whitespace before or after the key (only one final newline is stripped)"
            }
            KeyTextProblem::ControlCharacter => "contains control characters",
        }
    }

    /// What to do about it.
    pub const fn advice(self) -> &'static str {
        match self {
            KeyTextProblem::TooLarge => "a HappyFox key is 32 characters",
            KeyTextProblem::ByteOrderMark => {
                "save the file as UTF-8 without BOM, or as plain ASCII"
            }
            KeyTextProblem::SurroundingWhitespace | KeyTextProblem::ControlCharacter => {
                "write only the key, optionally followed by one newline"
            }
        }
    }
}

impl core::fmt::Display for KeyTextProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}; {}", self.problem(), self.advice())
    }
}

impl core::error::Error for KeyTextProblem {}

/// The key in key text (a key file's bytes, an environment variable, a pasted string):
/// exactly one trailing `\n` or `\r\n` stripped, and refused when anything else around or
/// inside it is not key material — a key read with its newline, a BOM or a stray space signs
/// tokens HappyFox rejects. Every front end (hfjwt-sim, `python -m hfjwt`, Python `str` keys)
/// applies this one rule. Bytes that are not UTF-8 are taken as key material, as they are.
///
/// ```
/// assert_eq!(hfjwt::key_text(b"0123456789abcdefghijklmnopqrstuv\n"), Ok(&b"0123456789abcdefghijklmnopqrstuv"[..]));
/// assert!(hfjwt::key_text(b" 0123456789abcdefghijklmnopqrstuv").is_err());
/// ```
pub fn key_text(source: &[u8]) -> Result<&[u8], KeyTextProblem> {
    if source.len() > MAX_KEY_TEXT_LEN {
        return Err(KeyTextProblem::TooLarge);
    }
    let key = source
        .strip_suffix(b"\r\n")
        .or_else(|| source.strip_suffix(b"\n"))
        .unwrap_or(source);
    if key.starts_with(b"\xEF\xBB\xBF") {
        return Err(KeyTextProblem::ByteOrderMark);
    }
    // Read as UTF-8 where it is: an invalid sequence is neither whitespace nor a control
    // character, so raw non-UTF-8 key bytes pass through as they are.
    let (mut first, mut last, mut control) = (None, None, false);
    for (i, chunk) in key.utf8_chunks().enumerate() {
        let valid = chunk.valid();
        control |= valid.chars().any(char::is_control);
        if i == 0 {
            first = valid.chars().next();
        }
        last = if chunk.invalid().is_empty() {
            valid.chars().next_back()
        } else {
            None
        };
    }
    // Whitespace at the ends is named as such, though `\t` and `\n` are control characters too.
    if first.is_some_and(char::is_whitespace) || last.is_some_and(char::is_whitespace) {
        return Err(KeyTextProblem::SurroundingWhitespace);
    }
    if control {
        return Err(KeyTextProblem::ControlCharacter);
    }
    Ok(key)
}

#[cfg(test)]
mod key_text_tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdefghijklmnopqrstuv";

    fn with(prefix: &[u8], suffix: &[u8]) -> std::vec::Vec<u8> {
        [prefix, KEY, suffix].concat()
    }

    #[test]
    fn strips_exactly_one_final_newline() {
        for suffix in [&b""[..], b"\n", b"\r\n"] {
            assert_eq!(key_text(&with(b"", suffix)), Ok(KEY), "{suffix:?}");
        }
        for suffix in [
            &b"\n\n"[..],
            b"\r\n\r\n",
            b" \n",
            b"\t",
            b" ",
            b"\r",
            b"\xc2\xa0",
        ] {
            assert_eq!(
                key_text(&with(b"", suffix)),
                Err(KeyTextProblem::SurroundingWhitespace),
                "{suffix:?}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_key_material() {
        for prefix in [&b" "[..], b"\t", b"\n", b"\xe2\x80\x83"] {
            assert_eq!(
                key_text(&with(prefix, b"\n")),
                Err(KeyTextProblem::SurroundingWhitespace),
                "{prefix:?}"
            );
        }
        assert_eq!(
            key_text(&with(b"\xEF\xBB\xBF", b"\n")),
            Err(KeyTextProblem::ByteOrderMark)
        );
        for inner in [&b"\x00"[..], b"\x1b", b"\x7f", b"\xc2\x85"] {
            let key = [&KEY[..4], inner, &KEY[4..]].concat();
            assert_eq!(
                key_text(&key),
                Err(KeyTextProblem::ControlCharacter),
                "{inner:?}"
            );
        }
        assert!(key_text(b"correct horse battery staple 1234").is_ok());
        // Not UTF-8 at either end: key material as it is.
        assert!(key_text(b"\xff\xfe0123456789abcdefghijklmnopqrst").is_ok());
        assert!(key_text(b"0123456789abcdefghijklmnopqrst\xff").is_ok());
    }

    #[test]
    fn refuses_sources_over_4_kib() {
        assert!(key_text(&[b'a'; MAX_KEY_TEXT_LEN]).is_ok());
        assert_eq!(
            key_text(&[b'a'; MAX_KEY_TEXT_LEN + 1]),
            Err(KeyTextProblem::TooLarge)
        );
    }
}
