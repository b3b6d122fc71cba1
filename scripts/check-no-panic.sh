#!/usr/bin/env bash
# Proves at link time that hfjwt's verify, check, mint and URL paths cannot panic.
#
# core/nopanic is a no_std thumbv7m binary that calls those entry points on inputs hidden from
# the optimiser (core::hint::black_box) and whose #[panic_handler] calls an extern "C" function
# defined nowhere. If any panic path survives optimisation, the link fails with
#   undefined symbol: hfjwt_panic_path_survived_optimisation
# and this script fails. Checked at the firmware's opt-level ("s") and at the host's (3).
#
#   scripts/check-no-panic.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
if ! rustup target list --installed | grep -qx thumbv7m-none-eabi; then
    rustup target add thumbv7m-none-eabi
fi

cd "$root/core/nopanic"
# A target dir of its own: the cortex-m linker flags must not reach host builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/nopanic"
status=0
for opt in s 3; do
    log="$(mktemp)"
    if CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" cargo build --release --bin nopanic >"$log" 2>&1; then
        echo "no-panic: ok at opt-level $opt (verify, check, remember_from, mint, token_len, login_url, logout_url, ReturnTo::parse, check_remote_url)"
    else
        status=1
        if grep -q hfjwt_panic_path_survived_optimisation "$log"; then
            echo "no-panic: FAILED at opt-level $opt: a panic path survives optimisation."
            echo "  Find it: build with RUSTFLAGS adding -C link-arg=--defsym=hfjwt_panic_path_survived_optimisation=0,"
            echo "  then llvm-objdump -d --demangle the ELF and follow the callers of core::panicking::*."
        else
            echo "no-panic: build failed at opt-level $opt:"
        fi
        grep -E '^(error|warning: unused)|undefined symbol|referenced by' "$log" | head -20
    fi
    rm -f "$log"
done
exit $status
