#!/usr/bin/env bash
# Verification start+check pairs/s and risk decisions/s for three topologies:
# one node on SQLite, one node on PostgreSQL + Redis, two nodes on PostgreSQL +
# Redis. Open-loop load from pg-loadgen; prints its figures, the CPU seconds of
# phoneguard, PostgreSQL and Redis during each run, and the load average.
#
#   scripts/bench-nodes.sh [PAIRS_PER_S] [EVENTS_PER_S] [SECONDS] [TOPOLOGIES]
#
# TOPOLOGIES: any of sqlite,pg1,pg2 (default all three). PostgreSQL and Redis
# come from scripts/ci-services.sh (PHONEGUARD_SERVICES_DIR, PHONEGUARD_PG_PORT,
# PHONEGUARD_REDIS_PORT choose where). LOG_LEVEL (info: access log on, the
# default; warn: off), PHONEGUARD_BIN (the binary). PROFILE=debug uses debug builds (only to
# compare topologies when a release build is out of reach). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-500}
events=${2:-2000}
secs=${3:-10}
topologies=${4:-sqlite,pg1,pg2}
say() { printf 'bench-nodes: %s\n' "$*" >&2; }

export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
profile=${PROFILE:-release}
flag=--release
[ "$profile" = debug ] && flag=""
cargo build -q $flag -p phoneguard -p phoneguard-loadgen
cargo build -q $flag -p phoneguard-risk --example traffic
bin=${PHONEGUARD_BIN:-target/$profile/phoneguard}
lg=target/$profile/pg-loadgen
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
target/$profile/examples/traffic --seed 7 --jsonl "$work/events.jsonl" >/dev/null

eval "$(bash scripts/ci-services.sh)"
svc=${PHONEGUARD_SERVICES_DIR:-/tmp/phoneguard-services}
pg_pid=$(head -n1 "$svc/pg/data/postmaster.pid")
redis_pid=$(cat "$svc/redis/redis.pid")

# CPU seconds (user + sys) of the given processes and their PostgreSQL backends.
cpu_of() {
    local total=0 p
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$total"
}
pg_procs() { echo "$pg_pid" $(pgrep -P "$pg_pid" || true); }
ticks=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_node NAME DATABASE_URL [REDIS_URL]: starts a node, sets $port and $pid,
# appends the printed key (first start) to $work/NAME.out.
start_node() {
    local name=$1 db=$2 redis=${3:-}
    port=$(free_port)
    env -i PATH="$PATH" HOME="$HOME" \
        PHONEGUARD_DATABASE_URL="$db" ${redis:+PHONEGUARD_REDIS_URL="$redis"} \
        PHONEGUARD_REDIS_PREFIX="bench_$name" \
        PHONEGUARD_ADMIN_TOKEN=adm_bench_token_0123456789abcdef \
        PHONEGUARD_HASH_SECRET=bench_hash_secret_0123456789abcdefghijklmnop \
        PHONEGUARD_LOG__LEVEL=${LOG_LEVEL:-info} \
        PHONEGUARD_VERIFY__TENANT_SENDS_PER_MINUTE=1000000 \
        PHONEGUARD_VERIFY__COUNTRY_SENDS_PER_MINUTE=1000000 \
        PHONEGUARD_VERIFY__PREFIX_SENDS_PER_HOUR=1000000 \
        PHONEGUARD_VERIFY__OUTBOX_CAPACITY=100000 \
        "$bin" serve --listen "127.0.0.1:$port" >>"$work/$name.out" 2>>"$work/$name.err" &
    pid=$!
    for _ in $(seq 200); do
        curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return
        sleep 0.05
    done
    say "node $name did not start"; cat "$work/$name.err" >&2; exit 1
}

