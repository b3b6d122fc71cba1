//! `hfjwt-sim serve`: a local stand-in for the HappyFox side of JWT single sign-on, plus a
//! sample login portal, so a portal can be tested end to end without a HappyFox account.
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

use std::collections::HashMap;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Form, RawQuery, State};
use axum::http::Uri;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hfjwt::{ErrorKind, Key, Policy, ReturnTo, Site};
use serde::Deserialize;

use crate::clock::unix_now;
use crate::failure::{Failure, Outcome};
use crate::key::KeySource;
use crate::mint::mint_token;
use crate::url::MAX_URL_LEN;
use crate::verify::{SimVerifier, build_verifier};

/// Name of the support center's session cookie.
const SESSION_COOKIE: &str = "hfjwt_session";

/// Name of the sample portal's cookie for the phone user of the kiosk page. It is the
/// portal's own, separate from the support center's session.
const PORTAL_COOKIE: &str = "hfjwt_portal";

/// The response header naming the kind of a rejection, for scripts and tests.
const ERROR_HEADER: &str = "x-hfjwt-error";

/// The stylesheet every page links, shared with the kiosk agent's pages.
const STYLESHEET: &str = include_str!("../../assets/hfjwt.css");

/// Where [`STYLESHEET`] is served.
const STYLESHEET_PATH: &str = "/assets/hfjwt.css";

/// Seconds a kiosk accepts a portal token after its `iat` (the core's default window, which
/// the kiosk firmware uses).
const KIOSK_TOKEN_SECONDS: u64 = 120;

/// The phone page fetches a fresh portal token this many seconds before the shown one expires.
const KIOSK_RENEW_BEFORE: u64 = 20;
const _: () = assert!(KIOSK_RENEW_BEFORE < KIOSK_TOKEN_SECONDS);

/// Run a local HappyFox support-center stand-in on 127.0.0.1 with a sample login portal.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Settings come from flags, then from the TOML file given by --config (flags win). \
The file may set: port, account or domain, key_file (relative to the file) or key_env, \
remote_login_url, remote_logout_url, allowed_domains = [..], max_age, leeway, \
replay_capacity, kiosk_key_file (relative to the file) or kiosk_key_env.

/portal/kiosk.html is the page a phone shows to sign in at an on-site kiosk: a portal token \
as a QR code, minted with the kiosk key (the kiosk's portal_key, not the HappyFox key). \
Without --kiosk-key-file or --kiosk-key-env that page says the portal is not set up for kiosks.

The first line on stdout is `listening on http://127.0.0.1:PORT`. One line per decision \
goes to stderr (kind, jti, email; never a key or a token).

Exit status: 0 after Ctrl-C, 2 usage or configuration error.")]
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
    /// Live tokens remembered at once [default: 1024].
    #[arg(long, value_name = "N")]
    pub replay_capacity: Option<u32>,
    /// File holding the key kiosks verify portal tokens with (the kiosk's `portal_key`, not
    /// the HappyFox key); turns on the phone page /portal/kiosk.html.
    #[arg(long, value_name = "FILE", conflicts_with = "kiosk_key_env")]
    pub kiosk_key_file: Option<PathBuf>,
    /// Environment variable holding the kiosk key.
    #[arg(long, value_name = "VAR")]
    pub kiosk_key_env: Option<String>,
}

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
    kiosk_key_file: Option<PathBuf>,
    kiosk_key_env: Option<String>,
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
                if key_file.is_relative() {
                    *key_file = dir.join(&*key_file);
                }
            }
        }
        Ok(config)
    }
}

/// Settings after merging flags over the file.
struct Config {
    port: u16,
    title: String,
    key: Key,
    remote_login_url: Option<String>,
    remote_logout_url: Option<String>,
    allowed_domains: Vec<String>,
    policy: Policy,
    replay_capacity: usize,
    kiosk_key: Option<Key>,
}

