#!/usr/bin/env bash
# Whole-process lookup benchmark: `phoneguard lookup --file F --json` against
# the Python `phone` package (0.4.5, the source of our table) over the same
# 1,000,000 numbers, each printing one JSON object per line.
#
# usage: scripts/bench-lookup.sh            (from the repository root)
# env:   PHONEGUARD_BIN  binary to test     (default target/release/phoneguard)
#        RUNS            runs of each phoneguard command, median kept (default 5)
#        N               how many numbers   (default 1000000)
#        OUT             scratch directory  (default bench-out)
#        VENV            venv with `phone`  (default /tmp/phoneguard-bench-venv)
set -euo pipefail

BIN=${PHONEGUARD_BIN:-target/release/phoneguard}
N=${N:-1000000}
OUT=${OUT:-bench-out}
VENV=${VENV:-/tmp/phoneguard-bench-venv}
NUMBERS="$OUT/numbers.txt"

echo "machine: $(nproc) cores, $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed "s/^ //"), load average $(cut -d" " -f1-3 /proc/loadavg), $(date -u +%FT%TZ)" >&2
mkdir -p "$OUT"
if [[ ! -x "$BIN" ]]; then
    echo "no phoneguard binary at $BIN: run 'cargo build --release' or set PHONEGUARD_BIN" >&2
    exit 1
fi
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import phone' 2>/dev/null; then
    echo "installing phone==0.4.5 into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet phone==0.4.5
fi
PY="$VENV/bin/python"
if [[ ! -x /usr/bin/time ]]; then
    echo "installing time" >&2
    apt-get update -qq && apt-get install -y -qq time >/dev/null
fi

# Realistic numbers: a random allocated segment, then eight random digits
# (fixed seed, so runs compare).
"$PY" - "$N" "$NUMBERS" <<'PYEOF'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
segments = [130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 145, 147, 149, 150, 151, 152,
            153, 155, 156, 157, 158, 159, 162, 165, 166, 167, 170, 171, 172, 173, 175, 176,
            177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193,
            195, 196, 197, 198, 199]
rng = random.Random(20231225)
with open(path, "w") as f:
    for _ in range(n):
        f.write(f"{rng.choice(segments)}{rng.randrange(10**8):08d}\n")
PYEOF
echo "generated $N numbers in $NUMBERS"

# "wall cpu" seconds of a command, its stdout to a file. cpu = user + system over
# all its threads: steadier than wall-clock on a shared machine, and the fair
# figure against a single-threaded peer (lookup --file uses every core).
# Each command starts after `sync`: the previous command's dirty pages (the
# Python run writes ~200 MB) are on disk, so no run pays another's writeback.
timed() {
    local out=$1; shift
    local start end
    rm -f "$out"
    sync
    start=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$OUT/time.txt" "$@" > "$out"
    end=$(date +%s%N)
    awk -v ns=$((end - start)) '{ printf "%.3f %.2f\n", ns / 1e9, $1 + $2 }' "$OUT/time.txt"
}

PY_SCRIPT='
import json, sys
from phone import Phone
p = Phone()
out = sys.stdout
for line in open(sys.argv[1]):
    n = line.strip()
    out.write(json.dumps({"number": n, "info": p.find(n)}, ensure_ascii=False))
    out.write("\n")
'
read -r py_s py_cpu < <(timed "$OUT/python.jsonl" "$PY" -c "$PY_SCRIPT" "$NUMBERS")
echo "python phone 0.4.5:       ${py_s} s wall, ${py_cpu} s CPU  ($(wc -l < "$OUT/python.jsonl") lines)"

# phoneguard runs take well under a second, so a stray page-cache stall weighs
# on one run: each is run RUNS times (default 5) and the median kept (by wall
# time; all runs are printed).
RUNS=${RUNS:-5}
median_run() {
    local out=$1; shift
    local i
    for ((i = 0; i < RUNS; i++)); do
        timed "$out" "$@"
    done | sort -n | tee "$OUT/runs.txt" | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}
read -r pg_s pg_cpu < <(median_run "$OUT/phoneguard.jsonl" "$BIN" lookup --file "$NUMBERS" --json)
echo "phoneguard lookup --json: ${pg_s} s wall, ${pg_cpu} s CPU, median of $RUNS ($(wc -l < "$OUT/phoneguard.jsonl") lines; runs: $(tr '\n' ';' < "$OUT/runs.txt"))"

read -r csv_s csv_cpu < <(median_run "$OUT/phoneguard.csv" "$BIN" lookup --file "$NUMBERS")
echo "phoneguard lookup (CSV):  ${csv_s} s wall, ${csv_cpu} s CPU, median of $RUNS ($(($(wc -l < "$OUT/phoneguard.csv") - 1)) rows + header; runs: $(tr '\n' ';' < "$OUT/runs.txt"))"

# `lookup --file` spreads chunks over the cores; the peer uses one. Also on one core:
if command -v taskset >/dev/null; then
    read -r one_s one_cpu < <(median_run "$OUT/phoneguard-1core.jsonl" taskset -c 0 "$BIN" lookup --file "$NUMBERS" --json)
    echo "phoneguard --json, 1 core (taskset -c 0): ${one_s} s wall, ${one_cpu} s CPU"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
echo "ratio JSON: $(ratio "$py_s" "$pg_s")x faster wall-clock, $(ratio "$py_cpu" "$pg_cpu")x less CPU (target >= 30x)"
echo "ratio CSV:  $(ratio "$py_s" "$csv_s")x faster wall-clock, $(ratio "$py_cpu" "$csv_cpu")x less CPU (target >= 30x)"
if [[ -n ${one_s:-} ]]; then
    echo "ratio JSON, 1 core: $(ratio "$py_s" "$one_s")x faster wall-clock"
fi

# The peer's in-process rate, for docs/benchmarks.md.
"$PY" - "$NUMBERS" <<'PYEOF'
import sys, time
from phone import Phone
p = Phone()
numbers = [line.strip() for line in open(sys.argv[1])]
start = time.perf_counter()
for n in numbers:
    p.find(n)
elapsed = time.perf_counter() - start
print(f"python phone in-process: {len(numbers) / elapsed / 1e6:.3f} M lookups/s "
      f"({elapsed * 1e9 / len(numbers):.0f} ns each)")
PYEOF

rss=$(/usr/bin/time -f '%M' "$BIN" lookup --file "$NUMBERS" --json 2>&1 >/dev/null | tail -1)
echo "phoneguard lookup max RSS: ${rss} KiB (mostly the 64k-line chunk buffers; see scripts/bench-memory.sh)"
