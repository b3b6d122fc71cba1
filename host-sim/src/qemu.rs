//! `hfjwt-sim qemu`: builds the kiosk firmware for a board, boots it under `qemu-system-arm`
//! and, with `--scenario`, drives it over its emulated UARTs and prints the transcript.
//!
//! Boards (`--board`): `lm3s6965evb` (Cortex-M3, thumbv7m-none-eabi; the default) and
//! `netduinoplus2` (STM32F405, Cortex-M4F, thumbv7em-none-eabihf). Both put the host, panel and
//! scanner lines on `-serial` 0, 1, 2, so everything below is the same for both.
//!
//! The firmware's runner `firmware/qemu-run.sh` puts the three UARTs on one multiplexed stdio:
//! every line the firmware writes, on any UART, reaches our stdout in the order it was written
//! (the same order the desktop twin prints), and our stdin reaches one UART at a time — the
//! scanner first; `Ctrl-A c` moves it on (scanner → host → panel → scanner). QEMU keeps bytes
//! for a UART that lost focus until it regains it, so every line is sent only after the
//! firmware answered the previous one (the kiosk ends each reply with a known line).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::failure::{Failure, Outcome};
use crate::scenario::{self, Channel, Link, Step};

/// A QEMU machine the firmware has a board for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Board {
    /// TI Stellaris LM3S6965 (Cortex-M3), target thumbv7m-none-eabi.
    #[default]
    #[value(name = "lm3s6965evb")]
    Lm3s6965evb,
    /// STM32F405 (Cortex-M4F), target thumbv7em-none-eabihf.
    #[value(name = "netduinoplus2")]
    Netduinoplus2,
}

impl Board {
    /// The QEMU machine name, as `qemu-run.sh --board` takes it.
    pub const fn machine(self) -> &'static str {
        match self {
            Board::Lm3s6965evb => "lm3s6965evb",
            Board::Netduinoplus2 => "netduinoplus2",
        }
    }

    /// The Rust target the firmware is built for.
    pub const fn target(self) -> &'static str {
        match self {
            Board::Lm3s6965evb => "thumbv7m-none-eabi",
            Board::Netduinoplus2 => "thumbv7em-none-eabihf",
        }
    }
}

/// Boot the kiosk firmware under QEMU.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The QEMU machine (and so the firmware's board and target); default lm3s6965evb, or, with
    /// `--elf`, the board the ELF was built for (qemu-run.sh reads its header).
    #[arg(long, value_enum)]
    pub board: Option<Board>,
    /// Cargo features of the firmware build, e.g. `hwrng,rtc` (netduinoplus2 only).
    #[arg(long, value_name = "LIST")]
    pub features: Option<String>,
    /// Scenario to run (tests/scenarios/*.scn); without it, QEMU runs on this terminal.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// The scenario clock's start, unix seconds (default: now).
    #[arg(long, value_name = "UNIX")]
    pub now: Option<u64>,
    /// Boot this ELF instead of building firmware/ with `cargo build --release`.
    #[arg(long, value_name = "PATH")]
    pub elf: Option<PathBuf>,
    /// Seconds to wait for each reply of the firmware.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// Print the firmware's decoded defmt log on stderr (needs defmt-print).
    #[arg(long)]
    pub defmt: bool,
}

/// The firmware crate, found from this crate's source location.
fn firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware")
}

/// Runs the subcommand.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    require_qemu()?;
    let (elf, board) = match &args.elf {
        Some(p) => (p.clone(), args.board),
        None => {
            let board = args.board.unwrap_or_default();
            (build(board, args.features.as_deref())?, Some(board))
        }
    };
    let Some(path) = &args.scenario else {
        let status = Command::new(firmware_dir().join("qemu-run.sh"))
            .args(board_args(board))
            .arg(&elf)
            .status()
            .map_err(|e| Failure::usage(format!("cannot start qemu-run.sh: {e}")))?;
        return Ok(if status.success() {
            Outcome::Accepted
        } else {
            Outcome::SomeRejected
        });
    };
    let start = match args.now {
        Some(n) => n,
        None => crate::clock::unix_now()?,
    };
    let steps = scenario::load(path, start)?;
    let defmt_file = std::env::temp_dir().join(format!("hfjwt-sim-defmt.{}", std::process::id()));
    let mut link = QemuLink::spawn(board, &elf, &defmt_file, Duration::from_secs(args.timeout))?;
    let transcript = scenario::run(&steps, &mut link);
    let finished = link.finish();
    let log = decode_defmt(&elf, &defmt_file);
    let _ = std::fs::remove_file(&defmt_file);
    let transcript = transcript?;
    finished?;
    // The transcript first (stdout, flushed by report), then the log and the timings on
    // stderr: piped together, they come out in that order.
    let outcome = scenario::report(&transcript, path);
    for line in log.lines() {
        if args.defmt || line.contains("stack high-water") {
            eprintln!("defmt: {line}");
        }
    }
    if !link.latencies.is_empty() {
        let mut l = link.latencies.clone();
        l.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "qemu: {} scanner lines, line sent -> reply received (host wall clock): min {:.1} ms, median {:.1} ms, max {:.1} ms",
            l.len(),
            ms(l[0]),
            ms(l[l.len() / 2]),
            ms(l[l.len() - 1])
        );
    }
    Ok(outcome)
}

/// `--board <machine>` for qemu-run.sh, or nothing (it then reads the ELF's header).
fn board_args(board: Option<Board>) -> Vec<&'static str> {
    board.map_or_else(Vec::new, |b| vec!["--board", b.machine()])
}

