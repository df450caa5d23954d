#!/usr/bin/env bash
# Aliyun's official Dypnsapi Python SDK (pinned) against the binary on
# loopback, in both signature modes: scripts/aliyun/sdk_check.py.
#   bash scripts/aliyun/ci.sh target/debug/phoneguard
set -euo pipefail
bin=${1:?usage: ci.sh path/to/phoneguard}
venv=$(mktemp -d)/venv
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check \
    alibabacloud_dypnsapi20170525==2.0.0 alibabacloud-tea-openapi==0.4.6
"$venv/bin/python" "$(dirname "$0")/sdk_check.py" --bin "$bin"
