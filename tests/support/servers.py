"""Real local servers for probe tests: HTTP and HTTPS on 127.0.0.1 with scripted answers.

A test declares routes (`Answer`s); the server answers them for real over TCP/TLS, so
probes are tested through their whole network path, with nothing mocked.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True, kw_only=True)
class Answer:
    status: int = 200
    headers: Mapping[str, str] | list[tuple[str, str]] = field(default_factory=dict)
    body: bytes | str = b""
    delay_s: float = 0.0  # before answering
    hang: bool = False  # never answer (until the server stops)
    reset: bool = False  # close the connection without answering


Responder = Answer | Callable[["Request"], Answer]


@dataclass(frozen=True, kw_only=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


class LocalServer:
    """A threaded HTTP(S) server; `routes` maps a path (no query) to an Answer or a function."""

    def __init__(self, routes: Mapping[str, Responder], *, tls: ssl.SSLContext | None = None, backlog: int = 128) -> None:
        self.routes = dict(routes)
        self.requests: list[Request] = []
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, each answer on a reused
            # connection waits ~40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                server.requests.append(request)
                responder = server.routes.get(self.path.split("?", 1)[0]) or Answer(status=404, body=b"not found")
                answer = responder(request) if callable(responder) else responder
                if answer.hang:
                    server._stop.wait(30)
                    return
                if answer.reset:
                    # Linger 0 makes close() send RST; detach first, because close() on the
                    # socket object waits for rfile/wfile, which keep it open.
                    self.close_connection = True
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    os.close(self.connection.detach())
                    return
                if answer.delay_s:
                    time.sleep(answer.delay_s)
                body = answer.body.encode() if isinstance(answer.body, str) else answer.body
                self.send_response(answer.status)
                headers = answer.headers.items() if isinstance(answer.headers, Mapping) else answer.headers
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_OPTIONS = do_PUT = do_DELETE = _answer

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = backlog

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # failed handshakes and resets are what many tests provoke

        self.httpd = Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.httpd.server_address[1]
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serving(routes: Mapping[str, Responder], *, tls: ssl.SSLContext | None = None, backlog: int = 128) -> Iterator[LocalServer]:
    server = LocalServer(routes, tls=tls, backlog=backlog).start()
    try:
        yield server
    finally:
        server.stop()
