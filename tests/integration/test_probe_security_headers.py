"""The `security_headers` probe against real local HTTP and HTTPS servers: grades, thresholds, cookie flags."""

from __future__ import annotations

import ssl
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from apiq_gate.config import loads
from apiq_gate.errors import ConfigError
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Checklist, Environment, Outcome, Status
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.report_io import format_report
from apiq_gate.run import RunOptions, run
from tests.support.servers import Answer, LocalServer, serving

HOST = "app.apiq.test"
COOKIE_VALUE = "s3ss10n-v4lue-9f2c7d1e"
WELL_CONFIGURED = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=()",
}
API_HEADERS = {"Strict-Transport-Security": "max-age=31536000", "X-Content-Type-Options": "nosniff", "Content-Type": "application/json"}


def checklist(evidence_yaml: str, environments: str = "") -> Checklist:
    body = textwrap.indent(textwrap.dedent(evidence_yaml).strip(), " " * 10)
    text = f"version: 1\nname: headers\n{environments}\ndefaults: {{timeout: 2s}}\n"
    text += f"sections:\n  - id: s\n    title: S\n    items:\n      - id: item\n        title: Item\n        evidence:\n{body}\n"
    return loads(text)


def probe_of(evidence_yaml: str) -> Probe:
    (evidence,) = checklist(evidence_yaml).sections[0].items[0].evidence
    assert isinstance(evidence, Probe)
    return evidence


def observe_and_judge(probe: Probe, root: Path) -> tuple[ProbeFacts, Outcome]:
    ctx = RunContext(root=root, environ={}, timeout=2.0, environment=Environment(resolve={HOST: "127.0.0.1"}), sleep=lambda s: None)
    facts = probe.observe(ctx)
    return facts, probe.judge(facts)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_bundle(tmp_path: Path, ca: trustme.CA) -> str:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    return "ca.pem"


