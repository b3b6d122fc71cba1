//! The reader's serial line protocol, as types: every line the kiosk reads or writes.
//!
//! One module formats and parses every line, and everything that speaks to a reader uses it:
//! the firmware, the desktop twin (`hfjwt-sim kiosk`), the QEMU driver, the fuzz model and the
//! kiosk PC's agent (`hfjwt-kiosk-host`). No other code spells a wire string.
//!
//! # Lines
//! A line is ASCII text ended by CR, LF or CRLF (CRLF is one ending; serial scanners end a scan
//! with CR by default). The kiosk writes LF. Three serial lines carry it:
//!
//! | line | in (to the reader) | out (from the reader) |
//! | --- | --- | --- |
//! | host (USB serial to the kiosk PC) | [`HostCommand`]: `TIME <unix seconds>`, `HALT` | [`Reply`]: `READY`, `CLOCK`, `SELECT`, `GRANT`, `DENY`, `ERROR`, `BYE`, `LOGOUT` |
//! | scanner | one token per line, bytes as scanned | — |
//! | panel (boards whose GPIO nothing outside can drive) | [`PanelCommand`]: `PRESS home\|tickets\|kb` | `LED green\|red on\|off`, `ERROR unknown_panel_line …` |
//!
//! Each input line gets exactly one reply that [ends](Reply::ends_reply) it (`READY`, `CLOCK`,
//! `SELECT`, `GRANT`, `DENY`, `ERROR`, `BYE`), possibly preceded by `LED` and `LOGOUT` lines
//! it caused. `LOGOUT` also comes on its own when a session's idle time runs out.
//!
//! ```
//! use hfjwt_firmware::protocol::{DenyKind, HostCommand, Reply};
//!
//! let line = "DENY replayed this code was already used";
//! let Ok(Reply::Deny { kind, message }) = Reply::parse(line) else { panic!() };
//! assert_eq!(kind, DenyKind::Token(hfjwt::ErrorKind::Replayed));
//! assert_eq!(message, "this code was already used");
//! assert_eq!(Reply::Deny { kind, message }.to_string(), line);
//!
//! assert_eq!(HostCommand::parse(b"TIME 1795589234"), Ok(HostCommand::Time { unix: 1795589234 }));
//! assert_eq!(HostCommand::Halt.to_string(), "HALT");
//! ```

use core::fmt;

use hfjwt::ErrorKind;

pub use crate::kiosk::{Button, Led};

/// Why a scanned line was refused, the second word of a `DENY` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenyKind {
    /// The core refused the token (or, as [`ErrorKind::TooLarge`], the line was longer than the
    /// kiosk keeps): the core's stable kind.
    Token(ErrorKind),
    /// The kiosk's clock is not set yet (no `TIME` since boot): `clock_unset`.
    ClockUnset,
}

impl DenyKind {
    /// The stable snake_case name, e.g. `replayed` or `clock_unset`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DenyKind::Token(kind) => kind.as_str(),
            DenyKind::ClockUnset => "clock_unset",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<DenyKind> {
        match name {
            "clock_unset" => Some(DenyKind::ClockUnset),
            _ => ErrorKind::from_name(name).map(DenyKind::Token),
        }
    }
}

impl fmt::Display for DenyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a host or panel line was not understood, the second word of an `ERROR` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostErrorKind {
    /// Not a command of that line: `unknown_command`.
    UnknownCommand,
    /// `TIME` with a value that is not plausible unix seconds: `bad_time`.
    BadTime,
    /// A host line longer than the kiosk keeps: `too_large`.
    TooLarge,
    /// A panel line that is not `PRESS <button>`: `unknown_panel_line`.
    UnknownPanelLine,
}

impl HostErrorKind {
    const ALL: [HostErrorKind; 4] = [
        HostErrorKind::UnknownCommand,
        HostErrorKind::BadTime,
        HostErrorKind::TooLarge,
        HostErrorKind::UnknownPanelLine,
    ];

