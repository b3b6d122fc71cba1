//! `hfjwt-sim serve` over real HTTP on 127.0.0.1: the sample portal → `/jwt/` → the
//! `return_to` page, every way a sign-in is refused (each asserting the core's kind and the
//! plain words a person reads), the stylesheet, the 404 page, and the phone page for kiosk
//! sign-in, whose QR code is decoded from a headless Chromium screenshot.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// A running `hfjwt-sim serve --port 0`, killed on drop.
struct Server {
    child: Child,
    origin: String,
    log: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

/// One HTTP answer, redirects not followed.
#[derive(Debug)]
struct Reply {
    status: u16,
    location: Option<String>,
    cookie: Option<String>,
    error_kind: Option<String>,
    content_type: Option<String>,
    cache_control: Option<String>,
    retry_after: Option<String>,
    /// Why the portal refused a request that was not about a token (`x-hfjwt-refusal`).
    refusal: Option<String>,
    body: String,
}

impl Reply {
    /// The page's visible text: tags dropped, the common entities decoded, whitespace folded.
    fn text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        let mut in_script = false;
        let lower = self.body.to_lowercase();
        let mut i = 0;
        for (at, ch) in self.body.char_indices() {
            if at < i {
                continue;
            }
            if in_script {
                if lower[at..].starts_with("</script") {
                    in_script = false;
                    in_tag = true;
                }
                continue;
            }
            match ch {
                '<' => {
                    in_tag = true;
                    if lower[at..].starts_with("<script") {
                        in_script = true;
                    }
                    out.push(' ');
                }
                '>' if in_tag => in_tag = false,
                _ if in_tag => {}
                '&' => {
                    let entity = [
                        ("&amp;", '&'),
                        ("&lt;", '<'),
                        ("&gt;", '>'),
                        ("&quot;", '"'),
                        ("&#39;", '\''),
                    ]
                    .into_iter()
                    .find(|(e, _)| self.body[at..].starts_with(e));
                    match entity {
                        Some((e, c)) => {
                            out.push(c);
                            i = at + e.len();
                        }
                        None => out.push('&'),
                    }
                }
                c => out.push(c),
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = bin()
            .args(["serve", "--port", "0"])
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        let mut stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let origin = first
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first stdout line: {first:?}"))
            .to_owned();
        assert!(origin.starts_with("http://127.0.0.1:"), "{origin}");
        let agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        Server {
            child,
            origin,
            log,
            agent,
        }
    }

    /// `path` on this server, or an absolute URL as is.
    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.origin)
        }
    }

    /// Posts `form` to a portal page as its own form would: with the anti-forgery token of
    /// the form the page (fetched with `cookie`) shows.
    fn post_form_with_cookie(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Reply {
        let token = self.csrf_token(path, Some(cookie));
        let mut fields = form.to_vec();
        fields.push(("csrf_token", &token));
        self.post_raw(path, Some(cookie), &fields)
    }

    /// Posts exactly `form`, with no token added.
    fn post_raw(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        let mut req = self.agent.post(&self.url(path));
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        reply(req.send_form(form.iter().copied()).unwrap())
    }

    /// The anti-forgery token in the form `path` shows (empty when it shows none).
    fn csrf_token(&self, path: &str, cookie: Option<&str>) -> String {
        csrf_in(&self.get(path, cookie).body).unwrap_or_default()
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut req = self.agent.get(&self.url(path));
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        reply(req.call().unwrap())
    }

    /// Posts `form` with the token of the form `path` shows (see [`Server::post_form_with_cookie`]).
    fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let token = self.csrf_token(path, None);
        let mut fields = form.to_vec();
        fields.push(("csrf_token", &token));
        self.post_raw(path, None, &fields)
    }

    /// Signs in with `token`, expecting the refusal `kind`.
    fn refused(&self, token: &str, kind: &str) -> Reply {
        let r = self.get(&format!("/jwt/?token={token}"), None);
        assert_eq!(r.status, 403, "{r:#?}");
        assert_eq!(r.error_kind.as_deref(), Some(kind), "{r:#?}");
        assert!(r.cookie.is_none());
        assert!(
            r.body.contains(&format!("<code>{kind}</code>")),
            "{}",
            r.body
        );
        assert_plain_page(&r);
        r
    }

    /// Waits until the log contains `needle` (stderr is read by another thread).
    fn wait_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = self.log.lock().unwrap().clone();
            if log.contains(needle) || Instant::now() > deadline {
                assert!(log.contains(needle), "{needle:?} not in log:\n{log}");
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reply(mut r: ureq::http::Response<ureq::Body>) -> Reply {
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let location = header("location");
    let cookie = header("set-cookie");
    let error_kind = header("x-hfjwt-error");
    let content_type = header("content-type");
    let cache_control = header("cache-control");
    let retry_after = header("retry-after");
    let refusal = header("x-hfjwt-refusal");
    Reply {
        status: r.status().as_u16(),
        location,
        cookie,
        error_kind,
        content_type,
        cache_control,
        retry_after,
        refusal,
        body: r.body_mut().read_to_string().unwrap(),
    }
}

/// A page a person reads: HTML, the shared stylesheet linked, and none of the token jargon
/// the core's messages use (the kind itself may appear as the help desk's error code).
fn assert_plain_page(r: &Reply) {
    assert_eq!(
        r.content_type.as_deref(),
        Some("text/html; charset=utf-8"),
        "{r:#?}"
    );
    assert!(
        r.body
            .contains("<link rel=\"stylesheet\" href=\"/assets/hfjwt.css\">"),
        "{}",
        r.body
    );
    assert!(r.body.contains("name=\"viewport\""));
    let text = r.text();
    let code = r.error_kind.as_deref().unwrap_or("-");
    let prose = text.replace(code, "");
    let words: Vec<&str> = prose
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .collect();
    for jargon in ["jti", "iat", "claim", "claims", "HS256", "JWT"] {
        assert!(!words.contains(&jargon), "{jargon:?} in {text}");
    }
    assert!(!prose.contains("signature:"), "{text}");
}

/// The value of the hidden `csrf_token` field in a page's form, if it has one.
fn csrf_in(body: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let len = body[start..].find('"')?;
    Some(body[start..start + len].to_owned())
}

/// `name=value` of a Set-Cookie header, to send back.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

fn jwt_path(token: &str, return_to: Option<&str>) -> String {
    match return_to {
        Some(r) => format!("/jwt/?token={token}&return_to={r}"),
        None => format!("/jwt/?token={token}"),
    }
}

#[test]
fn portal_to_jwt_to_return_to_page_and_logout() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf, "--account", "acme"]);

    // The sample portal's form.
    let form = s.get("/portal/login.html", None);
    assert_eq!(form.status, 200);
    assert_plain_page(&form);
    assert!(form.body.contains("<form method=\"post\""), "{}", form.body);
    // The login page leads to the phone page for kiosks.
    assert!(
        form.body
            .contains("href=\"/portal/kiosk.html\">Sign in at a kiosk</a>")
    );

    // Submitting it mints through the core and sends the browser to /jwt/.
    let minted = s.post_form(
        "/portal/login.html",
        &[
            ("name", "José <b>"),
            ("email", "jo@acme.com"),
            ("return_to", "tickets"),
        ],
    );
    assert_eq!(minted.status, 302, "{minted:#?}");
    let login_url = minted.location.unwrap();
    let prefix = format!("{}/jwt/?token=eyJ", s.origin);
    assert!(login_url.starts_with(&prefix), "{login_url}");
    assert!(login_url.ends_with("&return_to=%2Ftickets"), "{login_url}");

    // The support center signs the user in and sends them to return_to with a session.
    let signed_in = s.get(&login_url, None);
    assert_eq!(signed_in.status, 302, "{signed_in:#?}");
    assert_eq!(signed_in.location.as_deref(), Some("/tickets"));
    let cookie = cookie_pair(&signed_in.cookie.unwrap());
    assert!(cookie.starts_with("hfjwt_session="));

    for page in ["/tickets", "/home", "/kb"] {
        let r = s.get(page, Some(&cookie));
        assert_eq!(r.status, 200);
        assert_plain_page(&r);
        // The name (escaped) and the email are shown prominently, with a sign-out link.
        let text = r.text();
        assert!(
            text.contains("Signed in as José <b> jo@acme.com"),
            "{page}: {text}"
        );
        assert!(
            r.body
                .contains("<span class=\"hf-person-name\">José &lt;b&gt;</span>")
        );
        assert!(
            r.body
                .contains("<span class=\"hf-person-email\">jo@acme.com</span>")
        );
        assert!(r.body.contains("<a href=\"/logout\">Sign out</a>"));
        assert!(r.body.contains("acme.happyfox.com"));
        assert!(!text.contains("Not signed in") && !text.contains("Log in"));
        let anonymous = s.get(page, None);
        assert_eq!(anonymous.status, 200);
        assert_plain_page(&anonymous);
        let text = anonymous.text();
        assert!(text.contains("Not signed in"), "{text}");
        assert!(
            anonymous
                .body
                .contains("<a class=\"hf-button\" href=\"/login\">Log in</a>")
        );
        assert!(!text.contains("jo@acme.com") && !text.contains("Sign out"));
    }

    // The same link again is a replay.
    s.refused(
        login_url
            .strip_prefix(&s.origin)
            .unwrap()
            .strip_prefix("/jwt/?token=")
            .unwrap(),
        "replayed",
    );

    // Logout ends the session and goes to the Remote Logout URL (the sample portal's page).
    let out = s.get("/logout", Some(&cookie));
    assert_eq!(out.status, 302);
    let logout_page = out.location.unwrap();
    assert_eq!(logout_page, format!("{}/portal/logout.html", s.origin));
    assert!(out.cookie.unwrap().contains("Max-Age=0"));
    assert!(
        s.get("/tickets", Some(&cookie))
            .body
            .contains("Not signed in")
    );
    let portal = s.get(&logout_page, None);
    assert_eq!(portal.status, 200);
    assert_plain_page(&portal);
    assert!(
        portal
            .text()
            .contains("You are signed out of the support center")
    );

    // "Log in" goes to the Remote Login URL.
    let login = s.get("/login", None);
    assert_eq!(login.status, 302);
    assert_eq!(
        login.location,
        Some(format!("{}/portal/login.html", s.origin))
    );

    // One line per decision, with kind, jti and email, and never the key or a token.
    let log = s.wait_log("decision=logout email=jo@acme.com");
    assert!(log.contains("decision=portal_minted jti="));
    assert!(log.contains("decision=accepted jti="), "{log}");
    assert!(log.contains("email=jo@acme.com"));
    assert!(log.contains("decision=rejected kind=replayed"));
    assert!(!log.contains(KEY) && !log.contains("eyJ"), "{log}");
}

