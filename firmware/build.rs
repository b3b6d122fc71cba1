//! Puts `memory.x` on the linker search path (as cortex-m-quickstart does), so cortex-m-rt's
//! `link.x` finds it. The `-Tlink.x`/`-Tdefmt.x` arguments themselves are target-scoped in
//! `.cargo/config.toml`; on the host this script only copies a file nobody reads.

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("write memory.x to OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
}
