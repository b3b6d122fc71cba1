#!/usr/bin/env bash
# Runs every cargo-fuzz target of hfjwt for a given time and prints executions and coverage.
#
#   scripts/fuzz.sh                 # 60 s per target
#   scripts/fuzz.sh 600             # 10 min per target
#   scripts/fuzz.sh 600 verify      # only the named targets
#   scripts/fuzz.sh --smoke         # 10 s per target (60 s of fuzzing in all): the CI smoke run
#
# Needs the nightly toolchain and cargo-fuzz $CARGO_FUZZ_VERSION; installs that cargo-fuzz
# when it is missing or another version is installed. New inputs
# go to $CARGO_TARGET_DIR/fuzz-corpus/<target> (default fuzz/target/...), never into the
# committed seeds under fuzz/corpus/<target>. A crash fails the script and leaves the input
# under $CARGO_TARGET_DIR/fuzz-artifacts/<target>/.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds=60
if [[ "${1:-}" == "--smoke" ]]; then
    seconds=10
    shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    seconds="$1"
    shift
fi
TARGETS=(verify roundtrip url differential readers kiosk_line)
if [[ $# -gt 0 ]]; then
    TARGETS=("$@")
fi

# libFuzzer needs nightly's -Z flags. The targets were last run with the nightly installed as
# `nightly`: rustc 1.97.0-nightly (e50aa6fba 2026-05-19); HFJWT_NIGHTLY=nightly-YYYY-MM-DD
# pins another.
NIGHTLY="${HFJWT_NIGHTLY:-nightly}"
# Pinned: the cargo-fuzz these targets and this script's log parsing were checked with.
CARGO_FUZZ_VERSION=0.13.2

if ! rustup run "$NIGHTLY" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$NIGHTLY" --profile minimal
fi
if [[ "$(cargo +"$NIGHTLY" fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
echo "fuzzing with $(rustup run "$NIGHTLY" rustc --version) and $(cargo +"$NIGHTLY" fuzz --version)"

cd "$root/fuzz"
target_dir="${CARGO_TARGET_DIR:-$root/fuzz/target}"
export CARGO_TARGET_DIR="$target_dir"
cargo +"$NIGHTLY" fuzz build -O

summary=()
status=0
for t in "${TARGETS[@]}"; do
    work="$target_dir/fuzz-corpus/$t"
    artifacts="$target_dir/fuzz-artifacts/$t"
    mkdir -p "$work" "$artifacts"
    log="$target_dir/fuzz-$t.log"
    echo "== $t: ${seconds}s (log: $log)"
    set +e
    cargo +"$NIGHTLY" fuzz run -O "$t" "$work" "corpus/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(grep -oP 'stat::number_of_executed_units: \K[0-9]+' "$log" | tail -1)
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
    cov=$(grep -oP 'cov: \K[0-9]+' <<<"$done_line" || true)
    ft=$(grep -oP 'ft: \K[0-9]+' <<<"$done_line" || true)
    eps=$(grep -oP 'exec/s: \K[0-9]+' <<<"$done_line" || true)
    if [[ $rc -ne 0 ]]; then
        status=1
        echo "!! $t failed (exit $rc):"
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20
    fi
    summary+=("$(printf '%-13s execs=%-10s cov=%-6s ft=%-6s exec/s=%-7s %s' \
        "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${eps:-?}" \
        "$([[ $rc -eq 0 ]] && echo ok || echo CRASH)")")
done

echo
echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit $status
