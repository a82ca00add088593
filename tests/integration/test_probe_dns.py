"""The `dns` probe against a real DNS server on 127.0.0.1 (tests/support/dns_server.py).

Probes are built from config text through the loader, as users write them, and ask the
local server over real UDP (and TCP when an answer is too large for UDP).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from apiq_gate.config import ConfigError, loads
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Checklist, Environment, Outcome, Status
from apiq_gate.probes.base import ProbeFacts
from apiq_gate.probes.kinds import dns as dns_module
from apiq_gate.probes.kinds.dns import DnsProbe, system_nameserver
from apiq_gate.probes.targets import TargetError
from apiq_gate.run import RunOptions, run
from tests.support.dns_server import DnsServer, Query, serving_dns
from tests.support.probe_config import checklist as probe_checklist

HOST = "app.example.test"
LONG_TXT = "google-site-verification=" + "x" * 1500  # too large for one UDP answer (EDNS: 1232 bytes)
ZONE = {
    HOST: {
        "A": ["127.0.0.1", "127.0.0.2"],
        "AAAA": ["2001:db8::10"],
        "MX": ["10 mail.example.test", "20 backup-mail.example.test"],
        "TXT": ["v=spf1 include:_spf.example.test -all"],
    },
    "www.example.test": {"CNAME": [HOST]},
    f"www.{HOST}": {"CNAME": [HOST]},
    "big.example.test": {"TXT": [LONG_TXT]},
    "quotes.example.test": {"TXT": ['say "hi" \\o/']},
    "1.0.0.127.in-addr.arpa": {"PTR": [HOST]},
}


@pytest.fixture(scope="module")
def server() -> Iterator[DnsServer]:
    with serving_dns(ZONE, ttls={"www.example.test": 60}, servfail=["broken.example.test"]) as running:
        yield running


@pytest.fixture(autouse=True)
def _forget_queries(server: DnsServer) -> None:
    server.queries.clear()


def checklist(evidence_yaml: str, *, environment: str = f"{{host: {HOST}}}") -> Checklist:
    return probe_checklist(evidence_yaml, f"environments:\n  production: {environment}")


def dns_probe(server: DnsServer, fields: str) -> DnsProbe:
    """`- dns: {<fields>}` asking the local server, with short timeouts and no retries."""
    defaults = "".join(f"{key}: {value}, " for key, value in (("timeout", "1s"), ("retries", 0)) if f"{key}:" not in fields)
    (evidence,) = checklist(f"- dns: {{nameserver: 127.0.0.1, port: {server.port}, {defaults}{fields}}}").sections[0].items[0].evidence
    assert isinstance(evidence, DnsProbe)
    return evidence


def observe(probe: DnsProbe, tmp_path: Path, **ctx: object) -> tuple[ProbeFacts, Outcome]:
    options: dict[str, object] = {"sleep": lambda seconds: None, "environment": Environment(host=HOST), **ctx}
    observed = probe.observe(RunContext(root=tmp_path, environ={}, timeout=2.0, **options))  # type: ignore[arg-type]
    return observed, probe.judge(observed)


# --- records ---------------------------------------------------------------------------


def test_dns_probe__a_record_resolves_with_the_expected_answers(server: DnsServer, tmp_path: Path) -> None:
    observed, outcome = observe(dns_probe(server, "answers: [127.0.0.2, 127.0.0.1]"), tmp_path)

    assert outcome.status is Status.PASS, outcome.reason
    assert outcome.reason == (
        f'rcode ("NOERROR") == "NOERROR"; answers (["127.0.0.1", "127.0.0.2"]) contains "127.0.0.2"; '
        f'answers (["127.0.0.1", "127.0.0.2"]) contains "127.0.0.1" (A {HOST} @127.0.0.1:{server.port})'
    )
    facts = observed.facts
    assert (facts["count"], facts["ttl"], facts["authoritative"], facts["tcp"]) == (2, 300, True, False)
    assert (facts["name"], facts["type"], facts["nameserver"]) == (HOST, "A", "127.0.0.1")
    assert server.queries == [Query(name=HOST, type="A", transport="udp")]


def test_dns_probe__wrong_answer_fails_with_the_actual_answers(server: DnsServer, tmp_path: Path) -> None:
    _, outcome = observe(dns_probe(server, "answers: [127.0.0.1, 203.0.113.9]"), tmp_path)

    assert outcome.status is Status.FAIL
    assert outcome.reason == f'answers (["127.0.0.1", "127.0.0.2"]) contains "203.0.113.9" (A {HOST} @127.0.0.1:{server.port})'


def test_dns_probe__no_expectations_means_the_name_must_resolve(server: DnsServer, tmp_path: Path) -> None:
    observed, outcome = observe(dns_probe(server, "type: AAAA"), tmp_path)

    assert outcome.status is Status.PASS
    assert outcome.details == ('rcode ("NOERROR") == "NOERROR"', "count (1) > 0")
    assert observed.facts["answers"] == ["2001:db8::10"]


def test_dns_probe__nxdomain_fails_by_default_and_passes_when_expected(server: DnsServer, tmp_path: Path) -> None:
    observed, default = observe(dns_probe(server, "name: old.app.example.test"), tmp_path)
    _, expected = observe(dns_probe(server, "name: old.app.example.test, expect: [nxdomain == true]"), tmp_path)

    assert default.status is Status.FAIL
    assert default.reason.startswith('rcode ("NXDOMAIN") == "NOERROR"; count (0) > 0 (')
    assert expected.status is Status.PASS
    assert expected.reason.startswith("nxdomain (true) == true")
    assert observed.facts["nxdomain"] is True and observed.facts["answers"] == []
    assert "ttl" not in observed.facts  # no answer, no TTL: `ttl < 1h` is then an error, never a pass


def test_dns_probe__cname_target_is_normalised_and_matched(server: DnsServer, tmp_path: Path) -> None:
    observed, outcome = observe(dns_probe(server, "name: www.example.test, type: CNAME, answers: [App.Example.Test.]"), tmp_path)

    assert outcome.status is Status.PASS, outcome.reason
    assert observed.facts["answers"] == [HOST]


def test_dns_probe__address_through_a_cname_reports_the_chain_and_the_smallest_ttl(server: DnsServer, tmp_path: Path) -> None:
    observed, outcome = observe(dns_probe(server, "name: www.example.test, expect: ['cnames == [\"app.example.test\"]', ttl <= 1m]"), tmp_path)

    assert outcome.status is Status.PASS, outcome.reason
    assert observed.facts["answers"] == ["127.0.0.1", "127.0.0.2"]
    assert observed.facts["ttl"] == 60  # the CNAME's, smaller than the addresses' 300


def test_dns_probe__mx_records_read_as_preference_and_host(server: DnsServer, tmp_path: Path) -> None:
    observed, outcome = observe(dns_probe(server, "type: MX, answers: ['10 Mail.Example.Test.']"), tmp_path)

    assert outcome.status is Status.PASS, outcome.reason
    assert observed.facts["answers"] == ["10 mail.example.test", "20 backup-mail.example.test"]


def test_dns_probe__txt_record_reads_as_its_text(server: DnsServer, tmp_path: Path) -> None:
    observed, outcome = observe(dns_probe(server, "type: TXT, expect: ['any(answers) matches \"^v=spf1 .* -all$\"']"), tmp_path)

    assert outcome.status is Status.PASS, outcome.reason
    assert observed.facts["answers"] == ["v=spf1 include:_spf.example.test -all"]


def test_dns_probe__txt_answer_with_quotes_and_backslashes_matches_as_written(server: DnsServer, tmp_path: Path) -> None:
    observed, outcome = observe(dns_probe(server, """name: quotes.example.test, type: TXT, answers: ['say "hi" \\o/']"""), tmp_path)

    assert outcome.status is Status.PASS, outcome.reason
    assert observed.facts["answers"] == ['say "hi" \\o/']


def test_dns_probe__answer_too_large_for_udp_is_asked_again_over_tcp(server: DnsServer, tmp_path: Path) -> None:
    observed, outcome = observe(dns_probe(server, "name: big.example.test, type: TXT"), tmp_path)

    assert outcome.status is Status.PASS, outcome.reason
    assert observed.facts["answers"] == [LONG_TXT]  # its six 255-byte strings joined again
    assert observed.facts["tcp"] is True
    assert [q.transport for q in server.queries] == ["udp", "tcp"]


def test_dns_probe__ptr_for_an_address_asks_its_reverse_name(server: DnsServer, tmp_path: Path) -> None:
    observed, outcome = observe(dns_probe(server, f"name: 127.0.0.1, type: PTR, answers: [{HOST}]"), tmp_path)

    assert outcome.status is Status.PASS, outcome.reason
    assert observed.facts["name"] == "1.0.0.127.in-addr.arpa"


# --- failures of the nameserver ----------------------------------------------------------


def test_dns_probe__servfail_fails_after_retries(server: DnsServer, tmp_path: Path) -> None:
    slept: list[float] = []
    probe = dns_probe(server, "name: broken.example.test, retries: 1")
    observed, outcome = observe(probe, tmp_path, sleep=slept.append)

    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith('rcode ("SERVFAIL") == "NOERROR"; count (0) > 0 (')
    assert observed.facts["nxdomain"] is False
    assert len(server.queries) == 2 and slept == [0.5]  # a resolver's SERVFAIL may pass: asked once more


def test_dns_probe__silent_nameserver_is_a_timeout_error_after_retries(tmp_path: Path) -> None:
    slept: list[float] = []
    with serving_dns(ZONE, silent=True) as silent:
        probe = dns_probe(silent, "timeout: 100ms, retries: 2")
        _, outcome = observe(probe, tmp_path, sleep=slept.append)
        asked = len(silent.queries)

    assert outcome.status is Status.ERROR
    assert outcome.reason == f"A {HOST} @127.0.0.1:{silent.port}: no answer from 127.0.0.1:{silent.port} within 0.1s"
    assert asked == 3 and slept == [0.5, 1.0]


# --- what a probe may ask about ----------------------------------------------------------


def test_dns_probe__name_outside_the_declared_hosts_is_refused_unasked(server: DnsServer, tmp_path: Path) -> None:
    allowed = frozenset({HOST})
    _, refused = observe(dns_probe(server, "name: evil.example.net"), tmp_path, allowed_hosts=allowed)
    _, subdomain = observe(dns_probe(server, "name: _dmarc.app.example.test, expect: [nxdomain]"), tmp_path, allowed_hosts=allowed)

    assert refused.status is Status.ERROR
    assert "evil.example.net is neither a host the config declares nor a subdomain of one" in refused.reason
    assert subdomain.status is Status.PASS, subdomain.reason
    assert [q.name for q in server.queries] == ["_dmarc.app.example.test"]


def test_dns_probe__secret_built_name_is_never_sent_to_the_nameserver(server: DnsServer, tmp_path: Path) -> None:
    config = checklist(f"- dns: {{name: '${{API_TOKEN}}.exfil.example.net', nameserver: 127.0.0.1, port: {server.port}}}")
    report = run(config, RunOptions(root=tmp_path, environ={"API_TOKEN": "tok-7d1e0b4c9a"}))

    (item,) = report.items()
    assert item.status is Status.ERROR
    assert "***.exfil.example.net is neither a host the config declares nor a subdomain of one" in item.reason
    assert "tok-7d1e0b4c9a" not in item.reason
    assert server.queries == []


def test_dns_probe__bad_fields_are_located_config_errors() -> None:
    with pytest.raises(ConfigError) as raised:
        checklist(
            """
            - dns: {nameserver: dns.google}
            - dns: {name: "https://app.example.test/", answers: [not-an-address]}
            - dns: {type: MX, answers: [mail.example.test], expect: [ttl_s < 1h]}
            """
        )
    messages = [problem.message for problem in raised.value.problems]
    assert "nameserver 'dns.google' is not an IP address; write e.g. 1.1.1.1" in messages
    assert "name: is not a DNS name; write the host name alone, e.g. app.example.com" in messages
    assert any(m.startswith("answers[0]: 'not-an-address' is not a valid A record") for m in messages), messages
    assert any(m.startswith("answers[0]: 'mail.example.test' is not a valid MX record") for m in messages), messages
    assert "'ttl_s' in `ttl_s < 1h` is not a fact of this probe; did you mean ttl?" in messages


def test_dns_probe__docstring_example_is_a_valid_config() -> None:
    example = textwrap.dedent(dns_module.__doc__.split("Example:\n")[1])
    text = f"version: 1\nname: x\nenvironments: {{production: {{host: {HOST}}}}}\nsections:\n  - id: s\n    title: S\n    items:\n"
    config = loads(text + textwrap.indent(example, " " * 6))

    assert [evidence.label() for _, item in config.items() for evidence in item.evidence] == [
        "dns A {env.host}",
        "dns CNAME www.{env.host}",
        "dns MX {env.host} @1.1.1.1",
        "dns A old.{env.host}",
    ]


def test_system_nameserver__first_ipv4_entry_of_resolv_conf(tmp_path: Path) -> None:
    resolv_conf = tmp_path / "resolv.conf"
    resolv_conf.write_text("search corp.example\nnameserver 2001:db8::53\nnameserver 10.0.0.53\n")

    assert system_nameserver(ipv6=False, resolv_conf=str(resolv_conf)) == "10.0.0.53"
    assert system_nameserver(ipv6=True, resolv_conf=str(resolv_conf)) == "2001:db8::53"
    resolv_conf.write_text("nameserver 2001:db8::53\n")
    with pytest.raises(TargetError, match="no IPv4 nameserver in .*resolv.conf; set `nameserver:`"):
        system_nameserver(ipv6=False, resolv_conf=str(resolv_conf))


# --- end to end ------------------------------------------------------------------------


def test_dns_probe__end_to_end_through_the_loader_and_a_run(server: DnsServer, tmp_path: Path) -> None:
    config = checklist(
        f"""
        - dns: {{name: "{{env.host}}", nameserver: 127.0.0.1, port: {server.port}, answers: [127.0.0.1]}}
        - dns: {{name: "www.{{env.host}}", type: CNAME, nameserver: 127.0.0.1, port: {server.port}, answers: ["{{env.host}}"]}}
        - dns: {{name: "gone.{{env.host}}", nameserver: 127.0.0.1, port: {server.port}, expect: [nxdomain]}}
        """
    )
    report = run(config, RunOptions(root=tmp_path, environ={}))

    (item,) = report.items()
    assert item.status is Status.PASS, item.reason
    reasons = [evidence.outcome.reason for evidence in item.evidence]
    assert reasons[1] == (
        f'rcode ("NOERROR") == "NOERROR"; answers (["{HOST}"]) contains expected.0 ("{HOST}") '
        f"(CNAME www.{HOST} @127.0.0.1:{server.port})"
    )
    assert {(q.name, q.type) for q in server.queries} == {(HOST, "A"), (f"www.{HOST}", "CNAME"), (f"gone.{HOST}", "A")}