    /// The stable snake_case name, e.g. `bad_time`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HostErrorKind::UnknownCommand => "unknown_command",
            HostErrorKind::BadTime => "bad_time",
            HostErrorKind::TooLarge => "too_large",
            HostErrorKind::UnknownPanelLine => "unknown_panel_line",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<HostErrorKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for HostErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line the reader writes. `M` is the type of the human message of `DENY` and `ERROR`:
/// `&str` when parsed, anything [`Display`](fmt::Display) when the kiosk formats one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply<'a, M = &'a str> {
    /// `READY <device_id>`: the kiosk booted; its clock is unset.
    Ready {
        /// The kiosk's device id (no spaces).
        device_id: &'a str,
    },
    /// `CLOCK <unix>`: a `TIME` line was accepted.
    Clock {
        /// The kiosk's wall clock now, unix seconds.
        unix: u64,
    },
    /// `SELECT home|tickets|kb`: a button chose the `return_to` of the next sign-in.
    Select {
        /// The button pressed.
        button: Button,
    },
    /// `GRANT <login URL>`: a scanned token passed; open this URL in the kiosk browser.
    Grant {
        /// The support center's `/jwt/?token=…` URL with a freshly minted HappyFox token.
        url: &'a str,
    },
    /// `DENY <kind> <message>`: a scanned line was refused.
    Deny {
        /// Why, as a stable kind.
        kind: DenyKind,
        /// For people; may be empty.
        message: M,
    },
    /// `ERROR <kind> <message>`: a host or panel line was not understood.
    Error {
        /// Why, as a stable kind.
        kind: HostErrorKind,
        /// For people; may be empty.
        message: M,
    },
    /// `BYE`: the answer to `HALT`.
    Bye,
    /// `LOGOUT <logout URL>`: the signed-in session ended (idle); open this URL, then forget
    /// the session.
    Logout {
        /// The support center's logout URL.
        url: &'a str,
    },
    /// `LED green|red on|off` (panel line): an LED changed.
    Led {
        /// Which LED.
        led: Led,
        /// Lit or not.
        on: bool,
    },
}

/// A line that is not one of the protocol's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError;

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a line of the kiosk protocol")
    }
}

impl core::error::Error for ParseError {}

impl<'a> Reply<'a> {
    /// Parses one line the reader wrote, without its line ending. Strict: a line is accepted
    /// only if formatting the result gives the same text back.
    pub fn parse(line: &'a str) -> Result<Reply<'a>, ParseError> {
        let (word, rest) = match line.split_once(' ') {
            Some((w, r)) => (w, Some(r)),
            None => (line, None),
        };
        let reply = match (word, rest) {
            ("READY", Some(id)) => Reply::Ready {
                device_id: one_word(id)?,
            },
            ("CLOCK", Some(unix)) => Reply::Clock {
                unix: parse_u64(unix.as_bytes()).ok_or(ParseError)?,
            },
            ("SELECT", Some(name)) => Reply::Select {
                button: Button::from_name(name).ok_or(ParseError)?,
            },
            ("GRANT", Some(url)) => Reply::Grant {
                url: one_word(url)?,
            },
            ("LOGOUT", Some(url)) => Reply::Logout {
                url: one_word(url)?,
            },
            ("DENY", Some(rest)) => {
                let (kind, message) = kind_and_message(rest)?;
                Reply::Deny {
                    kind: DenyKind::parse(kind).ok_or(ParseError)?,
                    message,
                }
            }
            ("ERROR", Some(rest)) => {
                let (kind, message) = kind_and_message(rest)?;
                Reply::Error {
                    kind: HostErrorKind::parse(kind).ok_or(ParseError)?,
                    message,
                }
            }
            ("BYE", None) => Reply::Bye,
            ("LED", Some(rest)) => {
                let (led, state) = rest.split_once(' ').ok_or(ParseError)?;
                let led = match led {
                    "green" => Led::Green,
                    "red" => Led::Red,
                    _ => return Err(ParseError),
                };
                let on = match state {
                    "on" => true,
                    "off" => false,
                    _ => return Err(ParseError),
                };
                Reply::Led { led, on }
            }
            _ => return Err(ParseError),
        };
        Ok(reply)
    }
}

impl<M> Reply<'_, M> {
    /// Whether this line ends the reply to an input line, so a driver that sent one line may
    /// send the next. `LED` and `LOGOUT` lines only ever come before such a line.
    pub fn ends_reply(&self) -> bool {
        !matches!(self, Reply::Led { .. } | Reply::Logout { .. })
    }
}

