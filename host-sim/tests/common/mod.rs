//! Helpers shared by the CLI and serve tests: the binary, key files, and tokens minted
//! through the core at test time (never stored, so they cannot go stale).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The shared key every test signs and verifies with.
pub const KEY: &str = "0123456789abcdefghijklmnopqrstuv";
/// A different, equally strong key: its tokens must fail with bad_signature.
pub const OTHER_KEY: &str = "vutsrqponmlkjihgfedcba9876543210";
/// The `--now` the CLI tests judge at; tokens are minted relative to it.
pub const NOW: u64 = 1_800_000_000;

/// The `hfjwt-sim` binary built for this test run.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hfjwt-sim"))
}

/// A fresh path in this test binary's scratch directory.
pub fn tmp_path(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hfjwt-sim-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let n = N.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{}-{n}-{name}", std::process::id()))
}

/// Writes `contents` to a fresh file readable by its owner only (as a key file should be:
/// `hfjwt-sim` warns about key files that group or others may read) and returns its path.
pub fn write_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = tmp_path(name);
    write_file_mode(&path, contents, 0o600);
    path
}

/// Writes `contents` to `path` with the unix permission bits `mode`.
pub fn write_file_mode(path: &std::path::Path, contents: &[u8], mode: u32) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path).unwrap().write_all(contents).unwrap();
}

/// A key file holding `key` and a trailing newline, as an editor would save it.
pub fn key_file(key: &str) -> String {
    write_file("key.txt", format!("{key}\n").as_bytes())
        .to_str()
        .unwrap()
        .to_owned()
}

/// Mints through the core.
pub fn mint(key: &str, email: &str, name: Option<&str>, iat: u64, jti: &str) -> String {
    let key = hfjwt::Key::new(key.as_bytes()).unwrap();
    let mut grant = hfjwt::Grant::new(email, iat, jti);
    if let Some(name) = name {
        grant = grant.with_name(name);
    }
    let mut buf = vec![0u8; hfjwt::token_len(&grant)];
    hfjwt::mint(&key, &grant, &mut buf).unwrap().to_owned()
}

/// The wall clock in Unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// What a finished run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Asserts the exit code and that stderr is at most one line and never a panic.
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "panic: {}",
            self.stderr
        );
        self
    }

    /// Asserts exactly one stderr line, starting with `hfjwt-sim: <prefix>`.
    pub fn one_error_line(self, prefix: &str) -> Self {
        let lines: Vec<_> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "stderr: {}", self.stderr);
        assert!(
            lines[0].starts_with(&format!("hfjwt-sim: {prefix}")),
            "stderr: {}",
            self.stderr
        );
        self
    }
}

/// Runs `hfjwt-sim args…` with `stdin` piped in (written from a thread, so large inputs
/// stream while the output is read).
pub fn run_with(args: &[&str], env: &[(&str, &str)], stdin: Vec<u8>) -> Run {
    let mut cmd = bin();
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // The child may exit early (e.g. a usage error) and close the pipe: that is fine.
        let _ = input.write_all(&stdin);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `hfjwt-sim args…` with empty stdin.
pub fn run(args: &[&str]) -> Run {
    run_with(args, &[], Vec::new())
}