impl Config {
    fn resolve(args: Args) -> Result<Self, Failure> {
        let file = match &args.config {
            Some(path) => FileConfig::read(path)?,
            None => FileConfig::default(),
        };
        let key_source = if args.key.is_given() {
            args.key
        } else if file.key_file.is_some() && file.key_env.is_some() {
            return Err(Failure::usage(
                "the config file sets both key_file and key_env; keep one",
            ));
        } else {
            KeySource {
                key_file: file.key_file,
                key_env: file.key_env,
            }
        };
        let key = key_source.load()?;

        // The kiosk key follows the same rules as the HappyFox key: flags win, the file may
        // name one source, and a key the core refuses stops the server.
        let kiosk_source = if args.kiosk_key_file.is_some() || args.kiosk_key_env.is_some() {
            KeySource {
                key_file: args.kiosk_key_file,
                key_env: args.kiosk_key_env,
            }
        } else if file.kiosk_key_file.is_some() && file.kiosk_key_env.is_some() {
            return Err(Failure::usage(
                "the config file sets both kiosk_key_file and kiosk_key_env; keep one",
            ));
        } else {
            KeySource {
                key_file: file.kiosk_key_file,
                key_env: file.kiosk_key_env,
            }
        };
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

        let (account, domain) = match (args.account, args.domain) {
            (None, None) => (file.account, file.domain),
            flags => flags,
        };
        // The core validates the name the same way it does for login URLs.
        let title = match (account, domain) {
            (Some(_), Some(_)) => {
                return Err(Failure::usage("set account or domain, not both"));
            }
            (Some(a), None) => {
                hfjwt::logout_url::<512>(Site::Account(&a)).map_err(Failure::Config)?;
                format!("{a}.happyfox.com")
            }
            (None, Some(d)) => {
                hfjwt::logout_url::<512>(Site::Domain(&d)).map_err(Failure::Config)?;
                d
            }
            (None, None) => "HappyFox stand-in".to_owned(),
        };

        let remote_login_url = args.remote_login_url.or(file.remote_login_url);
        let remote_logout_url = args.remote_logout_url.or(file.remote_logout_url);
        for url in [&remote_login_url, &remote_logout_url]
            .into_iter()
            .flatten()
        {
            hfjwt::check_remote_url(url).map_err(Failure::Config)?;
        }
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
                    .unwrap_or(defaults.get_max_age()),
            )
            .leeway(args.leeway.or(file.leeway).unwrap_or(defaults.get_leeway()));
        let replay_capacity = args
            .replay_capacity
            .or(file.replay_capacity)
            .unwrap_or(1024);
        if replay_capacity == 0 {
            return Err(Failure::usage("replay_capacity must be at least 1"));
        }
        Ok(Config {
            port: args.port.or(file.port).unwrap_or(8080),
            title,
            key,
            remote_login_url,
            remote_logout_url,
            allowed_domains,
            policy,
            replay_capacity: usize::try_from(replay_capacity).unwrap_or(usize::MAX),
            kiosk_key,
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

/// Runs `serve` until Ctrl-C.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    let config = Config::resolve(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> Result<Outcome, Failure> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
        .await
        .map_err(|e| Failure::usage(format!("cannot listen on port {}: {e}", config.port)))?;
    let port = listener
        .local_addr()
        .map_err(|e| Failure::usage(format!("cannot read the bound address: {e}")))?
        .port();
    let origin = format!("http://127.0.0.1:{port}");
    let center = Arc::new(Center {
        remote_login_url: config
            .remote_login_url
            .unwrap_or_else(|| format!("{origin}/portal/login.html")),
        remote_logout_url: config
            .remote_logout_url
            .unwrap_or_else(|| format!("{origin}/portal/logout.html")),
        title: config.title,
        max_age: config.policy.get_max_age(),
        portal_key: config.key.clone(),
        kiosk_key: config.kiosk_key,
        judge: Mutex::new(Judge {
            verifier: build_verifier(
                config.key,
                config.policy,
                config.allowed_domains,
                config.replay_capacity,
            ),
            scratch: vec![0u8; hfjwt::scratch_len(config.policy.get_max_token_len())],
        }),
        sessions: Mutex::new(HashMap::new()),
        phone_users: Mutex::new(HashMap::new()),
        origin,
    });

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", center.origin)
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::usage(format!("cannot write to stdout: {e}")))?;
    drop(stdout);
    log(format_args!(
        "serving {} on {} (remote login {}, remote logout {}, kiosk page {})",
        center.title,
        center.origin,
        center.remote_login_url,
        center.remote_logout_url,
        if center.kiosk_key.is_some() {
            "on"
        } else {
            "off: no kiosk key"
        }
    ));

    axum::serve(listener, router(center))
        .with_graceful_shutdown(async {
            // If the signal handler cannot be installed, serve until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
        .map_err(|e| Failure::usage(format!("server stopped: {e}")))?;
    Ok(Outcome::Accepted)
}

fn router(center: Arc<Center>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/home") }))
        .route("/jwt/", get(jwt))
        .route("/jwt", get(jwt))
        .route("/home", get(|s, h| page(s, h, Section::Home)))
        .route("/tickets", get(|s, h| page(s, h, Section::Tickets)))
        .route("/kb", get(|s, h| page(s, h, Section::Kb)))
        .route("/login", get(login))
        .route("/logout", get(logout))
        .route("/portal/login.html", get(portal_form).post(portal_login))
        .route("/portal/logout.html", get(portal_logout))
        .route("/portal/kiosk.html", get(kiosk_page).post(kiosk_form))
        .route(STYLESHEET_PATH, get(stylesheet))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(center)
}

/// The support center's state: one verifier for the whole run, and the sessions.
struct Center {
    title: String,
    origin: String,
    remote_login_url: String,
    remote_logout_url: String,
    /// Seconds a HappyFox token passes after its `iat`, for the expired page's explanation.
    max_age: u64,
    /// The portal's copy of the shared key (the sample portal and HappyFox share it).
    portal_key: Key,
    /// The key kiosks verify portal tokens with; without it the phone page is off.
    kiosk_key: Option<Key>,
    judge: Mutex<Judge>,
    sessions: Mutex<HashMap<String, Person>>,
    /// The sample portal's phone users, by [`PORTAL_COOKIE`]; separate from `sessions`.
    phone_users: Mutex<HashMap<String, Person>>,
}

struct Judge {
    verifier: SimVerifier,
    scratch: Vec<u8>,
}

/// Who a session belongs to.
#[derive(Clone, Debug)]
struct Person {
    name: Option<String>,
    email: String,
}

impl Person {
    /// The name to greet them by: their name, or their email when the token had none.
    fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.email)
    }

    /// The name and email as a block, with an avatar letter.
    fn card_html(&self, label: &str) -> String {
        format!(
            "<div class=\"hf-person\"><span class=\"hf-logo\" aria-hidden=\"true\">{}</span>\
             <div><span class=\"hf-muted\">{}</span>\
             <span class=\"hf-person-name\">{}</span>\
             <span class=\"hf-person-email\">{}</span></div></div>",
            escape_html(&initial(self.display_name())),
            escape_html(label),
            escape_html(self.display_name()),
            escape_html(&self.email)
        )
    }
}

/// The support center's signed-in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Home,
    Tickets,
    Kb,
}

impl Section {
    const ALL: [Section; 3] = [Section::Home, Section::Tickets, Section::Kb];

    fn path(self) -> &'static str {
        match self {
            Section::Home => "/home",
            Section::Tickets => "/tickets",
            Section::Kb => "/kb",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Section::Home => "Home",
            Section::Tickets => "Tickets",
            Section::Kb => "Knowledge base",
        }
    }

    fn at(path: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.path() == path)
    }
}

/// A poisoned lock only means another request panicked mid-way; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn log(line: std::fmt::Arguments<'_>) {
    eprintln!("hfjwt-sim serve: {line}");
}

