//! Python values in, core types out: keys, tokens, times, sites and fresh `jti`s.
//!
//! Every function here returns `TypeError` for a value of the wrong type and `ValueError`
//! for a value of the right type that cannot stand for what it names; what a *token* may
//! contain is left to the core.

use std::borrow::Cow;
use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use hfjwt::{Key, Policy, ReturnTo, Site};
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyString};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::errors;

/// A key given as `str` (its UTF-8 bytes, as HappyFox's 32-character keys are meant) or as
/// `bytes`/`bytearray`. Shorter than 32 bytes: `WeakKey`.
///
/// A `str` is key *text*, as read from a file or pasted: it follows [`key_text`]'s rule
/// (one final newline stripped, stray whitespace, control characters or a BOM refused with a
/// `ConfigError`), the rule `hfjwt-sim` applies to its key files. `bytes` are raw key
/// material and taken as given: any byte, a newline or a space included, can be part of a
/// binary key.
///
/// The derived key is remembered per thread for the exact key given last (see
/// [`KeyCache`]): `mint(KEY, ...)` with the same key on every call keys HMAC once, not per
/// call. A key that fails is never remembered, so every call with it fails again.
pub fn key(obj: &Bound<'_, PyAny>) -> PyResult<Key> {
    let py = obj.py();
    if let Ok(b) = obj.cast::<PyBytes>() {
        cached_key(b.as_bytes(), KeyForm::Bytes)
    } else if let Ok(s) = obj.cast::<PyString>() {
        // Borrowed from the str where Python allows (3.10+, or any non-abi3 build); the copy
        // an abi3-py39 build makes is wiped after use.
        match s.to_cow()? {
            Cow::Borrowed(text) => cached_key(text.as_bytes(), KeyForm::Text),
            Cow::Owned(text) => cached_key(Zeroizing::new(text).as_bytes(), KeyForm::Text),
        }
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        cached_key(&Zeroizing::new(b.to_vec()), KeyForm::Bytes)
    } else {
        Err(KeyError::Python(PyTypeError::new_err(format!(
            "key must be str or bytes, not {}",
            type_name(obj)
        ))))
    }
    .map_err(|e| e.into_py_err(py))
}

/// How the bytes of a key argument are read: a `str`'s UTF-8 is key text ([`key_text`]'s
/// rule applies), `bytes`/`bytearray` are the key itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyForm {
    Text,
    Bytes,
}

/// Why a key argument was refused, before it becomes a Python exception (outside the cache's
/// borrow).
enum KeyError {
    Text(hfjwt::KeyTextProblem),
    Core(hfjwt::Error),
    Python(PyErr),
}

impl From<PyErr> for KeyError {
    fn from(e: PyErr) -> Self {
        KeyError::Python(e)
    }
}

impl KeyError {
    fn into_py_err(self, py: Python<'_>) -> PyErr {
        match self {
            KeyError::Text(problem) => key_problem_error(&format!("the key {problem}")),
            KeyError::Core(e) => errors::to_py(py, e),
            KeyError::Python(e) => e,
        }
    }
}

/// Keys longer than this are derived on every call and not remembered (`key_text` refuses
/// longer key text anyway).
const CACHED_KEY_MAX: usize = hfjwt::MAX_KEY_TEXT_LEN;

/// The last key a thread derived, with the exact argument bytes it came from.
///
/// Deriving an HS256 key costs two SHA-256 compressions, plus [`key_text`]'s checks for a
/// `str`: about 0.14 µs, where a whole `mint` from Python takes about 0.5 µs. Callers pass
/// the same key, so each thread keeps the last one. A call hits only when its argument has
/// the same form (text or bytes) and the same bytes, compared in constant time (the length is
/// not secret); the derived key is then exactly what deriving it again would give, since
/// `key_text` and `Key::new` depend on those bytes alone.
///
/// Per thread (a `thread_local!`), not shared: no lock, nothing to contend for with or
/// without the GIL (free-threaded builds included), and no key crosses threads. The bytes
/// kept are the key the caller holds in its own `str`/`bytes` anyway; they and the derived
/// midstates are zeroized when the entry is replaced, and when the thread ends (`Key` wipes
/// itself on drop; [`Drop`] below wipes the bytes).
struct KeyCache {
    form: KeyForm,
    source: Vec<u8>,
    key: Key,
}

impl Drop for KeyCache {
    fn drop(&mut self) {
        self.source.zeroize();
    }
}

thread_local! {
    static LAST_KEY: RefCell<Option<KeyCache>> = const { RefCell::new(None) };
}

/// The key for these argument bytes: the remembered one when they match it, else derived (and
/// remembered if it is valid).
fn cached_key(source: &[u8], form: KeyForm) -> Result<Key, KeyError> {
    let hit = |c: &KeyCache| c.form == form && same_bytes(&c.source, source);
    // `try_with`/`try_borrow`: during thread teardown, or should a call ever re-enter, the key
    // is simply derived without the cache.
    let found = LAST_KEY
        .try_with(|slot| {
            slot.try_borrow()
                .ok()
                .and_then(|c| c.as_ref().filter(|c| hit(c)).map(|c| c.key.clone()))
        })
        .ok()
        .flatten();
    if let Some(key) = found {
        return Ok(key);
    }
    let key = derive_key(source, form)?;
    if source.len() <= CACHED_KEY_MAX {
        let entry = KeyCache {
            form,
            source: source.to_vec(),
            key: key.clone(),
        };
        // Replacing the entry drops (and so wipes) the previous one.
        let _ = LAST_KEY.try_with(|slot| {
            if let Ok(mut slot) = slot.try_borrow_mut() {
                *slot = Some(entry);
            }
        });
    }
    Ok(key)
}

/// Whether `a` and `b` hold the same bytes, in time that depends on their lengths only: the
/// differences are OR-ed together with no early exit, and only that one byte goes through
/// `subtle`'s optimisation barrier (`ct_eq` on slices pays the barrier once per byte).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)).ct_eq(&0))
}

/// The key these argument bytes stand for, by the rules in [`key`].
fn derive_key(source: &[u8], form: KeyForm) -> Result<Key, KeyError> {
    let material = match form {
        KeyForm::Bytes => source,
        KeyForm::Text => key_text(source).map_err(KeyError::Text)?,
    };
    Key::new(material).map_err(KeyError::Core)
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

/// A fresh random (version 4) UUID in its usual 36-character form, from the OS's CSPRNG,
/// written into `out`.
pub fn uuid4(out: &mut [u8; 36]) -> PyResult<&str> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)
        .map_err(|e| PyOSError::new_err(format!("no randomness for a jti: {e}")))?;
    let [_, _, _, _, _, _, b6, _, b8, ..] = &mut b;
    (*b6, *b8) = ((*b6 & 0x0f) | 0x40, (*b8 & 0x3f) | 0x80); // version 4, RFC 4122 variant
    // Hex digits two per byte, with a dash before bytes 4, 6, 8 and 10 (8-4-4-4-12).
    let mut at = 0;
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            if let Some(d) = out.get_mut(at) {
                *d = b'-';
            }
            at += 1;
        }
        for nibble in [byte >> 4, byte & 0x0f] {
            if let (Some(d), Some(h)) = (out.get_mut(at), HEX.get(usize::from(nibble))) {
                *d = *h;
            }
            at += 1;
        }
    }
    std::str::from_utf8(out).map_err(|_| PyOSError::new_err("jti is not ASCII"))
}

/// The Python type name of `obj`, for error messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}
