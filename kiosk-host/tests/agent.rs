//! The agent binary for real: a headless Chromium, a fake reader on TCP, a stand-in support
//! center on loopback. Chromium must be installed (these tests fail, never skip, without it).

mod common;

use hfjwt::ErrorKind;
use hfjwt_firmware::protocol::{Button, DenyKind, HostCommand, Reply};
use hfjwt_kiosk_host::testkit::FakeReader;

use common::*;

#[test]
fn keeps_the_reader_clock_across_reconnects() {
    let _slot = browser_slot();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(&reader, "https://acme.happyfox.com", &["--time-every", "1"]);
    let mut conn = connect(&reader, &mut agent);
    // Periodic TIME on the same connection.
    let HostCommand::Time { unix } = conn.command(WAIT) else {
        panic!("expected a periodic TIME")
    };
    assert!(unix + 5 >= unix_now());
    let mut tab = kiosk_tab(&ready);
    tab.wait_until(WAIT, |_, text| text.contains("Reader connected"))
        .unwrap();

    // The reader goes away (nothing listens any more): the idle page says so, and the agent
    // keeps trying.
    let addr = reader.addr();
    drop(conn);
    drop(reader);
    agent.wait_event("reader_disconnected", WAIT);
    let (url, text) = tab
        .wait_until(WAIT, |_, text| text.contains("Reader disconnected"))
        .unwrap();
    assert!(url.starts_with(&ready.pages), "{url}");
    assert!(text.contains("call a member of staff"), "{text}");

    // It comes back: a new connection gets TIME again.
    let reader = FakeReader::bind_to(addr).unwrap();
    let _conn = connect(&reader, &mut agent);
    tab.wait_until(WAIT, |_, text| !text.contains("Reader disconnected"))
        .unwrap();
}

#[test]
fn refuses_foreign_grants_and_explains_denials() {
    let _slot = browser_slot();
    // The support origin is https on the trap's port; the trap itself speaks http and records
    // every request: a refused GRANT must never reach it.
    let trap = SupportCenter::start();
    let https_origin = trap.origin.replace("http://", "https://");
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(&reader, &https_origin, &["--message-seconds", "2"]);
    let mut conn = connect(&reader, &mut agent);
    let mut tab = kiosk_tab(&ready);
    let host = trap.origin.trim_start_matches("http://");

    let wrong_scheme = format!("{}/jwt/?token=x", trap.origin);
    let userinfo = format!("https://{host}@evil.example/jwt/?token=x");
    let other_path = format!("{https_origin}/jwt/../login?token=x");
    for url in [
        "https://evil.example/jwt/?token=x",
        wrong_scheme.as_str(),
        userinfo.as_str(),
        other_path.as_str(),
    ] {
        conn.send(Reply::Grant { url });
        let log = agent.wait_event("grant_refused", WAIT);
        assert!(!log.contains("token"), "{log}");
        let (shown, text) = tab
            .wait_until(WAIT, |_, text| {
                text.contains("This kiosk refused to open a page it does not trust")
            })
            .unwrap();
        assert!(shown.starts_with(&ready.pages), "{url} -> {shown}");
        assert!(text.contains("call a member of staff"), "{text}");
        // Then back to the idle page, still the agent's.
        let (shown, _) = tab
            .wait_until(WAIT, |_, text| text.contains("Sign in with your phone"))
            .unwrap();
        assert!(shown.starts_with(&ready.pages), "{shown}");
    }
    assert!(trap.requests().is_empty(), "{:?}", trap.requests());

    conn.send(Reply::Deny {
        kind: DenyKind::Token(ErrorKind::Replayed),
        message: "token replayed: this jti was already used",
    });
    agent.wait_event("deny", WAIT);
    let (_, text) = tab
        .wait_until(WAIT, |_, text| text.contains("This code was already used"))
        .unwrap();
    assert!(text.contains("Sign in again on your phone."), "{text}");
    assert!(!text.contains("jti"), "{text}");
    tab.wait_until(WAIT, |_, text| text.contains("Sign in with your phone"))
        .unwrap();

    conn.send(Reply::Deny {
        kind: DenyKind::Token(ErrorKind::BadSignature),
        message: "bad signature",
    });
    tab.wait_until(WAIT, |_, text| {
        text.contains("This code was not issued by Acme")
    })
    .unwrap();
    assert!(trap.requests().is_empty());
}

