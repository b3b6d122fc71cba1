#!/usr/bin/env bash
# The main job: boots the kiosk firmware on QEMU's lm3s6965evb and signs a user in.
#
#   scripts/kiosk-demo.sh [SCENARIO]      # default: tests/scenarios/demo.scn
#
# Installs what is missing (qemu-system-arm, binutils-arm-none-eabi, the thumb targets,
# defmt-print), builds the firmware in release, feeds the scenario over the emulated UARTs and
# prints the transcript: the host, panel and scanner lines in, the kiosk's GRANT/DENY/LED lines
# out, then the kiosk's decoded defmt log. Exits non-zero if the firmware's replies do not
# match the scenario's `expect` lines.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scenario="${1:-tests/scenarios/demo.scn}"
scripts/install-qemu.sh
echo "kiosk-demo.sh: building hfjwt-sim (the first build takes a few minutes)" >&2
cargo build --release --locked -p hfjwt-sim
# `cargo run` finds the binary wherever CARGO_TARGET_DIR puts it. The transcript goes to
# stdout first, then the kiosk's defmt log to stderr, so `2>&1 | less` reads in order.
exec cargo run --release --locked --quiet -p hfjwt-sim -- qemu --defmt --scenario "$scenario"
