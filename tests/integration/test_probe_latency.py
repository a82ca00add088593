"""The `latency` probe against real local servers: budgets, errors, connections, too few samples."""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apiq_gate.errors import ConfigError
from apiq_gate.model import Status
from apiq_gate.report_io import format_report
from apiq_gate.run import RunOptions, run
from tests.support.probe_config import checklist, context, observe_and_judge, probe_of
from tests.support.servers import Answer, LocalServer, Request, serving

SECRET = "tok-9a8b7c6d5e4f3a2b"


# --- helpers --------------------------------------------------------------------------
def accepted_connections(server: LocalServer) -> list[tuple[str, int]]:
    """The client address of every TCP connection the server accepts from now on."""
    accepted: list[tuple[str, int]] = []
    process = server.httpd.process_request

    def counting(request: Any, client_address: tuple[str, int]) -> None:
        accepted.append(client_address)
        process(request, client_address)

    server.httpd.process_request = counting  # type: ignore[method-assign]
    return accepted


def every_other_fails() -> Any:
    """200, 503, 200, 503, ... (thread-safe: samples are sequential, but be sure)."""
    counter, lock = itertools.count(), threading.Lock()

    def answer(request: Request) -> Answer:
        with lock:
            n = next(counter)
        return Answer(status=200 if n % 2 == 0 else 503)

    return answer


@pytest.fixture
def api() -> Iterator[LocalServer]:
    routes = {
        "/fast": Answer(body="ok"),
        "/slow": Answer(body="ok", delay_s=0.08),
        "/error": Answer(status=500),
        "/flaky": every_other_fails(),
    }
    with serving(routes) as server:
        yield server


# --- budgets ----------------------------------------------------------------------------


def test_latency_probe__slow_server_fails_the_p95_budget_with_the_actual_value(
    api: LocalServer, tmp_path: Path
) -> None:
    probe = probe_of(f"- latency: {{url: '{api.url('/slow')}', samples: 3, warmup: 0, p95: 50ms}}")
    facts, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.FAIL
    match = re.fullmatch(
        r"p95 \((\d+)ms\) < 50ms \(GET http://127\.0\.0\.1:\d+/slow\)", outcome.reason
    )
    assert match, outcome.reason
    assert 80 <= int(match[1]) < 1000
    assert facts.facts["samples"] == 3
    assert len(api.requests) == 3


def test_latency_probe__fast_server_within_budgets_passes_with_consistent_aggregates(
    api: LocalServer, tmp_path: Path
) -> None:
    probe = probe_of(
        f"- latency: {{url: '{api.url('/fast')}', samples: 5, p95: 1s, max: 2s, max_error_rate: 0}}"
    )
    facts, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.PASS, outcome.reason
    f = facts.facts
    assert f["min"] <= f["p50"] <= f["p90"] <= f["p95"] <= f["p99"] <= f["max"] < 1
    assert f["min"] <= f["avg"] <= f["max"]
    assert (f["samples"], f["requests"], f["errors"], f["error_rate"], f["status_codes"]) == (
        5,
        5,
        0,
        0.0,
        {"200": 5},
    )
    assert len(api.requests) == 6  # one warm-up request, then the samples


def test_latency_probe__any_percentile_via_p_function(api: LocalServer, tmp_path: Path) -> None:
    probe = probe_of(
        f"- latency: {{url: '{api.url('/slow')}', samples: 2, warmup: 0, expect: ['p(75) < 50ms']}}"
    )
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.FAIL
    assert re.match(r"p\(75\) \(\d+ms\) < 50ms", outcome.reason), outcome.reason


# --- errors -----------------------------------------------------------------------------


def test_latency_probe__error_answers_fail_the_default_error_rate(
    api: LocalServer, tmp_path: Path
) -> None:
    probe = probe_of(f"- latency: {{url: '{api.url('/flaky')}', samples: 4, warmup: 0}}")
    facts, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.FAIL
    assert outcome.reason.startswith("error_rate (0.5) == 0")
    assert facts.facts["status_codes"] == {"200": 2, "503": 2}


def test_latency_probe__error_rate_within_max_error_rate_passes(
    api: LocalServer, tmp_path: Path
) -> None:
    probe = probe_of(
        f"- latency: {{url: '{api.url('/flaky')}', samples: 4, warmup: 0, "
        "max_error_rate: 0.5, p95: 1s}"
    )
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.PASS, (
        outcome.reason
    )  # 2 successes = 4 - 4 * 0.5 = the default min_samples


def test_latency_probe__too_few_successful_samples_is_an_error_never_a_pass(
    api: LocalServer, tmp_path: Path
) -> None:
    probe = probe_of(
        f"- latency: {{url: '{api.url('/flaky')}', samples: 4, warmup: 0, "
        "min_samples: 3, max_error_rate: 0.5, expect: [p95 < 1s]}"
    )
    facts, outcome = observe_and_judge(probe, context(tmp_path))
    assert "p95" not in facts.facts
    assert outcome.status is Status.ERROR
    assert outcome.reason.startswith(
        "too few successful samples for timings: 2 of 4 (min_samples 3); "
        "errors: status 503 (2); p95 (missing) < 1s"
    )


