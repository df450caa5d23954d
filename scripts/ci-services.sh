#!/usr/bin/env bash
# PostgreSQL and Redis for the integration tests: a throw-away cluster and
# instance on loopback, run as an unprivileged user, in a temp directory.
#
#   eval "$(scripts/ci-services.sh)"        # start (idempotent), export URLs
#   scripts/ci-services.sh stop             # stop both
#
# Installs Debian's `postgresql` and `redis-server` when missing. Standard
# output carries only the `export …` lines; progress goes to standard error.
# Environment: PHONEGUARD_SERVICES_DIR (default /tmp/phoneguard-services),
# PHONEGUARD_PG_PORT (default 55432), PHONEGUARD_REDIS_PORT (default 56379),
# PHONEGUARD_PG_DURABLE=1 (a durable cluster, for benchmarks).
set -euo pipefail

dir=${PHONEGUARD_SERVICES_DIR:-/tmp/phoneguard-services}
pg_port=${PHONEGUARD_PG_PORT:-55432}
redis_port=${PHONEGUARD_REDIS_PORT:-56379}
say() { printf 'ci-services: %s\n' "$*" >&2; }

# The unprivileged user the servers run as (PostgreSQL refuses root).
run_user=""
if [ "$(id -u)" = 0 ]; then
    run_user=postgres
fi
as_user() {
    if [ -n "$run_user" ]; then
        runuser -u "$run_user" -- "$@"
    else
        "$@"
    fi
}

pg_bin() {
    local b
    if command -v pg_config >/dev/null 2>&1; then
        b=$(pg_config --bindir 2>/dev/null || true)
        [ -x "$b/initdb" ] && { echo "$b"; return; }
    fi
    b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
    [ -n "$b" ] && [ -x "$b/initdb" ] && { echo "$b"; return; }
    return 1
}

install_missing() {
    local want=()
    pg_bin >/dev/null || want+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || want+=(redis-server)
    [ ${#want[@]} -eq 0 ] && return
    if [ "$(id -u)" != 0 ]; then
        say "missing ${want[*]} and not root: install them first"; exit 1
    fi
    say "installing ${want[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # Keep the packages' own services from starting (no init system here).
    local policy=/usr/sbin/policy-rc.d created_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
    fi
    apt-get install -y -qq --no-install-recommends "${want[@]}" >&2
    [ -n "$created_policy" ] && rm -f "$policy"
    return 0
}

start_postgres() {
    local bin data=$dir/pg/data
    bin=$(pg_bin)
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then
        say "PostgreSQL already answers on 127.0.0.1:$pg_port"
        return
    fi
    mkdir -p "$dir/pg"
    [ -n "$run_user" ] && chown -R "$run_user" "$dir/pg"
    if [ ! -s "$data/PG_VERSION" ]; then
        say "initdb in $data"
        as_user "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/pg/initdb.log" 2>&1 ||
            { cat "$dir/pg/initdb.log" >&2; exit 1; }
    fi
    # A test cluster: no durability across an OS crash needed, many test pools.
    # PHONEGUARD_PG_DURABLE=1 keeps PostgreSQL's durable defaults (fsync,
    # synchronous_commit, full_page_writes on), to measure what production pays.
    local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${PHONEGUARD_PG_DURABLE:-0}" = 1 ] && durability=""
    say "starting PostgreSQL on 127.0.0.1:$pg_port${durability:+ (not durable)}"
    as_user "$bin/pg_ctl" -D "$data" -l "$dir/pg/server.log" -w -t 60 start -o \
        "-p $pg_port -c listen_addresses=127.0.0.1 -k $dir/pg -c max_connections=300 $durability" >&2 ||
        { tail -n 30 "$dir/pg/server.log" >&2; exit 1; }
}

start_redis() {
    if redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
        say "Redis already answers on 127.0.0.1:$redis_port"
        return
    fi
    mkdir -p "$dir/redis"
    [ -n "$run_user" ] && chown -R "$run_user" "$dir/redis"
    say "starting Redis on 127.0.0.1:$redis_port"
    as_user redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
        --dir "$dir/redis" --daemonize yes --pidfile "$dir/redis/redis.pid" \
        --logfile "$dir/redis/redis.log" >&2
    for _ in $(seq 50); do
        redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && return
        sleep 0.1
    done
    say "Redis did not answer"; tail -n 30 "$dir/redis/redis.log" >&2; exit 1
}

stop_all() {
    local bin
    if bin=$(pg_bin) && [ -s "$dir/pg/data/postmaster.pid" ]; then
        say "stopping PostgreSQL"
        as_user "$bin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >&2 || true
    fi
    if command -v redis-cli >/dev/null 2>&1 &&
        redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
        say "stopping Redis"
        redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    fi
}

case "${1:-start}" in
start)
    mkdir -p "$dir"
    chmod 755 "$dir"
    install_missing
    start_postgres
    start_redis
    echo "export PHONEGUARD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$pg_port/postgres"
    echo "export PHONEGUARD_TEST_REDIS_URL=redis://127.0.0.1:$redis_port"
    ;;
stop) stop_all ;;
*)
    say "usage: $0 [start|stop]"
    exit 2
    ;;
esac
