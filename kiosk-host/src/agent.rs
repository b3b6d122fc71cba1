//! The agent's decisions, without a browser or a serial port: [`Agent::handle`] takes one
//! [`Input`] (a reader line, a connection change, a timer tick) and returns the [`Action`]s the
//! shell ([`crate::shell`]) then performs. Everything the agent decides is tested here.
//!
//! What it decides:
//! - `GRANT`: open the URL only when [`SupportOrigin::check_grant`] passes; otherwise show the
//!   "refused" notice. The agent never judges the token itself (the reader did).
//! - `DENY`: show the plain-language notice for the kind, then the idle page after
//!   `message_for`.
//! - `LOGOUT`: sign out (logout page, clear the support center's cookies and storage, idle
//!   page). A `LOGOUT` URL that fails the check is not opened, but the session is still
//!   cleared.
//! - Reader gone, or rebooted (`READY`) while a session is open: sign out as well. The reader's
//!   idle timer is what ends a session; without it nobody would, and the next person would
//!   inherit the signed-in browser.
//! - `TIME`: on every connect and every `time_every`.
//! - A login page that does not load in time while the kiosk tab is still (or back) on the
//!   agent's page: stop loading it, and the idle page says so ("The sign-in page did not
//!   open"), in place, until the next scan or state change, or for [`STALLED_NOTICE_FOR`] at
//!   most.

use std::time::{Duration, Instant};

use hfjwt_firmware::protocol::{Button, DenyKind, HostCommand, Reply};

use crate::line::Line;
use crate::log::LogEvent;
use crate::origin::{CheckedUrl, SupportOrigin};

/// The agent's settings that shape its decisions.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// The only origin the kiosk browser may be sent to.
    pub support: SupportOrigin,
    /// The name shown on the idle page; `None` shows the reader's device id.
    pub kiosk_name: Option<String>,
    /// How often `TIME` is re-sent while connected.
    pub time_every: Duration,
    /// How long a notice (refusal) stays before the idle page returns.
    pub message_for: Duration,
}

/// Whether the reader's line is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReaderState {
    /// Not (yet) connected.
    Disconnected,
    /// Connected: lines flow.
    Connected,
}

/// What the idle page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdleView {
    /// The kiosk's name (`--kiosk-name`, or the reader's device id once it said `READY`).
    pub kiosk_name: Option<String>,
    /// The button last pressed: where the next sign-in lands.
    pub return_to: Option<Button>,
    /// Whether the reader is connected.
    pub reader: ReaderState,
    /// The last login URL did not load in time and the kiosk tab stayed on the agent's page:
    /// the person is told that the sign-in page did not open, and what to do.
    pub sign_in_stalled: bool,
}

/// How long the idle page says that the sign-in page did not open, unless a scan or another
/// change of state clears it sooner: long enough to get a new code on the phone, short
/// enough that the next person does not find it.
pub const STALLED_NOTICE_FOR: Duration = Duration::from_secs(60);

/// Where the kiosk tab is when the login page it was sent to did not load in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KioskTab {
    /// Still (or back) on the agent's idle page: the navigation did not get anywhere.
    IdlePage,
    /// On another of the agent's pages (a notice shown when the code was scanned).
    AgentPage,
    /// On the support center's page (loading slowly), or it could not be told.
    Elsewhere,
}

impl KioskTab {
    /// Stable snake_case name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            KioskTab::IdlePage => "idle_page",
            KioskTab::AgentPage => "agent_page",
            KioskTab::Elsewhere => "elsewhere",
        }
    }
}

/// A page the agent shows for a while instead of the idle page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The reader refused the scanned code.
    Denied(DenyKind),
    /// The reader sent a URL the agent does not open.
    Refused,
    /// The support center could not be reached.
    Unreachable,
}

