#!/usr/bin/env python3
"""Server CPU of a verification start+check pair: `/v1` against the Twilio path `/v2`.

    python3 scripts/bench-twilio.py [--bin target/release/phoneguard] [--pairs 1000] [--rounds 3]

Starts `phoneguard serve` (embedded default, access log on) in a temp dir on a
free loopback port, creates a Twilio Verify service, and runs closed-loop
pairs on one keep-alive connection, the two paths interleaved round by round:

  /v1   POST /v1/verifications {phone, channel: sms}, read the code from the
        sandbox outbox, POST /v1/verifications/{id}/check {code}
  /v2   POST /v2/Services/{VA}/Verifications To=…&Channel=sms, read the code,
        POST /v2/Services/{VA}/VerificationCheck To=…&Code=…

Each pair uses a phone of its own (no send limit is reached). The server's CPU
time (utime + stime of its process, /proc) is read before and after each batch;
the outbox read is measured alone and subtracted, so a pair's figure is the
start and the check. Prints µs of server CPU a pair per path and their ratio.
Traffic goes to 127.0.0.1 only, bounded by --pairs × --rounds.
"""

import argparse
import base64
import http.client
import json
import os
import re
import signal
import statistics
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

ADMIN = "adm_bench_twilio_0123456789abcdef"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Conn:
    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port)

    def call(self, method, path, body=None, headers=None, form=False):
        h = dict(headers or {})
        data = None
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body)
                h["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body)
                h["Content-Type"] = "application/json"
        self.c.request(method, path, data, h)
        r = self.c.getresponse()
        text = r.read()
        return r.status, (json.loads(text) if text else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/phoneguard")
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)

    work = tempfile.mkdtemp(prefix="pg-bench-twilio-")
    env = {
        "PATH": os.environ["PATH"],
        "PHONEGUARD_ADMIN_TOKEN": ADMIN,
        "PHONEGUARD_DATABASE_URL": f"sqlite://{work}/pg.db",
        # Load from one tenant to many numbers of one prefix: the pumping guards
        # would stop it (as bench-nodes.sh, the limits are raised out of the way).
        "PHONEGUARD_VERIFY__TENANT_SENDS_PER_MINUTE": "1000000",
        "PHONEGUARD_VERIFY__COUNTRY_SENDS_PER_MINUTE": "1000000",
        "PHONEGUARD_VERIFY__PREFIX_SENDS_PER_HOUR": "1000000",
        "PHONEGUARD_VERIFY__RESEND_COOLDOWN_S": "0",
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
    try:
        c = Conn(port)
        bearer = {"Authorization": f"Bearer {key}"}
        st, tenants = c.call("GET", "/v1/admin/tenants", headers={"Authorization": f"Bearer {ADMIN}"})
        assert st == 200, tenants
        ac = tenants["tenants"][0]["account_sid"]
        basic = {"Authorization": "Basic " + base64.b64encode(f"{ac}:{key}".encode()).decode()}
        st, svc = c.call("POST", "/v2/Services", {"FriendlyName": "Bench"}, basic, form=True)
        assert st == 201, svc
        va = svc["sid"]

        seq = [0]

        def next_phone():
            seq[0] += 1
            return f"1390{seq[0]:07d}"

        def code_of(phone):
            st, m = c.call("GET", f"/v1/sandbox/messages?phone={phone}", headers=bearer)
            assert st == 200, m
            return re.search(r"\d{4,10}", m["messages"][0]["text"]).group(0)

        def pair_v1():
            phone = next_phone()
            st, v = c.call("POST", "/v1/verifications", {"phone": phone, "channel": "sms", "purpose": "login"}, bearer)
            assert st == 201, v
            st, r = c.call("POST", f"/v1/verifications/{v['id']}/check", {"code": code_of(phone)}, bearer)
            assert st == 200 and r["status"] == "approved", r

        def pair_v2():
            phone = next_phone()
            st, v = c.call("POST", f"/v2/Services/{va}/Verifications", {"To": "+86" + phone, "Channel": "sms"}, basic, form=True)
            assert st == 201, v
            st, r = c.call("POST", f"/v2/Services/{va}/VerificationCheck", {"To": "+86" + phone, "Code": code_of(phone)}, basic, form=True)
            assert st == 200 and r["status"] == "approved", r

        def outbox_read():
            c.call("GET", "/v1/sandbox/messages?phone=13900000001", headers=bearer)

        def per_op(fn, n):
            before = cpu_s(proc.pid)
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            wall = time.perf_counter() - t0
            return (cpu_s(proc.pid) - before) / n * 1e6, n / wall

        for fn in (pair_v1, pair_v2):  # warm-up
            for _ in range(100):
                fn()
        v1, v2 = [], []
        for r in range(a.rounds):
            read_us, _ = per_op(outbox_read, a.pairs)
            u1, rate1 = per_op(pair_v1, a.pairs)
            u2, rate2 = per_op(pair_v2, a.pairs)
            v1.append(u1 - read_us)
            v2.append(u2 - read_us)
            print(f"round {r + 1}: outbox read {read_us:.0f} µs; /v1 pair {v1[-1]:.0f} µs ({rate1:.0f} pairs/s); "
                  f"/v2 pair {v2[-1]:.0f} µs ({rate2:.0f} pairs/s); ratio {v2[-1] / v1[-1]:.3f}")
        m1, m2 = statistics.median(v1), statistics.median(v2)
        print(f"median: /v1 pair {m1:.0f} µs server CPU, /v2 pair {m2:.0f} µs, ratio {m2 / m1:.3f} (target ≤ 1.10)")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        # The database (with a WAL of up to a GiB after a long series) goes too.
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
