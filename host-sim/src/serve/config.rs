//! `serve`'s configuration: flags merged over an optional TOML file, checked once, here, into
//! a [`Config`] whose every value is valid. Nothing after this module re-checks a setting.

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hfjwt::{Key, Policy};
use serde::Deserialize;

use crate::failure::Failure;
use crate::key::KeySource;

use super::Args;

/// Default idle lifetime of a session (support center and portal): 30 minutes.
pub const DEFAULT_SESSION_IDLE: u64 = 30 * 60;
/// Default absolute lifetime of a session: 8 hours.
pub const DEFAULT_SESSION_LIFETIME: u64 = 8 * 60 * 60;
/// Default bound on the sessions each store keeps.
pub const DEFAULT_SESSION_LIMIT: u32 = 10_000;
/// Default steady rate of the sample portal's minting requests per client, per minute.
pub const DEFAULT_RATE_LIMIT: u32 = 20;
/// Default burst of the sample portal's minting requests per client.
pub const DEFAULT_RATE_BURST: u32 = 20;
/// Default replay-cache capacity (live tokens remembered at once).
pub const DEFAULT_REPLAY_CAPACITY: u32 = 1024;
/// Default port on 127.0.0.1.
pub const DEFAULT_PORT: u16 = 8080;

/// The settings a `--config` TOML file may hold.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    port: Option<u16>,
    account: Option<String>,
    domain: Option<String>,
    key_file: Option<PathBuf>,
    key_env: Option<String>,
    remote_login_url: Option<String>,
    remote_logout_url: Option<String>,
    allowed_domains: Option<Vec<String>>,
    max_age: Option<u64>,
    leeway: Option<u64>,
    replay_capacity: Option<u32>,
    replay_store: Option<String>,
    replay_prefix: Option<String>,
    replay_timeout_ms: Option<u64>,
    kiosk_key_file: Option<PathBuf>,
    kiosk_key_env: Option<String>,
    kiosks: Option<Vec<String>>,
    session_idle: Option<u64>,
    session_lifetime: Option<u64>,
    session_limit: Option<u32>,
    rate_limit: Option<u32>,
    rate_burst: Option<u32>,
}

impl FileConfig {
    fn read(path: &Path) -> Result<Self, Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        let mut config: FileConfig = toml::from_str(&text).map_err(|e| {
            let msg = e.message().to_owned();
            Failure::usage(format!("{}: {}", path.display(), msg.replace('\n', " ")))
        })?;
        // A relative key file is relative to the config file, not to the working directory.
        if let Some(dir) = path.parent() {
            for key_file in [&mut config.key_file, &mut config.kiosk_key_file]
                .into_iter()
                .flatten()
            {
                if key_file.is_relative() && key_file != Path::new("-") {
                    *key_file = dir.join(&*key_file);
                }
            }
        }
        Ok(config)
    }
}

/// Which support center this stands in for, as given: a HappyFox account or a custom domain.
/// It only names the pages; the stand-in itself always serves on 127.0.0.1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiteName {
    /// `--account acme`: shown as `acme.happyfox.com`.
    Account(String),
    /// `--domain support.acme.com`.
    Domain(String),
}

impl SiteName {
    /// Checks `name` by the core's rules for an account or a domain (`invalid_config`).
    fn parse(name: SiteName) -> Result<Self, Failure> {
        match &name {
            SiteName::Account(a) => hfjwt::Site::account(a),
            SiteName::Domain(d) => hfjwt::Site::domain(d),
        }
        .map_err(Failure::Config)?;
        Ok(name)
    }

    /// The host name the pages show: `acme.happyfox.com` or the custom domain.
    pub fn host(&self) -> String {
        match self {
            SiteName::Account(a) => format!("{a}.happyfox.com"),
            SiteName::Domain(d) => d.clone(),
        }
    }
}

/// A Remote Login or Remote Logout URL that the core accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteUrl(String);

impl RemoteUrl {
    /// Checks `url` by the core's rule for remote login/logout URLs.
    pub fn parse(url: String) -> Result<Self, Failure> {
        hfjwt::check_remote_url(&url).map_err(Failure::Config)?;
        Ok(RemoteUrl(url))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long a session lives and how many are kept, for each of `serve`'s session stores (the
/// support center's sign-ins and the portal's phone users).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// A session unused for this long is over.
    pub idle: Duration,
    /// A session is over this long after it started, however busy.
    pub lifetime: Duration,
    /// At most this many sessions are kept; starting one more evicts the oldest.
    pub capacity: NonZeroUsize,
}

impl SessionLimits {
    fn new(idle: u64, lifetime: u64, capacity: u32) -> Result<Self, Failure> {
        if idle == 0 || lifetime == 0 {
            return Err(Failure::usage(
                "session_idle and session_lifetime must be at least 1 second",
            ));
        }
        if idle > lifetime {
            return Err(Failure::usage(format!(
                "session_idle ({idle} s) is longer than session_lifetime ({lifetime} s)"
            )));
        }
        let capacity = usize::try_from(capacity)
            .ok()
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| Failure::usage("session_limit must be at least 1"))?;
        Ok(SessionLimits {
            idle: Duration::from_secs(idle),
            lifetime: Duration::from_secs(lifetime),
            capacity,
        })
    }
}

