//! Minting HappyFox tokens into a caller-supplied buffer.

use crate::b64::{self, SIG_B64_LEN};
use crate::claims::is_valid_email;
use crate::error::{Claim, Error, Reason};
use crate::json::find_special;
use crate::key::{BLOCK, Key, Mac};

/// The base64url of `{"alg":"HS256","typ":"JWT"}`, the only header hfjwt mints.
pub const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

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
    /// The audience the token is meant for (`aud`), e.g. the `device_id` of the one kiosk
    /// that may accept it. HappyFox itself takes no `aud`: leave it out for HappyFox tokens.
    pub aud: Option<&'a str>,
    /// Expiry (`exp`), unix seconds, if the minter sets one (PyJWT users often do). HappyFox's
    /// own 120 s window applies anyway; a verifier refuses the token from `exp` on.
    pub exp: Option<u64>,
    /// Not-before (`nbf`), unix seconds, if the minter sets one.
    pub nbf: Option<u64>,
}

impl<'a> Grant<'a> {
    /// A grant without a name.
    #[must_use]
    pub const fn new(email: &'a str, iat: u64, jti: &'a str) -> Self {
        Grant {
            name: None,
            email,
            iat,
            jti,
            aud: None,
            exp: None,
            nbf: None,
        }
    }

    /// The same grant with a display name.
    #[must_use]
    pub const fn with_name(mut self, name: &'a str) -> Self {
        self.name = Some(name);
        self
    }

    /// The same grant bound to one audience: the token carries `"aud": audience`, and only a
    /// verifier whose [`Policy::audience`](crate::Policy::audience) is `audience` accepts it.
    #[must_use]
    pub const fn with_audience(mut self, audience: &'a str) -> Self {
        self.aud = Some(audience);
        self
    }

    /// The same grant with an expiry: the token carries `"exp": exp` (unix seconds).
    #[must_use]
    pub const fn with_expiry(mut self, exp: u64) -> Self {
        self.exp = Some(exp);
        self
    }

    /// The same grant with a not-before time: the token carries `"nbf": nbf` (unix seconds).
    #[must_use]
    pub const fn with_not_before(mut self, nbf: u64) -> Self {
        self.nbf = Some(nbf);
        self
    }
}

/// The length in bytes of the token [`mint`] writes for `grant` (useful to size a buffer).
pub fn token_len(grant: &Grant<'_>) -> usize {
    let json = claims_json_len(grant);
    HEADER_B64.len() + 1 + b64::encoded_len(json) + 1 + SIG_B64_LEN
}

/// Mints an HS256 token for `grant` into `out` and returns it as a `&str` borrowed from `out`.
///
/// The header is exactly `{"alg":"HS256","typ":"JWT"}`; the claims are, in this order,
/// `name` (when given), `email`, `iat`, `jti`, `aud`, `exp`, `nbf` (each when given), as compact JSON with non-ASCII characters kept
/// as UTF-8 and `"`, `\` and control characters escaped.
///
/// Errors: [`ErrorKind::InvalidClaim`](crate::ErrorKind::InvalidClaim) when the email is not an address, the `jti` is
/// empty (HappyFox would refuse them) or the audience is empty (it would count as absent); [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall) when `out` is shorter
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
    let small = Error::new(Reason::TokenBufferTooSmall);
    // A grant HappyFox would refuse outranks a short buffer, though it is judged last.
    let refuse = |e: Error| check_grant(grant).and(Err(e));
    // An array assignment, not `copy_from_slice`: its length check survived optimisation.
    let Some((header, _)) = out.split_first_chunk_mut::<{ HEADER_DOT.len() }>() else {
        return refuse(small);
    };
    *header = *HEADER_DOT;

    let (mac, hashed, payload_end) = match staged(grant, out, key) {
        Some(Ok(staged)) => staged,
        Some(Err(())) => return refuse(small),
        None => {
            let mut w = HashingWriter {
                b64: b64::Writer::at(out, HEADER_DOT.len()),
                mac: key.mac(),
                hashed: 0,
            };
            if write_claims(grant, &mut w).is_none() {
                return refuse(small);
            }
            let HashingWriter { b64, mac, hashed } = w;
            let Some(payload_end) = b64.finish() else {
                return refuse(small);
            };
            (mac, hashed, payload_end)
        }
    };
    let total = payload_end + 1 + SIG_B64_LEN;
    let Some(token) = out.get_mut(..total) else {
        return refuse(small);
    };
    let (signing_input, tail) = token.split_at_mut_checked(payload_end).ok_or(small)?;
    let rest = signing_input.get(hashed..).unwrap_or_default();
    #[cfg(target_pointer_width = "64")]
    let inner = mac.finish_inner_joined(rest);
    #[cfg(not(target_pointer_width = "64"))]
    let inner = mac.finish_inner(rest);
    check_grant(grant)?;
    let sig = inner.finish();
    let (dot, rest) = tail.split_first_mut().ok_or(small)?;
    *dot = b'.';
    b64::encode_into(&sig, rest).ok_or(small)?;

    // Everything written is ASCII.
    core::str::from_utf8(token).map_err(|_| small)
}