/// What the shell does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send `TIME` with the host's clock (the shell reads it; see [`time_command`]).
    SendTime,
    /// The idle page's content changed (the page updates itself in place when it is showing).
    UpdateIdle(IdleView),
    /// Show the idle page.
    ShowIdle,
    /// Show a notice page.
    Show(Notice),
    /// Open a checked login URL in the kiosk tab.
    Open(CheckedUrl),
    /// Stop the kiosk tab's pending navigation (a login URL that did not load in time), so
    /// that it cannot open later, behind the back of a person told that it did not.
    StopLoading,
    /// Open the checked logout URL, clear the support center's cookies and storage, then show
    /// the idle page.
    SignOut(CheckedUrl),
    /// Write one log line.
    Log(LogEvent),
}

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input<'a> {
    /// The reader's line is open.
    Connected,
    /// The reader's line closed or failed.
    Disconnected,
    /// A line from the reader, parsed.
    Reply(Reply<'a>),
    /// A line from the reader that is not one of the protocol's.
    BadLine(LineProblem),
    /// Opening a login URL failed (the support center is unreachable).
    OpenFailed,
    /// The login URL did not load in time; where the kiosk tab is.
    OpenSlow(KioskTab),
    /// Time passed: run due timers (see [`Agent::next_deadline`]).
    Tick,
}

/// Why a line from the reader was not understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineProblem {
    /// Not a line of the protocol.
    Unknown,
    /// Longer than [`crate::line::MAX_LINE`].
    TooLong,
    /// Not UTF-8.
    NotUtf8,
}

impl LineProblem {
    /// Stable snake_case name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            LineProblem::Unknown => "unknown_line",
            LineProblem::TooLong => "too_long",
            LineProblem::NotUtf8 => "not_utf8",
        }
    }
}

impl<'a> Input<'a> {
    /// The input for one line off the wire: a [`Reply`] or the reason it is not one.
    pub fn from_line(line: &'a Line) -> Input<'a> {
        match line {
            Line::Text(text) => match Reply::parse(text) {
                Ok(reply) => Input::Reply(reply),
                Err(_) => Input::BadLine(LineProblem::Unknown),
            },
            Line::TooLong => Input::BadLine(LineProblem::TooLong),
            Line::NotUtf8 => Input::BadLine(LineProblem::NotUtf8),
        }
    }
}

/// The earliest unix time the agent believes: its own build time. A host clock before it is
/// unset (a PC without RTC battery or NTP boots in 1970 or at its firmware's date).
pub const CLOCK_FLOOR: u64 = parse_build_time(env!("HFJWT_KIOSK_HOST_BUILD_UNIX"));

const fn parse_build_time(s: &str) -> u64 {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut n: u64 = 0;
    while i < bytes.len() {
        n = n * 10 + (bytes[i] - b'0') as u64;
        i += 1;
    }
    n
}

/// When to send `TIME`, for a host clock reading `since_epoch`: the next whole second and how
/// long until it. `TIME` carries whole seconds and the reader counts from the moment the line
/// arrives, so a `TIME` sent at x.9 s would leave the reader's clock 0.9 s behind for good (and
/// a code minted at the next second "issued in the future" without leeway); sent on the second
/// boundary it is behind only by the line's transit.
pub fn time_alignment(since_epoch: std::time::Duration) -> (u64, std::time::Duration) {
    let subsec = since_epoch.subsec_nanos();
    if subsec == 0 {
        return (since_epoch.as_secs(), std::time::Duration::ZERO);
    }
    let wait = std::time::Duration::from_nanos(u64::from(1_000_000_000 - subsec));
    (since_epoch.as_secs().saturating_add(1), wait)
}

/// `TIME <now>`, or `None` when `now` is before `floor` (an obviously unset host clock must
/// never reach the reader: it would refuse every fresh code as issued in the future).
pub fn time_command(now_unix: u64, floor: u64) -> Option<HostCommand> {
    (now_unix >= floor).then_some(HostCommand::Time { unix: now_unix })
}

/// The agent's state: what the idle page shows, whether a session may be open, timers.
#[derive(Debug)]
pub struct Agent {
    config: AgentConfig,
    idle: IdleView,
    /// A login URL was opened and no sign-out followed yet.
    signed_in: bool,
    next_time: Option<Instant>,
    notice_until: Option<Instant>,
    /// When the idle page stops saying that the sign-in page did not open.
    stalled_until: Option<Instant>,
}

impl Agent {
    /// A fresh agent: reader disconnected, idle page.
    pub fn new(config: AgentConfig) -> Agent {
        let idle = IdleView {
            kiosk_name: config.kiosk_name.clone(),
            return_to: None,
            reader: ReaderState::Disconnected,
            sign_in_stalled: false,
        };
        Agent {
            config,
            idle,
            signed_in: false,
            next_time: None,
            notice_until: None,
            stalled_until: None,
        }
    }