#[test]
fn expired_token_gets_happyfox_wording() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf]);
    let late = mint(KEY, "jo@acme.com", None, unix_now() - 121, "late");
    let r = s.refused(&late, "expired");
    let text = r.text();
    assert!(text.contains("Remote token has expired"), "{text}");
    assert!(
        text.contains("Sign-in links work for 120 seconds (2 minutes)"),
        "{text}"
    );
    assert!(text.contains("sign in again"), "{text}");
    // The signature verified, so the refusal names whose sign-in it was.
    s.wait_log("decision=rejected kind=expired jti=late email=jo@acme.com");
    // A longer max_age accepts the same token, with the default return_to.
    let lenient = Server::start(&["--key-file", &kf, "--max-age", "600"]);
    let r = lenient.get(&jwt_path(&late, None), None);
    assert_eq!((r.status, r.location.as_deref()), (302, Some("/home")));
}

#[test]
fn replayed_token_is_refused_once_used() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf]);
    let t = mint(KEY, "jo@acme.com", Some("Jo"), unix_now(), "once");
    let first = s.get(&jwt_path(&t, Some("kb")), None);
    assert_eq!(
        (first.status, first.location.as_deref()),
        (302, Some("/kb"))
    );
    let r = s.refused(&t, "replayed");
    let text = r.text();
    assert!(
        text.contains("This sign-in link was already used"),
        "{text}"
    );
    assert!(
        text.contains("Go back to your company portal and sign in again"),
        "{text}"
    );
    assert!(r.body.contains("href=\"/login\">Sign in again</a>"));
    assert!(!text.contains("You are already signed in"));
}

#[test]
fn signed_in_browser_replaying_is_told_it_is_already_signed_in() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf]);
    let t = mint(KEY, "jo@acme.com", Some("Jo"), unix_now(), "twice");
    let first = s.get(&jwt_path(&t, Some("kb")), None);
    let cookie = cookie_pair(&first.cookie.unwrap());
    // The same link again from the same browser: still a replay for scripts, but the page
    // says all is well and leads on to where the link was going.
    let r = s.get(&jwt_path(&t, Some("kb")), Some(&cookie));
    assert_eq!(
        (r.status, r.error_kind.as_deref()),
        (403, Some("replayed")),
        "{r:#?}"
    );
    assert!(r.cookie.is_none());
    assert_plain_page(&r);
    let text = r.text();
    assert!(text.contains("You are already signed in"), "{text}");
    assert!(
        text.contains("Jo") && text.contains("jo@acme.com"),
        "{text}"
    );
    assert!(!text.contains("was already used"), "{text}");
    assert!(
        r.body
            .contains("<a class=\"hf-button\" href=\"/kb\">Continue to Knowledge base</a>"),
        "{}",
        r.body
    );
    // Without return_to it leads to /home; the session is untouched.
    let r = s.get(&jwt_path(&t, None), Some(&cookie));
    assert!(r.body.contains("href=\"/home\">Continue to Home</a>"));
    assert!(
        s.get("/tickets", Some(&cookie))
            .text()
            .contains("jo@acme.com")
    );
    // A stale cookie is not a session: the plain replay page.
    let r = s.get(&jwt_path(&t, None), Some("hfjwt_session=stale"));
    assert!(r.text().contains("This sign-in link was already used"));
}

