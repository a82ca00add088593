"""The handshakes the `tls` probe makes: one verified, one that reads the chain, one per version.

- `verify`: Python's `ssl`, as any client connects (a trust store, dates, the name). When it
  fails, OpenSSL's verify code says why, which `VERIFY_REASONS` names.
- `read_chain`: pyOpenSSL, verifying nothing, reading `get_peer_cert_chain()`. Python 3.11's
  `ssl` exposes only the leaf, and only once verification succeeded; this look still sees an
  expired or untrusted chain, so "expired" never reads as "down".
- `accepts`: pyOpenSSL again, offering exactly one protocol version at OpenSSL security level
  0 so this client can still offer TLS 1.0/1.1. (pyOpenSSL rather than `ssl` here: `ssl`
  warns on every use of TLS 1.0/1.1, and silencing warnings is not thread-safe.)

Every handshake honours one deadline for the whole probe.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import select
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography import x509
from OpenSSL import SSL, crypto

from apiq_gate.probes.kinds._chain import a_label
from apiq_gate.probes.targets import TargetError

# Everything this OpenSSL can speak, but never anonymous or unencrypted suites (which
# would leave no certificate to read). Level 0 admits TLS 1.0/1.1 and small keys.
PERMISSIVE_CIPHERS = b"ALL:!aNULL:!eNULL:@SECLEVEL=0"
VERSION_CODES = {
    "SSLv3": SSL.SSL3_VERSION,
    "TLSv1": SSL.TLS1_VERSION,
    "TLSv1.1": SSL.TLS1_1_VERSION,
    "TLSv1.2": SSL.TLS1_2_VERSION,
    "TLSv1.3": SSL.TLS1_3_VERSION,
}
# X509_V_ERR_* codes (OpenSSL's x509_vfy.h), by what they mean to whoever fixes them.
VERIFY_REASONS = {
    2: "untrusted_issuer",
    9: "not_yet_valid",
    10: "expired",
    18: "self_signed",
    19: "untrusted_issuer",  # a self-signed root this client does not trust
    20: "untrusted_issuer",
    21: "untrusted_issuer",  # often a server that does not send its intermediate
    23: "revoked",
    62: "hostname_mismatch",
    64: "hostname_mismatch",  # the IP address form
    66: "weak_key",
    67: "weak_key",
    68: "weak_key",  # a CA's signature digest
}


class HandshakeFailed(Exception):
    """The server ended the handshake (an alert, a reset, a close): it speaks, but not this."""


class ClientCannotOffer(Exception):
    """The local OpenSSL will not offer this protocol at all, so nothing can be concluded."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Endpoint:
    address: str  # where to connect
    port: int
    server_name: str  # SNI (unless it is an IP address) and the name verified


@dataclass(frozen=True, kw_only=True, slots=True)
class Verification:
    verified: bool
    error: str | None = None  # OpenSSL's words: "certificate has expired"
    reason: str | None = None  # one of VERIFY_REASONS' values, "handshake" or "other"
    protocol: str | None = None
    cipher: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ServedChain:
    certificates: tuple[x509.Certificate, ...]  # as served: the leaf first
    signature_algorithms: tuple[str, ...]  # OpenSSL's names, one per certificate
    protocol: str  # e.g. TLSv1.3
    cipher: str


def verify(endpoint: Endpoint, cafile: str | None, deadline: float) -> Verification:
    """Connect as any client would. Raises OSError or TimeoutError when nobody answers."""
    context = verifying_context(cafile)
    address = (endpoint.address, endpoint.port)
    with socket.create_connection(address, timeout=remaining(deadline)) as sock:
        sock.settimeout(remaining(deadline))
        try:
            with context.wrap_socket(sock, server_hostname=endpoint.server_name) as tls:
                cipher = tls.cipher()
                return Verification(verified=True, protocol=tls.version(), cipher=cipher[0] if cipher else None)
        except ssl.SSLCertVerificationError as exc:
            reason = VERIFY_REASONS.get(exc.verify_code, "other")
            return Verification(verified=False, error=exc.verify_message or str(exc), reason=reason)
        except ssl.SSLError as exc:  # not the certificate: protocols, ciphers, a closed connection
            why = f"handshake failed: {exc.reason or exc}"
            return Verification(verified=False, error=why, reason="handshake")


def verifying_context(cafile: str | None) -> ssl.SSLContext:
    """Python's default client context, trusting `cafile` or the system store.

    Shared (contexts are thread-safe): loading the system store costs ~45 ms of CPU, which
    thirty probes at once would otherwise spend thirty times. A changed file is reloaded.
    """
    try:
        stamp = os.stat(cafile) if cafile else None
        return _context_for(cafile, (stamp.st_mtime_ns, stamp.st_size) if stamp else None)
    except (ssl.SSLError, OSError) as exc:
        why = getattr(exc, "reason", None) or exc.strerror or str(exc)
        raise TargetError(f"ca_bundle {cafile} cannot be loaded: {why}") from None


