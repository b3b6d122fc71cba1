//! Nothing to link: this package holds the `hs256` benchmark (`benches/hs256.rs`), which
//! compares hfjwt with HMAC-SHA256 floors and peer JWT crates in one run.
//!
//! `taskset -c 1 cargo bench -p hfjwt-bench` (see the README's "Performance" section).