#[test]
fn bare_jwt_says_no_token_given() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf]);
    for path in ["/jwt/", "/jwt", "/jwt/?token=", "/jwt/?return_to=tickets"] {
        let r = s.get(path, None);
        assert_eq!(
            (r.status, r.error_kind.as_deref()),
            (403, Some("malformed")),
            "{path}: {r:#?}"
        );
        assert_plain_page(&r);
        let text = r.text();
        assert!(text.contains("No token given"), "{path}: {text}");
        assert!(r.body.contains("href=\"/login\">Log in</a>"));
    }
}

#[test]
fn each_refusal_has_its_own_plain_words() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf, "--allow-domain", "acme.com"]);
    let now = unix_now();
    for (token, kind, words) in [
        (
            mint(OTHER_KEY, "jo@acme.com", None, now, "f"),
            "bad_signature",
            "This sign-in link was not issued for this support center",
        ),
        (
            mint(KEY, "eve@evil.com", None, now, "e"),
            "domain_not_allowed",
            "This email address cannot sign in here",
        ),
        (
            mint(KEY, "jo@acme.com", None, now + 600, "fut"),
            "issued_in_future",
            "This sign-in link is not valid yet",
        ),
        (
            "A".repeat(5000),
            "too_large",
            "This sign-in link is too long",
        ),
        (
            "garbage".to_owned(),
            "malformed",
            "This sign-in link is damaged",
        ),
        (
            // Signed, but with no email.
            {
                let head = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
                let claims = base64url(format!("{{\"iat\":{now},\"jti\":\"x\"}}").as_bytes());
                let input = format!("{head}.{claims}");
                format!(
                    "{input}.{}",
                    base64url(&hs256(KEY.as_bytes(), input.as_bytes()))
                )
            },
            "missing_claim",
            "This sign-in link does not say who you are",
        ),
    ] {
        let r = s.refused(&token, kind);
        let text = r.text();
        assert!(text.contains(words), "{kind}: {text}");
        assert!(text.contains("Sign in again"), "{kind}: {text}");
    }
    // A bad return_to: 400, and its own words.
    let t = mint(KEY, "jo@acme.com", None, now, "rt");
    let r = s.get(&jwt_path(&t, Some("%2F%2Fevil.example")), None);
    assert_eq!(
        (r.status, r.error_kind.as_deref()),
        (400, Some("invalid_config"))
    );
    assert_plain_page(&r);
    assert!(
        r.text()
            .contains("This sign-in link points to a page that does not exist")
    );
}

#[test]
fn unknown_paths_get_a_404_page() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf, "--account", "acme"]);
    for path in [
        "/nope",
        "/portal/nope.html",
        "/jwt/extra",
        "/assets/other.css",
    ] {
        let r = s.get(path, None);
        assert_eq!(r.status, 404, "{path}: {r:#?}");
        assert!(r.error_kind.is_none());
        assert_plain_page(&r);
        let text = r.text();
        assert!(text.contains("Page not found"), "{text}");
        assert!(
            text.contains(&format!("There is no page at {path}")),
            "{text}"
        );
        assert!(text.contains("acme.happyfox.com"));
    }
    // The path is shown escaped.
    let r = s.get("/%3Cb%3E", None);
    assert_eq!(r.status, 404);
    assert!(!r.body.contains("<b>"), "{}", r.body);
    // A known path with the wrong method: 405, with a page too.
    let r = s.post_form("/tickets", &[("x", "1")]);
    assert_eq!(r.status, 405);
    assert_plain_page(&r);
    assert!(r.text().contains("cannot be used that way"));
}

#[test]
fn stylesheet_is_served_and_linked_from_every_page() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf]);
    let css = s.get("/assets/hfjwt.css", None);
    assert_eq!(css.status, 200);
    assert_eq!(css.content_type.as_deref(), Some("text/css; charset=utf-8"));
    assert!(
        css.cache_control
            .as_deref()
            .is_some_and(|c| c.contains("max-age=")),
        "{css:#?}"
    );
    assert_eq!(css.body, include_str!("../../assets/hfjwt.css"));
    // No external resources: no URLs, imports or web fonts.
    for banned in ["http:", "https:", "@import", "@font-face", "url("] {
        assert!(!css.body.contains(banned), "{banned}");
    }
    for path in [
        "/home",
        "/tickets",
        "/kb",
        "/portal/login.html",
        "/portal/logout.html",
        "/portal/kiosk.html",
        "/jwt/",
        "/missing",
    ] {
        let r = s.get(path, None);
        assert!(
            r.body
                .contains("<link rel=\"stylesheet\" href=\"/assets/hfjwt.css\">"),
            "{path}"
        );
        // Nothing is loaded from elsewhere.
        assert!(!r.body.contains("src=\"http"), "{path}");
        assert!(!r.body.contains("href=\"http"), "{path}");
    }
}

#[test]
fn wrong_key_is_a_bad_signature() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf]);
    let forged = mint(OTHER_KEY, "jo@acme.com", None, unix_now(), "forged");
    s.refused(&forged, "bad_signature");
    // A forged token does not burn the genuine jti.
    let genuine = mint(KEY, "jo@acme.com", None, unix_now(), "forged");
    assert_eq!(s.get(&jwt_path(&genuine, None), None).status, 302);
}

#[test]
fn domain_not_on_the_allow_list_is_refused() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf, "--allow-domain", "acme.com"]);
    let outsider = mint(KEY, "eve@evil.com", None, unix_now(), "o");
    s.refused(&outsider, "domain_not_allowed");
    let insider = mint(KEY, "jo@ACME.com", None, unix_now(), "i");
    assert_eq!(s.get(&jwt_path(&insider, None), None).status, 302);
    // The portal mints for anyone; the support center still refuses the domain.
    let minted = s.post_form("/portal/login.html", &[("email", "eve@evil.com")]);
    let r = s.get(&minted.location.unwrap(), None);
    assert_eq!(r.error_kind.as_deref(), Some("domain_not_allowed"));
}

#[test]
fn other_refusals_carry_their_kind() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf]);
    s.refused("", "malformed");
    s.refused("garbage", "malformed");
    s.refused(&"A".repeat(5000), "too_large");
    let future = mint(KEY, "jo@acme.com", None, unix_now() + 600, "future");
    s.refused(&future, "issued_in_future");
    // No token parameter at all.
    let r = s.get("/jwt/", None);
    assert_eq!(r.error_kind.as_deref(), Some("malformed"));
    // A bad return_to is refused before the token is judged, so the token is not used up.
    let t = mint(KEY, "jo@acme.com", None, unix_now(), "rt");
    let r = s.get(&jwt_path(&t, Some("%2F%2Fevil.example")), None);
    assert_eq!(
        (r.status, r.error_kind.as_deref()),
        (400, Some("invalid_config"))
    );
    let r = s.get(&jwt_path(&t, Some("%2Fkb%2Fintro")), None);
    assert_eq!((r.status, r.location.as_deref()), (302, Some("/kb/intro")));
    // The portal refuses what the core refuses, in plain words, with the form filled in again.
    let r = s.post_form("/portal/login.html", &[("name", "x"), ("email", "nope")]);
    assert_eq!(
        (r.status, r.error_kind.as_deref()),
        (400, Some("invalid_claim"))
    );
    assert_plain_page(&r);
    assert!(r.text().contains("Enter a valid email address"));
    assert!(r.body.contains("value=\"nope\""));
}