/// How often one client (one remote IP) may ask the sample portal to mint: a token bucket
/// holding `burst` requests, refilled at `per_minute`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per minute, sustained.
    pub per_minute: NonZeroU32,
    /// Requests allowed at once after a quiet spell.
    pub burst: NonZeroU32,
}

impl RateLimit {
    fn new(per_minute: u32, burst: u32) -> Result<Self, Failure> {
        match (NonZeroU32::new(per_minute), NonZeroU32::new(burst)) {
            (Some(per_minute), Some(burst)) => Ok(RateLimit { per_minute, burst }),
            _ => Err(Failure::usage(
                "rate_limit and rate_burst must be at least 1",
            )),
        }
    }
}

/// Every setting of `serve`, valid by construction.
pub struct Config {
    /// Port on 127.0.0.1 (0: any free one).
    pub port: u16,
    /// The support center this stands in for, if named.
    pub site: Option<SiteName>,
    /// The key HappyFox and the sample portal share.
    pub key: Key,
    /// The key kiosks verify portal tokens with; `None` turns the phone page off.
    pub kiosk_key: Option<Key>,
    /// The kiosks the phone page mints for (their audiences, checked by the core).
    pub kiosks: Vec<String>,
    /// Where "log in" sends visitors; `None`: the sample portal's login page.
    pub remote_login_url: Option<RemoteUrl>,
    /// Where visitors land after logout; `None`: the sample portal's logout page.
    pub remote_logout_url: Option<RemoteUrl>,
    /// Email domains allowed to sign in (empty: any).
    pub allowed_domains: Vec<String>,
    /// max_age and leeway.
    pub policy: Policy,
    /// Live tokens the replay cache remembers at once.
    pub replay_capacity: NonZeroUsize,
    /// A shared replay store's URL (Redis); `None`: in memory.
    pub replay_store: Option<String>,
    /// Key prefix in the shared store.
    pub replay_prefix: String,
    /// How long to wait for the shared store.
    pub replay_timeout: std::time::Duration,
    /// Lifetimes and bound of the session stores.
    pub sessions: SessionLimits,
    /// The sample portal's per-client rate limit.
    pub rate_limit: RateLimit,
}

impl Config {
    /// Merges `args` over the file `--config` names (flags win) and checks every value.
    pub fn resolve(args: Args) -> Result<Self, Failure> {
        let file = match &args.config {
            Some(path) => FileConfig::read(path)?,
            None => FileConfig::default(),
        };
        let happyfox_source = key_source(
            args.key,
            (file.key_file, file.key_env),
            "key_file and key_env",
        )?;

        // The kiosk key follows the same rules as the HappyFox key: flags win, the file may
        // name one source, and a key the core refuses stops the server.
        let kiosk_source = key_source(
            KeySource {
                key_file: args.kiosk_key_file,
                key_env: args.kiosk_key_env,
            },
            (file.kiosk_key_file, file.kiosk_key_env),
            "kiosk_key_file and kiosk_key_env",
        )?;
        if happyfox_source.reads_stdin() && kiosk_source.reads_stdin() {
            return Err(Failure::usage(
                "the HappyFox key and the kiosk key cannot both come from standard input",
            ));
        }
        let key = happyfox_source.load()?;
        let kiosk_key = if kiosk_source.is_given() {
            Some(kiosk_source.load()?)
        } else {
            None
        };
        if kiosk_key.as_ref().is_some_and(|k| same_key(&key, k)) {
            return Err(Failure::usage(
                "the kiosk key is the HappyFox key: a phone's code would then sign in at \
                 HappyFox directly; give the kiosks' portal_key instead",
            ));
        }

        let site = match (args.account, args.domain) {
            (None, None) => (file.account, file.domain),
            flags => flags,
        };
        let site = match site {
            (Some(_), Some(_)) => return Err(Failure::usage("set account or domain, not both")),
            (Some(a), None) => Some(SiteName::parse(SiteName::Account(a))?),
            (None, Some(d)) => Some(SiteName::parse(SiteName::Domain(d))?),
            (None, None) => None,
        };

        let remote_login_url = args
            .remote_login_url
            .or(file.remote_login_url)
            .map(RemoteUrl::parse)
            .transpose()?;
        let remote_logout_url = args
            .remote_logout_url
            .or(file.remote_logout_url)
            .map(RemoteUrl::parse)
            .transpose()?;
        let allowed_domains = if args.allow_domains.is_empty() {
            file.allowed_domains.unwrap_or_default()
        } else {
            args.allow_domains
        };
        let defaults = Policy::new();
        let policy = defaults
            .max_age(
                args.max_age
                    .or(file.max_age)
                    .unwrap_or(defaults.max_age_seconds()),
            )
            .leeway(
                args.leeway
                    .or(file.leeway)
                    .unwrap_or(defaults.leeway_seconds()),
            );
        let replay_capacity = args
            .replay_capacity
            .or(file.replay_capacity)
            .unwrap_or(DEFAULT_REPLAY_CAPACITY);
        let replay_capacity = usize::try_from(replay_capacity)
            .ok()
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| Failure::usage("replay_capacity must be at least 1"))?;
        let replay_store = args.replay_store.or(file.replay_store);
        let replay_prefix = args
            .replay_prefix
            .or(file.replay_prefix)
            .unwrap_or_else(|| "hfjwt:".to_owned());
        let replay_timeout_ms = args
            .replay_timeout_ms
            .or(file.replay_timeout_ms)
            .unwrap_or(200);
        if !(1..=60_000).contains(&replay_timeout_ms) {
            return Err(Failure::usage(
                "replay_timeout_ms must be 1 to 60000 milliseconds",
            ));
        }
        let sessions = SessionLimits::new(
            args.session_idle
                .or(file.session_idle)
                .unwrap_or(DEFAULT_SESSION_IDLE),
            args.session_lifetime
                .or(file.session_lifetime)
                .unwrap_or(DEFAULT_SESSION_LIFETIME),
            args.session_limit
                .or(file.session_limit)
                .unwrap_or(DEFAULT_SESSION_LIMIT),
        )?;
        let rate_limit = RateLimit::new(
            args.rate_limit
                .or(file.rate_limit)
                .unwrap_or(DEFAULT_RATE_LIMIT),
            args.rate_burst
                .or(file.rate_burst)
                .unwrap_or(DEFAULT_RATE_BURST),
        )?;
        let kiosks = if args.kiosks.is_empty() {
            file.kiosks.unwrap_or_default()
        } else {
            args.kiosks
        };
        for id in &kiosks {
            // The core decides what an audience may be, as the kiosk's build does.
            hfjwt::Policy::new()
                .audience(id)
                .map_err(|e| Failure::usage(format!("--kiosk {id:?}: {e}")))?;
        }
        if !kiosks.is_empty() && kiosk_key.is_none() {
            return Err(Failure::usage(
                "--kiosk needs --kiosk-key-file or --kiosk-key-env (the key the kiosks verify with)",
            ));
        }
        Ok(Config {
            port: args.port.or(file.port).unwrap_or(DEFAULT_PORT),
            site,
            key,
            kiosk_key,
            kiosks,
            remote_login_url,
            remote_logout_url,
            allowed_domains,
            policy,
            replay_capacity,
            replay_store,
            replay_prefix,
            replay_timeout: std::time::Duration::from_millis(replay_timeout_ms),
            sessions,
            rate_limit,
        })
    }
}

