//! `hfjwt._hfjwt`: the native half of the Python package `hfjwt`.
//!
//! Thin by design: each function converts Python values (module `convert`), calls the core
//! crate `hfjwt`, and converts the result or the core's error (module `errors`) back. No token
//! rule is written here. The Python half (`python/hfjwt/`) re-exports these and adds the
//! PyJWT-shaped `encode`/`decode` on top of `mint` and `decode_claims`.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![deny(clippy::indexing_slicing)]

mod convert;
mod errors;
mod verifier;

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use hfjwt::{AnyDomain, ErrorKind, Grant, Policy, ReplayCache, scratch_len, token_len};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyo3::{intern, wrap_pyfunction};

/// Longest login URL built, in bytes. Browsers and servers cap URLs near 8 KiB; a token
/// that does not fit raises `BufferTooSmall`.
const URL_CAP: usize = 16 * 1024;
/// The first buffer tried: room for a login URL with a typical (~300-byte) token.
const SHORT_URL: usize = 1024;
/// The stack buffer `mint` tries first: room for any token with short claims (HappyFox's
/// usual name, email, iat and jti come to about 200 bytes).
const SHORT_TOKEN: usize = 512;

/// mint(key, *, email, name=None, iat=None, jti=None, aud=None, exp=None, nbf=None) -> str
///
/// Mints a HappyFox token: header {"alg":"HS256","typ":"JWT"}, claims name (if given),
/// email, iat (default: now), jti (default: a fresh random UUID), aud (if given: the one
/// audience, e.g. a kiosk's device id, that may accept it; HappyFox itself takes none), exp
/// and nbf (if given, unix seconds: verifiers refuse the token from exp on and before nbf).
/// `key` is the JWT app's key as str or bytes. Raises WeakKey for a key under 32 bytes,
/// InvalidClaim for an email that is not an address, an empty jti or an empty aud.
#[pyfunction]
#[pyo3(signature = (key, *, email, name=None, iat=None, jti=None, aud=None, exp=None, nbf=None))]
#[allow(clippy::too_many_arguments)] // one per keyword of the Python signature
fn mint<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    email: &Bound<'py, PyAny>,
    name: Option<&Bound<'py, PyAny>>,
    iat: Option<&Bound<'py, PyAny>>,
    jti: Option<&Bound<'py, PyAny>>,
    aud: Option<&Bound<'py, PyAny>>,
    exp: Option<&Bound<'py, PyAny>>,
    nbf: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyString>> {
    let key = convert::key(key)?;
    let email = convert::text(email, "email")?;
    let name = name.map(|n| convert::text(n, "name")).transpose()?;
    let iat = convert::unix_seconds(iat, "iat")?;
    let mut fresh_jti = [0u8; 36];
    let jti = match jti {
        Some(j) => convert::text(j, "jti")?,
        None => Cow::Borrowed(convert::uuid4(&mut fresh_jti)?),
    };
    let aud = aud.map(|a| convert::text(a, "aud")).transpose()?;
    let mut grant = Grant::new(&email, iat, &jti);
    if let Some(name) = name.as_deref() {
        grant = grant.with_name(name);
    }
    if let Some(aud) = aud.as_deref() {
        grant = grant.with_audience(aud);
    }
    if let Some(exp) = exp {
        grant = grant.with_expiry(convert::unix_seconds(Some(exp), "exp")?);
    }
    if let Some(nbf) = nbf {
        grant = grant.with_not_before(convert::unix_seconds(Some(nbf), "nbf")?);
    }
    // Most tokens fit a stack buffer; sizing one exactly (`token_len`) walks the claims a
    // second time, so that is only done for a token that does not fit.
    let mut short = [0u8; SHORT_TOKEN];
    let token = match guarded(|| hfjwt::mint(&key, &grant, &mut short))? {
        Ok(t) => Ok(PyString::new(py, t)),
        Err(e) if e.kind() == ErrorKind::BufferTooSmall => {
            let mut buf = vec![0u8; token_len(&grant)];
            guarded(|| hfjwt::mint(&key, &grant, &mut buf))?.map(|t| PyString::new(py, t))
        }
        Err(e) => Err(e),
    };
    token.map_err(|e| errors::to_py(py, e))
}

/// login_url(token, *, account=None, domain=None, origin=None, return_to="home") -> str
///
/// The URL that signs the token's user in: `https://<account>.happyfox.com/jwt/?token=...`
/// (or on a custom `domain`, or an explicit `origin` such as "http://127.0.0.1:8080" for
/// tests). Give exactly one of account, domain, origin. `return_to` is "home", "tickets",
/// "kb", a path starting with one "/", or None to leave it out. Raises ConfigError (a
/// ValueError, not a TokenError) for an invalid account, domain, origin or return_to.
#[pyfunction]
// text_signature: PyO3 shows a default that is not a literal as `...` (Ellipsis) in
// inspect.signature and help(); spell out "home".
#[pyo3(signature = (token, *, account=None, domain=None, origin=None, return_to=Some("home".to_owned())),
       text_signature = "(token, *, account=None, domain=None, origin=None, return_to='home')")]