#[test]
fn remote_urls_and_toml_config() {
    let key = write_file("cfg-key.txt", format!("{KEY}\n").as_bytes());
    let config = write_file(
        "serve.toml",
        format!(
            "account = \"acme\"\n\
             key_file = \"{}\"\n\
             remote_login_url = \"https://portal.example.com/sso/login\"\n\
             remote_logout_url = \"https://portal.example.com/sso/bye\"\n\
             allowed_domains = [\"acme.com\"]\n\
             max_age = 60\n",
            // Relative to the config file.
            key.file_name().unwrap().to_str().unwrap()
        )
        .as_bytes(),
    );
    let s = Server::start(&["--config", config.to_str().unwrap()]);
    assert_eq!(
        s.get("/login", None).location.as_deref(),
        Some("https://portal.example.com/sso/login")
    );
    let t = mint(KEY, "jo@acme.com", None, unix_now(), "cfg");
    let signed_in = s.get(&jwt_path(&t, None), None);
    let cookie = cookie_pair(&signed_in.cookie.unwrap());
    assert_eq!(
        s.get("/logout", Some(&cookie)).location.as_deref(),
        Some("https://portal.example.com/sso/bye")
    );
    s.refused(
        &mint(KEY, "jo@beta.org", None, unix_now(), "b"),
        "domain_not_allowed",
    );
    s.refused(
        &mint(KEY, "jo@acme.com", None, unix_now() - 61, "old"),
        "expired",
    );

    // Flags win over the file.
    let s = Server::start(&[
        "--config",
        config.to_str().unwrap(),
        "--allow-domain",
        "beta.org",
        "--remote-login-url",
        "http://localhost:9000/login",
    ]);
    assert_eq!(
        s.get("/login", None).location.as_deref(),
        Some("http://localhost:9000/login")
    );
    let t = mint(KEY, "jo@beta.org", None, unix_now(), "b2");
    assert_eq!(s.get(&jwt_path(&t, None), None).status, 302);
}

#[test]
fn configuration_errors_exit_2() {
    let kf = key_file(KEY);
    let weak = key_file("short");
    let bad_toml = write_file("bad.toml", b"port = \"eighty\"\n");
    let unknown = write_file("unknown.toml", b"colour = \"blue\"\n");
    let two_keys = write_file("two.toml", b"key_file = \"k\"\nkey_env = \"K\"\n");
    for (args, prefix) in [
        (vec!["serve", "--port", "0"], "a key is needed"),
        (
            vec!["serve", "--port", "0", "--key-file", &weak],
            "weak_key: ",
        ),
        (
            vec![
                "serve",
                "--port",
                "0",
                "--key-file",
                &kf,
                "--remote-login-url",
                "http://evil.example/login",
            ],
            "invalid_config: ",
        ),
        (
            vec![
                "serve",
                "--port",
                "0",
                "--key-file",
                &kf,
                "--remote-logout-url",
                "portal/logout",
            ],
            "invalid_config: ",
        ),
        (
            vec![
                "serve",
                "--port",
                "0",
                "--key-file",
                &kf,
                "--account",
                "not valid",
            ],
            "invalid_config: ",
        ),
        (
            vec![
                "serve",
                "--config",
                bad_toml.to_str().unwrap(),
                "--key-file",
                &kf,
            ],
            "",
        ),
        (
            vec![
                "serve",
                "--config",
                unknown.to_str().unwrap(),
                "--key-file",
                &kf,
            ],
            "",
        ),
        (
            vec!["serve", "--config", two_keys.to_str().unwrap()],
            "the config file sets both",
        ),
        (
            vec!["serve", "--config", "/nonexistent.toml", "--key-file", &kf],
            "cannot read",
        ),
        (
            vec![
                "serve",
                "--port",
                "0",
                "--key-file",
                &kf,
                "--replay-capacity",
                "0",
            ],
            "replay_capacity",
        ),
    ] {
        let r = run(&args).expect(2).one_error_line(prefix);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
    // clap's own usage errors.
    run(&["serve", "--port", "99999"]).expect(2);
    run(&["serve", "--account", "a", "--domain", "b.com"]).expect(2);
}

/// base64url without padding, for hand-built tokens.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// HMAC-SHA256 of `message` under `key`.
fn hs256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

// ---- the phone page for kiosk sign-in ---------------------------------------------------

/// The kiosk's `portal_key` from firmware/kiosk.toml: the key kiosks verify portal tokens with.
const KIOSK_KEY: &str = "DEMO-portal-key-not-a-secret-0001";

/// What a kiosk would make of `token`: the core's verdict under `key`, now.
fn kiosk_verify(key: &str, token: &str) -> Result<(Option<String>, String, u64, String), String> {
    let mut v: hfjwt::Verifier = hfjwt::Verifier::new(hfjwt::Key::new(key.as_bytes()).unwrap());
    let mut scratch = vec![0u8; hfjwt::scratch_len(4096)];
    v.verify(token, unix_now(), &mut scratch)
        .map(|c| {
            (
                c.name.map(str::to_owned),
                c.email.unwrap().to_owned(),
                c.iat,
                c.jti.to_owned(),
            )
        })
        .map_err(|e| e.kind().as_str().to_owned())
}

/// The token in a kiosk page's text box.
fn token_on_page(r: &Reply) -> String {
    let start = r.body.find("data-token>").expect("a token on the page") + "data-token>".len();
    let len = r.body[start..].find('<').unwrap();
    r.body[start..start + len].to_owned()
}

#[test]
fn kiosk_page_signs_the_phone_in_and_shows_a_fresh_portal_token() {
    let kf = key_file(KEY);
    let kk = key_file(KIOSK_KEY);
    let s = Server::start(&["--key-file", &kf, "--kiosk-key-file", &kk]);

    // First the form.
    let form = s.get("/portal/kiosk.html", None);
    assert_eq!(form.status, 200);
    assert_plain_page(&form);
    assert!(form.text().contains("Sign in at a kiosk"));
    assert!(
        form.body
            .contains("<form method=\"post\" action=\"/portal/kiosk.html\">")
    );

    // Details the core refuses come back on the form, in plain words.
    let bad = s.post_form(
        "/portal/kiosk.html",
        &[("name", "Jo"), ("email", "not-an-address")],
    );
    assert_eq!(
        (bad.status, bad.error_kind.as_deref()),
        (400, Some("invalid_claim"))
    );
    assert_plain_page(&bad);
    assert!(bad.text().contains("Enter a valid email address"));
    assert!(bad.cookie.is_none());

    // Posting it remembers the phone user in the portal's own cookie.
    let posted = s.post_form(
        "/portal/kiosk.html",
        &[("name", " José Smith "), ("email", "jo@acme.com")],
    );
    assert_eq!(posted.status, 303, "{posted:#?}");
    assert_eq!(posted.location.as_deref(), Some("/portal/kiosk.html"));
    let set_cookie = posted.cookie.unwrap();
    assert!(set_cookie.starts_with("hfjwt_portal="), "{set_cookie}");
    assert!(set_cookie.contains("Path=/portal") && set_cookie.contains("HttpOnly"));
    let cookie = cookie_pair(&set_cookie);

    // The page now shows a portal token minted with the kiosk key, as QR code and as text.
    let page = s.get("/portal/kiosk.html", Some(&cookie));
    assert_eq!(page.status, 200);
    assert_plain_page(&page);
    assert_eq!(page.cache_control.as_deref(), Some("no-store"));
    assert!(page.body.contains("<svg role=\"img\""), "{}", page.body);
    assert!(!page.body.contains("<?xml"));
    assert!(page.body.contains("data-valid-for=\"120\""));
    assert!(page.body.contains("data-renew-before=\"20\""));
    assert!(page.body.contains("<script>") && !page.body.contains("<script src"));
    let text = page.text();
    assert!(text.contains("Scan this at the kiosk"), "{text}");
    assert!(text.contains("Valid for 120 more seconds"), "{text}");
    assert!(text.contains("José Smith") && text.contains("jo@acme.com"));
    let token = token_on_page(&page);
    let (name, email, iat, jti) = kiosk_verify(KIOSK_KEY, &token).unwrap();
    assert_eq!(
        (name.as_deref(), email.as_str()),
        (Some("José Smith"), "jo@acme.com")
    );
    assert!(iat.abs_diff(unix_now()) <= 5, "iat {iat}");
    assert!(uuid_shaped(&jti), "{jti}");
    // Not a HappyFox token: the support center's key does not verify it.
    assert_eq!(
        kiosk_verify(KEY, &token).unwrap_err(),
        "bad_signature",
        "minted with the HappyFox key"
    );
    let r = s.get(&jwt_path(&token, None), None);
    assert_eq!(r.error_kind.as_deref(), Some("bad_signature"));

    // Every visit mints a fresh token.
    let again = token_on_page(&s.get("/portal/kiosk.html", Some(&cookie)));
    assert_ne!(again, token);
    let (.., jti2) = kiosk_verify(KIOSK_KEY, &again).unwrap();
    assert_ne!(jti2, jti);

    // The portal cookie is not a support-center session.
    assert!(
        s.get("/tickets", Some(&cookie))
            .text()
            .contains("Not signed in")
    );
    // Without the cookie, the form again.
    assert!(
        s.get("/portal/kiosk.html", None)
            .body
            .contains("<form method=\"post\"")
    );

    // Signing out forgets the phone user.
    let out = s.post_form_with_cookie("/portal/kiosk.html", &cookie, &[("sign_out", "1")]);
    assert_eq!(out.status, 303);
    assert!(out.cookie.unwrap().contains("Max-Age=0"));
    let after = s.get("/portal/kiosk.html", Some(&cookie));
    assert!(!after.body.contains("data-token"));
    assert!(after.text().contains("Sign in at a kiosk"));

    // One line per decision, never a key or a token.
    let log = s.wait_log("decision=portal_kiosk_signed_out email=jo@acme.com");
    assert!(log.contains("decision=portal_kiosk_signed_in email=jo@acme.com"));
    assert!(log.contains(&format!(
        "decision=portal_kiosk_minted jti={jti} email=jo@acme.com"
    )));
    assert!(log.contains("kiosk page on"));
    assert!(
        !log.contains(KIOSK_KEY) && !log.contains(KEY) && !log.contains("eyJ"),
        "{log}"
    );
}

fn uuid_shaped(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            matches!(i, 8 | 13 | 18 | 23) == (c == '-') && (c == '-' || c.is_ascii_hexdigit())
        })
}

