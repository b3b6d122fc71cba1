//! The sample company portal: the customer's side of the exchange, and the only part of
//! `serve` that holds a signing key. Its sign-in form mints a HappyFox token (with the key
//! HappyFox and the portal share) and sends the browser to `/jwt/`; its phone page mints
//! portal tokens with the kiosk key and shows them as QR codes.
//!
//! Every form carries an anti-forgery token ([`super::csrf`]); every request that mints is
//! counted against the client's rate limit ([`super::rate_limit`]) first.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use hfjwt::{Key, ReturnTo, Site};
use serde::Deserialize;

use super::config::Config;
use super::csrf::{CsrfKey, PortalForm};
use super::pages::{self, Person};
use super::rate_limit::{RateLimiter, retry_after_secs};
use super::sessions::SessionStore;
use super::{cookie_value, lock, log, server_error};
use crate::clock::unix_now;
use crate::failure::Failure;
use crate::mint::{mint_grant, mint_token};
use crate::url::MAX_URL_LEN;

/// Name of the sample portal's cookie for the phone user of the kiosk page. It is the
/// portal's own, separate from the support center's session.
pub const PORTAL_COOKIE: &str = "hfjwt_portal";

/// A request the portal refused before doing anything: the page to answer with (boxed, as a
/// response is large next to `Ok(())`).
type Refused = Box<Response>;

/// The sample portal's state.
pub struct Portal {
    site: String,
    /// Where the support center is served (the sign-in form redirects to its `/jwt/`).
    origin: String,
    /// The key HappyFox and the portal share: signs the sign-in links.
    happyfox_key: Key,
    /// The key kiosks verify portal tokens with; without it the phone page is off.
    kiosk_key: Option<Key>,
    /// The kiosks codes are minted for (`aud`); empty: codes carry no audience.
    kiosks: Vec<String>,
    /// The phone page's users, by [`PORTAL_COOKIE`].
    phone_users: Mutex<SessionStore<Person>>,
    /// `Max-Age` of the portal cookie: the session lifetime.
    cookie_max_age: u64,
    csrf: CsrfKey,
    limiter: Mutex<RateLimiter>,
}

/// The sample portal's sign-in form.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct SignInForm {
    /// Display name (optional).
    pub name: String,
    /// Email address.
    pub email: String,
    /// `home`, `tickets` or `kb`.
    pub return_to: String,
    /// The anti-forgery token.
    pub csrf_token: String,
}

/// The kiosk page's form: the phone user's details, or `sign_out`.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct KioskForm {
    /// Display name (optional).
    pub name: String,
    /// Email address.
    pub email: String,
    /// Non-empty: forget the phone's user.
    pub sign_out: String,
    /// The anti-forgery token.
    pub csrf_token: String,
}

impl Portal {
    /// The portal for `config`, redirecting to the support center at `origin`.
    pub fn new(config: &Config, origin: &str, site: &str) -> Self {
        Portal {
            site: site.to_owned(),
            origin: origin.to_owned(),
            happyfox_key: config.key.clone(),
            kiosk_key: config.kiosk_key.clone(),
            kiosks: config.kiosks.clone(),
            phone_users: Mutex::new(SessionStore::new(config.sessions)),
            cookie_max_age: config.sessions.lifetime.as_secs(),
            csrf: CsrfKey::random(config.sessions.lifetime.as_secs()),
            limiter: Mutex::new(RateLimiter::new(config.rate_limit)),
        }
    }

    /// Whether the phone page is on.
    pub fn has_kiosk_key(&self) -> bool {
        self.kiosk_key.is_some()
    }

    /// A fresh anti-forgery token for `form`, or the 500 page when the clock is unusable.
    fn csrf_token(&self, form: PortalForm) -> Result<String, Refused> {
        let now = unix_now().map_err(|e| Box::new(server_error(&self.site, &e.to_string())))?;
        Ok(self.csrf.token(form, now))
    }

    /// `Ok` when `token` is a live one of ours for `form`; else the 403 page (logged).
    fn check_csrf(&self, form: PortalForm, token: &str, path: &'static str) -> Result<(), Refused> {
        let now = unix_now().map_err(|e| Box::new(server_error(&self.site, &e.to_string())))?;
        self.csrf.check(form, token, now).map_err(|refusal| {
            log(format_args!(
                "decision=portal_refused kind=csrf ({refusal:?}) path={path}"
            ));
            Box::new(pages::csrf_refused_page(&self.site, path, refusal))
        })
    }

