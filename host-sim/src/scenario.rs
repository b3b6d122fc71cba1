//! Kiosk scenarios (`tests/scenarios/*.scn`): what to type on which serial line, with portal
//! tokens minted when the scenario is loaded, relative to the scenario's clock. The language
//! is documented for users in `tests/scenarios/README.md`.
//!
//! One step per line; `#` starts a comment:
//!
//! | step | sends |
//! | --- | --- |
//! | `time +N` / `time -N` / `time N` | host `TIME <clock>`: the clock moves to start + N, clock − N… or N |
//! | `press home\|tickets\|kb` | panel `PRESS <button>` |
//! | `scan token [email=..] [name=..] [iat=±N] [jti=..] [aud=..\|-] [key=portal\|wrong]` | scanner: a portal token issued at clock + iat (default 0), for the kiosk's audience unless `aud` says otherwise |
//! | `scan raw TEXT` | scanner: TEXT as is |
//! | `scan oversize N` | scanner: N bytes of `A` |
//! | `host TEXT` / `panel TEXT` | that line as is |
//! | `expect TEXT` | nothing; a line of the previous step's reply must contain TEXT |
//! | `ending lf\|cr\|crlf` | nothing; the lines of the following steps end this way (default `lf`) |
//!
//! The clock starts at `--now` (default: the wall clock), so no token is ever stored stale,
//! and a `HALT` step is added at the end. [`run`] drives any [`Link`] (the desktop twin or
//! QEMU) through the steps and returns the transcript: `> <channel> <line>` for each input,
//! then the kiosk's output lines as written.

use std::path::Path;

use hfjwt::{Grant, Key, mint};
use hfjwt_firmware::kiosk::Button;
use hfjwt_firmware::protocol::{HostCommand, PanelCommand, Reply};

use crate::failure::Failure;

/// A serial line of the kiosk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// UART0: `TIME`, `HALT` in; replies out.
    Host,
    /// UART1: `PRESS` in; `LED` lines out.
    Panel,
    /// UART2: tokens in.
    Scanner,
}

impl Channel {
    /// `host`, `panel` or `scanner`.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Host => "host",
            Channel::Panel => "panel",
            Channel::Scanner => "scanner",
        }
    }
}

/// How a sent line ends: serial scanners end a scan with CR by default, some with CRLF or LF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `\n`.
    Lf,
    /// `\r`.
    Cr,
    /// `\r\n`.
    CrLf,
}

impl Ending {
    /// The bytes.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Ending::Lf => b"\n",
            Ending::Cr => b"\r",
            Ending::CrLf => b"\r\n",
        }
    }
}

/// One line to send.
#[derive(Clone, Debug)]
pub struct Step {
    /// Where it goes.
    pub channel: Channel,
    /// The bytes, without the line ending.
    pub line: Vec<u8>,
    /// The line ending to send after it.
    pub ending: Ending,
    /// How the transcript shows it (an oversize line is abbreviated).
    pub display: String,
    /// Texts that some line of the reply must contain.
    pub expect: Vec<String>,
    /// The file line of each `expect` (0 for the added `HALT`'s).
    pub expect_lines: Vec<usize>,
    /// Line number in the scenario file (0 for the added `HALT`).
    pub source_line: usize,
}

/// The key `key=wrong` tokens are signed with: not the kiosk's portal key.
const WRONG_KEY: &[u8] = b"WRONG-key-used-by-scenarios-only-0";

/// Reads a scenario file; `start` is the scenario clock before any `time` step.
pub fn load(path: &Path, start: u64) -> Result<Vec<Step>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read scenario {}: {e}", path.display())))?;
    parse(&text, start)
        .map_err(|(line, msg)| Failure::usage(format!("{}:{line}: {msg}", path.display())))
}