#[test]
fn kiosk_page_without_a_kiosk_key_says_the_portal_is_not_set_up() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf]);
    for r in [
        s.get("/portal/kiosk.html", None),
        s.post_form("/portal/kiosk.html", &[("email", "jo@acme.com")]),
    ] {
        assert_eq!(r.status, 503, "{r:#?}");
        assert!(r.cookie.is_none());
        assert_plain_page(&r);
        let text = r.text();
        assert!(
            text.contains("This portal is not set up for kiosks"),
            "{text}"
        );
        assert!(text.contains("--kiosk-key-file"), "{text}");
        assert!(!r.body.contains("data-token"));
    }
    s.wait_log("kiosk page off: no kiosk key");
}

#[test]
fn kiosk_key_from_env_or_config_file() {
    let kf = key_file(KEY);
    // --kiosk-key-env
    let s = Server::start_with_env(
        &["--key-file", &kf, "--kiosk-key-env", "HFJWT_TEST_KIOSK_KEY"],
        &[("HFJWT_TEST_KIOSK_KEY", KIOSK_KEY)],
    );
    assert_signs_phone_in_with_kiosk_key(&s);

    // kiosk_key_file in the config file, relative to it.
    let kiosk = write_file("cfg-kiosk.key", format!("{KIOSK_KEY}\n").as_bytes());
    let config = write_file(
        "kiosk-serve.toml",
        format!(
            "kiosk_key_file = \"{}\"\n",
            kiosk.file_name().unwrap().to_str().unwrap()
        )
        .as_bytes(),
    );
    let s = Server::start(&["--key-file", &kf, "--config", config.to_str().unwrap()]);
    assert_signs_phone_in_with_kiosk_key(&s);

    // kiosk_key_env in the config file.
    let config = write_file(
        "kiosk-env.toml",
        b"kiosk_key_env = \"HFJWT_TEST_KIOSK_KEY2\"\n",
    );
    let s = Server::start_with_env(
        &["--key-file", &kf, "--config", config.to_str().unwrap()],
        &[("HFJWT_TEST_KIOSK_KEY2", KIOSK_KEY)],
    );
    assert_signs_phone_in_with_kiosk_key(&s);

    // A flag wins over the file.
    let wrong = write_file(
        "kiosk-wrong.toml",
        b"kiosk_key_file = \"/nonexistent/kiosk.key\"\n",
    );
    let kk = key_file(KIOSK_KEY);
    let s = Server::start(&[
        "--key-file",
        &kf,
        "--config",
        wrong.to_str().unwrap(),
        "--kiosk-key-file",
        &kk,
    ]);
    assert_signs_phone_in_with_kiosk_key(&s);
}

fn assert_signs_phone_in_with_kiosk_key(s: &Server) {
    let posted = s.post_form("/portal/kiosk.html", &[("email", "kim@acme.com")]);
    assert_eq!(posted.status, 303, "{posted:#?}");
    let page = s.get(
        "/portal/kiosk.html",
        Some(&cookie_pair(&posted.cookie.unwrap())),
    );
    let (name, email, ..) = kiosk_verify(KIOSK_KEY, &token_on_page(&page)).unwrap();
    assert_eq!((name, email.as_str()), (None, "kim@acme.com"));
}

