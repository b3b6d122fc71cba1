//! `hfjwt-sim serve`: a local stand-in for the HappyFox side of JWT single sign-on, plus a
//! sample login portal, so a portal can be tested end to end without a HappyFox account.
//!
//! Routes:
//! - `GET /jwt/?token=…&return_to=…`: verifies through the core (120 s, single-use `jti`,
//!   allow-listed domains); signed in → 302 to `return_to` (default `/home`) with a session
//!   cookie; rejected → 403 error page with the reason (header `x-hfjwt-error: <kind>`).
//! - `GET /home`, `/tickets`, `/kb`: show who is signed in.
//! - `GET /login` → 302 to the Remote Login URL; `GET /logout` ends the session → 302 to the
//!   Remote Logout URL.
//! - `GET|POST /portal/login.html`, `GET /portal/logout.html`: the sample portal; its form
//!   mints a token through the core and redirects to `/jwt/`.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Form, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
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

/// The response header naming the kind of a rejection, for scripts and tests.
const ERROR_HEADER: &str = "x-hfjwt-error";

/// Run a local HappyFox support-center stand-in on 127.0.0.1 with a sample login portal.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Settings come from flags, then from the TOML file given by --config (flags win). \
The file may set: port, account or domain, key_file (relative to the file) or key_env, \
remote_login_url, remote_logout_url, allowed_domains = [..], max_age, leeway, \
replay_capacity.

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
}

impl FileConfig {
    fn read(path: &Path) -> Result<Self, Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        let mut config: FileConfig = toml::from_str(&text).map_err(|e| {
            let msg = e.message().to_owned();
            Failure::usage(format!("{}: {}", path.display(), msg.replace('\n', " ")))
        })?;
        // A relative key_file is relative to the config file, not to the working directory.
        if let (Some(key_file), Some(dir)) = (&mut config.key_file, path.parent())
            && key_file.is_relative()
        {
            *key_file = dir.join(&*key_file);
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
        })
    }
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
        portal_key: config.key.clone(),
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
        origin,
    });

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", center.origin)
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::usage(format!("cannot write to stdout: {e}")))?;
    drop(stdout);
    log(format_args!(
        "serving {} on {} (remote login {}, remote logout {})",
        center.title, center.origin, center.remote_login_url, center.remote_logout_url
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
        .route("/home", get(|s, h| page(s, h, "Home")))
        .route("/tickets", get(|s, h| page(s, h, "Tickets")))
        .route("/kb", get(|s, h| page(s, h, "Knowledge base")))
        .route("/login", get(login))
        .route("/logout", get(logout))
        .route("/portal/login.html", get(portal_form).post(portal_login))
        .route("/portal/logout.html", get(portal_logout))
        .with_state(center)
}

/// The support center's state: one verifier for the whole run, and the sessions.
struct Center {
    title: String,
    origin: String,
    remote_login_url: String,
    remote_logout_url: String,
    /// The portal's copy of the shared key (the sample portal and HappyFox share it).
    portal_key: Key,
    judge: Mutex<Judge>,
    sessions: Mutex<HashMap<String, Person>>,
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

/// A poisoned lock only means another request panicked mid-way; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn log(line: std::fmt::Arguments<'_>) {
    eprintln!("hfjwt-sim serve: {line}");
}

async fn jwt(State(c): State<Arc<Center>>, RawQuery(query): RawQuery) -> Response {
    let (mut token, mut return_to) = (None, None);
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "token" if token.is_none() => token = Some(v.into_owned()),
            "return_to" if return_to.is_none() => return_to = Some(v.into_owned()),
            _ => {}
        }
    }
    // return_to is checked first so that a bad one does not use up the token.
    let target = match return_to.as_deref().map(ReturnTo::parse).transpose() {
        Ok(r) => r.unwrap_or(ReturnTo::Home).path().to_owned(),
        Err(e) => return reject(&c, e, StatusCode::BAD_REQUEST),
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
        Err((e, who)) => return reject_token(&c, e, who, StatusCode::FORBIDDEN),
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

/// The error page for a refused sign-in, in HappyFox's words where we know them.
fn reject(c: &Center, e: hfjwt::Error, status: StatusCode) -> Response {
    reject_token(c, e, None, status)
}

/// [`reject`], logging the token's `jti` and email when its signature verified.
fn reject_token(
    c: &Center,
    e: hfjwt::Error,
    who: Option<(String, String)>,
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
    let reason = match e.kind() {
        ErrorKind::Expired => "Remote token has expired".to_owned(),
        _ => e.to_string(),
    };
    let body = format!(
        "<h1>Sign-in failed</h1>\n<p class=\"reason\">{}</p>\n<p>Error: <code>{kind}</code></p>\n\
         <p><a href=\"/login\">Try again</a></p>",
        escape_html(&reason)
    );
    let mut response = (status, html(&c.title, "Sign-in failed", &body)).into_response();
    response.headers_mut().insert(
        HeaderName::from_static(ERROR_HEADER),
        HeaderValue::from_static(kind),
    );
    response
}

fn server_error(c: &Center, message: &str) -> Response {
    log(format_args!("error: {message}"));
    let body = format!("<h1>Server error</h1><p>{}</p>", escape_html(message));
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        html(&c.title, "Error", &body),
    )
        .into_response()
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE).then(|| value.to_owned())
        })
}

