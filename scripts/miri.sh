#!/usr/bin/env bash
# Runs the core's unit tests under Miri (undefined behaviour, out-of-bounds, uninitialised
# reads), nightly only. scripts/test-all.sh (and so CI) runs it; it takes a few minutes.
#
#   scripts/miri.sh            # the unit tests of core/src (cargo miri test -p hfjwt --lib)
#   scripts/miri.sh -- NAME    # extra arguments go to the test binary
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly miri --version >/dev/null 2>&1; then
    rustup +nightly component add miri rust-src
fi
cd "$root"
cargo +nightly miri setup >/dev/null
start=$(date +%s)
cargo +nightly miri test -p hfjwt --lib "$@"
echo "miri: core unit tests passed in $(( $(date +%s) - start )) s"
