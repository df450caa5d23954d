#!/usr/bin/env bash
# Where phoneguard's HTTP time goes: the same wrk command against
#   nginx (fixed 300-byte JSON, scripts/nginx-ceiling.conf, worker_processes = cores)
#   phoneguard GET /v1/numbers/13800138000 and GET /healthz (log level warn)
#   scripts/http-floor: axum 0.8 + hyper + tokio answering the same fixed JSON,
#     bare, then with each of phoneguard's layers (LAYERS=…), then all of them
# interleaved over ROUNDS rounds, reporting requests/s and the server's CPU time
# per request (user + system of all its threads or workers), with medians.
#
# usage: scripts/bench-http-floor.sh       (from the repository root)
# env:   PHONEGUARD_BIN  binary to test     (default target/release/phoneguard)
#        FLOOR_BIN       http-floor binary  (default: built from scripts/http-floor
#                        into $CARGO_TARGET_DIR or target/)
#        DURATION        wrk -d per run     (default 5s)
#        T, C            wrk threads, connections (default 1, 32)
#        ROUNDS          (default 3)
#        VARIANTS        http-floor LAYERS values (default
#                        "none reqid timeout track limit,catch,problemize all")
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PHONEGUARD_BIN:-$ROOT/target/release/phoneguard}
DURATION=${DURATION:-5s}
T=${T:-1} C=${C:-32}
ROUNDS=${ROUNDS:-3}
VARIANTS=${VARIANTS:-"none reqid timeout track limit,catch,problemize all"}
NUMBER=13800138000

[[ -x "$BIN" ]] || { echo "no phoneguard binary at $BIN" >&2; exit 1; }
BIN=$(realpath "$BIN")
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ -z ${FLOOR_BIN:-} ]]; then
    target=${CARGO_TARGET_DIR:-$ROOT/target}
    cargo build --release --quiet --manifest-path "$ROOT/scripts/http-floor/Cargo.toml" \
        --target-dir "$target"
    FLOOR_BIN=$target/release/http-floor
fi
echo "machine: $(nproc) cores, $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed "s/^ //"), load average $(cut -d" " -f1-3 /proc/loadavg), $(date -u +%FT%TZ)" >&2

WORK=$(mktemp -d /tmp/phoneguard-floor-XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in ${PIDS[@]+"${PIDS[@]}"}; do kill "$p" 2>/dev/null || true; done
    for p in ${PIDS[@]+"${PIDS[@]}"}; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() {
    for _ in $(seq 1 400); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.025
    done
    echo "no answer from $1" >&2
    return 1
}
TCK=$(getconf CLK_TCK)
cpu_ticks() {
    local sum=0 p
    for p in "$@"; do sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
    echo "$sum"
}
run() { # label url pids… → one line "label rps cpu_us"
    local label=$1 url=$2
    shift 2
    local c0 c1 out
    c0=$(cpu_ticks "$@")
    out=$(wrk -t "$T" -c "$C" -d "$DURATION" -H "$AUTH" "$url")
    c1=$(cpu_ticks "$@")
    awk -v l="$label" -v ticks=$((c1 - c0)) -v tck="$TCK" '
        /requests in/ { n = $1 } /Requests\/sec:/ { r = $2 }
        END { printf "%s %.0f %.1f\n", l, r, ticks / tck * 1e6 / n }' <<< "$out"
}

# phoneguard
PG_PORT=$(free_port)
mkdir -p "$WORK/pg"
(cd "$WORK/pg" && PHONEGUARD_LOG__LEVEL=warn exec "$BIN" serve --listen "127.0.0.1:$PG_PORT" \
    --database "sqlite://$WORK/pg/phoneguard.db" > stdout.txt 2> stderr.txt) &
PG_PID=$!
PIDS+=("$PG_PID")
wait_http "http://127.0.0.1:$PG_PORT/healthz"
AUTH="Authorization: Bearer $(grep -o 'pk_test_[A-Za-z0-9_]*' "$WORK/pg/stdout.txt" | head -1)"

# nginx
NG_PORT=$(free_port)
mkdir -p "$WORK/nginx"
sed -e "s|@WORKERS@|$(nproc)|" -e "s|@PREFIX@|$WORK/nginx|g" -e "s|@PORT@|$NG_PORT|" \
    "$ROOT/scripts/nginx-ceiling.conf" > "$WORK/nginx/nginx.conf"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' 2> "$WORK/nginx/stderr.txt" &
NG_PID=$!
PIDS+=("$NG_PID")
wait_http "http://127.0.0.1:$NG_PORT/v1/numbers/$NUMBER"
NG_WORKERS=$(pgrep -P "$NG_PID" | tr '\n' ' ')

RESULTS="$WORK/results.txt"
FL_PORT=$(free_port)
for round in $(seq "$ROUNDS"); do
    {
        run "nginx" "http://127.0.0.1:$NG_PORT/v1/numbers/$NUMBER" $NG_WORKERS
        run "phoneguard-/v1/numbers" "http://127.0.0.1:$PG_PORT/v1/numbers/$NUMBER" "$PG_PID"
        run "phoneguard-/healthz" "http://127.0.0.1:$PG_PORT/healthz" "$PG_PID"
        for v in $VARIANTS; do
            LAYERS=$v ADDR="127.0.0.1:$FL_PORT" "$FLOOR_BIN" > /dev/null &
            fl=$!
            wait_http "http://127.0.0.1:$FL_PORT/v1/numbers/$NUMBER"
            run "http-floor-LAYERS=$v" "http://127.0.0.1:$FL_PORT/v1/numbers/$NUMBER" "$fl"
            kill "$fl"
            wait "$fl" 2>/dev/null || true
        done
    } | tee -a "$RESULTS" | sed "s/^/round $round: /" >&2
done
echo "wrk -t$T -c$C -d$DURATION, median of $ROUNDS rounds:"
python3 - "$RESULTS" <<'PYEOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, rps, cpu = line.split()
    rows.setdefault(label, []).append((float(rps), float(cpu)))
base = statistics.median(r for r, _ in rows["nginx"])
print(f"{'server':<40} {'req/s':>8} {'vs nginx':>8} {'CPU us/req':>10}")
for label, vals in rows.items():
    rps = statistics.median(r for r, _ in vals)
    cpu = statistics.median(c for _, c in vals)
    print(f"{label:<40} {rps:8.0f} {rps / base:8.2f} {cpu:10.1f}")
PYEOF
