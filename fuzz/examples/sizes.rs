//! `core::mem::size_of` of hfjwt's public types on the host (the stack probe in core/nopanic
//! prints the same list on thumbv7m).
//!
//!   cd fuzz && cargo run --release --example sizes
use core::mem::size_of;

use hfjwt::{AnyDomain, Claims, Error, ErrorKind, Grant, Key, Policy, ReplayCache, Verifier};

fn main() {
    let rows: [(&str, usize); 12] = [
        ("Key", size_of::<Key>()),
        ("Policy", size_of::<Policy>()),
        (
            "Verifier<ReplayCache<64>>",
            size_of::<Verifier<ReplayCache<64>>>(),
        ),
        (
            "Verifier<ReplayCache<64>, &[&str]>",
            size_of::<Verifier<ReplayCache<64>, &[&str]>>(),
        ),
        ("ReplayCache<1>", size_of::<ReplayCache<1>>()),
        ("ReplayCache<64>", size_of::<ReplayCache<64>>()),
        ("ReplayCache<1024>", size_of::<ReplayCache<1024>>()),
        ("Claims", size_of::<Claims<'_>>()),
        ("Grant", size_of::<Grant<'_>>()),
        ("Error", size_of::<Error>()),
        ("ErrorKind", size_of::<ErrorKind>()),
        ("AnyDomain", size_of::<AnyDomain>()),
    ];
    println!("size_of on {}:", std::env::consts::ARCH);
    for (name, size) in rows {
        println!("  {name:<36} {size:>6} B");
    }
}
