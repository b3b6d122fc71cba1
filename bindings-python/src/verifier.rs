//! `hfjwt.Verifier`: one core [`hfjwt::Verifier`] behind a mutex, shared between threads.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use hfjwt::{HeapReplayCache, Policy, ReplayStore, scratch_len};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::{claims_dict, convert, errors};

/// The core verifier as the binding instantiates it: run-time replay capacity, optional
/// allow-list (`None` = any domain).
type CoreVerifier = hfjwt::Verifier<HeapReplayCache, Option<Vec<String>>>;

/// Tokens accepted per `max_age` window by default: 32 KiB of replay cache.
const DEFAULT_REPLAY_CAPACITY: usize = 1024;
/// Largest `replay_capacity`: 4 Mi entries are 128 MiB. A larger number is almost surely a
/// mistake, and an allocation failure would abort the interpreter rather than raise.
const MAX_REPLAY_CAPACITY: usize = 1 << 22;
/// Largest `max_token_len`: the scratch buffer is three quarters of it.
const MAX_TOKEN_LEN: usize = 1 << 20;

struct Inner {
    verifier: CoreVerifier,
    /// Decoded claims land here: `scratch_len(max_token_len)` bytes, reused by every call.
    scratch: Vec<u8>,
    /// Set if the core ever panicked: its replay state can no longer be trusted.
    broken: bool,
}

/// The verified claims, copied out of the scratch buffer so the lock can be released
/// before Python objects are built.
struct OwnedClaims {
    name: Option<String>,
    email: Option<String>,
    iat: u64,
    jti: String,
    exp: Option<u64>,
    nbf: Option<u64>,
}

enum Failure {
    Token(hfjwt::Error),
    Internal,
}

/// Verifies HappyFox tokens and remembers each accepted `jti`, so a token is accepted once.
///
/// Verifier(key, *, max_age=120, leeway=0, allowed_domains=None, replay_capacity=1024,
///          max_token_len=4096, require_email=True)
///
/// Safe to share between threads: calls are serialised on an internal lock, taken with the
/// GIL released. The replay cache lives in this object's memory: a new process (or a new
/// Verifier) has forgotten every `jti`, so a token accepted just before a restart could be
/// accepted once more within its `max_age`. Call `remember_from()` at start-up to refuse
/// every token issued before that moment instead (the memory horizon, off by default).
#[pyclass(module = "hfjwt", frozen)]
pub struct Verifier {
    inner: Mutex<Inner>,
    policy: Policy,
    allowed_domains: Option<Vec<String>>,
    replay_capacity: usize,
}

