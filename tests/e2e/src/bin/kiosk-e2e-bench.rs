//! Scan-to-page time, end to end (a benchmark, not a test): `scripts/bench-kiosk.sh [N]`.
//!
//! Starts every real part ([`hfjwt_e2e::Rig`]: the firmware under QEMU, the agent, the
//! stand-in, headless Chromium), then signs in N times (default 25): press "tickets", write a
//! fresh portal code to the scanner UART ended by CR, and wait for the kiosk tab's load event
//! on `/tickets`. Prints the median and p95 of the whole, and of its parts:
//! - reader: scan line written → the agent has logged the `GRANT` line (QEMU's firmware
//!   decision, both UARTs, the agent's parse and check);
//! - agent: that log line → the browser starts the navigation (`performance.timeOrigin`);
//! - browser: navigation start → load event of `/tickets` (the stand-in's `/jwt/` check, the
//!   redirect, the page).
//!
//! Times are the host's wall clock in ms; QEMU is not cycle-accurate, so the reader part is
//! the emulated firmware's time on this machine, not a microcontroller's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hfjwt_e2e::{Rig, unix_now};

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(25);
    if let Err(e) = run(n) {
        eprintln!("kiosk-e2e-bench: {e}");
        std::process::exit(1);
    }
}

fn run(n: usize) -> Result<(), String> {
    let step = Duration::from_secs(20);
    let mut rig = Rig::start("bench")?;
    rig.kiosk_at("the idle page", step, |u| !u.starts_with("about:"))?;
    let (mut total, mut reader, mut agent, mut browser) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        rig.reader()?.press("tickets")?;
        rig.agent_event("select", step)?;
        let code = rig.code(
            "bench@acme.com",
            "Bench User",
            unix_now(),
            &format!("bench-{i}"),
        )?;
        // A marker that the next navigation wipes: the same URL loading again is a new page.
        rig.kiosk
            .evaluate("window.__hfjwtBench = 1")
            .map_err(|e| e.to_string())?;
        let sent = now_ms();
        rig.reader()?.scan(&code)?;
        rig.agent_event("grant", step)?;
        let granted = now_ms();
        let timing = hfjwt_e2e::wait_for("the load event of /tickets", step, || {
            let v = rig
                .kiosk
                .evaluate(
                    "(() => { const n = performance.getEntriesByType('navigation')[0]; \
                     return (window.__hfjwtBench === undefined && location.pathname === '/tickets' \
                     && n && n.loadEventEnd > 0) ? [performance.timeOrigin, n.loadEventEnd] : null })()",
                )
                .ok()?;
            let a = v.as_array()?;
            Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))
        })?;
        let (origin, load) = timing;
        let loaded = origin + load;
        total.push(loaded - sent);
        reader.push(granted - sent);
        agent.push(origin - granted);
        browser.push(load);
    }
    println!(
        "kiosk end to end, {n} sign-ins (scan line written -> kiosk tab's load event on /tickets)"
    );
    println!("{:<44} {:>9} {:>9}", "", "median", "p95");
    for (name, v) in [
        ("scan -> page loaded (total)", &mut total),
        ("  reader: scan -> agent has the GRANT line", &mut reader),
        ("  agent: GRANT -> navigation starts", &mut agent),
        ("  browser: navigation -> load event", &mut browser),
    ] {
        v.sort_by(f64::total_cmp);
        let pick = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        println!("{name:<44} {:>6.1} ms {:>6.1} ms", pick(0.5), pick(0.95));
    }
    Ok(())
}
