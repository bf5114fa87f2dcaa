#!/usr/bin/env bash
# Headless Chromium for the browser tests: Debian's `chromium` package (playwright-core drives it;
# a browser download of its own is not possible on machines that reach only package registries).
# Usage: scripts/browser.sh setup | path
set -euo pipefail

find_chromium() {
  for c in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

case "${1:-setup}" in
  path) find_chromium ;;
  setup)
    if path=$(find_chromium); then echo "chromium: $path"; exit 0; fi
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
      echo "Chromium is missing: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH." >&2
      exit 1
    fi
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    echo "installing Debian's chromium (once)…"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    find_chromium
    ;;
  *) echo "usage: scripts/browser.sh setup|path" >&2; exit 2 ;;
esac