fn require_qemu() -> Result<(), Failure> {
    let qemu = std::env::var("HFJWT_QEMU").unwrap_or_else(|_| "qemu-system-arm".into());
    match Command::new(&qemu).arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err(Failure::usage(format!(
            "{qemu} not found: run scripts/install-qemu.sh (needs qemu-system-arm and the \
             thumbv7m-none-eabi / thumbv7em-none-eabihf targets)"
        ))),
    }
}

/// `cargo build --release --target <board's target> [--features LIST]` in firmware/ (whose
/// .cargo/config.toml holds the link flags); the ELF.
pub fn build(board: Board, features: Option<&str>) -> Result<PathBuf, Failure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!(
        "hfjwt-sim: building the kiosk firmware for {} (cargo build --release --target {} in \
         firmware/)",
        board.machine(),
        board.target()
    );
    let mut command = Command::new(cargo);
    command.args([
        "build",
        "--release",
        "--quiet",
        "--target",
        board.target(),
        "--message-format=json-render-diagnostics",
    ]);
    if let Some(list) = features.filter(|l| !l.is_empty()) {
        command.args(["--features", list]);
    }
    let out = command
        .current_dir(firmware_dir())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Failure::usage(format!("cannot run cargo: {e}")))?;
    if !out.status.success() {
        return Err(Failure::usage(format!(
            "building the firmware for {} failed (is the {} target installed? \
             scripts/install-qemu.sh)",
            board.machine(),
            board.target()
        )));
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact"
            && msg["target"]["name"] == "hfjwt-firmware"
            && let Some(exe) = msg["executable"].as_str()
        {
            return Ok(PathBuf::from(exe));
        }
    }
    Err(Failure::usage("cargo built no hfjwt-firmware executable"))
}

/// Decodes the defmt frames the firmware wrote, if defmt-print is installed.
fn decode_defmt(elf: &Path, frames: &Path) -> String {
    let Ok(input) = std::fs::File::open(frames) else {
        return String::new();
    };
    match Command::new("defmt-print")
        .args(["-e".as_ref(), elf.as_os_str()])
        .stdin(input)
        .output()
    {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(_) => "defmt-print not installed (scripts/install-qemu.sh): logs not decoded".into(),
    }
}

/// The firmware under QEMU, driven through the shared console.
struct QemuLink {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// The UART that has input focus: 0 host, 1 panel, 2 scanner.
    focus: usize,
    timeout: Duration,
    latencies: Vec<Duration>,
}

impl QemuLink {
    fn spawn(
        board: Option<Board>,
        elf: &Path,
        defmt_file: &Path,
        timeout: Duration,
    ) -> Result<Self, Failure> {
        let mut child = Command::new(firmware_dir().join("qemu-run.sh"))
            .args(board_args(board))
            .arg(elf)
            .env("HFJWT_DEFMT", defmt_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Failure::usage(format!("cannot start qemu-run.sh: {e}")))?;
        let (tx, rx) = mpsc::channel();
        let stdout = child
            .stdout
            .take()
            .ok_or(Failure::usage("no qemu stdout"))?;
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { break };
                let text = String::from_utf8_lossy(&line)
                    .trim_end_matches('\r')
                    .to_string();
                if tx.send(text).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&line);
                        s.push('\n');
                    }
                }
            });
        }
        Ok(QemuLink {
            stdin: child.stdin.take(),
            child,
            lines: rx,
            stderr,
            focus: 2,
            timeout,
            latencies: Vec::new(),
        })
    }

    /// Lines up to and including the end of a reply.
    fn reply(&mut self, what: &str) -> Result<Vec<String>, Failure> {
        let deadline = Instant::now() + self.timeout;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let end = scenario::is_reply_end(&line);
                    got.push(line);
                    if end {
                        return Ok(got);
                    }
                }
                Err(e) => {
                    let _ = self.child.kill();
                    let why = match e {
                        mpsc::RecvTimeoutError::Timeout => "timed out",
                        mpsc::RecvTimeoutError::Disconnected => "QEMU exited",
                    };
                    let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
                    return Err(Failure::usage(format!(
                        "no reply to {what} ({why}); got {got:?}; qemu stderr:\n{stderr}"
                    )));
                }
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or(Failure::usage("qemu stdin closed"))?;
        stdin
            .write_all(bytes)
            .and_then(|()| stdin.flush())
            .map_err(|e| Failure::usage(format!("writing to qemu: {e}")))
    }

    /// Waits for QEMU to exit after `HALT`; its status must be 0.
    fn finish(&mut self) -> Result<(), Failure> {
        self.stdin = None;
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    return Err(Failure::usage(format!("QEMU exited with {status}")));
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(Failure::usage("QEMU did not exit after HALT"));
                }
            }
        }
    }
}

impl Drop for QemuLink {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Link for QemuLink {
    fn boot(&mut self) -> Result<Vec<String>, Failure> {
        self.reply("boot (READY)")
    }

    fn send(&mut self, step: &Step) -> Result<Vec<String>, Failure> {
        let target = match step.channel {
            Channel::Host => 0,
            Channel::Panel => 1,
            Channel::Scanner => 2,
        };
        // Ctrl-A c moves the console's input to the next UART.
        while self.focus != target {
            self.write(b"\x01c")?;
            self.focus = (self.focus + 1) % 3;
        }
        let mut bytes = step.line.clone();
        bytes.extend_from_slice(step.ending.bytes());
        let sent = Instant::now();
        self.write(&bytes)?;
        let reply = self.reply(&format!(
            "{} line {}",
            step.channel.name(),
            step.source_line
        ))?;
        if step.channel == Channel::Scanner {
            self.latencies.push(sent.elapsed());
        }
        Ok(reply)
    }
}
