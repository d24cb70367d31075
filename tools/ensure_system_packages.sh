#!/usr/bin/env bash
# System packages the series needs beyond PyPI: Graphviz's `dot` (keras.utils.plot_model draws
# model diagrams with it). As root it installs what is missing through apt; otherwise it says how.
set -euo pipefail
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
# under CI the browser check (tests/test_browser.py) must run: it drives Debian's Chromium
if [ "${CI:-}" = true ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} with apt-get ..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing system package(s): ${missing[*]}. Install them, e.g." >&2
  echo "  sudo apt-get install ${missing[*]}    (Debian/Ubuntu)" >&2
  echo "  brew install ${missing[*]}            (macOS)" >&2
  exit 1
fi
