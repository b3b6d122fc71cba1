//! The firmware kiosk's line input: one `Kiosk` (built from `firmware/kiosk.toml`, as on the
//! board) fed a sequence of events, polled until idle after each, against a model of the line
//! protocol in `firmware/README.md`.
//!
//! Input: records separated by `\n`; the first byte of a record is its op, the rest its
//! argument (`<n>` a decimal, `-` allowed where signed; `j e n k p c` single bytes):
//!
//! | record | event |
//! | --- | --- |
//! | `s<bytes>` / `S<bytes>` | scanner gets `<bytes>\n` / `<bytes>` (a partial line) |
//! | `h<bytes>` / `H<bytes>` | host line gets `<bytes>\n` / `<bytes>` |
//! | `t<n>` | host line gets `TIME <T0 + n>` (`n` signed) |
//! | `R<c><n>` | scanner gets byte `c` `n` times (at most 4096), no newline |
//! | `w<n>` | the monotonic clock advances `n` ms |
//! | `b<i>` / `B<i>` | button `i % 3` pressed and released / toggled |
//! | `g<j><e><n><n>` | scanner gets a portal token minted with the kiosk's portal key: jti `p-<j hex>`, email `e % 4`, name `n`, `iat` = kiosk clock (or `T0`) + `n` |
//! | `G<k>` / `F<k><p><c>` | scanner gets the `k`-th minted token again / with the byte `p` from its end replaced by `c` |
//!
//! Invariants beyond "never panics": every poll writes exactly what the model predicts for the
//! event it reports (`Idle`: nothing; a timer: at most a `LOGOUT`; a line or press: optional
//! `LOGOUT`, then exactly one ● line of the matching kind, last); `CLOCK`, `ERROR` and `DENY
//! too_large`/`clock_unset` agree with an independent parse of the line; `DENY` kinds are core
//! kind names; a `GRANT` only follows a scanned line that is byte for byte a token the harness
//! minted with the portal key, and carries a HappyFox token (verified with the HappyFox key) for
//! the same email and name, `iat` = kiosk clock, a fresh kiosk jti, and the `return_to` of the
//! last `SELECT`; the same portal token is never granted twice, and a portal jti is granted
//! again only as the core's replay cache allows (a later `iat`, after the kiosk clock passed
//! the first grant's window); minted tokens the model can judge (time window, memory horizon,
//! a live jti while the clock never went back) get the predicted decision; LED pins, idle
//! `LOGOUT` and the clock (`TIME` + whole seconds) follow the model; no key and no portal token
//! ever appears on the host line.
#![no_main]

use std::collections::{HashMap, HashSet, VecDeque};

use hfjwt::{
    ErrorKind, Grant, Policy, ReplayCache, ReturnTo, Verifier, domain_matches, email_domain,
    login_url, logout_url, mint, token_len,
};
use hfjwt_firmware::config::{self, SETTINGS};
use hfjwt_firmware::kiosk::{
    Button, CounterJti, Event, HOST_LINE_LEN, Kiosk, LATEST_TIME, MAX_TOKEN_LEN, Poll,
    REPLAY_CAPACITY,
};
// Inputs are formatted with the protocol module; expected outputs stay spelled out here, so
// the model is an oracle independent of the formatter (whose round trip is tested itself),
// and every line the kiosk writes must also parse as a protocol Reply.
use hfjwt_firmware::protocol::{HostCommand, Reply};
use hfjwt_firmware::sim::{MemoryBoard, MemoryKiosk};
use libfuzzer_sys::fuzz_target;

/// The wall clock `t<n>` and `g` records count from.
const T0: u64 = 1_800_000_000;
const MAX_REPEAT: usize = 4096;
const EMAILS: [&str; 4] = [
    "jo@acme.com",
    "eve@evil.example",
    "X.Y+z@ACME.com",
    "jos\u{e9}@\u{4f8b}\u{5b50}.\u{4e2d}\u{56fd}",
];
const NAMES: [&str; 4] = ["Jo", "Jos\u{e9} \u{1f600}", "\"q\\\u{1}", ""];
/// The repository's demo keys (`firmware/kiosk.toml`), which must never be printed.
const KIOSK_TOML: &str = include_str!("../../firmware/kiosk.toml");

