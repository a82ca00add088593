"""The demo's deployed service: a tiny HTTPS API on 127.0.0.1 that is almost ready to go live.

It answers well on some checks and badly on others, so the demo shows every kind of result.
"""

from __future__ import annotations

import gzip
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GOOD_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class _DemoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "apiq-demo/1.0"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/api/health":
            self._send(
                200, json.dumps({"status": "ok", "checks": {"database": "ok", "queue": "ok"}}), "application/json"
            )
        elif self.path == "/api/workflows":
            time.sleep(0.03)  # a realistic, quick API call
            self._send(200, json.dumps({"workflows": []}), "application/json")
        elif self.path == "/":
            # The page forgets its Content-Security-Policy: the headers item will say so.
            self._send(200, "<!doctype html><title>APIQ</title><h1>APIQ</h1>" + "<p>Workflows</p>" * 200, "text/html")
        else:
            self._send(404, json.dumps({"error": "not found"}), "application/json")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == "/api/workflows/generate":
            time.sleep(0.12)  # natural-language generation is the slow path
            self._send(200, json.dumps({"workflow": {"steps": 2}}), "application/json")
        else:
            self._send(404, json.dumps({"error": "not found"}), "application/json")

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode()
        self.send_response(status)
        for name, value in GOOD_HEADERS.items():
            self.send_header(name, value)
        if content_type.startswith("text/") and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a probe that hangs up early is not the demo's problem


class DemoTarget:
    """The HTTPS service on 127.0.0.1 (random port), serving the given certificate."""

    def __init__(self, cert: Path, key: Path) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self._server = _Server(("127.0.0.1", 0), _DemoHandler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> DemoTarget:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
