//! `hfjwt.Verifier`: core [`hfjwt::Verifier`]s shared between threads. With the in-memory
//! replay cache, one verifier behind a mutex (the cache must see every call); with a shared
//! store (Redis), a pool of verifiers on one connection pool, so threads wait on Redis side
//! by side rather than in line.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::Duration;

use hfjwt::{HeapReplayCache, Policy, ReplayStore, scratch_len};
use hfjwt_redis::RedisReplayStore;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::{OwnedClaims, claims_dict, convert, errors};

/// The core verifier as the binding instantiates it: a replay store chosen at run time,
/// optional allow-list (`None` = any domain).
type CoreVerifier = hfjwt::Verifier<Store, Option<Vec<String>>>;

/// Where a `Verifier` remembers `jti`s: its own memory or Redis (`hfjwt-redis`).
type Store = hfjwt_redis::AnyReplayStore;

/// The default `replay_timeout`, seconds.
const DEFAULT_REPLAY_TIMEOUT: f64 = 0.2;

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

enum Failure {
    Token(hfjwt::Error),
    Internal,
}

/// How a `Verifier` shares its core verifiers between threads.
enum Backend {
    /// One verifier and its in-memory cache; calls take turns.
    Memory(Mutex<Inner>),
    /// Verifiers on one shared store: a call takes an idle one (or clones `template`), so
    /// calls overlap; each holds its own scratch buffer.
    Shared {
        template: CoreVerifier,
        idle: Mutex<Vec<Inner>>,
        /// The `now` of the latest `remember_from`, applied to every verifier before use.
        horizon: Mutex<Option<u64>>,
        scratch_len: usize,
    },
}

/// Verifies HappyFox tokens and remembers each accepted `jti`, so a token is accepted once.
///
/// Verifier(key, *, max_age=120, leeway=0, allowed_domains=None, replay_capacity=1024,
///          max_token_len=4096, require_email=True, audience=None, ignore_audience=False,
///          replay_store=None, replay_prefix="hfjwt:", replay_timeout=0.2)
///
/// Safe to share between threads; the GIL is released while verifying. By default the
/// replay cache lives in this object's memory: a new process (or a new Verifier) has
/// forgotten every `jti`, and other worker processes never knew them. Call `remember_from()`
/// at start-up to refuse every token issued before that moment (the memory horizon, off by
/// default); give `replay_store="redis://host:6379/0"` (or `rediss://`, `unix://`) to share
/// one memory between every process and machine on that Redis.
#[pyclass(module = "hfjwt", frozen)]
pub struct Verifier {
    backend: Backend,
    policy: Policy,
    allowed_domains: Option<Vec<String>>,
    replay_capacity: usize,
    /// The key prefix when the store is Redis.
    replay_prefix: Option<String>,
}

