//! `hfjwt-sim serve`: a local stand-in for the HappyFox side of JWT single sign-on, plus a
//! sample login portal, so a portal can be tested end to end without a HappyFox account.
//!
//! Split by party and phase:
//! - [`config`]: flags and the TOML file, checked once into a [`config::Config`];
//! - [`center`]: the support-center stand-in (verifies tokens, keeps sessions; mints nothing);
//! - [`portal`]: the sample company portal, the only part that holds a signing key (the
//!   HappyFox key for sign-in links, the kiosk key for the phone page);
//! - [`pages`]: the HTML of every page; [`sessions`], [`csrf`] and [`rate_limit`]: the
//!   bounded session stores, the portal forms' anti-forgery tokens and its per-client limit.
//!
//! Routes:
//! - `GET /jwt/?token=…&return_to=…`: verifies through the core (120 s, single-use `jti`,
//!   allow-listed domains); signed in → 302 to `return_to` (default `/home`) with a session
//!   cookie; rejected → 403 error page with the reason (header `x-hfjwt-error: <kind>`).
//!   A signed-in browser replaying a link is told it is already signed in; every refusal is
//!   worded for the person in front of the screen, the kind stays in the header.
//! - `GET /home`, `/tickets`, `/kb`: show who is signed in (name and email) and a sign-out link.
//! - `GET /login` → 302 to the Remote Login URL; `GET /logout` ends the session → 302 to the
//!   Remote Logout URL.
//! - `GET|POST /portal/login.html`, `GET /portal/logout.html`: the sample portal; its form
//!   mints a token through the core and redirects to `/jwt/`.
//! - `GET|POST /portal/kiosk.html`: the phone side of kiosk sign-in. The form remembers the
//!   phone's user in a portal cookie; the page then shows a portal token minted with the kiosk
//!   key (`--kiosk-key-file`/`--kiosk-key-env`) as a QR code and as text, renewed before its
//!   120 s run out.
//! - `GET /assets/hfjwt.css`: the stylesheet every page links (shared with the kiosk agent).
//! - anything else: a 404 page (405 for a known path used with the wrong method).

pub mod center;
pub mod config;
pub mod csrf;
pub mod pages;
pub mod portal;
pub mod rate_limit;
pub mod sessions;

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::FromRef;
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use axum::response::Redirect;
use axum::routing::get;

use crate::failure::{Failure, Outcome};
use crate::key::KeySource;
use crate::verify::open_replay_store;

use center::Center;
use config::Config;
use portal::Portal;

/// Run a local HappyFox support-center stand-in on 127.0.0.1 with a sample login portal.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Settings come from flags, then from the TOML file given by --config (flags win). \
The file may set: port, account or domain, key_file (relative to the file) or key_env, \
remote_login_url, remote_logout_url, allowed_domains = [..], max_age, leeway, \
replay_capacity, replay_store, replay_prefix, replay_timeout_ms, kiosk_key_file (relative to the file) or kiosk_key_env, kiosks = [..], session_idle, \
session_lifetime, session_limit, rate_limit, rate_burst.

Sessions (the support center's and the portal's phone users) end after --session-idle \
seconds without a request or --session-lifetime seconds after sign-in; at most \
--session-limit are kept, and beyond that the oldest is evicted first.

The sample portal's forms carry an anti-forgery token (a POST without a valid one gets 403), \
and each client (remote IP) may have it mint --rate-burst codes at once, then --rate-limit a \
minute (beyond that: 429 with Retry-After).

