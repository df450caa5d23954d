#!/usr/bin/env bash
# The official Twilio SDKs, unmodified, against phoneguard's /v2 (Verify v2
# and Lookup v2): twilio-python 9.13.0 (pip, in a venv under a temp dir) and
# twilio-node 6.3.1 (npm, in a temp dir), each with only the base URL of
# client.verify / client.lookups changed, against the real binary on loopback.
#
#   bash scripts/twilio/run.sh [path/to/phoneguard]   # default target/debug/phoneguard
#
# TWILIO_EDGE and TWILIO_REGION are unset: the SDKs must not rewrite the host.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${1:-${CARGO_TARGET_DIR:-target}/debug/phoneguard}
[ -x "$bin" ] || cargo build --quiet -p phoneguard
unset TWILIO_EDGE TWILIO_REGION TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN

work=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT

command -v node >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
echo "== installing twilio==9.13.0 (PyPI) and twilio@6.3.1 (npm)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "twilio==9.13.0"
mkdir "$work/node"
(cd "$work/node" && npm init -y >/dev/null)
# An install that hangs on the registry (seen once: 13 min on one connection,
# every tarball already cached) is stopped and tried again, up to 3 times.
for try in 1 2 3; do
    (cd "$work/node" && timeout 240 npm install --silent --no-audit --no-fund --fetch-timeout=60000 \
        "twilio@6.3.1" >/dev/null) && break
    [ "$try" = 3 ] && { echo "npm install twilio@6.3.1 failed 3 times" >&2; exit 1; }
    echo "npm install twilio@6.3.1: attempt $try failed or hung; again" >&2
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
admin="adm_twilio_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
base="http://127.0.0.1:$port"
unset_vars=()
for v in $(compgen -e | grep '^PHONEGUARD_' || true); do unset_vars+=(-u "$v"); done
# Resends follow each other at once here: no resend cooldown.
env "${unset_vars[@]}" \
    PHONEGUARD_ADMIN_TOKEN="$admin" PHONEGUARD_LOG__LEVEL=warn PHONEGUARD_VERIFY__RESEND_COOLDOWN_S=0 \
    "$bin" serve --listen "127.0.0.1:$port" --database "sqlite://$work/twilio.db" \
    >"$work/stdout" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 100); do
    grep -q "listening on" "$work/stdout" && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; echo "phoneguard did not start" >&2; exit 1; }
    sleep 0.1
done
key=$(grep -o 'pk_test_[A-Za-z0-9]*' "$work/stdout" | head -n1)
[ -n "$key" ] || { echo "no API key printed at start" >&2; exit 1; }

# The account sids from the admin API, and a second tenant with a key of its own.
eval "$(PG_BASE="$base" PG_ADMIN="$admin" python3 - <<'PY'
import json, os, urllib.request
base, admin = os.environ["PG_BASE"], os.environ["PG_ADMIN"]
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
ac = call("GET", "/v1/admin/tenants")["tenants"][0]["account_sid"]
other = call("POST", "/v1/admin/tenants", {"name": "twilio-other"})
key = call("POST", f"/v1/admin/tenants/{other['id']}/keys", {"mode": "test"})["key"]
print(f"export PG_ACCOUNT_SID={ac} PG_OTHER_ACCOUNT_SID={other['account_sid']} PG_OTHER_KEY={key}")
PY
)"
export PG_BASE="$base" PG_KEY="$key"

status=0
echo "== twilio-python 9.13.0"
PG_PREFIX=+861380013 "$work/venv/bin/python" scripts/twilio/verify_python.py || status=1
echo "== twilio-node 6.3.1"
PG_PREFIX=+861390013 NODE_PATH="$work/node/node_modules" node scripts/twilio/verify_node.js || status=1
if grep -q 'ERROR' "$work/server.log"; then
    echo "== server errors logged during the run:"
    grep 'ERROR' "$work/server.log" | head -n 20
    status=1
fi
exit "$status"
