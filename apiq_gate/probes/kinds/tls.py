"""`tls`: the certificate chain and protocols a deployed service presents, as clients see them.

Three kinds of real handshake (see `_handshakes.py`):
1. a verified one with Python's `ssl` (the system trust store, or `ca_bundle`) and a
   hostname check, as any client makes it: `verified`, and when it fails, why;
2. one that verifies nothing, with pyOpenSSL, to read the chain actually served (Python 3.11
   cannot): the certificate facts are reported even when verification failed, so an expired
   certificate reads "expired", not "down";
3. for each protocol version the config asks about (`refuse`, `min_version`, or
   `accepts("…")` in an expectation), one offering exactly that version. Where this
   machine's OpenSSL cannot offer a version at all, the result is an error, never a pass.

Fields (besides the common `expect`, `timeout`, `retries`, `wait`, `ipv6`):
- `host` (`{env.host}`), `port` (443), `server_name` (sent as SNI and checked against the
  certificate; default: host), `ca_bundle` (a PEM file from the repository root; default:
  the system trust store);
- shorthand checks: `verified` (true → `verified`; false: not required, facts still
  reported), `days_left: 21` → `days_left >= 21`, `min_version: TLSv1.2` → `protocol in
  ["TLSv1.2", "TLSv1.3"]` and every older TLS version refused, `refuse: [TLSv1, TLSv1.1]` →
  `not accepts("TLSv1")`, `not accepts("TLSv1.1")`. Versions: SSLv3, TLSv1, TLSv1.1,
  TLSv1.2, TLSv1.3 (SSLv3 can only be checked where OpenSSL still has it).

Facts: `verified` (bool); `verify_error` (OpenSSL's words, e.g. "certificate has expired";
null when verified) and `verify_reason` (expired, not_yet_valid, hostname_mismatch,
self_signed, untrusted_issuer, revoked, weak_key, handshake, other); `hostname_match`
(bool); `days_left` (int, whole days rounded down, the MINIMUM over the whole served chain)
with `expiring_subject` and `expiring_not_after` naming that certificate; the leaf's
`subject`, `issuer` (RFC 4514, e.g. "CN=app.apiq.example"), `san` (list), `not_before`,
`not_after` (ISO 8601), `key_type` (RSA, EC, Ed25519…), `key_bits`, `signature_algorithm`
(e.g. sha256WithRSAEncryption); `chain` (as served, leaf first: `[{subject, issuer,
not_after, days_left, key_type, key_bits, signature_algorithm}]`); `protocol` (negotiated,
e.g. TLSv1.3) and `cipher`; `accepts` (version → bool, for the versions tried);
`server_name`, `address`.

Example:

    - id: ssl-certificate
      title: Valid SSL certificate installed
      evidence:
        - tls:
            host: "{env.host}"
            days_left: 21
            refuse: [TLSv1, TLSv1.1]
            expect:
              - key_type == "EC" or key_bits >= 2048
              - signature_algorithm not matches "(?i)sha1|md5"
"""

from __future__ import annotations

import enum
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from apiq_gate import structure as st
from apiq_gate.conditions import Expectation, nodes, parse, unknown_names
from apiq_gate.config_types import RepoPath
from apiq_gate.evidence import register
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Outcome, Status
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.probes.kinds._chain import describe_chain, hostname_matches
from apiq_gate.probes.kinds._handshakes import (
    ClientCannotOffer,
    Endpoint,
    HandshakeFailed,
    accepts,
    read_chain,
    verify,
)
from apiq_gate.probes.targets import TargetError, expand, resolve
from apiq_gate.structure import doc


class TlsVersion(enum.StrEnum):
    """Protocol versions, oldest first, spelled as OpenSSL and Python report them."""

    SSL3 = "SSLv3"
    TLS1 = "TLSv1"
    TLS1_1 = "TLSv1.1"
    TLS1_2 = "TLSv1.2"
    TLS1_3 = "TLSv1.3"

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        choices = ", ".join(cls)
        if not isinstance(node, yaml.ScalarNode):
            return s.problem(node, path, f"expected one of {choices}, got {st.describe(node)}")
        if node.value in cls._value2member_map_:
            return cls(node.value)
        meant = _meant(str(node.value))
        hint = f"write {meant.value}" if meant else ""
        return s.problem(node, path, f"'{node.value}' is not one of {choices}", hint)

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {"enum": [version.value for version in cls]}