    /// `Ok` when `client` may have another code minted now; else the 429 page (logged).
    fn take_rate(&self, client: SocketAddr) -> Result<(), Refused> {
        lock(&self.limiter)
            .take(client.ip(), Instant::now())
            .map_err(|wait| {
                let secs = retry_after_secs(wait);
                log(format_args!(
                    "decision=portal_refused kind=rate_limited client={} retry_after={secs}",
                    client.ip()
                ));
                Box::new(pages::rate_limited_page(&self.site, secs))
            })
    }

    /// The phone user this browser signed in to the portal's kiosk page as, if live.
    fn phone_user(&self, headers: &HeaderMap) -> Option<Person> {
        let id = cookie_value(headers, PORTAL_COOKIE)?;
        lock(&self.phone_users).get(&id, Instant::now())
    }
}

/// `GET /portal/login.html`.
pub async fn sign_in_form(State(p): State<Arc<Portal>>) -> Response {
    match p.csrf_token(PortalForm::SignIn) {
        Ok(csrf) => {
            pages::sign_in_form_page(&p.site, StatusCode::OK, None, &SignInForm::default(), &csrf)
        }
        Err(page) => *page,
    }
}

/// `POST /portal/login.html`: mints a HappyFox token and redirects to `/jwt/`.
pub async fn sign_in(
    State(p): State<Arc<Portal>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Form(form): Form<SignInForm>,
) -> Response {
    // The token first: a post from another origin must not even use up the client's budget.
    if let Err(page) = p
        .check_csrf(PortalForm::SignIn, &form.csrf_token, "/portal/login.html")
        .and_then(|()| p.take_rate(client))
    {
        return *page;
    }
    let name = Some(form.name.trim()).filter(|n| !n.is_empty());
    let jti = uuid::Uuid::new_v4().to_string();
    let token = match mint_token(&p.happyfox_key, form.email.trim(), name, None, Some(&jti)) {
        Ok(t) => t,
        Err(Failure::Rejected(e) | Failure::Config(e)) => return sign_in_refused(&p, &e, &form),
        Err(Failure::Usage(m) | Failure::Runtime(m)) => return server_error(&p.site, &m),
    };
    let return_to = match Some(form.return_to.as_str())
        .filter(|r| !r.is_empty())
        .map(ReturnTo::parse)
        .transpose()
    {
        Ok(r) => r,
        Err(e) => return sign_in_refused(&p, &e, &form),
    };
    let url = Site::origin(&p.origin)
        .and_then(|site| hfjwt::login_url::<MAX_URL_LEN>(site, &token, return_to));
    match url {
        Ok(url) => {
            log(format_args!(
                "decision=portal_minted jti={jti} email={}",
                form.email.trim().escape_debug()
            ));
            pages::redirect(&url)
        }
        Err(e) => sign_in_refused(&p, &e, &form),
    }
}

/// The sign-in form again (400) with what the core refused.
fn sign_in_refused(p: &Portal, e: &hfjwt::Error, form: &SignInForm) -> Response {
    log(format_args!(
        "decision=portal_refused kind={}",
        e.kind().as_str()
    ));
    match p.csrf_token(PortalForm::SignIn) {
        Ok(csrf) => {
            pages::sign_in_form_page(&p.site, StatusCode::BAD_REQUEST, Some(e), form, &csrf)
        }
        Err(page) => *page,
    }
}

/// `GET /portal/logout.html`: the Remote Logout page.
pub async fn signed_out(State(p): State<Arc<Portal>>) -> Response {
    pages::signed_out_page(&p.site)
}