#[test]
fn kiosk_key_configuration_errors_exit_2() {
    let kf = key_file(KEY);
    let weak = key_file("short");
    let both = write_file(
        "kiosk-both.toml",
        b"kiosk_key_file = \"k\"\nkiosk_key_env = \"K\"\n",
    );
    for (args, prefix) in [
        (vec!["--kiosk-key-file", weak.as_str()], "weak_key: "),
        (
            vec!["--kiosk-key-file", "/nonexistent/kiosk.key"],
            "cannot read key file",
        ),
        (
            vec!["--kiosk-key-env", "HFJWT_TEST_UNSET_KIOSK_KEY"],
            "environment variable HFJWT_TEST_UNSET_KIOSK_KEY is not set",
        ),
        (
            vec!["--config", both.to_str().unwrap()],
            "the config file sets both kiosk_key_file and kiosk_key_env",
        ),
        // The HappyFox key is not a kiosk key: the phone's code would work at HappyFox.
        (
            vec!["--kiosk-key-file", kf.as_str()],
            "the kiosk key is the HappyFox key",
        ),
    ] {
        let mut all = vec!["serve", "--port", "0", "--key-file", &kf];
        all.extend(args.iter().copied());
        let r = run(&all).expect(2).one_error_line(prefix);
        assert!(r.stdout.is_empty(), "{all:?}: {}", r.stdout);
    }
    // Both flags at once is clap's usage error.
    run(&[
        "serve",
        "--key-file",
        &kf,
        "--kiosk-key-file",
        &kf,
        "--kiosk-key-env",
        "K",
    ])
    .expect(2);
}

/// Runs `cmd` to completion, failing the test if it takes longer than `limit` (then killed).
fn finish_within(mut cmd: std::process::Command, limit: Duration) -> std::process::Output {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {program}: {e}. This test needs Debian's chromium and zbar-tools \
                 packages (apt-get install -y chromium zbar-tools)."
            )
        });
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// What a phone shows: a headless Chromium (390×844) posts the kiosk form with `name` and
/// `email`, follows the redirect, runs the page's script for `virtual_ms` of virtual time
/// (Chromium waits for pending fetches), and screenshots the page; zbarimg decodes the QR
/// code in the PNG. Returns the decoded text.
fn phone_qr_text(s: &Server, name: &str, email: &str, virtual_ms: u32) -> String {
    // The form's anti-forgery token, as the portal's own page would carry it.
    let csrf = s.csrf_token("/portal/kiosk.html", None);
    assert!(!csrf.is_empty());
    let submit = write_file(
        "kiosk-submit.html",
        format!(
            "<!doctype html><form method=\"post\" action=\"{}/portal/kiosk.html\">\
             <input name=\"name\" value=\"{name}\"><input name=\"email\" value=\"{email}\">\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
             </form><script>document.forms[0].submit()</script>",
            s.origin
        )
        .as_bytes(),
    );
    let png = tmp_path("kiosk-qr.png");
    let profile = tmp_path("chromium-profile");
    let mut chromium = std::process::Command::new("chromium");
    chromium.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--window-size=390,844",
        &format!("--virtual-time-budget={virtual_ms}"),
        &format!("--user-data-dir={}", profile.display()),
        &format!("--screenshot={}", png.display()),
        &format!("file://{}", submit.display()),
    ]);
    let shot = finish_within(chromium, Duration::from_secs(120));
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        shot.status.success() && png.exists(),
        "chromium failed: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let mut zbarimg = std::process::Command::new("zbarimg");
    zbarimg.args(["--raw", "-q"]).arg(&png);
    let decoded = finish_within(zbarimg, Duration::from_secs(60));
    assert!(
        decoded.status.success(),
        "zbarimg found no QR code in {}: {}",
        png.display(),
        String::from_utf8_lossy(&decoded.stderr)
    );
    let text = String::from_utf8(decoded.stdout).unwrap();
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

/// The phone page's QR code, read from pixels: the decoded text must be exactly a token the
/// kiosk key verifies, for the name and email entered, and the one the page was served with.
#[test]
fn kiosk_qr_code_decodes_from_a_headless_chromium_screenshot() {
    let kf = key_file(KEY);
    let kk = key_file(KIOSK_KEY);
    let s = Server::start(&["--key-file", &kf, "--kiosk-key-file", &kk]);
    let name = "Josephine Smith-Ellington";
    let email = "josephine.smith-ellington@support.acme-industries.com";
    // 2 s of virtual time: enough for the post and the redirect.
    let token = phone_qr_text(&s, name, email, 2000);
    assert!(
        token.len() >= 250,
        "a realistic token: {} chars",
        token.len()
    );
    let (got_name, got_email, _, jti) = kiosk_verify(KIOSK_KEY, &token).unwrap_or_else(|kind| {
        panic!("the decoded QR code is not a kiosk token ({kind}): {token:?}")
    });
    assert_eq!(
        (got_name.as_deref(), got_email.as_str()),
        (Some(name), email)
    );
    let log = s.wait_log(&format!(
        "decision=portal_kiosk_minted jti={jti} email={email}"
    ));
    assert_eq!(
        log.matches("decision=portal_kiosk_minted").count(),
        1,
        "{log}"
    );
}

/// The page renews its code before the 120 s run out: after 110 s (virtual) on the page, the
/// QR code on screen is a second, freshly minted token, not the one first shown.
#[test]
fn kiosk_page_renews_its_code_before_it_expires() {
    let kf = key_file(KEY);
    let kk = key_file(KIOSK_KEY);
    let s = Server::start(&["--key-file", &kf, "--kiosk-key-file", &kk]);
    let token = phone_qr_text(&s, "Jo", "jo@acme.com", 110_000);
    let (.., jti) = kiosk_verify(KIOSK_KEY, &token).unwrap();
    let log = s.wait_log(&format!("decision=portal_kiosk_minted jti={jti} "));
    let minted: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("decision=portal_kiosk_minted"))
        .collect();
    assert_eq!(minted.len(), 2, "one renewal at 100 s: {log}");
    assert!(
        minted[1].contains(&jti),
        "the code on screen is the renewed one: {log}"
    );
}

// ---- sessions, forms and limits ---------------------------------------------------------

/// Signs a fresh token in and returns the session cookie to send back.
fn sign_in(s: &Server, jti: &str) -> String {
    let t = mint(KEY, "jo@acme.com", Some("Jo"), unix_now(), jti);
    let r = s.get(&jwt_path(&t, None), None);
    assert_eq!(r.status, 302, "{r:#?}");
    cookie_pair(&r.cookie.unwrap())
}

fn is_signed_in(s: &Server, cookie: &str) -> bool {
    let text = s.get("/home", Some(cookie)).text();
    assert!(
        text.contains("Not signed in") != text.contains("jo@acme.com"),
        "{text}"
    );
    text.contains("jo@acme.com")
}