ORDER = tuple(TlsVersion)
_BY_NUMBER = {
    "ssl3.0": TlsVersion.SSL3,
    "tls1.0": TlsVersion.TLS1,
    "tls1.1": TlsVersion.TLS1_1,
    "tls1.2": TlsVersion.TLS1_2,
    "tls1.3": TlsVersion.TLS1_3,
}
_OTHER_SPELLING = re.compile(r"\s*(tls|ssl)\s*v?\s*(\d)(?:[._](\d))?\s*", re.IGNORECASE)
FACT_NAMES = frozenset(
    {
        "verified", "verify_error", "verify_reason", "hostname_match", "days_left",
        "expiring_subject", "expiring_not_after", "subject", "issuer", "san", "not_before",
        "not_after", "key_type", "key_bits", "signature_algorithm", "chain", "protocol",
        "cipher", "accepts", "server_name", "address",
    }
)  # fmt: skip


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class TlsProbe(Probe):
    """The certificate chain and protocols a TLS endpoint presents."""

    kind = "tls"
    __shorthand__ = "host"

    host: str = doc("Host to connect to", default="{env.host}", example="{env.host}")
    port: int = doc("TCP port", default=443, example=443)
    server_name: str | None = doc("Name sent as SNI and checked against the certificate (default: host)", default=None)
    ca_bundle: RepoPath | None = doc(
        "PEM file of trusted CAs, from the repository root (default: the system trust store)",
        default=None,
    )
    verified: bool = doc("Require a verified handshake (false: its facts are reported, not required)", default=True)
    days_left: int | None = doc("Minimum whole days before any certificate served expires", default=None, example=21)
    min_version: TlsVersion | None = doc(
        "Oldest protocol allowed: negotiated at least this, older TLS versions refused",
        default=None,
        example="TLSv1.2",
    )
    refuse: tuple[TlsVersion, ...] = doc(
        "Old protocols the server must refuse", default=(), example=["TLSv1", "TLSv1.1"]
    )

    def label(self) -> str:
        name = f" as {self.server_name}" if self.server_name else ""
        return f"tls {self.host}:{self.port}{name}"

    def shorthand(self) -> tuple[Expectation, ...]:
        texts = ["verified"] if self.verified else []
        if self.days_left is not None:
            texts.append(f"days_left >= {self.days_left}")
        if self.min_version is not None:
            allowed = ", ".join(f'"{v}"' for v in ORDER[ORDER.index(self.min_version) :])
            texts.append(f"protocol in [{allowed}]")
        texts += [f'not accepts("{version}")' for version in self._refused()]
        return tuple(parse(text) for text in texts)

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = Probe.check(self, checklist, item_id)
        if not 1 <= self.port <= 65535:
            problems.append(f"port {self.port} is not a TCP port (1-65535)")
        if self.days_left is not None and self.days_left < 0:
            problems.append("days_left is a minimum number of days; write 0 or more")
        known = ", ".join(ORDER)
        problems += [
            f'accepts("{version}"): not a protocol version; use one of {known}'
            for version in self._asked_in_expectations()
            if version not in ORDER
        ]
        for expectation in self.expect:
            problems += unknown_names(expectation, FACT_NAMES)
        return problems

    def judge(self, observation: ProbeFacts) -> Outcome:
        outcome = Probe.judge(self, observation)
        why = observation.facts.get("verify_error") if observation.error is None else None
        if outcome.status is not Status.PASS and why:  # "expired" must not read like "down"
            return replace(outcome, reason=f"{outcome.reason}; verification failed: {why}")
        return outcome

    def probe(self, ctx: RunContext) -> ProbeFacts:
        host = expand(self.host, ctx.environment, ctx.environ)
        name = expand(self.server_name, ctx.environment, ctx.environ) if self.server_name else host
        secrets = (*host.secrets, *name.secrets)
        shown_name = f" as {name.value}" if name.value != host.value else ""
        target = f"{host.value}:{self.port}{shown_name}"
        if ctx.allowed_hosts is not None and host.value.lower() not in ctx.allowed_hosts:
            raise TargetError(f"{host.value} is not a host the config declares")
        overrides = ctx.environment.resolve if ctx.environment else {}
        address = resolve(host.value, self.port, overrides=overrides, ipv6=self.ipv6)
        endpoint = Endpoint(address=address, port=self.port, server_name=name.value)
        cafile = self._ca_file(ctx.root)
        seconds = self.seconds(ctx)
        deadline = time.monotonic() + seconds

        def failed(error: str, *, transient: bool = False) -> ProbeFacts:
            return ProbeFacts(target=target, error=error, transient=transient, secrets=secrets)

        try:
            verification = verify(endpoint, cafile, deadline)
            served = read_chain(endpoint, deadline)
            tried = {version: accepts(endpoint, version, deadline) for version in self._to_try()}
        except HandshakeFailed as exc:  # even the most lenient client could not talk to it
            return failed(f"TLS handshake failed: {exc}")
        except ClientCannotOffer as exc:
            return failed(f"{exc}, so whether the server refuses it cannot be checked here")
        except TimeoutError:
            return failed(f"timed out after {seconds:g}s", transient=True)
        except OSError as exc:
            refused = isinstance(exc, ConnectionRefusedError)
            why = "connection refused" if refused else exc.strerror or str(exc)
            return failed(f"cannot connect to {address}:{self.port}: {why}", transient=True)
        if not served.certificates:
            return failed("the server sent no certificate")
        facts: dict[str, Any] = {
            "verified": verification.verified,
            "verify_error": verification.error,
            "verify_reason": verification.reason,
            "hostname_match": hostname_matches(served.certificates[0], name.value),
            **describe_chain(served.certificates, served.signature_algorithms, ctx.now),
            # What a normal client negotiated; the lenient look's only when that failed.
            "protocol": verification.protocol or served.protocol,
            "cipher": verification.cipher or served.cipher,
            "accepts": tried,
            "server_name": name.value,
            "address": address,
        }
        return ProbeFacts(target=target, facts=facts, secrets=secrets)

    # --- private ------------------------------------------------------------------

    def _refused(self) -> list[str]:
        """Versions that must be refused: those named, and the TLS versions below min_version."""
        below: tuple[TlsVersion, ...] = ()
        if self.min_version is not None:
            below = ORDER[ORDER.index(TlsVersion.TLS1) : ORDER.index(self.min_version)]
        return list(dict.fromkeys([*self.refuse, *below]))

    def _asked_in_expectations(self) -> list[str]:
        return [version for e in self.expect for version in _accepts_arguments(e.condition)]

    def _to_try(self) -> list[str]:
        wanted = {*self._refused(), *self._asked_in_expectations()}
        return [version.value for version in ORDER if version in wanted]

    def _ca_file(self, root: Path) -> str | None:
        if self.ca_bundle is None:
            return None
        found = self.ca_bundle.matches(root)
        if len(found) != 1 or not found[0].is_file():
            raise TargetError(f"ca_bundle {self.ca_bundle} is not a file in the repository")
        return str(found[0])


def _accepts_arguments(node: Any) -> list[str]:
    """The versions an expectation asks about with accepts("…")."""
    if isinstance(node, nodes.Call):
        if node.name == "accepts":
            return [str(arg) for arg in node.args]
        return [version for arg in node.args for version in _accepts_arguments(arg)]
    if isinstance(node, nodes.And | nodes.Or):
        return [version for part in node.parts for version in _accepts_arguments(part)]
    if node is None or isinstance(node, str | float | nodes.Literal | nodes.ListLiteral):
        return []
    fields = ("inner", "operand", "left", "right")
    return [v for name in fields for v in _accepts_arguments(getattr(node, name, None))]


def _meant(text: str) -> TlsVersion | None:
    """The version behind another spelling people use: TLS1.0, tlsv1_2, SSL 3.0."""
    match = _OTHER_SPELLING.fullmatch(text)
    if not match:
        return None
    return _BY_NUMBER.get(f"{match[1].lower()}{match[2]}.{match[3] or 0}")


__all__ = ["TlsProbe", "TlsVersion"]
