//! The one error type of hfjwt: a stable [`ErrorKind`] plus a message naming the offending part.

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
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 15] = [
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
        }
    }

    /// The kind whose [`as_str`](Self::as_str) name is `name`, if any.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// A short human summary of the kind, the first half of every [`Error`] message.
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
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from hfjwt: a stable [`kind`](Error::kind) and a static detail naming the offending
/// part of the input.
///
/// Messages never contain a key, a signature or a whole token, so they are safe to log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    detail: &'static str,
}

impl Error {
    /// An error of `kind` with a static `detail`. For [`ReplayStore`](crate::ReplayStore)
    /// implementations outside this crate (e.g. a shared store reporting
    /// [`ErrorKind::ReplayStoreUnavailable`]); the core's own errors are built inside it.
    pub const fn new(kind: ErrorKind, detail: &'static str) -> Self {
        Error { kind, detail }
    }

    /// The stable kind of this error.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The detail: which part of the input was refused and why.
    pub const fn detail(&self) -> &'static str {
        self.detail
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.summary(), self.detail)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

#[cfg(feature = "defmt")]
impl defmt::Format for ErrorKind {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Error {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str} ({=str})", self.kind.as_str(), self.detail)
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
    }
}
