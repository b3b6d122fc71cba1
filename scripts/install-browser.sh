#!/usr/bin/env bash
# Installs what the kiosk end-to-end test and the page screenshots need, and only what is
# missing: Debian's `chromium` (the kiosk browser, driven over the DevTools protocol) and
# `zbar-tools` (zbarimg decodes the phone's QR code from a screenshot's pixels).
# Idempotent; fails loudly (non-zero exit, message on stderr) when anything cannot be installed.
set -euo pipefail
# shellcheck source=apt-install.sh
source "$(dirname "$0")/apt-install.sh"

die() { echo "install-browser.sh: $*" >&2; exit 1; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
# A font with broad coverage, so that pages and screenshots render names like "José" right.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if ((${#missing[@]})); then
    apt_install install-browser.sh "${missing[@]}"
fi
command -v chromium >/dev/null 2>&1 || die "chromium is still missing after install"
command -v zbarimg >/dev/null 2>&1 || die "zbarimg is still missing after install"
echo "install-browser.sh: $(chromium --version 2>/dev/null | head -n1); $(zbarimg --version 2>&1 | head -n1 | sed 's/^/zbarimg /')" >&2