    /// What the idle page shows now.
    pub fn idle_view(&self) -> &IdleView {
        &self.idle
    }

    /// Whether a login URL was opened and not signed out since.
    pub fn signed_in(&self) -> bool {
        self.signed_in
    }

    /// When the next [`Input::Tick`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        [self.next_time, self.notice_until, self.stalled_until]
            .into_iter()
            .flatten()
            .min()
    }

    /// Decides what to do about `input` at `now`.
    pub fn handle(&mut self, input: Input<'_>, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Connected => {
                self.idle.reader = ReaderState::Connected;
                self.end_stalled_notice();
                out.push(Action::UpdateIdle(self.idle.clone()));
                out.push(Action::SendTime);
                self.next_time = now.checked_add(self.config.time_every);
            }
            Input::Disconnected => {
                self.idle.reader = ReaderState::Disconnected;
                self.end_stalled_notice();
                self.next_time = None;
                out.push(Action::Log(LogEvent::new("reader_disconnected")));
                out.push(Action::UpdateIdle(self.idle.clone()));
                self.sign_out_if_signed_in("reader_disconnected", &mut out);
            }
            Input::Reply(reply) => self.reply(reply, now, &mut out),
            Input::BadLine(problem) => {
                out.push(Action::Log(
                    LogEvent::new("bad_line").with("problem", problem.as_str()),
                ));
            }
            Input::OpenFailed => {
                self.signed_in = false;
                self.clear_stalled_notice(&mut out);
                self.notice(Notice::Unreachable, now, &mut out);
            }
            // The support center's page is on screen, only slow: it may yet load.
            Input::OpenSlow(KioskTab::Elsewhere) => {}
            // The person still sees the agent's page after scanning: tell them that the
            // sign-in page did not open instead of leaving them waiting, and stop it from
            // opening later, when they may have gone. The session still counts as open until
            // a sign-out (the support center may have set its cookie on the way).
            Input::OpenSlow(tab) => {
                out.push(Action::StopLoading);
                self.idle.sign_in_stalled = true;
                self.stalled_until = now.checked_add(STALLED_NOTICE_FOR);
                self.notice_until = None;
                out.push(Action::UpdateIdle(self.idle.clone()));
                // The idle page updates itself in place; a notice page does not.
                if tab == KioskTab::AgentPage {
                    out.push(Action::ShowIdle);
                }
            }
            Input::Tick => {
                if self.next_time.is_some_and(|t| t <= now) {
                    out.push(Action::SendTime);
                    self.next_time = now.checked_add(self.config.time_every);
                }
                if self.notice_until.is_some_and(|t| t <= now) {
                    self.notice_until = None;
                    out.push(Action::ShowIdle);
                }
                if self.stalled_until.is_some_and(|t| t <= now) {
                    self.clear_stalled_notice(&mut out);
                }
            }
        }
        out
    }

    fn reply(&mut self, reply: Reply<'_>, now: Instant, out: &mut Vec<Action>) {
        match reply {
            Reply::Ready { device_id } => {
                out.push(Action::Log(
                    LogEvent::new("reader_ready").with("device_id", device_id),
                ));
                self.end_stalled_notice();
                if self.config.kiosk_name.is_none() {
                    self.idle.kiosk_name = Some(device_id.to_string());
                }
                // A rebooted reader starts without a selection.
                self.idle.return_to = None;
                out.push(Action::UpdateIdle(self.idle.clone()));
                self.sign_out_if_signed_in("reader_restarted", out);
            }
            Reply::Clock { unix } => {
                out.push(Action::Log(
                    LogEvent::new("reader_clock").with("unix", unix),
                ));
            }
            Reply::Select { button } => {
                self.idle.return_to = Some(button);
                self.end_stalled_notice();
                out.push(Action::Log(
                    LogEvent::new("select").with("button", button.name()),
                ));
                out.push(Action::UpdateIdle(self.idle.clone()));
            }
            Reply::Grant { url } => match self.config.support.check_grant(url) {
                // A new scan: what happened to the last one no longer matters.
                Ok(url) => {
                    self.clear_stalled_notice(out);
                    out.push(Action::Log(
                        LogEvent::new("grant").with("place", url.place()),
                    ));
                    self.notice_until = None;
                    self.signed_in = true;
                    out.push(Action::Open(url));
                }
                Err(refusal) => {
                    let mut event = LogEvent::new("grant_refused").with("reason", refusal.as_str());
                    if let Some(place) = refusal.place() {
                        event = event.with("place", place);
                    }
                    out.push(Action::Log(event));
                    self.clear_stalled_notice(out);
                    self.notice(Notice::Refused, now, out);
                }
            },
            Reply::Deny { kind, message: _ } => {
                // The reader's message is for developers; the page says it in plain words.
                out.push(Action::Log(
                    LogEvent::new("deny").with("kind", kind.as_str()),
                ));
                self.clear_stalled_notice(out);
                self.notice(Notice::Denied(kind), now, out);
            }
            Reply::Error { kind, message: _ } => {
                out.push(Action::Log(
                    LogEvent::new("reader_error").with("kind", kind.as_str()),
                ));
            }
            Reply::Bye => out.push(Action::Log(LogEvent::new("reader_bye"))),
            Reply::Logout { url } => {
                let url = match self.config.support.check_logout(url) {
                    Ok(url) => {
                        out.push(Action::Log(
                            LogEvent::new("logout").with("place", url.place()),
                        ));
                        url
                    }
                    Err(refusal) => {
                        let mut event =
                            LogEvent::new("logout_refused").with("reason", refusal.as_str());
                        if let Some(place) = refusal.place() {
                            event = event.with("place", place);
                        }
                        out.push(Action::Log(event));
                        self.own_logout_url()
                    }
                };
                self.signed_in = false;
                self.notice_until = None;
                self.clear_stalled_notice(out);
                out.push(Action::SignOut(url));
            }
            Reply::Led { led, on } => {
                out.push(Action::Log(
                    LogEvent::new("led").with("led", led.name()).with("on", on),
                ));
            }
        }
    }

    /// Ends the "sign-in page did not open" notice as part of a change whose own
    /// [`Action::UpdateIdle`] follows.
    fn end_stalled_notice(&mut self) {
        self.idle.sign_in_stalled = false;
        self.stalled_until = None;
    }

    /// Ends the "sign-in page did not open" notice, if it is on, with an update of its own.
    fn clear_stalled_notice(&mut self, out: &mut Vec<Action>) {
        if self.idle.sign_in_stalled {
            self.end_stalled_notice();
            out.push(Action::UpdateIdle(self.idle.clone()));
        }
    }

    fn notice(&mut self, notice: Notice, now: Instant, out: &mut Vec<Action>) {
        self.notice_until = now.checked_add(self.config.message_for);
        out.push(Action::Show(notice));
    }

    fn sign_out_if_signed_in(&mut self, why: &'static str, out: &mut Vec<Action>) {
        if self.signed_in {
            self.signed_in = false;
            self.notice_until = None;
            out.push(Action::Log(LogEvent::new("sign_out").with("why", why)));
            out.push(Action::SignOut(self.own_logout_url()));
        }
    }

    /// `<support origin>/logout`: used when the reader cannot (or did not properly) say it.
    fn own_logout_url(&self) -> CheckedUrl {
        self.config.support.logout_url().clone()
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod alignment_tests {
    use std::time::Duration;

    use super::time_alignment;

    #[test]
    fn time_is_sent_on_the_next_second_boundary() {
        assert_eq!(
            time_alignment(Duration::from_millis(1_795_000_000_900)),
            (1_795_000_001, Duration::from_millis(100))
        );
        assert_eq!(
            time_alignment(Duration::from_secs(1_795_000_000)),
            (1_795_000_000, Duration::ZERO)
        );
        let (s, wait) = time_alignment(Duration::from_nanos(1_795_000_000_000_000_001));
        assert_eq!(s, 1_795_000_001);
        assert_eq!(wait, Duration::from_nanos(999_999_999));
    }
}