async fn jwt(
    State(c): State<Arc<Center>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let (mut token, mut return_to) = (None, None);
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "token" if token.is_none() => token = Some(v.into_owned()),
            "return_to" if return_to.is_none() => return_to = Some(v.into_owned()),
            _ => {}
        }
    }
    let signed_in = signed_in_person(&c, &headers);
    // return_to is checked first so that a bad one does not use up the token.
    let target = match return_to.as_deref().map(ReturnTo::parse).transpose() {
        Ok(r) => r.unwrap_or(ReturnTo::Home).path().to_owned(),
        Err(e) => {
            return reject_token(
                &c,
                e,
                None,
                Refusal::BadReturnTo,
                signed_in.as_ref(),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let now = match unix_now() {
        Ok(t) => t,
        Err(e) => return server_error(&c, &e.to_string()),
    };
    let token = token.unwrap_or_default();
    let verdict = {
        let mut judge = lock(&c.judge);
        let Judge { verifier, scratch } = &mut *judge;
        match verifier.verify_detailed(&token, now, scratch) {
            Ok(claims) => Ok((
                Person {
                    name: claims.name.map(str::to_owned),
                    email: claims.email.unwrap_or_default().to_owned(),
                },
                claims.jti.to_owned(),
            )),
            // Claims come back only when the signature verified, so they are safe to log.
            Err(r) => Err((
                r.error,
                r.claims
                    .map(|c| (c.jti.to_owned(), c.email.unwrap_or("-").to_owned())),
            )),
        }
    };
    let (person, jti) = match verdict {
        Ok(v) => v,
        Err((e, who)) => {
            // The core has judged; only the words depend on what else we know.
            let refusal = match (&signed_in, e.kind()) {
                _ if token.is_empty() => Refusal::NoToken,
                (Some(_), ErrorKind::Replayed) => Refusal::AlreadySignedIn { target: &target },
                (_, kind) => Refusal::Token(kind),
            };
            return reject_token(
                &c,
                e,
                who,
                refusal,
                signed_in.as_ref(),
                StatusCode::FORBIDDEN,
            );
        }
    };
    let Ok(location) = HeaderValue::from_str(&percent_encode_non_ascii(&target)) else {
        return server_error(&c, "return_to cannot be sent as a redirect");
    };
    log(format_args!(
        "decision=accepted jti={} email={}",
        jti.escape_debug(),
        person.email.escape_debug()
    ));
    let session = uuid::Uuid::new_v4().simple().to_string();
    let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax");
    lock(&c.sessions).insert(session, person);
    let mut headers = HeaderMap::new();
    headers.insert(LOCATION, location);
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        headers.insert(SET_COOKIE, cookie);
    }
    (StatusCode::FOUND, headers).into_response()
}

/// Why a sign-in link was refused, as the person who followed it needs to hear it.
#[derive(Clone, Copy, Debug)]
enum Refusal<'a> {
    /// The link carried no token (or an empty one).
    NoToken,
    /// The link's `return_to` is not a page of this support center.
    BadReturnTo,
    /// A browser that is still signed in followed a link that was already used.
    AlreadySignedIn { target: &'a str },
    /// Any other refusal, worded by the core's kind.
    Token(ErrorKind),
}

/// The colour and icon of a page's status heading (a class in the shared stylesheet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tone {
    Ok,
    Warning,
    Error,
    Info,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Ok => "hf-ok",
            Tone::Warning => "hf-warning",
            Tone::Error => "hf-error",
            Tone::Info => "hf-info",
        }
    }
}

/// The icon and heading row of a card.
fn status_html(tone: Tone, heading: &str) -> String {
    format!(
        "<div class=\"hf-status {}\"><span class=\"hf-icon\" aria-hidden=\"true\"></span>\
         <h1>{}</h1></div>",
        tone.class(),
        escape_html(heading)
    )
}

/// The words of a refusal page: tone, heading, what happened, what to do next.
struct Wording {
    tone: Tone,
    heading: &'static str,
    what: String,
    next: &'static str,
}

/// Plain words for each refusal. HappyFox's own wording is kept where we know it ("Remote
/// token has expired"); the kind itself only appears as a code for the help desk.
fn wording(refusal: Refusal<'_>, max_age: u64) -> Wording {
    const AGAIN: &str = "Go back to your company portal and sign in again to get a new link.";
    const IT: &str = "Sign in again from your company portal. If this keeps happening, \
                      contact your IT team.";
    let w = |tone, heading, what: &str, next| Wording {
        tone,
        heading,
        what: what.to_owned(),
        next,
    };
    match refusal {
        Refusal::NoToken => w(
            Tone::Warning,
            "No token given",
            "This sign-in link has no token in it, so there is no one to sign in.",
            "Open the support center from your company portal, or choose Log in below.",
        ),
        Refusal::BadReturnTo => w(
            Tone::Error,
            "This sign-in link points to a page that does not exist",
            "The page it asks to open after signing in is not a page of this support center. \
             You have not been signed in.",
            IT,
        ),
        Refusal::AlreadySignedIn { .. } => w(
            Tone::Ok,
            "You are already signed in",
            "This browser is still signed in, so the sign-in link is not needed again and \
             there is nothing more to do.",
            "Continue to the support center, or sign out if this is not you.",
        ),
        Refusal::Token(kind) => match kind {
            ErrorKind::Replayed => w(
                Tone::Warning,
                "This sign-in link was already used",
                "Each sign-in link works only once, and this one has been used already.",
                AGAIN,
            ),
            ErrorKind::Expired => Wording {
                tone: Tone::Warning,
                heading: "Remote token has expired",
                what: format!(
                    "Sign-in links work for {} after they are made, and this one is older \
                     than that.",
                    seconds_in_words(max_age)
                ),
                next: AGAIN,
            },
            ErrorKind::IssuedInFuture => w(
                Tone::Error,
                "This sign-in link is not valid yet",
                "It says it was made in the future, which usually means a clock is wrong on \
                 the portal's server or here.",
                "Try again in a minute. If it keeps happening, ask your IT team to check the \
                 portal server's clock.",
            ),
            ErrorKind::BadSignature => w(
                Tone::Error,
                "This sign-in link was not issued for this support center",
                "Its signature does not match this support center's key, so it may have been \
                 changed on the way or made by another site.",
                IT,
            ),
            ErrorKind::DomainNotAllowed => w(
                Tone::Error,
                "This email address cannot sign in here",
                "Only addresses from your company's approved domains can sign in to this \
                 support center.",
                "Sign in with your work email address, or contact your IT team.",
            ),
            ErrorKind::TooLarge => w(
                Tone::Error,
                "This sign-in link is too long",
                "It is longer than any genuine sign-in link, so it was not read.",
                IT,
            ),
            ErrorKind::Malformed | ErrorKind::UnsupportedAlgorithm => w(
                Tone::Error,
                "This sign-in link is damaged",
                "Part of it is missing or changed, for example because it was cut off when it \
                 was copied.",
                IT,
            ),
            ErrorKind::MissingClaim | ErrorKind::InvalidClaim => w(
                Tone::Error,
                "This sign-in link does not say who you are",
                "It has no valid email address or sign-in details, so no one can be signed \
                 in with it.",
                IT,
            ),
            ErrorKind::ReplayCacheFull => w(
                Tone::Warning,
                "Too many sign-ins right now",
                "The support center is handling more sign-ins at once than it can safely keep \
                 track of.",
                "Wait a minute, then sign in again from your company portal.",
            ),
            // weak_key, buffer_too_small, and kinds a later core may add.
            _ => w(
                Tone::Error,
                "Sign-in is not available",
                "The support center could not check this sign-in link.",
                "Try again later. If this keeps happening, contact your IT team.",
            ),
        },
    }
}

