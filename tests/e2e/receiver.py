#!/usr/bin/env python3
"""A webhook receiver for the end-to-end tests, on 127.0.0.1 only.

It verifies every request with its own implementation of the Standard
Webhooks scheme (Python's hmac/hashlib/base64, nothing shared with
courtrules) and appends one JSON line per request to LOG:
  {"path", "id", "timestamp", "arrived" (time.time()), "concurrent" (requests
   to the same path being handled when it arrived, itself included),
   "verified", "status", "body", "dingtalk_ok", "feishu_ok"}

Behaviour by path (the first segment; the rest is ignored):
  /ok            200
  /reject        400 (not retried)
  /fail          500 (retried)
  /busy          429 with Retry-After: BUSY_SECONDS (default 1)
  /gone          410 (the endpoint gets disabled)
  /hang          sleeps HANG_SECONDS (default 5) before answering 200
  /close         closes the connection without an answer
  /flaky         500 for the first FLAKY_FAILS (default 2) tries of each
                 webhook-id, then 200
  /slow          sleeps SLOW_MS (default 20) then 200

Usage: receiver.py PORT_FILE LOG SECRET [SECRET2]
PORT_FILE receives the port it listens on (chosen by the kernel).
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT_FILE, LOG = sys.argv[1], sys.argv[2]
SECRETS = sys.argv[3:]
LOCK = threading.Lock()
TRIES = {}
ACTIVE = {}  # path -> requests being answered now


def key_of(secret):
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode()


def verify(msg_id, ts, body, header):
    """Standard Webhooks: any 'v1,<sig>' in the header matches any secret."""
    if not (msg_id and ts and header):
        return False
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    for secret in SECRETS:
        want = base64.b64encode(hmac.new(key_of(secret), signed, hashlib.sha256).digest())
        for entry in header.split(" "):
            version, _, sig = entry.partition(",")
            if version == "v1" and hmac.compare_digest(sig.encode(), want):
                return True
    return False


def dingtalk_ok(query):
    """钉钉: sign = urlencode(base64(HMAC-SHA256(secret, ts + "\\n" + secret)))."""
    q = urllib.parse.parse_qs(query)
    if "timestamp" not in q or "sign" not in q or not SECRETS:
        return False
    ts, secret = q["timestamp"][0], SECRETS[0]
    want = base64.b64encode(hmac.new(secret.encode(), (ts + "\n" + secret).encode(),
                                     hashlib.sha256).digest()).decode()
    return hmac.compare_digest(q["sign"][0], want)


def feishu_ok(body):
    """飞书: sign = base64(HMAC-SHA256(key = ts + "\\n" + secret, msg = ""))."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    if "timestamp" not in doc or "sign" not in doc or not SECRETS:
        return False
    key = (doc["timestamp"] + "\n" + SECRETS[0]).encode()
    want = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return hmac.compare_digest(doc["sign"], want)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (killed, or gave up on a hang)

    def setup(self):
        super().setup()
        # headers and body go out as two writes: without this, Nagle and the
        # client's delayed ACK add 40 ms to every request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        url = urllib.parse.urlsplit(self.path)
        kind = url.path.strip("/").split("/")[0]
        msg_id = self.headers.get("webhook-id")
        ts = self.headers.get("webhook-timestamp")
        status = 200
        extra = {}
        with LOCK:
            TRIES[msg_id] = TRIES.get(msg_id, 0) + 1
            tries = TRIES[msg_id]
            ACTIVE[url.path] = ACTIVE.get(url.path, 0) + 1
            concurrent = ACTIVE[url.path]
        arrived = time.time()
        if kind == "reject":
            status = 400
        elif kind == "fail":
            status = 500
        elif kind == "busy":
            status = 429
            extra["Retry-After"] = os.environ.get("BUSY_SECONDS", "1")
        elif kind == "gone":
            status = 410
        elif kind == "hang":
            time.sleep(float(os.environ.get("HANG_SECONDS", "5")))
        elif kind == "flaky" and tries <= int(os.environ.get("FLAKY_FAILS", "2")):
            status = 500
        elif kind == "slow":
            time.sleep(int(os.environ.get("SLOW_MS", "20")) / 1000.0)
        with LOCK:
            ACTIVE[url.path] -= 1
        record = {
            "path": url.path, "id": msg_id, "timestamp": ts,
            "arrived": arrived, "concurrent": concurrent,
            "verified": verify(msg_id, ts, body, self.headers.get("webhook-signature")),
            "dingtalk_ok": dingtalk_ok(url.query), "feishu_ok": feishu_ok(body),
            "status": status, "body": body.decode("utf-8", "replace"),
        }
        with LOCK:
            with open(LOG, "a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        if kind == "close":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        reply = json.dumps({"ok": status < 300}).encode()
        try:
            self.send_response(status)
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a hang past its timeout)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


server = Server(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
