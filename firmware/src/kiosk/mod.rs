//! The kiosk: scanner lines in, HappyFox login URLs out.
//!
//! [`Kiosk`] is generic over the embedded-io / embedded-hal traits of its peripherals and
//! names no board type; every token rule it applies is the `hfjwt` core's. One call to
//! [`Kiosk::poll`] reads whatever bytes are ready, handles at most one complete line (or one
//! button press), runs the LED and idle timers, and returns what happened.
//!
//! The code is split the way rustls splits a state machine from its I/O: the decisions
//! (`decide.rs`) take a line, a press or the clock and emit typed [`Reply`] lines and LED
//! changes into a sink; this module is the shell that reads bytes into lines and writes what
//! the decisions emit. Every line is formatted and parsed by [`crate::protocol`].
//!
//! # Line protocol
//! See [`crate::protocol`] for the lines themselves. What each one means here:
//!
//! | out | when |
//! | --- | --- |
//! | `READY <device_id>` | once, from [`Kiosk::start`] |
//! | `CLOCK <unix>` | a `TIME` line was accepted (after any `LOGOUT`/LED change it caused) |
//! | `SELECT home\|tickets\|kb` | a button was pressed: `return_to` of the next sign-in |
//! | `GRANT <login URL>` | a scanned token passed; the URL carries a fresh HappyFox token |
//! | `DENY <kind> <message>` | a scanned line was refused; `kind` is the core's stable kind, `clock_unset`, or `too_large` for a line longer than [`MAX_TOKEN_LEN`] |
//! | `ERROR <kind> <message>` | a host line was not understood (`unknown_command`, `bad_time`, `too_large`) |
//! | `BYE` | `HALT`: [`Kiosk::poll`] returns [`Poll::Halt`] |
//! | `LOGOUT <logout URL>` | the signed-in session was idle for `idle_seconds` |
//!
//! Lines end at CR, LF or CRLF ([`crate::line`]); an empty line is answered like any other.
//! LEDs are lit through [`OutputPin`]s (a board without drivable GPIO may map them to text,
//! see [`crate::panel`]). Green after a grant, red after a refusal, each for `led_seconds`.
//!
//! # Time
//! The wall clock is `TIME` value + whole seconds of the [`Monotonic`] clock since that line;
//! every `TIME` re-bases it. A `TIME` before [`Settings::earliest_time`] (the firmware's build
//! time) or from [`LATEST_TIME`] on (milliseconds sent as seconds, say) is refused with
//! `ERROR bad_time` and the clock stays as it was. LED and idle deadlines are on this clock, so
//! a scenario that advances time with `TIME` lines gives the same output whatever real time
//! passes (as long as no step takes a whole second). The first `TIME` turns on the verifier's
//! memory horizon ([`hfjwt::Verifier::remember_from`]): a token issued before the clock was
//! set is refused as `replayed`, since a replay cache in RAM forgot everything at reboot.

use core::fmt;

use embedded_hal::digital::{self, InputPin, OutputPin};
use embedded_io::{Read, ReadReady, Write};
use hfjwt::{Key, Policy, ReplayCache, ReturnTo, Site, Verifier};

use crate::line::LineBuffer;
use crate::protocol::Reply;

mod decide;
#[cfg(test)]
mod tests;

use decide::{Out, State};

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
/// `TIME` values from this one on are refused (2100-01-01T00:00:00Z): no kiosk clock is that
/// far ahead, and milliseconds sent as seconds are.
pub const LATEST_TIME: u64 = 4_102_444_800;

/// Room for the minted HappyFox token: its claims are at most the portal token's.
pub(crate) const MINTED_LEN: usize = MAX_TOKEN_LEN + 128;
/// Room for the login URL: origin, path, token, `return_to`.
pub(crate) const URL_LEN: usize = MINTED_LEN + 160;

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
    /// The `aud` every scanned code must carry (recommended: the kiosk's `device_id`), so a
    /// code shown for one kiosk is refused at another (`wrong_audience`); `None`: codes must
    /// carry no `aud` at all.
    pub audience: Option<&'static str>,
    /// Clock skew tolerated on portal tokens, seconds.
    pub leeway_seconds: u64,
    /// A session ends (`LOGOUT`) after this many seconds without a scan or press.
    pub idle_seconds: u64,
    /// How long an LED stays lit, seconds.
    pub led_seconds: u64,
    /// `TIME` values before this are refused as `bad_time`: the firmware's build time, since
    /// no clock that is set right reads earlier than that.
    pub earliest_time: u64,
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
            Button::Home => ReturnTo::HOME,
            Button::Tickets => ReturnTo::TICKETS,
            Button::Kb => ReturnTo::KB,
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

