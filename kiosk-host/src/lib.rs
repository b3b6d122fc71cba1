//! The hfjwt kiosk agent (`hfjwt-kiosk-host`): runs on the kiosk PC between the reader's
//! serial line and the kiosk browser.
//!
//! The reader (the `hfjwt-firmware` kiosk) holds the keys and judges every token; this agent
//! holds no key and applies no token rule. It keeps the reader's clock (`TIME`), and turns the
//! reader's replies into what the kiosk browser shows, over the Chrome DevTools Protocol:
//! a `GRANT` URL is opened only when its origin is exactly the configured support center's
//! and its path is `/jwt/`; a `DENY` becomes a plain-language page; a `LOGOUT` signs the
//! browser out and clears the support center's cookies and storage.
//!
//! Every wire line is parsed and formatted by `hfjwt_firmware::protocol`; no code here spells
//! one.
//!
//! - [`agent`]: the decisions, as a pure state machine ([`agent::Agent::handle`] returns
//!   [`agent::Action`]s), tested without a browser.
//! - [`origin`]: the one check that decides where the browser may go.
//! - [`line`](mod@line), [`link`]: bytes to lines (CR, LF, CRLF); the serial or TCP line with
//!   reconnects.
//! - [`pages`], [`server`]: the agent's own pages and the loopback server that serves them.
//! - [`cdp`], [`chromium`]: a small synchronous DevTools client and a Chromium launcher,
//!   public for the end-to-end tests too.
//! - [`shell`], [`config`], [`log`], [`stop`]: the process around it all.
//! - [`testkit`]: the agent as a child process and a fake reader, for tests.
//!
//! ```
//! use hfjwt_kiosk_host::origin::SupportOrigin;
//!
//! let support = SupportOrigin::parse("https://acme.happyfox.com")?;
//! assert!(support.check_grant("https://acme.happyfox.com/jwt/?token=a.b.c").is_ok());
//! assert!(support.check_grant("https://acme.happyfox.com.evil.example/jwt/?token=a.b.c").is_err());
//! assert!(support.check_grant("http://acme.happyfox.com/jwt/?token=a.b.c").is_err());
//! # Ok::<(), hfjwt_kiosk_host::origin::BadOrigin>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

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
pub mod stop;
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
pub mod testkit;