def test_latency_probe__error_answers_fail_a_budget_on_the_error_rate(
    api: LocalServer, tmp_path: Path
) -> None:
    probe = probe_of(f"- latency: {{url: '{api.url('/error')}', samples: 2, warmup: 0, p95: 1s}}")
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.FAIL  # not merely "could not judge the p95"
    assert outcome.reason.startswith("error_rate (1.0) == 0")
    assert outcome.details == ("p95 (missing) < 1s", "error_rate (1.0) == 0")


def test_latency_probe__unreachable_target_stops_early_and_is_retried_with_backoff(
    tmp_path: Path,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ctx = context(tmp_path)
    probe = probe_of(f"- latency: {{url: 'http://127.0.0.1:{port}/', samples: 50, retries: 2}}")
    _, outcome = observe_and_judge(probe, ctx)
    assert outcome.status is Status.ERROR
    assert outcome.reason == (
        f"GET http://127.0.0.1:{port}/: no answer to 3 requests; "
        "last: connection failed: [Errno 111] Connection refused"
    )
    assert ctx.sleep == [0.5, 1.0]  # the backoff between the three attempts; no 50 samples each


def test_latency_probe__pause_between_requests_uses_the_injected_sleep(
    api: LocalServer, tmp_path: Path
) -> None:
    ctx = context(tmp_path)
    probe = probe_of(
        f"- latency: {{url: '{api.url('/fast')}', samples: 3, warmup: 1, pause: 250ms}}"
    )
    _, outcome = observe_and_judge(probe, ctx)
    assert outcome.status is Status.PASS
    assert ctx.sleep == [0.25, 0.25, 0.25]


# --- connections --------------------------------------------------------------------------


@pytest.mark.parametrize(("connections", "expected"), [("keep-alive", 1), ("cold", 5)])
def test_latency_probe__keep_alive_reuses_one_connection_and_cold_opens_one_per_request(
    api: LocalServer, tmp_path: Path, connections: str, expected: int
) -> None:
    accepted = accepted_connections(api)
    probe = probe_of(
        f"- latency: {{url: '{api.url('/fast')}', samples: 4, warmup: 1, "
        f"connections: {connections}}}"
    )
    _, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.PASS
    assert len(api.requests) == 5
    assert len(accepted) == expected
    assert len({port for _, port in accepted}) == expected


# --- end to end: the seed's "natural language generation < 5 seconds" ------------------------


def test_latency_probe__workflow_generation_item_end_to_end_with_secret_masked(
    tmp_path: Path,
) -> None:
    def generate(request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {SECRET}":
            return Answer(status=401)
        prompt = json.loads(request.body)["prompt"]
        return Answer(
            headers={"Content-Type": "application/json"},
            body=json.dumps({"workflow": prompt}),
            delay_s=0.02,
        )

    with serving({"/api/workflows/generate": generate}) as server:
        config = checklist(
            """
            - latency:
                url: "{env.url}/api/workflows/generate"
                method: POST
                headers: {Authorization: "Bearer ${APIQ_PROBE_TOKEN}"}
                body: {prompt: "When a GitHub issue is opened, post it to Slack"}
                samples: 3
                warmup: 0
                p95: 5s
                expect: [p50 < 10ms]
            """,
            environments=f"environments:\n  production: {{url: '{server.url('')}'}}",
        )
        report = run(config, RunOptions(root=tmp_path, environ={"APIQ_PROBE_TOKEN": SECRET}))
    assert [r.method for r in server.requests] == ["POST"] * 3
    assert json.loads(server.requests[0].body) == {
        "prompt": "When a GitHub issue is opened, post it to Slack"
    }
    (item,) = report.items()
    assert item.status is Status.FAIL  # p50 < 10ms cannot hold against a 20 ms answer
    assert re.match(
        r"p50 \(\d+ms\) < 10ms \(POST http://127\.0\.0\.1:\d+/api/workflows/generate\)", item.reason
    ), item.reason
    assert item.evidence[0].outcome.details[0].startswith("p95 (")
    for fmt in ("text", "markdown", "json"):
        assert SECRET not in format_report(report, fmt), fmt


# --- config -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("samples: 0", "samples must be between 1 and 1000"),
        ("samples: 1001", "samples must be between 1 and 1000"),
        ("warmup: 101", "warmup must be between 0 and 100"),
        ("samples: 5, min_samples: 6", "min_samples must be between 1 and samples (5)"),
        ("max_error_rate: 5", "max_error_rate is a fraction between 0 and 1"),
        ("pause: 2m", "pause must be at most 1m"),
        ("p95: 0ms", "p95 must be a duration above 0"),
        ("connections: warm", "'warm' is not one of keep-alive, cold"),
        ("p95: fast", "'fast' is not a duration"),
        ("expect: [p95 < 300]", "p95 is a duration; 300 has no unit"),
        (
            "expect: [p75 < 1s]",
            "'p75' in `p75 < 1s` is not a fact of this probe; write p(75) for that percentile",
        ),
        ("expect: [eror_rate == 0]", "did you mean error_rate?"),
    ],
)
def test_latency_probe__config_mistakes_are_errors(fields: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        checklist(f"- latency: {{url: 'http://x.test/', {fields}}}")
    assert message in str(caught.value)
