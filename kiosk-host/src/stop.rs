//! The process-wide stop request. The signal thread sets it when SIGTERM, SIGINT or SIGHUP
//! arrives, so that a wait in progress (Chromium's start, a page's load, a DevTools answer)
//! ends within [`POLL`] instead of at its own timeout (up to 30 s): systemd's stop, or a
//! Ctrl-C, then takes effect at once, whatever the agent was waiting for.
//!
//! One flag for the whole process: the agent is one per process, and once it stops, no
//! wait of it has anything left to wait for. There is no undo.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// How often a long wait looks at the request.
pub const POLL: Duration = Duration::from_millis(100);

/// Asks every wait in the process to end: the agent is stopping.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
