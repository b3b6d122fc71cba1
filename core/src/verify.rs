//! Where a token is judged: [`Verifier`] and its [`Policy`].

use crate::b64::{self, SIG_B64_LEN};
use crate::claims::{AnyDomain, Claims, DomainAllowList, email_domain};
use crate::error::{Claim, Error, Reason, sat};
use crate::json::{Reader, Value};
use crate::key::{BLOCK, Key, SIG_LEN};
use crate::mint::{HEADER_B64 as STANDARD_HEADER, HEADER_DOT};
use crate::payload;
use crate::replay::{ReplayCache, ReplayStore};

/// The longest decoded header hfjwt reads, in bytes (it lives on the stack during verify).
pub const MAX_HEADER_LEN: usize = 256;

/// The scratch buffer [`Verifier::verify`] needs for a token of `token_len` bytes: room for
/// the decoded claims. `scratch_len(4096)` is 3072.
pub const fn scratch_len(token_len: usize) -> usize {
    token_len / 4 * 3 + 2
}

/// The longest audience a [`Policy`] holds, in bytes (it is stored inline: no allocation).
pub const MAX_AUDIENCE_LEN: usize = 128;

/// Numbers a [`Verifier`] judges tokens by. Defaults are HappyFox's: tokens live 120 s,
/// no clock leeway, tokens up to 4096 bytes, `email` required, no audience (a token that
/// carries `aud` is refused).
///
/// ```
/// let policy = hfjwt::Policy::new().max_age(300).leeway(5);
/// assert_eq!(policy.window(), 305);
///
/// // A kiosk accepts only codes minted for it.
/// let kiosk = hfjwt::Policy::new().audience("kiosk-lobby-1")?;
/// assert_eq!(kiosk.required_audience(), Some("kiosk-lobby-1"));
/// # Ok::<(), hfjwt::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Policy {
    max_age: u64,
    leeway: u64,
    max_token_len: usize,
    require_email: bool,
    audience: AudienceRule,
}

/// What a [`Policy`] does with the `aud` claim.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AudienceRule {
    /// No audience configured: a token carrying `aud` is refused (as PyJWT does).
    RefuseAny,
    /// The caller opted out: `aud` is not judged (its type still is, with the other claims).
    Ignore,
    /// `aud` must name this audience: the first `len` bytes of `bytes` (UTF-8, not empty).
    Require {
        bytes: [u8; MAX_AUDIENCE_LEN],
        len: u8,
    },
}

impl AudienceRule {
    fn required(&self) -> Option<&str> {
        match self {
            AudienceRule::Require { bytes, len } => bytes
                .get(..usize::from(*len))
                .and_then(|b| core::str::from_utf8(b).ok()),
            _ => None,
        }
    }
}

impl core::fmt::Debug for AudienceRule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AudienceRule::RefuseAny => f.write_str("RefuseAny"),
            AudienceRule::Ignore => f.write_str("Ignore"),
            AudienceRule::Require { .. } => {
                f.debug_tuple("Require").field(&self.required()).finish()
            }
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for AudienceRule {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            AudienceRule::RefuseAny => defmt::write!(f, "RefuseAny"),
            AudienceRule::Ignore => defmt::write!(f, "Ignore"),
            AudienceRule::Require { .. } => {
                defmt::write!(f, "Require({=str})", self.required().unwrap_or(""))
            }
        }
    }
}

