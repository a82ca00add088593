r"""`dns`: what a name resolves to, asked of a nameserver: records, NXDOMAIN, SERVFAIL.

A DNS probe talks to a nameserver, not to the target: to `nameserver` (an IP address, e.g.
the zone's authoritative server or a public resolver) or, when none is given, to the first
nameserver in this machine's /etc/resolv.conf. The config's allowed hosts therefore do not
apply to the nameserver. They apply to the NAME asked about instead: it must be a host the
config declares or a subdomain of one. A name written in the probe's own `name` declares
itself, as a tcp or tls `host` does; a name built from a `${VAR}` does not, so a secret
cannot leak out inside a query to somebody else's nameserver.

One query (recursion desired, so a resolver answers too) over UDP with EDNS, repeated over
TCP when the answer was truncated. Timeouts and SERVFAIL count as transient: retried with
backoff (`retries`).

Fields (besides the common `expect`, `timeout`, `retries`, `wait`, `ipv6`):
- `name` (`{env.host}`; with `type: PTR`, an IP address is turned into its reverse name),
  `type` (A; or AAAA, CNAME, MX, TXT, NS, CAA, SOA, SRV, PTR, HTTPS), `nameserver` (an IP
  address; default: the system's first IPv4 one, IPv6 too with `ipv6: true`), `port` (53);
- shorthand: `answers: [203.0.113.10, 203.0.113.11]` → `rcode == "NOERROR"` and each of
  them among the answers (written as in a zone file, e.g. `10 mail.example.com` for MX, or
  the text itself for TXT, and compared in the normal form the facts use).
  With neither `answers` nor `expect`, the probe expects `rcode == "NOERROR"` and `count > 0`.

Facts: `rcode` (NOERROR, NXDOMAIN, SERVFAIL, REFUSED…); `nxdomain` (bool); `answers`: the
records of the type asked for, as text, sorted (addresses by value, MX by preference):
addresses as usual, names lower-cased without the trailing dot (`lb.example.net`), MX as
`10 mail.example.com`, TXT as its strings joined (`v=spf1 -all`), other types in zone-file
form; `count` (of answers); `ttl` (seconds: the smallest TTL of the answers and of the
CNAMEs leading to them; missing when there is no answer); `cnames` (the CNAME chain
followed, in order); `authoritative` (bool: the AA flag); `tcp` (bool: the answer came over
TCP); `query_time` (seconds); `nameserver` (the address asked); `name`; `type`; and with
`answers`, `expected` (those answers, placeholders filled in, in the same normal form).

Example:

    - id: dns-records
      title: DNS points at the load balancer, and mail is routed
      evidence:
        - dns: {name: "{env.host}", answers: [203.0.113.10, 203.0.113.11], expect: [ttl <= 1h]}
        - dns: {name: "www.{env.host}", type: CNAME, answers: ["{env.host}"]}
        - dns: {name: "{env.host}", type: MX, nameserver: 1.1.1.1, answers: ["10 mx1.apiq.example"]}
        - dns: {name: "old.{env.host}", expect: [nxdomain]}
"""

from __future__ import annotations

import enum
import ipaddress
import re
import time
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.reversename

from apiq_gate.conditions import Expectation, parse, unknown_names
from apiq_gate.evidence import register
from apiq_gate.evidence.base import RunContext
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.probes.targets import TargetError, expand
from apiq_gate.structure import doc

EDNS_PAYLOAD = 1232  # bytes: the DNS Flag Day 2020 size, safe from IP fragmentation
MAX_CNAME_CHAIN = 16
RESOLV_CONF = "/etc/resolv.conf"
FACT_NAMES = frozenset(
    {
        "rcode", "nxdomain", "answers", "count", "ttl", "cnames", "authoritative", "tcp", "query_time",
        "nameserver", "name", "type", "expected",
    }
)  # fmt: skip
# Record types whose data holds domain names, compared without regard to case.
_NAME_TYPES = frozenset({"CNAME", "NS", "PTR", "MX", "SRV", "SOA"})
# The final dot of a name inside record text: `mail.example.com.` (the root `.` stays).
_TRAILING_DOT = re.compile(r'(?<=[^\s."])\.(?=\s|$)')


