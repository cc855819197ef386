#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (tests/e2e), only when it is missing.
# Playwright cannot download its own browsers here, so the tests launch /usr/bin/chromium.
# Safe to run again: with chromium present it does nothing and exits 0.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "chromium is already installed at $CHROMIUM."
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get not found; install chromium at $CHROMIUM by hand." >&2
    exit 1
fi

# apt-get needs root; use sudo when run as another user.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-browser: run as root (or install sudo) to install chromium." >&2
        exit 1
    fi
    SUDO=(sudo)
fi

echo "Installing chromium with apt-get…"
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

if [ ! -x "$CHROMIUM" ]; then
    echo "install-browser: apt-get finished but $CHROMIUM is still missing." >&2
    exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
