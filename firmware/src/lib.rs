//! The hfjwt kiosk, independent of any board.
//!
//! This library is `no_std` and builds (and is tested) on the host; the QEMU board binary in
//! `src/main.rs` feeds it bytes from its UARTs. Nothing here names a board type.
//!
//! - [`line`](mod@line): assembles serial bytes into lines; an overlong line is discarded whole.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod line;
