//! Starting Chromium with a DevTools endpoint: the kiosk browser (full screen, `--kiosk`) or a
//! headless one for tests.
//!
//! Chromium is started with a private, throw-away profile (`--user-data-dir` in a fresh
//! temporary directory, removed when the [`Chromium`] is dropped) and
//! `--remote-debugging-port=0`; the endpoint is read from the `DevTools listening on ws://…`
//! line it prints on stderr.
//!
//! It runs in a process group of its own: a Ctrl-C in the agent's terminal reaches the agent
//! only (which then stops Chromium itself), and stopping it is one signal to the group — the
//! browser and every zygote, renderer, GPU and utility process it forked. On Linux it also dies
//! with the agent's main thread, even when the agent is killed outright (see
//! [`LaunchOptions::die_with_launcher`]).

use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use crate::stop;

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
    /// Have the kernel kill Chromium when the thread that launched it ends, even by SIGKILL
    /// (the processes it forked notice and exit within a second or two). Linux's parent-death
    /// signal, set through util-linux's `setpriv --pdeathsig KILL` (setting it between fork
    /// and exec ourselves needs unsafe code, which this crate forbids); without `setpriv` on
    /// `PATH` Chromium starts without it. It is the launching *thread* that counts: launch
    /// from a thread that lives as long as the browser should (the agent's main thread).
    pub die_with_launcher: bool,
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
            die_with_launcher: true,
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
    pub fn args(&self, profile: &Path) -> Vec<OsString> {
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
    /// The agent was asked to stop while Chromium started (see [`crate::stop`]); what had
    /// started is stopped again.
    Stopping,
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
            LaunchError::Stopping => write!(f, "stopped while Chromium started"),
        }
    }
}

impl std::error::Error for LaunchError {}

/// The longest wait, after the stop signal, for the last process of a Chromium to go.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A running Chromium; [`Chromium::stop`]ped when dropped.
#[derive(Debug)]
pub struct Chromium {
    child: Child,
    ws_url: String,
    profile: PathBuf,
    stopped: bool,
}

impl Chromium {
    /// Starts Chromium and waits for its DevTools endpoint.
    pub fn launch(options: &LaunchOptions) -> Result<Chromium, LaunchError> {
        let profile = temp_profile().map_err(LaunchError::Profile)?;
        let spawned = match options
            .die_with_launcher
            .then(|| find_program(Path::new("setpriv")))
            .flatten()
        {
            // setpriv execs the program: resolve it first, so a missing Chromium is still a
            // spawn error and not setpriv's complaint.
            Some(setpriv) => find_program(&options.program)
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such program"))
                .and_then(|program| {
                    let mut command = Command::new(setpriv);
                    command.args(["--pdeathsig", "KILL", "--"]).arg(program);
                    spawn(command, options, &profile)
                }),
            None => spawn(Command::new(&options.program), options, &profile),
        };
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                remove_profile(&profile);
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
            // In slices, to look at the stop request between them.
            match rx.recv_timeout(left.min(stop::POLL)) {
                Ok(line) => {
                    if let Some(url) = line
                        .split_once("DevTools listening on ")
                        .map(|(_, url)| url.trim().to_string())
                    {
                        break url;
                    }
                    seen.push(line);
                }
                Err(RecvTimeoutError::Timeout) if !left.is_zero() && !stop::requested() => {}
                Err(_) => {
                    // Whatever it started goes too.
                    Chromium {
                        child,
                        ws_url: String::new(),
                        profile,
                        stopped: false,
                    }
                    .stop();
                    if stop::requested() {
                        return Err(LaunchError::Stopping);
                    }
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
            stopped: false,
        })
    }

    /// The browser's DevTools endpoint, `ws://127.0.0.1:PORT/devtools/browser/…`.
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// The process id of the browser process (also the id of its process group).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The profile directory (`--user-data-dir`), removed when it stops.
    pub fn profile(&self) -> &Path {
        &self.profile
    }

