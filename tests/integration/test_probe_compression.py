"""The `compression` probe against a real local server that compresses, or not."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Outcome, Status
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.run import RunOptions, run
from tests.support.probe_config import checklist
from tests.support.servers import Answer, Request, serving

PAGE = ("<p>" + "apiq workflow automation " * 200 + "</p>").encode()  # 5 KB of text


def observe_and_judge(evidence_yaml: str, root: Path) -> tuple[ProbeFacts, Outcome]:
    (probe,) = checklist(evidence_yaml).sections[0].items[0].evidence
    assert isinstance(probe, Probe)
    facts = probe.observe(RunContext(root=root, environ={}, timeout=2.0, sleep=lambda s: None))
    return facts, probe.judge(facts)


def gzipping(content_type: str, body: bytes = PAGE) -> object:
    """Answers gzip-compressed when the request accepts gzip, as a well-configured server does."""

    def answer(request: Request) -> Answer:
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Answer(
                headers={
                    "Content-Type": content_type,
                    "Content-Encoding": "gzip",
                    "Vary": "Accept-Encoding",
                },
                body=gzip.compress(body),
            )
        return Answer(headers={"Content-Type": content_type}, body=body)

    return answer


def test_compression__gzipped_text_passes_and_reports_bytes_on_the_wire(tmp_path: Path) -> None:
    with serving({"/": gzipping("text/html; charset=utf-8")}) as server:
        facts, outcome = observe_and_judge(f"- compression: '{server.url('/')}'", tmp_path)
    assert outcome.status is Status.PASS, outcome.reason
    assert server.requests[0].headers["accept-encoding"] == "gzip, br"
    assert facts.facts["encoding"] == "gzip"
    assert facts.facts["content_type"] == "text/html"
    assert facts.facts["bytes"] == len(gzip.compress(PAGE)) < 200
    assert facts.facts["decoded_bytes"] == len(PAGE)
    assert facts.facts["vary_accept_encoding"] is True


def test_compression__uncompressed_text_fails(tmp_path: Path) -> None:
    with serving({"/": Answer(headers={"Content-Type": "application/json"}, body=PAGE)}) as server:
        facts, outcome = observe_and_judge(f"- compression: '{server.url('/')}'", tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("compressed (false) or not compressible (true)")
    assert (facts.facts["encoding"], facts.facts["bytes"]) == ("none", len(PAGE))


def test_compression__uncompressed_image_is_reported_not_failed(tmp_path: Path) -> None:
    with serving(
        {"/logo.png": Answer(headers={"Content-Type": "image/png"}, body=b"\x89PNG" + bytes(5000))}
    ) as server:
        facts, outcome = observe_and_judge(f"- compression: '{server.url('/logo.png')}'", tmp_path)
    assert outcome.status is Status.PASS, outcome.reason
    assert (facts.facts["compressed"], facts.facts["text"], facts.facts["content_type"]) == (
        False,
        False,
        "image/png",
    )


def test_compression__uncompressed_image_fails_when_any_type_is_asked_for(tmp_path: Path) -> None:
    with serving(
        {"/logo.png": Answer(headers={"Content-Type": "image/png"}, body=b"\x89PNG" + bytes(5000))}
    ) as server:
        _, outcome = observe_and_judge(
            f"- compression: {{url: '{server.url('/logo.png')}', any_type: true}}", tmp_path
        )
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("compressed (false)")


def test_compression__small_text_below_min_size_need_not_be_compressed(tmp_path: Path) -> None:
    with serving(
        {"/health": Answer(headers={"Content-Type": "application/json"}, body='{"status": "ok"}')}
    ) as server:
        facts, outcome = observe_and_judge(f"- compression: '{server.url('/health')}'", tmp_path)
    assert outcome.status is Status.PASS, outcome.reason
    assert (facts.facts["compressible"], facts.facts["bytes"]) == (False, 16)


def test_compression__end_to_end_through_config_and_run(tmp_path: Path) -> None:
    with serving(
        {
            "/": gzipping("application/javascript"),
            "/plain": Answer(headers={"Content-Type": "text/css"}, body=PAGE),
        }
    ) as server:
        config = checklist(
            f"""
            - compression:
                url: '{server.url("/")}'
                expect: [compressed, encoding == "gzip", bytes < 1KB]
            - compression: '{server.url("/plain")}'
            """
        )
        report = run(config, RunOptions(root=tmp_path, environ={}))
    (item,) = report.items()
    assert item.status is Status.FAIL
    assert [e.outcome.status for e in item.evidence] == [Status.PASS, Status.FAIL]


@pytest.mark.parametrize("accept", ["br", "identity"])
def test_compression__accept_encoding_can_be_chosen(tmp_path: Path, accept: str) -> None:
    with serving({"/": gzipping("text/plain")}) as server:
        facts, outcome = observe_and_judge(
            f"- compression: {{url: '{server.url('/')}', accept_encoding: {accept}}}", tmp_path
        )
    assert server.requests[0].headers["accept-encoding"] == accept
    assert (facts.facts["encoding"], outcome.status) == ("none", Status.FAIL)