/// "120 seconds (2 minutes)", "1 second".
fn seconds_in_words(s: u64) -> String {
    match s {
        1 => "1 second".to_owned(),
        s if s >= 120 && s % 60 == 0 => format!("{s} seconds ({} minutes)", s / 60),
        s => format!("{s} seconds"),
    }
}

/// The error page for a refused sign-in, logging the token's `jti` and email when its
/// signature verified. The kind goes in the `x-hfjwt-error` header.
fn reject_token(
    c: &Center,
    e: hfjwt::Error,
    who: Option<(String, String)>,
    refusal: Refusal<'_>,
    signed_in: Option<&Person>,
    status: StatusCode,
) -> Response {
    let kind = e.kind().as_str();
    let (jti, email) = who.unwrap_or_else(|| ("-".into(), "-".into()));
    log(format_args!(
        "decision=rejected kind={kind} jti={} email={} ({})",
        jti.escape_debug(),
        email.escape_debug(),
        e.detail()
    ));
    let words = wording(refusal, c.max_age);
    let mut card = status_html(words.tone, words.heading);
    let actions = match (refusal, signed_in) {
        (Refusal::AlreadySignedIn { target }, Some(person)) => {
            card.push_str(&person.card_html("Signed in as"));
            let place = Section::at(target).map_or("the support center", Section::title);
            format!(
                "<a class=\"hf-button\" href=\"{}\">Continue to {}</a>\
                 <a class=\"hf-button hf-secondary\" href=\"/logout\">Sign out</a>",
                escape_html(target),
                escape_html(place)
            )
        }
        (refusal, _) => format!(
            "<a class=\"hf-button\" href=\"/login\">{}</a>\
             <a class=\"hf-button hf-secondary\" href=\"/home\">Support center home</a>",
            if matches!(refusal, Refusal::NoToken) {
                "Log in"
            } else {
                "Sign in again"
            }
        ),
    };
    card.push_str(&format!(
        "\n<p class=\"hf-lead\">{}</p>\n<p class=\"hf-muted\">{}</p>\n\
         <div class=\"hf-actions\">{actions}</div>\n\
         <p class=\"hf-fine\">Error code for your help desk: <code>{kind}</code></p>",
        escape_html(&words.what),
        escape_html(words.next),
    ));
    let frame = support_frame(c, signed_in, None);
    let mut response = html_response(status, frame.render(words.heading, &cards(&[&card])));
    response.headers_mut().insert(
        HeaderName::from_static(ERROR_HEADER),
        HeaderValue::from_static(kind),
    );
    response
}

fn server_error(c: &Center, message: &str) -> Response {
    log(format_args!("error: {message}"));
    let card = format!(
        "{}\n<p class=\"hf-lead\">Something went wrong on this server.</p>\n\
         <p class=\"hf-muted\">{}</p>",
        status_html(Tone::Error, "Server error"),
        escape_html(message)
    );
    html_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        support_frame(c, None, None).render("Server error", &cards(&[&card])),
    )
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

fn session_id(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}

/// The person this browser's support-center session belongs to, if it has a live one.
fn signed_in_person(c: &Center, headers: &HeaderMap) -> Option<Person> {
    session_id(headers).and_then(|id| lock(&c.sessions).get(&id).cloned())
}

async fn page(State(c): State<Arc<Center>>, headers: HeaderMap, section: Section) -> Response {
    let person = signed_in_person(&c, &headers);
    let card = match &person {
        Some(p) => format!(
            "<h1>{}</h1>\n{}\n{}\n<div class=\"hf-actions\">\
             <a class=\"hf-button hf-secondary\" href=\"/logout\">Sign out</a></div>",
            section.title(),
            p.card_html("Signed in as"),
            section_html(section, p)
        ),
        None => format!(
            "{}\n<p class=\"hf-lead\">Log in with your company account to see {}.</p>\n\
             <div class=\"hf-actions\"><a class=\"hf-button\" href=\"/login\">Log in</a></div>",
            status_html(Tone::Info, "Not signed in"),
            match section {
                Section::Home => "your support center",
                Section::Tickets => "your tickets",
                Section::Kb => "the knowledge base",
            }
        ),
    };
    let frame = support_frame(&c, person.as_ref(), Some(section));
    html_response(
        StatusCode::OK,
        frame.render(section.title(), &cards(&[&card])),
    )
}

/// The body of a signed-in section: enough of a support center to look like one.
fn section_html(section: Section, p: &Person) -> String {
    match section {
        Section::Home => format!(
            "<p class=\"hf-lead\">Welcome, {}. How can we help?</p>\n<ul class=\"hf-list\">\
             <li><a href=\"/tickets\">My tickets</a>\
             <span class=\"hf-list-meta\">Follow up on your requests</span></li>\
             <li><a href=\"/kb\">Knowledge base</a>\
             <span class=\"hf-list-meta\">Answers to common questions</span></li></ul>",
            escape_html(p.display_name())
        ),
        Section::Tickets => "<h2>Your tickets</h2>\n<ul class=\"hf-list\"><li>\
             <span>You have no open tickets.</span>\
             <span class=\"hf-list-meta\">Requests you send appear here</span></li></ul>"
            .to_owned(),
        Section::Kb => "<h2>Popular articles</h2>\n<ul class=\"hf-list\">\
             <li><span>Signing in with your company account</span>\
             <span class=\"hf-list-meta\">2 min read</span></li>\
             <li><span>Using the on-site kiosk</span>\
             <span class=\"hf-list-meta\">3 min read</span></li>\
             <li><span>Following up on a ticket</span>\
             <span class=\"hf-list-meta\">2 min read</span></li></ul>"
            .to_owned(),
    }
}

async fn login(State(c): State<Arc<Center>>) -> Response {
    redirect(&c.remote_login_url)
}

