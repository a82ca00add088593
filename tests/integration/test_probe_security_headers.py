"""The `security_headers` probe against real local HTTP(S) servers: grades, thresholds, cookies."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from apiq_gate.errors import ConfigError
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Environment, Outcome, Status
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.report_io import format_report
from apiq_gate.run import RunOptions, run
from tests.support.probe_config import checklist
from tests.support.servers import Answer, serving

HOST = "app.apiq.test"
COOKIE_VALUE = "s3ss10n-v4lue-9f2c7d1e"
WELL_CONFIGURED = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=()",
}
API_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "Content-Type": "application/json",
}


def probe_of(evidence_yaml: str) -> Probe:
    (evidence,) = checklist(evidence_yaml).sections[0].items[0].evidence
    assert isinstance(evidence, Probe)
    return evidence


def observe_and_judge(probe: Probe, root: Path) -> tuple[ProbeFacts, Outcome]:
    ctx = RunContext(
        root=root,
        environ={},
        timeout=2.0,
        environment=Environment(resolve={HOST: "127.0.0.1"}),
        sleep=lambda s: None,
    )
    facts = probe.observe(ctx)
    return facts, probe.judge(facts)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls(ca: trustme.CA, tmp_path: Path) -> ssl.SSLContext:
    """A server context with a certificate for HOST; clients trust `ca.pem` in the repository."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(HOST).configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    return context


def graded(
    answer: Answer, tls: ssl.SSLContext, root: Path, fields: str = ""
) -> tuple[ProbeFacts, Outcome]:
    """`answer` served over HTTPS, probed with `security_headers` and the given extra `fields`."""
    with serving({"/": answer}, tls=tls) as server:
        evidence = (
            f"- security_headers: {{url: '{server.url('/', host=HOST)}', verify: ca.pem, {fields}}}"
        )
        return observe_and_judge(probe_of(evidence), root)


# --- grades ---------------------------------------------------------------------------


def test_security_headers__well_configured_page_is_graded_a_plus_and_passes(tls, tmp_path):
    facts, outcome = graded(
        Answer(headers=WELL_CONFIGURED, body="<p>hi</p>"), tls, tmp_path, "grade: A"
    )
    assert outcome.status is Status.PASS, outcome.reason
    assert (facts.facts["grade"], facts.facts["score"], facts.facts["missing"]) == ("A+", 120, [])
    assert facts.facts["tests"]["csp"] == {
        "passed": True,
        "modifier": 10,
        "result": "csp-implemented-with-no-unsafe-default-src-none",
    }
    assert facts.facts["hsts"] == {
        "present": True,
        "max_age": 63072000,
        "include_subdomains": True,
        "preload": True,
    }


def test_security_headers__bare_page_over_plain_http_is_graded_f_and_the_reason_shows_it(tmp_path):
    with serving({"/": Answer(body="<p>hi</p>")}) as server:
        probe = probe_of(f"- security_headers: '{server.url('/')}'")
        facts, outcome = observe_and_judge(probe, tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith('grade ("F") >= B')
    # 100 - 20 HSTS - 25 CSP - 5 nosniff - 20 framing - 20 no redirect to https
    assert facts.facts["score"] == 10
    assert facts.facts["missing"] == [
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Permissions-Policy",
    ]


def test_security_headers__api_profile_does_not_ask_an_api_for_frame_options_or_csp(tls, tmp_path):
    answer = Answer(headers=API_HEADERS, body='{"status": "ok"}')
    facts, outcome = graded(answer, tls, tmp_path, "profile: api, grade: A")
    assert outcome.status is Status.PASS, outcome.reason
    assert (facts.facts["grade"], facts.facts["missing"]) == ("A+", [])
    judged = {"hsts", "x_content_type_options", "cookies", "cross_origin_resource_policy"}
    assert set(facts.facts["tests"]) == judged


def test_security_headers__same_api_under_the_web_profile_is_graded_c(tls, tmp_path):
    _, outcome = graded(Answer(headers=API_HEADERS, body='{"status": "ok"}'), tls, tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith('grade ("C") >= B')  # 100 - 25 CSP - 20 X-Frame-Options


# --- thresholds and single headers ------------------------------------------------------


def test_security_headers__hsts_max_age_below_the_threshold_fails_with_the_actual_age(
    tls, tmp_path
):
    headers = {**WELL_CONFIGURED, "Strict-Transport-Security": "max-age=86400"}
    _, outcome = graded(Answer(headers=headers), tls, tmp_path, "hsts_max_age: 180d")
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("hsts.max_age (1d) >= 180d")


def test_security_headers__csp_allowing_inline_scripts_fails(tls, tmp_path):
    csp = "default-src 'self'; script-src 'self' 'unsafe-inline'"
    headers = {**WELL_CONFIGURED, "Content-Security-Policy": csp}
    facts, outcome = graded(
        Answer(headers=headers), tls, tmp_path, "expect: [not csp.unsafe_inline]"
    )
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("not csp.unsafe_inline (true)")
    assert facts.facts["tests"]["csp"]["result"] == "csp-implemented-with-unsafe-inline"
    assert facts.facts["csp"]["unsafe_eval"] is False


# --- cookies ----------------------------------------------------------------------------


def test_security_headers__cookie_flags_are_reported_and_an_insecure_cookie_fails(tls, tmp_path):
    cookies = [
        ("Set-Cookie", f"sessionid={COOKIE_VALUE}; Path=/"),
        ("Set-Cookie", "theme=dark; Secure; HttpOnly; SameSite=Lax"),
    ]
    answer = Answer(headers=[*WELL_CONFIGURED.items(), *cookies])
    facts, outcome = graded(answer, tls, tmp_path, "expect: [insecure_cookies == 0]")
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("insecure_cookies (1) == 0")
    assert facts.facts["cookies"] == [
        {"name": "sessionid", "secure": False, "httponly": False, "samesite": ""},
        {"name": "theme", "secure": True, "httponly": True, "samesite": "Lax"},
    ]
    assert facts.facts["tests"]["cookies"]["result"] == "cookies-session-without-httponly-flag"


def test_security_headers__cookie_value_never_appears_in_facts_or_report(tls, tmp_path):
    cookie = ("Set-Cookie", f"__Host-session={COOKIE_VALUE}; Secure; HttpOnly; SameSite=Strict")
    with serving({"/": Answer(headers=[*WELL_CONFIGURED.items(), cookie])}, tls=tls) as server:
        config = checklist(
            "- security_headers: {url: '{env.url}/', verify: ca.pem, grade: A}",
            environments=(
                f"environments:\n  production:\n    url: https://{HOST}:{server.port}\n"
                f"    resolve: {{{HOST}: 127.0.0.1}}"
            ),
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
