"""Wait mode: failing probes re-checked every `interval` until they pass or `timeout` ends.

Driven with a fake clock and sleep (nothing waits for real) and a scripted probe whose
answers are given per attempt, through `waiting.wait_for` and through `run.run`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest

from apiq_gate.conditions import Expectation, parse
from apiq_gate.config import loads
from apiq_gate.config_types import Duration
from apiq_gate.errors import ConfigError, ExitCode
from apiq_gate.evaluate import EvidenceKey, Observed, evaluate
from apiq_gate.evidence.base import Evidence, RunContext
from apiq_gate.model import Checklist, FailOn, Report, Status
from apiq_gate.probes.base import Probe, ProbeFacts, Wait
from apiq_gate.report_io import format_report
from apiq_gate.run import RunOptions, run
from apiq_gate.waiting import wait_for
from tests.conftest import UTC_NOON, make_checklist, make_item, make_section

START = 1000.0


class FakeTime:
    """A clock that moves only when slept on (or when a probe says an attempt took time)."""

    def __init__(self) -> None:
        self.now = START
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"asked to sleep {seconds}s"
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@dataclass(frozen=True, kw_only=True, slots=True)
class Scripted(Probe):
    """Answers from a script, one entry per attempt (the last one repeats): up, down or error."""

    kind = "scripted"

    script: tuple[str, ...] = ("up",)
    time: FakeTime | None = None
    attempt_s: float = 0.0  # how long each attempt takes on the fake clock
    seen: list[float] = field(default_factory=list)  # the clock at each attempt

    def label(self) -> str:
        return "scripted"

    def probe(self, ctx: RunContext) -> ProbeFacts:
        answer = self.script[min(len(self.seen), len(self.script) - 1)]
        self.seen.append(ctx.clock())
        if self.time is not None:
            self.time.now += self.attempt_s
        if answer == "error":
            return ProbeFacts(target="GET https://app.example/health", error="connection refused")
        return ProbeFacts(target="GET https://app.example/health", facts={"up": answer == "up"})

    def default_expectations(self) -> tuple[Expectation, ...]:
        return (parse("up"),)


@dataclass(frozen=True, kw_only=True, slots=True)
class Burst(Scripted):
    """Like a rate-limit burst: never repeated by wait mode."""

    kind = "burst"
    repeatable: ClassVar[bool] = False


def wait_of(timeout: float, interval: float = 15.0, consecutive: int = 1) -> Wait:
    return Wait(timeout=Duration(timeout), interval=Duration(interval), consecutive_successes=consecutive)


def context(time: FakeTime) -> RunContext:
    return RunContext(root=Path("."), environ={}, sleep=time.sleep, clock=time.clock)


def waited(
    probes: Mapping[EvidenceKey, Evidence], time: FakeTime, default_wait: Wait | None = None
) -> dict[EvidenceKey, Observed]:
    """wait_for as run.run calls it: a first observation of everything, then the waiting."""
    ctx = context(time)

    def observe_many(subset: Mapping[EvidenceKey, Evidence]) -> dict[EvidenceKey, Observed]:
        return {key: Observed(value=evidence.observe(ctx)) for key, evidence in subset.items()}

    return wait_for(probes, observe_many(probes), ctx, observe_many, default_wait)


def one_item(*evidence: Evidence) -> Checklist:
    return make_checklist(sections=(make_section(items=(make_item(id="health", evidence=evidence),)),))


def judged(checklist: Checklist, observations: Mapping[EvidenceKey, Observed]) -> Report:
    return evaluate(
        checklist,
        observations,
        phase=None,
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=UTC_NOON,
        config_label="apiq-gate.yml",
    )


# --- wait_for ---------------------------------------------------------------------------


def test_wait__a_probe_that_passes_at_once_is_not_repeated():
    time = FakeTime()
    probe = Scripted(script=("up",), wait=wait_of(600))

    results = waited({("health", 0): probe}, time)

    assert results[("health", 0)].attempts == 1
    assert (probe.seen, time.sleeps) == ([START], [])


def test_wait__a_failing_probe_is_rechecked_every_interval_until_it_passes():
    time = FakeTime()
    probe = Scripted(script=("down", "error", "up"), wait=wait_of(600, interval=15))

    results = waited({("health", 0): probe}, time)

    assert probe.seen == [START, START + 15, START + 30]
    assert time.sleeps == [15, 15]
    assert results[("health", 0)].attempts == 3
    assert probe.judge(results[("health", 0)].value).status is Status.PASS


def test_wait__the_interval_runs_from_the_end_of_an_attempt():
    time = FakeTime()
    probe = Scripted(script=("down", "down", "up"), wait=wait_of(600, interval=10), time=time, attempt_s=2)

    waited({("health", 0): probe}, time)

    assert probe.seen == [START, START + 12, START + 24]


def test_wait__a_probe_that_never_passes_is_rechecked_until_the_timeout_then_fails():
    time = FakeTime()
    probe = Scripted(script=("down",), wait=wait_of(60, interval=15))

    results = waited({("health", 0): probe}, time)

    assert probe.seen == [START, START + 15, START + 30, START + 45, START + 60]
    assert results[("health", 0)].attempts == 5
    assert probe.judge(results[("health", 0)].value).status is Status.FAIL


def test_wait__never_sleeps_past_the_timeout_the_last_attempt_is_at_its_end():
    time = FakeTime()
    probe = Scripted(script=("down",), wait=wait_of(5, interval=15))

    results = waited({("health", 0): probe}, time)

    assert time.sleeps == [5]  # not 15: the wait is over after 5s
    assert probe.seen == [START, START + 5]
    assert results[("health", 0)].attempts == 2


def test_wait__the_next_attempt_is_brought_forward_to_the_timeout_not_dropped():
    time = FakeTime()
    probe = Scripted(script=("down",), wait=wait_of(10, interval=4), time=time, attempt_s=3)

    waited({("health", 0): probe}, time)

    # The wait starts after the first attempt (+3) and ends at +13; the attempt due at +14
    # is made at +13 instead, and is the last.
    assert probe.seen == [START, START + 7, START + 13]
    assert time.sleeps == [4, 3]


def test_wait__consecutive_successes_need_passes_in_a_row_and_a_failure_starts_over():
    time = FakeTime()
    probe = Scripted(script=("up", "down", "up", "up", "up", "down"), wait=wait_of(600, 15, consecutive=3))

    results = waited({("health", 0): probe}, time)

    assert results[("health", 0)].attempts == 5  # up, down (count starts over), up, up, up
    assert probe.judge(results[("health", 0)].value).status is Status.PASS


def test_wait__too_few_passes_in_a_row_when_the_wait_ends_fail_even_if_the_last_passed():
    time = FakeTime()
    probe = Scripted(script=("down", "down", "down", "up"), wait=wait_of(4, interval=1, consecutive=3))

    results = waited({("health", 0): probe}, time)

    assert len(probe.seen) == 5  # down, down, down, up, up: the wait ends after 4s
    (item,) = judged(one_item(probe), results).items()
    assert item.status is Status.FAIL
    assert item.reason.startswith("2 of 3 consecutive passes before the 4s wait ended; ")


def test_wait__enough_passes_in_a_row_by_the_last_attempt_pass():
    time = FakeTime()
    probe = Scripted(script=("down", "down", "up"), wait=wait_of(4, interval=1, consecutive=3))

    results = waited({("health", 0): probe}, time)

    (item,) = judged(one_item(probe), results).items()
    assert (len(probe.seen), item.status) == (5, Status.PASS)


def test_wait__probes_without_wait_are_observed_once_unless_the_run_waits():
    time = FakeTime()
    probe = Scripted(script=("down", "up"))

    once = waited({("health", 0): probe}, time)
    assert (once[("health", 0)].attempts, time.sleeps) == (1, [])

    again = Scripted(script=("down", "up"))
    waited_for = waited({("health", 0): again}, time, default_wait=wait_of(60, interval=5))
    assert (waited_for[("health", 0)].attempts, time.sleeps) == (2, [5])


def test_wait__the_probes_own_wait_wins_over_the_runs():
    time = FakeTime()
    probe = Scripted(script=("down", "up"), wait=wait_of(60, interval=20))

    waited({("health", 0): probe}, time, default_wait=wait_of(60, interval=5))

    assert time.sleeps == [20]


def test_wait__a_burst_is_never_repeated_by_the_runs_wait():
    time = FakeTime()
    burst = Burst(script=("down", "up"))

    results = waited({("limits", 0): burst}, time, default_wait=wait_of(60, interval=5))

    assert (results[("limits", 0)].attempts, burst.seen, time.sleeps) == (1, [START], [])


def test_wait__probes_wait_side_by_side_each_on_its_own_interval():
    time = FakeTime()
    fast = Scripted(script=("down", "down", "up"), wait=wait_of(600, interval=10))
    slow = Scripted(script=("down", "up"), wait=wait_of(600, interval=25))

    results = waited({("fast", 0): fast, ("slow", 0): slow}, time)

    assert fast.seen == [START, START + 10, START + 20]
    assert slow.seen == [START, START + 25]
    assert time.sleeps == [10, 10, 5]
    assert (results[("fast", 0)].attempts, results[("slow", 0)].attempts) == (3, 2)


def test_wait__local_evidence_is_never_re_observed(tmp_path):
    time = FakeTime()
    local = make_item().evidence[0]  # a `file` that does not exist: fails, and stays failed
    ctx = RunContext(root=tmp_path, environ={}, sleep=time.sleep, clock=time.clock)
    observations = {("runbook", 0): Observed(value=local.observe(ctx))}

    results = wait_for({("runbook", 0): local}, observations, ctx, lambda subset: {}, wait_of(60, interval=5))

    assert (results[("runbook", 0)].attempts, time.sleeps) == (1, [])


# --- through run.run ----------------------------------------------------------------------


def test_run__wait_option_rechecks_failing_probes_and_the_report_counts_attempts(tmp_path):
    time = FakeTime()
    probe = Scripted(script=("error", "down", "up"))
    options = RunOptions(
        root=tmp_path, environ={}, now=UTC_NOON, wait=wait_of(600, interval=15), clock=time.clock, sleep=time.sleep
    )

    report = run(one_item(probe), options)

    (item,) = report.items()
    assert item.status is Status.PASS
    assert time.sleeps == [15, 15]
    data = json.loads(format_report(report, "json"))
    assert data["sections"][0]["items"][0]["evidence"][0]["attempts"] == 3


def test_run__the_reason_says_how_many_attempts_a_probe_needed_in_every_format(tmp_path):
    time = FakeTime()
    probe = Scripted(script=("error", "down", "up"))
    options = RunOptions(
        root=tmp_path, environ={}, now=UTC_NOON, wait=wait_of(600, interval=15), clock=time.clock, sleep=time.sleep
    )

    report = run(one_item(probe), options)

    reason = "up (true) (GET https://app.example/health) (after 3 attempts)"
    assert report.items()[0].reason == reason
    data = json.loads(format_report(report, "json"))
    assert data["sections"][0]["items"][0]["evidence"][0]["reason"] == reason


def test_run__a_probe_that_never_passes_says_how_many_attempts_it_had_in_every_format(tmp_path):
    time = FakeTime()
    probe = Scripted(script=("down",))
    options = RunOptions(
        root=tmp_path, environ={}, now=UTC_NOON, wait=wait_of(30, interval=15), clock=time.clock, sleep=time.sleep
    )

    report = run(one_item(probe), options)

    reason = "up (false) (GET https://app.example/health) (after 3 attempts)"
    (item,) = report.items()
    assert (item.status, item.reason) == (Status.FAIL, reason)
    assert reason in format_report(report, "text")
    assert "`scripted`: up (false) (GET https&#58;//app.example/health) (after 3 attempts)" in format_report(
        report, "markdown"
    )
    assert reason in json.loads(format_report(report, "json"))["sections"][0]["items"][0]["reason"]


# --- config and command line ----------------------------------------------------------------


def config_problems(evidence: str) -> list[str]:
    text = (
        "version: 1\nname: g\nsections:\n  - id: s\n    title: S\n    items:\n"
        "      - id: health\n        title: Health\n        evidence:\n"
        f"          - {evidence}\n"
    )
    with pytest.raises(ConfigError) as caught:
        loads(text, "apiq-gate.yml")
    return [str(problem) for problem in caught.value.problems]


def test_config__a_wait_with_no_time_or_no_passes_is_a_located_error():
    problems = config_problems(
        "http: {url: 'https://app.example/health', wait: {timeout: 0s, interval: 0, consecutive_successes: 0}}"
    )

    where = "apiq-gate.yml:10:19: sections[0].items[0].evidence[0].http"
    assert problems == [
        f"{where}: wait.timeout must be more than 0s, e.g. 10m",
        f"{where}: wait.interval must be more than 0s, e.g. 15s: a re-check without a pause hammers the target",
        f"{where}: wait.consecutive_successes must be at least 1",
    ]


def test_config__a_probe_timeout_of_zero_is_a_located_error():
    problems = config_problems("http: {url: 'https://app.example/health', timeout: 0ms}")

    assert problems == ["apiq-gate.yml:10:19: sections[0].items[0].evidence[0].http: timeout must be more than 0s"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--wait", "0s"], "Invalid value for '--wait': must be more than 0s, e.g. 10m"),
        (["--wait", "10m", "--wait-interval", "0"], "Invalid value for '--wait-interval': '0' is not a duration"),
        (["--wait", "10m", "--wait-interval", "0ms"], "Invalid value for '--wait-interval': must be more than 0s"),
        (["--wait", "soon"], "Invalid value for '--wait': 'soon' is not a duration"),
    ],
)
def test_cli__wait_and_its_interval_must_be_durations_above_zero(write_config, run_cli, options, message):
    path = write_config(
        """
        version: 1
        name: g
        sections:
          - id: s
            title: S
            items:
              - {id: a, title: A, evidence: [{env: [HOME]}]}
        """
    )

    result = run_cli("check", "--config", path, *options)

    assert result.exit_code == ExitCode.BAD_INPUT
    assert message in result.output
