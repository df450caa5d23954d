#!/usr/bin/env bash
# Start-up benchmark: time from exec of `phoneguard serve` (embedded default:
# SQLite file + bundled number table) to the first `GET /healthz` answered 200.
#
# Each run starts the release binary in a fresh temporary directory (empty
# database: migrations, hash secret, admin token, tenant `default` and its key
# are all created), then starts it again on the database the first run left
# (the usual restart). /healthz is polled every ~5 ms over a raw socket by a
# Python driver that also execs the server, so the clock starts at exec.
#
# usage: scripts/bench-ready.sh            (from the repository root)
# env:   PHONEGUARD_BIN  binary to test     (default target/release/phoneguard)
#        RUNS            runs of each kind  (default 5)
#        POLL_MS         poll interval      (default 5)
#        TIMEOUT_S       give up after      (default 10)
# target: ready <= 300 ms
set -euo pipefail

BIN=${PHONEGUARD_BIN:-target/release/phoneguard}
RUNS=${RUNS:-5}
POLL_MS=${POLL_MS:-5}
TIMEOUT_S=${TIMEOUT_S:-10}

if [[ ! -x "$BIN" ]]; then
    echo "no phoneguard binary at $BIN: run 'cargo build --release -p phoneguard' or set PHONEGUARD_BIN" >&2
    exit 1
fi
command -v python3 >/dev/null || { echo "python3 is needed to drive the benchmark" >&2; exit 1; }
BIN=$(realpath "$BIN")
echo "machine: $(nproc) cores, $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed "s/^ //"), load average $(cut -d" " -f1-3 /proc/loadavg), $(date -u +%FT%TZ)" >&2

exec python3 - "$BIN" "$RUNS" "$POLL_MS" "$TIMEOUT_S" <<'PYEOF'
import os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

bin_, runs, poll_ms, timeout_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

def healthz(port):
    """True when GET /healthz answers 200 (one connection, closed after)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            head = c.recv(64)
            return head.startswith(b"HTTP/1.1 200")
    except OSError:
        return False

def one_start(workdir):
    port = free_port()
    env = dict(os.environ, PHONEGUARD_LOG__LEVEL="warn")
    env.pop("PHONEGUARD_CONFIG", None)
    args = [bin_, "serve", "--listen", f"127.0.0.1:{port}", "--database", "sqlite://phoneguard.db"]
    out = open(os.path.join(workdir, "stdout.txt"), "ab")
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    polls = 0
    try:
        while True:
            polls += 1
            if healthz(port):
                ms = (time.perf_counter() - t0) * 1000
                break
            if proc.poll() is not None:
                sys.exit(f"phoneguard exited with {proc.returncode}; see {workdir}/stdout.txt")
            if time.perf_counter() - t0 > timeout_s:
                sys.exit(f"no 200 from /healthz within {timeout_s} s")
            time.sleep(poll_ms / 1000)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()
    return ms, polls

fresh, existing = [], []
for i in range(runs):
    d = tempfile.mkdtemp(prefix="phoneguard-ready-")
    try:
        ms, polls = one_start(d)
        fresh.append(ms)
        print(f"run {i + 1}: fresh database    {ms:7.1f} ms  ({polls} polls)")
        ms, polls = one_start(d)
        existing.append(ms)
        print(f"run {i + 1}: existing database {ms:7.1f} ms  ({polls} polls)")
    finally:
        shutil.rmtree(d, ignore_errors=True)

for name, xs in (("fresh database", fresh), ("existing database", existing)):
    med, mx = statistics.median(xs), max(xs)
    verdict = "PASS" if mx <= 300 else ("PASS (median)" if med <= 300 else "FAIL")
    print(f"{name:18s} median {med:6.1f} ms  max {mx:6.1f} ms  (target <= 300 ms: {verdict})")
PYEOF