/// Parses scenario text (see the module docs).
pub fn parse(text: &str, start: u64) -> Result<Vec<Step>, (usize, String)> {
    let portal = hfjwt_firmware::config::portal_key()
        .map_err(|e| (0, format!("portal key of the kiosk config: {e}")))?;
    let wrong = Key::new(WRONG_KEY).map_err(|e| (0, e.to_string()))?;
    let mut clock = start;
    let mut ending = Ending::Lf;
    let mut steps: Vec<Step> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.split_once('#').map_or(raw, |(l, _)| l).trim();
        if line.is_empty() {
            continue;
        }
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        let step = |channel, bytes: Vec<u8>, display: String| Step {
            channel,
            line: bytes,
            ending,
            display,
            expect: Vec::new(),
            expect_lines: Vec::new(),
            source_line: n,
        };
        let new = match word {
            "time" => {
                clock = if let Some(d) = rest.strip_prefix('+') {
                    clock.saturating_add(number(d).map_err(|m| (n, m))?)
                } else if let Some(d) = rest.strip_prefix('-') {
                    clock.saturating_sub(number(d).map_err(|m| (n, m))?)
                } else {
                    number(rest).map_err(|m| (n, m))?
                };
                let l = HostCommand::Time { unix: clock }.to_string();
                step(Channel::Host, l.clone().into_bytes(), l)
            }
            "press" => {
                let button = Button::from_name(rest)
                    .ok_or((n, format!("unknown button `{rest}` (home, tickets, kb)")))?;
                let l = PanelCommand::Press(button).to_string();
                step(Channel::Panel, l.clone().into_bytes(), l)
            }
            "scan" => {
                let (kind, arg) = rest.split_once(' ').unwrap_or((rest, ""));
                match kind {
                    "token" => {
                        let t = token(arg, clock, &portal, &wrong).map_err(|m| (n, m))?;
                        step(Channel::Scanner, t.clone().into_bytes(), t)
                    }
                    "raw" => step(Channel::Scanner, arg.as_bytes().to_vec(), arg.to_string()),
                    "oversize" => {
                        let len = usize::try_from(number(arg).map_err(|m| (n, m))?)
                            .map_err(|_| (n, "length too large".to_string()))?;
                        step(Channel::Scanner, vec![b'A'; len], format!("<{len} x A>"))
                    }
                    _ => return Err((n, format!("unknown scan `{kind}` (token, raw, oversize)"))),
                }
            }
            "host" => step(Channel::Host, rest.as_bytes().to_vec(), rest.to_string()),
            "panel" => step(Channel::Panel, rest.as_bytes().to_vec(), rest.to_string()),
            "ending" => {
                ending = match rest {
                    "lf" => Ending::Lf,
                    "cr" => Ending::Cr,
                    "crlf" => Ending::CrLf,
                    _ => return Err((n, format!("unknown ending `{rest}` (lf, cr, crlf)"))),
                };
                continue;
            }
            "expect" => {
                let last = steps
                    .last_mut()
                    .ok_or((n, "`expect` needs a step before it".to_string()))?;
                last.expect.push(rest.to_string());
                last.expect_lines.push(n);
                continue;
            }
            _ => return Err((n, format!("unknown step `{word}`"))),
        };
        // QEMU's shared console takes Ctrl-A as its escape: keep control bytes out of lines.
        if new.line.iter().any(|b| b.is_ascii_control()) {
            return Err((n, "control characters cannot be sent".to_string()));
        }
        steps.push(new);
    }
    steps.push(Step {
        channel: Channel::Host,
        line: HostCommand::Halt.to_string().into_bytes(),
        ending,
        display: HostCommand::Halt.to_string(),
        expect: vec!["BYE".to_string()],
        expect_lines: vec![0],
        source_line: 0,
    });
    Ok(steps)
}

fn number(s: &str) -> Result<u64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))
}

/// Mints the portal token of a `scan token` step.
fn token(args: &str, clock: u64, portal: &Key, wrong: &Key) -> Result<String, String> {
    // A portal mints for the kiosk it is shown to: its audience, if it has one.
    let (mut email, mut name, mut iat, mut jti, mut key, mut aud) = (
        "jo@acme.com",
        None,
        clock,
        None,
        portal,
        hfjwt_firmware::config::SETTINGS.audience,
    );
    for kv in args.split_whitespace() {
        let (k, v) = kv
            .split_once('=')
            .ok_or(format!("`{kv}` is not key=value"))?;
        match k {
            "email" => email = v,
            // Names with spaces: write `_`, sent as a space.
            "name" => name = Some(v),
            "iat" => {
                let d: i64 = v
                    .parse()
                    .map_err(|_| format!("iat `{v}` is not ±seconds"))?;
                iat = clock.saturating_add_signed(d);
            }
            "jti" => jti = Some(v),
            // `aud=-`: no audience at all.
            "aud" => aud = (v != "-").then_some(v),
            "key" => {
                key = match v {
                    "portal" => portal,
                    "wrong" => wrong,
                    _ => return Err(format!("key `{v}`: portal or wrong")),
                }
            }
            _ => return Err(format!("unknown token field `{k}`")),
        }
    }
    let name = name.map(|n| n.replace('_', " "));
    let jti = jti.ok_or("a token needs jti=...")?;
    let mut grant = Grant::new(email, iat, jti);
    if let Some(n) = name.as_deref() {
        grant = grant.with_name(n);
    }
    if let Some(a) = aud {
        grant = grant.with_audience(a);
    }
    let mut buf = vec![0u8; hfjwt::token_len(&grant)];
    mint(key, &grant, &mut buf)
        .map(str::to_string)
        .map_err(|e| format!("cannot mint: {e}"))
}

