//! # hfjwt-redis — one `jti`, one sign-in, across every process and machine
//!
//! hfjwt's in-memory [`ReplayCache`](hfjwt::ReplayCache) is exact inside one process. A portal
//! served by several worker processes, or by several machines behind a load balancer, needs
//! the memory shared: [`RedisReplayStore`] is a [`ReplayStore`] on Redis (or Valkey, which
//! speaks the same protocol).
//!
//! Every accepted token costs one atomic command on one key:
//!
//! ```text
//! SET <prefix><hex SHA-256 of the verified jti> 1 NX PX <ms until the token can no longer pass>
//! ```
//!
//! `NX` failing means another verifier recorded that `jti` first: the token is refused as
//! [`replayed`](hfjwt::ErrorKind::Replayed). The key expires by itself when the token could no
//! longer pass the verifier's time window; nothing is ever removed early. When Redis cannot be
//! reached or does not answer within the response timeout (default 200 ms), the token is
//! refused as [`replay_store_unavailable`](hfjwt::ErrorKind::ReplayStoreUnavailable): never
//! accepted unrecorded. The next call reconnects.
//!
//! ```no_run
//! use hfjwt::{Key, Policy, Verifier};
//! use hfjwt_redis::RedisReplayStore;
//!
//! let store = RedisReplayStore::builder("redis://127.0.0.1:6379/0")
//!     .prefix("portal:")
//!     .build()?;
//! let key = Key::new(b"0123456789abcdefghijklmnopqrstuv")?;
//! let mut verifier = Verifier::with_parts(key, Policy::new(), hfjwt::AnyDomain, store);
//! # let token = "";
//! # let now = 0;
//! let mut scratch = vec![0u8; hfjwt::scratch_len(token.len())];
//! match verifier.verify(token, now, &mut scratch) {
//!     Ok(claims) => println!("sign in {:?}", claims.email),
//!     Err(e) => println!("refused: {}", e.kind()), // e.g. replayed, replay_store_unavailable
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Threads and processes
//! A store owns a small pool of connections; [`Clone`] shares it, so give each thread its own
//! `Verifier` with a clone of one store (a `Verifier` needs `&mut` to verify). Separate
//! processes open their own stores on the same URL: Redis decides between them.
//!
//! ## Redis Cluster
//! Every operation touches exactly one key, so a Redis Cluster (or a proxy in front of one)
//! needs nothing special: point the URL at a node or the proxy. Redis keeps keys only as long
//! as it keeps data: run it with persistence (AOF), and know that an asynchronous failover can
//! lose the last acknowledged writes (the repository README's "Scaling out", SECURITY.md).

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![deny(clippy::indexing_slicing)]

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hfjwt::{Error, Reason, ReplayStore};
use sha2::{Digest, Sha256};

/// The default key prefix, shared with the Python binding's `replay_prefix`.
pub const DEFAULT_PREFIX: &str = "hfjwt:";

/// The default connect and response timeout: a verify either completes within about this
/// much extra time or fails closed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(200);

/// The default number of idle connections a store keeps for reuse.
pub const DEFAULT_MAX_IDLE: usize = 16;

const UNAVAILABLE: Error = Error::new(Reason::StoreUnreachable);
const REFUSED_COMMAND: Error = Error::new(Reason::StoreRefusedCommand);
const FULL: Error = Error::new(Reason::StoreOutOfMemory);
const REPLAYED: Error = Error::new(Reason::Replayed);
const BEFORE_HORIZON: Error = Error::new(Reason::BeforeHorizon);
const WINDOW_OVER: Error = Error::new(Reason::WindowOver);

/// A replay store shared through Redis or Valkey. See the [crate docs](crate).
///
/// Cloning is cheap and shares the connection pool; the memory floor set by
/// [`forget_through`](ReplayStore::forget_through) is per clone (it is the verifier's
/// "memory horizon", a local decision).
#[derive(Clone)]
pub struct RedisReplayStore {
    pool: Arc<Pool>,
    prefix: Arc<str>,
    floor: Option<u64>,
}

impl fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: show only where keys go.
        f.debug_struct("RedisReplayStore")
            .field("prefix", &self.prefix)
            .field("connect_timeout", &self.pool.connect_timeout)
            .field("response_timeout", &self.pool.response_timeout)
            .field("floor", &self.floor)
            .finish_non_exhaustive()
    }
}

