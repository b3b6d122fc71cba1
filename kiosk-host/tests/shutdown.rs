//! Stopping the agent: systemd stops it with SIGTERM (a terminal with SIGINT, a closed
//! terminal with SIGHUP). The Chromium it started must go with it — every process of it, not
//! just the browser process — and so must its profile directory; the reader's line is closed
//! and the agent says why it stopped. An agent killed outright (SIGKILL) cannot clean up, but
//! its Chromium still dies with it, and the next agent removes the profile left behind. A
//! stop that arrives while the agent waits (for a sign-in page, for Chromium to start) ends
//! the wait: it does not take the page's timeout.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hfjwt_firmware::protocol::Reply;
use hfjwt_kiosk_host::chromium::profiles_of;
use hfjwt_kiosk_host::testkit::{FakeReader, Process};

use common::*;

/// What `pgrep -f` finds of the Chromium whose profile is `profile` (its browser, zygotes,
/// renderers, GPU and utility processes all carry `--user-data-dir=<profile>`).
fn pgrep(profile: &Path) -> Vec<String> {
    let pattern = format!("--user-data-dir={}( |$)", profile.display());
    let out = Command::new("pgrep")
        .args(["-a", "-f", "--", &pattern])
        .output()
        .expect("pgrep (procps) runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.chars().take(160).collect())
        .collect()
}

/// What the Chromium an agent started leaves on disk.
struct Leftovers {
    /// Its profile (`--user-data-dir`).
    profile: PathBuf,
    /// The directory of its `SingletonSocket`, `/tmp/org.chromium.Chromium.XXXXXX`.
    socket_dir: PathBuf,
}

impl Leftovers {
    /// Nothing of it runs (checked once, without waiting: the agent exits only after its
    /// Chromium is gone), nothing of it is on disk.
    fn assert_gone(&self) {
        let left = pgrep(&self.profile);
        assert!(left.is_empty(), "still running: {left:?}");
        assert!(!self.profile.exists(), "{} is left", self.profile.display());
        assert!(
            !self.socket_dir.exists(),
            "{} is left",
            self.socket_dir.display()
        );
    }
}

/// The one Chromium the agent started: running, with helper processes, on disk.
fn chromium_of(agent: &Process) -> Leftovers {
    let profiles = profiles_of(agent.id());
    assert_eq!(profiles.len(), 1, "{profiles:?}");
    let profile = profiles.into_iter().next().unwrap();
    assert!(profile.is_dir(), "{}", profile.display());
    let socket = std::fs::read_link(profile.join("SingletonSocket")).unwrap();
    let socket_dir = socket.parent().unwrap().to_path_buf();
    assert!(socket_dir.is_dir(), "{}", socket_dir.display());
    // The browser forks helpers: more than one process to stop.
    let running = pgrep(&profile);
    assert!(running.len() > 1, "{running:?}");
    Leftovers {
        profile,
        socket_dir,
    }
}

/// Starts an agent with a reader connected, stops it with `signal`, and checks that it stopped
/// cleanly: its reason logged last, status 0, the reader's line closed, nothing of its
/// Chromium left running or on disk.
fn stops_cleanly_on(signal: &str) {
    let _slot = browser_slot();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, _ready) = agent(&reader, "https://acme.happyfox.com", &[]);
    let mut conn = connect(&reader, &mut agent);
    let chromium = chromium_of(&agent);

    agent.signal(signal);
    let stopped = agent.wait_event("agent_stopped", WAIT);
    assert_eq!(stopped, format!("agent_stopped signal=SIG{signal}"));
    let status = agent.wait_exit(WAIT);
    assert_eq!(status.code(), Some(0), "{status:?}");
    // Nothing after the reason.
    assert_eq!(agent.drain().last(), Some(&stopped));
    conn.wait_closed(WAIT);
    chromium.assert_gone();
}

#[test]
fn sigterm_stops_chromium_closes_the_line_and_removes_the_profile() {
    stops_cleanly_on("TERM");
}

#[test]
fn sigint_and_sighup_stop_it_the_same_way() {
    stops_cleanly_on("INT");
    stops_cleanly_on("HUP");
}

