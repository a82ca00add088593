r"""`tcp`: whether a port takes connections: reachable within a timeout, or, as for a
database, closed to the outside.

One TCP connect to `host:port` (nothing is sent), IPv4 unless `ipv6: true`, through the
environment's `resolve` overrides, and only to hosts the config declares. A port is closed
when the connect is refused (nothing listens), times out (a firewall drops the packets:
`filtered`) or finds the host unreachable; so a port that must be closed passes on a
timeout, and the facts say it was filtered rather than refused. Any other failure (say, a
local policy forbidding the connect) says nothing about the port: an error, never a pass.
A port found closed is retried (`retries`) only when that fails the expectations.

Fields (besides the common `expect`, `timeout`, `retries`, `wait`, `ipv6`):
- `host` (`{env.host}`), `port` (required);
- shorthand: `state: open` → `open`; `state: closed` → `not open`. With neither `state`
  nor `expect`, the probe expects `open`;
- `read_banner` (false): once connected, read what the service says first (SSH, SMTP, FTP,
  Redis greet; HTTP and TLS do not): up to `banner_bytes` (256) bytes, until its first
  line ends or 1 s (at most the probe's timeout) passes.

Facts: `open` (bool); `connect_time` (seconds; only when open); `error` (null when open,
else `refused`, `timeout` or `unreachable`) and `error_message` (the system's words);
`filtered` (bool: the connect timed out, as behind a firewall that drops packets);
`banner` (text, only with `read_banner`: "" when the service said nothing); `host`,
`address` (the IP connected to), `port`.

Example:

    - id: database-not-public
      title: The database cannot be reached from outside
      evidence:
        - tcp: {host: "{env.host}", port: 5432, state: closed}
    - id: ssh-bastion
      title: The bastion answers SSH, protocol 2 only
      evidence:
        - tcp:
            host: "bastion.{env.host}"
            port: 22
            read_banner: true
            expect: [open, connect_time < 500ms, 'banner matches "^SSH-2\.0-"']
"""

from __future__ import annotations

import enum
import errno
import socket
import time
from dataclasses import dataclass
from typing import Any, Literal

from apiq_gate.conditions import Expectation, parse, unknown_names
from apiq_gate.evidence import register
from apiq_gate.evidence.base import RunContext
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.probes.targets import TargetError, expand, resolve
from apiq_gate.structure import doc

BANNER_TIMEOUT_S = 1.0
MAX_BANNER_BYTES = 4096
FACT_NAMES = frozenset(
    {"open", "connect_time", "error", "error_message", "filtered", "banner", "host", "address", "port"}
)
# errno values meaning the network has no way to the host: the port is not reachable from here.
_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.ENETDOWN})

ClosedBecause = Literal["refused", "timeout", "unreachable"]


class PortState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class TcpProbe(Probe):
    """Whether a TCP port takes connections."""

    kind = "tcp"

    host: str = doc("Host to connect to", default="{env.host}", example="{env.host}")
    port: int = doc("TCP port", example=5432)
    state: PortState | None = doc(
        "The port must be open, or closed (refused, filtered or unreachable)", default=None, example="closed"
    )
    read_banner: bool = doc("Read what the service sends first (SSH, SMTP…) into the fact `banner`", default=False)
    banner_bytes: int = doc(f"Bytes of the banner read at most (up to {MAX_BANNER_BYTES})", default=256)

    def label(self) -> str:
        return f"tcp {self.host}:{self.port}"

    def shorthand(self) -> tuple[Expectation, ...]:
        if self.state is None:
            return ()
        return (parse("open" if self.state is PortState.OPEN else "not open"),)

    def default_expectations(self) -> tuple[Expectation, ...]:
        return (parse("open"),)

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = Probe.check(self, checklist, item_id)
        if not 1 <= self.port <= 65535:
            problems.append(f"port {self.port} is not a TCP port (1-65535)")
        if not 1 <= self.banner_bytes <= MAX_BANNER_BYTES:
            problems.append(f"banner_bytes must be between 1 and {MAX_BANNER_BYTES}")
        if "://" in self.host:
            problems.append(f"host '{self.host}' is a URL; write the host name alone")
        for expectation in self.expect:
            problems += unknown_names(expectation, FACT_NAMES)
            if "banner" in expectation.roots and not self.read_banner:
                problems.append(f"`{expectation.text}` needs the banner; add `read_banner: true`")
        return problems

    def probe(self, ctx: RunContext) -> ProbeFacts:
        host = expand(self.host, ctx.environment, ctx.environ)
        name = host.value.strip().lower()
        try:  # the message may hold a secret host: returned with it, so that it is masked
            if ctx.allowed_hosts is not None and name not in ctx.allowed_hosts:
                raise TargetError(f"{host.value} is not a host the config declares")
            overrides = {k.lower(): v for k, v in ctx.environment.resolve.items()} if ctx.environment else {}
            address = resolve(name, self.port, overrides=overrides, ipv6=self.ipv6)
        except TargetError as exc:
            return ProbeFacts(target=self.label(), error=str(exc), secrets=host.secrets)
        return self._connect(ctx, host.value, address, host.secrets)

    def _connect(self, ctx: RunContext, host: str, address: str, secrets: tuple[str, ...]) -> ProbeFacts:
        target = f"{host}:{self.port}"
        facts: dict[str, Any] = {"host": host, "address": address, "port": self.port}
        seconds = self.seconds(ctx)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(seconds)
            started = time.perf_counter()
            try:
                sock.connect((address, self.port))
            except OSError as exc:
                closed_because = closed_reason(exc)
                if closed_because is None:  # says nothing about the port: an error, never "closed"
                    why = exc.strerror or str(exc) or type(exc).__name__
                    error = f"cannot connect to {address}:{self.port}: {why}"
                    return ProbeFacts(target=target, error=error, transient=True, secrets=secrets)
                facts |= {"open": False, "error": closed_because, "error_message": _message(exc, seconds)}
                facts["filtered"] = closed_because == "timeout"
                return ProbeFacts(target=target, facts=facts, transient=not self._passes(facts), secrets=secrets)
            facts |= {"open": True, "connect_time": time.perf_counter() - started}
            facts |= {"error": None, "error_message": None, "filtered": False}
            if self.read_banner:
                facts["banner"] = read_banner(sock, self.banner_bytes, min(BANNER_TIMEOUT_S, seconds))
        return ProbeFacts(target=target, facts=facts, secrets=secrets)

    def _passes(self, facts: dict[str, Any]) -> bool:
        """Whether these facts meet every expectation: a closed port is retried only if not."""
        return all(expectation.evaluate(facts).ok is True for expectation in self.expectations())


def closed_reason(exc: OSError) -> ClosedBecause | None:
    """Why a failed connect means the port is closed from here, or None when it says nothing
    about the port (e.g. a local policy forbids the connect)."""
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if exc.errno in _UNREACHABLE:
        return "unreachable"
    return None


def read_banner(sock: socket.socket, limit: int, seconds: float) -> str:
    """What the service sends first, until its first line ends, `limit` bytes, EOF or `seconds`."""
    deadline = time.monotonic() + seconds
    data = b""
    while len(data) < limit and b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(limit - len(data))
        except OSError:  # a timeout, or a reset: what arrived so far is the banner
            break
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").rstrip("\r\n")


def _message(exc: OSError, seconds: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {seconds:g}s"
    return exc.strerror or str(exc)
