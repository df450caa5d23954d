#!/usr/bin/env bash
# Schemathesis against the running server: every operation of /openapi.json,
# tenant operations with the API key and admin operations (and /metrics) with
# the admin token; fails on any 5xx and on any answer that does not match its schema.
#
#   bash scripts/ci-schemathesis.sh            # builds target/debug/phoneguard if missing
#   PHONEGUARD_BIN=target/release/phoneguard SCHEMATHESIS_MAX_EXAMPLES=100 bash scripts/ci-schemathesis.sh
#
# Loopback only; the server runs on a temp SQLite file and a free port.
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
venv=${SCHEMATHESIS_VENV:-target/schemathesis-venv}
bin=${PHONEGUARD_BIN:-target/debug/phoneguard}
examples=${SCHEMATHESIS_MAX_EXAMPLES:-30}
seed=${SCHEMATHESIS_SEED:-20261203}
budget=${SCHEMATHESIS_MAX_TIME:-75}

if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$version"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi
[ -x "$bin" ] || cargo build --quiet -p phoneguard

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
admin="adm_schemathesis_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
base="http://127.0.0.1:$port"

# None of the caller's PHONEGUARD_* variables reach the server (CI exports the
# test suites' PHONEGUARD_TEST_* URLs, which are no config keys).
unset_vars=()
for v in $(compgen -e | grep '^PHONEGUARD_' || true); do unset_vars+=(-u "$v"); done
env "${unset_vars[@]}" \
    PHONEGUARD_ADMIN_TOKEN="$admin" PHONEGUARD_LOG__LEVEL=warn \
    "$bin" serve --listen "127.0.0.1:$port" --database "sqlite://$work/schemathesis.db" \
    >"$work/stdout" 2>"$work/server.log" &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    grep -q "listening on" "$work/stdout" && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; echo "phoneguard did not start" >&2; exit 1; }
    sleep 0.1
done
key=$(grep -o 'pk_test_[A-Za-z0-9]*' "$work/stdout" | head -n1)
[ -n "$key" ] || { echo "no API key printed at start" >&2; exit 1; }

run() {
    local what=$1 token=$2
    shift 2
    echo "== schemathesis: $what"
    "$venv/bin/st" --no-color --config-file scripts/schemathesis.toml run "$base/openapi.json" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --phases examples,coverage,fuzzing \
        --max-examples "$examples" --max-time "$budget" --seed "$seed" \
        --generation-database none --request-timeout 10 --workers 1 \
        --header "Authorization: Bearer $token" "$@"
}

status=0
# /metrics takes the admin token (or metrics.token), not an API key.
run "tenant operations (API key)" "$key" --exclude-path-regex '^/v1/admin/|^/metrics$' || status=1
run "admin operations (admin token)" "$admin" --include-path-regex '^/v1/admin/|^/metrics$' || status=1
if grep -q '"level":"ERROR"\|ERROR' "$work/server.log"; then
    echo "== server errors logged during the run:"
    grep 'ERROR' "$work/server.log" | head -n 20
    status=1
fi
exit "$status"