#[test]
fn a_session_ends_when_idle_and_at_its_lifetime() {
    let kf = key_file(KEY);
    let s = Server::start(&[
        "--key-file",
        &kf,
        "--session-idle",
        "1",
        "--session-lifetime",
        "3",
    ]);
    // The cookie says how long the session can last.
    let t = mint(KEY, "jo@acme.com", None, unix_now(), "idle");
    let r = s.get(&jwt_path(&t, None), None);
    assert!(r.cookie.as_deref().unwrap().contains("Max-Age=3"), "{r:#?}");
    let idle = cookie_pair(&r.cookie.unwrap());
    assert!(is_signed_in(&s, &idle));
    std::thread::sleep(Duration::from_millis(1300));
    assert!(!is_signed_in(&s, &idle), "idle for more than 1 s");
    // Used every 0.4 s it outlives the idle limit, but not the 3 s lifetime.
    let busy = sign_in(&s, "busy");
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(2600) {
        assert!(is_signed_in(&s, &busy), "at {:?}", start.elapsed());
        std::thread::sleep(Duration::from_millis(400));
    }
    std::thread::sleep(Duration::from_millis(600));
    assert!(!is_signed_in(&s, &busy), "past the lifetime");
    // An expired session is not "already signed in" either.
    let r = s.get(&jwt_path(&t, None), Some(&idle));
    assert!(r.text().contains("This sign-in link was already used"));
}

#[test]
fn the_oldest_session_is_evicted_beyond_the_limit() {
    let kf = key_file(KEY);
    let s = Server::start(&["--key-file", &kf, "--session-limit", "2"]);
    let first = sign_in(&s, "s1");
    let second = sign_in(&s, "s2");
    assert!(is_signed_in(&s, &first));
    let third = sign_in(&s, "s3");
    assert!(!is_signed_in(&s, &first), "the oldest goes first");
    assert!(is_signed_in(&s, &second) && is_signed_in(&s, &third));
}

#[test]
fn the_phone_user_is_forgotten_when_idle() {
    let kf = key_file(KEY);
    let kk = key_file(KIOSK_KEY);
    let s = Server::start(&[
        "--key-file",
        &kf,
        "--kiosk-key-file",
        &kk,
        "--session-idle",
        "1",
    ]);
    let posted = s.post_form("/portal/kiosk.html", &[("email", "jo@acme.com")]);
    let set_cookie = posted.cookie.unwrap();
    assert!(set_cookie.contains("Max-Age=28800"), "{set_cookie}");
    let cookie = cookie_pair(&set_cookie);
    assert!(
        s.get("/portal/kiosk.html", Some(&cookie))
            .body
            .contains("data-token")
    );
    std::thread::sleep(Duration::from_millis(1300));
    let r = s.get("/portal/kiosk.html", Some(&cookie));
    assert!(!r.body.contains("data-token"));
    assert!(r.text().contains("Sign in at a kiosk"));
}

#[test]
fn portal_forms_refuse_posts_without_their_own_token() {
    let kf = key_file(KEY);
    let kk = key_file(KIOSK_KEY);
    let s = Server::start(&["--key-file", &kf, "--kiosk-key-file", &kk]);
    let login_token = s.csrf_token("/portal/login.html", None);
    let kiosk_token = s.csrf_token("/portal/kiosk.html", None);
    assert!(!login_token.is_empty() && !kiosk_token.is_empty());
    let details = [("email", "jo@acme.com"), ("return_to", "tickets")];
    for (path, token, refusal) in [
        ("/portal/login.html", None, "csrf_missing"),
        ("/portal/login.html", Some(""), "csrf_missing"),
        ("/portal/login.html", Some("1800000000.00"), "csrf_forged"),
        // Each form's token works for that form only.
        (
            "/portal/login.html",
            Some(kiosk_token.as_str()),
            "csrf_forged",
        ),
        (
            "/portal/kiosk.html",
            Some(login_token.as_str()),
            "csrf_forged",
        ),
        ("/portal/kiosk.html", None, "csrf_missing"),
    ] {
        let mut form = details.to_vec();
        if let Some(t) = token {
            form.push(("csrf_token", t));
        }
        let r = s.post_raw(path, None, &form);
        assert_eq!(
            (r.status, r.refusal.as_deref()),
            (403, Some(refusal)),
            "{path} {token:?}: {r:#?}"
        );
        assert!(r.location.is_none() && r.cookie.is_none(), "{r:#?}");
        assert_plain_page(&r);
        let text = r.text();
        assert!(text.contains("This form could not be accepted"), "{text}");
        assert!(text.contains("Nothing was done"), "{text}");
        assert!(
            r.body
                .contains(&format!("href=\"{path}\">Open the form again</a>"))
        );
    }
    // Nothing was minted; with its own token, the same form goes through.
    let log = s.wait_log("decision=portal_refused kind=csrf");
    assert!(!log.contains("decision=portal_minted"), "{log}");
    let mut form = details.to_vec();
    form.push(("csrf_token", &login_token));
    let r = s.post_raw("/portal/login.html", None, &form);
    assert_eq!(r.status, 302, "{r:#?}");
    // The token is not single-use (the form may be sent again after a refusal), but the
    // sign-in link it led to is.
    assert_eq!(s.post_raw("/portal/login.html", None, &form).status, 302);
}

#[test]
fn portal_minting_is_rate_limited_per_client() {
    let kf = key_file(KEY);
    let kk = key_file(KIOSK_KEY);
    let s = Server::start(&[
        "--key-file",
        &kf,
        "--kiosk-key-file",
        &kk,
        "--rate-limit",
        "1",
        "--rate-burst",
        "2",
    ]);
    // Posts without the form's token are refused before they count.
    for _ in 0..5 {
        let r = s.post_raw("/portal/login.html", None, &[("email", "jo@acme.com")]);
        assert_eq!(r.status, 403, "{r:#?}");
    }
    for _ in 0..2 {
        let r = s.post_form("/portal/login.html", &[("email", "jo@acme.com")]);
        assert_eq!(r.status, 302, "{r:#?}");
    }
    let r = s.post_form("/portal/login.html", &[("email", "jo@acme.com")]);
    assert_eq!(
        (r.status, r.refusal.as_deref()),
        (429, Some("rate_limited")),
        "{r:#?}"
    );
    let wait: u64 = r.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert_plain_page(&r);
    let text = r.text();
    assert!(text.contains("Too many requests"), "{text}");
    assert!(text.contains(&format!("Wait {wait} second")), "{text}");
    // The phone page's codes count too: signing in is fine, showing a code is not.
    let posted = s.post_form("/portal/kiosk.html", &[("email", "jo@acme.com")]);
    assert_eq!(posted.status, 303);
    let r = s.get(
        "/portal/kiosk.html",
        Some(&cookie_pair(&posted.cookie.unwrap())),
    );
    assert_eq!(r.status, 429);
    assert!(!r.body.contains("data-token"));
    let log = s.wait_log("decision=portal_refused kind=rate_limited client=127.0.0.1");
    assert_eq!(log.matches("decision=portal_minted").count(), 2, "{log}");
    // The support center itself is not limited.
    assert_eq!(s.get("/home", None).status, 200);
}

#[test]
fn a_port_that_cannot_be_bound_is_a_run_time_failure() {
    let kf = key_file(KEY);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let r = run(&["serve", "--key-file", &kf, "--port", &port])
        .expect(3)
        .one_error_line(&format!("cannot listen on 127.0.0.1:{port}"));
    assert!(r.stdout.is_empty());
}

