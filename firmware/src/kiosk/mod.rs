//! The kiosk: scanner lines in, HappyFox login URLs out.
//!
//! [`Kiosk`] is generic over the embedded-io / embedded-hal traits of its peripherals and
//! names no board type; every token rule it applies is the `hfjwt` core's. One call to
//! [`Kiosk::poll`] reads whatever bytes are ready, handles at most one complete line (or one
//! button press), runs the LED and idle timers, and returns what happened.
//!
//! # Line protocol
//! Host/browser line (in): `TIME <unix seconds>`, `HALT`. Scanner line (in): one token per
//! line. Host/browser line (out), one line per event, the *last* line of each reply being the
//! one a harness waits for (marked ●):
//!
//! | out | when |
//! | --- | --- |
//! | `READY <device_id>` ● | once, from [`Kiosk::start`] |
//! | `CLOCK <unix>` ● | a `TIME` line was accepted (after any `LOGOUT`/LED change it caused) |
//! | `SELECT home\|tickets\|kb` ● | a button was pressed: `return_to` of the next sign-in |
//! | `GRANT <login URL>` ● | a scanned token passed; the URL carries a fresh HappyFox token |
//! | `DENY <kind> <message>` ● | a scanned line was refused; `kind` is the core's stable kind, or `clock_unset`, or `too_large` for a line longer than [`MAX_TOKEN_LEN`] |
//! | `ERROR <kind> <message>` ● | a host line was not understood (`unknown_command`, `bad_time`, `too_large`) |
//! | `BYE` ● | `HALT`: [`Kiosk::poll`] returns [`Poll::Halt`] |
//! | `LOGOUT <logout URL>` | the signed-in session was idle for `idle_seconds` |
//!
//! LEDs are lit through [`OutputPin`]s (a board without drivable GPIO may map them to text,
//! see [`crate::panel`]). Green after a grant, red after a refusal, each for `led_seconds`.
//!
//! # Time
//! The wall clock is `TIME` value + whole seconds of the [`Monotonic`] clock since that line;
//! every `TIME` re-bases it. LED and idle deadlines are on this clock, so a scenario that
//! advances time with `TIME` lines gives the same output whatever real time passes (as long as
//! no step takes a whole second). The first `TIME` turns on the verifier's memory horizon
//! ([`hfjwt::Verifier::remember_from`]): a token issued before the clock was set is refused
//! as `replayed`, since a replay cache in RAM forgot everything at reboot.

use embedded_hal::digital::{self, InputPin, OutputPin};
use embedded_io::{Read, ReadReady, Write};
use hfjwt::{
    Error, Grant, Key, Policy, ReplayCache, ReturnTo, Site, Verifier, email_domain, login_url,
    logout_url, mint, scratch_len,
};

use crate::line::{LineBuffer, LineTooLong};
use crate::log;

/// The first words of the lines that end a reply (● in the table above): a harness that sent
/// one line waits for one of these before it sends the next.
pub const REPLY_ENDS: [&str; 7] = ["READY", "CLOCK", "SELECT", "GRANT", "DENY", "ERROR", "BYE"];

/// Whether `line` (as written by the kiosk or its text panel) ends a reply.
pub fn ends_reply(line: &str) -> bool {
    let word = line.split(' ').next().unwrap_or_default();
    REPLY_ENDS.contains(&word)
}

/// Longest scanner line (token) the kiosk keeps, bytes. A portal token with a name and email is
/// about 250 bytes; longer lines are refused whole as `too_large`.
pub const MAX_TOKEN_LEN: usize = 512;
/// Longest host line, bytes.
pub const HOST_LINE_LEN: usize = 64;
/// Tokens the replay cache remembers at once: sign-ins within one 120 s window
/// (`32 × N + 32` = 1056 bytes of RAM).
pub const REPLAY_CAPACITY: usize = 32;
/// Room for the jti the kiosk mints.
pub const JTI_LEN: usize = 64;
/// Room for the minted HappyFox token: its claims are at most the portal token's.
const MINTED_LEN: usize = MAX_TOKEN_LEN + 128;
/// Room for the login URL: origin, path, token, `return_to`.
const URL_LEN: usize = MINTED_LEN + 160;

/// The verifier type of the kiosk: a fixed replay cache and an optional domain allow-list.
pub type KioskVerifier = Verifier<ReplayCache<REPLAY_CAPACITY>, Option<&'static [&'static str]>>;