/// Splits a byte stream into lines the way the protocol defines them (independently of
/// `firmware/src/line.rs`): CR, LF and CRLF each end a line (CRLF once), and a line longer
/// than `cap` is reported by its length only.
struct Splitter {
    cap: usize,
    cur: Vec<u8>,
    after_cr: bool,
    done: VecDeque<Result<Vec<u8>, usize>>,
}

impl Splitter {
    fn new(cap: usize) -> Self {
        Splitter {
            cap,
            cur: Vec::new(),
            after_cr: false,
            done: VecDeque::new(),
        }
    }
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let crlf = b == b'\n' && self.after_cr;
            self.after_cr = b == b'\r';
            if crlf {
                continue;
            }
            if b == b'\n' || b == b'\r' {
                let line = std::mem::take(&mut self.cur);
                self.done.push_back(if line.len() > self.cap {
                    Err(line.len())
                } else {
                    Ok(line)
                });
            } else {
                self.cur.push(b);
            }
        }
    }
    fn next(&mut self) -> Result<Vec<u8>, usize> {
        self.done
            .pop_front()
            .expect("the kiosk handled a line that was never completed")
    }
}

/// A token the harness minted with the portal key.
#[derive(Clone)]
struct Minted {
    token: String,
    email: &'static str,
    name: Option<String>,
    iat: u64,
    jti: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Led {
    Green,
    Red,
}

struct Harness {
    kiosk: MemoryKiosk<CounterJti>,
    board: MemoryBoard,
    scanner_lines: Splitter,
    host_lines: Splitter,
    // The model.
    clock_base: Option<(u64, u64)>,
    horizon: Option<u64>,
    max_now: u64,
    clock_went_back: bool,
    lit: Option<(Led, u64)>,
    session: Option<u64>,
    return_to: Option<Button>,
    kiosk_saw: [bool; 3],
    minted: Vec<Minted>,
    by_token: HashMap<String, usize>,
    granted_tokens: HashSet<String>,
    /// Per portal jti: the `iat` of each grant and the latest kiosk clock seen at a scan since.
    granted_jtis: HashMap<String, Vec<(u64, u64)>>,
    grants: usize,
    kiosk_jtis: HashSet<String>,
    secrets: Vec<String>,
    halted: bool,
}

impl Harness {
    fn new() -> Self {
        let board = MemoryBoard::default();
        let kiosk = Kiosk::new(
            board.parts(CounterJti::new(SETTINGS.device_id)),
            SETTINGS,
            config::portal_key().unwrap(),
            config::happyfox_key().unwrap(),
        );
        let secrets = KIOSK_TOML
            .lines()
            .filter(|l| l.starts_with("portal_key") || l.starts_with("happyfox_key"))
            .filter_map(|l| l.split('"').nth(1))
            .map(str::to_owned)
            .collect();
        let mut h = Harness {
            kiosk,
            board,
            scanner_lines: Splitter::new(MAX_TOKEN_LEN),
            host_lines: Splitter::new(HOST_LINE_LEN),
            clock_base: None,
            horizon: None,
            max_now: 0,
            clock_went_back: false,
            lit: None,
            session: None,
            return_to: None,
            kiosk_saw: [false; 3],
            minted: Vec::new(),
            by_token: HashMap::new(),
            granted_tokens: HashSet::new(),
            granted_jtis: HashMap::new(),
            grants: 0,
            kiosk_jtis: HashSet::new(),
            secrets,
            halted: false,
        };
        h.kiosk.start().unwrap();
        let out = h.take_output();
        assert_eq!(out, [format!("READY {}", SETTINGS.device_id)]);
        assert!(!h.board.green.output() && !h.board.red.output());
        h
    }

    fn now(&self) -> Option<u64> {
        let (unix, at) = self.clock_base?;
        Some(unix.saturating_add(self.board.clock.get().saturating_sub(at) / 1000))
    }

    fn take_output(&self) -> Vec<String> {
        let out = self.board.host.take_output();
        for s in &self.secrets {
            assert!(
                !out.windows(s.len()).any(|w| w == s.as_bytes()),
                "a key was written to the host line"
            );
        }
        assert!(
            out.is_empty() || out.ends_with(b"\n"),
            "partial line {out:?}"
        );
        let text = String::from_utf8(out).expect("host output is UTF-8");
        if trace() {
            eprint!("{text}");
        }
        for t in &self.minted {
            assert!(!text.contains(&t.token), "a portal token was written out");
        }
        text.lines().map(str::to_owned).collect()
    }