#[pymethods]
impl Verifier {
    #[new]
    #[pyo3(
        signature = (key, *, max_age=None, leeway=None, allowed_domains=None,
                     replay_capacity=None, max_token_len=None, require_email=true),
        text_signature = "(key, *, max_age=120, leeway=0, allowed_domains=None, \
                          replay_capacity=1024, max_token_len=4096, require_email=True)"
    )]
    fn new(
        key: &Bound<'_, PyAny>,
        max_age: Option<&Bound<'_, PyAny>>,
        leeway: Option<&Bound<'_, PyAny>>,
        allowed_domains: Option<&Bound<'_, PyAny>>,
        replay_capacity: Option<&Bound<'_, PyAny>>,
        max_token_len: Option<&Bound<'_, PyAny>>,
        require_email: bool,
    ) -> PyResult<Self> {
        let key = convert::key(key)?;
        let defaults = Policy::new();
        let replay_capacity = replay_capacity.map_or(Ok(DEFAULT_REPLAY_CAPACITY), |c| {
            convert::count(c, "replay_capacity")
        })?;
        let max_token_len = max_token_len.map_or(Ok(defaults.get_max_token_len()), |n| {
            convert::count(n, "max_token_len")
        })?;
        let policy = defaults
            .max_age(max_age.map_or(Ok(defaults.get_max_age()), |a| {
                convert::duration(a, "max_age")
            })?)
            .leeway(leeway.map_or(Ok(defaults.get_leeway()), |l| {
                convert::duration(l, "leeway")
            })?)
            .max_token_len(max_token_len)
            .require_email(require_email);
        if !(1..=MAX_REPLAY_CAPACITY).contains(&replay_capacity) {
            return Err(PyValueError::new_err(format!(
                "replay_capacity must be between 1 and {MAX_REPLAY_CAPACITY}"
            )));
        }
        if !(1..=MAX_TOKEN_LEN).contains(&max_token_len) {
            return Err(PyValueError::new_err(format!(
                "max_token_len must be between 1 and {MAX_TOKEN_LEN}"
            )));
        }
        let allowed_domains = allowed_domains.map(domains).transpose()?;
        let verifier = CoreVerifier::with_parts(
            key,
            policy,
            allowed_domains.clone(),
            HeapReplayCache::new(replay_capacity),
        );
        Ok(Verifier {
            inner: Mutex::new(Inner {
                verifier,
                scratch: vec![0; scratch_len(max_token_len)],
                broken: false,
            }),
            policy,
            allowed_domains,
            replay_capacity,
        })
    }

    /// verify(token, *, now=None) -> dict
    ///
    /// Verifies `token` (str or bytes) at unix time `now` (default: the system clock) and
    /// records its `jti`. Returns the claims: `email`, `iat`, `jti`, and `name`, `exp`, `nbf`
    /// when present; strings unescaped. Raises a `TokenError` subclass naming the first
    /// check that failed (see `hfjwt.ERRORS`).
    #[pyo3(signature = (token, *, now=None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let now = convert::unix_seconds(now, "now")?;
        let token = convert::token(token)?;
        let bytes = token.as_slice();
        let verdict = py.detach(|| {
            let mut inner = self.inner.lock().map_err(|_| Failure::Internal)?;
            let Inner {
                verifier,
                scratch,
                broken,
            } = &mut *inner;
            if *broken {
                return Err(Failure::Internal);
            }
            // The core has no panicking paths; if one slipped in, Python gets a RuntimeError
            // rather than a PanicException, and this verifier refuses everything after it
            // (fail closed: its replay cache may be half updated).
            catch_unwind(AssertUnwindSafe(|| {
                verifier.verify(bytes, now, scratch).map(|c| OwnedClaims {
                    name: c.name.map(str::to_owned),
                    email: c.email.map(str::to_owned),
                    iat: c.iat,
                    jti: c.jti.to_owned(),
                    exp: c.exp,
                    nbf: c.nbf,
                })
            }))
            .map_err(|_| {
                *broken = true;
                Failure::Internal
            })?
            .map_err(Failure::Token)
        });
        match verdict {
            Ok(c) => claims_dict(
                py,
                c.name.as_deref(),
                c.email.as_deref(),
                c.iat,
                &c.jti,
                c.exp,
                c.nbf,
            ),
            Err(Failure::Token(e)) => Err(errors::to_py(py, e)),
            Err(Failure::Internal) => Err(internal()),
        }
    }

    /// remember_from(now=None) -> None
    ///
    /// Turns on the memory horizon: from now on, tokens issued before `now - leeway` are
    /// refused as `ReplayedToken` ("issued before this verifier started remembering"). Call
    /// it once at start-up, when the clock is trusted, so tokens accepted by a previous
    /// process cannot be replayed here. The cost: tokens minted up to `max_age` seconds
    /// before that moment are refused too.
    #[pyo3(signature = (now=None))]
    fn remember_from(&self, py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let now = convert::unix_seconds(now, "now")?;
        py.detach(|| {
            let mut inner = self.inner.lock().map_err(|_| ())?;
            inner.verifier.remember_from(now);
            Ok(())
        })
        .map_err(|()| internal())
    }

    /// Seconds after `iat` during which a token passes.
    #[getter]
    fn max_age(&self) -> u64 {
        self.policy.get_max_age()
    }

    /// Seconds of clock skew tolerated.
    #[getter]
    fn leeway(&self) -> u64 {
        self.policy.get_leeway()
    }

    /// Longest token accepted, in bytes.
    #[getter]
    fn max_token_len(&self) -> usize {
        self.policy.get_max_token_len()
    }

    /// The email domains accepted (a tuple), or None for any domain.
    #[getter]
    fn allowed_domains<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.allowed_domains
            .as_ref()
            .map(|d| PyTuple::new(py, d))
            .transpose()
    }

    /// How many tokens can be accepted within one `max_age` window.
    #[getter]
    fn replay_capacity(&self) -> usize {
        self.replay_capacity
    }

    /// How many `jti`s are remembered now (live, or expired but not yet purged).
    #[getter]
    fn remembered(&self, py: Python<'_>) -> PyResult<usize> {
        py.detach(|| {
            self.inner
                .lock()
                .map(|i| i.verifier.replay_store().len())
                .map_err(|_| ())
        })
        .map_err(|()| internal())
    }

    fn __repr__(&self) -> String {
        format!(
            "Verifier(key=<redacted>, max_age={}, leeway={}, allowed_domains={:?}, \
             replay_capacity={}, max_token_len={})",
            self.policy.get_max_age(),
            self.policy.get_leeway(),
            self.allowed_domains,
            self.replay_capacity,
            self.policy.get_max_token_len(),
        )
    }
}

/// `allowed_domains`: any iterable of str except a str itself (which would iterate letters).
fn domains(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "allowed_domains must be a list of domains, not a single str",
        ));
    }
    obj.try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "allowed_domains must be an iterable of str or None, not {}",
                convert::type_name(obj)
            ))
        })?
        .map(|item| Ok(convert::text(&item?, "each allowed domain")?.into_owned()))
        .collect()
}

fn internal() -> PyErr {
    PyRuntimeError::new_err("internal error in hfjwt; this verifier can no longer be used")
}
