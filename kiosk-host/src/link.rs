//! The reader's line: a serial device or a TCP socket (how QEMU's UART is reached), kept open
//! by a thread that reconnects with backoff and never gives up.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread;
use std::time::Duration;

use hfjwt_firmware::protocol::HostCommand;

use crate::line::{Line, LineReader};
use crate::log::{LogEvent, Logger};

/// The first wait after a failed connect; it doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between two connect attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the line thread looks for lines to send while no bytes arrive.
const POLL: Duration = Duration::from_millis(50);

/// Where the reader is (`--line`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineSpec {
    /// `serial:/dev/ttyACM0[,115200]`: a serial device and its baud rate.
    Serial {
        /// The device.
        path: PathBuf,
        /// Baud rate (default 115200; ignored by USB CDC devices).
        baud: u32,
    },
    /// `tcp:127.0.0.1:PORT`: a TCP server, e.g. QEMU's `-serial tcp:…,server=on`.
    Tcp {
        /// `host:port`.
        addr: String,
    },
}

/// Baud rate when `--line serial:PATH` names none.
pub const DEFAULT_BAUD: u32 = 115_200;

impl FromStr for LineSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<LineSpec, String> {
        if let Some(rest) = s.strip_prefix("serial:") {
            let (path, baud) = match rest.rsplit_once(',') {
                Some((path, baud)) => (
                    path,
                    baud.parse::<u32>()
                        .ok()
                        .filter(|b| *b > 0)
                        .ok_or_else(|| format!("{baud:?} is not a baud rate"))?,
                ),
                None => (rest, DEFAULT_BAUD),
            };
            if path.is_empty() {
                return Err("serial: needs a device path, e.g. serial:/dev/ttyACM0".into());
            }
            return Ok(LineSpec::Serial {
                path: PathBuf::from(path),
                baud,
            });
        }
        if let Some(addr) = s.strip_prefix("tcp:") {
            let port_ok = addr
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(format!("{addr:?} is not HOST:PORT"));
            }
            return Ok(LineSpec::Tcp {
                addr: addr.to_string(),
            });
        }
        Err(format!(
            "{s:?}: expected serial:/dev/ttyACM0[,BAUD] or tcp:HOST:PORT"
        ))
    }
}

impl fmt::Display for LineSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineSpec::Serial { path, baud } => write!(f, "serial:{},{baud}", path.display()),
            LineSpec::Tcp { addr } => write!(f, "tcp:{addr}"),
        }
    }
}

/// An open line: bytes both ways, reads time out after a short while.
pub trait Port: Read + Write + Send {}
impl<T: Read + Write + Send> Port for T {}

impl LineSpec {
    /// Opens the line once.
    pub fn open(&self) -> io::Result<Box<dyn Port>> {
        match self {
            LineSpec::Serial { path, baud } => {
                let mut port = serialport::new(path.to_string_lossy(), *baud)
                    .timeout(POLL)
                    .open()
                    .map_err(io::Error::other)?;
                // USB CDC devices often only send once the host raises DTR.
                let _ = port.write_data_terminal_ready(true);
                Ok(Box::new(port))
            }
            LineSpec::Tcp { addr } => {
                let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
                let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
                for a in addrs {
                    match TcpStream::connect_timeout(&a, Duration::from_secs(2)) {
                        Ok(stream) => {
                            stream.set_read_timeout(Some(POLL))?;
                            stream.set_write_timeout(Some(Duration::from_secs(2)))?;
                            stream.set_nodelay(true)?;
                            return Ok(Box::new(stream));
                        }
                        Err(e) => last = e,
                    }
                }
                Err(last)
            }
        }
    }
}

/// What the line thread reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineEvent {
    /// The line is open.
    Connected,
    /// The line closed or failed; the thread is reconnecting.
    Disconnected,
    /// One line from the reader, and when its last byte was read.
    Line(Line, std::time::Instant),
}

/// Starts the thread that keeps the line open. It reports on `events` (a channel of
/// [`LineEvent`]s, or of the caller's own events that a [`LineEvent`] converts into) and writes
/// the commands it receives on `commands` (while the line is down they are dropped: `TIME` is
/// re-sent on every connect). It ends only when `events` or `commands` is closed, and closes
/// the line (the serial port, the socket) when it ends.
pub fn spawn<E: From<LineEvent> + Send + 'static>(
    spec: LineSpec,
    events: Sender<E>,
    commands: Receiver<HostCommand>,
    logger: Logger,
) -> io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name("reader-line".into())
        .spawn(move || run(&spec, &events, &commands, logger))
}