/// Everything but the keys, usually [`crate::config::SETTINGS`] (baked in at build time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Names the kiosk in `READY` and in the jtis of [`CounterJti`].
    pub device_id: &'static str,
    /// The support center.
    pub site: Site<'static>,
    /// Email domains allowed to sign in; `None` allows any.
    pub allowed_domains: Option<&'static [&'static str]>,
    /// Clock skew tolerated on portal tokens, seconds.
    pub leeway_seconds: u64,
    /// A session ends (`LOGOUT`) after this many seconds without a scan or press.
    pub idle_seconds: u64,
    /// How long an LED stays lit, seconds.
    pub led_seconds: u64,
}

/// A monotonic millisecond clock (SysTick on the board, virtual or `Instant` on the desktop).
pub trait Monotonic {
    /// Milliseconds since an arbitrary start; never decreases.
    fn now_ms(&mut self) -> u64;
}

/// A source of unique `jti`s for the tokens the kiosk mints.
pub trait JtiSource {
    /// A fresh jti for a token issued at `now`, written into `buf`.
    fn next_jti<'b>(&mut self, now: u64, buf: &'b mut [u8; JTI_LEN]) -> &'b str;
}

/// `<device_id>-<iat>-<counter>`: unique per device as long as the wall clock never runs
/// backwards past an earlier boot (the counter restarts at boot, `iat` moves on). A deployment
/// with an RNG can implement [`JtiSource`] over `rand_core` instead.
#[derive(Clone, Debug)]
pub struct CounterJti {
    device_id: &'static str,
    counter: u32,
}

impl CounterJti {
    /// Counts from 1.
    pub const fn new(device_id: &'static str) -> Self {
        CounterJti {
            device_id,
            counter: 0,
        }
    }
}

impl JtiSource for CounterJti {
    fn next_jti<'b>(&mut self, now: u64, buf: &'b mut [u8; JTI_LEN]) -> &'b str {
        self.counter = self.counter.wrapping_add(1);
        let mut w = SliceWriter { buf, len: 0 };
        // A device id is at most 24 bytes (build.rs): 24 + 1 + 20 + 1 + 10 = 56 always fit.
        let _ = core::fmt::write(
            &mut w,
            format_args!("{}-{}-{}", self.device_id, now, self.counter),
        );
        let len = w.len;
        core::str::from_utf8(w.buf.get(..len).unwrap_or_default()).unwrap_or_default()
    }
}

struct SliceWriter<'b> {
    buf: &'b mut [u8; JTI_LEN],
    len: usize,
}

impl core::fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The three return_to buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Button {
    /// `/home`.
    Home,
    /// `/tickets`.
    Tickets,
    /// `/kb`, the knowledge base.
    Kb,
}

impl Button {
    /// All buttons, in polling order.
    pub const ALL: [Button; 3] = [Button::Home, Button::Tickets, Button::Kb];

    /// `home`, `tickets` or `kb`.
    pub const fn name(self) -> &'static str {
        match self {
            Button::Home => "home",
            Button::Tickets => "tickets",
            Button::Kb => "kb",
        }
    }

    /// The button called `name`.
    pub fn from_name(name: &str) -> Option<Button> {
        Button::ALL.into_iter().find(|b| b.name() == name)
    }

    const fn return_to(self) -> ReturnTo<'static> {
        match self {
            Button::Home => ReturnTo::Home,
            Button::Tickets => ReturnTo::Tickets,
            Button::Kb => ReturnTo::Kb,
        }
    }
}

/// The two LEDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Led {
    /// Lit after a grant.
    Green,
    /// Lit after a refusal.
    Red,
}

impl Led {
    /// `green` or `red`.
    pub const fn name(self) -> &'static str {
        match self {
            Led::Green => "green",
            Led::Red => "red",
        }
    }
}

/// The three buttons' input pins.
#[derive(Debug)]
pub struct Buttons<B> {
    /// Selects `/home`.
    pub home: B,
    /// Selects `/tickets`.
    pub tickets: B,
    /// Selects `/kb`.
    pub kb: B,
}

impl<B> Buttons<B> {
    fn get_mut(&mut self, b: Button) -> &mut B {
        match b {
            Button::Home => &mut self.home,
            Button::Tickets => &mut self.tickets,
            Button::Kb => &mut self.kb,
        }
    }
}

