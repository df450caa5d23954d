#!/usr/bin/env bash
# Risk decisions over HTTP at a fixed rate (open loop), issue 5's target:
# p99 <= 5 ms at 2,000 events/s on loopback, embedded default (SQLite + in-process counters).
#
# Starts the release binary on a fresh temporary database, posts the traffic
# generator's labelled events (humans and attacks, seed 7) to /v1/risk/register
# with pg-loadgen for WARMUP_S then DURATION_S seconds, and prints the loadgen's
# percentiles plus the server's CPU time per request (utime + stime from /proc,
# which varies far less than wall-clock latency on a shared machine).
#
# usage: scripts/bench-risk-http.sh        (from the repository root, after
#        cargo build --release -p phoneguard -p phoneguard-loadgen)
# env:   PHONEGUARD_BIN (target/release/phoneguard), LOADGEN_BIN (target/release/pg-loadgen),
#        RATE (2000), DURATION_S (10), WARMUP_S (3), URL_PATH (/v1/risk/register),
#        LOG_LEVEL (info: the access log on, the default; warn turns it off)
set -euo pipefail

BIN=${PHONEGUARD_BIN:-target/release/phoneguard}
LG=${LOADGEN_BIN:-target/release/pg-loadgen}
RATE=${RATE:-2000}
DURATION_S=${DURATION_S:-10}
WARMUP_S=${WARMUP_S:-3}
URL_PATH=${URL_PATH:-/v1/risk/register}
for b in "$BIN" "$LG"; do
    [[ -x "$b" ]] || { echo "no binary at $b: cargo build --release -p phoneguard -p phoneguard-loadgen" >&2; exit 1; }
done
dir=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed "s/^ //"), load average $(cut -d" " -f1-3 /proc/loadavg), $(date -u +%FT%TZ)" >&2
cargo run -q --release -p phoneguard-risk --example traffic -- --seed 7 --humans 6000 --jsonl "$dir/events.jsonl" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PHONEGUARD_ADMIN_TOKEN=adm_bench_token_0123456789 PHONEGUARD_LOG__LEVEL=${LOG_LEVEL:-info} \
    "$BIN" serve --listen "127.0.0.1:$port" --database "sqlite://$dir/pg.db" >"$dir/out.txt" 2>"$dir/err.txt" &
pid=$!
for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.05
done
key=$(grep -o 'pk_test_[A-Za-z0-9]*' "$dir/out.txt" | head -1)
[[ -n "$key" ]] || { echo "server printed no key" >&2; cat "$dir/err.txt" >&2; exit 1; }
url="http://127.0.0.1:$port$URL_PATH"

"$LG" --url "$url" --rate "$RATE" --duration "$WARMUP_S" --key "$key" --bodies "$dir/events.jsonl" --field event >/dev/null
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(cpu)
"$LG" --url "$url" --rate "$RATE" --duration "$DURATION_S" --key "$key" --bodies "$dir/events.jsonl" --field event
after=$(cpu)
python3 -c "print(f'server CPU: {($after-$before)/$ticks:.2f} s for {$RATE*$DURATION_S} requests = {($after-$before)/$ticks/($RATE*$DURATION_S)*1e6:.1f} us per request')"