/portal/kiosk.html is the page a phone shows to sign in at an on-site kiosk: a portal token \
as a QR code, minted with the kiosk key (the kiosk's portal_key, not the HappyFox key). \
Without --kiosk-key-file or --kiosk-key-env that page says the portal is not set up for kiosks.

The first line on stdout is `listening on http://127.0.0.1:PORT`. One line per decision \
goes to stderr (kind, jti, email; never a key or a token).

Exit status: 0 after Ctrl-C, 2 usage or configuration error, 3 run-time failure (e.g. the \
port cannot be bound).")]
pub struct Args {
    /// TOML file with settings.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 picks a free one) [default: 8080].
    #[arg(long)]
    pub port: Option<u16>,
    /// HappyFox account name this stands in for (shown on its pages).
    #[arg(long, conflicts_with = "domain")]
    pub account: Option<String>,
    /// Custom domain this stands in for (shown on its pages).
    #[arg(long)]
    pub domain: Option<String>,
    #[command(flatten)]
    pub key: KeySource,
    /// Where "log in" sends visitors [default: this server's /portal/login.html].
    #[arg(long, value_name = "URL")]
    pub remote_login_url: Option<String>,
    /// Where visitors land after logout [default: this server's /portal/logout.html].
    #[arg(long, value_name = "URL")]
    pub remote_logout_url: Option<String>,
    /// Accept only emails in this domain (repeatable).
    #[arg(long = "allow-domain", value_name = "DOMAIN")]
    pub allow_domains: Vec<String>,
    /// Seconds after iat during which a token passes [default: 120].
    #[arg(long, value_name = "SECONDS")]
    pub max_age: Option<u64>,
    /// Seconds of clock skew tolerated [default: 0].
    #[arg(long, value_name = "SECONDS")]
    pub leeway: Option<u64>,
    /// Live tokens remembered at once [default: 1024] (the in-memory store).
    #[arg(long, value_name = "N")]
    pub replay_capacity: Option<u32>,
    /// Remember used tokens in Redis or Valkey (`redis://`, `rediss://`, `unix://`), shared by
    /// every `serve` and `verify` on it: run several and each token still signs in once.
    /// Unreachable: tokens are refused (replay_store_unavailable), never accepted unrecorded.
    #[arg(long, value_name = "URL")]
    pub replay_store: Option<String>,
    /// Key prefix in the shared store [default: hfjwt:].
    #[arg(long, value_name = "PREFIX")]
    pub replay_prefix: Option<String>,
    /// Milliseconds to wait for the shared store [default: 200].
    #[arg(long, value_name = "MS")]
    pub replay_timeout_ms: Option<u64>,
    /// File holding the key kiosks verify portal tokens with (the kiosk's `portal_key`, not
    /// the HappyFox key); turns on the phone page /portal/kiosk.html.
    #[arg(long, value_name = "FILE", conflicts_with = "kiosk_key_env")]
    pub kiosk_key_file: Option<PathBuf>,
    /// Environment variable holding the kiosk key.
    #[arg(long, value_name = "VAR")]
    pub kiosk_key_env: Option<String>,
    /// A kiosk the phone page mints codes for (its `audience`, usually its device id);
    /// repeatable: with several, the phone's user picks one. Codes carry `aud = ID`, so a code
    /// shown for one kiosk is refused at another. Without any, codes carry no `aud`.
    #[arg(long = "kiosk", value_name = "ID")]
    pub kiosks: Vec<String>,
    /// A session unused for this many seconds is over [default: 1800].
    #[arg(long, value_name = "SECONDS")]
    pub session_idle: Option<u64>,
    /// A session is over this many seconds after sign-in [default: 28800].
    #[arg(long, value_name = "SECONDS")]
    pub session_lifetime: Option<u64>,
    /// Sessions kept at once, per store; the oldest is evicted first [default: 10000].
    #[arg(long, value_name = "N")]
    pub session_limit: Option<u32>,
    /// Codes the sample portal mints per client (remote IP) per minute [default: 20].
    #[arg(long, value_name = "PER_MINUTE")]
    pub rate_limit: Option<u32>,
    /// Codes one client may have minted at once before the rate applies [default: 20].
    #[arg(long, value_name = "N")]
    pub rate_burst: Option<u32>,
}

/// Runs `serve` until Ctrl-C.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    let config = Config::resolve(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(serve(config))
}

/// What every handler can reach; each handler asks only for its own party's half.
#[derive(Clone)]
struct App {
    center: Arc<Center>,
    portal: Arc<Portal>,
}

