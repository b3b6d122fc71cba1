#!/usr/bin/env bash
# Scan-to-page time of the kiosk, end to end (a benchmark, not a test):
#
#   scripts/bench-kiosk.sh [N]      # N sign-ins, default 25
#
# Builds everything in release, starts the firmware under QEMU (UARTs on loopback sockets),
# hfjwt-sim serve, the kiosk agent and a headless Chromium, then signs in N times: press
# "tickets", write a fresh portal code to the scanner UART ended by CR, wait for the kiosk tab's
# load event on /tickets. Prints median and p95 of the whole and of its parts (reader, agent,
# browser). Installs QEMU, Chromium and zbar-tools if missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install-qemu.sh
scripts/install-browser.sh
echo "bench-kiosk.sh: building (release)..." >&2
exec cargo run --release --locked --quiet -p hfjwt-e2e --bin kiosk-e2e-bench -- "${1:-25}"