/// The kiosk's peripherals, all behind traits.
#[derive(Debug)]
pub struct Parts<S, H, L, B, J, C> {
    /// Scanner line: one token per line (`Read`).
    pub scanner: S,
    /// Host/browser line: `TIME` in, `GRANT`/`DENY`/`LOGOUT` out.
    pub host: H,
    /// Green LED.
    pub green: L,
    /// Red LED.
    pub red: L,
    /// return_to buttons, pressed = high.
    pub buttons: Buttons<B>,
    /// Source of jtis for minted tokens.
    pub jti: J,
    /// Monotonic milliseconds.
    pub clock: C,
}

/// What one [`Kiosk::poll`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// Nothing complete arrived and no timer fired.
    Idle,
    /// A line, press or timer was handled.
    Handled(Event),
    /// `HALT` was received and answered with `BYE`; the caller should stop polling.
    Halt,
}

/// The event a [`Poll::Handled`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `GRANT` written.
    Granted,
    /// `DENY` written.
    Denied,
    /// `CLOCK` written.
    ClockSet,
    /// `SELECT` written.
    Selected,
    /// `ERROR` written for a host line.
    HostError,
    /// An LED went out or `LOGOUT` was written.
    Timer,
}

/// An I/O failure of a peripheral (the kiosk's own decisions are never errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoError {
    /// Reading the scanner failed.
    Scanner(embedded_io::ErrorKind),
    /// Reading or writing the host line failed.
    Host(embedded_io::ErrorKind),
    /// Setting an LED failed.
    Led(digital::ErrorKind),
    /// Reading a button failed.
    Button(digital::ErrorKind),
}

#[cfg(target_os = "none")]
impl defmt::Format for IoError {
    fn format(&self, f: defmt::Formatter<'_>) {
        // Which peripheral failed is what matters; the trait crates' kinds have no defmt 1 impl.
        let which = match self {
            IoError::Scanner(_) => "scanner read",
            IoError::Host(_) => "host line",
            IoError::Led(_) => "led",
            IoError::Button(_) => "button",
        };
        defmt::write!(f, "{=str} failed", which)
    }
}

/// Why a scanned line was refused (before or by the core).
enum Refusal {
    ClockUnset,
    TooLarge(usize),
    Core(Error),
}

/// The kiosk application. See the [module docs](self) for the line protocol.
pub struct Kiosk<S, H, L, B, J, C> {
    parts: Parts<S, H, L, B, J, C>,
    state: State,
    scanner_line: LineBuffer<MAX_TOKEN_LEN>,
    host_line: LineBuffer<HOST_LINE_LEN>,
}

struct State {
    settings: Settings,
    verifier: KioskVerifier,
    happyfox: Key,
    /// Wall clock at the last `TIME` line and the monotonic ms at that moment.
    clock_base: Option<(u64, u64)>,
    return_to: Option<Button>,
    /// Last scan or press of a signed-in session; `None` when nobody is signed in.
    session_active_at: Option<u64>,
    /// The lit LED and the second it goes out.
    lit: Option<(Led, u64)>,
    was_pressed: [bool; 3],
}

