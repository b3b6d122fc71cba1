//! A real `redis-server` for one test: started on a free loopback port with no persistence
//! of its own, waited for until it answers `PING`, stopped when dropped. Std only, so other
//! crates' tests include this file too (`#[path = ...] mod redis_server;`).
//!
//! A missing `redis-server` fails the test loudly: it is never skipped
//! (`scripts/install-redis.sh` installs it).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process on `127.0.0.1:<port>`, with its own data directory.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers `PING`.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "hfjwt-redis-test-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut s = RedisServer {
            child: None,
            port: free_port(),
            dir,
        };
        s.spawn();
        s
    }

    /// The URL of this server, database 0.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-server ({e}): the Redis tests need it; \
                     install it with scripts/install-redis.sh"
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.try_cmd(&["PING"]).as_deref() == Some("PONG") {
                return;
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("redis-server exited at start-up: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server after writing its data to `dump.rdb` (`SHUTDOWN SAVE`), as a Redis
    /// with persistence would keep it; [`restart`](Self::restart) loads it again.
    pub fn stop_keeping_data(&mut self) {
        let _ = self.try_cmd(&["SHUTDOWN", "SAVE"]);
        if let Some(mut c) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while c.try_wait().unwrap().is_none() {
                assert!(Instant::now() < deadline, "redis-server did not shut down");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Starts the server again on the same port and directory (loading `dump.rdb`).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop it first");
        self.spawn();
    }

    /// Freezes the server (SIGSTOP): it accepts connections in the kernel, answers nothing.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Thaws a frozen server (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, sig: &str) {
        let pid = self
            .child
            .as_ref()
            .expect("server running")
            .id()
            .to_string();
        let ok = Command::new("kill").args([sig, &pid]).status().unwrap();
        assert!(ok.success(), "kill {sig} {pid}");
    }

    /// Sends one command and returns its reply as text (status, integer or bulk string;
    /// `None` for a nil reply). Panics if the server does not answer.
    pub fn cmd(&self, args: &[&str]) -> Option<String> {
        self.try_cmd_raw(args).expect("redis-server answers")
    }

    fn try_cmd(&self, args: &[&str]) -> Option<String> {
        self.try_cmd_raw(args).ok().flatten()
    }

    fn try_cmd_raw(&self, args: &[&str]) -> std::io::Result<Option<String>> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(req.as_bytes())?;
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line)?;
        let line = line.trim_end();
        let (tag, rest) = line.split_at(line.len().min(1));
        Ok(match tag {
            "+" | ":" => Some(rest.to_string()),
            "-" => Some(format!("ERR {rest}")),
            "$" => {
                let n: i64 = rest.parse().unwrap_or(-1);
                if n < 0 {
                    None
                } else {
                    let mut buf = vec![0u8; n as usize + 2];
                    r.read_exact(&mut buf)?;
                    buf.truncate(n as usize);
                    Some(String::from_utf8_lossy(&buf).into_owned())
                }
            }
            "" => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            _ => Some(line.to_string()),
        })
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-CONT", &c.id().to_string()])
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
