#!/usr/bin/env bash
# HTTP benchmark: `GET /v1/numbers/{n}` on `phoneguard serve` (embedded default,
# log level warn) with keep-alive from wrk on loopback, against an nginx location
# answering a fixed 300-byte JSON on the same machine (the HTTP ceiling here).
#
# For each wrk setting (threads/connections) it records requests/s and p99 of
#   phoneguard  one number      GET /v1/numbers/13800138000 + Authorization
#   phoneguard  10k numbers     scripts/wrk-numbers.lua (rotating numbers)
#   phoneguard  /healthz        no auth, no lookup: the framework floor (reference)
#   nginx       fixed JSON      same wrk command, same header
# and the ratio phoneguard / nginx (target >= 0.6).
#
# wrk, phoneguard and nginx share the same cores: on a small machine the load
# generator takes CPU from the server, for phoneguard and nginx alike.
#
# usage: scripts/bench-http.sh             (from the repository root)
# env:   PHONEGUARD_BIN  binary to test     (default target/release/phoneguard)
#        DURATION        wrk -d             (default 10s)
#        SETTINGS        "T:C T:C …"        (default "1:32 2:64")
#        OUT             where wrk's output goes (default bench-out/http)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PHONEGUARD_BIN:-$ROOT/target/release/phoneguard}
DURATION=${DURATION:-10s}
SETTINGS=${SETTINGS:-"1:32 2:64"}
OUT=${OUT:-bench-out/http}
NUMBER=13800138000

if [[ ! -x "$BIN" ]]; then
    echo "no phoneguard binary at $BIN: run 'cargo build --release -p phoneguard' or set PHONEGUARD_BIN" >&2
    exit 1
fi
BIN=$(realpath "$BIN")
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    echo "installing ${missing[*]}" >&2
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

WORK=$(mktemp -d /tmp/phoneguard-http-XXXXXX)
PG_PID= NGINX_PID=
cleanup() {
    [[ -n $PG_PID ]] && kill "$PG_PID" 2>/dev/null && wait "$PG_PID" 2>/dev/null
    [[ -n $NGINX_PID ]] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() { # url
    for _ in $(seq 1 400); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.025
    done
    echo "no answer from $1" >&2
    return 1
}

# --- phoneguard -------------------------------------------------------------
PG_PORT=$(free_port)
mkdir -p "$WORK/pg"
(cd "$WORK/pg" && PHONEGUARD_LOG__LEVEL=warn exec "$BIN" serve \
    --listen "127.0.0.1:$PG_PORT" --database "sqlite://$WORK/pg/phoneguard.db" \
    > "$WORK/pg/stdout.txt" 2> "$WORK/pg/stderr.txt") &
PG_PID=$!
wait_http "http://127.0.0.1:$PG_PORT/healthz"
KEY=$(grep -o 'pk_test_[A-Za-z0-9_]*' "$WORK/pg/stdout.txt" | head -1)
[[ -n $KEY ]] || { echo "no test key printed by phoneguard serve" >&2; exit 1; }
AUTH="Authorization: Bearer $KEY"
PG_URL="http://127.0.0.1:$PG_PORT"
pg_body=$(curl -fsS -H "$AUTH" "$PG_URL/v1/numbers/$NUMBER")
echo "phoneguard answers $(printf %s "$pg_body" | wc -c) bytes for $NUMBER" >&2

# --- nginx ------------------------------------------------------------------
NG_PORT=$(free_port)
mkdir -p "$WORK/nginx"
sed -e "s|@WORKERS@|$(nproc)|" -e "s|@PREFIX@|$WORK/nginx|g" -e "s|@PORT@|$NG_PORT|" \
    "$ROOT/scripts/nginx-ceiling.conf" > "$WORK/nginx/nginx.conf"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' \
    2> "$WORK/nginx/stderr.txt" &
NGINX_PID=$!
NG_URL="http://127.0.0.1:$NG_PORT"
wait_http "$NG_URL/v1/numbers/$NUMBER"
echo "nginx answers $(curl -fsS "$NG_URL/v1/numbers/$NUMBER" | wc -c) bytes (ceiling)" >&2

# --- wrk --------------------------------------------------------------------
# Prints "requests/s p99_ms non2xx" of one wrk run and keeps its full output.
run_wrk() { # name threads conns url [script]
    local name=$1 t=$2 c=$3 url=$4 script=${5:-}
    local file="$OUT/$name-t$t-c$c.txt"
    local args=(-t "$t" -c "$c" -d "$DURATION" --latency -H "$AUTH")
    [[ -n $script ]] && args+=(-s "$script")
    wrk "${args[@]}" "$url" > "$file"
    awk '
        /Requests\/sec:/ { rps = $2 }
        /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); p = v / 1000 }
                   else if (v ~ /ms$/) { sub(/ms$/, "", v); p = v }
                   else if (v ~ /s$/) { sub(/s$/, "", v); p = v * 1000 } }
        /Non-2xx/ { bad = $NF }
        END { printf "%.0f %.2f %d\n", rps, p, bad }' "$file"
}

printf '%-8s %-26s %12s %9s %8s %7s\n' setting target "requests/s" "p99 ms" non-2xx ratio
for s in $SETTINGS; do
    t=${s%%:*} c=${s##*:}
    read -r ng_rps ng_p99 ng_bad < <(run_wrk nginx "$t" "$c" "$NG_URL/v1/numbers/$NUMBER")
    for target in one many healthz; do
        case $target in
            one) label="phoneguard one number"
                 read -r rps p99 bad < <(run_wrk pg-one "$t" "$c" "$PG_URL/v1/numbers/$NUMBER") ;;
            many) label="phoneguard 10k numbers"
                  read -r rps p99 bad < <(run_wrk pg-many "$t" "$c" "$PG_URL" "$ROOT/scripts/wrk-numbers.lua") ;;
            healthz) label="phoneguard /healthz (ref)"
                     read -r rps p99 bad < <(run_wrk pg-healthz "$t" "$c" "$PG_URL/healthz") ;;
        esac
        ratio=$(awk -v a="$rps" -v b="$ng_rps" 'BEGIN { printf "%.2f", a / b }')
        printf '%-8s %-26s %12s %9s %8s %7s\n' "-t$t -c$c" "$label" "$rps" "$p99" "$bad" "$ratio"
    done
    printf '%-8s %-26s %12s %9s %8s %7s\n' "-t$t -c$c" "nginx fixed 300 B JSON" "$ng_rps" "$ng_p99" "$ng_bad" "1.00"
done
echo "target: phoneguard >= 0.60 of nginx; wrk output in $OUT" >&2