impl<S, H, L, B, J, C> Kiosk<S, H, L, B, J, C>
where
    S: Read + ReadReady,
    H: Read + ReadReady + Write,
    L: OutputPin,
    B: InputPin,
    J: JtiSource,
    C: Monotonic,
{
    /// A kiosk that verifies portal tokens with `portal_key` and mints HappyFox tokens with
    /// `happyfox_key`. Its clock is unset until the first `TIME` line.
    pub fn new(
        parts: Parts<S, H, L, B, J, C>,
        settings: Settings,
        portal_key: Key,
        happyfox_key: Key,
    ) -> Self {
        let policy = Policy::new()
            .leeway(settings.leeway_seconds)
            .max_token_len(MAX_TOKEN_LEN);
        let verifier = Verifier::new(portal_key)
            .with_policy(policy)
            .with_allowed_domains(settings.allowed_domains);
        Kiosk {
            parts,
            state: State {
                settings,
                verifier,
                happyfox: happyfox_key,
                clock_base: None,
                return_to: None,
                session_active_at: None,
                lit: None,
                was_pressed: [false; 3],
            },
            scanner_line: LineBuffer::new(),
            host_line: LineBuffer::new(),
        }
    }

    /// Turns both LEDs off and writes `READY <device_id>`.
    pub fn start(&mut self) -> Result<(), IoError> {
        let p = &mut self.parts;
        p.green.set_low().map_err(led_err)?;
        p.red.set_low().map_err(led_err)?;
        log::info!("kiosk {=str} ready", self.state.settings.device_id);
        write_line(
            &mut p.host,
            format_args!("READY {}", self.state.settings.device_id),
        )
    }

    /// The peripherals, e.g. to inspect mocks in tests.
    pub fn parts(&self) -> &Parts<S, H, L, B, J, C> {
        &self.parts
    }

    /// The peripherals, mutably.
    pub fn parts_mut(&mut self) -> &mut Parts<S, H, L, B, J, C> {
        &mut self.parts
    }

    /// The kiosk's wall clock (unix seconds), `None` until a `TIME` line set it.
    pub fn now(&mut self) -> Option<u64> {
        self.state.now(&mut self.parts.clock)
    }

    /// Reads what is ready, handles at most one line or press, runs the timers.
    pub fn poll(&mut self) -> Result<Poll, IoError> {
        // Host line first: a TIME that arrives with a token must set the clock before it.
        while self.parts.host.read_ready().map_err(host_err)? {
            let mut byte = [0u8; 1];
            if self.parts.host.read(&mut byte).map_err(host_err)? == 0 {
                break;
            }
            if let Some(line) = self.host_line.push(byte[0]) {
                return self.state.on_host_line(&mut self.parts, line);
            }
        }
        for (i, button) in Button::ALL.into_iter().enumerate() {
            let high = self
                .parts
                .buttons
                .get_mut(button)
                .is_high()
                .map_err(|e| IoError::Button(digital::Error::kind(&e)))?;
            let was = core::mem::replace(&mut self.state.was_pressed[i], high);
            if high && !was {
                return self.state.on_press(&mut self.parts, button);
            }
        }
        while self.parts.scanner.read_ready().map_err(scanner_err)? {
            let mut byte = [0u8; 1];
            if self.parts.scanner.read(&mut byte).map_err(scanner_err)? == 0 {
                break;
            }
            if let Some(line) = self.scanner_line.push(byte[0]) {
                return self.state.on_scan(&mut self.parts, line);
            }
        }
        let now = self.state.now(&mut self.parts.clock);
        if self.state.run_timers(&mut self.parts, now)? {
            return Ok(Poll::Handled(Event::Timer));
        }
        Ok(Poll::Idle)
    }
}

impl State {
    fn now<C: Monotonic>(&self, clock: &mut C) -> Option<u64> {
        let (unix, at_ms) = self.clock_base?;
        let elapsed = clock.now_ms().saturating_sub(at_ms) / 1000;
        Some(unix.saturating_add(elapsed))
    }

