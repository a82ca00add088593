"""The `cors` probe against real local servers with good and bad CORS policies."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from apiq_gate.config import loads
from apiq_gate.errors import ConfigError
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Outcome, Status
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.run import RunOptions, run
from tests.support.probe_config import checklist
from tests.support.servers import Answer, Request, serving

APP = "https://app.apiq.test"
FOREIGN = "https://evil.apiq-gate.invalid"


def observe_and_judge(evidence_yaml: str, root: Path) -> tuple[ProbeFacts, Outcome]:
    (probe,) = checklist(evidence_yaml).sections[0].items[0].evidence
    assert isinstance(probe, Probe)
    facts = probe.observe(RunContext(root=root, environ={}, timeout=2.0, sleep=lambda s: None))
    return facts, probe.judge(facts)


def policy(allow: Callable[[str], str | None], *, credentials: bool) -> Callable[[Request], Answer]:
    """Preflight answers: Access-Control-Allow-Origin is `allow(origin)`; credentials or not."""

    def answer(request: Request) -> Answer:
        headers = {
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "authorization",
        }
        allowed = allow(request.headers.get("origin", ""))
        if allowed is not None:
            headers["Access-Control-Allow-Origin"] = allowed
            headers["Vary"] = "Origin"
        if credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return Answer(status=204, headers=headers)

    return answer


def reflect_any(origin: str) -> str:
    return origin


def only_app(origin: str) -> str | None:
    return origin if origin == APP else None


def test_cors__reflecting_any_origin_with_credentials_fails(tmp_path: Path) -> None:
    with serving({"/api": policy(reflect_any, credentials=True)}) as server:
        facts, outcome = observe_and_judge(f"- cors: '{server.url('/api')}'", tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith(
        "not (reflects_foreign_origin (true) and allow_credentials (true))"
    )
    assert facts.facts["allow_origin"] == FOREIGN
    assert server.requests[0].method == "OPTIONS"
    assert server.requests[0].headers["access-control-request-method"] == "GET"


def test_cors__wildcard_with_credentials_fails(tmp_path: Path) -> None:
    with serving({"/api": policy(lambda origin: "*", credentials=True)}) as server:
        facts, outcome = observe_and_judge(f"- cors: '{server.url('/api')}'", tmp_path)
    assert outcome.status is Status.FAIL
    assert "not wildcard_with_credentials (true)" in outcome.reason
    assert facts.facts["reflects_foreign_origin"] is False


def test_cors__allowed_origin_reflected_and_foreign_one_refused_passes(tmp_path: Path) -> None:
    with serving({"/api": policy(only_app, credentials=True)}) as server:
        facts, outcome = observe_and_judge(
            f"""
            - cors:
                url: '{server.url("/api")}'
                method: POST
                request_headers: [Authorization]
                allowed_origins: ['{APP}']
            """,
            tmp_path,
        )
    assert outcome.status is Status.PASS, outcome.reason
    assert facts.facts["allowed_origins"] == [
        {"origin": APP, "allow_origin": APP, "allow_credentials": True, "ok": True}
    ]
    assert [r.headers["origin"] for r in server.requests] == [FOREIGN, APP]
    assert server.requests[1].headers["access-control-request-headers"] == "authorization"


def test_cors__allowed_origin_not_reflected_fails(tmp_path: Path) -> None:
    with serving({"/api": policy(lambda origin: None, credentials=False)}) as server:
        _, outcome = observe_and_judge(
            f"- cors: {{url: '{server.url('/api')}', allowed_origins: ['{APP}']}}", tmp_path
        )
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("allowed_origins_ok (false)")


def test_cors__public_wildcard_without_credentials_passes(tmp_path: Path) -> None:
    with serving({"/api": policy(lambda origin: "*", credentials=False)}) as server:
        _, outcome = observe_and_judge(
            f"- cors: {{url: '{server.url('/api')}', allowed_origins: ['{APP}']}}", tmp_path
        )
    assert outcome.status is Status.PASS, outcome.reason


def test_cors__an_expectation_of_its_own_keeps_the_safety_checks(tmp_path: Path) -> None:
    with serving({"/api": policy(reflect_any, credentials=True)}) as server:
        _, outcome = observe_and_judge(
            f"- cors: {{url: '{server.url('/api')}', expect: ['allow_methods contains \"POST\"']}}",
            tmp_path,
        )
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith(
        "not (reflects_foreign_origin (true) and allow_credentials (true))"
    )
    assert 'allow_methods ("GET, POST") contains "POST"' in outcome.details


def test_cors__an_expectation_of_its_own_keeps_the_wildcard_check(tmp_path: Path) -> None:
    with serving({"/api": policy(lambda origin: "*", credentials=True)}) as server:
        _, outcome = observe_and_judge(
            f"- cors: {{url: '{server.url('/api')}', expect: ['status == 204']}}", tmp_path
        )
    assert outcome.status is Status.FAIL
    assert "not wildcard_with_credentials (true)" in outcome.reason


def test_cors__end_to_end_through_config_and_run(tmp_path: Path) -> None:
    with serving(
        {"/good": policy(only_app, credentials=True), "/bad": policy(reflect_any, credentials=True)}
    ) as server:
        config = checklist(
            f"""
            - cors: {{url: '{server.url("/good")}', allowed_origins: ['{APP}']}}
            - cors: {{url: '{server.url("/bad")}', origin: 'https://attacker.example'}}
            """
        )
        report = run(config, RunOptions(root=tmp_path, environ={}))
    (item,) = report.items()
    assert [e.outcome.status for e in item.evidence] == [Status.PASS, Status.FAIL]
    assert "reflects_foreign_origin (true)" in item.evidence[1].outcome.reason


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("allowed_origins: [app.example]", "'app.example' is not an origin"),
        (
            "origin: 'https://a.test', allowed_origins: ['https://a.test']",
            "the foreign origin https://a.test is also in allowed_origins",
        ),
        ("expect: [allow_orign == '*']", "did you mean allow_origin"),
    ],
)
def test_cors__config_mistakes_are_located_errors(fields: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        checklist(f"- cors: {{url: 'https://x.test/', {fields}}}")
    assert message in str(caught.value)


def test_cors__allowed_origin_may_be_the_environments_own_url(tmp_path: Path) -> None:
    with serving({"/api": policy(only_app, credentials=True)}) as server:
        text = textwrap.dedent(
            f"""\
            version: 1
            name: cors
            environments:
              staging: {{url: '{APP}'}}
            defaults: {{timeout: 2s}}
            sections:
              - id: s
                title: S
                items:
                  - id: item
                    title: Item
                    evidence:
                      - cors: {{url: '{server.url("/api")}', allowed_origins: ['{{env.url}}']}}
            """
        )
        report = run(loads(text), RunOptions(root=tmp_path, environ={}, environment="staging"))
    (item,) = report.items()
    assert item.status is Status.PASS, item.reason
    assert [r.headers.get("origin") for r in server.requests] == [FOREIGN, APP]