impl Policy {
    /// HappyFox's rules: `max_age` 120 s, `leeway` 0 s, `max_token_len` 4096, email required,
    /// no audience.
    #[must_use]
    pub const fn new() -> Self {
        Policy {
            max_age: 120,
            leeway: 0,
            max_token_len: 4096,
            require_email: true,
            audience: AudienceRule::RefuseAny,
        }
    }
    /// Binds the verifier to `audience`: a token must carry an `aud` claim equal to it, or an
    /// `aud` array containing it (RFC 7519 §4.1.3, compared exactly); otherwise it is refused
    /// as [`ErrorKind::WrongAudience`](crate::ErrorKind::WrongAudience), or [`ErrorKind::MissingClaim`](crate::ErrorKind::MissingClaim) when it has no `aud`.
    ///
    /// Fails with [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) when `audience` is empty or longer than
    /// [`MAX_AUDIENCE_LEN`] bytes (an empty `aud` counts as absent, so it could never match).
    pub const fn audience(mut self, audience: &str) -> Result<Self, Error> {
        let src = audience.as_bytes();
        if src.is_empty() || src.len() > MAX_AUDIENCE_LEN {
            return Err(Error::new(Reason::AudienceLength));
        }
        let mut bytes = [0u8; MAX_AUDIENCE_LEN];
        let mut i = 0;
        // A `while` loop: `copy_from_slice` is not const, and this proves no length panics.
        while i < src.len() && i < MAX_AUDIENCE_LEN {
            bytes[i] = src[i];
            i += 1;
        }
        self.audience = AudienceRule::Require {
            bytes,
            len: i as u8,
        };
        Ok(self)
    }
    /// Opts out of audience checks: `aud` is not compared (it must still be a string or an
    /// array of strings). Without this or [`audience`](Self::audience), a token that carries
    /// `aud` is refused as [`ErrorKind::WrongAudience`](crate::ErrorKind::WrongAudience): it was meant for someone else.
    #[must_use]
    pub const fn ignore_audience(mut self) -> Self {
        self.audience = AudienceRule::Ignore;
        self
    }
    /// Seconds after `iat` during which a token passes (default 120).
    #[must_use]
    pub const fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = seconds;
        self
    }
    /// Seconds of clock skew tolerated on `iat`, `exp` and `nbf` (default 0).
    #[must_use]
    pub const fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }
    /// Longest token accepted, in bytes (default 4096); longer ones are `too_large`.
    #[must_use]
    pub const fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes;
        self
    }
    /// Whether `email` must be present (default `true`; HappyFox needs it).
    #[must_use]
    pub const fn require_email(mut self, required: bool) -> Self {
        self.require_email = required;
        self
    }
    /// The configured `max_age`, in seconds.
    pub const fn max_age_seconds(&self) -> u64 {
        self.max_age
    }
    /// The configured `leeway`, in seconds.
    pub const fn leeway_seconds(&self) -> u64 {
        self.leeway
    }
    /// The configured `max_token_len`, in bytes.
    pub const fn max_token_bytes(&self) -> usize {
        self.max_token_len
    }
    /// Whether `email` must be present (see [`require_email`](Self::require_email)).
    pub const fn requires_email(&self) -> bool {
        self.require_email
    }
    /// The audience set by [`audience`](Self::audience), if any.
    pub fn required_audience(&self) -> Option<&str> {
        self.audience.required()
    }
    /// Whether [`ignore_audience`](Self::ignore_audience) is in force.
    pub const fn ignores_audience(&self) -> bool {
        matches!(self.audience, AudienceRule::Ignore)
    }
    /// Seconds after `iat` until which a token can pass: `max_age + leeway`.
    pub const fn window(&self) -> u64 {
        self.max_age.saturating_add(self.leeway)
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::new()
    }
}

/// Judges tokens: signature, claims, time window, domain allow-list and replay.
///
/// `R` remembers accepted `jti`s (default [`ReplayCache<64>`], 2 KiB); `D` is the email-domain
/// allow-list (default [`AnyDomain`]). The verifier keeps no clock: every call takes `now`.
///
/// ```
/// use hfjwt::{mint, Grant, Key, Verifier, ErrorKind};
/// let key = Key::new(b"0123456789abcdefghijklmnopqrstuv")?;
/// let mut token = [0u8; 512];
/// let token = mint(&key, &Grant::new("jo@acme.com", 1_700_000_000, "jti-1"), &mut token)?;
///
/// let mut verifier: Verifier = Verifier::new(key);
/// let mut scratch = [0u8; 512];
/// let claims = verifier.verify(token, 1_700_000_030, &mut scratch)?;
/// assert_eq!(claims.email, Some("jo@acme.com"));
/// let again = verifier.verify(token, 1_700_000_031, &mut scratch).unwrap_err();
/// assert_eq!(again.kind(), ErrorKind::Replayed);
/// # Ok::<(), hfjwt::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Verifier<R = ReplayCache, D = AnyDomain> {
    key: Key,
    policy: Policy,
    domains: D,
    replay: R,
}