    fn on_host_line<S, H, L, B, J, C>(
        &mut self,
        p: &mut Parts<S, H, L, B, J, C>,
        line: Result<&[u8], LineTooLong>,
    ) -> Result<Poll, IoError>
    where
        H: Write,
        L: OutputPin,
        C: Monotonic,
    {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                log::warning!("host line of {=usize} bytes dropped", e.len);
                write_line(
                    &mut p.host,
                    format_args!(
                        "ERROR too_large host line of {} bytes is longer than {HOST_LINE_LEN}",
                        e.len
                    ),
                )?;
                return Ok(Poll::Handled(Event::HostError));
            }
        };
        if line == b"HALT" {
            log::info!("halt");
            write_line(&mut p.host, format_args!("BYE"))?;
            return Ok(Poll::Halt);
        }
        let Some(arg) = line.strip_prefix(b"TIME ") else {
            log::warning!("unknown host command");
            write_line(
                &mut p.host,
                format_args!("ERROR unknown_command expected TIME <unix seconds> or HALT"),
            )?;
            return Ok(Poll::Handled(Event::HostError));
        };
        let Some(unix) = parse_u64(arg) else {
            write_line(
                &mut p.host,
                format_args!("ERROR bad_time TIME takes unix seconds (decimal digits)"),
            )?;
            return Ok(Poll::Handled(Event::HostError));
        };
        let first = self.clock_base.is_none();
        self.clock_base = Some((unix, p.clock.now_ms()));
        if first {
            // A RAM replay cache forgot everything at reboot: refuse what predates this moment.
            self.verifier.remember_from(unix);
        }
        log::info!("clock set to {=u64} (first: {=bool})", unix, first);
        self.run_timers(p, Some(unix))?;
        write_line(&mut p.host, format_args!("CLOCK {unix}"))?;
        Ok(Poll::Handled(Event::ClockSet))
    }

    fn on_press<S, H, L, B, J, C>(
        &mut self,
        p: &mut Parts<S, H, L, B, J, C>,
        button: Button,
    ) -> Result<Poll, IoError>
    where
        H: Write,
        L: OutputPin,
        C: Monotonic,
    {
        let now = self.now(&mut p.clock);
        self.run_timers(p, now)?;
        self.touch(now);
        self.return_to = Some(button);
        log::info!("button: return_to {=str}", button.name());
        write_line(&mut p.host, format_args!("SELECT {}", button.name()))?;
        Ok(Poll::Handled(Event::Selected))
    }

    fn on_scan<S, H, L, B, J, C>(
        &mut self,
        p: &mut Parts<S, H, L, B, J, C>,
        line: Result<&[u8], LineTooLong>,
    ) -> Result<Poll, IoError>
    where
        H: Write,
        L: OutputPin,
        J: JtiSource,
        C: Monotonic,
    {
        let now = self.now(&mut p.clock);
        self.run_timers(p, now)?;
        self.touch(now);
        let refusal = match (line, now) {
            (Err(e), _) => Refusal::TooLarge(e.len),
            (Ok(_), None) => Refusal::ClockUnset,
            (Ok(token), Some(now)) => match self.sign_in(p, token, now)? {
                Ok(()) => return Ok(Poll::Handled(Event::Granted)),
                Err(e) => Refusal::Core(e),
            },
        };
        self.light(p, Led::Red, now)?;
        match refusal {
            Refusal::ClockUnset => {
                log::warning!("DENY clock_unset jti=- domain=-");
                write_line(
                    &mut p.host,
                    format_args!("DENY clock_unset the kiosk clock is not set (no TIME yet)"),
                )?;
            }
            Refusal::TooLarge(len) => {
                log::warning!("DENY too_large jti=- domain=- ({=usize} bytes)", len);
                write_line(
                    &mut p.host,
                    format_args!(
                        "DENY too_large line of {len} bytes is longer than {MAX_TOKEN_LEN}"
                    ),
                )?;
            }
            Refusal::Core(e) => {
                // Logged by `sign_in`, which still had the claims.
                write_line(&mut p.host, format_args!("DENY {} {e}", e.kind().as_str()))?;
            }
        }
        Ok(Poll::Handled(Event::Denied))
    }

    /// Verifies, mints, writes `GRANT`. `Ok(Err(e))` is a refusal to report.
    fn sign_in<S, H, L, B, J, C>(
        &mut self,
        p: &mut Parts<S, H, L, B, J, C>,
        token: &[u8],
        now: u64,
    ) -> Result<Result<(), Error>, IoError>
    where
        H: Write,
        L: OutputPin,
        J: JtiSource,
    {
        let mut scratch = [0u8; scratch_len(MAX_TOKEN_LEN)];
        let claims = match self.verifier.verify_detailed(token, now, &mut scratch) {
            Ok(claims) => claims,
            Err(rejection) => {
                // Claims come back only when the signature verified: then they are authentic
                // and worth logging; a forged token's jti is never logged.
                let (jti, domain) = rejection
                    .claims
                    .map_or(("-", "-"), |c| (c.jti, c.email.map_or("-", email_domain)));
                let e = rejection.error;
                log::warning!(
                    "DENY {=str} jti={=str} domain={=str} ({=str})",
                    e.kind().as_str(),
                    jti,
                    domain,
                    e.detail()
                );
                return Ok(Err(e));
            }
        };
        // The policy requires an email, so a verified token always has one.
        let email = claims.email.unwrap_or_default();
        let mut jti = [0u8; JTI_LEN];
        let jti = p.jti.next_jti(now, &mut jti);
        let mut grant = Grant::new(email, now, jti);
        if let Some(name) = claims.name {
            grant = grant.with_name(name);
        }
        let mut minted = [0u8; MINTED_LEN];
        let minted = match mint(&self.happyfox, &grant, &mut minted) {
            Ok(t) => t,
            Err(e) => {
                log::warning!(
                    "DENY {=str} jti={=str}: mint failed",
                    e.kind().as_str(),
                    claims.jti
                );
                return Ok(Err(e));
            }
        };
        let return_to = self.return_to.map(Button::return_to);
        let url = match login_url::<URL_LEN>(self.settings.site, minted, return_to) {
            Ok(url) => url,
            Err(e) => {
                log::warning!(
                    "DENY {=str} jti={=str}: login URL",
                    e.kind().as_str(),
                    claims.jti
                );
                return Ok(Err(e));
            }
        };
        log::info!(
            "GRANT jti={=str} domain={=str} -> happyfox jti={=str} return_to={=str}",
            claims.jti,
            email_domain(email),
            jti,
            return_to.map_or("-", |r| r.path())
        );
        self.light(p, Led::Green, Some(now))?;
        write_line(&mut p.host, format_args!("GRANT {url}"))?;
        self.return_to = None;
        self.session_active_at = Some(now);
        Ok(Ok(()))
    }

    /// Records activity of a signed-in session.
    fn touch(&mut self, now: Option<u64>) {
        if let (Some(active), Some(now)) = (self.session_active_at.as_mut(), now) {
            *active = now;
        }
    }

    /// Lights `led` (the other one goes out) until `now + led_seconds`.
    fn light<S, H, L: OutputPin, B, J, C>(
        &mut self,
        p: &mut Parts<S, H, L, B, J, C>,
        led: Led,
        now: Option<u64>,
    ) -> Result<(), IoError> {
        match self.lit {
            Some((l, _)) if l == led => {}
            Some((other, _)) => {
                pin(p, other).set_low().map_err(led_err)?;
                pin(p, led).set_high().map_err(led_err)?;
            }
            None => pin(p, led).set_high().map_err(led_err)?,
        }
        // Without a clock (a refusal before TIME) the LED stays lit until the next event.
        let off_at = now.map_or(u64::MAX, |n| n.saturating_add(self.settings.led_seconds));
        self.lit = Some((led, off_at));
        Ok(())
    }

    /// LED off and idle logout when their time has come. Whether anything happened.
    fn run_timers<S, H: Write, L: OutputPin, B, J, C>(
        &mut self,
        p: &mut Parts<S, H, L, B, J, C>,
        now: Option<u64>,
    ) -> Result<bool, IoError> {
        let Some(now) = now else { return Ok(false) };
        let mut fired = false;
        if let Some((led, off_at)) = self.lit
            && now >= off_at
        {
            pin(p, led).set_low().map_err(led_err)?;
            self.lit = None;
            fired = true;
        }
        if let Some(active) = self.session_active_at
            && now >= active.saturating_add(self.settings.idle_seconds)
        {
            self.session_active_at = None;
            self.return_to = None;
            log::info!("LOGOUT after {=u64} s idle", now.saturating_sub(active));
            match logout_url::<URL_LEN>(self.settings.site) {
                Ok(url) => write_line(&mut p.host, format_args!("LOGOUT {url}"))?,
                // The site was checked by the first GRANT; report rather than hide it.
                Err(e) => write_line(&mut p.host, format_args!("LOGOUT - ({e})"))?,
            }
            fired = true;
        }
        Ok(fired)
    }
}

