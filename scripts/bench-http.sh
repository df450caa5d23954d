#!/usr/bin/env bash
# HTTP benchmark: `GET /v1/numbers/{n}` on `phoneguard serve` (embedded default,
# log level warn) with keep-alive from wrk on loopback, against an nginx location
# answering a fixed 300-byte JSON on the same machine (the HTTP ceiling here).
#
# For each wrk setting (threads:connections) it records requests/s, p99 and the
# server's CPU time per request of
#   nginx       fixed JSON, one path   GET /v1/numbers/13800138000 (same header)
#   phoneguard  one number             GET /v1/numbers/13800138000 + Authorization
#   nginx       fixed JSON, 10k paths  scripts/wrk-numbers.lua (same wrk cost)
#   phoneguard  10k numbers            scripts/wrk-numbers.lua (rotating numbers)
#   phoneguard  /healthz               no auth, no lookup: the framework floor
# and the ratio phoneguard / nginx under the same wrk command (target >= 0.6).
#
# wrk, phoneguard and nginx share the same cores: on a small machine the load
# generator takes CPU from the server, for phoneguard and nginx alike.
#
# usage: scripts/bench-http.sh             (from the repository root)
# env:   PHONEGUARD_BIN  binary to test     (default target/release/phoneguard)
#        DURATION        wrk -d             (default 10s)
#        SETTINGS        "T:C T:C …"        (default "1:32 2:64")
#        ROUNDS          repeat everything, interleaved, and print medians (default 1)
#        OUT             where wrk's output goes (default bench-out/http)
#        LOG_LEVEL       phoneguard log filter (default info: the access log on, as shipped)
#        PIN             1: one core each, servers on CPU 1 (nginx with one worker,
#                        tokio then starts one worker), wrk on CPU 0 (default 0:
#                        no pinning, nginx worker_processes = core count)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PHONEGUARD_BIN:-$ROOT/target/release/phoneguard}
DURATION=${DURATION:-10s}
SETTINGS=${SETTINGS:-"1:32 2:64"}
ROUNDS=${ROUNDS:-1}
OUT=${OUT:-bench-out/http}
NUMBER=13800138000
PIN=${PIN:-0}
if [[ $PIN == 1 ]]; then
    SERVER_CPU=(taskset -c 1) CLIENT_CPU=(taskset -c 0) WORKERS=1
else
    SERVER_CPU=() CLIENT_CPU=() WORKERS=$(nproc)
fi

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

echo "machine: $(nproc) cores, $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed "s/^ //"), load average $(cut -d" " -f1-3 /proc/loadavg), $(date -u +%FT%TZ)" >&2
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
(cd "$WORK/pg" && PHONEGUARD_LOG__LEVEL=${LOG_LEVEL:-info} exec ${SERVER_CPU[@]+"${SERVER_CPU[@]}"} "$BIN" serve \
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
sed -e "s|@WORKERS@|$WORKERS|" -e "s|@PREFIX@|$WORK/nginx|g" -e "s|@PORT@|$NG_PORT|" \
    "$ROOT/scripts/nginx-ceiling.conf" > "$WORK/nginx/nginx.conf"
${SERVER_CPU[@]+"${SERVER_CPU[@]}"} "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' \
    2> "$WORK/nginx/stderr.txt" &
NGINX_PID=$!
NG_URL="http://127.0.0.1:$NG_PORT"
wait_http "$NG_URL/v1/numbers/$NUMBER"
echo "nginx answers $(curl -fsS "$NG_URL/v1/numbers/$NUMBER" | wc -c) bytes (ceiling)" >&2

# --- wrk --------------------------------------------------------------------
TCK=$(getconf CLK_TCK)
cpu_ticks() { # pids… → utime + stime, in clock ticks
    local sum=0 p
    for p in "$@"; do sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
    echo "$sum"
}
# One wrk run; prints "requests/s p99_ms non2xx server_cpu_us_per_request" and
# keeps wrk's full output. The server's CPU (user + system, all its threads or
# worker processes) per request is steadier than requests/s on a shared machine.
run_wrk() { # name threads conns url script|- pids…
    local name=$1 t=$2 c=$3 url=$4 script=$5
    shift 5
    local file="$OUT/$name-t$t-c$c-pin$PIN-r$round.txt"
    local args=(-t "$t" -c "$c" -d "$DURATION" --latency -H "$AUTH")
    [[ $script != - ]] && args+=(-s "$script")
    local c0 c1
    c0=$(cpu_ticks "$@")
    ${CLIENT_CPU[@]+"${CLIENT_CPU[@]}"} wrk "${args[@]}" "$url" > "$file"
    c1=$(cpu_ticks "$@")
    awk -v ticks=$((c1 - c0)) -v tck="$TCK" '
        /requests in/ { n = $1 }
        /Requests\/sec:/ { rps = $2 }
        /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); p = v / 1000 }
                   else if (v ~ /ms$/) { sub(/ms$/, "", v); p = v }
                   else if (v ~ /s$/) { sub(/s$/, "", v); p = v * 1000 } }
        /Non-2xx/ { bad = $NF }
        END { printf "%.0f %.2f %d %.1f\n", rps, p, bad, n ? ticks / tck * 1e6 / n : 0 }' "$file"
}

