#!/usr/bin/env python3
"""Aliyun's official Dypnsapi SDK against phoneguard's Aliyun-compatible front.

    python scripts/aliyun/sdk_check.py --bin target/debug/phoneguard

Run by scripts/aliyun/ci.sh in a venv with the pinned SDK. Starts
`phoneguard serve` on a free loopback port (fresh temp dir, a master key),
issues a test AccessKey pair for the default tenant, and with the SDK
pointed at the server (`protocol=http`), in both signature modes (the
default ACS3-HMAC-SHA256 and `signature_algorithm='v2'`, RPC HMAC-SHA1):
GetMobile with a sandbox token returns the number; VerifyMobile returns
PASS for the token's number and REJECT for another; a reused token is
`isv.TOKEN_USED`; a wrong secret is `SignatureDoesNotMatch`.
"""

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from alibabacloud_dypnsapi20170525 import models as m
from alibabacloud_dypnsapi20170525.client import Client
from alibabacloud_tea_openapi import models as open_api_models

PHONE = "13800138000"
OTHER = "13900139000"


def start(binary, workdir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHONEGUARD_")}
    env["PHONEGUARD_MASTER_KEY"] = secrets.token_hex(32)
    log = os.path.join(workdir, "server.log")
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}"], cwd=workdir,
                            env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        text = open(log, encoding="utf-8", errors="replace").read()
        if "listening on" in text:
            admin = re.search(r"\b(adm_\S+)", text).group(1)
            key = re.search(r"\b(pk_test_\S+)", text).group(1)
            return proc, f"127.0.0.1:{port}", admin, key
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"sdk_check: the server did not start:\n{open(log).read()}")


def call(host, method, path, token, body=None):
    req = urllib.request.Request(f"http://{host}{path}", method=method,
                                 headers={"authorization": f"Bearer {token}",
                                          "content-type": "application/json"},
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def client(host, key_id, secret, algorithm):
    cfg = open_api_models.Config(access_key_id=key_id, access_key_secret=secret,
                                 endpoint=host, protocol="http")
    if algorithm:
        cfg.signature_algorithm = algorithm
    return Client(cfg)


def check(what, ok, got):
    print(f"  {'ok ' if ok else 'FAIL'} {what}: {got}")
    if not ok:
        raise SystemExit(f"sdk_check: {what} failed: {got}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    binary = os.path.abspath(ap.parse_args().bin)
    workdir = tempfile.mkdtemp(prefix="pg-aliyun-sdk-")
    proc, host, admin, key = start(binary, workdir)
    try:
        tenants = call(host, "GET", "/v1/admin/tenants", admin)["tenants"]
        tenant = next(t["id"] for t in tenants if t["name"] == "default")
        pair = call(host, "POST", f"/v1/admin/tenants/{tenant}/access-keys", admin, {"mode": "test"})
        key_id, secret = pair["access_key_id"], pair["access_key_secret"]

        def token(phone):
            return call(host, "POST", "/v1/sandbox/carrier-tokens", key, {"phone": phone})["carrier_token"]

        for algorithm, name in [(None, "ACS3-HMAC-SHA256"), ("v2", "RPC HMAC-SHA1")]:
            print(f"{name}:")
            c = client(host, key_id, secret, algorithm)
            t = token(PHONE)
            r = c.get_mobile(m.GetMobileRequest(access_token=t)).body
            check("GetMobile returns the number", r.code == "OK" and r.get_mobile_result_dto.mobile == PHONE,
                  (r.code, r.get_mobile_result_dto and r.get_mobile_result_dto.mobile))
            r = c.get_mobile(m.GetMobileRequest(access_token=t)).body
            check("a reused token is isv.TOKEN_USED", r.code == "isv.TOKEN_USED", r.code)
            r = c.verify_mobile(m.VerifyMobileRequest(access_code=token(PHONE), phone_number=PHONE)).body
            check("VerifyMobile PASS", r.code == "OK" and r.gate_verify_result_dto.verify_result == "PASS",
                  (r.code, r.gate_verify_result_dto and r.gate_verify_result_dto.verify_result))
            r = c.verify_mobile(m.VerifyMobileRequest(access_code=token(PHONE), phone_number=OTHER)).body
            check("VerifyMobile REJECT", r.code == "OK" and r.gate_verify_result_dto.verify_result == "REJECT",
                  (r.code, r.gate_verify_result_dto and r.gate_verify_result_dto.verify_result))
            wrong = client(host, key_id, secret[:-1] + ("x" if secret[-1] != "x" else "y"), algorithm)
            try:
                wrong.get_mobile(m.GetMobileRequest(access_token=token(PHONE)))
                check("a wrong secret is refused", False, "answered")
            except Exception as e:  # the SDK raises its ClientException / TeaException
                code = getattr(e, "code", None)
                check("a wrong secret is SignatureDoesNotMatch", code == "SignatureDoesNotMatch", code)
        print("sdk_check: all passed")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
