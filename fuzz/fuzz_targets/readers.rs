//! The two claims readers agree: for any payload, the compact fast path plus its fallback
//! returns exactly what the strict general reader alone returns (the same claims or the same
//! error), with email required and not.
//!
//! Input: the decoded payload bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    assert!(
        hfjwt::readers_agree(payload),
        "readers disagree on {:?}",
        String::from_utf8_lossy(payload)
    );
});
