#!/usr/bin/env bash
# Constant-time check (dudect-style Welch t-test, not part of CI): a signature wrong in its
# first byte vs its last byte must take the same time. Three runs:
#   control  both classes the same token: the machine's noise floor (|t| must be small)
#   mac      Key::verify_hmac alone: HMAC-SHA256 + the tag comparison (the secret-dependent step)
#   verify   Verifier::check end to end (parsing included)
#
#   scripts/ct-test.sh [SAMPLES_PER_CLASS]     # default 1,000,000
#
# Fails if any max |t| >= 4.5. Best on an idle machine (CT_CPU picks the core, default 0).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
n="${1:-1000000}"
cargo build --quiet --release --example ct_verify || exit 1
status=0
for part in control mac verify; do
    env_args=()
    [[ $part == control ]] && env_args=(CT_CONTROL=1)
    [[ $part == mac ]] && env_args=(CT_PART=mac)
    echo "== $part"
    env "${env_args[@]}" taskset -c "${CT_CPU:-0}" cargo run --quiet --release --example ct_verify -- "$n" || status=1
done
exit $status