class RecordType(enum.StrEnum):
    A = "A"
    AAAA = "AAAA"
    CNAME = "CNAME"
    MX = "MX"
    TXT = "TXT"
    NS = "NS"
    CAA = "CAA"
    SOA = "SOA"
    SRV = "SRV"
    PTR = "PTR"
    HTTPS = "HTTPS"


@dataclass(frozen=True, kw_only=True, slots=True)
class DnsAnswer:
    response: dns.message.Message
    over_tcp: bool
    seconds: float


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class DnsProbe(Probe):
    """The records a nameserver gives for a name."""

    kind = "dns"
    __shorthand__ = "name"

    name: str = doc(
        "Name to look up (a declared host or a subdomain of one)", default="{env.host}", example="{env.host}"
    )
    type: RecordType = doc("Record type", default=RecordType.A, example="AAAA")
    nameserver: str | None = doc(
        "IP address of the nameserver to ask (default: the system's); allowed hosts do not apply to it",
        default=None,
        example="1.1.1.1",
    )
    port: int = doc("Nameserver port", default=53, example=53)
    answers: tuple[str, ...] = doc(
        "Answers that must all be present, written as in a zone file (the text itself for TXT)",
        default=(),
        example=["203.0.113.10", "203.0.113.11"],
    )

    def label(self) -> str:
        server = f" @{self.nameserver}" if self.nameserver else ""
        port = f":{self.port}" if server and self.port != 53 else ""
        return f"dns {self.type} {self.name}{server}{port}"

    def shorthand(self) -> tuple[Expectation, ...]:
        if not self.answers:
            return ()
        # An answer with a placeholder is known only when the probe runs: the `expected` fact.
        wanted = [
            _quoted(_normal_form_or_written(self.type, answer)) if _literal(answer) else f"expected.{index}"
            for index, answer in enumerate(self.answers)
        ]
        return (parse('rcode == "NOERROR"'), *(parse(f"answers contains {text}") for text in wanted))

    def default_expectations(self) -> tuple[Expectation, ...]:
        return (parse('rcode == "NOERROR"'), parse("count > 0"))

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = Probe.check(self, checklist, item_id)
        if not 1 <= self.port <= 65535:
            problems.append(f"port {self.port} is not a port (1-65535)")
        name_problem = _name_problem(self.name) if _literal(self.name) else None
        if name_problem:
            problems.append(f"name: {name_problem}")
        if self.nameserver is not None and _literal(self.nameserver) and not _is_ip(self.nameserver):
            problems.append(f"nameserver '{self.nameserver}' is not an IP address; write e.g. 1.1.1.1")
        for index, answer in enumerate(self.answers):
            record_problem = _record_problem(self.type, index, answer) if _literal(answer) else None
            if record_problem:
                problems.append(record_problem)
        for expectation in self.expect:
            problems += unknown_names(expectation, FACT_NAMES)
        return problems

    def probe(self, ctx: RunContext) -> ProbeFacts:
        name = expand(self.name, ctx.environment, ctx.environ)
        server = expand(self.nameserver, ctx.environment, ctx.environ) if self.nameserver else None
        answers = [expand(answer, ctx.environment, ctx.environ) for answer in self.answers]
        secrets = tuple(s for value in (name, server, *answers) if value for s in value.secrets)
        try:  # a message may hold a secret: returned along with it, so that it is masked
            expected = [self._expected(index, answer.value) for index, answer in enumerate(answers)]
            return self._ask(ctx, name.value, server.value if server else None, expected, secrets)
        except TargetError as exc:
            return ProbeFacts(target=self.label(), error=str(exc), secrets=secrets)

    # --- private ------------------------------------------------------------------

    def _ask(
        self, ctx: RunContext, name: str, server: str | None, expected: list[str], secrets: tuple[str, ...]
    ) -> ProbeFacts:
        asked = name.strip().rstrip(".").lower()
        name_problem = _name_problem(asked)
        if name_problem:
            raise TargetError(f"'{name}' {name_problem}")
        _require_declared(asked, ctx.allowed_hosts)
        nameserver = _nameserver(server, ipv6=self.ipv6)
        qname = query_name(asked, self.type)
        at = nameserver if self.port == 53 else f"{nameserver}:{self.port}"
        target = f"{self.type} {qname.to_text(omit_final_dot=True)} @{at}"
        seconds = self.seconds(ctx)

        def failed(error: str, *, transient: bool = True) -> ProbeFacts:
            return ProbeFacts(target=target, error=error, transient=transient, secrets=secrets)

        try:
            answer = ask(qname, self.type, nameserver, self.port, seconds)
        except dns.exception.Timeout:
            return failed(f"no answer from {at} within {seconds:g}s")
        except EOFError:
            return failed(f"{at} closed the connection without answering")
        except OSError as exc:
            return failed(f"cannot ask {at}: {exc.strerror or exc}")
        except dns.exception.DNSException as exc:  # malformed, or not an answer to this query
            return failed(f"bad answer from {at}: {exc}", transient=False)
        facts = answer_facts(answer.response, qname, self.type)
        facts |= {"tcp": answer.over_tcp, "query_time": answer.seconds, "nameserver": nameserver}
        facts |= {"name": qname.to_text(omit_final_dot=True), "type": self.type.value}
        if expected:
            facts["expected"] = expected
        # A resolver answers SERVFAIL when the zone's servers did not answer it in time.
        return ProbeFacts(target=target, facts=facts, transient=facts["rcode"] == "SERVFAIL", secrets=secrets)

    def _expected(self, index: int, answer: str) -> str:
        problem = _record_problem(self.type, index, answer)
        if problem:
            raise TargetError(problem)
        return normal_form(self.type, answer)