/// Settings for a [`RedisReplayStore`], from [`RedisReplayStore::builder`].
#[derive(Clone, Debug)]
pub struct Builder {
    url: String,
    prefix: String,
    connect_timeout: Duration,
    response_timeout: Duration,
    max_idle: usize,
}

impl Builder {
    /// The prefix of every key (default [`DEFAULT_PREFIX`], `"hfjwt:"`). Verifiers that must
    /// share their memory use the same prefix; applications with different keys use
    /// different ones.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long to wait for a new connection (default 200 ms).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for Redis to answer a command (default 200 ms).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Sets both the connect and the response timeout.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.connect_timeout(timeout).response_timeout(timeout)
    }

    /// How many idle connections to keep for reuse (default 16). Callers beyond that open
    /// a connection for the call and close it afterwards.
    pub fn max_idle(mut self, connections: usize) -> Self {
        self.max_idle = connections;
        self
    }

    /// Checks the settings and makes the store. Does not connect: a verifier can start
    /// while Redis is down, and refuses tokens (`replay_store_unavailable`) until it is up.
    /// Call [`RedisReplayStore::ping`] to check the connection at start-up.
    pub fn build(self) -> Result<RedisReplayStore, ConfigError> {
        if self.connect_timeout.is_zero() || self.response_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout);
        }
        #[cfg(feature = "tls")]
        install_crypto_provider();
        let client = redis::Client::open(self.url.as_str()).map_err(|e| {
            // The message names the fault (scheme, port, TLS support), never the password.
            ConfigError::Url(e.to_string())
        })?;
        Ok(RedisReplayStore {
            pool: Arc::new(Pool {
                client,
                idle: Mutex::new(Vec::new()),
                max_idle: self.max_idle,
                connect_timeout: self.connect_timeout,
                response_timeout: self.response_timeout,
            }),
            prefix: self.prefix.into(),
            floor: None,
        })
    }
}