impl<M: fmt::Display> fmt::Display for Reply<'_, M> {
    /// The line, without a line ending.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Ready { device_id } => write!(f, "READY {device_id}"),
            Reply::Clock { unix } => write!(f, "CLOCK {unix}"),
            Reply::Select { button } => write!(f, "SELECT {}", button.name()),
            Reply::Grant { url } => write!(f, "GRANT {url}"),
            Reply::Deny { kind, message } => write!(f, "DENY {kind} {message}"),
            Reply::Error { kind, message } => write!(f, "ERROR {kind} {message}"),
            Reply::Bye => f.write_str("BYE"),
            Reply::Logout { url } => write!(f, "LOGOUT {url}"),
            Reply::Led { led, on } => {
                write!(f, "LED {} {}", led.name(), if *on { "on" } else { "off" })
            }
        }
    }
}

/// A line the kiosk PC sends on the host line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostCommand {
    /// `TIME <unix seconds>`: sets the kiosk's wall clock.
    Time {
        /// Unix seconds (the kiosk refuses implausible values with `ERROR bad_time`).
        unix: u64,
    },
    /// `HALT`: the kiosk answers `BYE` and stops (QEMU exits).
    Halt,
}

impl HostCommand {
    /// Parses a host line without its line ending: `Err` names the `ERROR` kind to answer.
    pub fn parse(line: &[u8]) -> Result<HostCommand, HostErrorKind> {
        if line == b"HALT" {
            return Ok(HostCommand::Halt);
        }
        let arg = line
            .strip_prefix(b"TIME ")
            .ok_or(HostErrorKind::UnknownCommand)?;
        let unix = parse_u64(arg).ok_or(HostErrorKind::BadTime)?;
        Ok(HostCommand::Time { unix })
    }
}

impl fmt::Display for HostCommand {
    /// The line, without a line ending.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostCommand::Time { unix } => write!(f, "TIME {unix}"),
            HostCommand::Halt => f.write_str("HALT"),
        }
    }
}

/// A line on the text panel (boards whose buttons nothing outside can press).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelCommand {
    /// `PRESS home|tickets|kb`: the button reads high once.
    Press(Button),
}

impl PanelCommand {
    /// Parses a panel line without its line ending.
    pub fn parse(line: &[u8]) -> Result<PanelCommand, HostErrorKind> {
        line.strip_prefix(b"PRESS ")
            .and_then(|name| core::str::from_utf8(name).ok())
            .and_then(Button::from_name)
            .map(PanelCommand::Press)
            .ok_or(HostErrorKind::UnknownPanelLine)
    }
}

impl fmt::Display for PanelCommand {
    /// The line, without a line ending.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PanelCommand::Press(button) => write!(f, "PRESS {}", button.name()),
        }
    }
}

/// A non-empty run of printable ASCII without spaces.
fn one_word(s: &str) -> Result<&str, ParseError> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(s)
    } else {
        Err(ParseError)
    }
}

/// `<kind> <message>`: the message may be empty but the space is always there, and a message
/// holds no control characters.
fn kind_and_message(rest: &str) -> Result<(&str, &str), ParseError> {
    let (kind, message) = rest.split_once(' ').ok_or(ParseError)?;
    if message.chars().any(char::is_control) {
        return Err(ParseError);
    }
    Ok((one_word(kind)?, message))
}