#[pymethods]
impl Verifier {
    #[new]
    #[pyo3(
        signature = (key, *, max_age=None, leeway=None, allowed_domains=None,
                     replay_capacity=None, max_token_len=None, require_email=true,
                     audience=None, ignore_audience=false, replay_store=None,
                     replay_prefix=None, replay_timeout=None),
        text_signature = "(key, *, max_age=120, leeway=0, allowed_domains=None, \
                          replay_capacity=1024, max_token_len=4096, require_email=True, \
                          audience=None, ignore_audience=False, replay_store=None, \
                          replay_prefix='hfjwt:', replay_timeout=0.2)"
    )]
    #[allow(clippy::too_many_arguments)] // mirrors the Python keyword arguments one to one
    fn new(
        key: &Bound<'_, PyAny>,
        max_age: Option<&Bound<'_, PyAny>>,
        leeway: Option<&Bound<'_, PyAny>>,
        allowed_domains: Option<&Bound<'_, PyAny>>,
        replay_capacity: Option<&Bound<'_, PyAny>>,
        max_token_len: Option<&Bound<'_, PyAny>>,
        require_email: bool,
        audience: Option<&Bound<'_, PyAny>>,
        ignore_audience: bool,
        replay_store: Option<&Bound<'_, PyAny>>,
        replay_prefix: Option<&Bound<'_, PyAny>>,
        replay_timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let key = convert::key(key)?;
        let defaults = Policy::new();
        let replay_capacity_given = replay_capacity.is_some();
        let replay_capacity = replay_capacity.map_or(Ok(DEFAULT_REPLAY_CAPACITY), |c| {
            convert::count(c, "replay_capacity")
        })?;
        let max_token_len = max_token_len.map_or(Ok(defaults.max_token_bytes()), |n| {
            convert::count(n, "max_token_len")
        })?;
        let policy = defaults
            .max_age(max_age.map_or(Ok(defaults.max_age_seconds()), |a| {
                convert::duration(a, "max_age")
            })?)
            .leeway(leeway.map_or(Ok(defaults.leeway_seconds()), |l| {
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
        let policy = convert::audience_policy(policy, audience, ignore_audience)?;
        let allowed_domains = allowed_domains.map(domains).transpose()?;
        let replay_store = replay_store
            .map(|u| convert::text(u, "replay_store").map(|u| u.into_owned()))
            .transpose()?
            .filter(|u| u != "memory");
        if replay_store.is_none() && (replay_prefix.is_some() || replay_timeout.is_some()) {
            return Err(PyValueError::new_err(
                "replay_prefix and replay_timeout apply to a shared replay_store only",
            ));
        }
        let Some(url) = replay_store else {
            let verifier = CoreVerifier::with_parts(
                key,
                policy,
                allowed_domains.clone(),
                Store::Memory(HeapReplayCache::new(replay_capacity)),
            );
            return Ok(Verifier {
                backend: Backend::Memory(Mutex::new(Inner {
                    verifier,
                    scratch: vec![0; scratch_len(max_token_len)],
                    broken: false,
                })),
                policy,
                allowed_domains,
                replay_capacity,
                replay_prefix: None,
            });
        };
        if replay_capacity_given {
            return Err(PyValueError::new_err(
                "replay_capacity applies to the in-memory replay cache only, not to replay_store",
            ));
        }
        let prefix = replay_prefix
            .map(|p| convert::text(p, "replay_prefix").map(|p| p.into_owned()))
            .transpose()?
            .unwrap_or_else(|| hfjwt_redis::DEFAULT_PREFIX.to_owned());
        let timeout = match replay_timeout {
            None => DEFAULT_REPLAY_TIMEOUT,
            Some(t) => t.extract::<f64>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "replay_timeout must be a number of seconds, not {}",
                    convert::type_name(t)
                ))
            })?,
        };
        if !(timeout.is_finite() && (0.001..=60.0).contains(&timeout)) {
            return Err(PyValueError::new_err(
                "replay_timeout must be between 0.001 and 60 seconds",
            ));
        }
        let store = RedisReplayStore::builder(url)
            .prefix(prefix.clone())
            .timeout(Duration::from_secs_f64(timeout))
            .build()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let template =
            CoreVerifier::with_parts(key, policy, allowed_domains.clone(), Store::Redis(store));
        Ok(Verifier {
            backend: Backend::Shared {
                template,
                idle: Mutex::new(Vec::new()),
                horizon: Mutex::new(None),
                scratch_len: scratch_len(max_token_len),
            },
            policy,
            allowed_domains,
            replay_capacity: 0,
            replay_prefix: Some(prefix),
        })
    }

    /// verify(token, *, now=None) -> dict
    ///
    /// Verifies `token` (str or bytes) at unix time `now` (default: the system clock) and
    /// records its `jti`. Returns the claims: `email`, `iat`, `jti`, and `name`, `exp`, `nbf`,
    /// `aud` when present; strings unescaped. Raises a `TokenError` subclass naming the first
    /// check that failed (see `hfjwt.ERRORS`); with a shared `replay_store` that cannot be
    /// reached in time, `ReplayStoreUnavailable` (the token is refused, not recorded).
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
        let verdict = py.detach(|| self.run(bytes, now));
        match verdict {
            Ok(c) => claims_dict(py, &c),
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
        py.detach(|| match &self.backend {
            Backend::Memory(inner) => {
                let mut inner = inner.lock().map_err(|_| ())?;
                inner.verifier.remember_from(now);
                Ok(())
            }
            Backend::Shared { horizon, .. } => {
                let mut h = horizon.lock().map_err(|_| ())?;
                *h = Some(h.map_or(now, |h| h.max(now)));
                Ok(())
            }
        })
        .map_err(|()| internal())
    }

    /// check_replay_store() -> None
    ///
    /// Checks that the shared replay store answers (Redis `PING`) within `replay_timeout`;
    /// raises `ReplayStoreUnavailable` if not. For start-up and health checks; a no-op for
    /// the in-memory cache.
    fn check_replay_store(&self, py: Python<'_>) -> PyResult<()> {
        let Backend::Shared { template, .. } = &self.backend else {
            return Ok(());
        };
        let Store::Redis(store) = template.replay_store() else {
            return Ok(());
        };
        py.detach(|| store.ping()).map_err(|e| errors::to_py(py, e))
    }

    /// Seconds after `iat` during which a token passes.
    #[getter]
    fn max_age(&self) -> u64 {
        self.policy.max_age_seconds()
    }

    /// Seconds of clock skew tolerated.
    #[getter]
    fn leeway(&self) -> u64 {
        self.policy.leeway_seconds()
    }

    /// Longest token accepted, in bytes.
    #[getter]
    fn max_token_len(&self) -> usize {
        self.policy.max_token_bytes()
    }

    /// The email domains accepted (a tuple), or None for any domain.
    #[getter]
    fn allowed_domains<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.allowed_domains
            .as_ref()
            .map(|d| PyTuple::new(py, d))
            .transpose()
    }

    /// How many tokens can be accepted within one `max_age` window by the in-memory cache;
    /// 0 with a shared `replay_store` (Redis holds as many as its memory allows).
    #[getter]
    fn replay_capacity(&self) -> usize {
        self.replay_capacity
    }

    /// How many `jti`s the in-memory cache remembers now (live, or expired but not yet
    /// purged); 0 with a shared `replay_store` (the keys live in Redis).
    #[getter]
    fn remembered(&self, py: Python<'_>) -> PyResult<usize> {
        let Backend::Memory(inner) = &self.backend else {
            return Ok(0);
        };
        py.detach(|| {
            inner
                .lock()
                .map(|i| i.verifier.replay_store().len())
                .map_err(|_| ())
        })
        .map_err(|()| internal())
    }

    /// The audience tokens must name, or None.
    #[getter]
    fn audience(&self) -> Option<&str> {
        self.policy.required_audience()
    }

    /// The Redis key prefix with a shared `replay_store`, None with the in-memory cache.
    #[getter]
    fn replay_prefix(&self) -> Option<&str> {
        self.replay_prefix.as_deref()
    }

    fn __repr__(&self) -> String {
        let store = match &self.replay_prefix {
            // The URL may hold a password: say only what kind of store it is.
            Some(prefix) => format!("replay_store=<redis>, replay_prefix={prefix:?}"),
            None => format!("replay_capacity={}", self.replay_capacity),
        };
        format!(
            "Verifier(key=<redacted>, max_age={}, leeway={}, allowed_domains={:?}, \
             audience={:?}, {store}, max_token_len={})",
            self.policy.max_age_seconds(),
            self.policy.leeway_seconds(),
            self.allowed_domains,
            self.policy.required_audience(),
            self.policy.max_token_bytes(),
        )
    }
}

