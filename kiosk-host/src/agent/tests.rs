use std::time::{Duration, Instant};

use hfjwt::ErrorKind;
use hfjwt_firmware::protocol::{Button, DenyKind, HostCommand, HostErrorKind, Led, Reply};

use super::*;

fn agent() -> Agent {
    Agent::new(AgentConfig {
        support: SupportOrigin::parse("https://acme.happyfox.com").unwrap(),
        kiosk_name: None,
        time_every: Duration::from_secs(600),
        message_for: Duration::from_secs(6),
    })
}

/// The actions without their log lines.
fn acts(actions: Vec<Action>) -> Vec<Action> {
    actions
        .into_iter()
        .filter(|a| !matches!(a, Action::Log(_)))
        .collect()
}

fn logs(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(e) => Some(e.to_text()),
            _ => None,
        })
        .collect()
}

fn reply(a: &mut Agent, r: Reply<'_>, now: Instant) -> Vec<Action> {
    a.handle(Input::Reply(r), now)
}

#[test]
fn connect_sends_time_and_shows_the_reader_as_connected() {
    let mut a = agent();
    let t0 = Instant::now();
    assert_eq!(a.idle_view().reader, ReaderState::Disconnected);
    let out = acts(a.handle(Input::Connected, t0));
    assert_eq!(
        out,
        [
            Action::UpdateIdle(IdleView {
                kiosk_name: None,
                return_to: None,
                reader: ReaderState::Connected,
                sign_in_stalled: false,
            }),
            Action::SendTime
        ]
    );
    assert_eq!(a.next_deadline(), Some(t0 + Duration::from_secs(600)));
}

#[test]
fn time_is_resent_every_period_while_connected_only() {
    let mut a = agent();
    let t0 = Instant::now();
    a.handle(Input::Connected, t0);
    assert!(acts(a.handle(Input::Tick, t0 + Duration::from_secs(599))).is_empty());
    let t1 = t0 + Duration::from_secs(600);
    assert_eq!(acts(a.handle(Input::Tick, t1)), [Action::SendTime]);
    assert_eq!(a.next_deadline(), Some(t1 + Duration::from_secs(600)));
    a.handle(Input::Disconnected, t1);
    assert_eq!(a.next_deadline(), None);
    assert!(acts(a.handle(Input::Tick, t1 + Duration::from_secs(3600))).is_empty());
    assert!(acts(a.handle(Input::Connected, t1)).contains(&Action::SendTime));
}

#[test]
fn an_unset_host_clock_is_never_sent() {
    assert_eq!(time_command(0, CLOCK_FLOOR), None);
    assert_eq!(time_command(CLOCK_FLOOR - 1, CLOCK_FLOOR), None);
    assert_eq!(
        time_command(CLOCK_FLOOR + 5, CLOCK_FLOOR),
        Some(HostCommand::Time {
            unix: CLOCK_FLOOR + 5
        })
    );
    // The floor is the build time: at least 2026-01-01.
    const { assert!(CLOCK_FLOOR >= 1_767_225_600) };
}

#[test]
fn ready_names_the_kiosk_unless_named_by_option() {
    let mut a = agent();
    let now = Instant::now();
    let out = reply(
        &mut a,
        Reply::Ready {
            device_id: "lobby-1",
        },
        now,
    );
    assert_eq!(logs(&out), ["reader_ready device_id=lobby-1"]);
    assert_eq!(a.idle_view().kiosk_name.as_deref(), Some("lobby-1"));

    let mut named = Agent::new(AgentConfig {
        kiosk_name: Some("Front desk".into()),
        ..a.config.clone()
    });
    reply(
        &mut named,
        Reply::Ready {
            device_id: "lobby-1",
        },
        now,
    );
    assert_eq!(named.idle_view().kiosk_name.as_deref(), Some("Front desk"));
}

#[test]
fn select_highlights_the_return_to_on_the_idle_page() {
    let mut a = agent();
    let out = reply(
        &mut a,
        Reply::Select {
            button: Button::Tickets,
        },
        Instant::now(),
    );
    assert_eq!(logs(&out), ["select button=tickets"]);
    assert_eq!(
        acts(out),
        [Action::UpdateIdle(IdleView {
            kiosk_name: None,
            return_to: Some(Button::Tickets),
            reader: ReaderState::Disconnected,
            sign_in_stalled: false,
        })]
    );
}