def query_name(text: str, rdtype: RecordType) -> dns.name.Name:
    """The name to ask about; a PTR query for an IP address asks about its reverse name."""
    if rdtype is RecordType.PTR and _is_ip(text):
        return dns.reversename.from_address(text)
    return dns.name.from_text(text)


def ask(qname: dns.name.Name, rdtype: RecordType, nameserver: str, port: int, seconds: float) -> DnsAnswer:
    """One query over UDP, then over TCP if the UDP answer was truncated; within `seconds`."""
    query = dns.message.make_query(qname, rdtype.value, use_edns=0, payload=EDNS_PAYLOAD)
    started = time.perf_counter()
    try:
        response = dns.query.udp(query, nameserver, timeout=seconds, port=port, raise_on_truncation=True)
        return DnsAnswer(response=response, over_tcp=False, seconds=time.perf_counter() - started)
    except dns.message.Truncated:
        remaining = max(seconds - (time.perf_counter() - started), 0.001)
        response = dns.query.tcp(query, nameserver, timeout=remaining, port=port)
        return DnsAnswer(response=response, over_tcp=True, seconds=time.perf_counter() - started)


def answer_facts(response: dns.message.Message, qname: dns.name.Name, rdtype: RecordType) -> dict[str, Any]:
    """rcode, the answers of the type asked for, and the CNAME chain that led to them."""
    rcode = dns.rcode.to_text(response.rcode())
    rrsets = {(rrset.name, rrset.rdtype): rrset for rrset in response.answer}
    wanted = dns.rdatatype.from_text(rdtype.value)
    answers: list[str] = []
    cnames: list[str] = []
    ttls: list[int] = []
    current = qname
    for _ in range(MAX_CNAME_CHAIN):
        rrset = rrsets.get((current, wanted))
        if rrset is not None:
            answers = sorted((answer_text(rdata) for rdata in rrset), key=_answer_order)
            ttls.append(rrset.ttl)
            break
        alias = rrsets.get((current, dns.rdatatype.CNAME))
        if alias is None:
            break
        cnames.append(answer_text(alias[0]))
        ttls.append(alias.ttl)
        current = alias[0].target
    facts: dict[str, Any] = {
        "rcode": rcode,
        "nxdomain": rcode == "NXDOMAIN",
        "answers": answers,
        "count": len(answers),
        "cnames": cnames,
        "authoritative": bool(response.flags & dns.flags.AA),
    }
    if answers:
        facts["ttl"] = min(ttls)
    return facts


