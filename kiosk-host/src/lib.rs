//! The hfjwt kiosk agent: runs on the kiosk PC between the reader's serial line and the kiosk
//! browser.
//!
//! WIP
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod agent;
pub mod cdp;
pub mod chromium;
pub mod config;
pub mod line;
pub mod link;
pub mod log;
pub mod origin;
pub mod pages;
pub mod server;
pub mod shell;
pub mod testkit;