impl Verifier {
    /// One verification, GIL released: on the in-memory verifier under its lock, or on an
    /// idle verifier of the shared store with no lock held during the Redis round trip.
    fn run(&self, token: &[u8], now: u64) -> Result<OwnedClaims, Failure> {
        match &self.backend {
            Backend::Memory(inner) => {
                let mut inner = inner.lock().map_err(|_| Failure::Internal)?;
                verify_on(&mut inner, token, now)
            }
            Backend::Shared {
                template,
                idle,
                horizon,
                scratch_len,
            } => {
                let taken = idle.lock().map_err(|_| Failure::Internal)?.pop();
                let mut inner = taken.unwrap_or_else(|| Inner {
                    verifier: template.clone(),
                    scratch: vec![0; *scratch_len],
                    broken: false,
                });
                if let Some(h) = *horizon.lock().map_err(|_| Failure::Internal)? {
                    inner.verifier.remember_from(h); // idempotent: the floor only rises
                }
                let verdict = verify_on(&mut inner, token, now);
                // A verifier that panicked is dropped, not reused; Redis holds the state.
                if !inner.broken {
                    idle.lock().map_err(|_| Failure::Internal)?.push(inner);
                }
                verdict
            }
        }
    }
}

/// The core's verify on one verifier, claims copied out of its scratch buffer.
fn verify_on(inner: &mut Inner, token: &[u8], now: u64) -> Result<OwnedClaims, Failure> {
    let Inner {
        verifier,
        scratch,
        broken,
    } = inner;
    if *broken {
        return Err(Failure::Internal);
    }
    // The core has no panicking paths; if one slipped in, Python gets a RuntimeError rather
    // than a PanicException, and this verifier refuses everything after it (fail closed: its
    // replay cache may be half updated).
    catch_unwind(AssertUnwindSafe(|| {
        verifier
            .verify(token, now, scratch)
            .map(|c| OwnedClaims::from(&c))
    }))
    .map_err(|_| {
        *broken = true;
        Failure::Internal
    })?
    .map_err(Failure::Token)
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
