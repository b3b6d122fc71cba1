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
    HEADER_B64.len() + 1 + b64_len(json) + 1 + 43
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
    let json_len = claims_json_len(grant);
    let payload_start = HEADER_B64.len() + 1;
    let payload_end = payload_start + b64_len(json_len);
    let total = payload_end + 1 + 43;
    let out = out.get_mut(..total).ok_or(small)?;

    out.get_mut(..HEADER_B64.len())
        .ok_or(small)?
        .copy_from_slice(HEADER_B64.as_bytes());
    *out.get_mut(HEADER_B64.len()).ok_or(small)? = b'.';
    // The claims JSON goes where its base64url will be, then expands in place.
    let region = out.get_mut(payload_start..payload_end).ok_or(small)?;
    let mut w = Cursor {
        buf: region,
        pos: 0,
    };
    write_claims(grant, &mut w).ok_or(small)?;
    encode_in_place(region, json_len).ok_or(small)?;

    let sig = key.sign(out.get(..payload_end).ok_or(small)?);
    let tail = out.get_mut(payload_end..).ok_or(small)?;
    *tail.first_mut().ok_or(small)? = b'.';
    let sig_out = tail.get_mut(1..).ok_or(small)?;
    sig_out.get_mut(..32).ok_or(small)?.copy_from_slice(&sig);
    encode_in_place(sig_out, 32).ok_or(small)?;

    // Everything written is ASCII.
    core::str::from_utf8(out).map_err(|_| small)
}

/// Characters of unpadded base64url for `n` bytes.
const fn b64_len(n: usize) -> usize {
    n / 3 * 4 + [0, 2, 3][n % 3]
}

/// Expands the first `n` bytes of `buf` into `b64_len(n)` base64url characters in place.
/// Works from the last group backwards: group `j` is read from `3j` and written at `4j`, so a
/// write never reaches a byte not yet read.
fn encode_in_place(buf: &mut [u8], n: usize) -> Option<()> {
    let groups = n.div_ceil(3);
    let rem = n % 3;
    for j in (0..groups).rev() {
        let src = buf.get(3 * j..(3 * j + 3).min(n))?;
        let (a, b, c) = (
            src.first().copied()?,
            src.get(1).copied().unwrap_or(0),
            src.get(2).copied().unwrap_or(0),
        );
        let v = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
        let chars = [v >> 18, v >> 12, v >> 6, v].map(|x| ALPHABET[(x & 63) as usize]);
        let width = if j + 1 == groups && rem != 0 {
            rem + 1
        } else {
            4
        };
        buf.get_mut(4 * j..4 * j + width)?
            .copy_from_slice(chars.get(..width)?);
    }
    Some(())
}

/// Writes into a slice, `None` once it is full.
struct Cursor<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(bytes.len())?;
        self.buf.get_mut(self.pos..end)?.copy_from_slice(bytes);
        self.pos = end;
        Some(())
    }
}

fn write_claims(g: &Grant<'_>, w: &mut Cursor<'_>) -> Option<()> {
    if let Some(name) = g.name {
        w.put(b"{\"name\":")?;
        write_string(name, w)?;
        w.put(b",\"email\":")?;
    } else {
        w.put(b"{\"email\":")?;
    }
    write_string(g.email, w)?;
    w.put(b",\"iat\":")?;
    let mut digits = [0u8; 20];
    w.put(u64_decimal(g.iat, &mut digits))?;
    w.put(b",\"jti\":")?;
    write_string(g.jti, w)?;
    w.put(b"}")
}

/// Whether `c` must be escaped in a JSON string.
const fn needs_escape(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}

fn write_string(s: &str, w: &mut Cursor<'_>) -> Option<()> {
    w.put(b"\"")?;
    let bytes = s.as_bytes();
    let mut plain_from = 0;
    for (i, &c) in bytes.iter().enumerate() {
        if !needs_escape(c) {
            continue;
        }
        w.put(bytes.get(plain_from..i)?)?;
        match c {
            b'"' => w.put(b"\\\"")?,
            b'\\' => w.put(b"\\\\")?,
            b'\n' => w.put(b"\\n")?,
            b'\r' => w.put(b"\\r")?,
            b'\t' => w.put(b"\\t")?,
            0x08 => w.put(b"\\b")?,
            0x0c => w.put(b"\\f")?,
            _ => {
                let hex = b"0123456789abcdef";
                w.put(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    hex[usize::from(c >> 4)],
                    hex[usize::from(c & 15)],
                ])?
            }
        }
        plain_from = i + 1;
    }
    w.put(bytes.get(plain_from..)?)?;
    w.put(b"\"")
}

fn escaped_len(s: &str) -> usize {
    2 + s.len()
        + s.bytes()
            .filter(|&c| needs_escape(c))
            .map(|c| match c {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
                _ => 5,
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

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};

    #[test]
    fn in_place_base64_matches_base64ct() {
        let data: std::vec::Vec<u8> = (0..=255u8).collect();
        let step = if cfg!(miri) { 37 } else { 1 }; // Miri: a sample
        for len in (0..data.len()).step_by(step) {
            let mut buf = [0u8; 400];
            buf[..len].copy_from_slice(&data[..len]);
            encode_in_place(&mut buf[..b64_len(len)], len).unwrap();
            assert_eq!(
                &buf[..b64_len(len)],
                Base64UrlUnpadded::encode_string(&data[..len]).as_bytes()
            );
        }
    }

    #[test]
    fn claims_json_is_exact_and_escaped() {
        let g = Grant::new("a@b.co", 42, "j\"1\\\n\u{1}").with_name("José 😀");
        let mut buf = [0u8; 256];
        let mut w = Cursor {
            buf: &mut buf,
            pos: 0,
        };
        write_claims(&g, &mut w).unwrap();
        let n = w.pos;
        let json = std::str::from_utf8(&buf[..n]).unwrap();
        assert_eq!(
            json,
            "{\"name\":\"José 😀\",\"email\":\"a@b.co\",\"iat\":42,\"jti\":\"j\\\"1\\\\\\n\\u0001\"}"
        );
        assert_eq!(json.len(), claims_json_len(&g));
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
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