#[test]
fn signs_in_on_the_support_center_and_logout_clears_its_session() {
    let _slot = browser_slot();
    let support = SupportCenter::start();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(&reader, &support.origin, &[]);
    let mut conn = connect(&reader, &mut agent);
    let mut tab = kiosk_tab(&ready);

    conn.send(Reply::Select {
        button: Button::Tickets,
    });
    agent.wait_event("select", WAIT);
    let grant = format!("{}/jwt/?token=a.b.c&return_to=%2Ftickets", support.origin);
    conn.send(Reply::Grant { url: &grant });
    let log = agent.wait_event("grant", WAIT);
    assert_eq!(log, format!("grant place={}/jwt/", support.origin));
    let loaded = agent.wait_event("page_loaded", WAIT);
    assert!(
        loaded.contains("place=") && !loaded.contains("a.b.c"),
        "{loaded}"
    );
    assert!(
        loaded.contains(" ms=") && loaded.contains(" agent_ms="),
        "{loaded}"
    );
    eprintln!("{loaded}");
    let (url, text) = tab
        .wait_until(WAIT, |url, _| url.ends_with("/tickets"))
        .unwrap();
    assert_eq!(url, format!("{}/tickets", support.origin));
    assert!(text.contains("Signed in as Jo Smith"), "{text}");
    assert_eq!(tab.cookies(&support.origin).unwrap().len(), 1);
    assert!(
        support
            .requests()
            .contains(&"/jwt/?token=a.b.c&return_to=%2Ftickets".to_string())
    );

    conn.send(Reply::Logout {
        url: &format!("{}/logout", support.origin),
    });
    let signed_out = agent.wait_event("signed_out", WAIT);
    assert!(signed_out.ends_with("cookies_left=0"), "{signed_out}");
    assert!(support.requests().contains(&"/logout".to_string()));
    let (url, _) = tab
        .wait_until(WAIT, |_, text| text.contains("Sign in with your phone"))
        .unwrap();
    assert!(url.starts_with(&ready.pages), "{url}");
    assert_signed_out(&mut tab, &support);
}

#[test]
fn the_idle_page_follows_the_agent_without_navigating_and_a_scan_right_after_lands() {
    let _slot = browser_slot();
    let support = SupportCenter::start();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(&reader, &support.origin, &[]);
    let mut tab = kiosk_tab(&ready);
    tab.wait_until(WAIT, |_, text| text.contains("Reader disconnected"))
        .unwrap();
    // A mark in the document: a reload (a navigation of the page's own) would drop it.
    tab.evaluate("window.hfjwtSameDocument = true").unwrap();
    let mut conn = connect(&reader, &mut agent);
    conn.send(Reply::Select { button: Button::Kb });
    tab.wait_until(WAIT, |_, text| {
        text.contains("Reader connected") && text.contains("Press another button")
    })
    .unwrap();
    assert_eq!(tab.evaluate("window.hfjwtSameDocument").unwrap(), true);
    assert_eq!(
        tab.evaluate("document.querySelector('[aria-pressed=true]').dataset.button")
            .unwrap(),
        "kb"
    );

    // The person presses a button and scans at once: the idle page changes while the agent
    // opens the support center, and the support center must still load (before, the idle
    // page's own reload could win and the agent logged open_slow instead).
    conn.send(Reply::Select {
        button: Button::Tickets,
    });
    let grant = format!("{}/jwt/?token=t&return_to=%2Ftickets", support.origin);
    conn.send(Reply::Grant { url: &grant });
    agent.wait_event("page_loaded", WAIT);
    let (url, text) = tab
        .wait_until(WAIT, |url, _| url.ends_with("/tickets"))
        .unwrap();
    assert_eq!(url, format!("{}/tickets", support.origin));
    assert!(text.contains("Signed in as Jo Smith"), "{text}");
}