    fn scan(&mut self, bytes: &[u8]) {
        self.scanner_lines.feed(bytes);
        self.board.scanner.push(bytes);
    }

    fn host(&mut self, bytes: &[u8]) {
        self.host_lines.feed(bytes);
        self.board.host.push(bytes);
    }

    /// LED off and idle logout, as `run_timers` defines them. Whether a `LOGOUT` is due.
    fn timers(&mut self, now: Option<u64>) -> (bool, bool) {
        let Some(now) = now else {
            return (false, false);
        };
        let mut led = false;
        if let Some((_, off_at)) = self.lit {
            if now >= off_at {
                self.lit = None;
                led = true;
            }
        }
        let mut logout = false;
        if let Some(active) = self.session {
            if now >= active.saturating_add(SETTINGS.idle_seconds) {
                self.session = None;
                self.return_to = None;
                logout = true;
            }
        }
        (led, logout)
    }

    fn touch(&mut self, now: Option<u64>) {
        if let (Some(active), Some(now)) = (self.session.as_mut(), now) {
            *active = now;
        }
    }

    fn light(&mut self, led: Led, now: Option<u64>) {
        let off_at = now.map_or(u64::MAX, |n| n.saturating_add(SETTINGS.led_seconds));
        self.lit = Some((led, off_at));
    }

    fn check_pins(&self) {
        let (g, r) = (self.board.green.output(), self.board.red.output());
        match self.lit {
            None => assert!(!g && !r, "an LED is lit after its time: green {g} red {r}"),
            Some((Led::Green, _)) => assert!(g && !r, "expected green only: {g} {r}"),
            Some((Led::Red, _)) => assert!(!g && r, "expected red only: {g} {r}"),
        }
    }

    /// Polls until idle, checking every poll against the model.
    fn settle(&mut self) {
        for _ in 0..100_000 {
            if self.halted {
                return;
            }
            let polled = self.kiosk.poll().unwrap();
            let mut out = self.take_output();
            for line in &out {
                let reply = Reply::parse(line);
                assert!(reply.is_ok(), "not a protocol line: {line:?}");
            }
            match polled {
                Poll::Idle | Poll::Handled(Event::Timer) => {
                    let now = self.now();
                    let (led, logout) = self.timers(now);
                    self.expect_logout(&mut out, logout);
                    assert!(out.is_empty(), "unexpected output {out:?}");
                    assert_eq!(polled == Poll::Idle, !led && !logout, "{polled:?}");
                    self.check_pins();
                    if polled == Poll::Idle {
                        assert_eq!(self.kiosk.now(), self.now(), "clock disagrees");
                        return;
                    }
                }
                Poll::Halt => {
                    assert_eq!(self.host_lines.next(), Ok(b"HALT".to_vec()));
                    assert_eq!(out, ["BYE"]);
                    self.halted = true;
                }
                Poll::Handled(ev) => {
                    let last = out.pop().expect("a handled line without a reply");
                    self.on_event(ev, &last, &mut out);
                    assert!(out.is_empty(), "extra lines {out:?} before {last:?}");
                    let reply = Reply::parse(&last).unwrap_or_else(|_| panic!("{last:?}"));
                    assert!(reply.ends_reply(), "{last:?}");
                    self.check_pins();
                }
            }
        }
        panic!("the kiosk never became idle");
    }

    /// Removes the `LOGOUT` line the model expects (first), or checks there is none.
    fn expect_logout(&mut self, out: &mut Vec<String>, due: bool) {
        if due {
            let url = logout_url::<256>(SETTINGS.site).unwrap();
            assert!(!out.is_empty(), "LOGOUT due but not written");
            assert_eq!(out.remove(0), format!("LOGOUT {url}"));
        }
        assert!(
            !out.iter().any(|l| l.starts_with("LOGOUT")),
            "unexpected LOGOUT in {out:?}"
        );
    }

