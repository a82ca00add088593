"""The Action's branching rules, one table each: comment or not, conclusion, publication,
fallbacks, exit codes, annotations and outputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from apiq_gate.action_decisions import (
    CommentPlan,
    PublishPlan,
    blocker_notes,
    comment_plan,
    commit_status_description,
    conclusion,
    exit_code,
    falls_back_to_status,
    fork_read_only,
    log_notes,
    may_replace,
    outputs,
    permission_denied,
    publish_plan,
    status_state,
)
from apiq_gate.comment_state import CommentState, comment_marker, encode_state
from apiq_gate.evaluate import count, verdict
from apiq_gate.model import (
    EvidenceResult,
    FailOn,
    ItemResult,
    Outcome,
    Report,
    SectionResult,
    Severity,
    Status,
)
from apiq_gate.report_io import report_to_data
from apiq_gate.settings import CommentMode, StatusMode
from apiq_gate.structure import Source

ALWAYS, ON_FAILURE, NEVER = CommentMode.ALWAYS, CommentMode.ON_FAILURE, CommentMode.NEVER
UPSERT, UPDATE_ONLY, SKIP = CommentPlan.UPSERT, CommentPlan.UPDATE_ONLY, CommentPlan.SKIP


@pytest.mark.parametrize(
    ("mode", "verdict_", "pr", "plan"),
    [
        (ALWAYS, "pass", 2, UPSERT),
        (ALWAYS, "fail", 2, UPSERT),
        (ALWAYS, "pending", 2, UPSERT),
        (ON_FAILURE, "fail", 2, UPSERT),
        (ON_FAILURE, "pending", 2, UPSERT),
        (ON_FAILURE, "pass", 2, UPDATE_ONLY),  # turns an earlier red comment green, starts none
        (NEVER, "fail", 2, SKIP),
        (ALWAYS, "fail", None, SKIP),  # push, schedule, dispatch: no pull request to comment on
        (ON_FAILURE, "fail", None, SKIP),
    ],
)
def test_comment_plan(mode, verdict_, pr, plan):
    assert comment_plan(mode, verdict_, pr) is plan


@pytest.mark.parametrize(
    ("verdict_", "fail_on", "expected"),
    [
        ("pass", FailOn.REQUIRED, "success"),
        ("fail", FailOn.REQUIRED, "failure"),
        ("pending", FailOn.REQUIRED, "action_required"),  # only sign-offs missing
        ("fail", FailOn.RECOMMENDED, "failure"),
        ("pass", FailOn.NEVER, "neutral"),
        ("fail", FailOn.NEVER, "neutral"),  # report only: shown, never blocking
        ("pending", FailOn.NEVER, "neutral"),
    ],
)
def test_conclusion(verdict_, fail_on, expected):
    assert conclusion(verdict_, fail_on) == expected


@pytest.mark.parametrize(
    ("check", "state"),
    [
        ("success", "success"),
        ("failure", "failure"),
        ("action_required", "pending"),
        ("neutral", "success"),
    ],
)
def test_status_state__maps_what_a_commit_status_cannot_say(check, state):
    assert status_state(check) == state


BLOCKED = "Go-live blocked: 1 required item failing"
READY = "Ready for go-live: 2/2 required items pass"


@pytest.mark.parametrize(
    ("title", "check", "description"),
    [
        (BLOCKED, "failure", BLOCKED),
        (READY, "success", READY),
        (BLOCKED, "action_required", BLOCKED),
        (BLOCKED, "neutral", f"Report only: {BLOCKED}"),
        (READY, "neutral", f"Report only: {READY}"),
        ("x" * 200, "neutral", "Report only: " + "x" * 126 + "…"),  # still within 140
    ],
)
def test_status_description__says_report_only_when_the_status_is_green_whatever_the_verdict(title, check, description):
    assert commit_status_description(title, check) == description
    assert len(commit_status_description(title, check)) <= 140


@pytest.mark.parametrize(
    ("mode", "plan"),
    [
        (StatusMode.CHECK_RUN, PublishPlan(check_run=True, commit_status=False)),
        (StatusMode.COMMIT_STATUS, PublishPlan(check_run=False, commit_status=True)),
        (StatusMode.BOTH, PublishPlan(check_run=True, commit_status=True)),
        (StatusMode.NONE, PublishPlan(check_run=False, commit_status=False)),
    ],
)
def test_publish_plan(mode, plan):
    assert publish_plan(mode) == plan


@pytest.mark.parametrize(
    ("status", "message", "denied"),
    [
        (
            403,
            "Could not create the check run: GitHub answered 403: Resource not accessible by integration",
            True,
        ),
        (
            403,
            "Could not create the check run: GitHub answered 403. GitHub's secondary rate limit asked to wait 60 s",
            False,
        ),
        (403, "The token's API rate limit is used up until 10:00 UTC", False),
        (404, "Not Found", False),
        (502, "Server Error", False),
        (None, "the connection failed", False),
    ],
)
def test_permission_denied__only_a_403_that_is_not_a_rate_limit(status, message, denied):
    assert permission_denied(status, message) is denied


@pytest.mark.parametrize(
    ("mode", "denied", "falls_back"),
    [
        (StatusMode.CHECK_RUN, True, True),
        (StatusMode.CHECK_RUN, False, False),  # other errors are reported, not papered over
        (StatusMode.BOTH, True, False),  # the status is published anyway
        (StatusMode.COMMIT_STATUS, True, False),
    ],
)
def test_falls_back_to_status(mode, denied, falls_back):
    assert falls_back_to_status(mode, denied) is falls_back


@pytest.mark.parametrize(
    ("fork", "denied", "read_only"),
    [(True, True, True), (True, False, False), (False, True, False)],
)
def test_fork_read_only(fork, denied, read_only):
    assert fork_read_only(fork, denied) is read_only


@pytest.mark.parametrize(
    ("verdict_", "fail_on", "code"),
    [
        ("pass", FailOn.REQUIRED, 0),
        ("fail", FailOn.REQUIRED, 1),
        ("pending", FailOn.REQUIRED, 1),  # a deploy waits for its sign-offs
        ("fail", FailOn.RECOMMENDED, 1),
        ("fail", FailOn.NEVER, 0),
        ("pending", FailOn.NEVER, 0),
        (None, FailOn.REQUIRED, 2),  # no verdict: never 0
        (None, FailOn.NEVER, 2),
    ],
)
def test_exit_code__is_the_verdicts(verdict_, fail_on, code):
    assert exit_code(verdict_, fail_on) == code


def comment_by(run_id: int, attempt: int = 1) -> str:
    state = CommentState(run_id=run_id, run_attempt=attempt, sha="abc1234", verdict="fail", statuses={})
    return f"{comment_marker('Payments')}\n{encode_state(state)}\n🔴 Go-live blocked"


@pytest.mark.parametrize(
    ("existing", "run_id", "attempt", "allowed"),
    [
        (comment_by(100), 101, 1, True),
        (comment_by(100), 100, 1, True),  # the same run again (a re-render) may rewrite its own
        (comment_by(100, 2), 100, 3, True),  # a re-run attempt is newer
        (comment_by(100, 2), 100, 1, False),
        (comment_by(200), 100, 1, False),  # an older run never overwrites a newer report
        (f"{comment_marker('Payments')}\nedited by hand", 1, 1, True),  # no state: ours to fix
    ],
)
def test_may_replace__by_run_id_then_attempt(existing, run_id, attempt, allowed):
    assert may_replace(existing, run_id, attempt) is allowed


# --- from the report ----------------------------------------------------------------------------


def item(item_id: str, status: Status, severity: Severity = Severity.REQUIRED, line: int | None = 10) -> ItemResult:
    return ItemResult(
        id=item_id,
        title=f"Title of {item_id}",
        section="ops",
        group="",
        severity=severity,
        status=status,
        reason=f"why {item_id} is {status.value}",
        evidence=(EvidenceResult(kind="file", label="file x", outcome=Outcome(status=status, reason="r")),),
        source=Source(file=".github/apiq-gate.yml", line=line) if line else None,
    )


def report(*items: ItemResult, fail_on: FailOn = FailOn.REQUIRED) -> dict[str, Any]:
    return report_to_data(
        Report(
            gate="Payments",
            verdict=verdict(list(items), fail_on),
            fail_on=fail_on,
            phase=None,
            environment="production",
            sections=(SectionResult(id="ops", title="Operations", items=items),),
            warnings=(),
            counts=count(list(items)),
            generated_at=dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC),
            config=".github/apiq-gate.yml@abc1234",
        )
    )


def test_blocker_notes__failing_and_pending_blockers_on_their_config_lines():
    data = report(
        item("runbook", Status.FAIL, line=12),
        item("tls", Status.ERROR, line=20),
        item("legal", Status.PENDING, line=31),
        item("docs", Status.FAIL, Severity.RECOMMENDED, line=40),  # not blocking under fail-on required
        item("health", Status.PASS, line=50),
    )
    notes = [(n.level, n.path, n.line, n.title) for n in blocker_notes(data)]
    assert notes == [
        ("failure", ".github/apiq-gate.yml", 12, "runbook: fail"),
        ("failure", ".github/apiq-gate.yml", 20, "tls: error"),
        ("warning", ".github/apiq-gate.yml", 31, "legal: awaiting sign-off"),
    ]
    assert blocker_notes(data)[0].message == "Title of runbook: why runbook is fail"


def test_blocker_notes__recommended_items_block_under_fail_on_recommended():
    data = report(item("docs", Status.FAIL, Severity.RECOMMENDED), fail_on=FailOn.RECOMMENDED)
    assert [n.title for n in blocker_notes(data)] == ["docs: fail"]


@pytest.mark.parametrize(
    ("failing", "pending", "shown_failing", "shown_pending"),
    [(0, 0, 0, 0), (10, 10, 10, 10), (11, 0, 10, 0), (30, 12, 10, 10)],
)
def test_log_notes__at_most_10_per_level_the_tenth_counting_the_rest(failing, pending, shown_failing, shown_pending):
    items = [item(f"f{n}", Status.FAIL, line=n + 1) for n in range(failing)]
    items += [item(f"p{n}", Status.PENDING, line=100 + n) for n in range(pending)]

    notes = log_notes(report(*items))

    assert [n.level for n in notes] == ["failure"] * shown_failing + ["warning"] * shown_pending
    if failing > 10:
        assert [n.title for n in notes[:9]] == [f"f{n}: fail" for n in range(9)]
        assert (notes[9].path, notes[9].line, notes[9].title) == (None, None, "")
        assert notes[9].message == f"… and {failing - 9} more failing required items; see the job summary"
    if pending > 10:
        assert notes[-1].message == f"… and {pending - 9} more required items awaiting sign-off; see the job summary"


def test_log_notes__under_fail_on_recommended_counts_blocking_items():
    data = report(*[item(f"r{n}", Status.FAIL, Severity.RECOMMENDED) for n in range(12)], fail_on=FailOn.RECOMMENDED)
    assert log_notes(data)[-1].message == "… and 3 more failing blocking items; see the job summary"


def test_outputs__counts_and_links():
    data = report(
        item("a", Status.PASS),
        item("b", Status.FAIL),
        item("c", Status.ERROR),
        item("d", Status.PENDING),
    )
    assert outputs(data, report_path="apiq-gate-report.json", comment_url="https://c", check_url="https://k") == {
        "verdict": "fail",
        "passed": "1",
        "failed": "2",  # an error is never a pass
        "pending": "1",
        "report": "apiq-gate-report.json",
        "comment-url": "https://c",
        "check-url": "https://k",
    }


def test_outputs__without_a_report_says_why_and_leaves_counts_empty():
    assert outputs(None, report_path="", comment_url="", check_url="", verdict="skipped") == {
        "verdict": "skipped",
        "passed": "",
        "failed": "",
        "pending": "",
        "report": "",
        "comment-url": "",
        "check-url": "",
    }