/// The flags' key source when one is given, else the file's (which may name only one).
fn key_source(
    flags: KeySource,
    (file_path, file_env): (Option<PathBuf>, Option<String>),
    names: &str,
) -> Result<KeySource, Failure> {
    if flags.is_given() {
        Ok(flags)
    } else if file_path.is_some() && file_env.is_some() {
        Err(Failure::usage(format!(
            "the config file sets both {names}; keep one"
        )))
    } else {
        Ok(KeySource {
            key_file: file_path,
            key_env: file_env,
        })
    }
}

/// Whether `a` and `b` are the same key, asked of the core: a probe token minted with `b`
/// passes verification with `a` (the keys themselves are never compared or copied here).
fn same_key(a: &Key, b: &Key) -> bool {
    let grant = hfjwt::Grant::new("probe@example.com", 0, "key-probe");
    let mut buf = vec![0u8; hfjwt::token_len(&grant)];
    let Ok(token) = hfjwt::mint(b, &grant, &mut buf) else {
        return false;
    };
    let mut scratch = vec![0u8; hfjwt::scratch_len(token.len())];
    let mut verifier: hfjwt::Verifier = hfjwt::Verifier::new(a.clone());
    verifier.verify(token, 0, &mut scratch).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_limits_are_checked_once() {
        let l = SessionLimits::new(1800, 28_800, 10).unwrap();
        assert_eq!(l.idle, Duration::from_secs(1800));
        assert_eq!(l.capacity.get(), 10);
        for (idle, lifetime, cap) in [(0, 10, 1), (1, 0, 1), (1, 1, 0), (20, 10, 1)] {
            let e = SessionLimits::new(idle, lifetime, cap).unwrap_err();
            assert_eq!(e.exit_status(), 2, "{e}");
        }
    }

    #[test]
    fn rate_limits_are_at_least_one() {
        assert!(RateLimit::new(20, 1).is_ok());
        assert!(RateLimit::new(0, 1).is_err() && RateLimit::new(1, 0).is_err());
    }

    #[test]
    fn site_names_and_remote_urls_follow_the_core() {
        let acme = SiteName::parse(SiteName::Account("acme".into())).unwrap();
        assert_eq!(acme.host(), "acme.happyfox.com");
        assert!(SiteName::parse(SiteName::Account("bad_name!".into())).is_err());
        assert!(SiteName::parse(SiteName::Domain("not a host".into())).is_err());
        assert!(RemoteUrl::parse("https://portal.acme.com/sso".into()).is_ok());
        assert!(RemoteUrl::parse("http://evil.example/sso".into()).is_err());
    }
}
