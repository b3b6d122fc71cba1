//! Starting Chromium with a DevTools endpoint: the kiosk browser (full screen, `--kiosk`) or a
//! headless one for tests.
//!
//! Chromium is started with a private, throw-away profile (`--user-data-dir` in a fresh
//! temporary directory, removed when the [`Chromium`] is dropped) and
//! `--remote-debugging-port=0`; the endpoint is read from the `DevTools listening on ws://…`
//! line it prints on stderr.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// How to start Chromium.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchOptions {
    /// The program: `chromium` (found on `PATH`) or a path.
    pub program: PathBuf,
    /// `--headless` (no window; tests and CI).
    pub headless: bool,
    /// `--kiosk`: full screen, no browser UI.
    pub kiosk: bool,
    /// The page the first tab opens.
    pub start_url: Option<String>,
    /// Window size in pixels (also the screenshot size when headless).
    pub window_size: (u32, u32),
    /// More arguments, passed as they are.
    pub extra_args: Vec<String>,
    /// How long to wait for the DevTools endpoint.
    pub startup_timeout: Duration,
}

impl LaunchOptions {
    /// Headless `chromium`, 1280×800, for tests.
    pub fn headless() -> LaunchOptions {
        LaunchOptions {
            program: PathBuf::from("chromium"),
            headless: true,
            kiosk: false,
            start_url: None,
            window_size: (1280, 800),
            extra_args: Vec::new(),
            startup_timeout: Duration::from_secs(30),
        }
    }

    /// `chromium --kiosk` on the display, for the kiosk PC.
    pub fn kiosk() -> LaunchOptions {
        LaunchOptions {
            headless: false,
            kiosk: true,
            ..LaunchOptions::headless()
        }
    }

    /// The full argument list (without the program).
    pub fn args(&self, profile: &std::path::Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--remote-debugging-port=0".into(),
            {
                let mut a = OsString::from("--user-data-dir=");
                a.push(profile);
                a
            },
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--disable-sync".into(),
            "--disable-translate".into(),
            "--disable-features=Translate,MediaRouter,OptimizationHints".into(),
            "--disable-session-crashed-bubble".into(),
            "--noerrdialogs".into(),
            "--disable-infobars".into(),
            "--password-store=basic".into(),
            "--use-mock-keychain".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-default-apps".into(),
            "--disable-extensions".into(),
            "--metrics-recording-only".into(),
            format!(
                "--window-size={},{}",
                self.window_size.0, self.window_size.1
            )
            .into(),
        ];
        if self.headless {
            args.push("--headless".into());
            args.push("--hide-scrollbars".into());
            args.push("--disable-dev-shm-usage".into());
        }
        if self.kiosk {
            args.push("--kiosk".into());
        }
        // Chromium refuses to run as root with its sandbox (CI and containers run as root);
        // a real kiosk runs the agent as an unprivileged user and keeps the sandbox.
        if running_as_root() {
            args.push("--no-sandbox".into());
        }
        args.extend(self.extra_args.iter().map(OsString::from));
        args.push(
            self.start_url
                .clone()
                .unwrap_or_else(|| "about:blank".into())
                .into(),
        );
        args
    }
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user: no libc call (and no unsafe).
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Why Chromium did not start.
#[derive(Debug)]
pub enum LaunchError {
    /// The program could not be started (not installed?).
    Spawn(PathBuf, io::Error),
    /// It started but printed no DevTools endpoint in time, or exited; the last lines of its
    /// stderr.
    NoEndpoint(String),
    /// The temporary profile directory could not be made.
    Profile(io::Error),
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LaunchError::Spawn(program, e) => write!(
                f,
                "cannot start {}: {e} (install Debian's `chromium` package, or pass --chromium PATH)",
                program.display()
            ),
            LaunchError::NoEndpoint(stderr) => {
                write!(
                    f,
                    "Chromium printed no DevTools endpoint; its stderr:\n{stderr}"
                )
            }
            LaunchError::Profile(e) => write!(f, "cannot make a profile directory: {e}"),
        }
    }
}

impl std::error::Error for LaunchError {}

/// A running Chromium; killed (and its profile removed) when dropped.
#[derive(Debug)]
pub struct Chromium {
    child: Child,
    ws_url: String,
    profile: PathBuf,
}

impl Chromium {
    /// Starts Chromium and waits for its DevTools endpoint.
    pub fn launch(options: &LaunchOptions) -> Result<Chromium, LaunchError> {
        let profile = temp_profile().map_err(LaunchError::Profile)?;
        let mut child = match Command::new(&options.program)
            .args(options.args(&profile))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&profile);
                return Err(LaunchError::Spawn(options.program.clone(), e));
            }
        };
        let (tx, rx) = mpsc::channel();
        if let Some(stderr) = child.stderr.take() {
            // Keep draining stderr after the endpoint line, or Chromium blocks on a full pipe.
            let _ = std::thread::Builder::new()
                .name("chromium-stderr".into())
                .spawn(move || {
                    for line in BufReader::new(stderr).lines() {
                        let Ok(line) = line else { break };
                        // Once nobody listens, keep reading anyway to drain the pipe.
                        let _ = tx.send(line);
                    }
                });
        }
        let deadline = std::time::Instant::now() + options.startup_timeout;
        let mut seen = Vec::new();
        let ws_url = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line
                        .split_once("DevTools listening on ")
                        .map(|(_, url)| url.trim().to_string())
                    {
                        break url;
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = std::fs::remove_dir_all(&profile);
                    let tail = seen.len().saturating_sub(20);
                    return Err(LaunchError::NoEndpoint(
                        seen.get(tail..).unwrap_or_default().join("\n"),
                    ));
                }
            }
        };
        Ok(Chromium {
            child,
            ws_url,
            profile,
        })
    }

    /// The browser's DevTools endpoint, `ws://127.0.0.1:PORT/devtools/browser/…`.
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Profile directories are `<temp>/hfjwt-kiosk-chromium-<pid of the launcher>-<n>`.
const PROFILE_PREFIX: &str = "hfjwt-kiosk-chromium-";

/// The profile directories made by process `pid` (e.g. after it was killed).
pub fn profiles_of(pid: u32) -> Vec<PathBuf> {
    profiles()
        .into_iter()
        .filter(|(owner, _)| *owner == pid)
        .map(|(_, dir)| dir)
        .collect()
}

/// Removes the profile directories of launchers that are no longer running (an agent that
/// was killed cannot clean up after itself).
pub fn remove_stale_profiles() {
    for (owner, dir) in profiles() {
        if !std::path::Path::new(&format!("/proc/{owner}")).exists() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn profiles() -> Vec<(u32, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let (pid, _) = name.strip_prefix(PROFILE_PREFIX)?.split_once('-')?;
            Some((pid.parse().ok()?, entry.path()))
        })
        .collect()
}

fn temp_profile() -> io::Result<PathBuf> {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    remove_stale_profiles();
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("{PROFILE_PREFIX}{}-{n}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
