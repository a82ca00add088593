"""The pure core: observations in, item results, verdict and exit code out. No I/O here.

Evidence is a test-only kind whose observation *is* its outcome, so each case states the
outcome it is about and nothing else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from apiq_gate.evaluate import Observed, ObserveFailed, combine, evaluate, exit_code
from apiq_gate.evidence.base import Evidence
from apiq_gate.model import FailOn, Outcome, Report, Severity, Status, Verdict
from tests.conftest import UTC_NOON, make_checklist, make_item, make_section, make_waiver


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Fixed(Evidence):
    """Evidence judged as whatever Outcome it observed."""

    kind = "fixed"
    name: str = "probe"

    def label(self) -> str:
        return f"fixed {self.name}"

    def judge(self, observation: Outcome) -> Outcome:
        return observation


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Broken(Evidence):
    """Evidence whose judge has a bug."""

    kind = "broken"

    def judge(self, observation: object) -> Outcome:
        raise ValueError("boom")


def outcome(status: str, reason: str = "") -> Outcome:
    return Outcome(status=Status(status), reason=reason or f"it is {status}")


def observed(item_id: str, *outcomes: Outcome) -> dict[tuple[str, int], Observed]:
    return {(item_id, index): Observed(value=o) for index, o in enumerate(outcomes)}


def one_item_report(
    status: str,
    severity: str = "required",
    fail_on: str = "required",
    *,
    now: dt.datetime = UTC_NOON,
) -> Report:
    """A checklist of one item whose evidence ends in `status` (waived and skipped included)."""
    item = make_item(
        id="item",
        severity=Severity(severity),
        evidence=(Fixed(),),
        phases=("pre-deploy", "go-live"),
    )
    waivers = ()
    observation = {"waived": "fail", "skipped": "fail"}.get(status, status)
    if status == "waived":
        waivers = (make_waiver(item="item", expires=dt.date(2026, 12, 31)),)
    checklist = make_checklist(sections=(make_section(items=(item,)),), waivers=waivers)
    return evaluate(
        checklist,
        observed("item", outcome(observation)),
        phase="post-launch" if status == "skipped" else None,
        environment=None,
        fail_on=FailOn(fail_on),
        now=now,
        config_label="apiq-gate.yml",
    )


# --- status x severity x fail-on -> verdict and exit code ---------------------------

# status, severity, then the verdict under fail-on = required, recommended, never
VERDICTS = [
    ("pass", "required", "pass", "pass", "pass"),
    ("pass", "recommended", "pass", "pass", "pass"),
    ("pass", "optional", "pass", "pass", "pass"),
    ("fail", "required", "fail", "fail", "fail"),
    ("fail", "recommended", "pass", "fail", "pass"),
    ("fail", "optional", "pass", "pass", "pass"),
    ("error", "required", "fail", "fail", "fail"),
    ("error", "recommended", "pass", "fail", "pass"),
    ("error", "optional", "pass", "pass", "pass"),
    ("pending", "required", "pending", "pending", "pending"),
    ("pending", "recommended", "pass", "pending", "pass"),
    ("pending", "optional", "pass", "pass", "pass"),
    ("waived", "required", "pass", "pass", "pass"),
    ("waived", "recommended", "pass", "pass", "pass"),
    ("waived", "optional", "pass", "pass", "pass"),
    ("skipped", "required", "pass", "pass", "pass"),
    ("skipped", "recommended", "pass", "pass", "pass"),
    ("skipped", "optional", "pass", "pass", "pass"),
]
# `never` shows the verdict but never fails the job; otherwise only a pass exits 0.
CASES = [
    pytest.param(
        status,
        severity,
        policy,
        verdict,
        0 if policy == "never" or verdict == "pass" else 1,
        id=f"{status}-{severity}-fail_on_{policy}",
    )
    for status, severity, *verdicts in VERDICTS
    for policy, verdict in zip(("required", "recommended", "never"), verdicts, strict=True)
]


@pytest.mark.parametrize(("status", "severity", "fail_on", "verdict", "code"), CASES)
def test_verdict__status_severity_and_policy_give_verdict_and_exit_code(
    status, severity, fail_on, verdict, code
):
    report = one_item_report(status, severity, fail_on)

    assert report.items()[0].status == Status(status)
    assert report.verdict == Verdict(verdict)
    assert exit_code(report) == code


def test_verdict__table_covers_every_status_and_severity():
    assert {(s, sev) for s, sev, *_ in VERDICTS} == {
        (s.value, sev.value) for s in Status for sev in Severity
    }


def test_verdict__a_failure_outweighs_a_pending_sign_off():
    items = (
        make_item(id="signed", evidence=(Fixed(),)),
        make_item(id="broken", evidence=(Fixed(),)),
    )
    checklist = make_checklist(sections=(make_section(items=items),))
    observations = observed("signed", outcome("pending")) | observed("broken", outcome("fail"))

    report = evaluate(
        checklist,
        observations,
        phase=None,
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=UTC_NOON,
        config_label="",
    )

    assert report.verdict is Verdict.FAIL
    assert [i.id for i in report.blocking()] == ["signed", "broken"]


# --- combining the evidence of one item ----------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["pass", "pending", "error", "fail"], "fail"),
        (["fail", "error"], "fail"),
        (["pending", "error", "pass"], "error"),
        (["pass", "pending"], "pending"),
        (["pass", "pass"], "pass"),
    ],
)
def test_combine__the_worst_status_speaks_fail_error_pending_pass(statuses, expected):
    status, _ = combine([outcome(s) for s in statuses])

    assert status is Status(expected)


def test_combine__reason_joins_every_reason_of_the_worst_status():
    outcomes = [
        outcome("fail", "status (503) == 200"),
        outcome("pass", "ok"),
        outcome("fail", "p95 (412ms) < 300ms"),
    ]

    assert combine(outcomes) == (Status.FAIL, "status (503) == 200; p95 (412ms) < 300ms")


def test_combine__no_evidence_is_an_error():
    assert combine([]) == (Status.ERROR, "the item has no evidence")


# --- waivers ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["fail", "error", "pending"])
def test_waiver__active_waiver_waives_a_non_passing_item(status):
    item = make_item(id="item", evidence=(Fixed(),))
    checklist = make_checklist(
        sections=(make_section(items=(item,)),), waivers=(make_waiver(item="item"),)
    )

    report = evaluate(
        checklist,
        observed("item", outcome(status, "the evidence said no")),
        phase=None,
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=UTC_NOON,
        config_label="",
    )

    result = report.items()[0]
    assert (result.status, result.reason) == (
        Status.WAIVED,
        "waived until 2026-12-31 by @payments/leads: Written after the first release "
        "(was: the evidence said no)",
    )
    assert report.verdict is Verdict.PASS
    assert report.warnings == ()


def test_waiver__a_passing_item_keeps_its_pass():
    item = make_item(id="item", evidence=(Fixed(),))
    checklist = make_checklist(
        sections=(make_section(items=(item,)),), waivers=(make_waiver(item="item"),)
    )

    report = evaluate(
        checklist,
        observed("item", outcome("pass", "ticked")),
        phase=None,
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=UTC_NOON,
        config_label="",
    )

    assert (report.items()[0].status, report.items()[0].reason) == (Status.PASS, "ticked")


def test_waiver__expired_waiver_warns_and_waives_nothing():
    report = one_item_report("waived", now=dt.datetime(2027, 1, 10, tzinfo=dt.UTC))

    assert report.items()[0].status is Status.FAIL
    assert report.verdict is Verdict.FAIL
    assert report.warnings == (
        "waiver for 'item' expired on 2026-12-31 (approved by @payments/leads); "
        "the item is judged on its evidence",
    )


@pytest.mark.parametrize(
    ("now", "waived"),
    [
        (dt.datetime(2026, 12, 31, 0, 0, 0, tzinfo=dt.UTC), True),
        (dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC), True),
        (dt.datetime(2027, 1, 1, 0, 0, 0, tzinfo=dt.UTC), False),
        # Already 1 January where the runner is, still 31 December in UTC: waived.
        (dt.datetime(2027, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))), True),
        # Still 31 December where the runner is, already 1 January in UTC: expired.
        (dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))), False),
    ],
    ids=[
        "first-second-utc",
        "last-second-utc",
        "next-day-utc",
        "next-day-cet-still-utc-expiry-day",
        "expiry-day-est-already-next-day-utc",
    ],
)
def test_waiver__expiry_day_is_inclusive_in_utc(now, waived):
    report = one_item_report("waived", now=now)

    assert (report.items()[0].status is Status.WAIVED) == waived
    assert bool(report.warnings) == (not waived)


# --- selection, fail-closed, ordering, counts -------------------------------------------


def test_skipped__item_outside_the_phase_needs_no_observation_and_does_not_count():
    items = (
        make_item(id="launch-only", phases=("post-launch",), evidence=(Fixed(),)),
        make_item(id="always", evidence=(Fixed(),)),
    )
    checklist = make_checklist(sections=(make_section(items=items),))

    report = evaluate(
        checklist,
        observed("always", outcome("pass")),
        phase="go-live",
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=UTC_NOON,
        config_label="",
    )

    skipped = report.items()[0]
    assert (skipped.status, skipped.reason, skipped.evidence) == (
        Status.SKIPPED,
        "not part of the go-live phase",
        (),
    )
    assert report.verdict is Verdict.PASS
    assert report.sections[0].evaluated == (report.items()[1],)


def test_fail_closed__a_missing_observation_is_an_error():
    checklist = make_checklist(
        sections=(make_section(items=(make_item(id="item", evidence=(Fixed(), Fixed())),)),)
    )

    report = evaluate(
        checklist,
        observed("item", outcome("pass")),
        phase=None,
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=UTC_NOON,
        config_label="",
    )

    result = report.items()[0]
    assert (result.status, result.reason) == (Status.ERROR, "no observation was made (fail closed)")
    assert [e.attempts for e in result.evidence] == [1, 0]
    assert report.verdict is Verdict.FAIL


def test_fail_closed__an_observation_that_failed_is_an_error_with_its_text():
    checklist = make_checklist(
        sections=(make_section(items=(make_item(id="item", evidence=(Fixed(),)),)),)
    )
    observations = {
        ("item", 0): Observed(
            value=ObserveFailed(error="fixed evidence could not be observed: disk on fire")
        )
    }

    report = evaluate(
        checklist,
        observations,
        phase=None,
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=UTC_NOON,
        config_label="",
    )

    assert (report.items()[0].status, report.items()[0].reason) == (
        Status.ERROR,
        "fixed evidence could not be observed: disk on fire",
    )


def test_fail_closed__a_kind_whose_judge_raises_gives_an_error_not_a_pass():
    checklist = make_checklist(
        sections=(make_section(items=(make_item(id="item", evidence=(Broken(),)),)),)
    )

    report = evaluate(
        checklist,
        {("item", 0): Observed(value="facts")},
        phase=None,
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=UTC_NOON,
        config_label="",
    )

    assert (report.items()[0].status, report.items()[0].reason) == (
        Status.ERROR,
        "could not judge broken evidence: ValueError('boom')",
    )
    assert report.verdict is Verdict.FAIL


def test_order__results_follow_the_config_not_the_observations_or_statuses():
    sections = (
        make_section(
            id="zeta",
            items=(
                make_item(id="z2", evidence=(Fixed(),)),
                make_item(id="a1", evidence=(Fixed(),)),
            ),
        ),
        make_section(id="alpha", items=(make_item(id="m", evidence=(Fixed(),)),)),
    )
    checklist = make_checklist(sections=sections)
    observations = (
        observed("m", outcome("fail"))
        | observed("a1", outcome("pass"))
        | observed("z2", outcome("pending"))
    )

    report = evaluate(
        checklist,
        observations,
        phase=None,
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=UTC_NOON,
        config_label="",
    )

    assert [s.id for s in report.sections] == ["zeta", "alpha"]
    assert [(i.section, i.id) for i in report.items()] == [
        ("zeta", "z2"),
        ("zeta", "a1"),
        ("alpha", "m"),
    ]


def test_counts__per_severity_every_status_and_per_section():
    sections = (
        make_section(
            id="ops",
            items=(
                make_item(id="a", severity=Severity.REQUIRED, evidence=(Fixed(),)),
                make_item(id="b", severity=Severity.REQUIRED, evidence=(Fixed(),)),
                make_item(id="c", severity=Severity.RECOMMENDED, evidence=(Fixed(),)),
            ),
        ),
        make_section(
            id="sec",
            items=(
                make_item(id="d", severity=Severity.OPTIONAL, evidence=(Fixed(),)),
                make_item(
                    id="e", severity=Severity.REQUIRED, phases=("post-launch",), evidence=(Fixed(),)
                ),
            ),
        ),
    )
    checklist = make_checklist(sections=sections)
    observations = (
        observed("a", outcome("pass"))
        | observed("b", outcome("fail"))
        | observed("c", outcome("pending"))
        | observed("d", outcome("error"))
    )

    report = evaluate(
        checklist,
        observations,
        phase="go-live",
        environment=None,
        fail_on=FailOn.REQUIRED,
        now=UTC_NOON,
        config_label="",
    )

    zero = dict.fromkeys(["pass", "fail", "pending", "waived", "skipped", "error"], 0)
    assert report.counts == {
        "required": zero | {"pass": 1, "fail": 1, "skipped": 1},
        "recommended": zero | {"pending": 1},
        "optional": zero | {"error": 1},
    }
    assert [(s.id, s.passed, len(s.evaluated), len(s.items)) for s in report.sections] == [
        ("ops", 1, 3, 3),
        ("sec", 0, 1, 2),
    ]


def test_report__carries_the_run_it_describes():
    report = one_item_report("pass")

    assert (report.gate, report.fail_on, report.generated_at, report.config) == (
        "Payments API go-live",
        FailOn.REQUIRED,
        UTC_NOON,
        "apiq-gate.yml",
    )
    assert report.items()[0].evidence[0].label == "fixed probe"