/// The claims JSON of a usual grant fits a small stack buffer: written there, it is
/// base64url-encoded in one pass of whole groups, and each block of the signing input is
/// hashed as soon as it is written, so the encoding runs beside SHA-256's rounds (the MAC in
/// progress, the bytes it hashed and the payload's end). `None` when the claims are longer
/// than the stage: they stream through the base64url writer instead (same bytes, slower).
/// `Some(Err(()))` when `out` is too short.
///
/// Only on 64-bit targets: a microcontroller has no out-of-order core to run the encoding
/// beside the hashing, and the second path would cost it flash.
#[cfg(target_pointer_width = "64")]
fn staged<'k>(
    grant: &Grant<'_>,
    out: &mut [u8],
    key: &'k Key,
) -> Option<Result<(Mac<'k>, usize, usize), ()>> {
    let mut stage = [0u8; STAGE];
    let mut json = Cursor {
        buf: &mut stage,
        pos: 0,
    };
    let len = write_claims(grant, &mut json).map(|()| json.pos)?;
    let json = stage.get(..len).unwrap_or_default();
    let payload_end = HEADER_DOT.len() + b64::encoded_len(json.len());
    if out.len() < payload_end + 1 + SIG_B64_LEN {
        return Some(Err(()));
    }
    Some(
        encode_hashing(json, out, key.mac())
            .map(|(mac, hashed)| (mac, hashed, payload_end))
            .ok_or(()),
    )
}

/// Microcontrollers always stream (see the 64-bit version).
#[cfg(not(target_pointer_width = "64"))]
fn staged<'k>(
    _: &Grant<'_>,
    _: &mut [u8],
    _: &'k Key,
) -> Option<Result<(Mac<'k>, usize, usize), ()>> {
    None
}

/// Claims JSON up to this many bytes is staged on the stack (a HappyFox grant's is about
/// 100–200); longer claims stream through [`HashingWriter`].
#[cfg(any(test, target_pointer_width = "64"))]
const STAGE: usize = 256;

/// Encodes `json` as base64url after the header in `out` (which has room), hashing every
/// whole block of the signing input as soon as it is written; returns the MAC in progress
/// and how many bytes it has hashed. `None` only if `out` is shorter than promised.
#[cfg(target_pointer_width = "64")]
fn encode_hashing<'k>(json: &[u8], out: &mut [u8], mut mac: Mac<'k>) -> Option<(Mac<'k>, usize)> {
    // 48 bytes are 64 characters: a block's worth of signing input per step.
    let (runs, rest) = json.as_chunks::<48>();
    let mut written = HEADER_DOT.len();
    let mut hashed = 0;
    for run in runs {
        let dst = out.get_mut(written..written + 64)?.as_chunks_mut::<4>().0;
        for (g, d) in run.as_chunks::<3>().0.iter().zip(dst) {
            *d = b64::encode_group(g);
        }
        written += 64;
        let (blocks, _) = out.get(hashed..written)?.as_chunks::<BLOCK>();
        mac.blocks(blocks);
        hashed += blocks.len() * BLOCK;
    }
    b64::encode_into(rest, out.get_mut(written..)?)?;
    Some((mac, hashed))
}

/// The payload's base64url writer, hashing each whole block of the signing input (the
/// header before it included) as soon as it is written.
struct HashingWriter<'b, 'k> {
    b64: b64::Writer<'b>,
    mac: Mac<'k>,
    /// Bytes of the signing input hashed so far (a multiple of the block size).
    hashed: usize,
}

