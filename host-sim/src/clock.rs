//! The wall clock, read only here: the core always takes `now` as an argument.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::failure::Failure;

/// Seconds since the Unix epoch, or a usage failure when the system clock is before 1970.
pub fn unix_now() -> Result<u64, Failure> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Failure::usage("the system clock is set before 1970; pass --now"))
}
