"""Captures what Aliyun's official SDK sends, with a fixed date and nonce."""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_dypnsapi20170525.client import Client
from alibabacloud_dypnsapi20170525 import models as m

Utils.get_timestamp = staticmethod(lambda: "2026-12-07T03:00:00Z")
Utils.get_nonce = staticmethod(lambda: "3f1b5c0e-nonce-fixed")
try:
    from alibabacloud_tea_util.client import Client as TU
    TU.get_nonce = staticmethod(lambda: "3f1b5c0e-nonce-fixed")
except Exception:
    pass
try:
    from alibabacloud_openapi_util.client import Client as OU
    OU.get_timestamp = staticmethod(lambda: "2026-12-07T03:00:00Z")
except Exception:
    pass
seen = []
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n).decode()
        seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        out = json.dumps({"Code": "OK", "Message": "OK", "RequestId": "R1",
            "GetMobileResultDTO": {"Mobile": "13800138000"}}).encode()
        self.send_response(200); self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out))); self.end_headers(); self.wfile.write(out)
    def log_message(self, *a): pass
srv = HTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
for algo in [None, "v2"]:
    cfg = open_api_models.Config(access_key_id="LTAI5tTestKeyId000001", access_key_secret="testSecret0123456789abcdefghij",
        endpoint=f"127.0.0.1:{srv.server_port}", protocol="http")
    if algo: cfg.signature_algorithm = algo
    c = Client(cfg)
    r = c.get_mobile(m.GetMobileRequest(access_token="tok-ABC_123=+/ 中"))
    print(algo, r.body.get_mobile_result_dto.mobile, file=sys.stderr)
print(json.dumps(seen, indent=1, ensure_ascii=False))