impl Sink for HashingWriter<'_, '_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        self.b64.put(bytes)?;
        // A microcontroller's in-order core gains nothing from hashing early: the signing
        // input is hashed whole at the end there, for less code.
        if cfg!(not(target_pointer_width = "64")) {
            return Some(());
        }
        let fresh = self.b64.written().get(self.hashed..)?;
        if fresh.len() >= BLOCK {
            let (blocks, _) = fresh.as_chunks::<BLOCK>();
            self.mac.blocks(blocks);
            self.hashed += blocks.len() * BLOCK;
        }
        Some(())
    }
}

/// The claims HappyFox would refuse: an email that is not an address, an empty `jti`; and
/// an empty `aud`, which verifiers treat as no audience.
#[inline(never)] // called from two places: one copy
fn check_grant(grant: &Grant<'_>) -> Result<(), Error> {
    if !is_valid_email(grant.email) {
        return Err(Error::new(Reason::ClaimInvalid(Claim::Email)));
    }
    if grant.jti.is_empty() {
        return Err(Error::new(Reason::ClaimInvalid(Claim::Jti)));
    }
    if grant.aud.is_some_and(str::is_empty) {
        return Err(Error::new(Reason::ClaimInvalid(Claim::Aud)));
    }
    Ok(())
}

/// The header every token starts with, and the dot after it.
pub(crate) const HEADER_DOT: &[u8; 37] = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.";

/// Where [`write_claims`] sends bytes; `None` once there is no room.
trait Sink {
    fn put(&mut self, bytes: &[u8]) -> Option<()>;
}

/// Counts bytes, to size a token without writing it.
struct Counter(usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        self.0 = self.0.checked_add(bytes.len())?;
        Some(())
    }
}

/// Writes bytes as they are.
#[cfg(any(test, target_pointer_width = "64"))]
struct Cursor<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

#[cfg(any(test, target_pointer_width = "64"))]
impl Sink for Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(bytes.len())?;
        self.buf.get_mut(self.pos..end)?.copy_from_slice(bytes);
        self.pos = end;
        Some(())
    }
}

fn write_claims(g: &Grant<'_>, w: &mut impl Sink) -> Option<()> {
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
    if let Some(aud) = g.aud {
        w.put(b",\"aud\":")?;
        write_string(aud, w)?;
    }
    if let Some(exp) = g.exp {
        w.put(b",\"exp\":")?;
        w.put(u64_decimal(exp, &mut digits))?;
    }
    if let Some(nbf) = g.nbf {
        w.put(b",\"nbf\":")?;
        w.put(u64_decimal(nbf, &mut digits))?;
    }
    w.put(b"}")
}

/// Writes `s` as a JSON string: `"`, `\` and control characters escaped, the rest as is.
fn write_string(s: &str, w: &mut impl Sink) -> Option<()> {
    w.put(b"\"")?;
    let mut rest = s.as_bytes();
    // Plain runs go out whole; `find_special` stops exactly at the bytes JSON must escape.
    while let Some(at) = find_special(rest) {
        w.put(rest.get(..at)?)?;
        let c = *rest.get(at)?;
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
        rest = rest.get(at + 1..)?;
    }
    w.put(rest)?;
    w.put(b"\"")
}