/// Decimal digits only, no sign, spaces or leading `+`, no overflow.
pub(crate) fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
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
    use std::string::ToString;

    use super::*;

    #[test]
    fn every_reply_round_trips() {
        let replies = [
            Reply::Ready {
                device_id: "kiosk-1",
            },
            Reply::Clock {
                unix: 1_795_589_234,
            },
            Reply::Select { button: Button::Kb },
            Reply::Grant {
                url: "https://acme.happyfox.com/jwt/?token=a.b.c&return_to=%2Fkb",
            },
            Reply::Deny {
                kind: DenyKind::Token(ErrorKind::Replayed),
                message: "token replayed: this jti was already used",
            },
            Reply::Deny {
                kind: DenyKind::ClockUnset,
                message: "",
            },
            Reply::Error {
                kind: HostErrorKind::BadTime,
                message: "TIME takes unix seconds",
            },
            Reply::Bye,
            Reply::Logout {
                url: "https://acme.happyfox.com/logout",
            },
            Reply::Led {
                led: Led::Red,
                on: false,
            },
        ];
        for r in replies {
            let line = r.to_string();
            assert_eq!(Reply::parse(&line), Ok(r), "{line}");
        }
        for kind in ErrorKind::ALL {
            let line = Reply::Deny {
                kind: DenyKind::Token(kind),
                message: "m",
            }
            .to_string();
            assert_eq!(Reply::parse(&line).map(|r| r.to_string()), Ok(line));
        }
        for kind in HostErrorKind::ALL {
            assert_eq!(HostErrorKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn reply_ends() {
        let ends = [
            "READY x",
            "CLOCK 1",
            "SELECT kb",
            "GRANT u",
            "DENY malformed m",
            "BYE",
        ];
        for l in ends {
            assert!(Reply::parse(l).unwrap().ends_reply(), "{l}");
        }
        assert!(Reply::parse("ERROR bad_time x").unwrap().ends_reply());
        for l in ["LED green on", "LOGOUT u"] {
            assert!(!Reply::parse(l).unwrap().ends_reply(), "{l}");
        }
    }

    #[test]
    fn parse_is_strict() {
        for l in [
            "",
            "GRANTED x",
            "GRANT",
            "GRANT ",
            "GRANT a b",
            "grant u",
            "READY",
            "BYE now",
            "CLOCK -1",
            "CLOCK 1x",
            "CLOCK 99999999999999999999",
            "SELECT door",
            "DENY nope m",
            "DENY replayed",
            "ERROR nope m",
            "LED blue on",
            "LED green dim",
            "DENY replayed a\tb",
            "GRANT \u{7f}",
            " GRANT u",
        ] {
            assert_eq!(Reply::parse(l), Err(ParseError), "{l:?}");
        }
    }

    #[test]
    fn host_commands() {
        assert_eq!(HostCommand::parse(b"HALT"), Ok(HostCommand::Halt));
        assert_eq!(
            HostCommand::parse(b"TIME 42"),
            Ok(HostCommand::Time { unix: 42 })
        );
        for (line, kind) in [
            (&b"TIME"[..], HostErrorKind::UnknownCommand),
            (b"HELLO", HostErrorKind::UnknownCommand),
            (b"halt", HostErrorKind::UnknownCommand),
            (b"TIME -1", HostErrorKind::BadTime),
            (b"TIME +1", HostErrorKind::BadTime),
            (b"TIME 1 ", HostErrorKind::BadTime),
            (b"TIME 99999999999999999999", HostErrorKind::BadTime),
        ] {
            assert_eq!(HostCommand::parse(line), Err(kind));
        }
        for c in [HostCommand::Halt, HostCommand::Time { unix: 7 }] {
            assert_eq!(HostCommand::parse(c.to_string().as_bytes()), Ok(c));
        }
    }

    #[test]
    fn panel_commands() {
        for b in Button::ALL {
            let c = PanelCommand::Press(b);
            assert_eq!(PanelCommand::parse(c.to_string().as_bytes()), Ok(c));
        }
        for l in [&b"PRESS"[..], b"PRESS door", b"PUSH kb", b"PRESS \xff"] {
            assert_eq!(PanelCommand::parse(l), Err(HostErrorKind::UnknownPanelLine));
        }
    }
}
