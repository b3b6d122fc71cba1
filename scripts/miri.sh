#!/usr/bin/env bash
# Runs the core's unit tests under Miri (undefined behaviour, out-of-bounds, uninitialised
# reads), nightly only. scripts/test-all.sh (and so CI) runs it; it takes a few minutes.
#
#   scripts/miri.sh            # the unit tests of core/src (cargo miri test -p hfjwt --lib)
#   scripts/miri.sh -- NAME    # extra arguments go to the test binary
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# Miri is nightly only. Last run with the nightly installed as `nightly`: rustc 1.97.0-nightly
# (e50aa6fba 2026-05-19), miri 0.1.0 (e50aa6fba4 2026-05-19); HFJWT_NIGHTLY=nightly-YYYY-MM-DD
# pins another.
NIGHTLY="${HFJWT_NIGHTLY:-nightly}"
if ! rustup run "$NIGHTLY" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$NIGHTLY" --profile minimal
fi
if ! cargo +"$NIGHTLY" miri --version >/dev/null 2>&1; then
    rustup +"$NIGHTLY" component add miri rust-src
fi
cd "$root"
echo "miri: $(cargo +"$NIGHTLY" miri --version) on $(rustup run "$NIGHTLY" rustc --version)"
cargo +"$NIGHTLY" miri setup >/dev/null
start=$(date +%s)
cargo +"$NIGHTLY" miri test -p hfjwt --lib "$@"
echo "miri: core unit tests passed in $(( $(date +%s) - start )) s"