#[test]
fn a_grant_for_the_support_center_is_opened() {
    let mut a = agent();
    let out = reply(
        &mut a,
        Reply::Grant {
            url: "https://acme.happyfox.com/jwt/?token=a.b.c&return_to=%2Ftickets",
        },
        Instant::now(),
    );
    // The log names the place, never the token.
    assert_eq!(logs(&out), ["grant place=https://acme.happyfox.com/jwt/"]);
    let out = acts(out);
    let [Action::Open(url)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(
        url.as_str(),
        "https://acme.happyfox.com/jwt/?token=a.b.c&return_to=%2Ftickets"
    );
    assert!(a.signed_in());
}

#[test]
fn a_foreign_grant_is_refused_shown_and_times_out_to_idle() {
    for url in [
        "https://evil.example/jwt/?token=x",
        "http://acme.happyfox.com/jwt/?token=x",
        "https://acme.happyfox.com@evil.example/jwt/?token=x",
        "https://acme.happyfox.com/jwt/../admin?token=x",
    ] {
        let mut a = agent();
        let t0 = Instant::now();
        let out = reply(&mut a, Reply::Grant { url }, t0);
        let log = logs(&out).join("\n");
        assert!(log.starts_with("grant_refused reason="), "{log}");
        assert!(!log.contains("token"), "{log}");
        assert_eq!(acts(out), [Action::Show(Notice::Refused)], "{url}");
        assert!(!a.signed_in());
        assert_eq!(a.next_deadline(), Some(t0 + Duration::from_secs(6)));
        assert!(acts(a.handle(Input::Tick, t0 + Duration::from_secs(5))).is_empty());
        assert_eq!(
            acts(a.handle(Input::Tick, t0 + Duration::from_secs(6))),
            [Action::ShowIdle]
        );
        assert_eq!(a.next_deadline(), None);
    }
}

#[test]
fn deny_shows_the_kind_then_idle() {
    let mut a = agent();
    let t0 = Instant::now();
    let kind = DenyKind::Token(ErrorKind::Replayed);
    let out = reply(
        &mut a,
        Reply::Deny {
            kind,
            message: "token replayed: this jti was already used",
        },
        t0,
    );
    assert_eq!(logs(&out), ["deny kind=replayed"]);
    assert_eq!(acts(out), [Action::Show(Notice::Denied(kind))]);
    assert_eq!(
        acts(a.handle(Input::Tick, t0 + Duration::from_secs(7))),
        [Action::ShowIdle]
    );
}

#[test]
fn a_new_notice_restarts_the_notice_timer() {
    let mut a = agent();
    let t0 = Instant::now();
    reply(
        &mut a,
        Reply::Deny {
            kind: DenyKind::ClockUnset,
            message: "",
        },
        t0,
    );
    let t1 = t0 + Duration::from_secs(4);
    reply(
        &mut a,
        Reply::Deny {
            kind: DenyKind::Token(ErrorKind::Expired),
            message: "",
        },
        t1,
    );
    assert!(acts(a.handle(Input::Tick, t0 + Duration::from_secs(6))).is_empty());
    assert_eq!(
        acts(a.handle(Input::Tick, t1 + Duration::from_secs(6))),
        [Action::ShowIdle]
    );
}

#[test]
fn a_grant_cancels_a_pending_return_to_idle() {
    let mut a = agent();
    let t0 = Instant::now();
    reply(
        &mut a,
        Reply::Deny {
            kind: DenyKind::Token(ErrorKind::Expired),
            message: "",
        },
        t0,
    );
    reply(
        &mut a,
        Reply::Grant {
            url: "https://acme.happyfox.com/jwt/?token=t",
        },
        t0 + Duration::from_secs(1),
    );
    assert!(acts(a.handle(Input::Tick, t0 + Duration::from_secs(60))).is_empty());
}

#[test]
fn logout_signs_out_through_the_checked_url() {
    let mut a = agent();
    let now = Instant::now();
    reply(
        &mut a,
        Reply::Grant {
            url: "https://acme.happyfox.com/jwt/?token=t",
        },
        now,
    );
    let out = reply(
        &mut a,
        Reply::Logout {
            url: "https://acme.happyfox.com/logout",
        },
        now,
    );
    assert_eq!(
        logs(&out),
        ["logout place=https://acme.happyfox.com/logout"]
    );
    let out = acts(out);
    let [Action::SignOut(url)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(url.as_str(), "https://acme.happyfox.com/logout");
    assert!(!a.signed_in());
}

#[test]
fn a_foreign_logout_url_is_not_opened_but_the_session_is_still_cleared() {
    let mut a = agent();
    let out = reply(
        &mut a,
        Reply::Logout {
            url: "https://evil.example/logout",
        },
        Instant::now(),
    );
    assert_eq!(
        logs(&out),
        ["logout_refused reason=foreign_origin place=https://evil.example/logout"]
    );
    let out = acts(out);
    let [Action::SignOut(url)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(url.as_str(), "https://acme.happyfox.com/logout");
}

#[test]
fn losing_or_restarting_the_reader_signs_an_open_session_out() {
    let now = Instant::now();
    let grant = Reply::Grant {
        url: "https://acme.happyfox.com/jwt/?token=t",
    };
    let mut a = agent();
    a.handle(Input::Connected, now);
    reply(&mut a, grant, now);
    let out = acts(a.handle(Input::Disconnected, now));
    assert!(
        matches!(out.as_slice(), [Action::UpdateIdle(v), Action::SignOut(u)]
            if v.reader == ReaderState::Disconnected && u.as_str() == "https://acme.happyfox.com/logout"),
        "{out:?}"
    );
    // Nothing open: a disconnect only updates the idle page.
    assert!(matches!(
        acts(a.handle(Input::Disconnected, now)).as_slice(),
        [Action::UpdateIdle(_)]
    ));

    let mut a = agent();
    reply(&mut a, grant, now);
    let out = acts(reply(&mut a, Reply::Ready { device_id: "k" }, now));
    assert!(
        matches!(out.as_slice(), [Action::UpdateIdle(_), Action::SignOut(_)]),
        "{out:?}"
    );
}

#[test]
fn an_unreachable_support_center_shows_a_notice() {
    let mut a = agent();
    let now = Instant::now();
    reply(
        &mut a,
        Reply::Grant {
            url: "https://acme.happyfox.com/jwt/?token=t",
        },
        now,
    );
    assert_eq!(
        acts(a.handle(Input::OpenFailed, now)),
        [Action::Show(Notice::Unreachable)]
    );
    assert!(!a.signed_in());
}

/// An agent whose last GRANT did not load in time while the kiosk tab stayed on the idle page
/// (at `now`): the idle page says so.
fn stalled(now: Instant) -> Agent {
    let mut a = agent();
    a.handle(Input::Connected, now);
    reply(
        &mut a,
        Reply::Grant {
            url: "https://acme.happyfox.com/jwt/?token=t",
        },
        now,
    );
    let out = acts(a.handle(Input::OpenSlow(KioskTab::IdlePage), now));
    // The pending login page is stopped, and the idle page says so in place: nobody navigates
    // the tab.
    assert_eq!(
        out,
        [
            Action::StopLoading,
            Action::UpdateIdle(IdleView {
                kiosk_name: None,
                return_to: None,
                reader: ReaderState::Connected,
                sign_in_stalled: true,
            })
        ]
    );
    assert!(a.idle_view().sign_in_stalled);
    a
}

#[test]
fn a_sign_in_page_that_does_not_open_is_explained_on_the_idle_page_for_a_minute() {
    let t0 = Instant::now();
    let mut a = stalled(t0);
    // The session still counts as open: the support center may have set its cookie.
    assert!(a.signed_in());
    assert_eq!(a.next_deadline(), Some(t0 + STALLED_NOTICE_FOR));
    assert!(acts(a.handle(Input::Tick, t0 + Duration::from_secs(59))).is_empty());
    let out = acts(a.handle(Input::Tick, t0 + STALLED_NOTICE_FOR));
    let [Action::UpdateIdle(view)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert!(!view.sign_in_stalled);
    // Then nothing more to do than TIME.
    assert_eq!(a.next_deadline(), Some(t0 + Duration::from_secs(600)));
}

#[test]
fn a_stalled_sign_in_from_a_notice_page_goes_back_to_the_idle_page() {
    let now = Instant::now();
    let mut a = agent();
    reply(
        &mut a,
        Reply::Grant {
            url: "https://acme.happyfox.com/jwt/?token=t",
        },
        now,
    );
    let out = acts(a.handle(Input::OpenSlow(KioskTab::AgentPage), now));
    assert!(
        matches!(
            out.as_slice(),
            [Action::StopLoading, Action::UpdateIdle(v), Action::ShowIdle] if v.sign_in_stalled
        ),
        "{out:?}"
    );
    // On the support center's (slow) page there is nothing to say: it may yet load.
    let mut a = agent();
    assert!(acts(a.handle(Input::OpenSlow(KioskTab::Elsewhere), now)).is_empty());
    assert!(!a.idle_view().sign_in_stalled);
}

#[test]
fn the_next_scan_or_change_of_state_ends_the_stalled_notice() {
    let now = Instant::now();
    let grant = Reply::Grant {
        url: "https://acme.happyfox.com/jwt/?token=t2",
    };
    let foreign = Reply::Grant {
        url: "https://evil.example/jwt/?token=t2",
    };
    let deny = Reply::Deny {
        kind: DenyKind::Token(ErrorKind::Replayed),
        message: "",
    };
    let select = Reply::Select { button: Button::Kb };
    let ready = Reply::Ready { device_id: "k" };
    let logout = Reply::Logout {
        url: "https://acme.happyfox.com/logout",
    };
    for input in [
        Input::Reply(grant),
        Input::Reply(foreign),
        Input::Reply(deny),
        Input::Reply(select),
        Input::Reply(ready),
        Input::Reply(logout),
        Input::Disconnected,
        Input::Connected,
        Input::OpenFailed,
    ] {
        let mut a = stalled(now);
        let out = acts(a.handle(input.clone(), now));
        assert!(!a.idle_view().sign_in_stalled, "{input:?}");
        // The idle page learns it (first, before anything else the input does).
        assert!(
            matches!(out.first(), Some(Action::UpdateIdle(v)) if !v.sign_in_stalled),
            "{input:?}: {out:?}"
        );
        assert_eq!(
            out.iter()
                .filter(|a| matches!(a, Action::UpdateIdle(_)))
                .count(),
            1,
            "{input:?}: {out:?}"
        );
        // And its timer is gone.
        assert!(
            a.next_deadline()
                .is_none_or(|d| d != now + STALLED_NOTICE_FOR),
            "{input:?}"
        );
    }
    // A LED, the reader's clock or a line not understood is no news for the person.
    for input in [
        Input::Reply(Reply::Led {
            led: Led::Green,
            on: true,
        }),
        Input::Reply(Reply::Clock { unix: 1 }),
        Input::BadLine(LineProblem::Unknown),
    ] {
        let mut a = stalled(now);
        assert!(acts(a.handle(input.clone(), now)).is_empty(), "{input:?}");
        assert!(a.idle_view().sign_in_stalled, "{input:?}");
    }
}

#[test]
fn clock_error_bye_and_led_are_only_logged() {
    let mut a = agent();
    let now = Instant::now();
    for (r, log) in [
        (
            Reply::Clock {
                unix: 1_795_589_234,
            },
            "reader_clock unix=1795589234",
        ),
        (
            Reply::Error {
                kind: HostErrorKind::BadTime,
                message: "x",
            },
            "reader_error kind=bad_time",
        ),
        (Reply::Bye, "reader_bye"),
        (
            Reply::Led {
                led: Led::Green,
                on: true,
            },
            "led led=green on=true",
        ),
    ] {
        let out = reply(&mut a, r, now);
        assert_eq!(logs(&out), [log]);
        assert!(acts(out).is_empty());
    }
}

#[test]
fn lines_off_the_wire_become_inputs() {
    let line = Line::Text("DENY expired token expired".into());
    assert!(matches!(
        Input::from_line(&line),
        Input::Reply(Reply::Deny {
            kind: DenyKind::Token(ErrorKind::Expired),
            ..
        })
    ));
    let mut a = agent();
    for (line, problem) in [
        (Line::Text("GRANT".into()), "unknown_line"),
        (Line::Text("hello".into()), "unknown_line"),
        (Line::TooLong, "too_long"),
        (Line::NotUtf8, "not_utf8"),
    ] {
        let out = a.handle(Input::from_line(&line), Instant::now());
        assert_eq!(logs(&out), [format!("bad_line problem={problem}")]);
        assert!(acts(out).is_empty());
    }
}