impl<R: ReplayStore + Default> Verifier<R, AnyDomain> {
    /// A verifier with HappyFox's default [`Policy`], any email domain, and an empty replay
    /// cache. Its memory horizon is off: see [`Verifier::remember_from`].
    pub fn new(key: Key) -> Self {
        Verifier {
            key,
            policy: Policy::new(),
            domains: AnyDomain,
            replay: R::default(),
        }
    }
}

impl<R: ReplayStore, D: DomainAllowList> Verifier<R, D> {
    /// A verifier from all its parts.
    pub fn with_parts(key: Key, policy: Policy, domains: D, replay: R) -> Self {
        Verifier {
            key,
            policy,
            domains,
            replay,
        }
    }

    /// Replaces the policy.
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Replaces the email-domain allow-list.
    #[must_use]
    pub fn with_allowed_domains<D2: DomainAllowList>(self, domains: D2) -> Verifier<R, D2> {
        Verifier {
            key: self.key,
            policy: self.policy,
            domains,
            replay: self.replay,
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The replay store.
    pub fn replay_store(&self) -> &R {
        &self.replay
    }

    /// Turns on the memory horizon: from now on, tokens issued before `now - leeway` are
    /// refused as [`ErrorKind::Replayed`](crate::ErrorKind::Replayed) ("issued before this verifier started remembering").
    ///
    /// A replay cache in RAM forgets everything at reboot, so a token accepted just before a
    /// reboot could otherwise be accepted again. Call this once the clock is trusted (the
    /// kiosk does, when its clock is set). The cost: tokens minted up to `max_age` before
    /// that moment are refused too.
    pub fn remember_from(&mut self, now: u64) {
        // A token issued at `iat` lives until `iat + window`; refusing `iat < now - leeway`
        // means refusing tokens living until at most `now - leeway - 1 + window`.
        let floor = now
            .saturating_sub(self.policy.leeway)
            .saturating_add(self.policy.window());
        if let Some(floor) = floor.checked_sub(1) {
            self.replay.forget_through(floor);
        }
    }

    /// Verifies `token` at unix time `now` and records its `jti` as used.
    ///
    /// Checks, in this order: length cap → three segments → strict base64url → header
    /// (`alg` exactly `HS256`, no `crit`, no duplicate keys) → HMAC in constant time →
    /// claims → time window → audience → domain allow-list → replay. Only a token that passes every
    /// other check is recorded, so a forged or late token cannot block the genuine one.
    ///
    /// The claims are decoded into `scratch`, which needs [`scratch_len`]`(token.len())`
    /// bytes, and borrow from it.
    pub fn verify<'s, T: AsRef<[u8]> + ?Sized>(
        &mut self,
        token: &T,
        now: u64,
        scratch: &'s mut [u8],
    ) -> Result<Claims<'s>, Error> {
        self.verify_detailed(token, now, scratch)
            .map_err(|r| r.error)
    }