# run TOPOLOGY KEY PIDS URLS...: both workloads against the nodes at URLS.
run() {
    local topo=$1 key=$2 pids=$3
    shift 3
    local first=$1
    local nodes=()
    for u in "${@:2}"; do nodes+=(--node "$u"); done
    for workload in verify risk; do
        local before_n before_pg before_r after_n after_pg after_r out
        before_n=$(cpu_of $pids); before_pg=$(cpu_of $(pg_procs)); before_r=$(cpu_of "$redis_pid")
        if [ "$workload" = verify ]; then
            out=$("$lg" --scenario verify-pair --url "$first" "${nodes[@]}" --rate "$pairs" \
                --duration "$secs" --key "$key" --max-in-flight 512)
            n=$((pairs * secs))
        else
            # Risk events round robin is not in the load tool: give each node its share.
            out=""
            local share=$((events / $#)) u i=0 loads=()
            for u in "$@"; do
                i=$((i + 1))
                "$lg" --url "$u/v1/risk/register" --rate "$share" --duration "$secs" --key "$key" \
                    --bodies "$work/events.jsonl" --field event --max-in-flight 512 >"$work/risk.$i.out" &
                loads+=($!)
            done
            wait "${loads[@]}"
            out=$(cat "$work"/risk.*.out); rm -f "$work"/risk.*.out
            n=$((share * $# * secs))
        fi
        after_n=$(cpu_of $pids); after_pg=$(cpu_of $(pg_procs)); after_r=$(cpu_of "$redis_pid")
        printf '\n### %s, %s (%s/s for %s s; load average %s)\n%s\n' "$topo" "$workload" \
            "$([ "$workload" = verify ] && echo "$pairs pairs" || echo "$events events")" "$secs" \
            "$(cut -d' ' -f1-3 /proc/loadavg)" "$out"
        awk -v n="$n" -v t="$ticks" -v a="$((after_n - before_n))" -v p="$((after_pg - before_pg))" \
            -v r="$((after_r - before_r))" 'BEGIN {
            printf "CPU (user+sys): phoneguard %.2f s = %.0f us/op; PostgreSQL %.2f s = %.0f us/op; Redis %.2f s = %.0f us/op\n",
                a/t, a/t/n*1e6, p/t, p/t/n*1e6, r/t, r/t/n*1e6 }'
    done
}

key_of() { grep -o 'pk_test_[A-Za-z0-9]*' "$work/$1.out" | head -n1; }

new_pg_db() {
    local name=bench_$1_$$
    psql -q "$PHONEGUARD_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >&2
    echo "${PHONEGUARD_TEST_POSTGRES_URL%/*}/$name"
}

IFS=, read -r -a wanted <<<"$topologies"
for topo in "${wanted[@]}"; do
    case $topo in
    sqlite)
        start_node sqlite "sqlite://$work/bench.db"
        run "one node, SQLite" "$(key_of sqlite)" "$pid" "http://127.0.0.1:$port"
        kill "$pid"; wait "$pid" 2>/dev/null || true
        ;;
    pg1)
        db=$(new_pg_db pg1)
        start_node pg1 "$db" "$PHONEGUARD_TEST_REDIS_URL"
        run "one node, PostgreSQL + Redis" "$(key_of pg1)" "$pid" "http://127.0.0.1:$port"
        kill "$pid"; wait "$pid" 2>/dev/null || true
        ;;
    pg2)
        db=$(new_pg_db pg2)
        start_node pg2a "$db" "$PHONEGUARD_TEST_REDIS_URL"
        a_pid=$pid a_port=$port
        start_node pg2b "$db" "$PHONEGUARD_TEST_REDIS_URL"
        run "two nodes, PostgreSQL + Redis" "$(key_of pg2a)" "$a_pid $pid" \
            "http://127.0.0.1:$a_port" "http://127.0.0.1:$port"
        kill "$a_pid" "$pid"; wait "$a_pid" "$pid" 2>/dev/null || true
        ;;
    *) say "unknown topology $topo (sqlite, pg1, pg2)"; exit 2 ;;
    esac
done