impl FromRef<App> for Arc<Center> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.center)
    }
}

impl FromRef<App> for Arc<Portal> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.portal)
    }
}

async fn serve(config: Config) -> Result<Outcome, Failure> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
        .await
        .map_err(|e| {
            Failure::runtime(format!("cannot listen on 127.0.0.1:{}: {e}", config.port))
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| Failure::runtime(format!("cannot read the bound address: {e}")))?
        .port();
    let origin = format!("http://127.0.0.1:{port}");
    let site = config
        .site
        .as_ref()
        .map_or_else(|| "HappyFox stand-in".to_owned(), config::SiteName::host);
    let store = open_replay_store(
        config.replay_store.as_deref(),
        &config.replay_prefix,
        config.replay_timeout,
        config.replay_capacity.get(),
    )?;
    let center = Arc::new(Center::new(&config, store, &origin, &site));
    let portal = Arc::new(Portal::new(&config, &origin, &site));

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {origin}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::runtime(format!("cannot write to stdout: {e}")))?;
    drop(stdout);
    log(format_args!(
        "serving {site} on {origin} (remote login {}, remote logout {}, kiosk page {}; \
         sessions: {} s idle, {} s at most, {} kept; portal: {} codes a minute per client, \
         burst {})",
        center.remote_login_url,
        center.remote_logout_url,
        if portal.has_kiosk_key() {
            "on"
        } else {
            "off: no kiosk key"
        },
        config.sessions.idle.as_secs(),
        config.sessions.lifetime.as_secs(),
        config.sessions.capacity,
        config.rate_limit.per_minute,
        config.rate_limit.burst,
    ));

    let app = App { center, portal };
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        // If the signal handler cannot be installed, serve until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
    .await
    .map_err(|e| Failure::runtime(format!("server stopped: {e}")))?;
    Ok(Outcome::Accepted)
}

fn router(app: App) -> Router {
    use pages::Section;
    Router::new()
        .route("/", get(|| async { Redirect::to("/home") }))
        .route("/jwt/", get(center::jwt))
        .route("/jwt", get(center::jwt))
        .route("/home", get(|s, h| center::section(s, h, Section::Home)))
        .route(
            "/tickets",
            get(|s, h| center::section(s, h, Section::Tickets)),
        )
        .route("/kb", get(|s, h| center::section(s, h, Section::Kb)))
        .route("/login", get(center::login))
        .route("/logout", get(center::logout))
        .route(
            "/portal/login.html",
            get(portal::sign_in_form).post(portal::sign_in),
        )
        .route("/portal/logout.html", get(portal::signed_out))
        .route(
            "/portal/kiosk.html",
            get(portal::kiosk_page).post(portal::kiosk_form),
        )
        .route(pages::STYLESHEET_PATH, get(pages::stylesheet))
        .fallback(center::not_found)
        .method_not_allowed_fallback(center::method_not_allowed)
        .with_state(app)
}

/// A poisoned lock only means another request panicked mid-way; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One line on stderr, prefixed `hfjwt-sim serve: `.
fn log(line: std::fmt::Arguments<'_>) {
    eprintln!("hfjwt-sim serve: {line}");
}

/// Logs `message` and answers with the 500 page.
fn server_error(site: &str, message: &str) -> axum::response::Response {
    log(format_args!("error: {message}"));
    pages::server_error_page(site, message)
}

/// The value of cookie `name` in the request, if present.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, value) = pair.trim().split_once('=')?;
            (k == name).then(|| value.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn finds_a_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; hfjwt_session=abc; b=2"),
        );
        assert_eq!(
            cookie_value(&h, center::SESSION_COOKIE).as_deref(),
            Some("abc")
        );
        assert_eq!(cookie_value(&HeaderMap::new(), "a"), None);
        assert_eq!(cookie_value(&h, "b").as_deref(), Some("2"));
        assert_eq!(cookie_value(&h, portal::PORTAL_COOKIE), None);
    }
}