    /// Stops Chromium and removes its profile: SIGKILL to its process group (the browser and
    /// every process it forked: asking it to close would save nothing, the profile is thrown
    /// away), then SIGKILL to any process still using the profile (one that left the group)
    /// until none is left, at most 5 s. When this returns, `pgrep -f <profile>` finds nothing.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        let group = i32::try_from(self.child.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw);
        if let Some(group) = group {
            // Fails only if the group is gone already.
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let deadline = std::time::Instant::now() + STOP_TIMEOUT;
        loop {
            let left = processes_using(&self.profile);
            if left.is_empty() || std::time::Instant::now() >= deadline {
                break;
            }
            for pid in left {
                if let Some(pid) = i32::try_from(pid)
                    .ok()
                    .and_then(rustix::process::Pid::from_raw)
                {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        remove_profile(&self.profile);
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Starts `command` (the program, or setpriv in front of it) as Chromium: its arguments, its
/// own process group, stderr piped.
fn spawn(mut command: Command, options: &LaunchOptions, profile: &Path) -> io::Result<Child> {
    command
        .args(options.args(profile))
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
}

/// `program` as the kernel would run it: a path as it is (if it is a file), a bare name
/// looked up on `PATH` (the first executable file of that name).
fn find_program(program: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Removes a profile directory (of a Chromium that is no longer running), and the directory
/// of its `SingletonSocket`: Chromium makes that one in the temporary directory
/// (`/tmp/org.chromium.Chromium.XXXXXX`, linked from the profile) and leaves it behind however
/// it stops, one more on every start.
pub fn remove_profile(profile: &Path) {
    if let Ok(socket) = std::fs::read_link(profile.join("SingletonSocket"))
        && let Some(dir) = socket.parent()
        && dir.parent() == Some(std::env::temp_dir().as_path())
        && dir.file_name().is_some_and(|name| {
            let name = name.to_string_lossy();
            name.starts_with("org.chromium.") || name.starts_with(".org.chromium.")
        })
    {
        let _ = std::fs::remove_dir_all(dir);
    }
    let _ = std::fs::remove_dir_all(profile);
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
        if !Path::new(&format!("/proc/{owner}")).exists() {
            remove_profile(&dir);
        }
    }
}

/// The live processes (not zombies) whose command line has `--user-data-dir=<profile>`: the
/// browser and every process it forked (zygotes, renderers, GPU and utility processes all
/// carry it), whoever their parent is now. What `pgrep -f <profile>` finds.
pub fn processes_using(profile: &Path) -> Vec<u32> {
    let mut wanted = OsString::from("--user-data-dir=");
    wanted.push(profile);
    let wanted = wanted.as_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            // A zombie's command line is empty: it is dead, only not reaped yet.
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            cmdline
                .split(|b| *b == 0)
                .any(|arg| arg == wanted)
                .then_some(pid)
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_as_the_kernel_would_run_them() {
        let sh = find_program(Path::new("sh")).unwrap();
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{}", sh.display());
        assert_eq!(find_program(&sh), Some(sh.clone()));
        assert_eq!(find_program(Path::new("hfjwt-no-such-program")), None);
        assert_eq!(find_program(Path::new("/nonexistent/chromium")), None);
    }

    #[test]
    fn the_processes_of_a_profile_are_found_by_their_argument() {
        let dir = std::env::temp_dir().join(format!("hfjwt-kiosk-test-{}", std::process::id()));
        assert!(processes_using(&dir).is_empty());
        // A stand-in carrying the argument as Chromium's processes do, that forks nothing
        // (`read` is built in) and waits for a line that never comes.
        let mut arg = OsString::from("--user-data-dir=");
        arg.push(&dir);
        let mut child = Command::new("sh")
            .args(["-c", "read line", "sh"])
            .arg(&arg)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        // Until the kernel shows its new command line.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while processes_using(&dir).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(processes_using(&dir), [child.id()]);
        // Not a prefix match: another profile whose name starts the same is not this one.
        let mut longer = dir.clone().into_os_string();
        longer.push("0");
        assert!(processes_using(Path::new(&longer)).is_empty());
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(processes_using(&dir).is_empty());
    }
}