fn login_url<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    account: Option<String>,
    domain: Option<String>,
    origin: Option<String>,
    return_to: Option<String>,
) -> PyResult<Bound<'py, PyString>> {
    let token = convert::text(token, "token")?;
    url(
        py,
        &token,
        account.as_deref(),
        domain.as_deref(),
        origin.as_deref(),
        return_to.as_deref(),
    )
}

/// sign_in_url(key, *, email, name=None, account=None, domain=None, origin=None,
///             return_to="home", iat=None, jti=None) -> str
///
/// `mint` and `login_url` in one call: the URL to redirect a signed-in portal user to.
#[pyfunction]
#[pyo3(signature = (key, *, email, name=None, account=None, domain=None, origin=None,
                    return_to=Some("home".to_owned()), iat=None, jti=None),
       text_signature = "(key, *, email, name=None, account=None, domain=None, origin=None, \
                         return_to='home', iat=None, jti=None)")]
#[allow(clippy::too_many_arguments)] // mirrors the Python keyword arguments one to one
fn sign_in_url<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    email: &Bound<'py, PyAny>,
    name: Option<&Bound<'py, PyAny>>,
    account: Option<String>,
    domain: Option<String>,
    origin: Option<String>,
    return_to: Option<String>,
    iat: Option<&Bound<'py, PyAny>>,
    jti: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyString>> {
    // Check the site and the path first, so a typo in them does not cost a jti.
    let (account, domain, origin) = (account.as_deref(), domain.as_deref(), origin.as_deref());
    convert::site(py, account, domain, origin)?;
    convert::return_to(py, return_to.as_deref())?;
    let token = mint(py, key, email, name, iat, jti, None, None, None)?;
    url(
        py,
        &token.to_cow()?,
        account,
        domain,
        origin,
        return_to.as_deref(),
    )
}

/// logout_url(*, account=None, domain=None, origin=None) -> str
///
/// The support center's logout URL, `<site>/logout`.
#[pyfunction]
#[pyo3(signature = (*, account=None, domain=None, origin=None))]
fn logout_url<'py>(
    py: Python<'py>,
    account: Option<String>,
    domain: Option<String>,
    origin: Option<String>,
) -> PyResult<Bound<'py, PyString>> {
    let site = convert::site(py, account.as_deref(), domain.as_deref(), origin.as_deref())?;
    let url = guarded(|| hfjwt::logout_url::<URL_CAP>(site))?;
    url.map(|u| PyString::new(py, &u))
        .map_err(|e| errors::to_py(py, e))
}

/// decode_claims(token, key, *, max_age=120, leeway=0, now=None, require_email=True,
///               audience=None, verify_aud=True) -> dict
///
/// Every check of `Verifier.verify` except replay (nothing is recorded): the stateless
/// verification behind `hfjwt.decode`. `audience` is a str or an iterable of str (the token
/// passes if its `aud` names any of them, as in PyJWT); `verify_aud=False` skips the audience
/// check. Prefer a long-lived `Verifier` for sign-ins.
#[pyfunction]
#[pyo3(signature = (token, key, *, max_age=None, leeway=None, now=None, require_email=true,
                    audience=None, verify_aud=true))]
#[allow(clippy::too_many_arguments)] // mirrors the Python keyword arguments one to one
fn decode_claims<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    key: &Bound<'py, PyAny>,
    max_age: Option<&Bound<'py, PyAny>>,
    leeway: Option<&Bound<'py, PyAny>>,
    now: Option<&Bound<'py, PyAny>>,
    require_email: bool,
    audience: Option<&Bound<'py, PyAny>>,
    verify_aud: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let key = convert::key(key)?;
    let mut policy = Policy::new().require_email(require_email);
    if let Some(max_age) = max_age {
        policy = policy.max_age(convert::duration(max_age, "max_age")?);
    }
    if let Some(leeway) = leeway {
        policy = policy.leeway(convert::duration(leeway, "leeway")?);
    }
    // One policy per accepted audience: the core binds a policy to one audience, and a
    // stateless check can simply be tried against each (as PyJWT accepts any of a list).
    let policies = match audience {
        _ if !verify_aud => vec![policy.ignore_audience()],
        None => vec![policy],
        Some(a) if a.is_instance_of::<PyString>() => {
            vec![convert::audience_policy(policy, Some(a), false)?]
        }
        Some(a) => {
            let list = a.try_iter().map_err(|_| {
                PyTypeError::new_err(format!(
                    "audience must be a str or an iterable of str, not {}",
                    convert::type_name(a)
                ))
            })?;
            let mut policies = Vec::new();
            for item in list {
                policies.push(convert::audience_policy(policy, Some(&item?), false)?);
            }
            if policies.is_empty() {
                return Err(PyValueError::new_err("audience must not be an empty list"));
            }
            policies
        }
    };
    let now = convert::unix_seconds(now, "now")?;
    let token = convert::token(token)?;
    let token = token.as_slice();
    let mut scratch = vec![0u8; scratch_len(token.len().min(policy.max_token_bytes()))];
    let mut last = None;
    for policy in policies {
        // `check` never touches the replay store, so an empty one does.
        let verifier =
            hfjwt::Verifier::with_parts(key.clone(), policy, AnyDomain, ReplayCache::<0>::new());
        let claims = guarded(|| {
            verifier
                .check(token, now, &mut scratch)
                .map(|c| OwnedClaims::from(&c))
        })?;
        match claims {
            Ok(c) => return claims_dict(py, &c),
            // Only the audience differs between tries: any other refusal is final.
            Err(e) if e.kind() == ErrorKind::WrongAudience => last = Some(e),
            Err(e) => return Err(errors::to_py(py, e)),
        }
    }
    Err(errors::to_py(
        py,
        last.unwrap_or(hfjwt::Error::new(hfjwt::Reason::AudienceMismatch)),
    ))
}