async fn logout(State(c): State<Arc<Center>>, headers: HeaderMap) -> Response {
    let person = session_id(&headers).and_then(|id| lock(&c.sessions).remove(&id));
    match person {
        Some(p) => log(format_args!(
            "decision=logout email={}",
            p.email.escape_debug()
        )),
        None => log(format_args!("decision=logout email=- (no session)")),
    }
    let mut response = redirect(&c.remote_logout_url);
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("hfjwt_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(&percent_encode_non_ascii(location)) {
        Ok(v) => (StatusCode::FOUND, [(LOCATION, v)]).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "bad redirect target").into_response(),
    }
}

async fn not_found(State(c): State<Arc<Center>>, headers: HeaderMap, uri: Uri) -> Response {
    let person = signed_in_person(&c, &headers);
    let card = format!(
        "{}\n<p class=\"hf-lead\">There is no page at <code>{}</code>.</p>\n\
         <p class=\"hf-muted\">The link may be old or mistyped.</p>\n\
         <div class=\"hf-actions\"><a class=\"hf-button\" href=\"/home\">Support center home</a>\
         <a class=\"hf-button hf-secondary\" href=\"/portal/login.html\">Company portal</a></div>",
        status_html(Tone::Warning, "Page not found"),
        escape_html(uri.path())
    );
    html_response(
        StatusCode::NOT_FOUND,
        support_frame(&c, person.as_ref(), None).render("Page not found", &cards(&[&card])),
    )
}

async fn method_not_allowed(State(c): State<Arc<Center>>, uri: Uri) -> Response {
    let card = format!(
        "{}\n<p class=\"hf-lead\">The page at <code>{}</code> cannot be used that way.</p>\n\
         <div class=\"hf-actions\"><a class=\"hf-button\" href=\"/home\">Support center home</a>\
         </div>",
        status_html(Tone::Warning, "Not available"),
        escape_html(uri.path())
    );
    html_response(
        StatusCode::METHOD_NOT_ALLOWED,
        support_frame(&c, None, None).render("Not available", &cards(&[&card])),
    )
}

async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

// ---- the sample portal ------------------------------------------------------------------

/// The sample portal's pages in its navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PortalPage {
    SignIn,
    Kiosk,
    Other,
}

async fn portal_form(State(c): State<Arc<Center>>) -> Response {
    portal_form_page(&c, StatusCode::OK, None, &PortalForm::default())
}

/// The portal's sign-in form, with a refusal above it when there is one.
fn portal_form_page(
    c: &Center,
    status: StatusCode,
    problem: Option<&hfjwt::Error>,
    form: &PortalForm,
) -> Response {
    let mut card = format!(
        "<h1>Sign in to the support center</h1>\n\
         <p class=\"hf-muted\">This sample portal signs you in to {} with your name and email.\
         </p>\n",
        escape_html(&c.title)
    );
    if let Some(e) = problem {
        card.push_str(&portal_problem_html(e));
    }
    let selected = |v: &str| {
        if form.return_to == v { " selected" } else { "" }
    };
    card.push_str(&format!(
        "<form method=\"post\" action=\"/portal/login.html\">\n\
         <label class=\"hf-field\">Name <input name=\"name\" autocomplete=\"name\" value=\"{}\">\
         </label>\n\
         <label class=\"hf-field\">Email <input name=\"email\" type=\"email\" required \
         autocomplete=\"email\" value=\"{}\"></label>\n\
         <label class=\"hf-field\">Go to <select name=\"return_to\">\
         <option value=\"home\"{}>Home</option><option value=\"tickets\"{}>Tickets</option>\
         <option value=\"kb\"{}>Knowledge base</option></select></label>\n\
         <button class=\"hf-button\" type=\"submit\">Sign in</button>\n</form>",
        escape_html(&form.name),
        escape_html(&form.email),
        selected("home"),
        selected("tickets"),
        selected("kb"),
    ));
    let kiosk = "<h2>At an on-site kiosk?</h2>\n<p class=\"hf-muted\">Show a sign-in code on \
                 your phone and hold it up to the kiosk's scanner.</p>\n\
                 <div class=\"hf-actions\"><a class=\"hf-button hf-secondary\" \
                 href=\"/portal/kiosk.html\">Sign in at a kiosk</a></div>";
    let frame = portal_frame(c, PortalPage::SignIn, "");
    let mut response = html_response(status, frame.render("Sign in", &cards(&[&card, kiosk])));
    if let Some(e) = problem {
        response.headers_mut().insert(
            HeaderName::from_static(ERROR_HEADER),
            HeaderValue::from_static(e.kind().as_str()),
        );
    }
    response
}

/// Why the portal could not use a form's details, in plain words.
fn portal_problem_html(e: &hfjwt::Error) -> String {
    let text = match e.kind() {
        ErrorKind::InvalidClaim | ErrorKind::MissingClaim => {
            "Enter a valid email address, such as jo@example.com."
        }
        ErrorKind::Malformed => "Choose one of the pages in the list.",
        _ => "The portal could not sign you in with these details.",
    };
    format!(
        "<div class=\"hf-alert hf-error\" role=\"alert\"><span class=\"hf-icon\" \
         aria-hidden=\"true\"></span><span>{}</span></div>\n",
        escape_html(text)
    )
}

/// The sample portal's sign-in form.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct PortalForm {
    name: String,
    email: String,
    return_to: String,
}

async fn portal_login(State(c): State<Arc<Center>>, Form(form): Form<PortalForm>) -> Response {
    let name = Some(form.name.trim()).filter(|n| !n.is_empty());
    let jti = uuid::Uuid::new_v4().to_string();
    let token = match mint_token(&c.portal_key, form.email.trim(), name, None, Some(&jti)) {
        Ok(t) => t,
        Err(Failure::Rejected(e) | Failure::Config(e)) => return portal_error(&c, &e, &form),
        Err(Failure::Usage(m)) => return server_error(&c, &m),
    };
    let return_to = match Some(form.return_to.as_str())
        .filter(|r| !r.is_empty())
        .map(ReturnTo::parse)
        .transpose()
    {
        Ok(r) => r,
        Err(e) => return portal_error(&c, &e, &form),
    };
    match hfjwt::login_url::<MAX_URL_LEN>(Site::Origin(&c.origin), &token, return_to) {
        Ok(url) => {
            log(format_args!(
                "decision=portal_minted jti={jti} email={}",
                form.email.trim().escape_debug()
            ));
            redirect(&url)
        }
        Err(e) => portal_error(&c, &e, &form),
    }
}