/// The kiosk application. See the [module docs](self) for the line protocol.
pub struct Kiosk<S, H, L, B, J, C> {
    parts: Parts<S, H, L, B, J, C>,
    state: State,
    scanner_line: LineBuffer<MAX_TOKEN_LEN>,
    host_line: LineBuffer<HOST_LINE_LEN>,
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
        let policy = match settings.audience.map(|a| policy.audience(a)) {
            None => policy,
            Some(Ok(policy)) => policy,
            // build.rs checked the audience with the core, so this cannot happen; if it did,
            // fail closed: a length cap of zero refuses every code as too_large.
            Some(Err(_)) => Policy::new().max_token_len(0),
        };
        let verifier = Verifier::new(portal_key)
            .with_policy(policy)
            .with_allowed_domains(settings.allowed_domains);
        Kiosk {
            parts,
            state: State::new(settings, verifier, happyfox_key),
            scanner_line: LineBuffer::new(),
            host_line: LineBuffer::new(),
        }
    }

    /// Turns both LEDs off and writes `READY <device_id>`.
    pub fn start(&mut self) -> Result<(), IoError> {
        let mut out = Shell::of(&mut self.parts);
        out.led(Led::Green, false)?;
        out.led(Led::Red, false)?;
        self.state.start(&mut out)
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
        self.state.now(self.parts.clock.now_ms())
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
                let now_ms = self.parts.clock.now_ms();
                return self
                    .state
                    .on_host_line(&mut Shell::of(&mut self.parts), line, now_ms);
            }
        }
        for (i, button) in Button::ALL.into_iter().enumerate() {
            let high = self
                .parts
                .buttons
                .get_mut(button)
                .is_high()
                .map_err(|e| IoError::Button(digital::Error::kind(&e)))?;
            if self.state.button_edge(i, high) {
                let now = self.state.now(self.parts.clock.now_ms());
                return self
                    .state
                    .on_press(&mut Shell::of(&mut self.parts), button, now);
            }
        }
        while self.parts.scanner.read_ready().map_err(scanner_err)? {
            let mut byte = [0u8; 1];
            if self.parts.scanner.read(&mut byte).map_err(scanner_err)? == 0 {
                break;
            }
            if let Some(line) = self.scanner_line.push(byte[0]) {
                let now = self.state.now(self.parts.clock.now_ms());
                let (mut out, jti) = Shell::with_jti(&mut self.parts);
                return self.state.on_scan(&mut out, jti, line, now);
            }
        }
        let now = self.state.now(self.parts.clock.now_ms());
        if self
            .state
            .run_timers(&mut Shell::of(&mut self.parts), now)?
        {
            return Ok(Poll::Handled(Event::Timer));
        }
        Ok(Poll::Idle)
    }
}

/// The I/O shell: writes what the decisions emit to the host line and the LED pins.
struct Shell<'p, H, L> {
    host: &'p mut H,
    green: &'p mut L,
    red: &'p mut L,
}

impl<'p, H, L> Shell<'p, H, L> {
    fn of<S, B, J, C>(p: &'p mut Parts<S, H, L, B, J, C>) -> Self {
        Shell {
            host: &mut p.host,
            green: &mut p.green,
            red: &mut p.red,
        }
    }

    /// The shell and the jti source, borrowed side by side.
    fn with_jti<S, B, J, C>(p: &'p mut Parts<S, H, L, B, J, C>) -> (Self, &'p mut J) {
        let shell = Shell {
            host: &mut p.host,
            green: &mut p.green,
            red: &mut p.red,
        };
        (shell, &mut p.jti)
    }
}

impl<H: Write, L: OutputPin> Out for Shell<'_, H, L> {
    fn reply(&mut self, reply: Reply<'_, &dyn fmt::Display>) -> Result<(), IoError> {
        self.host
            .write_fmt(format_args!("{reply}\n"))
            .map_err(|e| match e {
                embedded_io::WriteFmtError::Other(e) => host_err(e),
                _ => IoError::Host(embedded_io::ErrorKind::Other),
            })?;
        self.host.flush().map_err(host_err)
    }

    fn led(&mut self, led: Led, on: bool) -> Result<(), IoError> {
        let pin = match led {
            Led::Green => &mut *self.green,
            Led::Red => &mut *self.red,
        };
        if on { pin.set_high() } else { pin.set_low() }
            .map_err(|e| IoError::Led(digital::Error::kind(&e)))
    }
}

fn host_err<E: embedded_io::Error>(e: E) -> IoError {
    IoError::Host(e.kind())
}

fn scanner_err<E: embedded_io::Error>(e: E) -> IoError {
    IoError::Scanner(e.kind())
}
