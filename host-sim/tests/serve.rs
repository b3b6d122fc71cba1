//! `hfjwt-sim serve` over real HTTP on 127.0.0.1: the sample portal → `/jwt/` → the
//! `return_to` page, and every way a sign-in is refused, each asserting the core's kind.

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
    body: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = bin()
            .args(["serve", "--port", "0"])
            .args(args)
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

    fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut req = self.agent.get(&self.url(path));
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        reply(req.call().unwrap())
    }

    fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        reply(
            self.agent
                .post(&self.url(path))
                .send_form(form.iter().copied())
                .unwrap(),
        )
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
    Reply {
        status: r.status().as_u16(),
        location,
        cookie,
        error_kind,
        body: r.body_mut().read_to_string().unwrap(),
    }
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
    assert!(form.body.contains("<form method=\"post\""), "{}", form.body);

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
        assert!(
            r.body
                .contains("Signed in as José &lt;b&gt; &lt;jo@acme.com&gt;"),
            "{page}: {}",
            r.body
        );
        assert!(r.body.contains("acme.happyfox.com"));
        let anonymous = s.get(page, None);
        assert!(
            anonymous.body.contains("Not signed in"),
            "{}",
            anonymous.body
        );
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
    assert!(portal.body.contains("signed out"));

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
    assert!(r.body.contains("Remote token has expired"), "{}", r.body);
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
    assert!(r.body.contains("already used"));
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
        (400, Some("malformed"))
    );
    let r = s.get(&jwt_path(&t, Some("%2Fkb%2Fintro")), None);
    assert_eq!((r.status, r.location.as_deref()), (302, Some("/kb/intro")));
    // The portal refuses what the core refuses.
    let r = s.post_form("/portal/login.html", &[("name", "x"), ("email", "nope")]);
    assert_eq!(
        (r.status, r.error_kind.as_deref()),
        (400, Some("invalid_claim"))
    );
    assert!(r.body.contains("email is not a valid address"));
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
            "malformed: ",
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
            "malformed: ",
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
            "malformed: ",
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
