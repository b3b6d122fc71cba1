#!/usr/bin/env bash
# Installs what the firmware needs to build and boot under QEMU, and only what is missing:
#   qemu-system-arm (Debian), binutils-arm-none-eabi (arm-none-eabi-size), the thumbv7m/thumbv6m
#   Rust targets and thumbv7em-none-eabihf (the STM32F405 board, QEMU's netduinoplus2), and
#   defmt-print (pinned) to decode the firmware's logs.
# Idempotent; fails loudly (non-zero exit, message on stderr) when anything cannot be installed.
# Set HFJWT_SKIP_DEFMT_PRINT=1 to skip defmt-print (a ~2 minute build).
set -euo pipefail
# shellcheck source=apt-install.sh
source "$(dirname "$0")/apt-install.sh"

DEFMT_PRINT_VERSION=1.2.0

die() { echo "install-qemu.sh: $*" >&2; exit 1; }

missing_debs=()
command -v qemu-system-arm >/dev/null 2>&1 || missing_debs+=(qemu-system-arm)
command -v arm-none-eabi-size >/dev/null 2>&1 || missing_debs+=(binutils-arm-none-eabi)
if ((${#missing_debs[@]})); then
    apt_install install-qemu.sh "${missing_debs[@]}"
fi
machines=$(qemu-system-arm -machine help)
for machine in lm3s6965evb netduinoplus2; do
    grep -q "^$machine " <<<"$machines" || die "qemu-system-arm lacks the $machine machine"
done

command -v rustup >/dev/null 2>&1 || die "rustup not found (needed for the thumb targets)"
installed=$(rustup target list --installed)
for target in thumbv7m-none-eabi thumbv6m-none-eabi thumbv7em-none-eabihf; do
    grep -qx "$target" <<<"$installed" || rustup target add "$target" || die "rustup target add $target failed"
done

if [ "${HFJWT_SKIP_DEFMT_PRINT:-0}" != 1 ]; then
    if ! defmt-print --version 2>/dev/null | grep -q "$DEFMT_PRINT_VERSION"; then
        echo "install-qemu.sh: installing defmt-print $DEFMT_PRINT_VERSION" >&2
        cargo install defmt-print --version "$DEFMT_PRINT_VERSION" --locked --quiet \
            || die "cargo install defmt-print failed"
    fi
fi

echo "install-qemu.sh: $(qemu-system-arm --version | head -n1); targets and tools ready" >&2
