//! The hfjwt kiosk, independent of any board.
//!
//! This library is `no_std` and builds (and is tested) on the host; the QEMU board binary in
//! `src/main.rs` and the desktop twin (`hfjwt-sim kiosk`) feed it bytes. Nothing here names a
//! board type.
//!
//! - [`kiosk`]: the [`Kiosk`](kiosk::Kiosk) application: decisions and the I/O shell.
//! - [`protocol`]: every serial line the kiosk reads or writes, as types (format and parse).
//! - [`panel`]: buttons and LEDs as text lines, for boards without drivable GPIO.
//! - [`config`]: the configuration baked in at build time (demo keys in the repository).
//! - [`line`](mod@line): assembles serial bytes into lines ended by CR, LF or CRLF; an overlong
//!   line is discarded whole.
//! - `sim` (feature `sim`, the only code that allocates): in-memory serial lines, pins and a
//!   clock, to run the kiosk off the board (unit tests, the fuzzer, `hfjwt-sim kiosk`).

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod config;
pub mod kiosk;
pub mod line;
mod log;
pub mod panel;
pub mod protocol;
#[cfg(any(test, feature = "sim"))]
pub mod sim;

/// The trait crates the kiosk is generic over, re-exported so a host crate implements the very
/// same versions.
pub use {embedded_hal, embedded_io};
