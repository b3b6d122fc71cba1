#!/usr/bin/env bash
# Runs every cargo-fuzz target of hfjwt for a given time and prints executions and coverage.
#
#   scripts/fuzz.sh                 # 60 s per target
#   scripts/fuzz.sh 600             # 10 min per target
#   scripts/fuzz.sh 600 verify      # only the named targets
#   scripts/fuzz.sh --smoke         # 10 s per target (60 s of fuzzing in all): the CI smoke run
#
# Needs the nightly toolchain and cargo-fuzz; installs cargo-fuzz if it is missing. New inputs
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

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cd "$root/fuzz"
target_dir="${CARGO_TARGET_DIR:-$root/fuzz/target}"
export CARGO_TARGET_DIR="$target_dir"
cargo +nightly fuzz build -O

summary=()
status=0
for t in "${TARGETS[@]}"; do
    work="$target_dir/fuzz-corpus/$t"
    artifacts="$target_dir/fuzz-artifacts/$t"
    mkdir -p "$work" "$artifacts"
    log="$target_dir/fuzz-$t.log"
    echo "== $t: ${seconds}s (log: $log)"
    set +e
    cargo +nightly fuzz run -O "$t" "$work" "corpus/$t" -- \
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
