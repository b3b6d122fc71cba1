//! The kiosk's behaviour through its serial lines, pins and clock (in-memory peripherals).

extern crate std;

use std::string::{String, ToString};
use std::vec::Vec;

use super::*;
use crate::sim::{MemoryBoard, MemoryKiosk, MemoryLine};
use hfjwt::{Grant, mint};

const PORTAL: &[u8] = b"portal-key-for-kiosk-unit-tests-00";
const HAPPYFOX: &[u8] = b"happyfox-key-for-kiosk-unit-tests";
const T0: u64 = 1_800_000_000;

/// The lines the kiosk wrote to `line` since the last call.
fn take_lines(line: &MemoryLine) -> Vec<String> {
    String::from_utf8(line.take_output())
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

struct Rig {
    kiosk: MemoryKiosk<CounterJti>,
    board: MemoryBoard,
}

const SETTINGS: Settings = Settings {
    device_id: "t1",
    site: match Site::account("acme") {
        Ok(site) => site,
        Err(_) => panic!(),
    },
    allowed_domains: None,
    audience: None,
    leeway_seconds: 0,
    idle_seconds: 60,
    led_seconds: 3,
    earliest_time: T0 - 1_000_000,
};

fn rig(settings: Settings) -> Rig {
    let board = MemoryBoard::default();
    let kiosk = Kiosk::new(
        board.parts(CounterJti::new(settings.device_id)),
        settings,
        Key::new(PORTAL).unwrap(),
        Key::new(HAPPYFOX).unwrap(),
    );
    let mut r = Rig { kiosk, board };
    r.kiosk.start().unwrap();
    assert_eq!(take_lines(&r.board.host), ["READY t1"]);
    r
}

impl Rig {
    /// Polls until idle; the host lines written.
    fn settle(&mut self) -> Vec<String> {
        for _ in 0..100 {
            if self.kiosk.poll().unwrap() == Poll::Idle {
                return take_lines(&self.board.host);
            }
        }
        panic!("kiosk never idle");
    }
    fn time(&mut self, unix: u64) {
        self.board.host.push_line(std::format!("TIME {unix}"));
        assert_eq!(self.settle(), [std::format!("CLOCK {unix}")]);
    }
    fn scan(&mut self, token: &str) -> Vec<String> {
        self.board.scanner.push_line(token);
        self.settle()
    }
}

fn portal_token(email: &str, name: Option<&str>, iat: u64, jti: &str) -> String {
    let mut g = Grant::new(email, iat, jti);
    if let Some(n) = name {
        g = g.with_name(n);
    }
    let mut buf = std::vec![0u8; hfjwt::token_len(&g)];
    String::from(mint(&Key::new(PORTAL).unwrap(), &g, &mut buf).unwrap())
}

/// The HappyFox token inside a GRANT line, verified with the HappyFox key.
fn granted(line: &str, now: u64) -> (String, Option<String>, u64, String, Option<String>) {
    let url = line
        .strip_prefix("GRANT https://acme.happyfox.com/jwt/?token=")
        .unwrap();
    let (token, return_to) = match url.split_once("&return_to=") {
        Some((t, r)) => (t, Some(r.replace("%2F", "/"))),
        None => (url, None),
    };
    let mut v: Verifier = Verifier::new(Key::new(HAPPYFOX).unwrap());
    let mut scratch = [0u8; 512];
    let c = v.verify(token, now, &mut scratch).unwrap();
    (
        c.email.unwrap().into(),
        c.name.map(String::from),
        c.iat,
        c.jti.into(),
        return_to,
    )
}

#[test]
fn grant_mints_a_fresh_happyfox_token_for_the_same_user() {
    let mut r = rig(SETTINGS);
    r.time(T0);
    r.time(T0 + 30);
    r.board.clock.set(1_500); // 1.5 s after the last TIME: the clock reads T0 + 31
    let out = r.scan(&portal_token(
        "jo@acme.com",
        Some("Jo Smith"),
        T0 + 20,
        "p-1",
    ));
    assert_eq!(out.len(), 1, "{out:?}");
    let (email, name, iat, jti, return_to) = granted(&out[0], T0 + 31);
    assert_eq!(email, "jo@acme.com");
    assert_eq!(name.as_deref(), Some("Jo Smith"));
    assert_eq!(iat, T0 + 31);
    assert_eq!(jti, std::format!("t1-{}-1", T0 + 31));
    assert_eq!(return_to, None);
    assert!(r.board.green.output() && !r.board.red.output());
}

#[test]
fn clock_unset_denies_without_touching_the_replay_cache() {
    let mut r = rig(SETTINGS);
    let token = portal_token("jo@acme.com", None, T0, "p-1");
    let out = r.scan(&token);
    assert_eq!(out.len(), 1);
    assert!(out[0].starts_with("DENY clock_unset "), "{out:?}");
    assert!(r.board.red.output());
    r.time(T0);
    assert!(r.scan(&token)[0].starts_with("GRANT "));
    assert!(r.board.green.output() && !r.board.red.output());
}

#[test]
fn refusals_carry_the_core_kind_and_light_red() {
    let mut r = rig(SETTINGS);
    r.time(T0);
    r.time(T0 + 200);
    let ok = portal_token("jo@acme.com", None, T0 + 190, "p-1");
    assert!(r.scan(&ok)[0].starts_with("GRANT "));
    let cases = [
        (ok.clone(), "replayed"),
        (portal_token("jo@acme.com", None, T0 + 79, "p-2"), "expired"),
        (
            portal_token("jo@acme.com", None, T0 + 201, "p-3"),
            "issued_in_future",
        ),
        (portal_token("jo@acme.com", None, T0 - 1, "p-4"), "expired"),
        (String::from("not a token"), "malformed"),
    ];
    for (token, kind) in cases {
        let out = r.scan(&token);
        assert!(
            out[0].starts_with(&std::format!("DENY {kind} ")),
            "{kind}: {out:?}"
        );
        assert!(r.board.red.output() && !r.board.green.output());
    }
    let mut forged = ok.into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let out = r.scan(core::str::from_utf8(&forged).unwrap());
    assert!(out[0].starts_with("DENY bad_signature "), "{out:?}");
}

#[test]
fn memory_horizon_starts_at_the_first_time_line() {
    let mut r = rig(SETTINGS);
    r.time(T0);
    r.time(T0 + 60);
    let before = portal_token("jo@acme.com", None, T0 - 10, "p-1");
    assert!(r.scan(&before)[0].starts_with("DENY replayed "));
    // A later TIME does not move the horizon.
    r.time(T0 + 100);
    let after = portal_token("jo@acme.com", None, T0 + 90, "p-2");
    assert!(r.scan(&after)[0].starts_with("GRANT "));
}

#[test]
fn overlong_line_is_one_too_large_and_the_next_line_is_clean() {
    let mut r = rig(SETTINGS);
    r.time(T0);
    let big = "A".repeat(MAX_TOKEN_LEN + 1);
    let token = portal_token("jo@acme.com", None, T0, "p-1");
    // Both lines arrive before the kiosk polls.
    r.board.scanner.push_line(&big);
    r.board.scanner.push_line(&token);
    let out = r.settle();
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(
        out[0],
        std::format!("DENY too_large line of 513 bytes is longer than {MAX_TOKEN_LEN}")
    );
    assert!(out[1].starts_with("GRANT "));
    let exact = "A".repeat(MAX_TOKEN_LEN);
    assert!(r.scan(&exact)[0].starts_with("DENY malformed "));
}

#[test]
fn buttons_select_return_to_for_the_next_sign_in_only() {
    let mut r = rig(SETTINGS);
    r.time(T0);
    for (i, (name, path)) in [("home", "/home"), ("tickets", "/tickets"), ("kb", "/kb")]
        .into_iter()
        .enumerate()
    {
        r.board.buttons[i].set_input(true);
        assert_eq!(r.settle(), [std::format!("SELECT {name}")]);
        // Held down: no second press.
        assert!(r.settle().is_empty());
        r.board.buttons[i].set_input(false);
        let token = portal_token("jo@acme.com", None, T0, &std::format!("b-{i}"));
        let out = r.scan(&token);
        assert_eq!(granted(&out[0], T0).4.as_deref(), Some(path));
    }
    let out = r.scan(&portal_token("jo@acme.com", None, T0, "b-x"));
    assert_eq!(granted(&out[0], T0).4, None);
}

#[test]
fn led_goes_out_and_idle_session_logs_out_on_the_monotonic_clock() {
    let mut r = rig(SETTINGS);
    r.time(T0);
    assert!(r.scan(&portal_token("jo@acme.com", None, T0, "p-1"))[0].starts_with("GRANT"));
    r.board.clock.set(2_999);
    assert!(r.settle().is_empty());
    assert!(r.board.green.output());
    r.board.clock.set(3_000);
    assert!(r.settle().is_empty());
    assert!(!r.board.green.output());
    r.board.clock.set(59_999);
    assert!(r.settle().is_empty());
    r.board.clock.set(60_000);
    assert_eq!(r.settle(), ["LOGOUT https://acme.happyfox.com/logout"]);
    r.board.clock.set(200_000);
    assert!(r.settle().is_empty(), "one LOGOUT per session");
}

#[test]
fn a_time_jump_logs_out_before_the_clock_ack() {
    let mut r = rig(SETTINGS);
    r.time(T0);
    assert!(r.scan(&portal_token("jo@acme.com", None, T0, "p-1"))[0].starts_with("GRANT"));
    r.board.host.push_line(std::format!("TIME {}", T0 + 61));
    assert_eq!(
        r.settle(),
        [
            String::from("LOGOUT https://acme.happyfox.com/logout"),
            std::format!("CLOCK {}", T0 + 61)
        ]
    );
    assert!(!r.board.green.output());
}

#[test]
fn host_line_errors_and_halt() {
    let mut r = rig(SETTINGS);
    for (line, reply) in [
        ("HELLO", "ERROR unknown_command"),
        ("TIME", "ERROR unknown_command"),
        ("TIME -1", "ERROR bad_time"),
        ("TIME 99999999999999999999", "ERROR bad_time"),
        ("TIME 12x", "ERROR bad_time"),
    ] {
        r.board.host.push_line(line);
        let out = r.settle();
        assert!(out[0].starts_with(reply), "{line}: {out:?}");
    }
    r.board.host.push_line("TIME 1".repeat(20));
    assert!(r.settle()[0].starts_with("ERROR too_large "));
    r.board.host.push_line("HALT");
    assert_eq!(r.kiosk.poll().unwrap(), Poll::Halt);
    assert_eq!(take_lines(&r.board.host), ["BYE"]);
}

#[test]
fn allow_list_from_settings_is_applied() {
    let mut r = rig(Settings {
        allowed_domains: Some(&["acme.com"]),
        ..SETTINGS
    });
    r.time(T0);
    let out = r.scan(&portal_token("eve@evil.example", None, T0, "p-1"));
    assert!(out[0].starts_with("DENY domain_not_allowed "), "{out:?}");
    assert!(r.scan(&portal_token("jo@ACME.com", None, T0, "p-2"))[0].starts_with("GRANT"));
}

#[test]
fn counter_jti_is_unique_and_fits() {
    let mut j = CounterJti::new("abcdefghijklmnopqrstuvwx");
    let mut buf = [0u8; JTI_LEN];
    assert_eq!(
        j.next_jti(u64::MAX, &mut buf),
        "abcdefghijklmnopqrstuvwx-18446744073709551615-1"
    );
    assert_eq!(j.next_jti(5, &mut buf), "abcdefghijklmnopqrstuvwx-5-2");
}

#[test]
fn implausible_time_is_refused_and_the_clock_stays() {
    let mut r = rig(SETTINGS);
    r.time(T0);
    for unix in [
        // Milliseconds sent as seconds.
        (T0 * 1000).to_string(),
        LATEST_TIME.to_string(),
        // Before the firmware was built.
        (SETTINGS.earliest_time - 1).to_string(),
        String::from("0"),
    ] {
        r.board.host.push_line(std::format!("TIME {unix}"));
        let out = r.settle();
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].starts_with("ERROR bad_time "), "{unix}: {out:?}");
        assert_eq!(r.kiosk.now(), Some(T0), "{unix}");
    }
    r.time(SETTINGS.earliest_time);
    r.time(LATEST_TIME - 1);
}