    fn on_event(&mut self, ev: Event, last: &str, out: &mut Vec<String>) {
        match ev {
            Event::ClockSet | Event::HostError => {
                let line = self.host_lines.next();
                let expected = match &line {
                    Err(_) => Err("too_large"),
                    Ok(l) => match l.strip_prefix(b"TIME ") {
                        None => Err("unknown_command"),
                        Some(d) => parse_time(d).ok_or("bad_time"),
                    },
                };
                match expected {
                    Ok(unix) => {
                        assert_eq!(ev, Event::ClockSet, "{line:?}: {last}");
                        assert_eq!(last, format!("CLOCK {unix}"));
                        if self.horizon.is_none() {
                            self.horizon = Some(unix);
                        }
                        if unix < self.max_now {
                            self.clock_went_back = true;
                        }
                        self.clock_base = Some((unix, self.board.clock.get()));
                        let (_, logout) = self.timers(Some(unix));
                        self.expect_logout(out, logout);
                    }
                    Err(kind) => {
                        assert_eq!(ev, Event::HostError, "{line:?}: {last}");
                        assert!(last.starts_with(&format!("ERROR {kind} ")), "{last}");
                        if let Err(len) = line {
                            assert_eq!(
                                last,
                                format!(
                                    "ERROR too_large line of {len} bytes is longer than {HOST_LINE_LEN}"
                                )
                            );
                        }
                        self.expect_logout(out, false);
                    }
                }
            }
            Event::Selected => {
                let now = self.now();
                let (_, logout) = self.timers(now);
                self.expect_logout(out, logout);
                self.touch(now);
                let name = last.strip_prefix("SELECT ").expect(last);
                let button = Button::from_name(name).expect(last);
                let i = button as usize;
                assert!(
                    self.board.buttons[i].input() && !self.kiosk_saw[i],
                    "SELECT {name} without a press"
                );
                self.kiosk_saw[i] = true;
                self.return_to = Some(button);
            }
            Event::Granted | Event::Denied => {
                let line = self.scanner_lines.next();
                let now = self.now();
                let (_, logout) = self.timers(now);
                self.expect_logout(out, logout);
                self.touch(now);
                if let Some(now) = now {
                    self.max_now = self.max_now.max(now);
                    for grants in self.granted_jtis.values_mut() {
                        for g in grants.iter_mut() {
                            g.1 = g.1.max(now);
                        }
                    }
                }
                let minted = line
                    .as_ref()
                    .ok()
                    .and_then(|l| std::str::from_utf8(l).ok())
                    .and_then(|l| self.by_token.get(l))
                    .map(|&i| self.minted[i].clone());
                let predicted = match (&line, now, &minted) {
                    (Err(_), _, _) => Some(Err("too_large")),
                    (Ok(_), None, _) => Some(Err("clock_unset")),
                    (Ok(_), Some(now), Some(m)) => self.predict(m, now),
                    (Ok(_), Some(_), None) => Some(Err("")),
                };
                if ev == Event::Granted {
                    assert!(
                        !matches!(predicted, Some(Err(_))),
                        "GRANT, expected {predicted:?}, line {line:?}"
                    );
                    let (now, m) = (now.unwrap(), minted.unwrap());
                    self.check_grant(last, now, &m);
                    self.light(Led::Green, Some(now));
                } else {
                    let (kind, message) = last
                        .strip_prefix("DENY ")
                        .and_then(|r| r.split_once(' '))
                        .expect(last);
                    assert!(
                        kind == "clock_unset" || ErrorKind::from_name(kind).is_some(),
                        "unknown kind {last}"
                    );
                    match predicted {
                        Some(Err("")) => assert!(kind != "clock_unset", "{last}"),
                        Some(Err(k)) => assert_eq!(kind, k, "{last}"),
                        Some(Ok(())) => assert!(
                            kind == "replay_cache_full" && self.grants >= REPLAY_CAPACITY,
                            "expected GRANT: {last}"
                        ),
                        None => {}
                    }
                    if let Err(len) = line {
                        assert_eq!(
                            message,
                            format!("line of {len} bytes is longer than {MAX_TOKEN_LEN}")
                        );
                    }
                    self.light(Led::Red, now);
                }
            }
            Event::Timer => unreachable!(),
        }
    }

