//! Minting HappyFox tokens into a caller-supplied buffer.

use crate::claims::is_valid_email;
use crate::error::{Error, ErrorKind};
use crate::key::Key;

/// The base64url of `{"alg":"HS256","typ":"JWT"}`, the only header hfjwt mints.
pub const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// What a token grants HappyFox: who signs in, when the token was issued, and its unique id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant<'a> {
    /// Display name (optional in HappyFox).
    pub name: Option<&'a str>,
    /// The user's email address.
    pub email: &'a str,
    /// Issued-at, unix seconds: HappyFox accepts the token for 120 s after it.
    pub iat: u64,
    /// A unique id; HappyFox never accepts the same `jti` twice.
    pub jti: &'a str,
}

impl<'a> Grant<'a> {
    /// A grant without a name.
    pub const fn new(email: &'a str, iat: u64, jti: &'a str) -> Self {
        Grant {
            name: None,
            email,
            iat,
            jti,
        }
    }

    /// The same grant with a display name.
    pub const fn with_name(mut self, name: &'a str) -> Self {
        self.name = Some(name);
        self
    }
}

/// The length in bytes of the token [`mint`] writes for `grant` (useful to size a buffer).
pub fn token_len(grant: &Grant<'_>) -> usize {
    let json = claims_json_len(grant);
    HEADER_B64.len() + 1 + (json * 4).div_ceil(3) + 1 + 43
}

/// Mints an HS256 token for `grant` into `out` and returns it as a `&str` borrowed from `out`.
///
/// The header is exactly `{"alg":"HS256","typ":"JWT"}`; the claims are, in this order,
/// `name` (when given), `email`, `iat`, `jti`, as compact JSON with non-ASCII characters kept
/// as UTF-8 and `"`, `\` and control characters escaped.
///
/// Errors: [`ErrorKind::InvalidClaim`] when the email is not an address or the `jti` is
/// empty (HappyFox would refuse them); [`ErrorKind::BufferTooSmall`] when `out` is shorter
/// than [`token_len`].
///
/// ```
/// let key = hfjwt::Key::new(b"0123456789abcdefghijklmnopqrstuv")?;
/// let grant = hfjwt::Grant::new("jo@acme.com", 1_700_000_000, "7f3c").with_name("Jo");
/// let mut buf = [0u8; 256];
/// let token = hfjwt::mint(&key, &grant, &mut buf)?;
/// assert!(token.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
/// # Ok::<(), hfjwt::Error>(())
/// ```
pub fn mint<'o>(key: &Key, grant: &Grant<'_>, out: &'o mut [u8]) -> Result<&'o str, Error> {
    if !is_valid_email(grant.email) {
        return Err(Error::new(
            ErrorKind::InvalidClaim,
            "email is not a valid address",
        ));
    }
    if grant.jti.is_empty() {
        return Err(Error::new(ErrorKind::InvalidClaim, "jti is empty"));
    }
    let small = Error::new(
        ErrorKind::BufferTooSmall,
        "output buffer is too small for the token",
    );
    let total = token_len(grant);
    let out = out.get_mut(..total).ok_or(small)?;

    let (head, rest) = out.split_at_mut(HEADER_B64.len() + 1);
    head.get_mut(..HEADER_B64.len())
        .ok_or(small)?
        .copy_from_slice(HEADER_B64.as_bytes());
    *head.last_mut().ok_or(small)? = b'.';

    let mut w = B64Writer {
        out: rest,
        pos: 0,
        acc: 0,
        bits: 0,
    };
    write_claims(grant, &mut |bytes| w.write(bytes)).ok_or(small)?;
    let payload_end = HEADER_B64.len() + 1 + w.finish().ok_or(small)?;

    let sig = key.sign(out.get(..payload_end).ok_or(small)?);
    let (_, tail) = out.split_at_mut(payload_end);
    *tail.first_mut().ok_or(small)? = b'.';
    let mut w = B64Writer {
        out: tail.get_mut(1..).ok_or(small)?,
        pos: 0,
        acc: 0,
        bits: 0,
    };
    w.write(&sig).ok_or(small)?;
    w.finish().ok_or(small)?;

    // Everything written is ASCII.
    core::str::from_utf8(out).map_err(|_| small)
}

/// Emits the claims JSON through `emit`; `None` when `emit` runs out of room.
fn write_claims(g: &Grant<'_>, emit: &mut dyn FnMut(&[u8]) -> Option<()>) -> Option<()> {
    emit(b"{")?;
    if let Some(name) = g.name {
        emit(b"\"name\":")?;
        write_string(name, emit)?;
        emit(b",")?;
    }
    emit(b"\"email\":")?;
    write_string(g.email, emit)?;
    emit(b",\"iat\":")?;
    let mut digits = [0u8; 20];
    emit(u64_decimal(g.iat, &mut digits))?;
    emit(b",\"jti\":")?;
    write_string(g.jti, emit)?;
    emit(b"}")
}