NG_WORKERS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
LUA="$ROOT/scripts/wrk-numbers.lua"
RESULTS="$OUT/results-pin$PIN.txt"
: > "$RESULTS"
echo "nginx worker_processes $WORKERS; pinned: $PIN; rounds: $ROUNDS" >&2
row() { printf '%-9s %-27s %10s %8s %7s %9s %7s\n' "$@"; }
row setting target "req/s" "p99 ms" non-2xx "CPU us/r" ratio
for round in $(seq "$ROUNDS"); do
    for s in $SETTINGS; do
        t=${s%%:*} c=${s##*:} set="-t$t -c$c"
        read -r n1 n1p n1b n1c < <(run_wrk nginx-one "$t" "$c" "$NG_URL/v1/numbers/$NUMBER" - $NG_WORKERS)
        read -r p1 p1p p1b p1c < <(run_wrk pg-one "$t" "$c" "$PG_URL/v1/numbers/$NUMBER" - "$PG_PID")
        read -r n2 n2p n2b n2c < <(run_wrk nginx-many "$t" "$c" "$NG_URL" "$LUA" $NG_WORKERS)
        read -r p2 p2p p2b p2c < <(run_wrk pg-many "$t" "$c" "$PG_URL" "$LUA" "$PG_PID")
        read -r h h_p h_b h_c < <(run_wrk pg-healthz "$t" "$c" "$PG_URL/healthz" - "$PG_PID")
        r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
        {
            row "$set" "nginx fixed JSON, one path" "$n1" "$n1p" "$n1b" "$n1c" 1.00
            row "$set" "phoneguard one number" "$p1" "$p1p" "$p1b" "$p1c" "$(r "$p1" "$n1")"
            row "$set" "nginx fixed JSON, 10k paths" "$n2" "$n2p" "$n2b" "$n2c" 1.00
            row "$set" "phoneguard 10k numbers" "$p2" "$p2p" "$p2b" "$p2c" "$(r "$p2" "$n2")"
            row "$set" "phoneguard /healthz (ref)" "$h" "$h_p" "$h_b" "$h_c" "$(r "$h" "$n1")"
        } | tee -a "$RESULTS"
    done
done
if ((ROUNDS > 1)); then
    echo "median of $ROUNDS rounds (each column on its own):"
    python3 - "$RESULTS" <<'PYEOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    key = (" ".join(f[:2]), " ".join(f[2:-5]))
    rows.setdefault(key, []).append([float(x) for x in f[-5:]])
for (setting, target), vals in rows.items():
    med = [statistics.median(col) for col in zip(*vals)]
    print(f"{setting:<9} {target:<27} {med[0]:10.0f} {med[1]:8.2f} {med[2]:7.0f} {med[3]:9.1f} {med[4]:7.2f}")
PYEOF
fi
echo "target: phoneguard >= 0.60 of nginx; wrk output in $OUT" >&2
