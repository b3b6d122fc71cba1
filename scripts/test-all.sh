#!/usr/bin/env bash
# Runs every test of hfjwt. This is the README's test command; .ci/run calls exactly it.
#
#   scripts/test-all.sh
#
# On a fresh Debian machine with rustup (stable and nightly) it installs what it needs:
# qemu-system-arm and binutils-arm-none-eabi (apt), the thumbv6m/thumbv7m/thumbv7em targets, defmt-print,
# chromium and zbar-tools (the kiosk end-to-end test), redis-server (the shared replay store),
# clippy and rustfmt, the MSRV toolchain (rust-version), nightly's miri, cargo-fuzz, and a Python venv at
# .venv with maturin, pytest, PyJWT and mypy. It fails loudly when something cannot be installed; nothing is skipped silently.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
started=$SECONDS
step() { printf '\n==== %s (%ds) ====\n' "$*" $((SECONDS - started)); }
die() { echo "test-all.sh: $*" >&2; exit 1; }

step "toolchains and system packages"
command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
command -v python3 >/dev/null || die "python3 not found"
for component in clippy rustfmt; do
    rustup component list --installed | grep -q "^$component" || rustup component add "$component" \
        || die "rustup component add $component failed"
done
scripts/install-qemu.sh
scripts/install-browser.sh
scripts/install-redis.sh

step "format"
cargo fmt --all --check
cargo fmt --manifest-path fuzz/Cargo.toml --check
cargo fmt --manifest-path core/nopanic/Cargo.toml --check

step "clippy, host workspace (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "docs (-D warnings)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
# The core alone, without the std feature other members turn on.
RUSTDOCFLAGS="-D warnings" cargo doc -p hfjwt --no-deps --locked --quiet

step "MSRV: the workspace builds with the rust-version in Cargo.toml"
# rust-toolchain.toml pins the stable used everywhere else; this builds with the oldest Rust
# the crates promise (installed here if missing: rustup's minimal profile, host only).
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
[ -n "$msrv" ] || die "no rust-version in Cargo.toml"
rustup run "$msrv" rustc --version >/dev/null 2>&1 || rustup toolchain install "$msrv" --profile minimal \
    || die "cannot install Rust $msrv for the MSRV build"
# hfjwt-bench is left out: a bench-only crate, and its peer jwt-simple 0.15 needs Rust 1.89.
cargo +"$msrv" check --workspace --exclude hfjwt-bench --locked

step "core builds for Cortex-M0 and Cortex-M3 (no_std, no alloc)"
cargo build -p hfjwt --locked --target thumbv6m-none-eabi
cargo build -p hfjwt --locked --target thumbv7m-none-eabi --features defmt

step "firmware: release build and clippy for thumbv7m"
(cd firmware && cargo build --release --locked && cargo clippy --release --locked -- -D warnings)

step "firmware: STM32F405 (thumbv7em-none-eabihf): the QEMU build, each silicon feature and all of them; clippy, docs, the 48 KiB flash budget"
(cd firmware && cargo build --release --locked --target thumbv7em-none-eabihf \
    && cargo clippy --release --locked --target thumbv7em-none-eabihf -- -D warnings)
for features in rtt gpio hwrng rtc silicon; do
    (cd firmware && cargo clippy --release --locked --target thumbv7em-none-eabihf --features "$features" -- -D warnings)
done
(cd firmware && RUSTDOCFLAGS="-D warnings" cargo doc --release --locked --quiet --no-deps \
    --target thumbv7em-none-eabihf --features silicon --bin hfjwt-firmware --document-private-items)
(cd firmware && cargo build --release --locked --target thumbv7em-none-eabihf --features silicon)
flash=$(arm-none-eabi-size "${CARGO_TARGET_DIR:-target}/thumbv7em-none-eabihf/release/hfjwt-firmware" | awk 'NR == 2 { print $1 + $2 }')
[ "$flash" -le 49152 ] || die "the STM32F405 silicon firmware needs $flash bytes of flash, over the 48 KiB budget"

step "tests, host workspace (QEMU scenario comparison; the kiosk end to end with QEMU, the agent and Chromium)"
cargo test --workspace --locked

step "no-panic proof (link fails if any panic path survives)"
scripts/check-no-panic.sh

step "Miri on the core's unit tests (nightly)"
scripts/miri.sh

step "Python bindings (venv, pytest, mypy --strict)"
bindings-python/scripts/test.sh

step "fuzz smoke run"
scripts/fuzz.sh --smoke

step "all tests passed"
