"""The `rate_limit` probe against local servers that limit, or never do; always within bounds."""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apiq_gate.config_types import Duration
from apiq_gate.errors import ConfigError
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Outcome, Status
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.probes.kinds.rate_limit import MAX_CONCURRENCY, MAX_REQUESTS, RateLimitProbe
from apiq_gate.run import RunOptions, run
from apiq_gate.schema import config_schema_text
from tests.support.probe_config import checklist
from tests.support.servers import Answer, Request, serving


def context(root: Path, **overrides: Any) -> RunContext:
    return RunContext(
        **{"root": root, "environ": {}, "timeout": 2.0, "sleep": lambda s: None, **overrides}
    )


def observe_and_judge(probe: Probe, ctx: RunContext) -> tuple[ProbeFacts, Outcome]:
    facts = probe.observe(ctx)
    return facts, probe.judge(facts)


def probe_of(evidence_yaml: str) -> Probe:
    (probe,) = checklist(evidence_yaml).sections[0].items[0].evidence
    assert isinstance(probe, Probe)
    return probe


def limiting_from(nth: int, **headers: str) -> Callable[[Request], Answer]:
    """Answers 429 from the `nth` request that arrives on."""
    arrived = itertools.count(1)
    lock = threading.Lock()

    def answer(request: Request) -> Answer:
        with lock:
            number = next(arrived)
        return Answer(status=429, headers=headers) if number >= nth else Answer(body="ok")

    return answer


def test_rate_limit__429_at_the_fifth_request_passes_and_stops_the_burst(tmp_path: Path) -> None:
    with serving({"/login": limiting_from(5, **{"Retry-After": "30"})}) as server:
        probe = probe_of(
            f"- rate_limit: {{url: '{server.url('/login')}', requests: 50, concurrency: 1}}"
        )
        facts, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.PASS, outcome.reason
    assert (facts.facts["first_429_after"], facts.facts["sent"], facts.facts["stopped"]) == (
        4,
        5,
        "429",
    )
    assert (facts.facts["retry_after"], facts.facts["rate_limit_header_names"]) == (
        30.0,
        ["retry-after"],
    )
    assert len(server.requests) == 5


def test_rate_limit__never_limiting_server_fails_after_exactly_the_bound(tmp_path: Path) -> None:
    with serving({"/api": Answer(body="ok")}) as server:
        config = checklist(
            f"- rate_limit: {{url: '{server.url('/api')}', requests: 20, concurrency: 4}}"
        )
        report = run(config, RunOptions(root=tmp_path, environ={}))
    (item,) = report.items()
    assert item.status is Status.FAIL
    assert item.reason.startswith("limited (false)")
    assert len(server.requests) == 20


def test_rate_limit__rate_limit_headers_count_as_limited_and_stop_the_burst(tmp_path: Path) -> None:
    headers = {"RateLimit-Limit": "100", "RateLimit-Remaining": "99", "RateLimit-Reset": "60"}
    with serving({"/api": Answer(headers=headers, body="ok")}) as server:
        probe = probe_of(
            f"- rate_limit: {{url: '{server.url('/api')}', requests: 50, concurrency: 2}}"
        )
        facts, outcome = observe_and_judge(probe, context(tmp_path))
    assert outcome.status is Status.PASS, outcome.reason
    assert facts.facts["rate_limit_header_names"] == [
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    ]
    assert "first_429_after" not in facts.facts
    assert facts.facts["sent"] <= 2  # at most the requests already in flight
    assert len(server.requests) == facts.facts["sent"]


def test_rate_limit__burst_ends_at_the_time_bound(tmp_path: Path) -> None:
    ticks = itertools.count(0.0, 1.0)  # a clock that moves one second each time it is read
    with serving({"/api": Answer(body="ok")}) as server:
        probe = probe_of(
            f"- rate_limit: {{url: '{server.url('/api')}', concurrency: 1, within: 5s}}"
        )
        facts, outcome = observe_and_judge(probe, context(tmp_path, clock=lambda: next(ticks)))
    assert outcome.status is Status.FAIL
    assert (facts.facts["stopped"], facts.facts["sent"]) == (
        "time bound",
        3,
    )  # read at 2, 3 and 4 of a 0+5 deadline
    assert len(server.requests) == 3


def test_rate_limit__hard_maximums_hold_even_when_the_config_check_is_bypassed(
    tmp_path: Path,
) -> None:
    in_flight, peak, lock = 0, 0, threading.Lock()

    def counting(request: Request) -> Answer:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.002)
        with lock:
            in_flight -= 1
        return Answer(body="ok")

    with serving({"/api": counting}, backlog=256) as server:
        probe = RateLimitProbe(
            url=server.url("/api"), requests=10_000, concurrency=500, within=Duration(3600.0)
        )
        facts, _ = observe_and_judge(probe, context(tmp_path))
    assert facts.facts["sent"] == len(server.requests) == MAX_REQUESTS
    assert peak <= MAX_CONCURRENCY


def test_rate_limit__redirects_are_not_followed_so_the_count_holds(tmp_path: Path) -> None:
    routes = {
        "/login": Answer(status=302, headers={"Location": "/next"}),
        "/next": Answer(body="ok"),
    }
    with serving(routes) as server:
        probe = probe_of(
            f"- rate_limit: {{url: '{server.url('/login')}', requests: 5, concurrency: 2}}"
        )
        facts, _ = observe_and_judge(probe, context(tmp_path))
    assert [r.path for r in server.requests] == ["/login"] * 5
    assert facts.facts["statuses"] == {"302": 5}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("requests: 1000", "requests must be between 1 and 200"),
        ("concurrency: 50", "concurrency must be between 1 and 20"),
        ("within: 5m", "within must be more than 0s and at most 30s"),
        (
            "wait: {timeout: 5m}",
            "rate_limit.wait: a rate_limit probe cannot `wait`: every attempt would be another burst",
        ),
        (
            "retries: 3",
            "rate_limit.retries: a burst is never retried: a retry would be another burst",
        ),
        (
            "follow_redirects: true",
            "rate_limit.follow_redirects: a burst never follows redirects: each hop would be one more request",
        ),
    ],
)
def test_rate_limit__bounds_beyond_the_maximums_are_config_errors(
    fields: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        checklist(f"- rate_limit: {{url: 'https://x.test/', {fields}}}")
    assert message in str(caught.value)


def test_rate_limit__keys_it_refuses_are_not_offered_by_the_reference_or_the_schema() -> None:
    refused = {"wait", "retries", "follow_redirects"}
    assert refused & {f.name for f in dataclasses.fields(RateLimitProbe)} == set()
    schema = json.loads(config_schema_text())
    assert refused & set(schema["$defs"]["RateLimitProbe"]["properties"]) == set()
    assert refused <= set(schema["$defs"]["HttpProbe"]["anyOf"][0]["properties"])  # others keep them