@functools.lru_cache(maxsize=16)
def _context_for(cafile: str | None, stamp: tuple[int, int] | None) -> ssl.SSLContext:
    # `stamp` (mtime, size) is only part of the cache key: a rewritten bundle is reloaded.
    return ssl.create_default_context(cafile=cafile)


def read_chain(endpoint: Endpoint, deadline: float) -> ServedChain:
    """The chain the server sends, valid or not. Raises OSError, TimeoutError, HandshakeFailed."""
    context = _context(minimum=SSL.TLS1_VERSION, maximum=None)
    with _handshake(endpoint, context, deadline) as connection:
        served = connection.get_peer_cert_chain() or []
        return ServedChain(
            certificates=tuple(cert.to_cryptography() for cert in served),
            signature_algorithms=tuple(_signature_algorithm(cert) for cert in served),
            protocol=connection.get_protocol_version_name(),
            cipher=connection.get_cipher_name() or "",
        )


def accepts(endpoint: Endpoint, version: str, deadline: float) -> bool:
    """Whether the server completes a handshake limited to exactly `version`.

    Raises ClientCannotOffer when this machine cannot even ask, and OSError or TimeoutError
    when the server is not there to ask.
    """
    reason = client_cannot_offer(version)
    if reason:
        raise ClientCannotOffer(f"this machine's OpenSSL cannot offer {version} ({reason})")
    code = VERSION_CODES[version]
    try:
        with _handshake(endpoint, _context(minimum=code, maximum=code), deadline):
            return True
    except HandshakeFailed:
        return False


@functools.cache
def client_cannot_offer(version: str) -> str | None:
    """Why the local OpenSSL will not send a ClientHello for `version`, or None if it will.

    Found offline, into memory: a client that fails here would fail against every server,
    which must never be mistaken for a server refusing the protocol.
    """
    code = VERSION_CODES[version]
    try:
        connection = SSL.Connection(_context(minimum=code, maximum=code), None)
    except SSL.Error as exc:  # e.g. SSLv3 in a build without it: not even configurable
        return openssl_reason(exc) if exc.args and exc.args[0] else "it is not built in"
    connection.set_connect_state()
    try:
        connection.do_handshake()
    except SSL.WantReadError:
        return None  # the ClientHello is written and it waits for an answer: it can offer it
    except SSL.Error as exc:
        return openssl_reason(exc)
    return None


def openssl_reason(exc: SSL.Error) -> str:
    """`[('SSL routines', '', 'tlsv1 alert protocol version')]` → the last part of each entry."""
    details = exc.args[0] if exc.args else None
    if isinstance(details, list) and details:
        return "; ".join(str(entry[-1]) for entry in details if isinstance(entry, tuple) and entry)
    return str(exc) or type(exc).__name__


def remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


# --- private ------------------------------------------------------------------------


def _context(*, minimum: int, maximum: int | None) -> SSL.Context:
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_verify(SSL.VERIFY_NONE)  # `verify` judges trust; this look only reads
    context.set_cipher_list(PERMISSIVE_CIPHERS)
    context.set_min_proto_version(minimum)
    if maximum is not None:
        context.set_max_proto_version(maximum)
    return context


@contextmanager
def _handshake(endpoint: Endpoint, context: SSL.Context, deadline: float) -> Iterator[SSL.Connection]:
    address = (endpoint.address, endpoint.port)
    sock = socket.create_connection(address, timeout=remaining(deadline))
    try:
        sock.setblocking(False)  # driven with select() below, so the deadline holds throughout
        connection = SSL.Connection(context, sock)
        if not _is_ip(endpoint.server_name):  # RFC 6066: SNI carries names, never addresses
            connection.set_tlsext_host_name(a_label(endpoint.server_name).encode("ascii"))
        connection.set_connect_state()
        _drive(connection, sock, deadline)
        yield connection
    finally:
        sock.close()


def _drive(connection: SSL.Connection, sock: socket.socket, deadline: float) -> None:
    while True:
        try:
            connection.do_handshake()
            return
        except SSL.WantReadError:
            ready = select.select([sock], [], [], remaining(deadline))[0]
        except SSL.WantWriteError:
            ready = select.select([], [sock], [], remaining(deadline))[1]
        except SSL.SysCallError as exc:  # reset or closed mid-handshake
            raise HandshakeFailed(_syscall_reason(exc)) from None
        except SSL.ZeroReturnError:
            raise HandshakeFailed("the server closed the connection") from None
        except SSL.Error as exc:
            raise HandshakeFailed(openssl_reason(exc)) from None
        if not ready:
            raise TimeoutError


def _syscall_reason(exc: SSL.SysCallError) -> str:
    code, text = (*exc.args, None, None)[:2]
    if code == -1:
        return "the server closed the connection during the handshake"
    return str(text or "the connection was reset")


def _signature_algorithm(cert: crypto.X509) -> str:
    try:
        return cert.get_signature_algorithm().decode("ascii")
    except ValueError:  # an algorithm OpenSSL has no name for: its OID then
        return cert.to_cryptography().signature_algorithm_oid.dotted_string


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
