//! The kiosk's decisions: a host line, a button press, a scanned line or the clock in; typed
//! [`Reply`] lines and LED changes out, through [`Out`]. Nothing here reads or writes a
//! peripheral, and every token rule is the core's.

use core::fmt;

use hfjwt::{Error, Grant, Key, email_domain, login_url, logout_url, mint, scratch_len};

use super::{
    Button, Event, HOST_LINE_LEN, IoError, JTI_LEN, JtiSource, KioskVerifier, LATEST_TIME, Led,
    MAX_TOKEN_LEN, MINTED_LEN, Poll, Settings, URL_LEN,
};
use crate::line::LineTooLong;
use crate::log;
use crate::protocol::{DenyKind, HostCommand, HostErrorKind, Reply};

/// Where decisions go: the I/O shell writes them, a test records them.
pub(super) trait Out {
    /// One line on the host line.
    fn reply(&mut self, reply: Reply<'_, &dyn fmt::Display>) -> Result<(), IoError>;
    /// An LED on or off.
    fn led(&mut self, led: Led, on: bool) -> Result<(), IoError>;
}

/// Unix seconds on the wall clock (what `TIME` sets and the core judges tokens by).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct UnixSeconds(u64);

/// Milliseconds of the monotonic clock ([`Monotonic::now_ms`](super::Monotonic::now_ms)),
/// from an arbitrary start: never a wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MonotonicMs(u64);

/// Where the two clocks meet: the wall clock `unix` was set at monotonic time `at`. The only
/// place seconds and milliseconds are converted, so neither can pass for the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WallClock {
    unix: UnixSeconds,
    at: MonotonicMs,
}

impl WallClock {
    /// The wall clock at monotonic time `now`: whole seconds elapsed since it was set (a
    /// monotonic time before `at` counts as none).
    fn at(self, now: MonotonicMs) -> UnixSeconds {
        let elapsed_s = now.0.saturating_sub(self.at.0) / 1000;
        UnixSeconds(self.unix.0.saturating_add(elapsed_s))
    }
}

#[cfg(test)]
#[test]
fn the_wall_clock_advances_in_whole_seconds_of_monotonic_milliseconds() {
    let clock = WallClock {
        unix: UnixSeconds(1_800_000_000),
        at: MonotonicMs(5_000),
    };
    assert_eq!(clock.at(MonotonicMs(5_000)), UnixSeconds(1_800_000_000));
    assert_eq!(clock.at(MonotonicMs(5_999)), UnixSeconds(1_800_000_000));
    assert_eq!(clock.at(MonotonicMs(6_000)), UnixSeconds(1_800_000_001));
    assert_eq!(clock.at(MonotonicMs(125_000)), UnixSeconds(1_800_000_120));
    assert_eq!(clock.at(MonotonicMs(0)), UnixSeconds(1_800_000_000));
}

/// Everything the kiosk remembers between polls.
pub(super) struct State {
    settings: Settings,
    verifier: KioskVerifier,
    happyfox: Key,
    /// Wall clock at the last `TIME` line and the monotonic ms at that moment.
    clock_base: Option<WallClock>,
    return_to: Option<Button>,
    /// Last scan or press of a signed-in session; `None` when nobody is signed in.
    session_active_at: Option<u64>,
    /// The lit LED and the second it goes out.
    lit: Option<(Led, u64)>,
    was_pressed: [bool; 3],
}

/// A message that is a plain string, for [`Reply`]'s `&dyn Display`.
struct Text(&'static str);

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// `line of N bytes is longer than MAX`.
struct Overlong {
    len: usize,
    max: usize,
}

impl fmt::Display for Overlong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line of {} bytes is longer than {}", self.len, self.max)
    }
}

impl State {
    pub(super) fn new(settings: Settings, verifier: KioskVerifier, happyfox: Key) -> Self {
        State {
            settings,
            verifier,
            happyfox,
            clock_base: None,
            return_to: None,
            session_active_at: None,
            lit: None,
            was_pressed: [false; 3],
        }
    }

