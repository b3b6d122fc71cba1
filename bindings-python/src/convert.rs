//! Python values in, core types out: keys, tokens, times, sites and fresh `jti`s.
//!
//! Every function here returns `TypeError` for a value of the wrong type and `ValueError`
//! for a value of the right type that cannot stand for what it names; what a *token* may
//! contain is left to the core.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use hfjwt::{Key, Policy, ReturnTo, Site};
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyString};

use crate::errors;

/// A key given as `str` (its UTF-8 bytes, as HappyFox's 32-character keys are meant) or as
/// `bytes`/`bytearray`. Shorter than 32 bytes: `WeakKey`.
///
/// A `str` is key *text*, as read from a file or pasted: it follows [`key_text`]'s rule
/// (one final newline stripped, stray whitespace, control characters or a BOM refused with a
/// `ConfigError`), the rule `hfjwt-sim` applies to its key files. `bytes` are raw key
/// material and taken as given: any byte, a newline or a space included, can be part of a
/// binary key.
pub fn key(obj: &Bound<'_, PyAny>) -> PyResult<Key> {
    let py = obj.py();
    let made = if let Ok(b) = obj.cast::<PyBytes>() {
        Key::new(b.as_bytes())
    } else if let Ok(s) = obj.cast::<PyString>() {
        let utf8 = s.encode_utf8()?;
        let text = key_text(utf8.as_bytes())
            .map_err(|problem| key_problem_error(&format!("the key {problem}")))?;
        Key::new(text)
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Key::new(&b.to_vec())
    } else {
        return Err(PyTypeError::new_err(format!(
            "key must be str or bytes, not {}",
            type_name(obj)
        )));
    };
    made.map_err(|e| errors::to_py(py, e))
}

pub use hfjwt::key_text;

/// key_text(source: bytes, origin: str) -> bytes
///
/// The key in the bytes of a key file or key variable, by [`key_text`]'s rule; `origin`
/// names the source in the `ConfigError` ("key file k.txt: has whitespace …"). Used by
/// `python -m hfjwt`, so the command line and the API share one implementation.
#[pyfunction]
#[pyo3(name = "key_text")]
pub fn py_key_text<'py>(
    py: Python<'py>,
    source: &[u8],
    origin: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    key_text(source)
        .map(|key| PyBytes::new(py, key))
        .map_err(|problem| key_problem_error(&format!("{origin}: {problem}")))
}

/// The exception for key text that breaks the rule: `ConfigError` (a `ValueError`), since a
/// key is configuration and no token was judged.
pub fn key_problem_error(message: &str) -> PyErr {
    errors::ConfigError::new_err(message.to_owned())
}

/// The bytes of a token to verify.
pub enum TokenBytes<'py> {
    /// Borrowed from a Python `bytes` object (given, or the UTF-8 encoding of a `str`).
    Bytes(Bound<'py, PyBytes>),
    /// A `str` that is not valid Unicode (lone surrogates), with U+FFFD in their place: the
    /// core then refuses it as malformed, as it would any non-base64url character.
    Lossy(String),
}

impl TokenBytes<'_> {
    /// The token as bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            TokenBytes::Bytes(b) => b.as_bytes(),
            TokenBytes::Lossy(s) => s.as_bytes(),
        }
    }
}

/// A token given as `str` or `bytes`; what it contains is judged by the core.
pub fn token<'py>(obj: &Bound<'py, PyAny>) -> PyResult<TokenBytes<'py>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(TokenBytes::Bytes(b.clone()))
    } else if let Ok(s) = obj.cast::<PyString>() {
        Ok(match s.encode_utf8() {
            Ok(b) => TokenBytes::Bytes(b),
            Err(_) => TokenBytes::Lossy(s.to_string_lossy().into_owned()),
        })
    } else {
        Err(PyTypeError::new_err(format!(
            "token must be str or bytes, not {}",
            type_name(obj)
        )))
    }
}

/// A string argument as UTF-8; a `str` with lone surrogates is a `UnicodeEncodeError`.
pub fn text<'a>(obj: &'a Bound<'_, PyAny>, what: &str) -> PyResult<Cow<'a, str>> {
    let s = obj
        .cast::<PyString>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be str, not {}", type_name(obj))))?;
    s.to_cow()
}