/// A kiosk that lines can be sent to: the desktop twin or the firmware under QEMU.
pub trait Link {
    /// The lines the kiosk writes at boot, up to and including `READY`.
    fn boot(&mut self) -> Result<Vec<String>, Failure>;
    /// Sends `step` and returns the kiosk's lines up to and including the end of its reply
    /// (see [`Reply::ends_reply`]).
    fn send(&mut self, step: &Step) -> Result<Vec<String>, Failure>;
}

/// The transcript of a run and the expectations it missed.
#[derive(Debug, Default)]
pub struct Transcript {
    /// Inputs (`> channel line`) and outputs, in order.
    pub lines: Vec<String>,
    /// One message per unmet `expect`, starting with the scenario's line number.
    pub unmet: Vec<String>,
}

/// Sends every step through `link`, waiting for each reply.
pub fn run(steps: &[Step], link: &mut dyn Link) -> Result<Transcript, Failure> {
    let mut t = Transcript {
        lines: link.boot()?,
        unmet: Vec::new(),
    };
    for step in steps {
        t.lines
            .push(format!("> {} {}", step.channel.name(), step.display));
        let reply = link.send(step)?;
        for (prefix, line) in step.expect.iter().zip(&step.expect_lines) {
            if !reply.iter().any(|l| l.contains(prefix.as_str())) {
                t.unmet.push(format!(
                    "{line}: `expect {prefix}` not met; the reply was {reply:?}"
                ));
            }
        }
        t.lines.extend(reply);
    }
    Ok(t)
}

/// Whether `line` ends a reply. A line that is not the protocol's (e.g. a garbled one) does
/// not: the driver keeps waiting and its timeout reports what came.
pub fn is_reply_end(line: &str) -> bool {
    Reply::parse(line).is_ok_and(|r| r.ends_reply())
}

/// Prints the transcript on stdout and unmet expectations on stderr (`FILE:LINE: …`, naming
/// the `expect` line); the exit outcome.
pub fn report(t: &Transcript, path: &Path) -> crate::failure::Outcome {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    for l in &t.lines {
        // A closed stdout (e.g. `| head`) is not worth a panic.
        if writeln!(out, "{l}").is_err() {
            break;
        }
    }
    // Flushed first, so that piped stdout and stderr come out in this order.
    let _ = out.flush();
    drop(out);
    for u in &t.unmet {
        eprintln!("hfjwt-sim: {}:{u}", path.display());
    }
    if t.unmet.is_empty() {
        crate::failure::Outcome::Accepted
    } else {
        crate::failure::Outcome::SomeRejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_relative_tokens() {
        let steps = parse(
            "# c\ntime +0\npress kb\nscan token email=a@b.co iat=-5 jti=x\nexpect GRANT\nscan oversize 3\ntime +130\n",
            1_000,
        )
        .unwrap();
        assert_eq!(steps.len(), 6);
        assert_eq!(steps[0].line, b"TIME 1000");
        assert_eq!(steps[1].line, b"PRESS kb");
        assert_eq!(steps[2].expect, ["GRANT"]);
        assert_eq!(steps[2].expect_lines, [5]);
        assert_eq!(steps[3].display, "<3 x A>");
        assert_eq!(steps[4].line, b"TIME 1130");
        assert_eq!(steps[5].line, b"HALT");
        let tok = std::str::from_utf8(&steps[2].line).unwrap();
        // Minted for the kiosk's own audience, as its portal would.
        let mut policy = hfjwt::Policy::new();
        if let Some(a) = hfjwt_firmware::config::SETTINGS.audience {
            policy = policy.audience(a).unwrap();
        }
        let mut v: hfjwt::Verifier =
            hfjwt::Verifier::new(hfjwt_firmware::config::portal_key().unwrap()).with_policy(policy);
        let mut scratch = [0u8; 512];
        let c = v.verify(tok, 1_000, &mut scratch).unwrap();
        assert_eq!((c.iat, c.jti), (995, "x"));
    }

    #[test]
    fn endings_apply_to_the_steps_after_them() {
        let steps = parse(
            "time +0\nending cr\nscan raw x\nending crlf\npress kb\n",
            1_000,
        )
        .unwrap();
        let endings: Vec<Ending> = steps.iter().map(|s| s.ending).collect();
        assert_eq!(
            endings,
            [Ending::Lf, Ending::Cr, Ending::CrLf, Ending::CrLf]
        );
        assert_eq!(parse("ending lfcr\n", 0).unwrap_err().0, 1);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(parse("time +0\nfly\n", 0).unwrap_err().0, 2);
        assert_eq!(parse("expect X\n", 0).unwrap_err().0, 1);
        assert_eq!(parse("press door\n", 0).unwrap_err().0, 1);
        assert_eq!(parse("scan token email=a@b.co\n", 0).unwrap_err().0, 1);
    }
}
