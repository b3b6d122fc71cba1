//! # hfjwt — HappyFox JWT single sign-on for microcontrollers and servers
//!
//! HappyFox's support center signs a customer in when their own portal redirects them to
//! `https://<account>.happyfox.com/jwt/?token=<token>`, where the token is an HS256 JWT with
//! `name`, `email`, `iat` and `jti`, signed with the 32-character key from HappyFox's JWT app.
//! HappyFox accepts it for 120 s after `iat`, and never accepts a `jti` twice.
//!
//! This crate does both sides of that exchange with no allocator and no global state:
//! - [`mint()`] writes a token into a caller-supplied buffer;
//! - [`Verifier`] judges one: strict parsing, HMAC compared in constant time, claims, time
//!   window, email-domain allow-list and a [`ReplayCache`] that never forgets a live `jti`;
//! - [`login_url`] and [`logout_url`] build the support center's URLs.
//!
//! ## Mint a token and the login URL
//! ```
//! use hfjwt::{login_url, mint, Grant, Key, ReturnTo, Site};
//!
//! let key = Key::new(b"0123456789abcdefghijklmnopqrstuv")?; // from HappyFox's JWT app
//! let grant = Grant::new("jo@acme.com", 1_700_000_000, "5c8e0a4e-0b7f").with_name("Jo");
//! let mut buf = [0u8; 512];
//! let token = mint(&key, &grant, &mut buf)?;
//! let url = login_url::<640>(Site::account("acme")?, token, Some(ReturnTo::TICKETS))?;
//! assert!(url.starts_with("https://acme.happyfox.com/jwt/?token=eyJ"));
//! # Ok::<(), hfjwt::Error>(())
//! ```
//!
//! ## Verify a token
//! ```
//! use hfjwt::{ErrorKind, Key, Policy, ReplayCache, Verifier};
//! # let key = Key::new(b"0123456789abcdefghijklmnopqrstuv")?;
//! # let mut buf = [0u8; 512];
//! # let token = hfjwt::mint(&key, &hfjwt::Grant::new("jo@acme.com", 1_700_000_000, "j1"), &mut buf)?;
//! let mut verifier = Verifier::<ReplayCache<32>>::new(key)
//!     .with_policy(Policy::new().leeway(2))
//!     .with_allowed_domains(["acme.com"]);
//! let mut scratch = [0u8; hfjwt::scratch_len(512)];
//!
//! let claims = verifier.verify(token, 1_700_000_010, &mut scratch)?;
//! assert_eq!((claims.email, claims.jti), (Some("jo@acme.com"), "j1"));
//!
//! // The same token again: refused, with a stable error kind and a message safe to log.
//! let err = verifier.verify(token, 1_700_000_011, &mut scratch).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Replayed);
//! assert_eq!(err.kind().as_str(), "replayed");
//! # Ok::<(), hfjwt::Error>(())
//! ```
//!
//! ## What is refused
//! Checks run in this order, and the first failure is returned: length cap (`too_large`) →
//! exactly three segments, strict unpadded base64url with canonical trailing bits
//! (`malformed`) → header `alg` exactly `"HS256"` (`unsupported_algorithm`; a `crit` or
//! duplicate header parameter is `malformed`) → HMAC-SHA256 in constant time
//! (`bad_signature`) → claims (`missing_claim`, `invalid_claim`; duplicate names refused,
//! unknown claims ignored, `\u` escapes decoded) → time window (`issued_in_future`,
//! `expired`) → audience (`wrong_audience`, or `missing_claim` when [`Policy::audience`] is
//! set and the token has no `aud`; a token with `aud` is refused unless the policy sets an
//! audience or [`Policy::ignore_audience`]) → email-domain allow-list (`domain_not_allowed`)
//! → replay (`replayed`, `replay_cache_full`, or `replay_store_unavailable` from a shared
//! store that could not be reached). Only a token that passed everything else is recorded
//! as used. Each [`Error`] also carries its exact [`Reason`], with numbers where they help
//! ("token is 187 s old; the limit is 120 s (leeway 0 s)").
//!
//! Configuration is checked when it is made, not when a token is judged: [`Site`],
//! [`ReturnTo`], [`check_remote_url`] and [`Policy::audience`] refuse bad values as
//! `invalid_config`, and the URL builders then fail only on a short buffer.
//!
//! ## Memory
//! [`Key`]: 64 bytes. [`ReplayCache<N>`]: `32 × N + 24` bytes on 32-bit targets (`+ 32` on
//! 64-bit). [`Verifier::verify`] needs a scratch buffer of [`scratch_len`]`(token_len)` bytes
//! and at most 2384 bytes of stack on a Cortex-M3 at opt-level "s" (1796 bytes on the usual
//! path; `docs/measurements.md`).
//!
//! ## Features
//! - `std`: `HeapReplayCache` (capacity chosen at run time) and `Vec` allow-lists.
//!   ([`Error`] implements `core::error::Error` without it.)
//! - `defmt`: `defmt::Format` for the types a firmware logs; keys print as `Key(<redacted>)`.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod b64;
mod claims;
mod error;
mod json;
mod key;
mod mint;
mod payload;
mod replay;
mod url;
mod verify;

pub use claims::{
    AnyDomain, Audience, Claims, DomainAllowList, domain_matches, email_domain, is_valid_email,
};
pub use error::{Claim, Error, ErrorKind, Reason};
pub use key::{Key, KeyTextProblem, MAX_KEY_TEXT_LEN, MIN_KEY_LEN, key_text};
pub use mint::{Grant, HEADER_B64, mint, token_len};
#[cfg(feature = "std")]
pub use replay::HeapReplayCache;
pub use replay::{ReplayCache, ReplayStore};
pub use url::{ReturnTo, Site, check_remote_url, login_url, logout_url};
pub use verify::{MAX_AUDIENCE_LEN, MAX_HEADER_LEN, Policy, Rejection, Verifier, scratch_len};

#[cfg(fuzzing)]
#[doc(hidden)]
pub use payload::readers_agree;

/// The repository README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