#[test]
fn a_killed_agent_takes_its_chromium_with_it() {
    let _slot = browser_slot();
    let reader = FakeReader::bind().unwrap();
    let (mut killed, _ready) = agent(&reader, "https://acme.happyfox.com", &[]);
    let chromium = chromium_of(&killed);

    // The agent alone (not its process group): nothing of it runs to clean up.
    killed.signal("KILL");
    killed.wait_exit(WAIT);
    // The kernel kills the browser process when the agent dies; its helpers notice that they
    // lost the browser and exit on their own, within a second or two.
    let deadline = Instant::now() + WAIT;
    loop {
        let left = pgrep(&chromium.profile);
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Chromium outlived its killed agent: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Its profile is left behind, and the next agent removes it when it starts a browser.
    assert!(chromium.profile.exists());
    let (next, _ready) = agent(&reader, "https://acme.happyfox.com", &[]);
    chromium.assert_gone();
    drop(next);
}

/// Lines of a log that say something went wrong: an interrupted wait must say none of them.
fn failures(log: &[String]) -> Vec<&String> {
    let bad = [
        "open_failed",
        "open_slow",
        "browser_error",
        "browser_lost",
        "browser_unavailable",
        "kiosk_tab_replaced",
    ];
    log.iter()
        .filter(|l| bad.contains(&l.split(' ').next().unwrap_or_default()))
        .collect()
}

/// Waits (up to [`WAIT`]) until `ready` holds, polling.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The longest a stop may take here: stopping Chromium and closing the line, far below the
/// waits it cuts short (a 120 s page timeout, Chromium's 30 s start-up).
const STOP_WITHIN: Duration = Duration::from_secs(12);

/// Sends `signal` to an agent in the middle of a long wait and checks that it stops at once
/// (within [`STOP_WITHIN`]), cleanly (status 0, its reason logged last) and without calling
/// the cut-short wait a failure.
fn stops_at_once(agent: &mut Process, signal: &str) {
    let asked = Instant::now();
    agent.signal(signal);
    let stopped = agent.wait_event("agent_stopped", WAIT);
    assert_eq!(stopped, format!("agent_stopped signal=SIG{signal}"));
    let status = agent.wait_exit(WAIT);
    let took = asked.elapsed();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(took < STOP_WITHIN, "the stop took {took:?}");
    eprintln!("signal to exit: {took:?}");
    let log = agent.drain();
    assert_eq!(failures(log), Vec::<&String>::new());
    assert_eq!(log.last(), Some(&stopped));
}

#[test]
fn a_stop_while_a_sign_in_page_loads_ends_the_wait() {
    let _slot = browser_slot();
    let support = SilentSupportCenter::start();
    let reader = FakeReader::bind().unwrap();
    let (mut agent, _ready) = agent(&reader, &support.origin, &["--page-timeout", "120"]);
    let mut conn = connect(&reader, &mut agent);
    let chromium = chromium_of(&agent);

    // The reader accepts a code; the support center takes the connection and never answers.
    conn.send(Reply::Grant {
        url: &format!("{}/jwt/?token=t&return_to=%2Fhome", support.origin),
    });
    wait_until("the browser to reach the support center", || {
        support.connections() >= 1
    });
    stops_at_once(&mut agent, "TERM");
    conn.wait_closed(WAIT);
    chromium.assert_gone();
}

#[test]
fn a_stop_while_chromium_starts_ends_the_wait() {
    // A "browser" that starts and never says where its DevTools listen: the agent would wait
    // its whole start-up timeout (30 s) for it.
    let dir = std::env::temp_dir().join(format!("hfjwt-silent-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let program = dir.join("silent-browser");
    // Not `exec sleep`: the shell keeps the browser's arguments (the profile) on its command
    // line, where the test finds it; the stop must take its child too.
    std::fs::write(&program, "#!/bin/sh\nsleep 300\n").unwrap();
    std::fs::set_permissions(
        &program,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let reader = FakeReader::bind().unwrap();
    let line = reader.line_spec();
    let mut command = Command::new(AGENT);
    command.args([
        "--line",
        &line,
        "--support-origin",
        "https://acme.happyfox.com",
        "--headless",
        "--chromium",
    ]);
    command.arg(&program);
    let mut agent = Process::spawn(command).unwrap();
    let running = || {
        profiles_of(agent.id())
            .first()
            .map(|profile| pgrep(profile))
            .unwrap_or_default()
    };
    wait_until("the silent browser to start", || !running().is_empty());
    let profile = profiles_of(agent.id()).remove(0);

    stops_at_once(&mut agent, "INT");
    let left = pgrep(&profile);
    assert!(left.is_empty(), "still running: {left:?}");
    assert!(!profile.exists(), "{} is left", profile.display());
    std::fs::remove_dir_all(&dir).unwrap();
}
