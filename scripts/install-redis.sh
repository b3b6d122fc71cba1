#!/usr/bin/env bash
# Installs what the shared replay store's tests and benchmark need, and only what is missing:
#   redis-server and redis-cli (Debian's redis-server package, Redis 7).
# The tests start their own server on a free loopback port; nothing is started here.
# Idempotent; fails loudly (non-zero exit, message on stderr) when it cannot install.
#
#   scripts/install-redis.sh
set -euo pipefail
# shellcheck source=apt-install.sh
source "$(dirname "$0")/apt-install.sh"

die() { echo "install-redis.sh: $*" >&2; exit 1; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    apt_install install-redis.sh redis-server
fi
command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after install"
version=$(redis-server --version) || die "redis-server does not run"
# SET ... NX PX needs Redis 2.6.12; the tests use SHUTDOWN SAVE and PTTL (2.6+).
echo "install-redis.sh: ok ($version)"
