"""Real TLS servers on 127.0.0.1 for probe tests: a given chain, given protocol versions.

`serving_tls(served, minimum="TLSv1", maximum="TLSv1")` starts an HTTPS server (the
shared `servers.LocalServer`, answering `GET /` with 200) that serves the chain and key
of a `certs.ServedCert` and speaks only the versions asked for. TLS 1.0 and 1.1 (and RSA
keys under 2048 bits) need OpenSSL's security level 0, which `legacy=True` selects and old
minimums select by themselves.

`closed_port()` and `silent_server()` give the two ways a target is not a TLS server at
all: nothing listening, and a listener that never answers.
"""

from __future__ import annotations

import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from tests.support.certs import ServedCert
from tests.support.servers import Answer, LocalServer, serving

VersionName = Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
LEGACY_CIPHERS = "DEFAULT:@SECLEVEL=0"


def server_context(
    served: ServedCert,
    *,
    minimum: VersionName | None = None,
    maximum: VersionName | None = None,
    legacy: bool = False,
    server_names: list[str | None] | None = None,
) -> ssl.SSLContext:
    """`server_names`, when given, collects the SNI of every handshake (None: none sent)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if server_names is not None:
        context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    if legacy or minimum in ("TLSv1", "TLSv1.1"):
        # Before the chain is loaded: at the default level OpenSSL refuses an RSA-1024 key.
        context.set_ciphers(LEGACY_CIPHERS)
    with warnings.catch_warnings():
        # Python deprecates naming TLS 1.0/1.1; serving them is exactly what this test server is for.
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            context.minimum_version = VERSIONS[minimum]
        if maximum is not None:
            context.maximum_version = VERSIONS[maximum]
    context.load_cert_chain(served.chain, served.key)
    return context


@contextmanager
def serving_tls(
    served: ServedCert,
    *,
    minimum: VersionName | None = None,
    maximum: VersionName | None = None,
    legacy: bool = False,
    server_names: list[str | None] | None = None,
) -> Iterator[LocalServer]:
    """An HTTPS server on 127.0.0.1 serving `served`; `.port` is where it listens."""
    context = server_context(
        served, minimum=minimum, maximum=maximum, legacy=legacy, server_names=server_names
    )
    with serving({"/": Answer(status=200, body="ok")}, tls=context) as server:
        yield server


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word: handshakes time out."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()