#[test]
fn a_scan_ended_by_cr_lf_or_crlf_gets_one_reply() {
    let mut r = rig(SETTINGS);
    r.time(T0);
    for (i, ending) in ["\r", "\n", "\r\n"].into_iter().enumerate() {
        let token = portal_token("jo@acme.com", None, T0, &std::format!("e-{i}"));
        r.board
            .scanner
            .push(std::format!("{token}{ending}").as_bytes());
        let out = r.settle();
        assert_eq!(out.len(), 1, "{ending:?}: {out:?}");
        assert!(out[0].starts_with("GRANT "), "{ending:?}: {out:?}");
    }
    // Host lines too: a terminal's Enter sends CR.
    r.board
        .host
        .push(std::format!("TIME {}\r", T0 + 1).as_bytes());
    assert_eq!(r.settle(), [std::format!("CLOCK {}", T0 + 1)]);
}

#[test]
fn every_line_the_kiosk_writes_parses() {
    use crate::protocol::Reply;
    let mut r = rig(SETTINGS);
    let mut all = std::vec![String::from("READY t1")];
    r.board.scanner.push_line("x");
    all.extend(r.settle());
    r.time(T0);
    r.board.buttons[1].set_input(true);
    all.extend(r.settle());
    let token = portal_token("jo@acme.com", Some("Jo"), T0, "p-1");
    all.extend(r.scan(&token));
    all.extend(r.scan(&token));
    r.board.host.push_line("NOPE");
    all.extend(r.settle());
    r.board.clock.set(120_000);
    all.extend(r.settle());
    r.board.host.push_line("HALT");
    assert_eq!(r.kiosk.poll().unwrap(), Poll::Halt);
    all.extend(take_lines(&r.board.host));
    assert!(all.len() >= 7, "{all:?}");
    for line in &all {
        let reply = Reply::parse(line).unwrap_or_else(|_| panic!("{line:?}"));
        assert_eq!(&reply.to_string(), line);
    }
}

