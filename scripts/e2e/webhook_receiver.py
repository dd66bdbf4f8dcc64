#!/usr/bin/env python3
"""A webhook receiver for the alerting end-to-end test.

usage: webhook_receiver.py PORT OUT.jsonl SECRET

Appends one JSON line per POST: path, Idempotency-Key, whether the X-IOC-Signature
(sha256=HMAC-SHA256(SECRET, "<X-IOC-Timestamp>." + body)) verifies, and the JSON body.
GET /health answers 200.
"""
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, OUT, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok\n")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        stamp = self.headers.get("X-IOC-Timestamp", "")
        expected = "sha256=" + hmac.new(SECRET, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        verified = hmac.compare_digest(expected, self.headers.get("X-IOC-Signature", ""))
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        record = {"path": self.path, "idempotency_key": self.headers.get("Idempotency-Key"),
                  "verified": verified, "body": parsed}
        with open(OUT, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.send_response(200 if verified else 401)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, fmt, *args):
        sys.stderr.write("webhook: " + (fmt % args) + "\n")


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
