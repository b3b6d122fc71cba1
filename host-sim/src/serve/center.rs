//! The support-center stand-in: HappyFox's side of the exchange. It verifies sign-in links
//! through the core (one verifier, one replay cache for the whole run), keeps the signed-in
//! browsers' sessions, and shows the support center's pages. It mints nothing.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{RawQuery, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hfjwt::{ErrorKind, ReturnTo};

use super::config::Config;
use super::pages::{self, Person, Refusal, Section};
use super::sessions::SessionStore;
use super::{cookie_value, lock, log, server_error};
use crate::clock::unix_now;
use crate::verify::{SimReplayStore, SimVerifier, build_verifier_with_store};

/// Name of the support center's session cookie.
pub const SESSION_COOKIE: &str = "hfjwt_session";

/// The support center's state: one verifier for the whole run, and the sessions.
pub struct Center {
    site: String,
    /// Where "log in" sends visitors.
    pub remote_login_url: String,
    /// Where visitors land after logout.
    pub remote_logout_url: String,
    /// Seconds a HappyFox token passes after its `iat`, for the expired page's explanation.
    max_age: u64,
    /// `Max-Age` of the session cookie: the session lifetime.
    cookie_max_age: u64,
    judge: Mutex<Judge>,
    sessions: Mutex<SessionStore<Person>>,
}

struct Judge {
    verifier: SimVerifier,
    scratch: Vec<u8>,
}

impl Center {
    /// The support center for `config`, served at `origin` and named `site` on its pages.
    pub fn new(config: &Config, store: SimReplayStore, origin: &str, site: &str) -> Self {
        Center {
            site: site.to_owned(),
            remote_login_url: config.remote_login_url.as_ref().map_or_else(
                || format!("{origin}/portal/login.html"),
                |u| u.as_str().to_owned(),
            ),
            remote_logout_url: config.remote_logout_url.as_ref().map_or_else(
                || format!("{origin}/portal/logout.html"),
                |u| u.as_str().to_owned(),
            ),
            max_age: config.policy.max_age_seconds(),
            cookie_max_age: config.sessions.lifetime.as_secs(),
            judge: Mutex::new(Judge {
                verifier: build_verifier_with_store(
                    config.key.clone(),
                    config.policy,
                    config.allowed_domains.clone(),
                    store,
                ),
                scratch: vec![0u8; hfjwt::scratch_len(config.policy.max_token_bytes())],
            }),
            sessions: Mutex::new(SessionStore::new(config.sessions)),
        }
    }

    /// The person this browser's session belongs to, if it has a live one (which counts as a
    /// use of the session).
    fn signed_in(&self, headers: &HeaderMap) -> Option<Person> {
        let id = cookie_value(headers, SESSION_COOKIE)?;
        lock(&self.sessions).get(&id, Instant::now())
    }
}

/// `GET /jwt/?token=…&return_to=…`: sign in, or say why not.
pub async fn jwt(
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
    let signed_in = c.signed_in(&headers);
    // return_to is checked first so that a bad one does not use up the token.
    let target = match return_to.as_deref().map(ReturnTo::parse).transpose() {
        Ok(r) => r.unwrap_or(ReturnTo::HOME).path().to_owned(),
        Err(e) => {
            return reject(
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
        Err(e) => return server_error(&c.site, &e.to_string()),
    };
    let token = token.unwrap_or_default();
    // A shared replay store is a network round trip (up to its timeout): judge off the
    // async runtime's thread.
    let judged = {
        let c = Arc::clone(&c);
        let token = token.clone();
        tokio::task::spawn_blocking(move || judge(&c, &token, now)).await
    };
    let Ok(verdict) = judged else {
        return server_error(&c.site, "the verifier stopped");
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
            return reject(
                &c,
                e,
                who,
                refusal,
                signed_in.as_ref(),
                StatusCode::FORBIDDEN,
            );
        }
    };
    let Ok(location) = HeaderValue::from_str(&pages::percent_encode_non_ascii(&target)) else {
        return server_error(&c.site, "return_to cannot be sent as a redirect");
    };
    log(format_args!(
        "decision=accepted jti={} email={}",
        jti.escape_debug(),
        person.email.escape_debug()
    ));
    let session = lock(&c.sessions).start(person, Instant::now());
    let cookie = format!(
        "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        c.cookie_max_age
    );
    let mut headers = HeaderMap::new();
    headers.insert(LOCATION, location);
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        headers.insert(SET_COOKIE, cookie);
    }
    (StatusCode::FOUND, headers).into_response()
}

/// The core's verdict on `token` at `now`: who signed in and the jti, or the error with the
/// jti and email when the signature verified (safe to log then).
type Verdict = Result<(Person, String), (hfjwt::Error, Option<(String, String)>)>;

/// Verifies `token` with the run's one verifier (and its replay store).
fn judge(c: &Center, token: &str, now: u64) -> Verdict {
    let mut judge = lock(&c.judge);
    let Judge { verifier, scratch } = &mut *judge;
    match verifier.verify_detailed(token, now, scratch) {
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
}

/// Logs a refused sign-in (with the token's `jti` and email when its signature verified) and
/// answers with its page.
fn reject(
    c: &Center,
    e: hfjwt::Error,
    who: Option<(String, String)>,
    refusal: Refusal<'_>,
    signed_in: Option<&Person>,
    status: StatusCode,
) -> Response {
    let (jti, email) = who.unwrap_or_else(|| ("-".into(), "-".into()));
    log(format_args!(
        "decision=rejected kind={} jti={} email={} ({e})",
        e.kind().as_str(),
        jti.escape_debug(),
        email.escape_debug(),
    ));
    pages::refusal_page(&c.site, e.kind(), refusal, signed_in, c.max_age, status)
}

/// `GET /home`, `/tickets`, `/kb`.
pub async fn section(
    State(c): State<Arc<Center>>,
    headers: HeaderMap,
    section: Section,
) -> Response {
    let person = c.signed_in(&headers);
    pages::section_page(&c.site, section, person.as_ref())
}

/// `GET /login`: to the Remote Login URL.
pub async fn login(State(c): State<Arc<Center>>) -> Response {
    pages::redirect(&c.remote_login_url)
}

/// `GET /logout`: ends the session, then to the Remote Logout URL.
pub async fn logout(State(c): State<Arc<Center>>, headers: HeaderMap) -> Response {
    let person = cookie_value(&headers, SESSION_COOKIE)
        .and_then(|id| lock(&c.sessions).end_at(&id, Instant::now()));
    match person {
        Some(p) => log(format_args!(
            "decision=logout email={}",
            p.email.escape_debug()
        )),
        None => log(format_args!("decision=logout email=- (no session)")),
    }
    let mut response = pages::redirect(&c.remote_logout_url);
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("hfjwt_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response
}

/// Any other path: 404.
pub async fn not_found(State(c): State<Arc<Center>>, headers: HeaderMap, uri: Uri) -> Response {
    let person = c.signed_in(&headers);
    pages::not_found_page(&c.site, person.as_ref(), uri.path())
}

/// A known path with the wrong method: 405.
pub async fn method_not_allowed(State(c): State<Arc<Center>>, uri: Uri) -> Response {
    pages::method_not_allowed_page(&c.site, uri.path())
}
