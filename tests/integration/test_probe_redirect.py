"""The `redirect` probe: a real local plain-HTTP server redirecting to a real local HTTPS one."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from apiq_gate.errors import ConfigError
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Environment, Outcome, Status
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.run import RunOptions, run
from tests.support.probe_config import checklist
from tests.support.servers import Answer, LocalServer, serving

HOST = "app.apiq.test"


def observe_and_judge(evidence_yaml: str, root: Path) -> tuple[ProbeFacts, Outcome]:
    (probe,) = checklist(evidence_yaml).sections[0].items[0].evidence
    assert isinstance(probe, Probe)
    environment = Environment(resolve={HOST: "127.0.0.1"})
    facts = probe.observe(
        RunContext(
            root=root, environ={}, timeout=2.0, environment=environment, sleep=lambda s: None
        )
    )
    return facts, probe.judge(facts)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def secure_site(ca: trustme.CA, tmp_path: Path) -> Iterator[LocalServer]:
    """The HTTPS side, serving `/` with 200 (tests add routes); its CA bundle is `ca.pem`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(HOST).configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with serving({"/": Answer(body="welcome")}, tls=context) as server:
        yield server


def plain_redirect(status: int, location: str) -> dict[str, Answer]:
    return {"/": Answer(status=status, headers={"Location": location})}


def test_redirect__permanent_to_https_on_the_same_host_passes(
    secure_site: LocalServer, tmp_path: Path
) -> None:
    with serving(plain_redirect(301, secure_site.url("/", host=HOST))) as plain:
        facts, outcome = observe_and_judge(
            f"- redirect: {{url: '{plain.url('/', host=HOST)}', verify: ca.pem}}", tmp_path
        )
    assert outcome.status is Status.PASS, outcome.reason
    assert facts.facts["first_status"] == 301
    assert (facts.facts["hops"], facts.facts["final_url"], facts.facts["final_status"]) == (
        1,
        secure_site.url("/", host=HOST),
        200,
    )
    assert (facts.facts["same_host"], facts.facts["ends_https"], facts.facts["loop"]) == (
        True,
        True,
        False,
    )


def test_redirect__temporary_302_fails_permanent(secure_site: LocalServer, tmp_path: Path) -> None:
    with serving(plain_redirect(302, secure_site.url("/", host=HOST))) as plain:
        facts, outcome = observe_and_judge(
            f"- redirect: {{url: '{plain.url('/', host=HOST)}', verify: ca.pem}}", tmp_path
        )
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("permanent (false)")
    assert facts.facts["ends_https"] is True


def test_redirect__loop_is_detected_and_said(secure_site: LocalServer, tmp_path: Path) -> None:
    secure_site.routes["/"] = Answer(status=301, headers={"Location": "/a"})
    secure_site.routes["/a"] = Answer(
        status=301, headers={"Location": secure_site.url("/", host=HOST)}
    )
    with serving(plain_redirect(301, secure_site.url("/", host=HOST))) as plain:
        facts, outcome = observe_and_judge(
            f"- redirect: {{url: '{plain.url('/', host=HOST)}', verify: ca.pem}}", tmp_path
        )
    assert outcome.status is Status.FAIL
    assert "not loop (true)" in outcome.reason
    assert outcome.reason.endswith(f"; redirect loop: {secure_site.url('/', host=HOST)} again")
    assert facts.facts["hops"] == 3
    assert len(secure_site.requests) == 2  # each URL once


def test_redirect__plain_http_answering_200_fails(tmp_path: Path) -> None:
    with serving({"/": Answer(body="no https here")}) as plain:
        facts, outcome = observe_and_judge(f"- redirect: '{plain.url('/', host=HOST)}'", tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("permanent (false); same_host (false); ends_https (false)")
    assert (facts.facts["first_status"], facts.facts["hops"]) == (200, 0)


def test_redirect__hop_to_an_undeclared_host_is_reported_not_followed(
    secure_site: LocalServer, tmp_path: Path
) -> None:
    secure_site.routes["/"] = Answer(
        status=301, headers={"Location": "https://login.elsewhere.example/sso"}
    )
    with serving(plain_redirect(301, secure_site.url("/", host=HOST))) as plain:
        config = checklist(
            "- redirect: {url: 'http://{env.host}:{env.http_port}/', verify: ca.pem}",
            environments=(
                f"environments:\n  production:\n    host: {HOST}\n"
                f"    resolve: {{{HOST}: 127.0.0.1}}\n"
                f"    vars: {{http_port: '{plain.port}'}}"
            ),
        )
        report = run(config, RunOptions(root=tmp_path, environ={}))
    (item,) = report.items()
    assert item.status is Status.ERROR  # where the chain ends is unknown: never a pass
    assert "ends_https (missing)" in item.reason
    assert item.reason.endswith(
        "; the redirect to login.elsewhere.example, "
        "a host the config does not declare, was not followed"
    )
    assert len(secure_site.requests) == 1


def test_redirect__https_start_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        checklist("- redirect: {url: 'https://app.apiq.test/'}")
    assert "'https://app.apiq.test/' must be a plain http:// URL" in str(caught.value)
