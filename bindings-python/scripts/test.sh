#!/usr/bin/env bash
# Builds the Python package `hfjwt` into a venv and runs its tests:
#   1. creates (or reuses) the venv at $REPO/.venv (override with HFJWT_VENV),
#   2. installs the pinned tools from requirements-dev.txt (maturin, pytest, PyJWT, mypy),
#   3. builds the extension in release mode and installs it (pip, maturin backend),
#   4. runs pytest on tests/, mypy --strict on tests/typing_usage.py and on the package.
# Any failure stops the script with a non-zero status.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
VENV="${HFJWT_VENV:-$REPO/.venv}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating venv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
# Keeps git status clean even where .venv is not in the repository's .gitignore.
[ -f "$VENV/.gitignore" ] || echo '*' >"$VENV/.gitignore"
# maturin's PEP 517 hooks run `maturin` from PATH.
export VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH"

echo "==> installing pinned test tools"
python -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements-dev.txt"

echo "==> building and installing hfjwt (release)"
python -m pip install --quiet --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps "$HERE"

cd "$HERE"
echo "==> pytest"
python -m pytest tests
echo "==> mypy --strict (the stubs, via a usage file; then the package's own Python)"
python -m mypy --strict tests/typing_usage.py
(cd python && python -m mypy --strict -p hfjwt)
echo "==> python -m hfjwt --help"
python -m hfjwt --help >/dev/null
echo "bindings-python: all checks passed"