/// The `aud` claim, owned: one audience, or the JSON text of an array of them.
pub(crate) enum OwnedAudience {
    One(String),
    Many(String),
}

/// The verified claims, copied out of the scratch buffer so locks can be released before
/// Python objects are built.
pub(crate) struct OwnedClaims {
    name: Option<String>,
    email: Option<String>,
    iat: u64,
    jti: String,
    exp: Option<u64>,
    nbf: Option<u64>,
    aud: Option<OwnedAudience>,
}

impl From<&hfjwt::Claims<'_>> for OwnedClaims {
    fn from(c: &hfjwt::Claims<'_>) -> Self {
        OwnedClaims {
            name: c.name.map(str::to_owned),
            email: c.email.map(str::to_owned),
            iat: c.iat,
            jti: c.jti.to_owned(),
            exp: c.exp,
            nbf: c.nbf,
            aud: c.aud.map(|a| match (a.as_single(), a.array_json()) {
                (Some(one), _) => OwnedAudience::One(one.to_owned()),
                (None, Some(json)) => OwnedAudience::Many(json.to_owned()),
                (None, None) => OwnedAudience::Many("[]".to_owned()),
            }),
        }
    }
}

/// The claims as a dict, in token order; absent optional claims are left out. `aud` is a
/// str, or a list of str when the token has an array.
pub(crate) fn claims_dict<'py>(py: Python<'py>, c: &OwnedClaims) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    if let Some(name) = &c.name {
        d.set_item(intern!(py, "name"), name)?;
    }
    if let Some(email) = &c.email {
        d.set_item(intern!(py, "email"), email)?;
    }
    d.set_item(intern!(py, "iat"), c.iat)?;
    d.set_item(intern!(py, "jti"), &c.jti)?;
    if let Some(exp) = c.exp {
        d.set_item(intern!(py, "exp"), exp)?;
    }
    if let Some(nbf) = c.nbf {
        d.set_item(intern!(py, "nbf"), nbf)?;
    }
    match &c.aud {
        None => {}
        Some(OwnedAudience::One(a)) => d.set_item(intern!(py, "aud"), a)?,
        Some(OwnedAudience::Many(json)) => {
            // The core checked it is an array of strings; the json module turns it into a
            // list (unescaping included), so no JSON is parsed twice in Rust.
            let list = py.import("json")?.call_method1("loads", (json,))?;
            d.set_item(intern!(py, "aud"), list)?;
        }
    }
    Ok(d)
}

fn url<'py>(
    py: Python<'py>,
    token: &str,
    account: Option<&str>,
    domain: Option<&str>,
    origin: Option<&str>,
    return_to: Option<&str>,
) -> PyResult<Bound<'py, PyString>> {
    let site = convert::site(py, account, domain, origin)?;
    let return_to = convert::return_to(py, return_to)?;
    // Most URLs fit the small buffer; the large one is only tried (and copied) when needed.
    let url = match guarded(|| hfjwt::login_url::<SHORT_URL>(site, token, return_to))? {
        Ok(u) => Ok(PyString::new(py, &u)),
        Err(e) if e.kind() == ErrorKind::BufferTooSmall => {
            guarded(|| hfjwt::login_url::<URL_CAP>(site, token, return_to))?
                .map(|u| PyString::new(py, &u))
        }
        Err(e) => Err(e),
    };
    url.map_err(|e| errors::to_py(py, e))
}

/// Runs a core call; should it ever panic, Python gets a RuntimeError, not a PanicException.
fn guarded<T>(f: impl FnOnce() -> T) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| PyRuntimeError::new_err("internal error in hfjwt (please report it)"))
}

/// The native module `hfjwt._hfjwt`.
#[pymodule]
fn _hfjwt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MIN_KEY_LEN", hfjwt::MIN_KEY_LEN)?;
    errors::register(m)?;
    m.add_class::<verifier::Verifier>()?;
    m.add_function(wrap_pyfunction!(mint, m)?)?;
    m.add_function(wrap_pyfunction!(login_url, m)?)?;
    m.add_function(wrap_pyfunction!(sign_in_url, m)?)?;
    m.add_function(wrap_pyfunction!(logout_url, m)?)?;
    m.add_function(wrap_pyfunction!(decode_claims, m)?)?;
    m.add_function(wrap_pyfunction!(convert::py_key_text, m)?)?;
    Ok(())
}
