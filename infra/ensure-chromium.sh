#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (/usr/bin/chromium). `make test` calls this first:
# it installs the package when it can (root with apt-get) and otherwise stops at once
# with the one line to run, instead of failing every browser test minutes later.
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
APT_GET=${APT_GET:-apt-get}  # tests point it elsewhere to see the refusal
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v "$APT_GET" >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests (once per machine)…"
    export DEBIAN_FRONTEND=noninteractive
    "$APT_GET" update -qq
    "$APT_GET" install -y -qq chromium >/dev/null
    [ -x "$CHROMIUM" ] && exit 0
fi
echo "Browser tests need Chromium at $CHROMIUM: run 'sudo apt-get install chromium' (Debian/Ubuntu), then 'make test' again." >&2
exit 1
