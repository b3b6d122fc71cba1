//! Records when the agent was built: a host clock earlier than that is unset, and the agent
//! refuses to send it to the reader (`agent::CLOCK_FLOOR`).

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    // Reproducible builds pin the date; otherwise the build machine's clock. Never later than
    // now on a machine whose clock is right, so it only ever refuses clocks that are wrong.
    let unix = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    // 2026-01-01T00:00:00Z: a build machine with an unset clock still gets a useful floor.
    let unix = unix.max(1_767_225_600);
    println!("cargo:rustc-env=HFJWT_KIOSK_HOST_BUILD_UNIX={unix}");
}