fn portal_error(c: &Center, e: &hfjwt::Error, form: &PortalForm) -> Response {
    log(format_args!(
        "decision=portal_refused kind={}",
        e.kind().as_str()
    ));
    portal_form_page(c, StatusCode::BAD_REQUEST, Some(e), form)
}

async fn portal_logout(State(c): State<Arc<Center>>) -> Response {
    let card = format!(
        "{}\n<p class=\"hf-lead\">You are signed out of the support center.</p>\n\
         <div class=\"hf-actions\"><a class=\"hf-button\" href=\"/portal/login.html\">\
         Sign in again</a></div>",
        status_html(Tone::Ok, "Signed out")
    );
    let frame = portal_frame(&c, PortalPage::Other, "");
    html_response(StatusCode::OK, frame.render("Signed out", &cards(&[&card])))
}

// ---- the phone page for kiosk sign-in -----------------------------------------------------

/// The kiosk page's form: the phone user's details, or `sign_out`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct KioskForm {
    name: String,
    email: String,
    sign_out: String,
}

/// The phone user this browser signed in to the portal's kiosk page as, if any.
fn phone_user(c: &Center, headers: &HeaderMap) -> Option<Person> {
    cookie_value(headers, PORTAL_COOKIE).and_then(|id| lock(&c.phone_users).get(&id).cloned())
}

async fn kiosk_page(State(c): State<Arc<Center>>, headers: HeaderMap) -> Response {
    let Some(key) = &c.kiosk_key else {
        return kiosk_not_set_up(&c);
    };
    match phone_user(&c, &headers) {
        Some(person) => kiosk_code_page(&c, key, &person),
        None => kiosk_form_page(&c, StatusCode::OK, None, &KioskForm::default()),
    }
}

async fn kiosk_form(
    State(c): State<Arc<Center>>,
    headers: HeaderMap,
    Form(form): Form<KioskForm>,
) -> Response {
    if !form.sign_out.is_empty() {
        if let Some(id) = cookie_value(&headers, PORTAL_COOKIE)
            && let Some(p) = lock(&c.phone_users).remove(&id)
        {
            log(format_args!(
                "decision=portal_kiosk_signed_out email={}",
                p.email.escape_debug()
            ));
        }
        return see_other_with_cookie(
            "/portal/kiosk.html",
            &format!("{PORTAL_COOKIE}=; Path=/portal; HttpOnly; SameSite=Lax; Max-Age=0"),
        );
    }
    let Some(key) = &c.kiosk_key else {
        return kiosk_not_set_up(&c);
    };
    let person = Person {
        name: Some(form.name.trim().to_owned()).filter(|n| !n.is_empty()),
        email: form.email.trim().to_owned(),
    };
    // Mint once now so that details the core refuses are shown on the form, not later.
    match mint_token(key, &person.email, person.name.as_deref(), None, None) {
        Ok(_) => {}
        Err(Failure::Rejected(e) | Failure::Config(e)) => {
            log(format_args!(
                "decision=portal_refused kind={}",
                e.kind().as_str()
            ));
            return kiosk_form_page(&c, StatusCode::BAD_REQUEST, Some(&e), &form);
        }
        Err(Failure::Usage(m)) => return server_error(&c, &m),
    }
    log(format_args!(
        "decision=portal_kiosk_signed_in email={}",
        person.email.escape_debug()
    ));
    let id = uuid::Uuid::new_v4().simple().to_string();
    lock(&c.phone_users).insert(id.clone(), person);
    see_other_with_cookie(
        "/portal/kiosk.html",
        &format!("{PORTAL_COOKIE}={id}; Path=/portal; HttpOnly; SameSite=Lax"),
    )
}

/// 303 to `location` (so a reload does not post the form again), setting `cookie`.
fn see_other_with_cookie(location: &'static str, cookie: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(LOCATION, HeaderValue::from_static(location));
    if let Ok(v) = HeaderValue::from_str(cookie) {
        headers.insert(SET_COOKIE, v);
    }
    (StatusCode::SEE_OTHER, headers).into_response()
}

/// "Sign in at a kiosk": the form, with a refusal above it when there is one.
fn kiosk_form_page(
    c: &Center,
    status: StatusCode,
    problem: Option<&hfjwt::Error>,
    form: &KioskForm,
) -> Response {
    let mut card = "<h1>Sign in at a kiosk</h1>\n<p class=\"hf-muted\">Enter your details and \
                    your phone shows a sign-in code. Hold it up to the kiosk's scanner.</p>\n"
        .to_owned();
    if let Some(e) = problem {
        card.push_str(&portal_problem_html(e));
    }
    card.push_str(&format!(
        "<form method=\"post\" action=\"/portal/kiosk.html\">\n\
         <label class=\"hf-field\">Name <input name=\"name\" autocomplete=\"name\" value=\"{}\">\
         </label>\n\
         <label class=\"hf-field\">Email <input name=\"email\" type=\"email\" required \
         autocomplete=\"email\" value=\"{}\"></label>\n\
         <button class=\"hf-button\" type=\"submit\">Show my sign-in code</button>\n</form>",
        escape_html(&form.name),
        escape_html(&form.email),
    ));
    let frame = portal_frame(c, PortalPage::Kiosk, "");
    let mut response = html_response(status, frame.render("Sign in at a kiosk", &cards(&[&card])));
    if let Some(e) = problem {
        response.headers_mut().insert(
            HeaderName::from_static(ERROR_HEADER),
            HeaderValue::from_static(e.kind().as_str()),
        );
    }
    response
}

/// The phone page without a kiosk key: what is missing, for the person and for whoever runs
/// the portal.
fn kiosk_not_set_up(c: &Center) -> Response {
    let card = format!(
        "{}\n<p class=\"hf-lead\">Sign-in codes for on-site kiosks are not available here.\
         </p>\n<p class=\"hf-muted\">Sign in on a computer instead, or ask your IT team.</p>\n\
         <div class=\"hf-actions\"><a class=\"hf-button\" href=\"/portal/login.html\">\
         Sign in to the support center</a></div>\n\
         <p class=\"hf-fine\">For the portal's administrator: start it with \
         <code>--kiosk-key-file FILE</code> or <code>--kiosk-key-env VAR</code> \
         (<code>kiosk_key_file</code> / <code>kiosk_key_env</code> in its config file), \
         holding the key the kiosks verify portal codes with (their <code>portal_key</code>).\
         </p>",
        status_html(Tone::Warning, "This portal is not set up for kiosks")
    );
    let frame = portal_frame(c, PortalPage::Kiosk, "");
    html_response(
        StatusCode::SERVICE_UNAVAILABLE,
        frame.render("Not set up for kiosks", &cards(&[&card])),
    )
}

