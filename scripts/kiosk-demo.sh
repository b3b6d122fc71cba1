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
cargo build --release --locked --quiet -p hfjwt-sim
exec target/release/hfjwt-sim qemu --defmt --scenario "$scenario"
