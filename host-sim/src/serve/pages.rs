//! The HTML of every page `serve` shows, for the support center and for the sample portal:
//! frames, plain-language refusals, forms, the phone page with its QR code. Functions here
//! take what a page shows and return the response; they decide nothing and log nothing.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hfjwt::ErrorKind;

use super::csrf::{self, CsrfRefusal};
use super::portal::{KioskForm, SignInForm};

/// The response header naming the kind of a rejection, for scripts and tests.
pub const ERROR_HEADER: &str = "x-hfjwt-error";

/// The response header naming why the portal refused a request that is not about a token
/// (`csrf_missing`, `csrf_forged`, `csrf_expired`, `rate_limited`).
pub const REFUSAL_HEADER: &str = "x-hfjwt-refusal";

/// The stylesheet every page links, shared with the kiosk agent's pages.
pub const STYLESHEET: &str = include_str!("../../../assets/hfjwt.css");

/// Where [`STYLESHEET`] is served.
pub const STYLESHEET_PATH: &str = "/assets/hfjwt.css";

/// Seconds a kiosk accepts a portal token after its `iat` (the core's default window, which
/// the kiosk firmware uses).
pub const KIOSK_TOKEN_SECONDS: u64 = 120;

/// The phone page fetches a fresh portal token this many seconds before the shown one expires.
pub const KIOSK_RENEW_BEFORE: u64 = 20;
const _: () = assert!(KIOSK_RENEW_BEFORE < KIOSK_TOKEN_SECONDS);

/// Who a session belongs to.
#[derive(Clone, Debug)]
pub struct Person {
    /// Display name, if the token or form gave one.
    pub name: Option<String>,
    /// Email address (the core checked it).
    pub email: String,
}

impl Person {
    /// The name to greet them by: their name, or their email when the token had none.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.email)
    }

    /// The name and email as a block, with an avatar letter.
    pub fn card_html(&self, label: &str) -> String {
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
pub enum Section {
    /// `/home`
    Home,
    /// `/tickets`
    Tickets,
    /// `/kb`
    Kb,
}

impl Section {
    /// Every section, in navigation order.
    pub const ALL: [Section; 3] = [Section::Home, Section::Tickets, Section::Kb];

    /// Where it is served.
    pub fn path(self) -> &'static str {
        match self {
            Section::Home => "/home",
            Section::Tickets => "/tickets",
            Section::Kb => "/kb",
        }
    }

    /// Its heading.
    pub fn title(self) -> &'static str {
        match self {
            Section::Home => "Home",
            Section::Tickets => "Tickets",
            Section::Kb => "Knowledge base",
        }
    }

    /// The section at `path`, if any.
    pub fn at(path: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.path() == path)
    }
}

/// Why a sign-in link was refused, as the person who followed it needs to hear it.
#[derive(Clone, Copy, Debug)]
pub enum Refusal<'a> {
    /// The link carried no token (or an empty one).
    NoToken,
    /// The link's `return_to` is not a page of this support center.
    BadReturnTo,
    /// A browser that is still signed in followed a link that was already used.
    AlreadySignedIn {
        /// Where the link was going.
        target: &'a str,
    },
    /// Any other refusal, worded by the core's kind.
    Token(ErrorKind),
}

/// The colour and icon of a page's status heading (a class in the shared stylesheet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// All is well.
    Ok,
    /// Something to act on.
    Warning,
    /// Refused.
    Error,
    /// For information.
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

/// The error page for a refused sign-in, in plain words; `kind` (the core's) goes in the
/// `x-hfjwt-error` header and, small, as a code for the help desk.
pub fn refusal_page(
    site: &str,
    kind: ErrorKind,
    refusal: Refusal<'_>,
    signed_in: Option<&Person>,
    max_age: u64,
    status: StatusCode,
) -> Response {
    let kind = kind.as_str();
    let words = wording(refusal, max_age);
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
    let frame = support_frame(site, signed_in, None);
    let mut response = html_response(status, frame.render(words.heading, &cards(&[&card])));
    response.headers_mut().insert(
        HeaderName::from_static(ERROR_HEADER),
        HeaderValue::from_static(kind),
    );
    response
}

/// A 500 page saying what went wrong.
pub fn server_error_page(site: &str, message: &str) -> Response {
    let card = format!(
        "{}\n<p class=\"hf-lead\">Something went wrong on this server.</p>\n\
         <p class=\"hf-muted\">{}</p>",
        status_html(Tone::Error, "Server error"),
        escape_html(message)
    );
    html_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        support_frame(site, None, None).render("Server error", &cards(&[&card])),
    )
}