fn run<E: From<LineEvent>>(
    spec: &LineSpec,
    events: &Sender<E>,
    commands: &Receiver<HostCommand>,
    logger: Logger,
) {
    let mut backoff = FIRST_BACKOFF;
    let mut reported = false;
    loop {
        let wait = match spec.open() {
            Ok(mut port) => {
                backoff = FIRST_BACKOFF;
                reported = false;
                logger.log(&LogEvent::new("reader_connected").with("line", spec));
                if events.send(LineEvent::Connected.into()).is_err() {
                    return;
                }
                let why = pump(&mut *port, events, commands);
                match why {
                    Ended::Closed => return,
                    Ended::Lost(error) => {
                        logger.log(&LogEvent::new("reader_lost").with("error", error));
                    }
                }
                if events.send(LineEvent::Disconnected.into()).is_err() {
                    return;
                }
                FIRST_BACKOFF
            }
            Err(error) => {
                // One line per outage, not one per attempt.
                if !reported {
                    reported = true;
                    logger.log(
                        &LogEvent::new("reader_unavailable")
                            .with("line", spec)
                            .with("error", error),
                    );
                }
                let wait = backoff;
                backoff = next_backoff(backoff);
                wait
            }
        };
        // Wait before the next attempt; lines to send meanwhile have nowhere to go.
        let until = std::time::Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match commands.recv_timeout(left) {
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// The wait after `wait` when the next attempt fails too: doubled, at most [`MAX_BACKOFF`].
pub fn next_backoff(wait: Duration) -> Duration {
    wait.saturating_mul(2).min(MAX_BACKOFF)
}

enum Ended {
    /// The agent is gone.
    Closed,
    /// The line failed.
    Lost(String),
}

fn pump<E: From<LineEvent>>(
    port: &mut dyn Port,
    events: &Sender<E>,
    commands: &Receiver<HostCommand>,
) -> Ended {
    let mut reader = LineReader::default();
    let mut buf = [0u8; 1024];
    loop {
        loop {
            match commands.try_recv() {
                Ok(command) => {
                    let line = format!("{command}\n");
                    if let Err(e) = port.write_all(line.as_bytes()).and_then(|()| port.flush()) {
                        return Ended::Lost(e.to_string());
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Ended::Closed,
            }
        }
        match port.read(&mut buf) {
            Ok(0) => return Ended::Lost("closed by the reader".into()),
            Ok(n) => {
                let at = std::time::Instant::now();
                for line in reader.push(buf.get(..n).unwrap_or_default()) {
                    if events.send(LineEvent::Line(line, at).into()).is_err() {
                        return Ended::Closed;
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Ended::Lost(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_250_ms_up_to_5_s() {
        let mut wait = FIRST_BACKOFF;
        let mut waits = vec![];
        for _ in 0..8 {
            waits.push(wait.as_millis());
            wait = next_backoff(wait);
        }
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    }

    #[test]
    fn line_specs() {
        assert_eq!(
            "serial:/dev/ttyACM0".parse(),
            Ok(LineSpec::Serial {
                path: "/dev/ttyACM0".into(),
                baud: DEFAULT_BAUD
            })
        );
        assert_eq!(
            "serial:/dev/ttyUSB1,9600".parse(),
            Ok(LineSpec::Serial {
                path: "/dev/ttyUSB1".into(),
                baud: 9600
            })
        );
        assert_eq!(
            "tcp:127.0.0.1:4444".parse(),
            Ok(LineSpec::Tcp {
                addr: "127.0.0.1:4444".into()
            })
        );
        for bad in [
            "",
            "/dev/ttyACM0",
            "serial:",
            "serial:/dev/x,fast",
            "serial:/dev/x,0",
            "tcp:127.0.0.1",
            "tcp::80",
            "tcp:host:99999",
            "udp:127.0.0.1:1",
        ] {
            assert!(bad.parse::<LineSpec>().is_err(), "{bad}");
        }
        assert_eq!(
            "tcp:127.0.0.1:4444"
                .parse::<LineSpec>()
                .unwrap()
                .to_string(),
            "tcp:127.0.0.1:4444"
        );
    }
}