    /// The decision for a minted token, where the model can tell: `Ok` = GRANT (or a full replay
    /// cache), `Err(kind)`, `None` = either.
    fn predict(&self, m: &Minted, now: u64) -> Option<Result<(), &'static str>> {
        let leeway = SETTINGS.leeway_seconds;
        let window = Policy::new().max_age_seconds().saturating_add(leeway);
        if m.iat > now.saturating_add(leeway) {
            return Some(Err("issued_in_future"));
        }
        if now.saturating_sub(m.iat) > window {
            return Some(Err("expired"));
        }
        if let Some(list) = SETTINGS.allowed_domains {
            if !list
                .iter()
                .any(|d| domain_matches(d, email_domain(m.email)))
            {
                return Some(Err("domain_not_allowed"));
            }
        }
        if self
            .horizon
            .is_some_and(|h| m.iat < h.saturating_sub(leeway))
        {
            return Some(Err("replayed"));
        }
        if self.granted_tokens.contains(&m.token) {
            return Some(Err("replayed"));
        }
        let live = self
            .granted_jtis
            .get(&m.jti)
            .is_some_and(|g| g.iter().any(|&(iat, _)| iat.saturating_add(window) >= now));
        if self.clock_went_back {
            None
        } else if live {
            Some(Err("replayed"))
        } else if self.granted_jtis.contains_key(&m.jti) {
            // Dead and not purged yet, or purged: either way the core may grant it again.
            None
        } else {
            Some(Ok(()))
        }
    }

    fn check_grant(&mut self, last: &str, now: u64, m: &Minted) {
        let window = Policy::new()
            .max_age_seconds()
            .saturating_add(SETTINGS.leeway_seconds);
        assert!(
            self.granted_tokens.insert(m.token.clone()),
            "token granted twice"
        );
        let earlier = self.granted_jtis.entry(m.jti.clone()).or_default();
        for &(iat, seen) in earlier.iter() {
            assert!(
                m.iat > iat && seen > iat.saturating_add(window),
                "jti {} granted again (iat {} after {iat}, clock seen {seen})",
                m.jti,
                m.iat
            );
        }
        earlier.push((m.iat, now));
        self.grants += 1;

        let prefix = format!(
            "GRANT {}",
            login_url::<256>(SETTINGS.site, "", None).unwrap()
        );
        let rest = last.strip_prefix(&prefix).expect(last);
        let token = rest.split('&').next().unwrap();
        let url = login_url::<1024>(SETTINGS.site, token, self.return_to.map(return_to)).unwrap();
        assert_eq!(last, format!("GRANT {url}"));

        let mut v = Verifier::<ReplayCache<1>>::new(config::happyfox_key().unwrap())
            .with_policy(Policy::new().max_token_len(4096));
        let mut scratch = vec![0u8; hfjwt::scratch_len(token.len())];
        let c = v
            .verify(token, now, &mut scratch)
            .expect("minted token verifies");
        assert_eq!(c.email, Some(m.email));
        assert_eq!(c.name, m.name.as_deref());
        assert_eq!(c.iat, now);
        assert!(
            c.jti.starts_with(&format!("{}-{now}-", SETTINGS.device_id)),
            "{}",
            c.jti
        );
        assert!(self.kiosk_jtis.insert(c.jti.to_owned()), "kiosk jti reused");
        assert!(c.exp.is_none() && c.nbf.is_none());

        self.return_to = None;
        self.session = Some(now);
    }

    fn mint(&mut self, j: u8, e: u8, n: u8, offset: i64) -> Option<String> {
        let base = self.now().unwrap_or(T0);
        let iat = base.saturating_add_signed(offset);
        let email = EMAILS[usize::from(e % 4)];
        let name = match n {
            0 => None,
            1..128 => Some(NAMES[usize::from(n % 4)].to_owned()),
            _ => Some("x".repeat(2 * usize::from(n - 128))),
        };
        let jti = format!("p-{j:02x}");
        // Minted for this kiosk, as its portal would (the audience is the kiosk's own).
        let mut grant = Grant::new(email, iat, &jti);
        if let Some(a) = SETTINGS.audience {
            grant = grant.with_audience(a);
        }
        if let Some(name) = &name {
            grant = grant.with_name(name);
        }
        let mut buf = vec![0u8; token_len(&grant)];
        // Every email and name above is one `mint` accepts.
        let token = mint(&config::portal_key().unwrap(), &grant, &mut buf)
            .expect("mint")
            .to_owned();
        if !self.by_token.contains_key(&token) {
            self.by_token.insert(token.clone(), self.minted.len());
            self.minted.push(Minted {
                token: token.clone(),
                email,
                name,
                iat,
                jti,
            });
        }
        Some(token)
    }

