//! Helpers for tests that run the agent for real (this crate's and the end-to-end test's):
//! the agent as a child process whose log lines can be awaited, and a fake reader on a TCP
//! port. Nothing here sleeps for a fixed time: every wait is on a condition, with a timeout.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use hfjwt_firmware::protocol::{HostCommand, Reply};

use crate::line::{Line, LineReader};

/// A child process in its own process group, killed with everything it started (the agent's
/// Chromium) when dropped. Its stdout is read line by line.
#[derive(Debug)]
pub struct Process {
    child: Child,
    /// Each line with when it was read (since the start).
    lines: Receiver<(Duration, String)>,
    seen: Vec<String>,
    /// When each line of `seen` was read, for the log a failed test prints.
    seen_at: Vec<Duration>,
}

impl Process {
    /// Starts `command` (stdout piped, stderr inherited) in a new process group.
    pub fn spawn(mut command: Command) -> io::Result<Process> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let (tx, lines) = mpsc::channel();
        let started = Instant::now();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send((started.elapsed(), line)).is_err() {
                    break;
                }
            }
        });
        Ok(Process {
            child,
            lines,
            seen: Vec::new(),
            seen_at: Vec::new(),
        })
    }

    /// The process id (also its process group id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the next stdout line that `matches` (earlier lines are kept in
    /// [`Process::seen`]); panics with everything seen when `timeout` passes or the process
    /// closes its stdout.
    pub fn wait_for(&mut self, timeout: Duration, mut matches: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((at, line)) => {
                    self.seen_at.push(at);
                    self.seen.push(line.clone());
                    if matches(&line) {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "no matching line from pid {} ({e:?}); its stdout so far:\n{}",
                    self.child.id(),
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Waits for a line whose first word is `event` (the agent's text log format), or whose
    /// `"event"` is `event` (its `--json` format).
    pub fn wait_event(&mut self, event: &str, timeout: Duration) -> String {
        let json = format!("{{\"event\":\"{event}\"");
        self.wait_for(timeout, |line| {
            line.split(' ').next() == Some(event) || line.starts_with(&json)
        })
    }

    /// Reads the lines already written, without waiting, into [`Process::seen`].
    pub fn drain(&mut self) -> &[String] {
        while let Ok((at, line)) = self.lines.try_recv() {
            self.seen_at.push(at);
            self.seen.push(line);
        }
        &self.seen
    }

    /// The browser endpoint the agent uses now: from its last `browser_ready` (after it
    /// restarted or re-attached the browser) or its `agent_ready` line.
    pub fn current_cdp(&mut self) -> Option<String> {
        self.drain().iter().rev().find_map(|line| {
            let first = line.split(' ').next()?;
            if first != "browser_ready" && first != "agent_ready" {
                return None;
            }
            line.split(' ')
                .find_map(|w| w.strip_prefix("cdp="))
                .map(str::to_string)
        })
    }

    /// Every stdout line read so far.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Sends the signal named `name` (`TERM`, `INT`, `HUP`, `KILL`…) to the process alone,
    /// not to its group.
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(sent, "kill -s {name} {} failed", self.child.id());
    }

    /// Waits up to `timeout` for the process to exit and returns its status; panics with
    /// everything it wrote if it does not.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => panic!(
                    "pid {} did not exit within {timeout:?} ({other:?}); its stdout so far:\n{}",
                    self.child.id(),
                    self.drain().join("\n")
                ),
            }
        }
    }

    /// Kills the whole process group, and every process of a Chromium the agent started (it
    /// runs in a process group of its own), and reaps the child.
    pub fn kill(&mut self) {
        // SIGKILL to the group: the agent and what it started in its own group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A killed agent leaves the Chromium it started (which dies with it, but not at once)
        // and its profile.
        for dir in crate::chromium::profiles_of(self.child.id()) {
            kill_until_gone(&dir);
            crate::chromium::remove_profile(&dir);
        }
    }
}

/// SIGKILLs every process that uses the Chromium profile `dir` until none is left (10 s at
/// most).
fn kill_until_gone(dir: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pids = crate::chromium::processes_using(dir);
        if pids.is_empty() || Instant::now() >= deadline {
            return;
        }
        let _ = Command::new("kill")
            .arg("-KILL")
            .args(pids.iter().map(u32::to_string))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        // A test failed while this process ran: what it said is the first clue.
        if std::thread::panicking() {
            // Killed: its last lines are on their way (the pipe ends soon).
            while let Ok((at, line)) = self.lines.recv_timeout(Duration::from_secs(1)) {
                self.seen_at.push(at);
                self.seen.push(line);
            }
            let log: Vec<String> = self
                .seen_at
                .iter()
                .zip(&self.seen)
                .map(|(at, line)| format!("{:>7.3}s {line}", at.as_secs_f64()))
                .collect();
            eprintln!(
                "stdout of pid {}, which the failed test ran (seconds since its start):\n{}",
                self.child.id(),
                log.join("\n")
            );
        }
    }
}