fn pin<S, H, L, B, J, C>(p: &mut Parts<S, H, L, B, J, C>, led: Led) -> &mut L {
    match led {
        Led::Green => &mut p.green,
        Led::Red => &mut p.red,
    }
}

fn write_line<H: Write>(host: &mut H, args: core::fmt::Arguments<'_>) -> Result<(), IoError> {
    host.write_fmt(args).map_err(|e| match e {
        embedded_io::WriteFmtError::Other(e) => host_err(e),
        _ => IoError::Host(embedded_io::ErrorKind::Other),
    })?;
    host.write_all(b"\n").map_err(host_err)?;
    host.flush().map_err(host_err)
}

fn host_err<E: embedded_io::Error>(e: E) -> IoError {
    IoError::Host(e.kind())
}

fn scanner_err<E: embedded_io::Error>(e: E) -> IoError {
    IoError::Scanner(e.kind())
}

fn led_err<E: digital::Error>(e: E) -> IoError {
    IoError::Led(e.kind())
}

/// Decimal digits only, no sign or spaces, no overflow.
fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &c| {
        let d = c.checked_sub(b'0').filter(|d| *d <= 9)?;
        acc.checked_mul(10)?.checked_add(u64::from(d))
    })
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::String;
    use std::vec::Vec;

    use super::*;
    use crate::sim::{MemoryBoard, MemoryKiosk, MemoryLine};

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
        site: Site::Account("acme"),
        allowed_domains: None,
        leeway_seconds: 0,
        idle_seconds: 60,
        led_seconds: 3,
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
    fn reply_ends_cover_every_reply() {
        for l in [
            "READY x",
            "CLOCK 1",
            "SELECT kb",
            "GRANT u",
            "DENY k m",
            "ERROR k m",
            "BYE",
        ] {
            assert!(ends_reply(l), "{l}");
        }
        for l in ["LED green on", "LOGOUT u", "GRANTED"] {
            assert!(!ends_reply(l), "{l}");
        }
    }
}