def answer_text(rdata: dns.rdata.Rdata) -> str:
    """A record's data as facts show it: names lower-cased, without their trailing dot."""
    rdtype = dns.rdatatype.to_text(rdata.rdtype)
    if rdtype in ("TXT", "SPF"):  # one value split into strings of at most 255 bytes
        return b"".join(rdata.strings).decode("utf-8", "replace")  # type: ignore[attr-defined]
    text = rdata.to_text()
    return _TRAILING_DOT.sub("", text.lower() if rdtype in _NAME_TYPES else text)


def normal_form(rdtype: RecordType, written: str) -> str:
    """An expected answer as the facts would show it; ValueError when it is no such record."""
    if rdtype is RecordType.TXT:
        return written
    try:
        return answer_text(dns.rdata.from_text(dns.rdataclass.IN, rdtype.value, written.strip()))
    except (dns.exception.DNSException, ValueError) as exc:
        raise ValueError(str(exc).rstrip(".") or type(exc).__name__) from None


def system_nameserver(*, ipv6: bool, resolv_conf: str = RESOLV_CONF) -> str:
    """The first nameserver this machine uses (IPv4 unless `ipv6`)."""
    try:
        configured = dns.resolver.Resolver(filename=resolv_conf).nameservers
    except (dns.resolver.NoResolverConfiguration, OSError):
        configured = []
    for server in configured:
        if isinstance(server, str) and _is_ip(server) and (ipv6 or ":" not in server):
            return server
    family = "" if ipv6 else "IPv4 "
    raise TargetError(f"this machine has no {family}nameserver in {resolv_conf}; set `nameserver:`")


def _answer_order(text: str) -> tuple[tuple[int, int, str], ...]:
    """Servers shuffle answers; facts list them in a stable order: addresses by value,
    numbers (MX preference, SRV priority) as numbers, the rest as text."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return tuple((0, int(token), "") if token.isdigit() else (1, 0, token) for token in text.split())
    return ((address.version, int(address), ""),)


def _normal_form_or_written(rdtype: RecordType, written: str) -> str:
    try:
        return normal_form(rdtype, written)
    except ValueError:  # check() reports it when the config loads
        return written


def _record_problem(rdtype: RecordType, index: int, answer: str) -> str | None:
    try:
        normal_form(rdtype, answer)
    except ValueError as exc:
        return f"answers[{index}]: '{answer}' is not a valid {rdtype} record ({exc})"
    return None


def _nameserver(configured: str | None, *, ipv6: bool) -> str:
    if configured is None:
        return system_nameserver(ipv6=ipv6)
    if not _is_ip(configured.strip()):
        raise TargetError(f"nameserver '{configured}' is not an IP address")
    return configured.strip()


def _require_declared(name: str, allowed: frozenset[str] | None) -> None:
    if allowed is None or any(name == host or name.endswith(f".{host}") for host in allowed):
        return
    raise TargetError(f"{name} is neither a host the config declares nor a subdomain of one")


def _name_problem(text: str) -> str | None:
    if "://" in text or "/" in text:
        return "is not a DNS name; write the host name alone, e.g. app.example.com"
    if not text.strip(". ") or any(c.isspace() for c in text.strip()):
        return "is not a DNS name"
    try:
        dns.name.from_text(text.strip())
    except dns.exception.DNSException as exc:
        return f"is not a DNS name: {str(exc).rstrip('.')}"
    return None


def _literal(text: str) -> bool:
    """Text without `{env.*}` or `${VAR}`: checkable when the config loads."""
    return "{" not in text


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _quoted(text: str) -> str:
    """A string literal of the expectation language (a backslash escapes the quote and itself)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
