//! The one error type of hfjwt: a stable [`ErrorKind`] and the exact [`Reason`] behind it.

use core::fmt;

/// Why a token, key or output was refused.
///
/// Kinds are stable: [`ErrorKind::as_str`] returns the snake_case name that the CLI, the
/// Python bindings and the firmware print, so tools can match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The token is longer than the verifier's length cap, or a segment is longer than hfjwt
    /// keeps room for.
    TooLarge,
    /// Not a compact JWS: wrong segment count, non-canonical base64url, or invalid JSON.
    Malformed,
    /// The header's `alg` is missing or anything but exactly `"HS256"`.
    UnsupportedAlgorithm,
    /// The HMAC-SHA256 signature does not match (compared in constant time).
    BadSignature,
    /// A required claim is absent.
    MissingClaim,
    /// A claim has the wrong type or an unacceptable value, or appears twice.
    InvalidClaim,
    /// The token is older than the verifier's `max_age` (plus leeway), or past its `exp`.
    Expired,
    /// `iat` (or `nbf`) lies in the future beyond the leeway.
    IssuedInFuture,
    /// The token's `jti` was already accepted, or the token predates the replay cache's memory.
    Replayed,
    /// The replay cache is full of entries that could still pass the time window (fail closed).
    ReplayCacheFull,
    /// The email's domain is not on the verifier's allow-list.
    DomainNotAllowed,
    /// The key is shorter than 32 bytes (RFC 7518 §3.2).
    WeakKey,
    /// A caller-supplied buffer (token, scratch or URL) is too small for the output.
    BufferTooSmall,
    /// The token's `aud` does not name the verifier's audience, or the token carries an `aud`
    /// while the verifier expects none (RFC 7519 §4.1.3; PyJWT refuses it the same way).
    WrongAudience,
    /// A shared replay store (e.g. Redis) could not be reached or did not answer in time; the
    /// token was refused without being recorded (fail closed).
    ReplayStoreUnavailable,
    /// A configuration value, not a token, is wrong: an account, domain or origin, a
    /// `return_to`, a Remote Login/Logout URL, an audience or a replay cache capacity.
    InvalidConfig,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 16] = [
        ErrorKind::TooLarge,
        ErrorKind::Malformed,
        ErrorKind::UnsupportedAlgorithm,
        ErrorKind::BadSignature,
        ErrorKind::MissingClaim,
        ErrorKind::InvalidClaim,
        ErrorKind::Expired,
        ErrorKind::IssuedInFuture,
        ErrorKind::Replayed,
        ErrorKind::ReplayCacheFull,
        ErrorKind::DomainNotAllowed,
        ErrorKind::WeakKey,
        ErrorKind::BufferTooSmall,
        ErrorKind::WrongAudience,
        ErrorKind::ReplayStoreUnavailable,
        ErrorKind::InvalidConfig,
    ];

    /// The stable snake_case name, e.g. `"bad_signature"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Malformed => "malformed",
            ErrorKind::UnsupportedAlgorithm => "unsupported_algorithm",
            ErrorKind::BadSignature => "bad_signature",
            ErrorKind::MissingClaim => "missing_claim",
            ErrorKind::InvalidClaim => "invalid_claim",
            ErrorKind::Expired => "expired",
            ErrorKind::IssuedInFuture => "issued_in_future",
            ErrorKind::Replayed => "replayed",
            ErrorKind::ReplayCacheFull => "replay_cache_full",
            ErrorKind::DomainNotAllowed => "domain_not_allowed",
            ErrorKind::WeakKey => "weak_key",
            ErrorKind::BufferTooSmall => "buffer_too_small",
            ErrorKind::WrongAudience => "wrong_audience",
            ErrorKind::ReplayStoreUnavailable => "replay_store_unavailable",
            ErrorKind::InvalidConfig => "invalid_config",
        }
    }

    /// The kind whose [`as_str`](Self::as_str) name is `name`, if any.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// A short human summary of the kind, e.g. for a page title (an [`Error`]'s message is its
    /// [`Reason`]'s).
    pub const fn summary(self) -> &'static str {
        match self {
            ErrorKind::TooLarge => "token too large",
            ErrorKind::Malformed => "malformed token",
            ErrorKind::UnsupportedAlgorithm => "unsupported algorithm",
            ErrorKind::BadSignature => "bad signature",
            ErrorKind::MissingClaim => "missing claim",
            ErrorKind::InvalidClaim => "invalid claim",
            ErrorKind::Expired => "token has expired",
            ErrorKind::IssuedInFuture => "token issued in the future",
            ErrorKind::Replayed => "token replayed",
            ErrorKind::ReplayCacheFull => "replay cache full",
            ErrorKind::DomainNotAllowed => "email domain not allowed",
            ErrorKind::WeakKey => "weak key",
            ErrorKind::BufferTooSmall => "buffer too small",
            ErrorKind::WrongAudience => "wrong audience",
            ErrorKind::ReplayStoreUnavailable => "replay store unavailable",
            ErrorKind::InvalidConfig => "invalid configuration",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A claim hfjwt reads, as named in a [`Reason`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Claim {
    /// `iat`, issued at.
    Iat,
    /// `jti`, the token's unique id.
    Jti,
    /// `email`.
    Email,
    /// `name`.
    Name,
    /// `exp`, expiry.
    Exp,
    /// `nbf`, not before.
    Nbf,
    /// `aud`, audience.
    Aud,
}

impl Claim {
    /// The claim's name in the token, e.g. `"iat"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Claim::Iat => "iat",
            Claim::Jti => "jti",
            Claim::Email => "email",
            Claim::Name => "name",
            Claim::Exp => "exp",
            Claim::Nbf => "nbf",
            Claim::Aud => "aud",
        }
    }
}