#[test]
fn a_sign_in_page_that_does_not_open_is_explained_on_the_idle_page_until_the_next_press() {
    let _slot = browser_slot();
    let support = SilentSupportCenter::start();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(
        &reader,
        &support.origin,
        &["--page-timeout", "2", "--kiosk-name", "Lobby kiosk"],
    );
    let mut conn = connect(&reader, &mut agent);
    conn.send(Reply::Select {
        button: Button::Tickets,
    });
    let mut tab = kiosk_tab(&ready);
    tab.wait_until(WAIT, |_, text| {
        text.contains("Reader connected") && text.contains("Press another button")
    })
    .unwrap();
    // A mark in the document: the notice must come in place, never by a navigation.
    tab.evaluate("window.hfjwtSameDocument = true").unwrap();

    // The reader accepts the code; the support center never answers.
    conn.send(Reply::Grant {
        url: &format!("{}/jwt/?token=t&return_to=%2Ftickets", support.origin),
    });
    let slow = agent.wait_event("open_slow", WAIT);
    assert_eq!(
        slow,
        format!(
            "open_slow place={}/jwt/ kiosk_tab=idle_page",
            support.origin
        )
    );
    assert!(support.connections() >= 1);
    let (url, text) = tab
        .wait_until(WAIT, |_, text| {
            text.contains("The sign-in page did not open")
        })
        .unwrap();
    assert_eq!(url, format!("{}/", ready.pages));
    assert!(
        text.contains("Get a new code on your phone and scan it again."),
        "{text}"
    );
    assert!(text.contains("ask a member of staff"), "{text}");
    // Still the idle page below it, still the same document.
    assert!(text.contains("Sign in with your phone"), "{text}");
    assert_eq!(tab.evaluate("window.hfjwtSameDocument").unwrap(), true);
    tab.screenshot(&shots_dir().join("idle-sign-in-stalled.png"))
        .unwrap();

    // The next thing the person does (a button) clears it, in place too.
    conn.send(Reply::Select { button: Button::Kb });
    agent.wait_event("select", WAIT);
    tab.wait_until(WAIT, |_, text| {
        !text.contains("did not open") && text.contains("Press another button")
    })
    .unwrap();
    assert_eq!(
        tab.evaluate("document.querySelector('[aria-pressed=true]').dataset.button")
            .unwrap(),
        "kb"
    );
    assert_eq!(tab.evaluate("window.hfjwtSameDocument").unwrap(), true);
}

#[test]
fn screenshots_of_the_agent_pages() {
    let _slot = browser_slot();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(
        &reader,
        "https://acme.happyfox.com",
        &["--kiosk-name", "Lobby kiosk", "--message-seconds", "600"],
    );
    let dir = shots_dir();
    let mut tab = kiosk_tab(&ready);
    tab.wait_until(WAIT, |_, text| text.contains("Reader disconnected"))
        .unwrap();
    tab.screenshot(&dir.join("idle-disconnected.png")).unwrap();

    let mut conn = connect(&reader, &mut agent);
    conn.send(Reply::Select {
        button: Button::Tickets,
    });
    // Connected and the choice shown: two updates of the idle page (in place).
    tab.wait_until(WAIT, |_, text| {
        text.contains("Reader connected") && text.contains("Press another button")
    })
    .unwrap();
    let pressed = tab
        .evaluate("document.querySelector('[aria-pressed=true]').dataset.button")
        .unwrap();
    assert_eq!(pressed, "tickets");
    tab.screenshot(&dir.join("idle.png")).unwrap();

    for (kind, file, words) in [
        (
            ErrorKind::Replayed,
            "deny-replayed.png",
            "This code was already used",
        ),
        (
            ErrorKind::Expired,
            "deny-expired.png",
            "This code is too old",
        ),
    ] {
        conn.send(Reply::Deny {
            kind: DenyKind::Token(kind),
            message: "",
        });
        tab.wait_until(WAIT, |_, text| text.contains(words))
            .unwrap();
        tab.screenshot(&dir.join(file)).unwrap();
    }
    conn.send(Reply::Grant {
        url: "https://evil.example/jwt/?token=x",
    });
    tab.wait_until(WAIT, |_, text| text.contains("does not trust"))
        .unwrap();
    tab.screenshot(&dir.join("refused.png")).unwrap();
}

#[test]
fn bad_options_exit_with_2() {
    for args in [
        vec![
            "--line",
            "tcp:127.0.0.1:1",
            "--support-origin",
            "https://a.example/jwt/",
        ],
        vec!["--line", "ttyACM0", "--support-origin", "https://a.example"],
        vec!["--support-origin", "https://a.example"],
        vec![
            "--line",
            "tcp:127.0.0.1:1",
            "--support-origin",
            "https://a.example",
            "--cdp",
            "x",
        ],
    ] {
        let out = std::process::Command::new(AGENT)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("error"),
            "{args:?}"
        );
    }
}