/// rustls needs one process-wide crypto provider; `ring` is the one this crate enables.
#[cfg(feature = "tls")]
fn install_crypto_provider() {
    // Fails only when a provider is already installed (by us or by the application): fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Why a [`RedisReplayStore`] could not be made: a configuration mistake, not a token error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The URL is not a Redis URL this build can use (`redis://`, `rediss://` with the `tls`
    /// feature, `unix://` or `redis+unix://`).
    Url(String),
    /// A timeout of zero would mean "wait forever" to the socket layer.
    ZeroTimeout,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Url(why) => write!(f, "invalid replay store URL: {why}"),
            ConfigError::ZeroTimeout => f.write_str("replay store timeouts must be above zero"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl RedisReplayStore {
    /// Settings for a store on `url`: `redis://[user:password@]host[:port][/db]`,
    /// `rediss://…` (TLS, with the `tls` feature), `unix:///path/to/redis.sock[?db=N]`.
    pub fn builder(url: impl Into<String>) -> Builder {
        Builder {
            url: url.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            connect_timeout: DEFAULT_TIMEOUT,
            response_timeout: DEFAULT_TIMEOUT,
            max_idle: DEFAULT_MAX_IDLE,
        }
    }

    /// A store on `url` with the default prefix and timeouts.
    pub fn open(url: &str) -> Result<Self, ConfigError> {
        Self::builder(url).build()
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The Redis key that records `jti`: the prefix and the hex SHA-256 of the `jti`.
    ///
    /// A plain (unkeyed) SHA-256: only tokens whose signature verified are recorded, so only
    /// holders of the signing key choose `jti`s, and they could mint any token anyway; the
    /// digest bounds the key's length and keeps a `jti` (which may embed user data) out of
    /// Redis in clear, and anyone can compute it (e.g. a Python service sharing the keys:
    /// `prefix + hashlib.sha256(jti.encode()).hexdigest()`). Different applications must
    /// use different prefixes.
    pub fn key_for(&self, jti: &str) -> String {
        let digest = Sha256::digest(jti.as_bytes());
        let mut key = String::with_capacity(self.prefix.len() + 64);
        key.push_str(&self.prefix);
        for b in digest.iter() {
            key.push(hex_digit(b >> 4));
            key.push(hex_digit(b & 15));
        }
        key
    }

    /// Checks that Redis answers (`PING`) within the timeouts: for start-up and health checks.
    pub fn ping(&self) -> Result<(), Error> {
        self.pool
            .run(|c| redis::cmd("PING").query::<String>(c))
            .map(|_| ())
            .map_err(|e| classify(&e))
    }

    /// The `SET … NX PX …` itself, for tokens passing until `live_until` judged at `now`.
    fn set_nx(&self, jti: &str, live_until: u64, now: u64) -> Result<(), Error> {
        let ms = expiry_ms(live_until, now).ok_or(WINDOW_OVER)?;
        let key = self.key_for(jti);
        let reply = self.pool.run(|c| {
            redis::cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query::<Option<String>>(c)
        });
        match reply {
            Ok(Some(_)) => Ok(()), // "OK": recorded by this call
            Ok(None) => Err(REPLAYED),
            Err(e) => Err(classify(&e)),
        }
    }
}

/// Milliseconds the key must live: until the token can no longer pass.
///
/// The verifier passes a token while `now <= live_until` in whole seconds of its own clock
/// (`live_until = iat + max_age + leeway`), so the token is dead from second `live_until + 1`.
/// `now` was truncated to whole seconds, so `(live_until + 1 - now) s` from the moment Redis
/// receives the command reaches past the end of the window (by up to one second plus the
/// round trip: the safe side). Relative `PX` rather than absolute `PXAT`: with `PXAT` the
/// expiry is read on Redis's clock, and a Redis clock ahead of the verifier's would make the
/// key expire early, or be born expired (an unrecorded token: the replay we must never allow).
/// Verifiers' clocks must still agree with each other (NTP), as for any shared replay state.
fn expiry_ms(live_until: u64, now: u64) -> Option<u64> {
    if live_until < now {
        return None;
    }
    (live_until - now).checked_add(1)?.checked_mul(1000)
}

fn hex_digit(v: u8) -> char {
    char::from_digit(u32::from(v), 16).unwrap_or('0')
}

/// The core's kind for a Redis failure. A server out of memory (`maxmemory` with
/// `noeviction`, the only safe policy) refuses new keys: that is a full replay store. Every
/// other failure is `replay_store_unavailable`.
fn classify(e: &redis::RedisError) -> Error {
    match e.code() {
        Some("OOM") => FULL,
        Some(_) => REFUSED_COMMAND,
        None => UNAVAILABLE,
    }
}

impl ReplayStore for RedisReplayStore {
    fn record(&mut self, jti: &str, live_until: u64, now: u64) -> Result<(), Error> {
        if self.floor.is_some_and(|f| live_until <= f) {
            return Err(BEFORE_HORIZON);
        }
        self.set_nx(jti, live_until, now)
    }

    /// Raises this handle's memory floor (the verifier's memory horizon): tokens whose window
    /// ends at or before it are refused without asking Redis. Local to this clone.
    fn forget_through(&mut self, live_until: u64) {
        self.floor = Some(self.floor.map_or(live_until, |f| f.max(live_until)));
    }

    /// Always 0: the keys live in Redis, shared with other processes; counting them would
    /// need a `SCAN` of the keyspace on every call. Ask Redis (`SCAN 0 MATCH <prefix>*`).
    fn len(&self) -> usize {
        0
    }

    /// `usize::MAX`: Redis holds as many keys as its memory allows; when it is full (with
    /// `maxmemory-policy noeviction`) new tokens are refused as `replay_cache_full`.
    fn capacity(&self) -> usize {
        usize::MAX
    }
}

/// Connections to one Redis, reused across calls and threads.
struct Pool {
    client: redis::Client,
    idle: Mutex<Vec<redis::Connection>>,
    max_idle: usize,
    connect_timeout: Duration,
    response_timeout: Duration,
}

impl Pool {
    /// Runs `f` on an idle connection, or a new one. A connection that failed (I/O error,
    /// timeout) is dropped, so the next call reconnects; a healthy one goes back to the pool.
    fn run<T>(
        &self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        let idle = self.lock().pop();
        let mut conn = match idle {
            Some(c) => c,
            None => self.connect()?,
        };
        let result = f(&mut conn);
        let healthy = match &result {
            Ok(_) => true,
            // A server error reply leaves the connection in step; anything else may not.
            Err(e) => e.code().is_some() && !e.is_io_error(),
        };
        if healthy && redis::ConnectionLike::is_open(&conn) {
            let mut idle = self.lock();
            if idle.len() < self.max_idle {
                idle.push(conn);
            }
        }
        result
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let conn = self
            .client
            .get_connection_with_timeout(self.connect_timeout)?;
        conn.set_read_timeout(Some(self.response_timeout))?;
        conn.set_write_timeout(Some(self.response_timeout))?;
        Ok(conn)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<redis::Connection>> {
        // A panic while holding the lock cannot leave the list inconsistent (push and pop
        // only): keep using it.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hfjwt::ErrorKind;

    #[test]
    fn expiry_reaches_past_the_last_second_a_token_passes() {
        assert_eq!(expiry_ms(120, 0), Some(121_000));
        assert_eq!(expiry_ms(120, 120), Some(1_000));
        assert_eq!(expiry_ms(119, 120), None);
        assert_eq!(expiry_ms(u64::MAX, 0), None);
    }

    #[test]
    fn keys_are_the_prefix_and_the_hex_sha256_of_the_jti() {
        let store = RedisReplayStore::builder("redis://127.0.0.1:1/")
            .prefix("p:")
            .build()
            .unwrap();
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            store.key_for("abc"),
            "p:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn configuration_mistakes_are_config_errors() {
        assert!(matches!(
            RedisReplayStore::open("http://127.0.0.1:6379"),
            Err(ConfigError::Url(_))
        ));
        assert_eq!(
            RedisReplayStore::builder("redis://127.0.0.1")
                .timeout(Duration::ZERO)
                .build()
                .unwrap_err(),
            ConfigError::ZeroTimeout
        );
        assert!(RedisReplayStore::open("unix:///tmp/redis.sock").is_ok());
        let debug = format!(
            "{:?}",
            RedisReplayStore::open("redis://:hunter2@127.0.0.1").unwrap()
        );
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn rediss_needs_the_tls_feature() {
        let store = RedisReplayStore::open("rediss://127.0.0.1:1/");
        if cfg!(feature = "tls") {
            let e = store.unwrap().ping().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ReplayStoreUnavailable);
        } else {
            assert!(matches!(store, Err(ConfigError::Url(_))));
        }
    }

    #[test]
    fn nothing_listening_is_unavailable_not_accepted() {
        // Port 1 on loopback: connection refused at once.
        let mut store = RedisReplayStore::open("redis://127.0.0.1:1/").unwrap();
        let e = store.record("j", 120, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReplayStoreUnavailable);
        assert_eq!(
            store.ping().unwrap_err().kind(),
            ErrorKind::ReplayStoreUnavailable
        );
    }
}

/// The replay memory a program picks at start-up: its own process's
/// ([`hfjwt::HeapReplayCache`]) or one shared through Redis ([`RedisReplayStore`]). The CLI
/// (`--replay-store`) and the Python `Verifier` (`replay_store=`) both hold one of these.
#[derive(Clone, Debug)]
pub enum AnyReplayStore {
    /// A run-time sized cache in this process: exact, no network, forgotten at exit.
    Memory(hfjwt::HeapReplayCache),
    /// Redis, shared by every process and machine pointed at it.
    Redis(RedisReplayStore),
}

impl ReplayStore for AnyReplayStore {
    fn record(&mut self, jti: &str, live_until: u64, now: u64) -> Result<(), Error> {
        match self {
            AnyReplayStore::Memory(s) => s.record(jti, live_until, now),
            AnyReplayStore::Redis(s) => s.record(jti, live_until, now),
        }
    }
    fn forget_through(&mut self, live_until: u64) {
        match self {
            AnyReplayStore::Memory(s) => s.forget_through(live_until),
            AnyReplayStore::Redis(s) => s.forget_through(live_until),
        }
    }
    fn len(&self) -> usize {
        match self {
            AnyReplayStore::Memory(s) => s.len(),
            AnyReplayStore::Redis(s) => s.len(),
        }
    }
    fn capacity(&self) -> usize {
        match self {
            AnyReplayStore::Memory(s) => s.capacity(),
            AnyReplayStore::Redis(s) => s.capacity(),
        }
    }
}
