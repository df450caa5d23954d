#!/usr/bin/env python3
"""Device identity under load: `POST /v1/devices` throughput, and what a
`device_token` adds to a risk event's server CPU over a bare `device_id`.

    python3 scripts/bench-devices.py [--bin target/release/phoneguard]
        [--loadgen target/release/pg-loadgen] [--rate 5000] [--risk-rate 1000] [--duration 10]

Starts `phoneguard serve` (embedded default, access log on) in a temp dir on a
free loopback port, makes a publishable key, and runs `pg-loadgen` (open loop)
against it:

  1. new browsers      POST /v1/devices, every body a fingerprint never seen
  2. returning         POST /v1/devices with the stored device_id of a known browser
  3. risk, bare id     POST /v1/risk/register with device_id (unverified)
  4. risk, token       POST /v1/risk/register with the device_token of a known browser

For each: the rate achieved, latency percentiles (pg-loadgen's output) and the
server's CPU time per request (utime + stime of its process, /proc). Traffic
goes to 127.0.0.1 only, bounded by --duration at the given rates.
"""

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

ADMIN = "adm_bench_devices_0123456789abcdef"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def browser(i):
    return {
        "user_agent": f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.{i % 5000}.0 Safari/537.36",
        "platform": "Win32",
        "languages": ["zh-CN", "en"],
        "timezone": "Asia/Shanghai",
        "screen": {"width": 1920, "height": 1080, "color_depth": 24},
        "hardware_concurrency": 8,
        "device_memory": 8,
        "touch_points": 0,
        "canvas_hash": f"{i:016x}",
        "webgl_renderer": "ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)",
        "webdriver": False,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/phoneguard")
    ap.add_argument("--loadgen", default="target/release/pg-loadgen")
    ap.add_argument("--rate", type=int, default=5000)
    ap.add_argument("--risk-rate", type=int, default=1000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--known", type=int, default=2000)
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    a.loadgen = os.path.abspath(a.loadgen)

    work = tempfile.mkdtemp(prefix="pg-bench-devices-")
    env = {
        "PATH": os.environ["PATH"],
        "PHONEGUARD_ADMIN_TOKEN": ADMIN,
        "PHONEGUARD_DATABASE_URL": f"sqlite://{work}/pg.db",
        # Load from one tenant to many numbers of one prefix: the pumping guards
        # would stop it (as bench-nodes.sh, the limits are raised out of the way).
        "PHONEGUARD_VERIFY__TENANT_SENDS_PER_MINUTE": "1000000",
        "PHONEGUARD_VERIFY__COUNTRY_SENDS_PER_MINUTE": "1000000",
        "PHONEGUARD_VERIFY__PREFIX_SENDS_PER_HOUR": "1000000",
    }
    proc = subprocess.Popen(
        [a.bin, "serve", "--listen", "127.0.0.1:0"],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    key, port = None, None
    for line in proc.stdout:
        t = line.strip()
        if t.startswith("pk_test_"):
            key = t
        m = re.match(r"^phoneguard: listening on http://127\.0\.0\.1:(\d+)$", t)
        if m:
            port = int(m.group(1))
            break
    assert key and port, "server did not start"
    base = f"http://127.0.0.1:{port}"
    c = http.client.HTTPConnection("127.0.0.1", port)

    def call(method, path, body, token):
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")

    try:
        st, tenants = call("GET", "/v1/admin/tenants", None, ADMIN)
        tenant = tenants["tenants"][0]["id"]
        st, k = call("POST", f"/v1/admin/tenants/{tenant}/keys",
                     {"mode": "publishable", "allowed_origins": ["https://shop.example"]}, ADMIN)
        assert st == 201, k
        pub = k["key"]
        known = []
        for i in range(a.known):
            doc = browser(10_000_000 + i)
            st, d = call("POST", "/v1/devices", doc, pub)
            assert st in (200, 201), d
            known.append((doc, d["device_id"], d["device_token"]))
        n = a.rate * a.duration
        files = {
            "new": [json.dumps(browser(i)) for i in range(n)],
            "returning": [json.dumps(dict(doc, device_id=dev)) for doc, dev, _ in known],
            "risk_bare": [json.dumps({"account": f"user{i}", "ip": f"58.30.{i % 200}.{i % 250 + 1}", "device_id": dev})
                          for i, (_, dev, _) in enumerate(known)],
            "risk_token": [json.dumps({"account": f"user{i}", "ip": f"58.30.{i % 200}.{i % 250 + 1}", "device_token": tok})
                           for i, (_, _, tok) in enumerate(known)],
        }
        for name, lines in files.items():
            with open(f"{work}/{name}.jsonl", "w") as f:
                f.write("\n".join(lines) + "\n")
        runs = [
            ("POST /v1/devices, new browsers", "/v1/devices", "new", pub, a.rate),
            ("POST /v1/devices, returning browsers", "/v1/devices", "returning", pub, a.rate),
            ("risk event, bare device_id", "/v1/risk/register", "risk_bare", key, a.risk_rate),
            ("risk event, device_token", "/v1/risk/register", "risk_token", key, a.risk_rate),
        ]
        for label, path, name, token, rate in runs:
            before = cpu_s(proc.pid)
            out = subprocess.run(
                [a.loadgen, "--url", base + path, "--rate", str(rate), "--duration", str(a.duration),
                 "--key", token, "--bodies", f"{work}/{name}.jsonl"],
                capture_output=True, text=True, check=True,
            ).stdout
            used = cpu_s(proc.pid) - before
            m = re.search(r"sent (\d+) in", out)
            sent = int(m.group(1)) if m else rate * a.duration
            print(f"== {label} at {rate}/s for {a.duration} s: {used / sent * 1e6:.1f} µs server CPU a request")
            print(out.strip())
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
