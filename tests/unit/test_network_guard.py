"""The autouse guard in tests/conftest.py: loopback works, everything else is refused."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from tests.conftest import NetworkBlockedError


@pytest.fixture
def loopback_listener():
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)

    def accept_one() -> None:
        with contextlib.suppress(OSError):  # no client came: the test has failed already
            server.accept()[0].close()

    accepting = threading.Thread(target=accept_one, daemon=True)
    accepting.start()
    yield server.getsockname()
    accepting.join(timeout=5)  # before closing, so accept() never sees its socket vanish
    server.close()


def test_network_guard__loopback_connection_is_allowed(loopback_listener):
    with socket.create_connection(loopback_listener, timeout=2):
        pass


@pytest.mark.parametrize(
    "address", [("192.0.2.1", 443), ("8.8.8.8", 53), ("2001:db8::1", 443), ("example.com", 80)]
)
def test_network_guard__connection_beyond_loopback_is_refused(address):
    with pytest.raises(NetworkBlockedError, match="loopback only"):
        socket.create_connection(address, timeout=0.1)


def test_network_guard__raw_connect_and_datagram_are_refused():
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
        pytest.raises(NetworkBlockedError),
    ):
        tcp.connect(("192.0.2.1", 443))
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
        pytest.raises(NetworkBlockedError),
    ):
        tcp.connect_ex(("192.0.2.1", 443))
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
        pytest.raises(NetworkBlockedError),
    ):
        udp.sendto(b"query", ("192.0.2.53", 53))


def test_network_guard__name_lookup_beyond_localhost_does_not_resolve():
    with pytest.raises(socket.gaierror, match=r"blocked by tests/conftest\.py"):
        socket.getaddrinfo("app.apiq.example", 443)
    assert socket.getaddrinfo("localhost", 80)
