//! `hfjwt-sim kiosk`: the firmware's [`Kiosk`] on the desktop, with std peripherals.
//!
//! The very `Kiosk` and text panel of `hfjwt-firmware` run here, configured by the same
//! build-time `kiosk.toml`; the three serial lines are in-memory pipes, the LEDs the panel's
//! `LED ...` lines, and every line any of them writes goes to stdout in write order — the same
//! order QEMU's shared console shows for the firmware.
//!
//! - `--scenario FILE`: runs a scenario (see `scenario.rs`) with a *virtual* monotonic clock
//!   that never moves, so time passes only through `TIME` lines and the transcript is exactly
//!   reproducible; prints the transcript.
//! - otherwise: interactive, real monotonic clock; each stdin line goes to the host line if it
//!   starts with `TIME`/`HALT`, to the panel if it starts with `PRESS`, else to the scanner.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hfjwt_firmware::kiosk::{CounterJti, Kiosk, Monotonic, Poll};
use hfjwt_firmware::panel::TextPanel;
use hfjwt_firmware::sim::MemoryLine;
use hfjwt_firmware::{config, kiosk};

use crate::failure::{Failure, Outcome};
use crate::scenario::{self, Channel, Link, Step};

/// Run the kiosk firmware's logic on the desktop.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario to run (tests/scenarios/*.scn); without it, read lines from stdin.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// The scenario clock's start, unix seconds (default: now).
    #[arg(long, value_name = "UNIX")]
    pub now: Option<u64>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    match &args.scenario {
        Some(path) => {
            let start = match args.now {
                Some(n) => n,
                None => crate::clock::unix_now()?,
            };
            let steps = scenario::load(path, start)?;
            let transcript = run_scenario(&steps)?;
            Ok(scenario::report(&transcript, path))
        }
        None => interactive(),
    }
}

/// Runs `steps` on a desktop kiosk with a virtual clock; the transcript.
pub fn run_scenario(steps: &[Step]) -> Result<scenario::Transcript, Failure> {
    let io = DeskIo::default();
    let panel = TextPanel::new(io.panel.clone());
    let mut kiosk = new_kiosk(&io, &panel, DeskClock::Virtual)?;
    let mut link = DeskLink {
        io: &io,
        kiosk: &mut kiosk,
        halted: false,
    };
    scenario::run(steps, &mut link)
}

fn interactive() -> Result<Outcome, Failure> {
    let io = DeskIo::default();
    let panel = TextPanel::new(io.panel.clone());
    let mut kiosk = new_kiosk(&io, &panel, DeskClock::Real(Instant::now()))?;
    kiosk.start().map_err(io_failure)?;
    // Bytes, not text: a line that is not UTF-8 goes to the kiosk like any other (which
    // refuses it, as the firmware does) instead of ending the run.
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().split(b'\n') {
            let Ok(mut line) = line else { break };
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut stdin_open = true;
    loop {
        print_output(&io)?;
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => {
                let to = if line.starts_with(b"TIME") || line == b"HALT" {
                    &io.host
                } else if line.starts_with(b"PRESS") {
                    &io.panel
                } else {
                    &io.scanner
                };
                to.push_line(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => stdin_open = false,
        }
        loop {
            match kiosk.poll().map_err(io_failure)? {
                Poll::Idle => break,
                Poll::Halt => {
                    print_output(&io)?;
                    return Ok(Outcome::Accepted);
                }
                Poll::Handled(_) => {}
            }
        }
        if !stdin_open {
            print_output(&io)?;
            return Ok(Outcome::Accepted);
        }
    }
}

fn print_output(io: &DeskIo) -> Result<(), Failure> {
    let lines = io.take_lines();
    let mut out = std::io::stdout().lock();
    for l in lines {
        writeln!(out, "{l}").map_err(|e| Failure::usage(format!("stdout: {e}")))?;
    }
    out.flush()
        .map_err(|e| Failure::usage(format!("stdout: {e}")))
}

type DeskKiosk<'p> = Kiosk<
    MemoryLine,
    MemoryLine,
    hfjwt_firmware::panel::PanelLed<'p, MemoryLine>,
    hfjwt_firmware::panel::PanelButton<'p, MemoryLine>,
    CounterJti,
    DeskClock,
>;

fn new_kiosk<'p>(
    io: &DeskIo,
    panel: &'p TextPanel<MemoryLine>,
    clock: DeskClock,
) -> Result<DeskKiosk<'p>, Failure> {
    let jti = CounterJti::new(config::SETTINGS.device_id);
    let parts = panel.kiosk_parts(io.scanner.clone(), io.host.clone(), jti, clock);
    let portal = config::portal_key().map_err(Failure::Config)?;
    let happyfox = config::happyfox_key().map_err(Failure::Config)?;
    Ok(Kiosk::new(parts, config::SETTINGS, portal, happyfox))
}

fn io_failure(e: kiosk::IoError) -> Failure {
    Failure::usage(format!("kiosk i/o failed: {e:?}"))
}

/// The three serial lines, writing one shared output in write order (like QEMU's shared
/// console).
struct DeskIo {
    host: MemoryLine,
    panel: MemoryLine,
    scanner: MemoryLine,
}

impl Default for DeskIo {
    fn default() -> Self {
        let host = MemoryLine::default();
        DeskIo {
            panel: host.sharing_output(),
            scanner: host.sharing_output(),
            host,
        }
    }
}

impl DeskIo {
    /// The complete lines written so far (a partial line stays).
    fn take_lines(&self) -> Vec<String> {
        let text = self.host.take_complete_lines();
        String::from_utf8_lossy(&text)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// The desktop's monotonic clock: frozen for scenarios, `Instant` when interactive.
enum DeskClock {
    Virtual,
    Real(Instant),
}

impl Monotonic for DeskClock {
    fn now_ms(&mut self) -> u64 {
        match self {
            DeskClock::Virtual => 0,
            DeskClock::Real(start) => {
                u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
            }
        }
    }
}

struct DeskLink<'a, 'p> {
    io: &'a DeskIo,
    kiosk: &'a mut DeskKiosk<'p>,
    halted: bool,
}

impl DeskLink<'_, '_> {
    /// Polls until the kiosk has nothing left to do; the lines it wrote.
    fn settle(&mut self) -> Result<Vec<String>, Failure> {
        while !self.halted {
            match self.kiosk.poll().map_err(io_failure)? {
                Poll::Idle => break,
                Poll::Halt => self.halted = true,
                Poll::Handled(_) => {}
            }
        }
        Ok(self.io.take_lines())
    }
}

impl Link for DeskLink<'_, '_> {
    fn boot(&mut self) -> Result<Vec<String>, Failure> {
        self.kiosk.start().map_err(io_failure)?;
        self.settle()
    }

    fn send(&mut self, step: &Step) -> Result<Vec<String>, Failure> {
        if self.halted {
            return Err(Failure::usage("the kiosk halted before the scenario ended"));
        }
        let to = match step.channel {
            Channel::Host => &self.io.host,
            Channel::Panel => &self.io.panel,
            Channel::Scanner => &self.io.scanner,
        };
        to.push(&step.line);
        to.push(step.ending.bytes());
        self.settle()
    }
}