    /// [`verify`](Self::verify), but a refusal also carries the token's claims when its
    /// signature had been verified (late, not-yet-valid, wrong-audience, foreign-domain,
    /// replayed or cache-full tokens), so a caller can log whose sign-in was refused. Claims
    /// of a token whose signature did not verify are never returned.
    #[allow(
        clippy::result_large_err,
        reason = "128 bytes: the claims and the error; no allocator to box them in no_std"
    )]
    pub fn verify_detailed<'s, T: AsRef<[u8]> + ?Sized>(
        &mut self,
        token: &T,
        now: u64,
        scratch: &'s mut [u8],
    ) -> Result<Claims<'s>, Rejection<'s>> {
        let claims = self
            .authentic_claims(token.as_ref(), scratch)
            .map_err(Rejection::unsigned)?;
        let refused = |error| Rejection {
            error,
            claims: Some(claims),
        };
        self.judge(&claims, now).map_err(refused)?;
        let live_until = claims.iat.saturating_add(self.policy.window());
        self.replay
            .record(claims.jti, live_until, now)
            .map_err(refused)?;
        Ok(claims)
    }

    /// Every check of [`verify`](Self::verify) except replay: consults and records nothing.
    ///
    /// Only for callers that handle replay themselves; a token that passes `check` may have
    /// been used before.
    pub fn check<'s, T: AsRef<[u8]> + ?Sized>(
        &self,
        token: &T,
        now: u64,
        scratch: &'s mut [u8],
    ) -> Result<Claims<'s>, Error> {
        let claims = self.authentic_claims(token.as_ref(), scratch)?;
        self.judge(&claims, now)?;
        Ok(claims)
    }

    /// Size, shape, header, MAC and claims: everything that does not depend on `now`.
    // Inlined into `check` and `verify` on 64-bit targets: as a call, its large result was
    // copied out through memcpy and the hashing it interleaves lost its overlap (measured).
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn authentic_claims<'s>(
        &self,
        token: &[u8],
        scratch: &'s mut [u8],
    ) -> Result<Claims<'s>, Error> {
        if token.len() > self.policy.max_token_len {
            return Err(Error::new(Reason::TokenTooLong {
                len: sat(token.len()),
                limit: sat(self.policy.max_token_len),
            }));
        }
        let parts = Parts::split(token)?;

        // The header every HS256 minter (hfjwt, PyJWT, jsonwebtoken) emits is known good.
        // Another is decoded now (its base64url is judged first) and read now, but what is
        // wrong with its JSON is reported only after the payload's and signature's base64url.
        let header_verdict = if parts.standard_header {
            Ok(())
        } else {
            other_header(parts.header)?
        };
        // The signing input's blocks are hashed one by one as the payload is decoded, so the
        // decoding runs in the shadow of SHA-256's rounds (see `b64::decode_stepped`).
        let (blocks, _) = parts.signing_input.as_chunks::<BLOCK>();
        let mut pending = blocks.iter();
        let mut mac = self.key.mac();
        let payload = match b64::decoded_len(parts.payload.len()) {
            None => Err(BAD_PAYLOAD_B64),
            Some(n) if n > scratch.len() => Err(SCRATCH_TOO_SMALL),
            Some(_) => b64::decode_stepped(parts.payload, scratch, || {
                // The last whole block is kept for the padding's call (one call fewer).
                let rest = pending.as_slice();
                let keep = rest.len().saturating_sub(1);
                let (now, later) = rest
                    .split_at_checked(b64::STEP_BLOCKS.min(keep))
                    .unwrap_or((rest, &[]));
                mac.blocks(now);
                pending = later.iter();
            })
            .ok_or(BAD_PAYLOAD_B64),
        }
        .map_err(|e| parts.more_segments().unwrap_or(e))?;
        let (payload_len, ascii) = (payload.bytes.len(), payload.ascii);
        let hashed = blocks.len() - pending.len();
        let rest = parts
            .signing_input
            .get(hashed * BLOCK..)
            .unwrap_or_default();

        // Until the MAC is compared, everything below runs beside the last blocks' hashing;
        // what is refused is still refused in the documented order.
        // A signature of another length is still checked for strict base64url here, but
        // judged only after the header: an HS512 or `none` token is `unsupported_algorithm`.
        let mut sig = [0u8; SIG_LEN];
        let sig_ok = if let Ok(chars) = <&[u8; SIG_B64_LEN]>::try_from(parts.signature) {
            sig = b64::decode_signature(chars)
                .ok_or_else(|| parts.more_segments().unwrap_or(BAD_SIG_B64))?;
            true
        } else if b64::is_canonical(parts.signature) {
            false
        } else {
            return Err(parts.more_segments().unwrap_or(BAD_SIG_B64));
        };
        #[cfg(target_pointer_width = "64")]
        let inner = mac.finish_inner_joined(rest);
        #[cfg(not(target_pointer_width = "64"))]
        let inner = mac.finish_inner(rest);

        header_verdict?;
        if !sig_ok {
            return Err(Error::new(Reason::SignatureLength));
        }
        // Read before the verdict, returned only after it: the claims of a forged token are
        // never seen by the caller, and their errors never outrank `signature_mismatch`.
        let mut authentic = false;
        let claims = payload::read_between(
            scratch,
            payload_len,
            ascii,
            self.policy.require_email || self.domains.restricts(),
            || authentic = inner.matches(&sig),
        );
        if !authentic {
            return Err(Error::new(Reason::SignatureMismatch));
        }
        claims
    }

    /// Time window, audience and domain allow-list, for claims whose signature verified.
    fn judge(&self, claims: &Claims<'_>, now: u64) -> Result<(), Error> {
        self.check_time(claims, now)?;
        self.check_audience(claims)?;
        // A list that restricts nothing is not consulted (nor the domain looked for).
        if self.domains.restricts()
            && let Some(email) = claims.email
            && !self.domains.allows(email_domain(email))
        {
            return Err(Error::new(Reason::DomainNotAllowed));
        }
        Ok(())
    }

    fn check_audience(&self, c: &Claims<'_>) -> Result<(), Error> {
        match (&self.policy.audience, c.aud) {
            (AudienceRule::Ignore, _) | (AudienceRule::RefuseAny, None) => Ok(()),
            (AudienceRule::RefuseAny, Some(_)) => Err(Error::new(Reason::AudienceUnexpected)),
            (rule @ AudienceRule::Require { .. }, aud) => {
                let Some(aud) = aud else {
                    return Err(Error::new(Reason::ClaimMissing(Claim::Aud)));
                };
                match rule.required() {
                    Some(want) if aud.contains(want) => Ok(()),
                    _ => Err(Error::new(Reason::AudienceMismatch)),
                }
            }
        }
    }

    fn check_time(&self, c: &Claims<'_>, now: u64) -> Result<(), Error> {
        let leeway = self.policy.leeway;
        if c.iat > now.saturating_add(leeway) {
            return Err(Error::new(Reason::IssuedInFuture {
                ahead: sat(c.iat - now),
                leeway: sat(leeway),
            }));
        }
        let age = now.saturating_sub(c.iat);
        if age > self.policy.window() {
            return Err(Error::new(Reason::TooOld {
                age: sat(age),
                max_age: sat(self.policy.max_age),
                leeway: sat(leeway),
            }));
        }
        if let Some(nbf) = c.nbf
            && nbf > now.saturating_add(leeway)
        {
            return Err(Error::new(Reason::NotYetValid {
                ahead: sat(nbf - now),
                leeway: sat(leeway),
            }));
        }
        if let Some(exp) = c.exp
            && now >= exp.saturating_add(leeway)
        {
            return Err(Error::new(Reason::ExpPassed {
                ago: sat(now - exp),
                leeway: sat(leeway),
            }));
        }
        Ok(())
    }
}