    /// `READY <device_id>`.
    pub(super) fn start(&mut self, out: &mut impl Out) -> Result<(), IoError> {
        log::info!("kiosk {=str} ready", self.settings.device_id);
        out.reply(Reply::Ready {
            device_id: self.settings.device_id,
        })
    }

    /// The wall clock at monotonic `now_ms`, once a `TIME` set it.
    pub(super) fn now(&self, now_ms: u64) -> Option<u64> {
        let clock = self.clock_base?;
        Some(clock.at(MonotonicMs(now_ms)).0)
    }

    /// Whether button `i` reading `high` is a new press (it was low at the last poll).
    pub(super) fn button_edge(&mut self, i: usize, high: bool) -> bool {
        match self.was_pressed.get_mut(i) {
            // The level is recorded whatever it is: a release re-arms the next press.
            Some(was) => {
                let was_high = core::mem::replace(was, high);
                high && !was_high
            }
            None => false,
        }
    }

    pub(super) fn on_host_line(
        &mut self,
        out: &mut impl Out,
        line: Result<&[u8], LineTooLong>,
        now_ms: u64,
    ) -> Result<Poll, IoError> {
        let command = match line {
            Ok(line) => HostCommand::parse(line),
            Err(e) => {
                log::warning!("host line of {=usize} bytes dropped", e.len);
                let why = Overlong {
                    len: e.len,
                    max: HOST_LINE_LEN,
                };
                return host_error(out, HostErrorKind::TooLarge, &why);
            }
        };
        let unix = match command {
            Ok(HostCommand::Halt) => {
                log::info!("halt");
                out.reply(Reply::Bye)?;
                return Ok(Poll::Halt);
            }
            Ok(HostCommand::Time { unix }) => unix,
            Err(kind @ HostErrorKind::BadTime) => {
                return host_error(out, kind, &Text("TIME takes unix seconds (decimal digits)"));
            }
            Err(kind) => {
                log::warning!("unknown host command");
                return host_error(out, kind, &Text("expected TIME <unix seconds> or HALT"));
            }
        };
        if unix < self.settings.earliest_time || unix >= LATEST_TIME {
            log::warning!("TIME {=u64} refused: implausible", unix);
            return host_error(
                out,
                HostErrorKind::BadTime,
                &Text(
                    "implausible unix seconds (before this firmware was built, or past 2099); the clock is unchanged",
                ),
            );
        }
        let first = self.clock_base.is_none();
        self.clock_base = Some(WallClock {
            unix: UnixSeconds(unix),
            at: MonotonicMs(now_ms),
        });
        if first {
            // A RAM replay cache forgot everything at reboot: refuse what predates this moment.
            self.verifier.remember_from(unix);
        }
        log::info!("clock set to {=u64} (first: {=bool})", unix, first);
        self.run_timers(out, Some(unix))?;
        out.reply(Reply::Clock { unix })?;
        Ok(Poll::Handled(Event::ClockSet))
    }

    pub(super) fn on_press(
        &mut self,
        out: &mut impl Out,
        button: Button,
        now: Option<u64>,
    ) -> Result<Poll, IoError> {
        self.run_timers(out, now)?;
        self.touch(now);
        self.return_to = Some(button);
        log::info!("button: return_to {=str}", button.name());
        out.reply(Reply::Select { button })?;
        Ok(Poll::Handled(Event::Selected))
    }