/// Exactly why something was refused: the one place hfjwt's messages are written.
///
/// Each reason belongs to one [`ErrorKind`] ([`Reason::kind`]); match on the kind for
/// decisions, use the reason for logs and for a person ([`Display`](fmt::Display)). Numbers
/// are seconds or bytes, saturated at `u32::MAX` (136 years): enough to show clock skew and
/// keep [`Error`] at 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    // --- size (too_large)
    /// The token is longer than the verifier's `max_token_len`.
    TokenTooLong {
        /// The token's length in bytes.
        len: u32,
        /// The verifier's limit in bytes.
        limit: u32,
    },
    /// The decoded header is longer than [`MAX_HEADER_LEN`](crate::MAX_HEADER_LEN).
    HeaderTooLong,
    // --- shape (malformed)
    /// Not exactly three dot-separated segments.
    Segments,
    /// The header segment is not canonical unpadded base64url.
    HeaderBase64,
    /// The payload segment is not canonical unpadded base64url.
    PayloadBase64,
    /// The signature segment is not canonical unpadded base64url.
    SignatureBase64,
    /// The header is not one JSON object (or not UTF-8).
    HeaderJson,
    /// A header parameter appears twice.
    HeaderDuplicate,
    /// The header has a `crit` parameter, which hfjwt does not support.
    HeaderCrit,
    /// The header's `typ` is present and not `"JWT"`.
    HeaderTyp,
    /// The signature is not 32 bytes (43 base64url characters) and the header is HS256.
    SignatureLength,
    /// The payload is not one JSON object (or not UTF-8, or holds a lone surrogate).
    ClaimsJson,
    // --- header (unsupported_algorithm)
    /// The header has no `alg`.
    AlgMissing,
    /// `alg` is anything but exactly `"HS256"`.
    AlgNotHs256,
    // --- MAC (bad_signature)
    /// The HMAC-SHA256 signature does not match.
    SignatureMismatch,
    // --- claims (missing_claim, invalid_claim)
    /// A required claim is absent (for [`Claim::Aud`]: the verifier has an audience and the
    /// token names none; `""` and `[]` count as none).
    ClaimMissing(Claim),
    /// A claim has the wrong type or an unacceptable value.
    ClaimInvalid(Claim),
    /// A claim name appears twice (also when spelled with `\u` escapes).
    ClaimDuplicate,
    // --- time (issued_in_future, expired)
    /// `iat` is later than `now + leeway`.
    IssuedInFuture {
        /// Seconds `iat` lies after `now`.
        ahead: u32,
        /// The leeway in force.
        leeway: u32,
    },
    /// `nbf` is later than `now + leeway`.
    NotYetValid {
        /// Seconds `nbf` lies after `now`.
        ahead: u32,
        /// The leeway in force.
        leeway: u32,
    },
    /// `now - iat` is more than `max_age + leeway`.
    TooOld {
        /// Seconds since `iat`.
        age: u32,
        /// The verifier's `max_age`.
        max_age: u32,
        /// The leeway in force.
        leeway: u32,
    },
    /// `now` is at or past `exp + leeway`.
    ExpPassed {
        /// Seconds since `exp` (0: it is `exp` now).
        ago: u32,
        /// The leeway in force.
        leeway: u32,
    },
    // --- audience (wrong_audience)
    /// The token has `aud` but the verifier expects none (and does not ignore it).
    AudienceUnexpected,
    /// `aud` does not name the verifier's audience.
    AudienceMismatch,
    // --- domain (domain_not_allowed)
    /// The email's domain is not on the allow-list.
    DomainNotAllowed,
    // --- replay (replayed, replay_cache_full, replay_store_unavailable)
    /// The `jti` was already accepted while its token could still pass.
    Replayed,
    /// The token was issued before the verifier started remembering (a memory horizon).
    BeforeHorizon,
    /// The token's time window is already over, so it cannot be recorded.
    WindowOver,
    /// Every replay cache entry belongs to a token that could still pass.
    CacheFull,
    /// A shared replay store is out of memory and refuses new keys.
    StoreOutOfMemory,
    /// A shared replay store could not be reached or did not answer in time.
    StoreUnreachable,
    /// A shared replay store refused the command.
    StoreRefusedCommand,
    /// The replay cache found its own index inconsistent. Cannot happen (the ring keeps
    /// its invariants, which the tests and Miri check); were it to, the cache could not tell
    /// whether the `jti` was seen, which is what [`ErrorKind::ReplayStoreUnavailable`] means:
    /// refuse and record nothing. It is not `replay_cache_full`: waiting would not help.
    CacheInconsistent,
    // --- setup (weak_key, invalid_config)
    /// The key is shorter than [`MIN_KEY_LEN`](crate::MIN_KEY_LEN).
    KeyTooShort {
        /// The key's length in bytes.
        len: u32,
    },
    /// Not a HappyFox account name (1-63 letters, digits or inner hyphens).
    Account,
    /// Not a host name (labels of letters, digits and inner hyphens).
    Domain,
    /// Not an origin `http(s)://host[:port]`.
    Origin,
    /// Not `home`, `tickets`, `kb`, or a path starting with a single `/`.
    ReturnTo,
    /// Not a usable Remote Login/Logout URL: absolute `https://` (`http://` only for
    /// localhost), no user info, no spaces or control characters.
    RemoteUrl,
    /// An audience must be 1 to [`MAX_AUDIENCE_LEN`](crate::MAX_AUDIENCE_LEN) bytes.
    AudienceLength,
    /// A fixed-capacity replay cache must hold fewer than 2³¹ entries.
    CacheCapacity,
    // --- output (buffer_too_small)
    /// The scratch buffer cannot hold the decoded claims.
    ScratchTooSmall,
    /// The output buffer cannot hold the token.
    TokenBufferTooSmall,
    /// The URL does not fit its buffer.
    UrlTooLong,
}