fn write_string(s: &str, emit: &mut dyn FnMut(&[u8]) -> Option<()>) -> Option<()> {
    emit(b"\"")?;
    let bytes = s.as_bytes();
    let mut plain_from = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let short: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        emit(bytes.get(plain_from..i)?)?;
        if short.is_empty() {
            let hex = b"0123456789abcdef";
            emit(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                hex[usize::from(c >> 4)],
                hex[usize::from(c & 15)],
            ])?;
        } else {
            emit(short)?;
        }
        plain_from = i + 1;
    }
    emit(bytes.get(plain_from..)?)?;
    emit(b"\"")
}

fn escaped_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|c| match c {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

fn claims_json_len(g: &Grant<'_>) -> usize {
    let mut digits = [0u8; 20];
    let name = g.name.map_or(0, |n| "\"name\":".len() + escaped_len(n) + 1);
    "{\"email\":".len()
        + name
        + escaped_len(g.email)
        + ",\"iat\":".len()
        + u64_decimal(g.iat, &mut digits).len()
        + ",\"jti\":".len()
        + escaped_len(g.jti)
        + 1
}

fn u64_decimal(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or(&[])
}

/// Streams bytes out as unpadded base64url.
struct B64Writer<'o> {
    out: &'o mut [u8],
    pos: usize,
    acc: u32,
    bits: u32,
}

impl B64Writer<'_> {
    fn put(&mut self, sextet: u32) -> Option<()> {
        *self.out.get_mut(self.pos)? = *ALPHABET.get((sextet & 63) as usize)?;
        self.pos += 1;
        Some(())
    }

    fn write(&mut self, bytes: &[u8]) -> Option<()> {
        for &b in bytes {
            self.acc = (self.acc << 8) | u32::from(b);
            self.bits += 8;
            while self.bits >= 6 {
                self.bits -= 6;
                self.put(self.acc >> self.bits)?;
            }
            self.acc &= (1 << self.bits) - 1;
        }
        Some(())
    }

    /// Flushes the last partial sextet and returns the number of characters written.
    fn finish(mut self) -> Option<usize> {
        if self.bits > 0 {
            self.put(self.acc << (6 - self.bits))?;
        }
        Some(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};

    #[test]
    fn streaming_base64_matches_base64ct() {
        let data: std::vec::Vec<u8> = (0..=255u8).collect();
        for len in 0..data.len() {
            let mut out = [0u8; 400];
            let mut w = B64Writer {
                out: &mut out,
                pos: 0,
                acc: 0,
                bits: 0,
            };
            // Feed in uneven chunks to exercise the carry.
            for chunk in data[..len].chunks(7) {
                w.write(chunk).unwrap();
            }
            let n = w.finish().unwrap();
            assert_eq!(
                &out[..n],
                Base64UrlUnpadded::encode_string(&data[..len]).as_bytes()
            );
        }
    }

    #[test]
    fn claims_json_is_exact_and_escaped() {
        let g = Grant::new("a@b.co", 42, "j\"1\\\n\u{1}").with_name("José 😀");
        let mut json = std::vec::Vec::new();
        write_claims(&g, &mut |b| {
            json.extend_from_slice(b);
            Some(())
        })
        .unwrap();
        let json = std::string::String::from_utf8(json).unwrap();
        assert_eq!(
            json,
            "{\"name\":\"José 😀\",\"email\":\"a@b.co\",\"iat\":42,\"jti\":\"j\\\"1\\\\\\n\\u0001\"}"
        );
        assert_eq!(json.len(), claims_json_len(&g));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["jti"], "j\"1\\\n\u{1}");
    }

    #[test]
    fn decimal() {
        let mut b = [0u8; 20];
        assert_eq!(u64_decimal(0, &mut b), b"0");
        assert_eq!(u64_decimal(u64::MAX, &mut b), b"18446744073709551615");
    }

    #[test]
    fn buffer_too_small_is_an_error_at_every_length() {
        let key = Key::new(&[7u8; 32]).unwrap();
        let g = Grant::new("jo@acme.com", 1, "x").with_name("Jo");
        let need = token_len(&g);
        let mut buf = [0u8; 256];
        for len in 0..need {
            assert_eq!(
                mint(&key, &g, &mut buf[..len]).unwrap_err().kind(),
                ErrorKind::BufferTooSmall
            );
        }
        assert_eq!(mint(&key, &g, &mut buf[..need]).unwrap().len(), need);
    }
}