/// The phone page proper: a fresh portal token (name, email, iat = now, a fresh jti) minted
/// through the core with the kiosk key, as a QR code and as text, with a countdown. The
/// script fetches this page again [`KIOSK_RENEW_BEFORE`] seconds before the token runs out
/// and swaps in the new code; without JavaScript the page reloads itself.
fn kiosk_code_page(c: &Center, key: &Key, person: &Person) -> Response {
    let now = match unix_now() {
        Ok(t) => t,
        Err(e) => return server_error(c, &e.to_string()),
    };
    let jti = uuid::Uuid::new_v4().to_string();
    let token = match mint_token(
        key,
        &person.email,
        person.name.as_deref(),
        Some(now),
        Some(&jti),
    ) {
        Ok(t) => t,
        Err(e) => return server_error(c, &e.to_string()),
    };
    let qr = match qr_svg(&token) {
        Ok(svg) => svg,
        Err(e) => return server_error(c, &format!("cannot draw the QR code: {e}")),
    };
    log(format_args!(
        "decision=portal_kiosk_minted jti={jti} email={}",
        person.email.escape_debug()
    ));
    let card = format!(
        "<div id=\"kiosk-code\" data-valid-for=\"{KIOSK_TOKEN_SECONDS}\" \
         data-renew-before=\"{KIOSK_RENEW_BEFORE}\">\n\
         <h1>Scan this at the kiosk</h1>\n\
         <div class=\"hf-qr\">{qr}</div>\n\
         <p class=\"hf-countdown\">Valid for \
         <span data-seconds-left>{KIOSK_TOKEN_SECONDS}</span> more seconds</p>\n\
         <div class=\"hf-meter\"><span data-meter></span></div>\n\
         <p class=\"hf-muted\">A new code appears before this one runs out. Each code signs you \
         in once.</p>\n\
         {}\n\
         <p class=\"hf-muted\">The code as text:</p>\n\
         <code class=\"hf-token\" data-token>{}</code>\n\
         </div>\n\
         <form class=\"hf-inline\" method=\"post\" action=\"/portal/kiosk.html\">\
         <div class=\"hf-actions\"><button class=\"hf-button hf-secondary\" type=\"submit\" \
         name=\"sign_out\" value=\"1\">Not you? Sign out</button></div></form>",
        person.card_html("Signing in as"),
        escape_html(&token),
    );
    let head = format!(
        "<noscript><meta http-equiv=\"refresh\" content=\"{}\"></noscript>",
        KIOSK_TOKEN_SECONDS - KIOSK_RENEW_BEFORE
    );
    let frame = portal_frame(c, PortalPage::Kiosk, &head);
    let main = format!(
        "{}\n<script>{RENEW_SCRIPT}</script>",
        cards_with_class("hf-card hf-center", &[&card])
    );
    let mut response = html_response(StatusCode::OK, frame.render("Your kiosk code", &main));
    // The page holds a live token: never keep it in a cache.
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Counts down the code's seconds and swaps in a fresh code (fetched from the same page)
/// shortly before it runs out; on a failed fetch it tries again every 5 s.
const RENEW_SCRIPT: &str = r#"
(function () {
  "use strict";
  var deadline = 0, total = 1, renewing = false, retryAt = 0;
  function box() { return document.getElementById("kiosk-code"); }
  function start() {
    total = Number(box().getAttribute("data-valid-for")) || 1;
    deadline = Date.now() + total * 1000;
    renewing = false;
  }
  function renew() {
    if (renewing || Date.now() < retryAt) { return; }
    renewing = true;
    fetch(location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("kiosk-code");
        if (!next) { location.reload(); return; }
        box().replaceWith(next);
        start();
        tick();
      })
      .catch(function () { renewing = false; retryAt = Date.now() + 5000; });
  }
  function tick() {
    var b = box();
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    b.querySelector("[data-seconds-left]").textContent = String(left);
    b.querySelector("[data-meter]").style.width = (100 * left / total) + "%";
    if (left <= Number(b.getAttribute("data-renew-before"))) { renew(); }
  }
  start();
  tick();
  setInterval(tick, 1000);
})();
"#;

/// `text` as an inline SVG QR code: error correction M (15 %) and the 4-module quiet zone,
/// black on white, one SVG unit per module; the stylesheet scales it to the card's width,
/// which for a ~250-character token gives modules of about 5 CSS pixels on a phone.
fn qr_svg(text: &str) -> Result<String, qrcode::types::QrError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(1, 1)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // Inline in HTML: no XML declaration; an accessible name instead.
    let body = svg
        .find("<svg")
        .and_then(|start| svg.get(start + "<svg".len()..))
        .unwrap_or_default();
    Ok(format!(
        "<svg role=\"img\" aria-label=\"QR code of your sign-in code\"{body}"
    ))
}

// ---- page frames --------------------------------------------------------------------------

/// The header, navigation and footer around a page's cards.
struct Frame {
    site: String,
    product: &'static str,
    logo: String,
    nav: String,
    footer: String,
    head: String,
}

impl Frame {
    /// The whole document: `main` goes inside `<main>`.
    fn render(&self, title: &str, main: &str) -> String {
        format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{} · {}</title>\n<link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\">\n{}\
             </head>\n<body>\n<header class=\"hf-header\">\n<div class=\"hf-brand\">\
             <span class=\"hf-logo\" aria-hidden=\"true\">{}</span><span>\
             <span class=\"hf-site\">{}</span><span class=\"hf-product\">{}</span></span></div>\n\
             <nav class=\"hf-nav\">{}</nav>\n</header>\n<main class=\"hf-main\">\n{main}\n</main>\n\
             <footer class=\"hf-footer\">{}</footer>\n</body>\n</html>\n",
            escape_html(title),
            escape_html(&self.site),
            self.head,
            escape_html(&self.logo),
            escape_html(&self.site),
            escape_html(self.product),
            self.nav,
            self.footer,
        )
    }
}

