#!/bin/sh
# Boots a firmware ELF on QEMU: the `runner` of firmware/.cargo/config.toml, so
# `cargo run --release [--target thumbv7em-none-eabihf]` (from firmware/) ends here.
#
#   qemu-run.sh [--board lm3s6965evb|netduinoplus2] FIRMWARE.elf
#
# --board picks the QEMU machine: lm3s6965evb (Cortex-M3, the thumbv7m build; the default) or
# netduinoplus2 (STM32F405, Cortex-M4F, the thumbv7em-none-eabihf build). Without it, the
# ELF's own header picks: a hard-float (thumbv7em-none-eabihf) build boots on netduinoplus2.
#
# Serial lines (-serial index -> role), the same on both boards:
#   0 host/browser line (lm3s6965evb UART0, netduinoplus2 USART1)
#   1 panel: buttons, LEDs (UART1, USART2)
#   2 scanner (UART2, USART3)
# By default all three share one multiplexed stdio: every line any UART writes
# appears on stdout in the order the firmware wrote it, and stdin goes to ONE UART at a time,
# the scanner first; Ctrl-A c moves input on (scanner -> host -> panel -> scanner), Ctrl-A x
# quits. QEMU keeps bytes typed for a UART that lost focus until it gets focus back, so switch
# only after the firmware has answered the previous line.
#
# On a terminal (stdin is a tty) the console is made for people: the terminal keeps echoing
# and editing what you type, Enter sends the line ended by CR (as a serial scanner does), a
# line holding only Ctrl-A c / Ctrl-A x switches input / quits (each followed by Enter), a
# banner names the line that has input, and the decoded defmt log is printed in whole lines
# so that it never splits a UART line.
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

usage='usage: qemu-run.sh [--board lm3s6965evb|netduinoplus2] FIRMWARE.elf'
board=
if [ "${1:-}" = "--board" ]; then
    board=${2:?$usage}
    shift 2
fi
elf=${1:?$usage}
if [ -z "$board" ]; then
    # The ELF header's e_flags (offset 36) tell the builds apart: EF_ARM_ABI_FLOAT_HARD (0x400)
    # is set for thumbv7em-none-eabihf (the STM32F405), not for thumbv7m-none-eabi.
    flags=$(od -An -t x4 -j 36 -N 4 "$elf" | tr -d ' ')
    if [ $((0x${flags:-0} & 0x400)) -ne 0 ]; then board=netduinoplus2; else board=lm3s6965evb; fi
fi
case $board in
lm3s6965evb) machine="-cpu cortex-m3 -machine lm3s6965evb" ;;
netduinoplus2) machine="-machine netduinoplus2" ;; # its Cortex-M4 CPU is fixed
*)
    echo "qemu-run.sh: unknown board $board; $usage" >&2
    exit 2
    ;;
esac
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

run_qemu() {
    # shellcheck disable=SC2086 # $machine and $serials are lists of options
    "$qemu" $machine -nographic -monitor none \
        -semihosting-config enable=on,target=native,chardev=defmt \
        -chardev file,id=defmt,path="$defmt_out" \
        $serials ${HFJWT_QEMU_ARGS:-} \
        -kernel "$elf"
}

if [ -t 0 ] && [ -z "${HFJWT_QEMU_SERIALS:-}" ]; then
    # People at a terminal. QEMU leaves the terminal alone when its stdio is a pipe, so the
    # tty driver echoes and edits lines; this loop hands each finished line to QEMU.
    ctrl_a=$(printf '\001')
    echo "hfjwt kiosk on QEMU $board: typing goes to the SCANNER line. Ctrl-A c then Enter: next line (scanner -> host -> panel); Ctrl-A x then Enter (or Ctrl-D): quit." >&2
    console() {
        focus=scanner
        while IFS= read -r line; do
            case $line in
            "${ctrl_a}c")
                printf '%sc' "$ctrl_a"
                case $focus in
                scanner) focus=host hint='TIME <unix seconds>, HALT' ;;
                host) focus=panel hint='PRESS home|tickets|kb' ;;
                *) focus=scanner hint='a token' ;;
                esac
                echo "hfjwt: input now goes to the ${focus} line (${hint})" >&2
                ;;
            "${ctrl_a}x") break ;;
            *) printf '%s\r' "$line" ;;
            esac
        done
        printf '%sx' "$ctrl_a"
    }
    set +e
    # sed -u writes each UART line whole, so the defmt lines on stderr fall between lines.
    console | { run_qemu; echo $? >"$tmp/status"; } | sed -u 's/\r$//'
    status=$(cat "$tmp/status" 2>/dev/null || echo 1)
    set -e
    exit "$status"
fi

set +e
run_qemu
status=$?
set -e
exit "$status"