#[test]
fn a_leave_site_prompt_does_not_keep_the_session_on_screen() {
    let _slot = browser_slot();
    let support = SupportCenter::start();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(&reader, &support.origin, &[]);
    let mut conn = connect(&reader, &mut agent);
    let mut tab = kiosk_tab(&ready);
    sign_in(&mut conn, &mut agent, &mut tab, &support);
    // The signed-in person opens a form, types (so the page may ask "Leave site?"), and
    // walks away.
    tab.navigate(&format!("{}/draft", support.origin)).unwrap();
    tab.evaluate("document.querySelector('textarea').focus(); 1")
        .unwrap();
    for kind in ["keyDown", "keyUp"] {
        tab.call(
            "Input.dispatchKeyEvent",
            serde_json::json!({"type": kind, "key": "a", "text": "a"}),
        )
        .unwrap();
    }
    assert_eq!(
        tab.evaluate("navigator.userActivation.hasBeenActive")
            .unwrap(),
        true
    );
    conn.send(Reply::Logout {
        url: &format!("{}/logout", support.origin),
    });
    let signed_out = agent.wait_event("signed_out", WAIT);
    assert!(signed_out.ends_with("cookies_left=0"), "{signed_out}");
    let (url, _) = tab
        .wait_until(WAIT, |url, text| {
            url.starts_with(&ready.pages) && text.contains("Sign in with your phone")
        })
        .unwrap();
    assert!(url.starts_with(&ready.pages));
}

#[test]
fn an_open_alert_does_not_keep_the_session_on_screen() {
    let _slot = browser_slot();
    let support = SupportCenter::start();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(&reader, &support.origin, &[]);
    let mut conn = connect(&reader, &mut agent);
    let mut tab = kiosk_tab(&ready);
    sign_in(&mut conn, &mut agent, &mut tab, &support);
    // The support center shows an alert; the person walks away without closing it.
    tab.navigate(&format!("{}/alert", support.origin)).unwrap();
    tab.wait_for_dialog(WAIT).unwrap();
    conn.send(Reply::Logout {
        url: &format!("{}/logout", support.origin),
    });
    let signed_out = agent.wait_event("signed_out", WAIT);
    assert!(signed_out.ends_with("cookies_left=0"), "{signed_out}");
    tab.wait_until(WAIT, |url, text| {
        url.starts_with(&ready.pages) && text.contains("Sign in with your phone")
    })
    .unwrap();
}

#[test]
fn a_leave_site_prompt_left_open_does_not_keep_the_session_on_screen() {
    let _slot = browser_slot();
    let support = SupportCenter::start();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(&reader, &support.origin, &[]);
    let mut conn = connect(&reader, &mut agent);
    let mut tab = kiosk_tab(&ready);
    sign_in(&mut conn, &mut agent, &mut tab, &support);
    // The person types into a form, follows a link, gets "Leave site?" and walks away.
    tab.navigate(&format!("{}/draft", support.origin)).unwrap();
    tab.evaluate("document.querySelector('textarea').focus(); 1")
        .unwrap();
    for kind in ["keyDown", "keyUp"] {
        tab.call(
            "Input.dispatchKeyEvent",
            serde_json::json!({"type": kind, "key": "a", "text": "a"}),
        )
        .unwrap();
    }
    tab.evaluate("setTimeout(() => { location.href = '/tickets' }, 10); 1")
        .unwrap();
    assert_eq!(tab.wait_for_dialog(WAIT).unwrap(), "beforeunload");
    conn.send(Reply::Logout {
        url: &format!("{}/logout", support.origin),
    });
    let signed_out = agent.wait_event("signed_out", WAIT);
    assert!(signed_out.ends_with("cookies_left=0"), "{signed_out}");
    // The page's own navigation racing the sign-out can leave the tab stuck half-way; then
    // the agent replaces it with a fresh one. Either way a tab shows the idle page.
    let mut tab = agent_pages_tab(&mut agent, &ready);
    tab.wait_until(WAIT, |url, text| {
        url.starts_with(&ready.pages) && text.contains("Sign in with your phone")
    })
    .unwrap();
    // And the agent still drives the tab.
    conn.send(Reply::Deny {
        kind: DenyKind::Token(ErrorKind::Expired),
        message: "",
    });
    tab.wait_until(WAIT, |_, text| text.contains("This code is too old"))
        .unwrap();
}
