#!/usr/bin/env bash
# The dashboard in a real browser: installs Debian chromium (+ chromium-driver),
# a CJK font for the Chinese pages and playwright-core (pinned, from the npm
# registry; no browser download), builds phoneguard and runs
# scripts/browser/dashboard.test.mjs, which writes docs/screenshots/*.png, and
# scripts/browser/device.test.mjs (the device SDK's demo page).
#
# Usage: bash scripts/ci-browser.sh [SCREENSHOT_DIR]   (default: docs/screenshots)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/screenshots}

need=()
command -v chromium >/dev/null || need+=(chromium chromium-driver)
command -v node >/dev/null || need+=(nodejs npm)
command -v npm >/dev/null || need+=(npm)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-zenhei)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
fi

# An install that hangs on the registry is stopped and tried again (3 times).
for try in 1 2 3; do
    (cd scripts/browser && timeout 240 npm ci --no-audit --no-fund --silent --fetch-timeout=60000) && break
    [ "$try" = 3 ] && { echo "npm ci in scripts/browser failed 3 times" >&2; exit 1; }
    echo "npm ci in scripts/browser: attempt $try failed or hung; again" >&2
done
cargo build -p phoneguard --bin phoneguard
start=$SECONDS
node scripts/browser/dashboard.test.mjs "$PWD/target/debug/phoneguard" "$out"
node scripts/browser/device.test.mjs "$PWD/target/debug/phoneguard"
echo "browser test took $((SECONDS - start)) s"