async fn page(State(c): State<Arc<Center>>, headers: HeaderMap, section: &str) -> Response {
    let person = session_id(&headers).and_then(|id| lock(&c.sessions).get(&id).cloned());
    let who = match person {
        Some(p) => format!(
            "<p class=\"signed-in\">Signed in as {} &lt;{}&gt;</p>\n\
             <p><a href=\"/logout\">Log out</a></p>",
            escape_html(p.name.as_deref().unwrap_or(&p.email)),
            escape_html(&p.email)
        ),
        None => "<p class=\"signed-out\">Not signed in.</p>\n<p><a href=\"/login\">Log in</a></p>"
            .to_owned(),
    };
    let body = format!(
        "<h1>{section}</h1>\n{who}\n<nav><a href=\"/home\">Home</a> · \
         <a href=\"/tickets\">Tickets</a> · <a href=\"/kb\">Knowledge base</a></nav>"
    );
    html(&c.title, section, &body).into_response()
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

async fn portal_form(State(c): State<Arc<Center>>) -> Response {
    let body = "<h1>Company portal</h1>\n\
<p>Sign in to the support center as:</p>\n\
<form method=\"post\" action=\"/portal/login.html\">\n\
<p><label>Name <input name=\"name\" autocomplete=\"name\"></label></p>\n\
<p><label>Email <input name=\"email\" type=\"email\" required autocomplete=\"email\"></label></p>\n\
<p><label>Go to <select name=\"return_to\">\n\
<option value=\"home\">Home</option><option value=\"tickets\">Tickets</option>\
<option value=\"kb\">Knowledge base</option></select></label></p>\n\
<p><button type=\"submit\">Sign in</button></p>\n</form>";
    html(&c.title, "Company portal", body).into_response()
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
        Err(Failure::Rejected(e) | Failure::Config(e)) => return portal_error(&c, e),
        Err(Failure::Usage(m)) => return server_error(&c, &m),
    };
    let return_to = match Some(form.return_to.as_str())
        .filter(|r| !r.is_empty())
        .map(ReturnTo::parse)
        .transpose()
    {
        Ok(r) => r,
        Err(e) => return portal_error(&c, e),
    };
    match hfjwt::login_url::<MAX_URL_LEN>(Site::Origin(&c.origin), &token, return_to) {
        Ok(url) => {
            log(format_args!(
                "decision=portal_minted jti={jti} email={}",
                form.email.trim().escape_debug()
            ));
            redirect(&url)
        }
        Err(e) => portal_error(&c, e),
    }
}

fn portal_error(c: &Center, e: hfjwt::Error) -> Response {
    log(format_args!(
        "decision=portal_refused kind={}",
        e.kind().as_str()
    ));
    let body = format!(
        "<h1>Company portal</h1>\n<p class=\"reason\">{}</p>\n\
         <p><a href=\"/portal/login.html\">Back</a></p>",
        escape_html(&e.to_string())
    );
    let mut response = (StatusCode::BAD_REQUEST, html(&c.title, "Portal", &body)).into_response();
    response.headers_mut().insert(
        HeaderName::from_static(ERROR_HEADER),
        HeaderValue::from_static(e.kind().as_str()),
    );
    response
}

async fn portal_logout(State(c): State<Arc<Center>>) -> Response {
    let body = "<h1>Company portal</h1>\n<p class=\"signed-out\">You are signed out of the \
support center.</p>\n<p><a href=\"/portal/login.html\">Sign in again</a></p>";
    html(&c.title, "Signed out", body).into_response()
}

fn html(site: &str, title: &str, body: &str) -> impl IntoResponse + use<> {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{} · {}</title></head>\n<body>\n<p><small>{}</small></p>\n{body}\n</body></html>\n",
        escape_html(title),
        escape_html(site),
        escape_html(site)
    );
    ([(CONTENT_TYPE, "text/html; charset=utf-8")], Html(page))
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
    fn finds_the_session_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; hfjwt_session=abc; b=2"),
        );
        assert_eq!(session_id(&h).as_deref(), Some("abc"));
        assert_eq!(session_id(&HeaderMap::new()), None);
    }
}
