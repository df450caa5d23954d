#!/usr/bin/env bash
# Cost of one operation on the embedded default, open loop, with the access
# log on (as shipped): the server's CPU time per operation, and per thread the
# context switches and CPU per operation, which show where a request's time
# goes (a round trip to a SQLite connection's thread is two switches there and
# one or two on a runtime worker).
#
#   scripts/bench-cost.sh WORKLOAD [RATE] [SECONDS]
#
# WORKLOAD: risk   POST /v1/risk/register (traffic generator, seed 7)
#           pair   a verification start + check (pg-loadgen --scenario verify-pair)
#           lookup GET /v1/numbers/{n}
# env: PHONEGUARD_BIN (target/release/phoneguard), LOADGEN_BIN (target/release/pg-loadgen),
#      LOG_LEVEL (info: the access log on; warn: off), WARMUP_S (2).
# Loopback only; the server runs on a fresh temporary database.
set -euo pipefail
cd "$(dirname "$0")/.."
workload=${1:?usage: scripts/bench-cost.sh risk|pair|lookup [RATE] [SECONDS]}
rate=${2:-1000}
secs=${3:-10}
bin=${PHONEGUARD_BIN:-target/release/phoneguard}
lg=${LOADGEN_BIN:-target/release/pg-loadgen}
for b in "$bin" "$lg"; do
    [[ -x "$b" ]] || { echo "no binary at $b: cargo build --release -p phoneguard -p phoneguard-loadgen" >&2; exit 1; }
done
dir=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
echo "machine: $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg), $(date -u +%FT%TZ)" >&2

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PHONEGUARD_ADMIN_TOKEN=adm_bench_token_0123456789abcdef \
    PHONEGUARD_HASH_SECRET=bench_hash_secret_0123456789abcdefghijklmnop \
    PHONEGUARD_LOG__LEVEL=${LOG_LEVEL:-info} \
    PHONEGUARD_VERIFY__TENANT_SENDS_PER_MINUTE=1000000 \
    PHONEGUARD_VERIFY__COUNTRY_SENDS_PER_MINUTE=1000000 \
    PHONEGUARD_VERIFY__PREFIX_SENDS_PER_HOUR=1000000 \
    PHONEGUARD_VERIFY__OUTBOX_CAPACITY=100000 \
    "$bin" serve --listen "127.0.0.1:$port" --database "sqlite://$dir/pg.db" >"$dir/out.txt" 2>"$dir/err.txt" &
pid=$!
for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.05
done
key=$(grep -o 'pk_test_[A-Za-z0-9]*' "$dir/out.txt" | head -1)
[[ -n "$key" ]] || { echo "server printed no key" >&2; cat "$dir/err.txt" >&2; exit 1; }
base="http://127.0.0.1:$port"
case "$workload" in
    risk)
        target/release/examples/traffic --seed 7 --humans 6000 --jsonl "$dir/events.jsonl" >/dev/null 2>&1 ||
            cargo run -q --release -p phoneguard-risk --example traffic -- --seed 7 --humans 6000 --jsonl "$dir/events.jsonl" >/dev/null
        load() { "$lg" --url "$base/v1/risk/register" --rate "$rate" --duration "$1" --key "$key" --bodies "$dir/events.jsonl" --field event --max-in-flight 512; } ;;
    pair)
        load() { "$lg" --scenario verify-pair --url "$base" --rate "$rate" --duration "$1" --key "$key" --max-in-flight 512; } ;;
    lookup)
        load() { "$lg" --url "$base/v1/numbers/13800138000" --rate "$rate" --duration "$1" --key "$key" --max-in-flight 512; } ;;
    *) echo "unknown workload $workload (risk, pair or lookup)" >&2; exit 2 ;;
esac

threads() {
    for t in /proc/"$pid"/task/*; do
        printf '%s %s %s %s\n' "$(basename "$t")" "$(tr ' ' _ <"$t/comm")" \
            "$(awk '/ctxt/ {s += $2} END {print s}' "$t/status")" \
            "$(awk '{print $14 + $15}' "$t/stat")"
    done
}
load "${WARMUP_S:-2}" >/dev/null
threads >"$dir/before"
cpu_before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
load "$secs" | tail -2
cpu_after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
threads >"$dir/after"
n=$((rate * secs))
ticks=$(getconf CLK_TCK)
python3 - "$dir/before" "$dir/after" "$n" "$ticks" "$cpu_before" "$cpu_after" "$workload" <<'EOF'
import sys
before, after, n, ticks, c0, c1, what = sys.argv[1:]
n, ticks = int(n), int(ticks)
print(f"server CPU: {(float(c1) - float(c0)) / ticks / n * 1e6:.1f} us per {what}")
b = {l.split()[0]: l.split() for l in open(before)}
for l in open(after):
    tid, name, ctx, cpu = l.split()
    if tid not in b:
        continue
    dctx = int(ctx) - int(b[tid][2])
    dcpu = float(cpu) - float(b[tid][3])
    if dctx > n // 50 or dcpu > 0:
        print(f"  thread {name:<18} {dctx / n:6.2f} switches, {dcpu / ticks / n * 1e6:6.1f} us CPU per {what}")
EOF
