#!/usr/bin/env bash
# Whole-process lookup benchmark: `phoneguard lookup --file F --json` against
# the Python `phone` package (0.4.5, the source of our table) over the same
# 1,000,000 numbers, each printing one JSON object per line.
#
# usage: scripts/bench-lookup.sh            (from the repository root)
# env:   PHONEGUARD_BIN  binary to test     (default target/release/phoneguard)
#        N               how many numbers   (default 1000000)
#        OUT             scratch directory  (default bench-out)
#        VENV            venv with `phone`  (default /tmp/phoneguard-bench-venv)
set -euo pipefail

BIN=${PHONEGUARD_BIN:-target/release/phoneguard}
N=${N:-1000000}
OUT=${OUT:-bench-out}
VENV=${VENV:-/tmp/phoneguard-bench-venv}
NUMBERS="$OUT/numbers.txt"

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

# Wall-clock seconds of a command, its stdout to a file.
timed() {
    local out=$1; shift
    local start end
    start=$(date +%s%N)
    "$@" > "$out"
    end=$(date +%s%N)
    awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }'
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
py_s=$(timed "$OUT/python.jsonl" "$PY" -c "$PY_SCRIPT" "$NUMBERS")
echo "python phone 0.4.5: ${py_s} s  ($(wc -l < "$OUT/python.jsonl") lines)"

pg_s=$(timed "$OUT/phoneguard.jsonl" "$BIN" lookup --file "$NUMBERS" --json)
echo "phoneguard lookup:  ${pg_s} s  ($(wc -l < "$OUT/phoneguard.jsonl") lines)"

pg_csv_s=$(timed "$OUT/phoneguard.csv" "$BIN" lookup --file "$NUMBERS")
echo "phoneguard lookup (CSV): ${pg_csv_s} s  ($(($(wc -l < "$OUT/phoneguard.csv") - 1)) rows + header)"

# `lookup --file` spreads chunks over the cores; the peer uses one. Also on one core:
if command -v taskset >/dev/null; then
    pg1_s=$(timed "$OUT/phoneguard-1core.jsonl" taskset -c 0 "$BIN" lookup --file "$NUMBERS" --json)
    echo "phoneguard lookup, 1 core (taskset -c 0): ${pg1_s} s"
fi

ratio() { awk -v a="$py_s" -v b="$1" 'BEGIN { printf "%.1f", a / b }'; }
echo "ratio JSON: $(ratio "$pg_s")x faster (target >= 30x)"
echo "ratio CSV:  $(ratio "$pg_csv_s")x faster (target >= 30x)"
if [[ -n ${pg1_s:-} ]]; then echo "ratio JSON, 1 core: $(ratio "$pg1_s")x faster"; fi

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

if command -v /usr/bin/time >/dev/null; then
    rss=$(/usr/bin/time -f '%M' "$BIN" lookup --file "$NUMBERS" --json 2>&1 >/dev/null | tail -1)
    echo "phoneguard lookup max RSS: ${rss} KiB"
fi
