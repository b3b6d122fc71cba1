//! The Python exceptions: `TokenError(ValueError)` and one subclass per core [`ErrorKind`]
//! that a token, key or output can cause, and `ConfigError(ValueError)` for
//! [`ErrorKind::InvalidConfig`] (an account, domain, origin, `return_to`, remote URL or
//! audience: configuration, not a token, so not a `TokenError`).
//!
//! The kind strings come from [`ErrorKind::as_str`]; this file only pairs each kind with a
//! Python class, so the CLI, the firmware and Python all print the same names.

use hfjwt::{Error, ErrorKind};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyType;

create_exception!(
    hfjwt,
    TokenError,
    PyValueError,
    "A token, key or URL part refused by hfjwt.\n\n`kind` is the core's stable snake_case name \
     (e.g. \"expired\"); every error hfjwt raises is one of the subclasses, one per kind."
);

create_exception!(
    hfjwt,
    ConfigError,
    PyValueError,
    "A configuration value refused by hfjwt: an account, domain or origin, a return_to, a \
     remote login/logout URL or an audience. Not a TokenError: no token was judged. `kind` is \
     \"invalid_config\"."
);

/// Declares one exception class per kind, and the two tables that use them.
macro_rules! kinds {
    ($($variant:ident => $class:ident, $doc:literal;)*) => {
        $(create_exception!(hfjwt, $class, TokenError, $doc);)*

        /// Adds `TokenError` and every kind's class to the module, each class with its `kind`.
        pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
            let py = m.py();
            let base = py.get_type::<TokenError>();
            base.setattr("kind", "")?;
            m.add("TokenError", base)?;
            let config = py.get_type::<ConfigError>();
            config.setattr("kind", ErrorKind::InvalidConfig.as_str())?;
            m.add("ConfigError", config)?;
            $(
                let class: Bound<'_, PyType> = py.get_type::<$class>();
                class.setattr("kind", ErrorKind::$variant.as_str())?;
                m.add(stringify!($class), class)?;
            )*
            Ok(())
        }

        /// The Python exception for a core error: its kind's class, the core's message.
        pub fn to_py(py: Python<'_>, err: Error) -> PyErr {
            let message = err.to_string();
            match err.kind() {
                ErrorKind::InvalidConfig => ConfigError::new_err(message),
                $(ErrorKind::$variant => $class::new_err(message),)*
                // ErrorKind is non_exhaustive: a kind added to the core later still surfaces
                // with its name, on the base class, until it gets a class of its own here.
                other => {
                    let e = TokenError::new_err(message);
                    // Setting an attribute on a fresh exception instance cannot fail in
                    // practice; if it did, the error would still be a TokenError.
                    let _ = e.value(py).setattr("kind", other.as_str());
                    e
                }
            }
        }
    };
}

kinds! {
    TooLarge => TokenTooLarge,
        "The token (or one of its segments) is longer than the verifier's limit.";
    Malformed => MalformedToken,
        "Not a compact JWS (segments, strict base64url, JSON).";
    UnsupportedAlgorithm => UnsupportedAlgorithm,
        "The header's `alg` is missing or anything but exactly \"HS256\".";
    BadSignature => BadSignature,
        "The HMAC-SHA256 signature does not match the key.";
    MissingClaim => MissingClaim,
        "A required claim (`iat`, `jti`, `email`) is absent.";
    InvalidClaim => InvalidClaim,
        "A claim has the wrong type or value (e.g. an email that is not an address), or appears twice.";
    Expired => ExpiredToken,
        "The token is older than `max_age` (plus leeway), or past its `exp`.";
    IssuedInFuture => IssuedInFuture,
        "`iat` or `nbf` lies in the future beyond the leeway.";
    Replayed => ReplayedToken,
        "The token's `jti` was already accepted by this verifier or its shared store (or predates its memory).";
    ReplayCacheFull => ReplayCacheFull,
        "The replay cache is full of live tokens; hfjwt refuses rather than forget one.";
    DomainNotAllowed => DomainNotAllowed,
        "The email's domain is not on the verifier's allow-list.";
    WeakKey => WeakKey,
        "The key is shorter than 32 bytes (RFC 7518 section 3.2).";
    BufferTooSmall => BufferTooSmall,
        "The output (e.g. a login URL) is longer than hfjwt builds.";
    WrongAudience => WrongAudience,
        "The token's `aud` does not name the verifier's audience, or it names one while the verifier has none.";
    ReplayStoreUnavailable => ReplayStoreUnavailable,
        "The shared replay store (Redis) could not be reached in time; the token was refused, not recorded.";
}
