//! The agent and its browser over time: attached to a running Chromium, restarting the
//! Chromium it started, JSON logs, and a clear error when there is no Chromium at all.

mod common;

use std::process::Command;

use hfjwt_firmware::protocol::Reply;
use hfjwt_kiosk_host::cdp::Browser;
use hfjwt_kiosk_host::chromium::{Chromium, LaunchOptions};
use hfjwt_kiosk_host::testkit::{FakeReader, Ready, require_chromium, start_agent};

use common::*;

#[test]
fn attaches_to_a_running_chromium_over_http_and_outlives_it() {
    let _slot = browser_slot();
    require_chromium();
    let chromium = Chromium::launch(&LaunchOptions::headless()).unwrap();
    let authority = chromium
        .ws_url()
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let support = SupportCenter::start();
    let reader = FakeReader::bind().unwrap();
    let cdp = format!("http://{authority}");
    let (mut agent, ready) = attached_agent(&reader, &support.origin, &cdp);
    assert_eq!(
        ready.cdp,
        chromium.ws_url(),
        "resolved through /json/version"
    );
    let mut conn = connect(&reader, &mut agent);

    // The agent drives its own tab of the browser it attached to.
    let mut tab = kiosk_tab(&ready);
    tab.wait_until(WAIT, |url, text| {
        url.starts_with(&ready.pages) && text.contains("Sign in with your phone")
    })
    .unwrap();
    let grant = format!("{}/jwt/?token=t", support.origin);
    conn.send(Reply::Grant { url: &grant });
    tab.wait_until(WAIT, |url, _| url.ends_with("/tickets"))
        .unwrap();

    // The browser goes away: the agent reports it and keeps running (it did not start it, so
    // it does not start another).
    drop(tab);
    drop(chromium);
    agent.wait_event("browser_lost", WAIT);
    agent.wait_event("browser_unavailable", WAIT);
    conn.send(Reply::Select {
        button: hfjwt_firmware::protocol::Button::Kb,
    });
    agent.wait_event("select", WAIT);
}

#[test]
fn restarts_the_chromium_it_started() {
    let _slot = browser_slot();
    let reader = FakeReader::bind().unwrap();
    require_chromium();
    let line = reader.line_spec();
    let mut command_args = vec![
        "--line",
        &line,
        "--support-origin",
        "https://acme.happyfox.com",
        "--headless",
        "--json",
    ];
    command_args.push("--kiosk-name");
    command_args.push("Lobby");
    let (mut agent, ready) = start_agent(AGENT, &command_args);
    let started = agent
        .seen()
        .iter()
        .find(|l| l.contains(r#""event":"browser_started""#))
        .cloned()
        .unwrap();
    let started: serde_json::Value = serde_json::from_str(&started).unwrap();
    let pid = started["pid"].as_str().unwrap().to_string();
    assert!(!ready.pages.is_empty());

    let killed = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    assert!(killed.success());
    agent.wait_event("browser_lost", WAIT);
    let again = agent.wait_event("browser_ready", WAIT);
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    let cdp = again["cdp"].as_str().unwrap();
    assert_ne!(cdp, ready.cdp, "a new browser");
    let mut tab = Browser::connect(cdp)
        .unwrap()
        .tab(again["tab"].as_str().unwrap())
        .unwrap();
    tab.wait_until(WAIT, |url, text| {
        url.starts_with(&ready.pages) && text.contains("Lobby")
    })
    .unwrap();

    // Every line is JSON.
    for line in agent.seen() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["event"].is_string(), "{line}");
    }
    let _ = Ready::parse(
        agent
            .seen()
            .iter()
            .find(|l| l.contains("agent_ready"))
            .unwrap(),
    )
    .unwrap();
}

#[test]
fn reader_lines_may_end_in_cr_lf_or_crlf() {
    let _slot = browser_slot();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(&reader, "https://acme.happyfox.com", &[]);
    let mut conn = reader.accept(WAIT);
    conn.command(WAIT);
    conn.send_raw(b"READY cr-kiosk\rSELECT kb\r\nDENY expired token expired\n");
    assert_eq!(
        agent.wait_event("reader_ready", WAIT),
        "reader_ready device_id=cr-kiosk"
    );
    assert_eq!(agent.wait_event("select", WAIT), "select button=kb");
    assert_eq!(agent.wait_event("deny", WAIT), "deny kind=expired");
    conn.send_raw(b"GRANT\rnonsense\r\n");
    assert_eq!(
        agent.wait_event("bad_line", WAIT),
        "bad_line problem=unknown_line"
    );
    assert_eq!(
        agent.wait_event("bad_line", WAIT),
        "bad_line problem=unknown_line"
    );
    let mut tab = kiosk_tab(&ready);
    tab.wait_until(WAIT, |_, text| text.contains("This code is too old"))
        .unwrap();
}

#[test]
fn no_chromium_is_a_clear_error() {
    let out = Command::new(AGENT)
        .args([
            "--line",
            "tcp:127.0.0.1:9",
            "--support-origin",
            "https://acme.happyfox.com",
            "--chromium",
            "/nonexistent/chromium",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot start /nonexistent/chromium"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_support_center_is_explained() {
    let _slot = browser_slot();
    // A port nobody listens on (bound, then closed).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let origin = format!("http://{closed}");
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = agent(&reader, &origin, &["--message-seconds", "600"]);
    let mut conn = connect(&reader, &mut agent);
    let grant = format!("{origin}/jwt/?token=t");
    conn.send(Reply::Grant { url: &grant });
    let failed = agent.wait_event("open_failed", WAIT);
    assert!(failed.contains("ERR_CONNECTION_REFUSED"), "{failed}");
    let mut tab = kiosk_tab(&ready);
    let (url, _) = tab
        .wait_until(WAIT, |_, text| {
            text.contains("The support center could not be reached")
        })
        .unwrap();
    assert!(url.starts_with(&ready.pages), "{url}");
    tab.screenshot(&shots_dir().join("unreachable.png"))
        .unwrap();
}

#[test]
fn an_attached_browser_runs_on_without_the_session_when_the_agent_stops() {
    let _slot = browser_slot();
    require_chromium();
    let chromium = Chromium::launch(&LaunchOptions::headless()).unwrap();
    let support = SupportCenter::start();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, ready) = attached_agent(&reader, &support.origin, chromium.ws_url());
    let mut conn = connect(&reader, &mut agent);
    let mut tab = kiosk_tab(&ready);
    conn.send(Reply::Grant {
        url: &format!("{}/jwt/?token=t&return_to=%2Ftickets", support.origin),
    });
    tab.wait_until(WAIT, |url, text| {
        url.ends_with("/tickets") && text.contains("Signed in as Jo Smith")
    })
    .unwrap();
    assert_eq!(tab.cookies(&support.origin).unwrap().len(), 1);

    // Stopped while the person is still signed in: the browser is not the agent's and runs
    // on, but the session must not stay on its screen, nor in its cookies and storage.
    agent.signal("TERM");
    let cleared = agent.wait_event("session_cleared", WAIT);
    assert_eq!(
        cleared,
        format!("session_cleared origin={} cookies_left=0", support.origin)
    );
    agent.wait_event("agent_stopped", WAIT);
    assert_eq!(agent.wait_exit(WAIT).code(), Some(0));
    tab.wait_until(WAIT, |url, _| url == "about:blank").unwrap();
    assert_signed_out(&mut tab, &support);
}