    fn set_button(&mut self, i: usize, level: bool) {
        self.board.buttons[i].set_input(level);
        self.settle();
        // Settling sampled every button: the kiosk has now seen this level.
        assert!(
            !level || self.kiosk_saw[i],
            "button {i} pressed but no SELECT"
        );
        self.kiosk_saw[i] = level;
    }

    fn run(&mut self, record: &[u8]) {
        let Some((&op, arg)) = record.split_first() else {
            return;
        };
        match op {
            b's' | b'h' => {
                let mut line = arg.to_vec();
                line.push(b'\n');
                if op == b's' {
                    self.scan(&line);
                } else {
                    self.host(&line);
                }
            }
            b'S' => self.scan(arg),
            b'H' => self.host(arg),
            b't' => {
                let unix = T0.saturating_add_signed(parse_i64(arg));
                self.host(format!("{}\n", HostCommand::Time { unix }).as_bytes());
            }
            b'R' => {
                let Some((&c, n)) = arg.split_first() else {
                    return;
                };
                let n = usize::try_from(parse_i64(n)).unwrap_or(0).min(MAX_REPEAT);
                self.scan(&vec![c; n]);
            }
            b'w' => {
                let ms = u64::try_from(parse_i64(arg)).unwrap_or(0);
                self.board
                    .clock
                    .set(self.board.clock.get().saturating_add(ms));
            }
            b'b' | b'B' => {
                let i = usize::from(arg.first().copied().unwrap_or(0) % 3);
                if op == b'b' {
                    self.set_button(i, true);
                    self.set_button(i, false);
                } else {
                    let level = !self.board.buttons[i].input();
                    self.set_button(i, level);
                }
            }
            b'g' => {
                let [j, e, n, off @ ..] = arg else {
                    return;
                };
                if let Some(token) = self.mint(*j, *e, *n, parse_i64(off)) {
                    self.scan(format!("{token}\n").as_bytes());
                }
            }
            b'G' | b'F' => {
                let Some((&k, rest)) = arg.split_first() else {
                    return;
                };
                if self.minted.is_empty() {
                    return;
                }
                let mut token = self.minted[usize::from(k) % self.minted.len()]
                    .token
                    .clone()
                    .into_bytes();
                if op == b'F' {
                    let [p, c, ..] = rest else {
                        return;
                    };
                    let at = token.len() - 1 - usize::from(*p) % token.len();
                    token[at] = *c;
                }
                token.push(b'\n');
                self.scan(&token);
            }
            _ => {}
        }
    }
}

/// `KIOSK_LINE_TRACE=1` prints every record and host line (to read a reproducer).
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("KIOSK_LINE_TRACE").is_some())
}

fn return_to(b: Button) -> ReturnTo<'static> {
    match b {
        Button::Home => ReturnTo::HOME,
        Button::Tickets => ReturnTo::TICKETS,
        Button::Kb => ReturnTo::KB,
    }
}

/// `TIME` argument: 1 to 19 decimal digits that fit a u64 (firmware/README.md).
/// Plausible unix seconds: decimal digits, from the firmware's build time up to 2100.
fn parse_time(d: &[u8]) -> Option<u64> {
    if d.is_empty() || d.len() > 20 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let unix: u64 = std::str::from_utf8(d).ok()?.parse().ok()?;
    (SETTINGS.earliest_time..LATEST_TIME)
        .contains(&unix)
        .then_some(unix)
}

/// A leading `-` and decimal digits, saturating; anything else ends the number.
fn parse_i64(b: &[u8]) -> i64 {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    let mut v: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if neg { -v } else { v }
}

fuzz_target!(|data: &[u8]| {
    let mut h = Harness::new();
    for record in data.split(|&b| b == b'\n') {
        if h.halted {
            break;
        }
        if trace() {
            eprintln!(">> {}", record.escape_ascii());
        }
        h.run(record);
        h.settle();
    }
});
