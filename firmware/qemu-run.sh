#!/bin/sh
# Boots a firmware ELF on QEMU's lm3s6965evb: the `runner` of firmware/.cargo/config.toml, so
# `cargo run --release` (from firmware/) ends here with the ELF path as $1.
#
# Serial lines (UART -> role):  UART0 host/browser line · UART1 panel (buttons, LEDs) ·
# UART2 scanner. By default all three share one multiplexed stdio: every line any UART writes
# appears on stdout in the order the firmware wrote it, and stdin goes to ONE UART at a time,
# the scanner first; Ctrl-A c moves input on (scanner -> host -> panel -> scanner), Ctrl-A x
# quits. QEMU keeps bytes typed for a UART that lost focus until it gets focus back, so switch
# only after the firmware has answered the previous line.
#
# Environment:
#   HFJWT_QEMU_SERIALS  replaces the three default `-serial` options, e.g. for a test harness
#                       "-serial unix:h.sock,server=on -serial null -serial unix:s.sock,server=on"
#   HFJWT_DEFMT         where raw defmt frames go (default: $TMPDIR/hfjwt-defmt.<pid>); they
#                       are decoded live to stderr with defmt-print when it is installed.
#   HFJWT_QEMU          qemu binary (default qemu-system-arm)
#   HFJWT_QEMU_ARGS     extra qemu options, e.g. "-icount shift=0" (virtual time = 1 ns per
#                       instruction, so the firmware's SysTick timings count instructions)
# Exit status: the firmware's semihosting exit code (0 = success).
set -eu

elf=${1:?usage: qemu-run.sh FIRMWARE.elf}
qemu=${HFJWT_QEMU:-qemu-system-arm}
command -v "$qemu" >/dev/null 2>&1 || {
    echo "qemu-run.sh: $qemu not found; run scripts/install-qemu.sh" >&2
    exit 127
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hfjwt-qemu.XXXXXX")
decoder=
cleanup() {
    [ -n "$decoder" ] && wait "$decoder" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ -n "${HFJWT_DEFMT:-}" ]; then
    defmt_out=$HFJWT_DEFMT
elif command -v defmt-print >/dev/null 2>&1; then
    # A FIFO so that logs are decoded while the firmware runs, not after.
    defmt_out=$tmp/defmt.fifo
    mkfifo "$defmt_out"
    defmt-print -e "$elf" <"$defmt_out" >&2 &
    decoder=$!
else
    defmt_out=$tmp/defmt.bin
    echo "qemu-run.sh: defmt-print not installed (scripts/install-qemu.sh); logs not shown" >&2
fi

serials=${HFJWT_QEMU_SERIALS:--chardev stdio,id=con,mux=on -serial chardev:con -serial chardev:con -serial chardev:con}

set +e
# shellcheck disable=SC2086 # $serials is a list of options
"$qemu" -cpu cortex-m3 -machine lm3s6965evb -nographic -monitor none \
    -semihosting-config enable=on,target=native,chardev=defmt \
    -chardev file,id=defmt,path="$defmt_out" \
    $serials ${HFJWT_QEMU_ARGS:-} \
    -kernel "$elf"
status=$?
set -e
exit "$status"