/// A section of the support center, for `person` or for a visitor who is not signed in.
pub fn section_page(site: &str, section: Section, person: Option<&Person>) -> Response {
    let card = match person {
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
    let frame = support_frame(site, person, Some(section));
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

/// 302 to `location` (non-ASCII percent-encoded).
pub fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(&percent_encode_non_ascii(location)) {
        Ok(v) => (StatusCode::FOUND, [(LOCATION, v)]).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "bad redirect target").into_response(),
    }
}

/// The 404 page for `path`.
pub fn not_found_page(site: &str, person: Option<&Person>, path: &str) -> Response {
    let card = format!(
        "{}\n<p class=\"hf-lead\">There is no page at <code>{}</code>.</p>\n\
         <p class=\"hf-muted\">The link may be old or mistyped.</p>\n\
         <div class=\"hf-actions\"><a class=\"hf-button\" href=\"/home\">Support center home</a>\
         <a class=\"hf-button hf-secondary\" href=\"/portal/login.html\">Company portal</a></div>",
        status_html(Tone::Warning, "Page not found"),
        escape_html(path)
    );
    html_response(
        StatusCode::NOT_FOUND,
        support_frame(site, person, None).render("Page not found", &cards(&[&card])),
    )
}

/// The 405 page for a known `path` used with the wrong method.
pub fn method_not_allowed_page(site: &str, path: &str) -> Response {
    let card = format!(
        "{}\n<p class=\"hf-lead\">The page at <code>{}</code> cannot be used that way.</p>\n\
         <div class=\"hf-actions\"><a class=\"hf-button\" href=\"/home\">Support center home</a>\
         </div>",
        status_html(Tone::Warning, "Not available"),
        escape_html(path)
    );
    html_response(
        StatusCode::METHOD_NOT_ALLOWED,
        support_frame(site, None, None).render("Not available", &cards(&[&card])),
    )
}

/// `GET /assets/hfjwt.css`.
pub async fn stylesheet() -> Response {
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
pub enum PortalPage {
    /// The sign-in form.
    SignIn,
    /// The phone page for kiosks.
    Kiosk,
    /// Any other portal page.
    Other,
}

/// The hidden field carrying a form's anti-forgery token.
fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        csrf::FIELD,
        escape_html(token)
    )
}