/// `GET /portal/kiosk.html`: the phone's code, or the form to say who the phone's user is.
pub async fn kiosk_page(
    State(p): State<Arc<Portal>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(which): Query<KioskChoice>,
    headers: HeaderMap,
) -> Response {
    let Some(key) = &p.kiosk_key else {
        return pages::kiosk_not_set_up_page(&p.site);
    };
    let csrf = match p.csrf_token(PortalForm::Kiosk) {
        Ok(t) => t,
        Err(page) => return *page,
    };
    let Some(person) = p.phone_user(&headers) else {
        return pages::kiosk_form_page(&p.site, StatusCode::OK, None, &KioskForm::default(), &csrf);
    };
    // Which kiosk the code is for: the only one, or the one the phone's user picked.
    let kiosk = match (p.kiosks.as_slice(), which.kiosk.as_deref()) {
        ([], _) => None,
        ([only], None) => Some(only.as_str()),
        (all, Some(id)) if all.iter().any(|k| k == id) => Some(id),
        (all, _) => return pages::kiosk_choice_page(&p.site, &person, all, &csrf),
    };
    if let Err(page) = p.take_rate(client) {
        return *page;
    }
    kiosk_code(&p, key, &person, kiosk, &csrf)
}

/// `?kiosk=ID` on the phone page: the kiosk the code is for.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct KioskChoice {
    /// One of the configured kiosks.
    pub kiosk: Option<String>,
}

/// Mints a portal token (iat = now, a fresh jti) for `person` with the kiosk key and shows it.
fn kiosk_code(p: &Portal, key: &Key, person: &Person, kiosk: Option<&str>, csrf: &str) -> Response {
    let now = match unix_now() {
        Ok(t) => t,
        Err(e) => return server_error(&p.site, &e.to_string()),
    };
    let jti = uuid::Uuid::new_v4().to_string();
    let token = match mint_grant(
        key,
        &person.email,
        person.name.as_deref(),
        Some(now),
        Some(&jti),
        kiosk,
    ) {
        Ok(t) => t,
        Err(e) => return server_error(&p.site, &e.to_string()),
    };
    let qr = match pages::qr_svg(&token) {
        Ok(svg) => svg,
        Err(e) => return server_error(&p.site, &format!("cannot draw the QR code: {e}")),
    };
    log(format_args!(
        "decision=portal_kiosk_minted jti={jti} email={} kiosk={}",
        person.email.escape_debug(),
        kiosk.unwrap_or("-")
    ));
    let mut response = pages::kiosk_code_page(&p.site, person, kiosk, &token, &qr, csrf);
    // The page holds a live token: never keep it in a cache.
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /portal/kiosk.html`: remember the phone's user (or forget them, with `sign_out`).
pub async fn kiosk_form(
    State(p): State<Arc<Portal>>,
    headers: HeaderMap,
    Form(form): Form<KioskForm>,
) -> Response {
    let Some(key) = &p.kiosk_key else {
        return pages::kiosk_not_set_up_page(&p.site);
    };
    if let Err(page) = p.check_csrf(PortalForm::Kiosk, &form.csrf_token, "/portal/kiosk.html") {
        return *page;
    }
    if !form.sign_out.is_empty() {
        if let Some(id) = cookie_value(&headers, PORTAL_COOKIE)
            && let Some(person) = lock(&p.phone_users).end_at(&id, Instant::now())
        {
            log(format_args!(
                "decision=portal_kiosk_signed_out email={}",
                person.email.escape_debug()
            ));
        }
        return pages::see_other_with_cookie(
            "/portal/kiosk.html",
            &format!("{PORTAL_COOKIE}=; Path=/portal; HttpOnly; SameSite=Lax; Max-Age=0"),
        );
    }
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
            return match p.csrf_token(PortalForm::Kiosk) {
                Ok(csrf) => {
                    pages::kiosk_form_page(&p.site, StatusCode::BAD_REQUEST, Some(&e), &form, &csrf)
                }
                Err(page) => *page,
            };
        }
        Err(Failure::Usage(m) | Failure::Runtime(m)) => return server_error(&p.site, &m),
    }
    log(format_args!(
        "decision=portal_kiosk_signed_in email={}",
        person.email.escape_debug()
    ));
    let id = lock(&p.phone_users).start(person, Instant::now());
    pages::see_other_with_cookie(
        "/portal/kiosk.html",
        &format!(
            "{PORTAL_COOKIE}={id}; Path=/portal; HttpOnly; SameSite=Lax; Max-Age={}",
            p.cookie_max_age
        ),
    )
}