/// The first letter or digit of `s`, upper-cased, for a logo or avatar.
fn initial(s: &str) -> String {
    s.chars()
        .find(|c| c.is_alphanumeric())
        .map_or_else(|| "?".to_owned(), |c| c.to_uppercase().collect())
}

/// The support center's frame: its sections, and who is signed in with a sign-out link (or
/// "Log in").
fn support_frame(c: &Center, person: Option<&Person>, active: Option<Section>) -> Frame {
    let mut nav = String::new();
    for s in Section::ALL {
        let current = if active == Some(s) {
            " aria-current=\"page\""
        } else {
            ""
        };
        nav.push_str(&format!(
            "<a href=\"{}\"{current}>{}</a>",
            s.path(),
            s.title()
        ));
    }
    match person {
        Some(p) => nav.push_str(&format!(
            "<span class=\"hf-user\">{}</span><a href=\"/logout\">Sign out</a>",
            escape_html(p.display_name())
        )),
        None => nav.push_str("<a href=\"/login\">Log in</a>"),
    }
    Frame {
        logo: initial(&c.title),
        site: c.title.clone(),
        product: "Support center",
        nav,
        footer: format!(
            "{} · a local stand-in for a HappyFox support center, served by hfjwt-sim",
            escape_html(&c.title)
        ),
        head: String::new(),
    }
}

/// The sample portal's frame.
fn portal_frame(c: &Center, active: PortalPage, head: &str) -> Frame {
    let link = |page: PortalPage, href: &str, text: &str| {
        let current = if active == page {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<a href=\"{href}\"{current}>{text}</a>")
    };
    Frame {
        site: "Company portal".to_owned(),
        product: "Single sign-on",
        logo: "C".to_owned(),
        nav: format!(
            "{}{}",
            link(PortalPage::SignIn, "/portal/login.html", "Sign in"),
            link(PortalPage::Kiosk, "/portal/kiosk.html", "Kiosk sign-in")
        ),
        footer: format!(
            "A sample company portal for {}, served by hfjwt-sim",
            escape_html(&c.title)
        ),
        head: head.to_owned(),
    }
}

/// Each of `bodies` in its own card.
fn cards(bodies: &[&str]) -> String {
    cards_with_class("hf-card", bodies)
}

fn cards_with_class(class: &str, bodies: &[&str]) -> String {
    bodies
        .iter()
        .map(|b| format!("<section class=\"{class}\">\n{b}\n</section>"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn html_response(status: StatusCode, page: String) -> Response {
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Header values must be visible ASCII: percent-encode the bytes of non-ASCII characters.
fn percent_encode_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_and_non_ascii_redirects() {
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(percent_encode_non_ascii("/kb/é"), "/kb/%C3%A9");
    }

    #[test]
    fn every_kind_is_worded_without_jargon() {
        for kind in ErrorKind::ALL {
            let w = wording(Refusal::Token(kind), 120);
            let all = format!("{} {} {}", w.heading, w.what, w.next);
            // No snake_case kinds either: those are for the header and the help desk.
            for jargon in ["jti", "iat", "claim", "token replayed", "_"] {
                assert!(!all.contains(jargon), "{kind:?}: {all}");
            }
            assert!(!w.heading.is_empty() && !w.next.is_empty());
        }
        let expired = wording(Refusal::Token(ErrorKind::Expired), 120);
        assert_eq!(expired.heading, "Remote token has expired");
        assert!(expired.what.contains("120 seconds (2 minutes)"));
        assert_eq!(
            wording(Refusal::Token(ErrorKind::Replayed), 120).heading,
            "This sign-in link was already used"
        );
        assert_eq!(wording(Refusal::NoToken, 120).heading, "No token given");
        let again = wording(Refusal::AlreadySignedIn { target: "/kb" }, 120);
        assert_eq!(
            (again.heading, again.tone),
            ("You are already signed in", Tone::Ok)
        );
    }

    #[test]
    fn the_phone_page_counts_down_the_kiosk_window() {
        // A kiosk judges portal tokens with the core's default window.
        assert_eq!(KIOSK_TOKEN_SECONDS, Policy::new().get_max_age());
    }

    #[test]
    fn seconds_read_as_words() {
        assert_eq!(seconds_in_words(1), "1 second");
        assert_eq!(seconds_in_words(60), "60 seconds");
        assert_eq!(seconds_in_words(120), "120 seconds (2 minutes)");
        assert_eq!(seconds_in_words(150), "150 seconds");
    }

    #[test]
    fn qr_code_is_inline_svg_black_on_white_with_a_quiet_zone() {
        let text = "eyJ".repeat(90);
        let svg = qr_svg(&text).unwrap();
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\""), "{svg}");
        assert!(!svg.contains("<?xml"));
        assert!(svg.ends_with("</svg>"));
        // One unit per module, four modules of quiet zone on each side.
        let modules =
            qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
                .unwrap()
                .width();
        let side = modules + 8;
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")),
            "{svg}"
        );
        assert!(svg.contains("fill=\"#ffffff\"") && svg.contains("fill=\"#000000\""));
    }

    #[test]
    fn pages_link_the_stylesheet_and_escape_their_frame() {
        let frame = Frame {
            site: "<acme>".into(),
            product: "Support center",
            logo: "A".into(),
            nav: String::new(),
            footer: String::new(),
            head: String::new(),
        };
        let page = frame.render("T & T", "<p>x</p>");
        assert!(page.contains("<link rel=\"stylesheet\" href=\"/assets/hfjwt.css\">"));
        assert!(page.contains("<title>T &amp; T · &lt;acme&gt;</title>"));
        assert!(page.contains("<main class=\"hf-main\">\n<p>x</p>\n</main>"));
        assert!(STYLESHEET.contains(".hf-card"));
    }

    #[test]
    fn finds_the_session_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; hfjwt_session=abc; b=2"),
        );
        assert_eq!(session_id(&h).as_deref(), Some("abc"));
        assert_eq!(session_id(&HeaderMap::new()), None);
        assert_eq!(cookie_value(&h, "b").as_deref(), Some("2"));
        assert_eq!(cookie_value(&h, PORTAL_COOKIE), None);
    }
}