/// Length of the claims JSON [`write_claims`] writes.
fn claims_json_len(g: &Grant<'_>) -> usize {
    let mut n = Counter(0);
    match write_claims(g, &mut n) {
        Some(()) => n.0,
        None => usize::MAX, // past any buffer: reported as too small
    }
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
    use crate::ErrorKind;
    use base64ct::{Base64UrlUnpadded, Encoding};

    /// The claims JSON `write_claims` writes for `g`.
    fn claims_json(g: &Grant<'_>) -> std::string::String {
        let mut buf = std::vec![0u8; 4 * claims_json_len(g)];
        let mut w = Cursor {
            buf: &mut buf,
            pos: 0,
        };
        write_claims(g, &mut w).unwrap();
        let n = w.pos;
        std::string::String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn claims_json_is_exact_and_escaped() {
        let g = Grant::new("a@b.co", 42, "j\"1\\\n\u{1}").with_name("José 😀");
        let json = claims_json(&g);
        assert_eq!(
            json,
            "{\"name\":\"José 😀\",\"email\":\"a@b.co\",\"iat\":42,\"jti\":\"j\\\"1\\\\\\n\\u0001\"}"
        );
        assert_eq!(json.len(), claims_json_len(&g));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["jti"], "j\"1\\\n\u{1}");
    }

    #[test]
    fn exp_and_nbf_are_signed_as_given_and_judged_by_the_verifier() {
        let g = Grant::new("a@b.co", 100, "j")
            .with_audience("k")
            .with_expiry(160)
            .with_not_before(90);
        let json = claims_json(&g);
        assert_eq!(
            json,
            "{\"email\":\"a@b.co\",\"iat\":100,\"jti\":\"j\",\"aud\":\"k\",\"exp\":160,\"nbf\":90}"
        );
        assert_eq!(json.len(), claims_json_len(&g));
        let key = Key::new(&[7u8; 32]).unwrap();
        let mut out = [0u8; 256];
        let token = mint(&key, &g.with_audience("k"), &mut out).unwrap();
        let policy = crate::Policy::new().audience("k").unwrap();
        let mut scratch = [0u8; 512];
        let mut at = |now| {
            let mut v: crate::Verifier = crate::Verifier::new(key.clone()).with_policy(policy);
            v.verify(token, now, &mut scratch)
                .map(|_| ())
                .map_err(|e| e.kind())
        };
        assert_eq!(at(89), Err(crate::ErrorKind::IssuedInFuture));
        assert_eq!(at(100), Ok(()));
        assert_eq!(at(159), Ok(()));
        assert_eq!(at(160), Err(crate::ErrorKind::Expired));
    }

    #[test]
    fn header_dot_is_the_header_and_a_dot() {
        assert_eq!(HEADER_DOT[..], *std::format!("{HEADER_B64}.").as_bytes());
        assert_eq!(
            Base64UrlUnpadded::encode_string(br#"{"alg":"HS256","typ":"JWT"}"#),
            HEADER_B64
        );
    }

    #[test]
    fn decimal() {
        let mut b = [0u8; 20];
        assert_eq!(u64_decimal(0, &mut b), b"0");
        assert_eq!(u64_decimal(u64::MAX, &mut b), b"18446744073709551615");
    }

    #[test]
    fn grants_happyfox_would_refuse_are_refused_before_a_short_buffer() {
        let key = Key::new(&[7u8; 32]).unwrap();
        for (grant, claim) in [
            (Grant::new("not-an-address", 1, "x"), Claim::Email),
            (Grant::new("jo@acme.com", 1, ""), Claim::Jti),
            (
                Grant::new("jo@acme.com", 1, "x").with_audience(""),
                Claim::Aud,
            ),
        ] {
            for len in [0, 10, 60, 512] {
                let mut buf = [0u8; 512];
                let e = mint(&key, &grant, &mut buf[..len]).unwrap_err();
                assert_eq!(e.reason(), Reason::ClaimInvalid(claim));
                assert_eq!(e.kind(), ErrorKind::InvalidClaim);
            }
        }
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

    #[test]
    fn staged_and_streamed_claims_make_the_same_token_at_every_length() {
        // Names from empty to past the stack stage (STAGE bytes of JSON), with escapes, so
        // both the staged encoder and the streaming writer run, each at every alignment.
        let key = Key::new(&[7u8; 32]).unwrap();
        let step = if cfg!(miri) { 23 } else { 1 };
        for len in (0..STAGE + 80).step_by(step) {
            let name: std::string::String = (0..len)
                .map(|i| ['a', '"', 'é', '\n', 'Z'][i % 5])
                .collect();
            let g = Grant::new("jo@acme.com", 1_700_000_000, "j-1").with_name(&name);
            let json = claims_json(&g);
            let si = std::format!(
                "{}.{}",
                HEADER_B64,
                Base64UrlUnpadded::encode_string(json.as_bytes())
            );
            let want = std::format!(
                "{si}.{}",
                Base64UrlUnpadded::encode_string(&key.hmac(si.as_bytes()))
            );
            let mut buf = std::vec![0u8; token_len(&g)];
            assert_eq!(mint(&key, &g, &mut buf).unwrap(), want, "name length {len}");
            // One byte short is refused, on both paths.
            let short = buf.len() - 1;
            assert_eq!(
                mint(&key, &g, &mut buf[..short]).unwrap_err().kind(),
                ErrorKind::BufferTooSmall
            );
        }
    }
}