/// Why [`Verifier::verify_detailed`] refused a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection<'a> {
    /// The reason, as [`Verifier::verify`] would return it.
    pub error: Error,
    /// The token's claims if its signature verified (so they are authentic and may be
    /// logged), `None` if it was refused before or at the signature check.
    pub claims: Option<Claims<'a>>,
}

impl Rejection<'_> {
    fn unsigned(error: Error) -> Self {
        Rejection {
            error,
            claims: None,
        }
    }
}

impl core::fmt::Display for Rejection<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.error.fmt(f)
    }
}

const BAD_HEADER_B64: Error = Error::new(Reason::HeaderBase64);
const BAD_PAYLOAD_B64: Error = Error::new(Reason::PayloadBase64);
const BAD_SIG_B64: Error = Error::new(Reason::SignatureBase64);
const HEADER_TOO_LARGE: Error = Error::new(Reason::HeaderTooLong);
const SCRATCH_TOO_SMALL: Error = Error::new(Reason::ScratchTooSmall);
const HEADER_JSON: Error = Error::new(Reason::HeaderJson);

/// The three segments of a compact JWS.
struct Parts<'t> {
    /// Whether the header is exactly [`STANDARD_HEADER`] (known good, nothing to decode).
    standard_header: bool,
    header: &'t [u8],
    payload: &'t [u8],
    signature: &'t [u8],
    signing_input: &'t [u8],
}