    pub(super) fn on_scan(
        &mut self,
        out: &mut impl Out,
        jti: &mut impl JtiSource,
        line: Result<&[u8], LineTooLong>,
        now: Option<u64>,
    ) -> Result<Poll, IoError> {
        self.run_timers(out, now)?;
        self.touch(now);
        let (kind, message): (DenyKind, &dyn fmt::Display) = match (line, now) {
            (Err(e), _) => {
                log::warning!("DENY too_large jti=- domain=- ({=usize} bytes)", e.len);
                self.light(out, Led::Red, now)?;
                let why = Overlong {
                    len: e.len,
                    max: MAX_TOKEN_LEN,
                };
                return deny(out, DenyKind::Token(hfjwt::ErrorKind::TooLarge), &why);
            }
            (Ok(_), None) => {
                log::warning!("DENY clock_unset jti=- domain=-");
                (
                    DenyKind::ClockUnset,
                    &Text("the kiosk clock is not set (no TIME yet)"),
                )
            }
            (Ok(token), Some(now)) => match self.sign_in(out, jti, token, now)? {
                Ok(()) => return Ok(Poll::Handled(Event::Granted)),
                Err(e) => {
                    self.light(out, Led::Red, Some(now))?;
                    return deny(out, DenyKind::Token(e.kind()), &e);
                }
            },
        };
        self.light(out, Led::Red, now)?;
        deny(out, kind, message)
    }

    /// Verifies, mints, writes `GRANT`. `Ok(Err(e))` is a refusal to report.
    fn sign_in(
        &mut self,
        out: &mut impl Out,
        jtis: &mut impl JtiSource,
        token: &[u8],
        now: u64,
    ) -> Result<Result<(), Error>, IoError> {
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
                // The kind only: the DENY line itself carries the whole message (with its
                // numbers), and formatting every reason through defmt costs ~0.5 KiB of flash.
                log::warning!(
                    "DENY {=str} jti={=str} domain={=str}",
                    e.kind().as_str(),
                    jti,
                    domain
                );
                return Ok(Err(e));
            }
        };
        // The policy requires an email, so a verified token always has one.
        let email = claims.email.unwrap_or_default();
        let mut jti = [0u8; JTI_LEN];
        let jti = jtis.next_jti(now, &mut jti);
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
        self.light(out, Led::Green, Some(now))?;
        out.reply(Reply::Grant { url: &url })?;
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
    fn light(&mut self, out: &mut impl Out, led: Led, now: Option<u64>) -> Result<(), IoError> {
        match self.lit {
            Some((l, _)) if l == led => {}
            Some((other, _)) => {
                out.led(other, false)?;
                out.led(led, true)?;
            }
            None => out.led(led, true)?,
        }
        // Without a clock (a refusal before TIME) the LED stays lit until the next event.
        let off_at = now.map_or(u64::MAX, |n| n.saturating_add(self.settings.led_seconds));
        self.lit = Some((led, off_at));
        Ok(())
    }

    /// LED off and idle logout when their time has come. Whether anything happened.
    pub(super) fn run_timers(
        &mut self,
        out: &mut impl Out,
        now: Option<u64>,
    ) -> Result<bool, IoError> {
        let Some(now) = now else { return Ok(false) };
        let mut fired = false;
        if let Some((led, off_at)) = self.lit
            && now >= off_at
        {
            out.led(led, false)?;
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
                Ok(url) => out.reply(Reply::Logout { url: &url })?,
                // A `Site` is valid by construction, so only a URL longer than `URL_LEN`
                // could fail; a kiosk that cannot name the logout URL says nothing rather
                // than something wrong.
                Err(e) => log::warning!("LOGOUT: no URL ({=str})", e.kind().as_str()),
            }
            fired = true;
        }
        Ok(fired)
    }
}

fn deny(out: &mut impl Out, kind: DenyKind, message: &dyn fmt::Display) -> Result<Poll, IoError> {
    out.reply(Reply::Deny { kind, message })?;
    Ok(Poll::Handled(Event::Denied))
}

fn host_error(
    out: &mut impl Out,
    kind: HostErrorKind,
    message: &dyn fmt::Display,
) -> Result<Poll, IoError> {
    out.reply(Reply::Error { kind, message })?;
    Ok(Poll::Handled(Event::HostError))
}