/// Unix seconds: `None` is now; an `int` or a finite `float` (floored) at or after 1970.
pub fn unix_seconds(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<u64> {
    let Some(obj) = obj else {
        return Ok(now());
    };
    seconds(obj, what, true)
}

/// A number of seconds (`max_age`, `leeway`): a non-negative `int`.
pub fn duration(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    seconds(obj, what, false)
}

/// A count (`replay_capacity`, `max_token_len`): a non-negative `int`.
pub fn count(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<usize> {
    let n = seconds(obj, what, false)?;
    usize::try_from(n).map_err(|_| PyValueError::new_err(format!("{what} is too large")))
}

fn seconds(obj: &Bound<'_, PyAny>, what: &str, float_ok: bool) -> PyResult<u64> {
    let out_of_range =
        || PyValueError::new_err(format!("{what} must be between 0 and 2**64 - 1 seconds"));
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an int of seconds, not bool"
        )));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<u64>().map_err(|_| out_of_range());
    }
    if float_ok && obj.is_instance_of::<PyFloat>() {
        let f: f64 = obj.extract()?;
        // 2**64 as f64 is exact; anything at or above it, negative, or NaN does not fit.
        if f.is_finite() && (0.0..18_446_744_073_709_551_616.0).contains(&f) {
            return Ok(f.floor() as u64);
        }
        return Err(out_of_range());
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be {}, not {}",
        if float_ok {
            "an int or float"
        } else {
            "an int"
        },
        type_name(obj)
    )))
}

/// The policy with its audience rule: `audience` (a `str`) binds it to that audience;
/// `ignore_audience` opts out of audience checks; neither refuses tokens that carry `aud`.
pub fn audience_policy(
    policy: Policy,
    audience: Option<&Bound<'_, PyAny>>,
    ignore_audience: bool,
) -> PyResult<Policy> {
    match (audience, ignore_audience) {
        (Some(_), true) => Err(PyValueError::new_err(
            "give audience or ignore_audience=True, not both",
        )),
        (None, true) => Ok(policy.ignore_audience()),
        (None, false) => Ok(policy),
        // `ConfigError` (a ValueError): "audience must be 1 to 128 bytes long".
        (Some(a), false) => policy
            .audience(&text(a, "audience")?)
            .map_err(|e| errors::to_py(a.py(), e)),
    }
}

/// The wall clock in unix seconds (0 if the clock is set before 1970).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The support center named by exactly one of `account=`, `domain=`, `origin=`, checked by
/// the core (`ConfigError` when it is not a valid account, domain or origin).
pub fn site<'a>(
    py: Python<'_>,
    account: Option<&'a str>,
    domain: Option<&'a str>,
    origin: Option<&'a str>,
) -> PyResult<Site<'a>> {
    let site = match (account, domain, origin) {
        (Some(a), None, None) => Site::account(a),
        (None, Some(d), None) => Site::domain(d),
        (None, None, Some(o)) => Site::origin(o),
        _ => {
            return Err(PyTypeError::new_err(
                "give exactly one of account=, domain= or origin=",
            ));
        }
    };
    site.map_err(|e| errors::to_py(py, e))
}

/// `return_to`: `None` (no parameter), `"home"`, `"tickets"`, `"kb"` or a path; the core
/// checks the path (`ConfigError` otherwise).
pub fn return_to<'a>(py: Python<'_>, value: Option<&'a str>) -> PyResult<Option<ReturnTo<'a>>> {
    value
        .map(|v| ReturnTo::parse(v).map_err(|e| errors::to_py(py, e)))
        .transpose()
}

/// A fresh random (version 4) UUID in its usual 36-character form, from the OS's CSPRNG.
pub fn uuid4() -> PyResult<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)
        .map_err(|e| PyOSError::new_err(format!("no randomness for a jti: {e}")))?;
    let [
        b0,
        b1,
        b2,
        b3,
        b4,
        b5,
        b6,
        b7,
        b8,
        b9,
        b10,
        b11,
        b12,
        b13,
        b14,
        b15,
    ] = b;
    let (b6, b8) = ((b6 & 0x0f) | 0x40, (b8 & 0x3f) | 0x80); // version 4, RFC 4122 variant
    let groups: [&[u8]; 5] = [
        &[b0, b1, b2, b3],
        &[b4, b5],
        &[b6, b7],
        &[b8, b9],
        &[b10, b11, b12, b13, b14, b15],
    ];
    let mut out = String::with_capacity(36);
    for (i, group) in groups.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        for byte in group.iter() {
            out.push_str(&format!("{byte:02x}"));
        }
    }
    Ok(out)
}

/// The Python type name of `obj`, for error messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}