impl<'t> Parts<'t> {
    /// `segments` if the payload or the signature holds a dot (the token has more than three
    /// segments); asked only once one of them has failed to decode, since a dot is never
    /// base64url.
    fn more_segments(&self) -> Option<Error> {
        let dot = |s: &[u8]| s.contains(&b'.');
        (dot(self.payload) || dot(self.signature)).then_some(SEGMENTS)
    }

    fn split(token: &'t [u8]) -> Result<Self, Error> {
        // Where the dots are when the header is the standard one and the signature 43
        // characters, as from every HS256 minter; found by scanning otherwise. The shortcut
        // does not scan the signature for another dot: a token with a dot in its payload or
        // signature is refused as `segments` when either fails to decode (see
        // `Verifier::authentic_claims`), as a scan for the last dot would have refused it.
        let standard = STANDARD_HEADER.len();
        let standard_header = token
            .first_chunk::<{ STANDARD_HEADER.len() + 1 }>()
            .is_some_and(|h| same(h, HEADER_DOT));
        let first = if standard_header {
            standard
        } else {
            token.iter().position(|&c| c == b'.').ok_or(SEGMENTS)?
        };
        let last = match token.len().checked_sub(SIG_B64_LEN + 1) {
            Some(dot) if dot > first && token.get(dot) == Some(&b'.') => dot,
            _ => token.iter().rposition(|&c| c == b'.').ok_or(SEGMENTS)?,
        };
        let payload = token.get(first + 1..last).ok_or(SEGMENTS)?;
        Ok(Parts {
            standard_header,
            header: token.get(..first).ok_or(SEGMENTS)?,
            payload,
            signature: token.get(last + 1..).ok_or(SEGMENTS)?,
            signing_input: token.get(..last).ok_or(SEGMENTS)?,
        })
    }
}

const SEGMENTS: Error = Error::new(Reason::Segments);

/// `a == b`, word by word: an array comparison of this length still called `memcmp`.
fn same<const N: usize>(a: &[u8; N], b: &[u8; N]) -> bool {
    let (aw, at) = a.as_chunks::<8>();
    let (bw, bt) = b.as_chunks::<8>();
    let words = aw.iter().zip(bw).fold(0, |d, (x, y)| {
        d | (u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y))
    });
    words == 0 && at == bt
}

/// Strict base64url (see [`b64`]); `small` when `out` cannot hold the decoded bytes.
fn decode<'o>(b64: &[u8], out: &'o mut [u8], bad: Error, small: Error) -> Result<&'o [u8], Error> {
    match b64::decoded_len(b64.len()) {
        None => Err(bad),
        Some(n) if n > out.len() => Err(small),
        Some(_) => b64::decode(b64, out).ok_or(bad),
    }
}