/// The portal's sign-in form, with a refusal above it when there is one.
pub fn sign_in_form_page(
    site: &str,
    status: StatusCode,
    problem: Option<&hfjwt::Error>,
    form: &SignInForm,
    csrf_token: &str,
) -> Response {
    let mut card = format!(
        "<h1>Sign in to the support center</h1>\n\
         <p class=\"hf-muted\">This sample portal signs you in to {} with your name and email.\
         </p>\n",
        escape_html(site)
    );
    if let Some(e) = problem {
        card.push_str(&portal_problem_html(e));
    }
    let selected = |v: &str| {
        if form.return_to == v { " selected" } else { "" }
    };
    card.push_str(&format!(
        "<form method=\"post\" action=\"/portal/login.html\">\n{}\n\
         <label class=\"hf-field\">Name <input name=\"name\" autocomplete=\"name\" value=\"{}\">\
         </label>\n\
         <label class=\"hf-field\">Email <input name=\"email\" type=\"email\" required \
         autocomplete=\"email\" value=\"{}\"></label>\n\
         <label class=\"hf-field\">Go to <select name=\"return_to\">\
         <option value=\"home\"{}>Home</option><option value=\"tickets\"{}>Tickets</option>\
         <option value=\"kb\"{}>Knowledge base</option></select></label>\n\
         <button class=\"hf-button\" type=\"submit\">Sign in</button>\n</form>",
        csrf_field(csrf_token),
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
    let frame = portal_frame(site, PortalPage::SignIn, "");
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
        ErrorKind::InvalidConfig => "Choose one of the pages in the list.",
        _ => "The portal could not sign you in with these details.",
    };
    format!(
        "<div class=\"hf-alert hf-error\" role=\"alert\"><span class=\"hf-icon\" \
         aria-hidden=\"true\"></span><span>{}</span></div>\n",
        escape_html(text)
    )
}

/// The sample portal's Remote Logout page.
pub fn signed_out_page(site: &str) -> Response {
    let card = format!(
        "{}\n<p class=\"hf-lead\">You are signed out of the support center.</p>\n\
         <div class=\"hf-actions\"><a class=\"hf-button\" href=\"/portal/login.html\">\
         Sign in again</a></div>",
        status_html(Tone::Ok, "Signed out")
    );
    let frame = portal_frame(site, PortalPage::Other, "");
    html_response(StatusCode::OK, frame.render("Signed out", &cards(&[&card])))
}

/// 303 to `location` (so a reload does not post the form again), setting `cookie`.
pub fn see_other_with_cookie(location: &'static str, cookie: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(LOCATION, HeaderValue::from_static(location));
    if let Ok(v) = HeaderValue::from_str(cookie) {
        headers.insert(SET_COOKIE, v);
    }
    (StatusCode::SEE_OTHER, headers).into_response()
}

/// "Sign in at a kiosk": the form, with a refusal above it when there is one.
pub fn kiosk_form_page(
    site: &str,
    status: StatusCode,
    problem: Option<&hfjwt::Error>,
    form: &KioskForm,
    csrf_token: &str,
) -> Response {
    let mut card = "<h1>Sign in at a kiosk</h1>\n<p class=\"hf-muted\">Enter your details and \
                    your phone shows a sign-in code. Hold it up to the kiosk's scanner.</p>\n"
        .to_owned();
    if let Some(e) = problem {
        card.push_str(&portal_problem_html(e));
    }
    card.push_str(&format!(
        "<form method=\"post\" action=\"/portal/kiosk.html\">\n{}\n\
         <label class=\"hf-field\">Name <input name=\"name\" autocomplete=\"name\" value=\"{}\">\
         </label>\n\
         <label class=\"hf-field\">Email <input name=\"email\" type=\"email\" required \
         autocomplete=\"email\" value=\"{}\"></label>\n\
         <button class=\"hf-button\" type=\"submit\">Show my sign-in code</button>\n</form>",
        csrf_field(csrf_token),
        escape_html(&form.name),
        escape_html(&form.email),
    ));
    let frame = portal_frame(site, PortalPage::Kiosk, "");
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
pub fn kiosk_not_set_up_page(site: &str) -> Response {
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
    let frame = portal_frame(site, PortalPage::Kiosk, "");
    html_response(
        StatusCode::SERVICE_UNAVAILABLE,
        frame.render("Not set up for kiosks", &cards(&[&card])),
    )
}

/// The phone page when the portal serves several kiosks: which one is the person standing at?
/// Each choice is a link to `/portal/kiosk.html?kiosk=ID`; the code is minted for that kiosk
/// only (`aud`), so it is refused at every other one.
pub fn kiosk_choice_page(
    site: &str,
    person: &Person,
    kiosks: &[String],
    csrf_token: &str,
) -> Response {
    let mut links = String::new();
    for id in kiosks {
        let query: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
        links.push_str(&format!(
            "<a class=\"hf-button\" href=\"/portal/kiosk.html?kiosk={query}\">{}</a>\n",
            escape_html(id)
        ));
    }
    let card = format!(
        "<h1>Which kiosk are you at?</h1>\n{}\n\
         <p class=\"hf-muted\">The kiosk shows its name on its screen. Your code works only \
         there.</p>\n<div class=\"hf-actions\">{links}</div>\n\
         <form class=\"hf-inline\" method=\"post\" action=\"/portal/kiosk.html\">{}\
         <div class=\"hf-actions\"><button class=\"hf-button hf-secondary\" type=\"submit\" \
         name=\"sign_out\" value=\"1\">Not you? Sign out</button></div></form>",
        person.card_html("Signing in as"),
        csrf_field(csrf_token),
    );
    let frame = portal_frame(site, PortalPage::Kiosk, "");
    let mut response = html_response(
        StatusCode::OK,
        frame.render("Choose your kiosk", &cards(&[&card])),
    );
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The phone page proper: `token` (a fresh portal token minted with the kiosk key) as a QR
/// code and as text, with a countdown. The script fetches this page again
/// [`KIOSK_RENEW_BEFORE`] seconds before the token runs out and swaps in the new code; without
/// JavaScript the page reloads itself.
pub fn kiosk_code_page(
    site: &str,
    person: &Person,
    kiosk: Option<&str>,
    token: &str,
    qr_svg: &str,
    csrf_token: &str,
) -> Response {
    let qr = qr_svg;
    let heading = match kiosk {
        Some(id) => format!(
            "<h1>Scan this at kiosk <span data-kiosk>{}</span></h1>",
            escape_html(id)
        ),
        None => "<h1>Scan this at the kiosk</h1>".to_owned(),
    };
    let card = format!(
        "<div id=\"kiosk-code\" data-valid-for=\"{KIOSK_TOKEN_SECONDS}\" \
         data-renew-before=\"{KIOSK_RENEW_BEFORE}\">\n\
         {heading}\n\
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
         <form class=\"hf-inline\" method=\"post\" action=\"/portal/kiosk.html\">{}\
         <div class=\"hf-actions\"><button class=\"hf-button hf-secondary\" type=\"submit\" \
         name=\"sign_out\" value=\"1\">Not you? Sign out</button></div></form>",
        person.card_html("Signing in as"),
        escape_html(token),
        csrf_field(csrf_token),
    );
    let head = format!(
        "<noscript><meta http-equiv=\"refresh\" content=\"{}\"></noscript>",
        KIOSK_TOKEN_SECONDS - KIOSK_RENEW_BEFORE
    );
    let frame = portal_frame(site, PortalPage::Kiosk, &head);
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
    fetch(location.pathname + location.search, { credentials: "same-origin", cache: "no-store" })
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
pub fn qr_svg(text: &str) -> Result<String, qrcode::types::QrError> {
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

/// 403 for a portal form posted without a valid anti-forgery token: nothing was done; the
/// person is offered the form again.
pub fn csrf_refused_page(site: &str, form_path: &'static str, refusal: CsrfRefusal) -> Response {
    let what = match refusal {
        CsrfRefusal::Expired => {
            "The page this form was sent from is too old to be used any more. Nothing was done."
        }
        CsrfRefusal::Missing | CsrfRefusal::Forged => {
            "It was not sent from this portal's own page, so it was not trusted. Nothing was \
             done."
        }
    };
    let card = format!(
        "{}\n<p class=\"hf-lead\">{}</p>\n\
         <p class=\"hf-muted\">Open the form again and send it from there.</p>\n\
         <div class=\"hf-actions\"><a class=\"hf-button\" href=\"{form_path}\">\
         Open the form again</a></div>",
        status_html(Tone::Error, "This form could not be accepted"),
        escape_html(what)
    );
    let frame = portal_frame(site, PortalPage::Other, "");
    let mut response = html_response(
        StatusCode::FORBIDDEN,
        frame.render("Form not accepted", &cards(&[&card])),
    );
    response.headers_mut().insert(
        HeaderName::from_static(REFUSAL_HEADER),
        HeaderValue::from_static(match refusal {
            CsrfRefusal::Missing => "csrf_missing",
            CsrfRefusal::Forged => "csrf_forged",
            CsrfRefusal::Expired => "csrf_expired",
        }),
    );
    response
}

/// 429 for a client over the portal's rate limit, with `Retry-After`.
pub fn rate_limited_page(site: &str, retry_after_secs: u64) -> Response {
    let card = format!(
        "{}\n<p class=\"hf-lead\">This browser has asked for more sign-in codes than the \
         portal gives out at once.</p>\n\
         <p class=\"hf-muted\">Wait {} and try again.</p>",
        status_html(Tone::Warning, "Too many requests"),
        escape_html(&seconds_in_words(retry_after_secs))
    );
    let frame = portal_frame(site, PortalPage::Other, "");
    let mut response = html_response(
        StatusCode::TOO_MANY_REQUESTS,
        frame.render("Too many requests", &cards(&[&card])),
    );
    let headers = response.headers_mut();
    headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
    headers.insert(
        HeaderName::from_static(REFUSAL_HEADER),
        HeaderValue::from_static("rate_limited"),
    );
    response
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
fn support_frame(site: &str, person: Option<&Person>, active: Option<Section>) -> Frame {
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
        logo: initial(site),
        site: site.to_owned(),
        product: "Support center",
        nav,
        footer: format!(
            "{} · a local stand-in for a HappyFox support center, served by hfjwt-sim",
            escape_html(site)
        ),
        head: String::new(),
    }
}

/// The sample portal's frame.
fn portal_frame(site: &str, active: PortalPage, head: &str) -> Frame {
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
            escape_html(site)
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

/// `s` with `& < > " '` as entities, safe in HTML text and in quoted attributes.
pub fn escape_html(s: &str) -> String {
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
pub fn percent_encode_non_ascii(s: &str) -> String {
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
    use hfjwt::Policy;

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
        assert_eq!(KIOSK_TOKEN_SECONDS, Policy::new().max_age_seconds());
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
}
