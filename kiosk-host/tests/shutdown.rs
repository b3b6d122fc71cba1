//! Stopping the agent: systemd stops it with SIGTERM (a terminal with SIGINT, a closed
//! terminal with SIGHUP). The Chromium it started must go with it — every process of it, not
//! just the browser process — and so must its profile directory; the reader's line is closed
//! and the agent says why it stopped. An agent killed outright (SIGKILL) cannot clean up, but
//! its Chromium still dies with it, and the next agent removes the profile left behind.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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
    fn assert_gone(&self) {
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
    // Checked once, without waiting: the agent exits only after its Chromium is gone.
    let left = pgrep(&chromium.profile);
    assert!(left.is_empty(), "still running after SIG{signal}: {left:?}");
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
