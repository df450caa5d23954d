#!/usr/bin/env python3
# Ready time and send-window replay of one SQLite node holding N sends of the
# last hour (issue 4: a restart forgets no send limit). Run from anywhere after
# `cargo build --release -p phoneguard`; works in a temp dir. PHONEGUARD_BIN overrides the binary.
import os, re, socket, subprocess, sqlite3, sys, time
import tempfile
BIN=os.path.realpath(os.environ.get("PHONEGUARD_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "phoneguard")))
os.chdir(tempfile.mkdtemp(prefix="pg-seed-"))
def free_port():
    s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close(); return p
def ok(port):
    try:
        with socket.create_connection(("127.0.0.1",port),timeout=0.5) as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); return c.recv(64).startswith(b"HTTP/1.1 200")
    except OSError: return False
def start():
    """(ms to the first /healthz 200, ms the log gives for the replay)."""
    port=free_port(); env={k:v for k,v in os.environ.items() if not k.startswith("PHONEGUARD_")}
    env["PHONEGUARD_LOG__LEVEL"]="debug"  # the replay logs at info only from 1 s
    log=open("log.txt","w+")
    t0=time.perf_counter()
    p=subprocess.Popen([BIN,"serve","--listen",f"127.0.0.1:{port}","--database","sqlite://seed.db"],env=env,stdout=subprocess.DEVNULL,stderr=log)
    while not ok(port): time.sleep(0.003)
    t=time.perf_counter()-t0
    replay=None
    for _ in range(3000):
        log.seek(0)
        m=re.search(r"send windows seeded.* ms=(\d+)", log.read())
        if m: replay=int(m.group(1)); break
        time.sleep(0.01)
    p.terminate(); p.wait(); return round(t*1000), replay
start()
db=sqlite3.connect("seed.db")
now=int(time.time()*1000)
total=0
for n in [0, 10_000, 100_000, 1_000_000]:
    add=n-total
    db.executemany("INSERT INTO verify_sends (tenant_id, at, phone, ip_hash, country, prefix) VALUES (?,?,?,?,?,?)",
        (("ten_x", now - (i % 3_000_000), f"+86138{i%10_000_000:08d}", f"ip{i%5000}", "CN", f"CN:138{(i//1000)%10000:04d}") for i in range(add)))
    db.commit(); total=n
    runs=[start() for _ in range(3)]
    print(f"{n} recent sends: ready {[r[0] for r in runs]} ms, replay {[r[1] for r in runs]} ms", flush=True)