/// What the agent's `agent_ready` line says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ready {
    /// `http://127.0.0.1:PORT`, the agent's pages.
    pub pages: String,
    /// The browser's DevTools WebSocket URL.
    pub cdp: String,
    /// The target id of the kiosk tab.
    pub tab: String,
}

impl Ready {
    /// Parses an `agent_ready pages=… cdp=… tab=…` line (or its `--json` form).
    pub fn parse(line: &str) -> Option<Ready> {
        if line.starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            let field = |name: &str| v.get(name)?.as_str().map(str::to_string);
            return Some(Ready {
                pages: field("pages")?,
                cdp: field("cdp")?,
                tab: field("tab")?,
            });
        }
        let field = |name: &str| {
            line.split(' ')
                .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
                .map(str::to_string)
        };
        Some(Ready {
            pages: field("pages")?,
            cdp: field("cdp")?,
            tab: field("tab")?,
        })
    }
}

/// Starts the agent binary at `program` with `args` and waits (up to 60 s) for its
/// `agent_ready` line.
pub fn start_agent(program: &str, args: &[&str]) -> (Process, Ready) {
    let mut command = Command::new(program);
    command.args(args);
    let mut agent =
        Process::spawn(command).unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let line = agent.wait_event("agent_ready", Duration::from_secs(60));
    let ready = Ready::parse(&line).unwrap_or_else(|| panic!("bad ready line {line}"));
    (agent, ready)
}

/// Panics unless `chromium` runs: tests that need it fail loudly instead of skipping.
pub fn require_chromium() {
    let ok = Command::new("chromium")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "these tests need Chromium: apt-get install -y chromium (Debian's package)"
    );
}

/// A stand-in for the reader: a TCP server the agent connects to with `--line tcp:…`.
#[derive(Debug)]
pub struct FakeReader {
    listener: TcpListener,
}

impl FakeReader {
    /// Listens on a free loopback port.
    pub fn bind() -> io::Result<FakeReader> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        Ok(FakeReader { listener })
    }

    /// Listens on `addr` again (after an earlier [`FakeReader`] there was dropped: the
    /// reader "comes back").
    pub fn bind_to(addr: SocketAddr) -> io::Result<FakeReader> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(FakeReader { listener })
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|e| panic!("listener address: {e}"))
    }

    /// `tcp:127.0.0.1:PORT`, for `--line`.
    pub fn line_spec(&self) -> String {
        format!("tcp:{}", self.addr())
    }

    /// Waits up to `timeout` for the agent to connect.
    pub fn accept(&self, timeout: Duration) -> ReaderConn {
        let deadline = Instant::now() + timeout;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    stream
                        .set_nonblocking(false)
                        .unwrap_or_else(|e| panic!("{e}"));
                    return ReaderConn {
                        stream,
                        reader: LineReader::default(),
                        lines: Vec::new(),
                    };
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(
                        Instant::now() < deadline,
                        "the agent did not connect to the fake reader within {timeout:?}"
                    );
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
}

/// One connection from the agent to the fake reader.
#[derive(Debug)]
pub struct ReaderConn {
    stream: TcpStream,
    reader: LineReader,
    lines: Vec<String>,
}

impl ReaderConn {
    /// Writes one reply line as the reader would (formatted by the protocol type, LF).
    pub fn send(&mut self, reply: Reply<'_>) {
        let line = format!("{reply}\n");
        self.send_raw(line.as_bytes());
    }

    /// Writes raw bytes (to test line endings or junk).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("write to the agent: {e}"));
    }

    /// Waits up to `timeout` for the next command from the agent.
    pub fn command(&mut self, timeout: Duration) -> HostCommand {
        let line = self.line(timeout);
        HostCommand::parse(line.as_bytes())
            .unwrap_or_else(|e| panic!("the agent sent {line:?}, not a command: {e:?}"))
    }

    /// Waits up to `timeout` for the agent to close the line (what it sends meanwhile is
    /// kept for [`ReaderConn::line`]).
    pub fn wait_closed(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 256];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "the agent did not close the line within {timeout:?}"
            );
            self.stream
                .set_read_timeout(Some(left))
                .unwrap_or_else(|e| panic!("{e}"));
            match self.stream.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    for line in self.reader.push(&buf[..n]) {
                        if let Line::Text(t) = line {
                            self.lines.push(t);
                        }
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                // A reset is closed too.
                Err(_) => return,
            }
        }
    }

    /// Waits up to `timeout` for the next line from the agent.
    pub fn line(&mut self, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 256];
        loop {
            if !self.lines.is_empty() {
                return self.lines.remove(0);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no line from the agent within {timeout:?}");
            self.stream
                .set_read_timeout(Some(left))
                .unwrap_or_else(|e| panic!("{e}"));
            match self.stream.read(&mut buf) {
                Ok(0) => panic!("the agent closed the line"),
                Ok(n) => {
                    for line in self.reader.push(&buf[..n]) {
                        match line {
                            Line::Text(t) => self.lines.push(t),
                            other => panic!("bad line from the agent: {other:?}"),
                        }
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("read from the agent: {e}"),
            }
        }
    }
}