#[test]
fn the_same_button_pressed_again_after_a_release_selects_again() {
    let mut r = rig(SETTINGS);
    r.time(T0);
    for round in 0..3 {
        r.board.buttons[1].set_input(true);
        assert_eq!(r.settle(), ["SELECT tickets"], "press {round}");
        r.board.buttons[1].set_input(false);
        assert!(r.settle().is_empty());
    }
}

#[test]
fn a_kiosk_with_an_audience_takes_only_codes_minted_for_it() {
    let mut r = rig(Settings {
        audience: Some("kiosk-b"),
        ..SETTINGS
    });
    r.time(T0);
    let code = |aud: Option<&str>, jti: &str| {
        let mut g = Grant::new("jo@acme.com", T0, jti);
        if let Some(a) = aud {
            g = g.with_audience(a);
        }
        let mut buf = std::vec![0u8; hfjwt::token_len(&g)];
        String::from(mint(&Key::new(PORTAL).unwrap(), &g, &mut buf).unwrap())
    };
    let out = r.scan(&code(Some("kiosk-a"), "a-1"));
    assert!(out[0].starts_with("DENY wrong_audience "), "{out:?}");
    let out = r.scan(&code(None, "a-2"));
    assert!(out[0].starts_with("DENY missing_claim "), "{out:?}");
    assert!(r.scan(&code(Some("kiosk-b"), "a-3"))[0].starts_with("GRANT "));
    // Without an audience of its own, a kiosk refuses codes bound to any kiosk.
    let mut plain = rig(SETTINGS);
    plain.time(T0);
    let out = plain.scan(&code(Some("kiosk-b"), "a-4"));
    assert!(out[0].starts_with("DENY wrong_audience "), "{out:?}");
}