/// A header other than the standard one: `Err` if its base64url is bad (reported at once),
/// else the verdict on its JSON (reported after the payload's and signature's base64url).
/// Out of line, with its buffer: rare, and its frame then costs stack only when it runs.
#[inline(never)]
fn other_header(b64: &[u8]) -> Result<Result<(), Error>, Error> {
    let mut header = [0u8; MAX_HEADER_LEN];
    let json = decode(b64, &mut header, BAD_HEADER_B64, HEADER_TOO_LARGE)?;
    Ok(check_header(json))
}

fn check_header(header: &[u8]) -> Result<(), Error> {
    let mut reader = Reader::new(header, HEADER_JSON)?;
    let mut alg = None;
    let mut typ = None;
    let mut crit = false;
    let duplicate = reader.object(|r, key| {
        let value = r.value()?;
        if r.str_is(key, b"alg") {
            alg = Some(value);
        } else if r.str_is(key, b"typ") {
            typ = Some(value);
        } else if r.str_is(key, b"crit") {
            crit = true;
        }
        Ok(())
    })?;
    if duplicate {
        return Err(Error::new(Reason::HeaderDuplicate));
    }
    if crit {
        return Err(Error::new(Reason::HeaderCrit));
    }
    match alg {
        Some(Value::Str(s)) if reader.str_is(s, b"HS256") => {}
        Some(_) => {
            return Err(Error::new(Reason::AlgNotHs256));
        }
        None => return Err(Error::new(Reason::AlgMissing)),
    }
    match typ {
        None => Ok(()),
        Some(Value::Str(s)) if reader.str_is(s, b"JWT") || reader.str_is(s, b"jwt") => Ok(()),
        Some(_) => Err(Error::new(Reason::HeaderTyp)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split by a plain scan for the first and the last dot.
    fn scanned(token: &[u8]) -> Option<[&[u8]; 4]> {
        let first = token.iter().position(|&c| c == b'.')?;
        let last = token.iter().rposition(|&c| c == b'.')?;
        Some([
            token.get(..first)?,
            token.get(first + 1..last)?,
            token.get(last + 1..)?,
            token.get(..last)?,
        ])
    }

    #[test]
    fn split_shortcut_finds_the_same_dots_as_a_scan() {
        let sig = "S".repeat(SIG_B64_LEN);
        let base = std::format!("{STANDARD_HEADER}.eyJpYXQiOjF9.{sig}");
        let mut tokens = std::vec![
            base.clone(),
            std::format!("{STANDARD_HEADER}.{sig}"),
            std::format!("{STANDARD_HEADER}..{sig}"),
            std::format!("{STANDARD_HEADER}{sig}"),
            std::format!(".{sig}"),
            std::format!("{STANDARD_HEADER}.x"),
            std::string::String::new(),
        ];
        // A dot inserted at, or written over, every position of a standard token.
        for i in 0..=base.len() {
            let mut t = base.clone();
            t.insert(i, '.');
            tokens.push(t);
            if i < base.len() {
                let mut t = base.clone().into_bytes();
                t[i] = b'.';
                tokens.push(std::string::String::from_utf8(t).unwrap());
            }
        }
        for t in &tokens {
            let parts = Parts::split(t.as_bytes()).ok();
            if let Some(p) = &parts {
                assert_eq!(
                    p.standard_header,
                    p.header == STANDARD_HEADER.as_bytes(),
                    "{t}"
                );
            }
            let got = parts.map(|p| [p.header, p.payload, p.signature, p.signing_input]);
            let scan = scanned(t.as_bytes());
            if got != scan {
                // Only the shortcut's unscanned signature may differ from a scan; then a dot
                // is left in the payload or signature, and the token is refused as segments.
                let [_, payload, signature, _] = got.unwrap();
                assert!(payload.contains(&b'.') || signature.contains(&b'.'), "{t}");
                let key = Key::new(&[7u8; 32]).unwrap();
                let v: Verifier = Verifier::new(key);
                let mut scratch = [0u8; 512];
                let err = v.check(t.as_bytes(), 0, &mut scratch).unwrap_err();
                assert_eq!(err, SEGMENTS, "{t}");
            }
        }
    }
}