impl Reason {
    /// The stable kind this reason belongs to.
    pub const fn kind(self) -> ErrorKind {
        use Reason as R;
        match self {
            R::TokenTooLong { .. } | R::HeaderTooLong => ErrorKind::TooLarge,
            R::Segments
            | R::HeaderBase64
            | R::PayloadBase64
            | R::SignatureBase64
            | R::HeaderJson
            | R::HeaderDuplicate
            | R::HeaderCrit
            | R::HeaderTyp
            | R::SignatureLength
            | R::ClaimsJson => ErrorKind::Malformed,
            R::AlgMissing | R::AlgNotHs256 => ErrorKind::UnsupportedAlgorithm,
            R::SignatureMismatch => ErrorKind::BadSignature,
            R::ClaimMissing(_) => ErrorKind::MissingClaim,
            R::ClaimInvalid(_) | R::ClaimDuplicate => ErrorKind::InvalidClaim,
            R::IssuedInFuture { .. } | R::NotYetValid { .. } => ErrorKind::IssuedInFuture,
            R::TooOld { .. } | R::ExpPassed { .. } => ErrorKind::Expired,
            R::AudienceUnexpected | R::AudienceMismatch => ErrorKind::WrongAudience,
            R::DomainNotAllowed => ErrorKind::DomainNotAllowed,
            R::Replayed | R::BeforeHorizon | R::WindowOver => ErrorKind::Replayed,
            R::CacheFull | R::StoreOutOfMemory => ErrorKind::ReplayCacheFull,
            R::StoreUnreachable | R::StoreRefusedCommand | R::CacheInconsistent => {
                ErrorKind::ReplayStoreUnavailable
            }
            R::KeyTooShort { .. } => ErrorKind::WeakKey,
            R::Account
            | R::Domain
            | R::Origin
            | R::ReturnTo
            | R::RemoteUrl
            | R::AudienceLength
            | R::CacheCapacity => ErrorKind::InvalidConfig,
            R::ScratchTooSmall | R::TokenBufferTooSmall | R::UrlTooLong => {
                ErrorKind::BufferTooSmall
            }
        }
    }
}

