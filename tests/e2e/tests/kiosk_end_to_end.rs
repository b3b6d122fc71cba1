//! A person signs in at the kiosk, end to end, with every real part (issue 10 §5): the phone
//! shows the portal's QR code, the test reads it from the screenshot's pixels, scans it into
//! the firmware under QEMU ended by CR, and the kiosk's Chromium tab, driven by the agent,
//! lands signed in on the stand-in's `/tickets`. Then the refusals, the idle logout, a line
//! that drops and comes back, and a reader that lies.
//!
//! Needs qemu-system-arm, chromium and zbarimg (scripts/install-qemu.sh,
//! scripts/install-browser.sh): fails, never skips, without them. Screenshots of every step go
//! to `target/e2e-screenshots/`.

use std::time::Duration;

use hfjwt_e2e::{IDLE_SECONDS, Rig, unix_now};
use hfjwt_firmware::protocol::{HostCommand, Reply};
use hfjwt_kiosk_host::testkit::FakeReader;

const STEP: Duration = Duration::from_secs(20);

fn on_path(url: &str, path: &str) -> bool {
    url.split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .is_some_and(|p| p == path || p.starts_with(&format!("{path}?")))
}

#[test]
fn a_person_signs_in_at_the_kiosk_and_every_refusal_is_shown() -> Result<(), String> {
    let mut rig = Rig::start("kiosk")?;
    let agent_pages = rig.agent_pages.clone();
    rig.kiosk_at("the agent's idle page", STEP, |u| {
        u.starts_with(&agent_pages)
    })?;
    rig.wait_kiosk_text("QR code", STEP)?;
    // The idle page follows the agent's state within a second (it polls the agent).
    let text = rig.wait_kiosk_text("Reader connected", STEP)?;
    assert!(!text.contains("Reader disconnected"), "{text}");
    rig.shot_kiosk("01-kiosk-idle")?;

    // 1. The phone signs in on the portal and shows its code; the test reads the pixels.
    let mut phone = rig.phone_sign_in("José Núñez", "jose.nunez@acme.com")?;
    let code = rig.read_qr(&mut phone, "02-phone-qr")?;
    assert_eq!(code.split('.').count(), 3, "not a JWS: {code}");

    // 2. The tickets button, then the scan, ended by CR as a serial scanner sends it.
    rig.reader()?.press("tickets")?;
    rig.agent_event("select", STEP)?;
    hfjwt_e2e::wait_for("the idle page to show tickets chosen", STEP, || {
        let js = "document.querySelector('[data-button=tickets]')?.getAttribute('aria-pressed')";
        rig.kiosk_call(|t| t.evaluate(js))
            .ok()
            .filter(|v| v == "true")
    })?;
    rig.shot_kiosk("03-kiosk-tickets-selected")?;
    rig.reader()?.scan(&code)?;
    rig.agent_event("grant", STEP)?;
    let origin = rig.origin.clone();
    rig.kiosk_at("/tickets on the support center", STEP, |u| {
        u.starts_with(&origin) && on_path(u, "/tickets")
    })?;
    let text = rig.kiosk_text()?;
    assert!(text.contains("José Núñez"), "{text}");
    assert!(text.contains("jose.nunez@acme.com"), "{text}");
    rig.shot_kiosk("04-kiosk-signed-in-tickets")?;
    // The browser holds the session (checked again after LOGOUT, where it must be gone).
    assert!(rig.signed_in_as("jose.nunez@acme.com")?);

    // 3. The same code again: the reader refuses it, the kiosk says so in plain words.
    rig.reader()?.scan(&code)?;
    let denied = rig.agent_event("deny", STEP)?;
    assert!(denied.contains("replayed"), "{denied}");
    rig.kiosk_at("the agent's notice page", STEP, |u| {
        u.starts_with(&agent_pages)
    })?;
    rig.wait_kiosk_text("already used", STEP)?;
    rig.shot_kiosk("05-kiosk-already-used")?;

    // 4. A code older than 120 s.
    let old = rig.code("jo@acme.com", "Jo", unix_now() - 200, "e2e-old")?;
    rig.reader()?.scan(&old)?;
    let denied = rig.agent_event("deny", STEP)?;
    assert!(denied.contains("expired"), "{denied}");
    rig.wait_kiosk_text("too old", STEP)?;
    rig.shot_kiosk("06-kiosk-expired")?;

    // 4b. A code the portal minted for another kiosk: this kiosk refuses it.
    let elsewhere = rig.code_for("kiosk-upstairs", "jo@acme.com", "Jo", unix_now(), "e2e-aud")?;
    rig.reader()?.scan(&elsewhere)?;
    let denied = rig.agent_event("deny", STEP)?;
    assert!(denied.contains("wrong_audience"), "{denied}");
    rig.wait_kiosk_text("another kiosk", STEP)?;
    rig.shot_kiosk("06b-kiosk-code-for-another-kiosk")?;

    // 5. Idle: the reader logs the session out; the agent opens the logout URL and forgets
    // the support center's cookies, so /tickets is no longer signed in in that tab.
    let logout = rig.agent_event("logout", Duration::from_secs(IDLE_SECONDS + 20))?;
    assert!(!logout.contains("token="), "{logout}");
    rig.agent_event("signed_out", STEP)?;
    rig.kiosk_at("the idle page after logout", STEP, |u| {
        u.starts_with(&agent_pages)
    })?;
    assert!(
        !rig.signed_in_as("jose.nunez@acme.com")?,
        "the browser is still signed in after LOGOUT"
    );
    rig.shot_kiosk("07-kiosk-idle-after-logout")?;

    // 6. The line drops (QEMU stops) and comes back: the agent reconnects, sends TIME again,
    // and the next scan signs in.
    rig.stop_reader();
    rig.agent_event("reader_disconnected", STEP)?;
    rig.wait_kiosk_text("disconnected", STEP)?;
    rig.shot_kiosk("08-kiosk-reader-disconnected")?;
    rig.restart_reader()?;
    rig.agent_event("time_sent", Duration::from_secs(30))?;
    rig.phone_renew(&mut phone)?;
    let fresh = rig.read_qr(&mut phone, "09-phone-qr-renewed")?;
    assert_ne!(fresh, code);
    rig.reader()?.scan(&fresh)?;
    rig.agent_event("grant", STEP)?;
    rig.kiosk_at("/home after the reconnect", STEP, |u| {
        u.starts_with(&origin) && on_path(u, "/home")
    })?;
    rig.wait_kiosk_text("jose.nunez@acme.com", STEP)?;

    // 7. A reader that lies: a foreign origin, then the right host with the wrong scheme.
    rig.stop_reader();
    // The reader's side of the last connection may linger a moment after QEMU stopped.
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], rig.ports.host));
    let fake = hfjwt_e2e::wait_for("the host port to be free", STEP, || {
        FakeReader::bind_to(addr).ok()
    })?;
    let mut conn = fake.accept(Duration::from_secs(30));
    let HostCommand::Time { unix: sent } = conn.command(STEP) else {
        return Err("the agent's first line to a reader is not TIME".into());
    };
    assert!(sent.abs_diff(unix_now()) < 5, "TIME {sent}");
    let host = origin.trim_start_matches("http://");
    for url in [
        "https://evil.example/jwt/?token=x".to_string(),
        format!("https://{host}/jwt/?token=x"),
        format!("http://{host}.evil.example/jwt/?token=x"),
        format!("http://{host}/tickets"),
    ] {
        conn.send(Reply::Grant { url: &url });
        let refused = rig.agent_event("grant_refused", STEP)?;
        assert!(!refused.contains("token=x"), "logged a query: {refused}");
        rig.kiosk_at("the agent's refusal page", STEP, |u| {
            u.starts_with(&agent_pages)
        })?;
        rig.wait_kiosk_text("refused", STEP)?;
    }
    rig.shot_kiosk("10-kiosk-refused-foreign-grant")?;
    Ok(())
}
