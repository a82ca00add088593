"""The checks `blackbox_compare.py` runs: each as a blackbox_exporter module and an apiq-gate probe.

A check says what it verifies, on which target, how each tool is configured for it, how
blackbox_exporter's answer is read (`probe_success`, plus a Prometheus-style rule where the
check has a threshold), which fact the two should agree on, and a note for the report. The
note was written from a real run; `expected` is the agreement it assumes, and the report
flags any row where a new run no longer agrees with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

NAME = "bench.test"  # certificates and DNS names; apiq-gate resolves it to 127.0.0.1
HEADER_REGEX = "^[0-9a-f-]{8,}$"
MIN_DAYS = 21
TIMEOUT = "5s"
Metrics = Mapping[str, float]
Fact = Literal["status", "days", "answers", "open", "none"]
Agreement = Literal["yes", "verdict only", "no"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Ports:
    http: int
    tls: Mapping[str, int]  # valid, expired, soon, intermediate, wrong_host
    dns: int
    closed: int
    ca: Path


@dataclass(frozen=True, kw_only=True, slots=True)
class Check:
    id: str  # the blackbox module's name and the apiq-gate item's id
    check: str
    target: str
    blackbox_module: dict[str, Any]
    blackbox_target: str
    apiq: dict[str, Any]  # the evidence entry
    fact: Fact
    expected: Agreement
    note: str
    rule: str = "probe_success == 1"
    passes: Callable[[Metrics, float], bool] = lambda metrics, _now: success(metrics)


def success(metrics: Metrics) -> bool:
    return metrics.get("probe_success") == 1


def days_left(metrics: Metrics, now: float) -> float | None:
    expiry = metrics.get("probe_ssl_earliest_cert_expiry")
    return None if expiry is None else (expiry - now) / 86400


def expiry_ok(metrics: Metrics, now: float) -> bool:
    """`probe_success == 1` and the usual expiry alert silent; no metric, no alert (PromQL)."""
    days = days_left(metrics, now)
    return success(metrics) and (days is None or days >= MIN_DAYS)


def _http_module(**extra: Any) -> dict[str, Any]:
    http = {"preferred_ip_protocol": "ip4", "ip_protocol_fallback": False, **extra}
    return {"prober": "http", "timeout": TIMEOUT, "http": http}


def _tls_module(ca: Path) -> dict[str, Any]:
    return _http_module(fail_if_not_ssl=True, tls_config={"ca_file": str(ca), "server_name": NAME})


def _dns_module(name: str, rcodes: list[str], **extra: Any) -> dict[str, Any]:
    dns = {
        "query_name": name, "query_type": "A", "valid_rcodes": rcodes, "transport_protocol": "udp",
        "preferred_ip_protocol": "ip4", "ip_protocol_fallback": False, **extra,
    }  # fmt: skip
    return {"prober": "dns", "timeout": TIMEOUT, "dns": dns}


TCP_MODULE = {"prober": "tcp", "timeout": TIMEOUT, "tcp": {"preferred_ip_protocol": "ip4"}}


def checks(ports: Ports) -> list[Check]:
    return [*_http_checks(ports), *_tls_checks(ports), *_dns_checks(ports), *_tcp_checks(ports)]


def _http_checks(ports: Ports) -> list[Check]:
    base = f"http://127.0.0.1:{ports.http}"
    header = {"header": "X-Request-Id", "regexp": HEADER_REGEX, "allow_missing": False}

    def status(*, id: str, path: str, target: str) -> Check:
        return Check(
            id=id,
            check="HTTP status is 2xx",
            target=target,
            blackbox_module=_http_module(),
            blackbox_target=f"{base}{path}",
            apiq={"http": {"url": f"{{env.url}}{path}", "retries": 0}},
            fact="status",
            expected="yes",
            note="",
        )

    def header_check(*, id: str, path: str, target: str, note: str = "") -> Check:
        expect = [f'headers.x-request-id matches "{HEADER_REGEX}"']
        return Check(
            id=id,
            check=f"header X-Request-Id matches `{HEADER_REGEX}`",
            target=target,
            blackbox_module=_http_module(fail_if_header_not_matches=[header]),
            blackbox_target=f"{base}{path}",
            apiq={"http": {"url": f"{{env.url}}{path}", "retries": 0, "expect": expect}},
            fact="none",
            expected="yes",
            note=note,
        )

    return [
        status(id="http-200", path="/ok", target="`/ok` answers 200"),
        status(id="http-503", path="/down", target="`/down` answers 503"),
        header_check(id="header-present", path="/with-header", target="`X-Request-Id: 7f3e2a90-5b1c`"),
        header_check(
            id="header-absent",
            path="/without-header",
            target="no `X-Request-Id` header",
            note="Both block. blackbox fails it (`allow_missing: false`) exactly as it fails a "
            "header that does not match; apiq-gate makes it an ERROR, not a fail: the fact is "
            "missing, so the expectation could not be judged (missing data is never a pass).",
        ),
    ]


def _tls_checks(ports: Ports) -> list[Check]:
    def tls(key: str, *, target: str, expected: Agreement = "yes", note: str = "") -> Check:
        port = ports.tls[key]
        probe = {"host": "{env.host}", "port": port, "ca_bundle": "ca.pem", "days_left": MIN_DAYS}
        return Check(
            id=f"tls-{key.replace('_', '-')}",
            check=f"TLS verified, every certificate served valid >= {MIN_DAYS} days",
            target=target,
            blackbox_module=_tls_module(ports.ca),
            blackbox_target=f"https://127.0.0.1:{port}/",
            apiq={"tls": {**probe, "retries": 0}},
            fact="days",
            expected=expected,
            rule=f"probe_success == 1, and no alert on (probe_ssl_earliest_cert_expiry - time()) / 86400 < {MIN_DAYS}",
            passes=expiry_ok,
            note=note,
        )

    return [
        tls("valid", target="private CA, leaf 90 d"),
        tls(
            "expired",
            target="leaf expired 2 d ago",
            expected="verdict only",
            note="apiq-gate is right about WHY. blackbox's verified handshake fails, so the probe "
            "returns no certificate metrics at all: Prometheus only sees `probe_success 0` "
            "(down), and the usual expiry alert, having no series, stays silent; 'expired' is "
            "only in the probe's debug log, which Prometheus does not keep. apiq-gate reads the "
            "served chain in a second, non-verifying handshake, so its reason says "
            "`days_left (-2)`: expired two days ago.",
        ),
        tls(
            "soon",
            target="leaf expires in 9 d",
            note="Both catch it, but blackbox only with a Prometheus alert rule: its probe "
            "succeeds (`probe_success 1`), as blackbox has no expiry threshold of its own. "
            "apiq-gate fails the item itself: `days_left (9) >= 21`.",
        ),
        tls(
            "intermediate",
            target="leaf 90 d, intermediate expires in 5 d",
            note="Both count the intermediate: blackbox's `probe_ssl_earliest_cert_expiry` is the "
            "minimum over the certificates the server sent (the leaf alone would say 90 days), "
            "as is apiq-gate's `days_left`.",
        ),
        tls(
            "wrong_host",
            target=f"leaf for `other.{NAME}` only",
            expected="verdict only",
            note="Both block. apiq-gate says why in the reason reviewers read (`verification failed: "
            "Hostname mismatch…`); blackbox's metrics only have `probe_success 0`, the mismatch is in "
            "its debug log, which Prometheus does not keep.",
        ),
    ]


def _dns_checks(ports: Ports) -> list[Check]:
    def dns(
        *, id: str, check: str, name: str, module: dict[str, Any], apiq: dict[str, Any], expected: Agreement = "yes",
        note: str = "",
    ) -> Check:  # fmt: skip
        probe = {"name": name, "nameserver": "127.0.0.1", "port": ports.dns, "retries": 0, **apiq}
        return Check(
            id=id,
            check=check,
            target=f"`{name}` A",
            blackbox_module=module,
            blackbox_target=f"127.0.0.1:{ports.dns}",
            apiq={"dns": probe},
            fact="answers",
            expected=expected,
            note=note,
        )

    present, missing, nodata = f"app.{NAME}", f"gone.{NAME}", f"txt.{NAME}"
    match = {"validate_answer_rrs": {"fail_if_none_matches_regexp": [r"\t127\.0\.0\.1$"]}}
    return [
        dns(
            id="dns-answer",
            check="A answers include 127.0.0.1",
            name=present,
            module=_dns_module(present, ["NOERROR"], **match),
            apiq={"answers": ["127.0.0.1"]},
        ),
        dns(
            id="dns-resolves-nxdomain",
            check="A resolves (defaults)",
            name=missing,
            module=_dns_module(missing, ["NOERROR"]),
            apiq={},
        ),
        dns(
            id="dns-expect-nxdomain",
            check="name does NOT exist (NXDOMAIN expected)",
            name=missing,
            module=_dns_module(missing, ["NXDOMAIN"]),
            apiq={"expect": ["nxdomain"]},
        ),
        dns(
            id="dns-resolves-nodata",
            check="A resolves (defaults)",
            name=nodata,
            module=_dns_module(nodata, ["NOERROR"]),
            apiq={},
            expected="no",
            note="apiq-gate is right. The name exists with a TXT record only, so the A query gets "
            "NOERROR with no answer (NODATA). blackbox's default DNS check only looks at the "
            "rcode and passes (`probe_dns_answer_rrs 0`); apiq-gate's default expects "
            "`count > 0` as well and fails. blackbox agrees once `validate_answer_rrs` is added.",
        ),
    ]


def _tcp_checks(ports: Ports) -> list[Check]:
    def tcp(*, id: str, port: int, target: str, state: str, note: str = "") -> Check:
        must_close = state == "closed"
        return Check(
            id=id,
            check="port closed (a database)" if must_close else "port open",
            target=target,
            blackbox_module=TCP_MODULE,
            blackbox_target=f"127.0.0.1:{port}",
            apiq={"tcp": {"host": "{env.host}", "port": port, "state": state, "retries": 0}},
            fact="open",
            expected="yes",
            note=note,
            rule="probe_success == 0" if must_close else "probe_success == 1",
            passes=_closed if must_close else _succeeded,
        )

    listening, closed = "a listening port", "a closed port"
    return [
        tcp(id="tcp-open", port=ports.http, target=listening, state="open"),
        tcp(id="tcp-open-refused", port=ports.closed, target=closed, state="open"),
        tcp(
            id="tcp-closed",
            port=ports.closed,
            target=closed,
            state="closed",
            note="blackbox has no 'must be closed' mode: a closed port is a failed probe "
            "(`probe_success 0`), so the check is the inverted rule `probe_success == 0`, which "
            "cannot tell a refused connection from a timeout or a DNS failure. apiq-gate's "
            "`state: closed` passes only when the connect is refused, times out (filtered) or "
            "finds the host unreachable, and says which (`error=refused`); any other failure is "
            "an error, never a pass.",
        ),
        tcp(id="tcp-closed-open", port=ports.http, target=listening, state="closed"),
    ]


def _succeeded(metrics: Metrics, now: float) -> bool:
    return success(metrics)


def _closed(metrics: Metrics, now: float) -> bool:
    return metrics.get("probe_success") == 0


# Facts of apiq-gate's probe shown next to its reason (the reason names only the failed checks).
SHOWN_FACTS: Mapping[Fact, tuple[str, ...]] = {
    "status": ("status",),
    "days": ("verify_reason", "days_left"),
    "answers": ("rcode", "count"),
    "open": ("error",),
    "none": (),
}


def fact_of(check: Check, metrics: Metrics, facts: Mapping[str, Any] | None, now: float) -> tuple[Any, Any]:
    """(blackbox's, apiq-gate's) value of the check's fact; None where a tool has none."""
    facts = facts or {}
    if check.fact == "status":
        code = metrics.get("probe_http_status_code")
        return (int(code) if code else None), facts.get("status")
    if check.fact == "days":
        days = days_left(metrics, now)
        return (math.floor(days) if days is not None else None), facts.get("days_left")
    if check.fact == "answers":
        count = metrics.get("probe_dns_answer_rrs")
        return (int(count) if count is not None else None), facts.get("count")
    if check.fact == "open":
        return metrics.get("probe_success") == 1, facts.get("open")
    return None, None