impl Reason {
    /// The message of a reason that carries no number; `None` for the six that do. One
    /// table for `Display` and `defmt`, so a firmware keeps each text once.
    const fn text(self) -> Option<&'static str> {
        use Reason as R;
        Some(match self {
            R::TokenTooLong { .. }
            | R::IssuedInFuture { .. }
            | R::NotYetValid { .. }
            | R::TooOld { .. }
            | R::ExpPassed { .. }
            | R::KeyTooShort { .. } => return None,
            R::ClaimMissing(c) => match c {
                Claim::Iat => "iat is missing",
                Claim::Jti => "jti is missing",
                Claim::Email => "email is missing",
                Claim::Name => "name is missing",
                Claim::Exp => "exp is missing",
                Claim::Nbf => "nbf is missing",
                Claim::Aud => "aud is missing",
            },
            R::ClaimInvalid(c) => match c {
                Claim::Iat => "iat is not a non-negative integer",
                Claim::Exp => "exp is not a non-negative NumericDate",
                Claim::Nbf => "nbf is not a non-negative NumericDate",
                Claim::Jti => "jti is not a non-empty string",
                Claim::Email => "email is not a valid address",
                Claim::Name => "name is not a string",
                Claim::Aud => "aud is not a non-empty string or an array of strings",
            },
            R::HeaderTooLong => "header is longer than 256 bytes",
            R::Segments => "token does not have exactly three segments",
            R::HeaderBase64 => "header is not canonical unpadded base64url",
            R::PayloadBase64 => "payload is not canonical unpadded base64url",
            R::SignatureBase64 => "signature is not canonical unpadded base64url",
            R::HeaderJson => "header is not a JSON object",
            R::HeaderDuplicate => "header has a duplicate parameter",
            R::HeaderCrit => "header has a crit parameter, which hfjwt does not support",
            R::HeaderTyp => "typ is not \"JWT\"",
            R::SignatureLength => "signature is not 32 bytes (43 base64url characters)",
            R::ClaimsJson => "claims are not a JSON object",
            R::AlgMissing => "header has no alg",
            R::AlgNotHs256 => "alg is not exactly \"HS256\"",
            R::SignatureMismatch => "HMAC-SHA256 signature does not match",
            R::ClaimDuplicate => "a claim name appears twice",
            R::AudienceUnexpected => "token has an aud claim but this verifier has no audience",
            R::AudienceMismatch => "aud does not name this verifier's audience",
            R::DomainNotAllowed => "email domain is not on the allow-list",
            R::Replayed => "this jti was already used",
            R::BeforeHorizon => "token issued before this verifier started remembering",
            R::WindowOver => "the token's time window is over, so it cannot be recorded",
            R::CacheFull => "every replay cache entry belongs to a token that could still pass",
            R::StoreOutOfMemory => "the replay store is out of memory and refuses new keys",
            R::StoreUnreachable => "the replay store could not be reached or did not answer",
            R::StoreRefusedCommand => "the replay store refused the command",
            R::CacheInconsistent => "the replay cache is inconsistent (a bug: please report it)",
            R::Account => "account must be 1-63 letters, digits or inner hyphens",
            R::Domain => "domain is not a host name",
            R::Origin => "origin must be http(s)://host[:port]",
            R::ReturnTo => "return_to must be home, tickets, kb, or a path starting with one /",
            R::RemoteUrl => {
                "remote login/logout URL must be an absolute https:// URL without user info \
                 (http:// only for localhost)"
            }
            R::AudienceLength => "audience must be 1 to 128 bytes long",
            R::CacheCapacity => "replay cache capacity must be below 2^31",
            R::ScratchTooSmall => "scratch buffer is too small for the claims",
            R::TokenBufferTooSmall => "output buffer is too small for the token",
            R::UrlTooLong => "URL does not fit its buffer",
        })
    }

    /// A reason with numbers as text pieces and the numbers between them: one writer for
    /// all six, rather than a formatting call each (flash on a microcontroller).
    fn pieces(self) -> (&'static [&'static str], [u32; 3]) {
        use Reason as R;
        match self {
            R::TokenTooLong { len, limit } => {
                (&["token is ", " bytes; the limit is ", ""], [len, limit, 0])
            }
            R::IssuedInFuture { ahead, leeway } => (
                &[
                    "issued ",
                    " s in the future (leeway ",
                    " s): is a clock wrong?",
                ],
                [ahead, leeway, 0],
            ),
            R::NotYetValid { ahead, leeway } => (
                &["nbf is ", " s in the future (leeway ", " s)"],
                [ahead, leeway, 0],
            ),
            R::TooOld {
                age,
                max_age,
                leeway,
            } => (
                &["token is ", " s old; the limit is ", " s (leeway ", " s)"],
                [age, max_age, leeway],
            ),
            R::ExpPassed { ago, leeway } => {
                (&["exp passed ", " s ago (leeway ", " s)"], [ago, leeway, 0])
            }
            R::KeyTooShort { len } => (
                &["key is ", " bytes; at least 32 are needed (RFC 7518 3.2)"],
                [len, 0, 0],
            ),
            _ => (&[], [0; 3]),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.text() {
            return f.write_str(text);
        }
        let (pieces, numbers) = self.pieces();
        for (i, piece) in pieces.iter().enumerate() {
            f.write_str(piece)?;
            if let Some(n) = numbers.get(i).filter(|_| i + 1 < pieces.len()) {
                fmt::Display::fmt(n, f)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Claim {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str())
    }
}

/// The same text as `Display`: the static messages are the ones `Display` writes, and the
/// numbered ones are written by defmt from its own (host-side) format strings.
#[cfg(feature = "defmt")]
impl defmt::Format for Reason {
    fn format(&self, f: defmt::Formatter<'_>) {
        if let Some(text) = self.text() {
            defmt::write!(f, "{=str}", text);
        } else {
            // The first piece names the reason; the numbers follow in the message's order.
            let (pieces, [a, b, c]) = self.pieces();
            let first = pieces.first().copied().unwrap_or("");
            defmt::write!(f, "{=str}.. {=u32} {=u32} {=u32}", first, a, b, c);
        }
    }
}

/// Saturates a count of seconds or bytes into a [`Reason`]'s `u32` field.
pub(crate) fn sat(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// An error from hfjwt: a stable [`kind`](Error::kind) and the exact [`reason`](Error::reason).
///
/// `Display` is the human message (the reason's); it never repeats the kind, so a line such
/// as `DENY expired token is 187 s old; …` reads once. Messages never contain a key, a
/// signature or a whole token, so they are safe to log. 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    reason: Reason,
}

impl Error {
    /// An error for `reason`. For [`ReplayStore`](crate::ReplayStore) implementations outside
    /// this crate (e.g. a shared store reporting [`Reason::StoreUnreachable`]); the core's own
    /// errors are built inside it.
    pub const fn new(reason: Reason) -> Self {
        Error { reason }
    }

    /// The stable kind of this error.
    pub const fn kind(&self) -> ErrorKind {
        self.reason.kind()
    }

    /// Exactly what was refused, with the numbers that explain it.
    pub const fn reason(&self) -> Reason {
        self.reason
    }
}

impl From<Reason> for Error {
    fn from(reason: Reason) -> Self {
        Error { reason }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reason.fmt(f)
    }
}

impl core::error::Error for Error {}

#[cfg(feature = "defmt")]
impl defmt::Format for ErrorKind {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Error {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str} ({})", self.kind().as_str(), self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(ErrorKind::from_name(k.as_str()), Some(*k));
            for other in &ErrorKind::ALL[i + 1..] {
                assert_ne!(k.as_str(), other.as_str());
            }
        }
        assert_eq!(ErrorKind::from_name("nope"), None);
        assert_eq!(ErrorKind::InvalidConfig.as_str(), "invalid_config");
    }

    #[test]
    fn messages_carry_numbers_and_never_repeat_the_kind() {
        let old = Error::new(Reason::TooOld {
            age: 187,
            max_age: 120,
            leeway: 0,
        });
        assert_eq!(old.kind(), ErrorKind::Expired);
        assert_eq!(
            old.to_string(),
            "token is 187 s old; the limit is 120 s (leeway 0 s)"
        );
        let ahead = Error::new(Reason::IssuedInFuture {
            ahead: 5,
            leeway: 2,
        });
        assert!(
            ahead
                .to_string()
                .starts_with("issued 5 s in the future (leeway 2 s)")
        );
        let claims = [
            Claim::Iat,
            Claim::Jti,
            Claim::Email,
            Claim::Name,
            Claim::Exp,
        ];
        let reasons = [
            Reason::Segments,
            Reason::HeaderBase64,
            Reason::ClaimsJson,
            Reason::AlgNotHs256,
            Reason::SignatureMismatch,
            Reason::Replayed,
            Reason::CacheFull,
            Reason::Account,
            Reason::UrlTooLong,
            Reason::KeyTooShort { len: 5 },
        ]
        .into_iter()
        .chain(claims.iter().map(|&c| Reason::ClaimMissing(c)))
        .chain(claims.iter().map(|&c| Reason::ClaimInvalid(c)));
        for r in reasons {
            let text = Error::new(r).to_string();
            let kind = r.kind().as_str();
            assert!(!text.contains(kind), "{text:?} repeats {kind}");
            assert!(!text.contains(r.kind().summary()), "{text:?}");
        }
    }

    #[test]
    fn error_stays_small() {
        // Returned by value on a microcontroller: 16 bytes on every target (it was 12 on
        // 32-bit and 24 on 64-bit with a `&'static str` detail).
        assert_eq!(core::mem::size_of::<Error>(), 16);
    }
}
