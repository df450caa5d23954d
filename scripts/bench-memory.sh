#!/usr/bin/env bash
# Resident memory of the number table (target <= 4 MiB).
#
# Max RSS (/usr/bin/time -v) of the same binary doing:
#   a. `phoneguard --version`                      no table at all
#   b. `phoneguard lookup --file one.txt --json`   table loaded, one lookup
#   c. `phoneguard lookup --file all.txt --json`   every 7-digit prefix of the table's
#                                                  index (P0 .. P0+N-1 from the header
#                                                  of data/numbering.bin), one number each
#   d. `phoneguard lookup --file same.txt --json`  as many lines, all 13800138000
# Loading validates the checksum and every index slot, so b already touches the
# whole embedded table (file-backed pages of the binary) and builds the record
# heap: b - a is the table's resident cost. c and d run the same chunked,
# multi-threaded pipeline over the same number of lines (its 64k-line input and
# output buffers dominate their RSS), so c - d is what visiting every prefix
# adds over hitting one slot: pages the load did not touch.
#   table resident = (b - a) + max(0, c - d)    (an upper bound: b - a also holds
#   the code pages of parsing, lookup and JSON, and the 1 MiB I/O buffers' heads)
#
# usage: scripts/bench-memory.sh           (from the repository root)
# env:   PHONEGUARD_BIN  binary to test     (default target/release/phoneguard)
#        RUNS            runs of each, median kept (default 5)
set -euo pipefail

BIN=${PHONEGUARD_BIN:-target/release/phoneguard}
if [[ ! -x "$BIN" ]]; then
    echo "no phoneguard binary at $BIN: run 'cargo build --release -p phoneguard' or set PHONEGUARD_BIN" >&2
    exit 1
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "installing time" >&2
    apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
echo "machine: $(nproc) cores, $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed "s/^ //"), load average $(cut -d" " -f1-3 /proc/loadavg), $(date -u +%FT%TZ)" >&2
WORK=$(mktemp -d /tmp/phoneguard-mem-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

TABLE="$(dirname "$0")/../data/numbering.bin"
read -r P0 N < <(python3 -c 'import struct,sys; h=open(sys.argv[1],"rb").read(40); print(*struct.unpack_from("<2I",h,24))' "$TABLE")
echo 13800138000 > "$WORK/one.txt"
seq -f '%.0f0000' "$P0" $((P0 + N - 1)) > "$WORK/all.txt"
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) print "13800138000" }' > "$WORK/same.txt"

RUNS=${RUNS:-5}
maxrss() { # command… → median KiB over RUNS runs
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
    done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
a=$(maxrss "$BIN" --version)
b=$(maxrss "$BIN" lookup --file "$WORK/one.txt" --json)
c=$(maxrss "$BIN" lookup --file "$WORK/all.txt" --json)
d=$(maxrss "$BIN" lookup --file "$WORK/same.txt" --json)
size=$(stat -c %s "$TABLE")
lazy=$((c > d ? c - d : 0))
table=$((b - a + lazy))

kib() { awk -v k="$1" 'BEGIN { printf "%6d KiB (%.2f MiB)", k, k / 1024 }'; }
echo "a. --version (no table)                 max RSS $(kib "$a")"
echo "b. lookup of one number                 max RSS $(kib "$b")"
echo "c. lookup of all $N prefixes       max RSS $(kib "$c")"
echo "d. lookup of $N x 13800138000     max RSS $(kib "$d")"
echo "b - a  (load: index touched, records built)     $(kib $((b - a)))"
echo "c - d  (extra pages touched by every prefix)    $(kib $((c - d)))"
echo "table resident = (b - a) + max(0, c - d)        $(kib "$table")"
echo "data/numbering.bin (embedded in the binary)     $(kib $((size / 1024))) = $size bytes"
verdict=$(awk -v d="$table" 'BEGIN { print (d <= 4096 ? "PASS" : "FAIL") }')
echo "target: table resident <= 4 MiB: $verdict"