#[test]
fn session_and_rate_settings_are_checked_at_start() {
    let kf = key_file(KEY);
    let inverted = write_file(
        "inverted.toml",
        b"session_idle = 600\nsession_lifetime = 60\n",
    );
    for (args, prefix) in [
        (
            vec!["--session-idle", "0"],
            "session_idle and session_lifetime",
        ),
        (
            vec!["--session-lifetime", "0"],
            "session_idle and session_lifetime",
        ),
        (
            vec!["--session-limit", "0"],
            "session_limit must be at least 1",
        ),
        (vec!["--rate-limit", "0"], "rate_limit and rate_burst"),
        (vec!["--rate-burst", "0"], "rate_limit and rate_burst"),
        (
            vec!["--config", inverted.to_str().unwrap()],
            "session_idle (600 s) is longer than session_lifetime (60 s)",
        ),
    ] {
        let mut all = vec!["serve", "--port", "0", "--key-file", &kf];
        all.extend(args.iter().copied());
        let r = run(&all).expect(2).one_error_line(prefix);
        assert!(r.stdout.is_empty(), "{all:?}");
    }
    // The same settings from the file.
    let config = write_file(
        "limits.toml",
        b"session_idle = 1\nsession_lifetime = 60\nsession_limit = 5\nrate_limit = 1\nrate_burst = 1\n",
    );
    let s = Server::start(&["--key-file", &kf, "--config", config.to_str().unwrap()]);
    s.wait_log(
        "sessions: 1 s idle, 60 s at most, 5 kept; portal: 1 codes a minute per client, burst 1",
    );
    assert_eq!(
        s.post_form("/portal/login.html", &[("email", "jo@acme.com")])
            .status,
        302
    );
    assert_eq!(
        s.post_form("/portal/login.html", &[("email", "jo@acme.com")])
            .status,
        429
    );
}

/// The audience a kiosk with `audience` finds in `token`: verified with that policy.
fn kiosk_verify_for(audience: &str, token: &str) -> Result<(), String> {
    let policy = hfjwt::Policy::new().audience(audience).unwrap();
    let mut v: hfjwt::Verifier =
        hfjwt::Verifier::new(hfjwt::Key::new(KIOSK_KEY.as_bytes()).unwrap()).with_policy(policy);
    let mut scratch = vec![0u8; hfjwt::scratch_len(4096)];
    v.verify(token, unix_now(), &mut scratch)
        .map(|_| ())
        .map_err(|e| e.kind().as_str().to_owned())
}

#[test]
fn the_phone_page_mints_for_the_kiosk_the_person_is_at() {
    let kf = key_file(KEY);
    let kk = key_file(KIOSK_KEY);
    let s = Server::start(&[
        "--key-file",
        &kf,
        "--kiosk-key-file",
        &kk,
        "--kiosk",
        "lobby",
        "--kiosk",
        "floor-2",
    ]);
    let posted = s.post_form(
        "/portal/kiosk.html",
        &[("name", "Jo"), ("email", "jo@acme.com")],
    );
    assert_eq!(posted.status, 303, "{posted:#?}");
    let cookie = cookie_pair(&posted.cookie.unwrap());

    // Two kiosks: the person picks one before any code is minted.
    let choice = s.get("/portal/kiosk.html", Some(&cookie));
    assert_eq!(choice.status, 200);
    assert!(
        choice.text().contains("Which kiosk are you at?"),
        "{}",
        choice.body
    );
    assert!(
        choice
            .body
            .contains("href=\"/portal/kiosk.html?kiosk=lobby\"")
    );
    assert!(
        choice
            .body
            .contains("href=\"/portal/kiosk.html?kiosk=floor-2\"")
    );
    assert!(!choice.body.contains("data-token"));
    // A kiosk the portal does not serve is not a choice.
    let other = s.get("/portal/kiosk.html?kiosk=elsewhere", Some(&cookie));
    assert!(!other.body.contains("data-token"));

    let page = s.get("/portal/kiosk.html?kiosk=floor-2", Some(&cookie));
    assert!(
        page.text().contains("Scan this at kiosk floor-2"),
        "{}",
        page.text()
    );
    let token = token_on_page(&page);
    assert_eq!(kiosk_verify_for("floor-2", &token), Ok(()));
    assert_eq!(
        kiosk_verify_for("lobby", &token).unwrap_err(),
        "wrong_audience"
    );
    // A kiosk without an audience of its own refuses a code bound to one.
    assert_eq!(
        kiosk_verify(KIOSK_KEY, &token).unwrap_err(),
        "wrong_audience"
    );
}

#[test]
fn one_kiosk_needs_no_choice_and_a_kiosk_needs_the_kiosk_key() {
    let kf = key_file(KEY);
    let kk = key_file(KIOSK_KEY);
    let s = Server::start(&[
        "--key-file",
        &kf,
        "--kiosk-key-file",
        &kk,
        "--kiosk",
        "lobby",
    ]);
    let posted = s.post_form("/portal/kiosk.html", &[("email", "jo@acme.com")]);
    let cookie = cookie_pair(&posted.cookie.unwrap());
    let token = token_on_page(&s.get("/portal/kiosk.html", Some(&cookie)));
    assert_eq!(kiosk_verify_for("lobby", &token), Ok(()));

    let out = bin()
        .args([
            "serve",
            "--port",
            "0",
            "--key-file",
            &kf,
            "--kiosk",
            "lobby",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kiosk needs --kiosk-key-file"));
}

// ---------------------------------------------------------------- shared replay store

#[path = "../../replay-redis/tests/common/redis_server.rs"]
mod redis_server;

#[test]
fn two_stand_ins_on_one_redis_sign_a_link_in_once() {
    let redis = redis_server::RedisServer::start();
    let url = redis.url();
    let kf = key_file(KEY);
    let a = Server::start(&["--key-file", &kf, "--replay-store", &url]);
    let b = Server::start(&["--key-file", &kf, "--replay-store", &url]);
    let token = mint(KEY, "jo@acme.com", Some("Jo"), unix_now(), "shared-1");
    // The same sign-in link, posted to each worker: one sign-in, the other refused.
    let first = a.get(&jwt_path(&token, None), None);
    assert_eq!(first.status, 302, "{first:#?}");
    let second = b.get(&jwt_path(&token, None), None);
    assert_eq!(
        (second.status, second.error_kind.as_deref()),
        (403, Some("replayed"))
    );
    assert!(second.text().contains("already used"), "{}", second.text());
    // And back on the first one too: the memory is Redis's.
    let third = a.get(&jwt_path(&token, None), None);
    assert_eq!(third.error_kind.as_deref(), Some("replayed"));
}

#[test]
fn a_stand_in_whose_redis_is_gone_refuses_rather_than_accepts() {
    let kf = key_file(KEY);
    // Nothing listens on this port: every sign-in is refused, none accepted unrecorded.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let s = Server::start(&["--key-file", &kf, "--replay-store", &url]);
    let token = mint(KEY, "jo@acme.com", None, unix_now(), "down-1");
    let r = s.get(&jwt_path(&token, None), None);
    assert_eq!(
        (r.status, r.error_kind.as_deref()),
        (403, Some("replay_store_unavailable")),
        "{r:#?}"
    );
}