@pytest.fixture
def https(ca: trustme.CA) -> Iterator[Any]:
    """Serves `answer` over HTTPS with a certificate for HOST: `with https(answer) as server`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(HOST).configure_cert(context)

    def start(answer: Answer) -> Any:
        return serving({"/": answer}, tls=context)

    yield start


def url(server: LocalServer) -> str:
    return server.url("/", host=HOST)


# --- grades ---------------------------------------------------------------------------


def test_security_headers__well_configured_page_is_graded_a_plus_and_passes(tmp_path: Path, https: Any, ca_bundle: str) -> None:
    with https(Answer(headers=WELL_CONFIGURED, body="<!doctype html><p>hi</p>")) as server:
        facts, outcome = observe_and_judge(probe_of(f"- security_headers: {{url: '{url(server)}', verify: {ca_bundle}, grade: A}}"), tmp_path)
    assert outcome.status is Status.PASS, outcome.reason
    assert (facts.facts["grade"], facts.facts["score"], facts.facts["missing"]) == ("A+", 120, [])
    assert facts.facts["tests"]["csp"] == {"passed": True, "modifier": 10, "result": "csp-implemented-with-no-unsafe-default-src-none"}
    assert facts.facts["hsts"] == {"present": True, "max_age": 63072000, "include_subdomains": True, "preload": True}


def test_security_headers__bare_page_over_plain_http_is_graded_f_and_the_reason_shows_it(tmp_path: Path) -> None:
    with serving({"/": Answer(body="<p>hi</p>")}) as server:
        facts, outcome = observe_and_judge(probe_of(f"- security_headers: '{server.url('/')}'"), tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith('grade ("F") >= B')
    assert facts.facts["score"] == 10  # 100 - 20 HSTS - 25 CSP - 5 nosniff - 20 framing - 20 no redirect to https
    assert facts.facts["missing"] == [
        "Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
        "Referrer-Policy", "Permissions-Policy",
    ]  # fmt: skip


def test_security_headers__api_profile_does_not_ask_an_api_for_frame_options_or_csp(tmp_path: Path, https: Any, ca_bundle: str) -> None:
    with https(Answer(headers=API_HEADERS, body='{"status": "ok"}')) as server:
        facts, outcome = observe_and_judge(
            probe_of(f"- security_headers: {{url: '{url(server)}', verify: {ca_bundle}, profile: api, grade: A}}"), tmp_path
        )
    assert outcome.status is Status.PASS, outcome.reason
    assert (facts.facts["grade"], facts.facts["missing"]) == ("A+", [])
    assert set(facts.facts["tests"]) == {"hsts", "x_content_type_options", "cookies", "cross_origin_resource_policy"}


def test_security_headers__same_api_under_the_web_profile_is_graded_c(tmp_path: Path, https: Any, ca_bundle: str) -> None:
    with https(Answer(headers=API_HEADERS, body='{"status": "ok"}')) as server:
        facts, outcome = observe_and_judge(probe_of(f"- security_headers: {{url: '{url(server)}', verify: {ca_bundle}}}"), tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith('grade ("C") >= B')  # 100 - 25 CSP - 20 X-Frame-Options


# --- thresholds and single headers ------------------------------------------------------


def test_security_headers__hsts_max_age_below_the_threshold_fails_with_the_actual_age(tmp_path: Path, https: Any, ca_bundle: str) -> None:
    headers = {**WELL_CONFIGURED, "Strict-Transport-Security": "max-age=86400"}
    with https(Answer(headers=headers)) as server:
        _, outcome = observe_and_judge(
            probe_of(f"- security_headers: {{url: '{url(server)}', verify: {ca_bundle}, hsts_max_age: 180d}}"), tmp_path
        )
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("hsts.max_age (1d) >= 180d")


def test_security_headers__csp_allowing_inline_scripts_fails(tmp_path: Path, https: Any, ca_bundle: str) -> None:
    headers = {**WELL_CONFIGURED, "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'"}
    with https(Answer(headers=headers)) as server:
        facts, outcome = observe_and_judge(
            probe_of(f"- security_headers: {{url: '{url(server)}', verify: {ca_bundle}, expect: [not csp.unsafe_inline]}}"),
            tmp_path,
        )
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("not csp.unsafe_inline (true)")
    assert facts.facts["tests"]["csp"]["result"] == "csp-implemented-with-unsafe-inline"
    assert facts.facts["csp"]["unsafe_eval"] is False


# --- cookies ----------------------------------------------------------------------------


def test_security_headers__cookie_flags_are_reported_and_an_insecure_cookie_fails(tmp_path: Path, https: Any, ca_bundle: str) -> None:
    cookies = [("Set-Cookie", f"sessionid={COOKIE_VALUE}; Path=/"), ("Set-Cookie", "theme=dark; Secure; HttpOnly; SameSite=Lax")]
    with https(Answer(headers=[*WELL_CONFIGURED.items(), *cookies])) as server:
        facts, outcome = observe_and_judge(
            probe_of(f"- security_headers: {{url: '{url(server)}', verify: {ca_bundle}, expect: [insecure_cookies == 0]}}"),
            tmp_path,
        )
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("insecure_cookies (1) == 0")
    assert facts.facts["cookies"] == [
        {"name": "sessionid", "secure": False, "httponly": False, "samesite": ""},
        {"name": "theme", "secure": True, "httponly": True, "samesite": "Lax"},
    ]
    assert facts.facts["tests"]["cookies"]["result"] == "cookies-session-without-httponly-flag"


def test_security_headers__cookie_value_never_appears_in_facts_or_report(tmp_path: Path, ca: trustme.CA, ca_bundle: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(HOST).configure_cert(context)
    cookie = ("Set-Cookie", f"__Host-session={COOKIE_VALUE}; Secure; HttpOnly; SameSite=Strict; Path=/")
    with serving({"/": Answer(headers=[*WELL_CONFIGURED.items(), cookie])}, tls=context) as server:
        config = checklist(
            f"- security_headers: {{url: '{{env.url}}/', verify: {ca_bundle}, grade: A}}",
            environments=f"environments:\n  production:\n    url: https://{HOST}:{server.port}\n    resolve: {{{HOST}: 127.0.0.1}}",
        )
        report = run(config, RunOptions(root=tmp_path, environ={}))
    (item,) = report.items()
    assert item.status is Status.PASS, item.reason
    for fmt in ("text", "markdown", "json"):
        assert COOKIE_VALUE not in format_report(report, fmt), fmt
    assert COOKIE_VALUE not in repr(report)


# --- config -----------------------------------------------------------------------------


def test_security_headers__unknown_grade_or_profile_is_a_located_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        checklist("- security_headers: {url: 'https://x.test/', grade: E, profile: page}")
    text = str(caught.value)
    assert "security_headers.grade: 'E' is not one of A+, A, A-" in text
    assert "security_headers.profile: 'page' is not one of web, api" in text
