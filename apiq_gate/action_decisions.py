"""The Action's branching, as small pure functions: comment or not, which conclusion, which
publication, what a GitHub error does to the exit code, which annotations and outputs.

Everything here takes plain values (the JSON report data, settings' enums) and returns plain
values, so each rule is one row of a parametrized table in tests/unit/test_action_decisions.py.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from apiq_gate.comment_state import decode_state
from apiq_gate.comment_state import may_replace as state_may_replace
from apiq_gate.errors import ExitCode
from apiq_gate.model import FailOn, Verdict
from apiq_gate.render_filters import one_line
from apiq_gate.settings import CommentMode, StatusMode

AnnotationLevel = Literal["failure", "warning", "notice"]
Conclusion = Literal["success", "failure", "action_required", "neutral"]
StatusState = Literal["success", "failure", "pending"]


class CommentPlan(enum.StrEnum):
    UPSERT = "upsert"  # update ours, or create it
    UPDATE_ONLY = "update-only"  # update ours if there is one; never start one
    SKIP = "skip"


def comment_plan(mode: CommentMode, verdict: str, pr_number: int | None) -> CommentPlan:
    """`on-failure` starts a comment only when the gate does not pass, but keeps one it started
    up to date, so a gate that passes after failing turns its comment green instead of leaving
    the red one behind."""
    if pr_number is None or mode is CommentMode.NEVER:
        return CommentPlan.SKIP
    if mode is CommentMode.ON_FAILURE and verdict == Verdict.PASS:
        return CommentPlan.UPDATE_ONLY
    return CommentPlan.UPSERT


def may_replace(existing_body: str, run_id: int, run_attempt: int) -> bool:
    """May this run overwrite the comment? Not when the comment holds a newer run's report
    (by run id, then attempt); a comment without a readable state block may be replaced."""
    return state_may_replace(decode_state(existing_body), run_id, run_attempt)


def conclusion(verdict: str, fail_on: FailOn) -> Conclusion:
    """The check run's conclusion. `fail-on: never` reports without blocking: neutral, which
    branch protection accepts. Only sign-offs missing: action_required, which it does not."""
    if fail_on is FailOn.NEVER:
        return "neutral"
    if verdict == Verdict.PASS:
        return "success"
    if verdict == Verdict.PENDING:
        return "action_required"
    return "failure"


def status_state(check_conclusion: Conclusion) -> StatusState:
    """A commit status has no neutral or action_required: pending still blocks, neutral passes."""
    return {
        "success": "success",
        "neutral": "success",
        "action_required": "pending",
        "failure": "failure",
    }[check_conclusion]  # type: ignore[return-value]


STATUS_DESCRIPTION_LIMIT = 140  # characters in a commit status's description
REPORT_ONLY = "Report only: "


def commit_status_description(title: str, check_conclusion: Conclusion) -> str:
    """A commit status's description: the check's title, within 140 characters. Under `fail-on:
    never` the status is success whatever the verdict, so it says it only reports: a green
    status must not read "Go-live blocked" as if it blocked anything."""
    prefix = REPORT_ONLY if check_conclusion == "neutral" else ""
    return one_line(prefix + title, STATUS_DESCRIPTION_LIMIT)


@dataclass(frozen=True, kw_only=True, slots=True)
class PublishPlan:
    check_run: bool
    commit_status: bool


def publish_plan(mode: StatusMode) -> PublishPlan:
    return PublishPlan(
        check_run=mode in (StatusMode.CHECK_RUN, StatusMode.BOTH),
        commit_status=mode in (StatusMode.COMMIT_STATUS, StatusMode.BOTH),
    )


def permission_denied(status: int | None, message: str) -> bool:
    """A 403 that no retry can fix: the token lacks a permission (not a rate limit's 403)."""
    return status == 403 and "rate limit" not in message.lower()


def falls_back_to_status(mode: StatusMode, denied: bool) -> bool:
    """A token that may not write checks (a personal token, or no `checks: write`) still gets a
    commit status, unless one is being published anyway."""
    return mode is StatusMode.CHECK_RUN and denied


def fork_read_only(fork: bool, denied: bool) -> bool:
    """Denied on a pull request from a fork: GitHub made the token read-only; stop writing."""
    return fork and denied


def exit_code(verdict: str | None, fail_on: FailOn) -> int:
    """The job's exit code is the gate's verdict; GitHub errors never change it.

    A failing gate stays failing whatever GitHub does. A passing gate stays passing when
    publishing fails: the gate itself passed, a deploy with `needs:` should not be held back by
    a comment GitHub would not take, and a required check that never appeared still blocks
    merging by itself (docs/action.md#exit-codes). No verdict at all (the config could not be
    read) is exit 2 elsewhere, never 0.
    """
    if verdict is None:
        return ExitCode.BAD_INPUT
    if fail_on is FailOn.NEVER or verdict == Verdict.PASS:
        return ExitCode.PASSED
    return ExitCode.FAILED


# --- from the report: annotations, log lines, outputs ---------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemNote:
    """A failing or pending blocker, located on its line of the config."""

    level: AnnotationLevel
    path: str | None
    line: int | None
    title: str
    message: str


def blocker_notes(report: Mapping[str, Any]) -> list[ItemNote]:
    """Blocking items in report order: failing ones as failures, pending sign-offs as warnings."""
    notes = []
    for item in _items(report):
        if not item.get("blocking"):
            continue
        source = item.get("source") or {}
        pending = item.get("status") == "pending"
        notes.append(
            ItemNote(
                level="warning" if pending else "failure",
                path=source.get("file"),
                line=source.get("line"),
                title=f"{item['id']}: {'awaiting sign-off' if pending else item['status']}",
                message=f"{item['title']}: {item['reason']}",
            )
        )
    return notes


LOG_ANNOTATIONS_PER_LEVEL = 10  # GitHub shows a step's first 10 error and 10 warning annotations


def log_notes(report: Mapping[str, Any], limit: int = LOG_ANNOTATIONS_PER_LEVEL) -> list[ItemNote]:
    """The blocker notes to print as `::error`/`::warning` lines: at most `limit` of each level,
    the last of them saying how many more there are. GitHub would drop the rest anyway, and a
    reviewer needs the count, not 200 lines; the check run's annotations keep every one."""
    notes = blocker_notes(report)
    severities = set(report["totals"]["blocking_severities"])
    noun = "required items" if severities == {"required"} else "blocking items"
    what = {"failure": f"failing {noun}", "warning": f"{noun} awaiting sign-off"}
    shown: list[ItemNote] = []
    for level in ("failure", "warning"):
        of_level = [n for n in notes if n.level == level]
        if len(of_level) <= limit:
            shown += of_level
            continue
        more = len(of_level) - (limit - 1)
        shown += of_level[: limit - 1]
        shown.append(
            ItemNote(
                level=level,
                path=None,
                line=None,
                title="",
                message=f"… and {more} more {what[level]}; see the job summary",
            )
        )
    return shown


def outputs(
    report: Mapping[str, Any] | None,
    *,
    report_path: str,
    comment_url: str,
    check_url: str,
    verdict: str = "error",
) -> dict[str, str]:
    """What the Action writes to GITHUB_OUTPUT (action.yml declares the same names).

    `passed`, `failed` and `pending` count the items this run evaluated; `failed` includes
    items that could not be evaluated (errors), which never count as passed. Without a report
    (the gate could not run, or had nothing to do) the verdict says so and the counts are empty.
    """
    if report is None:
        return {
            "verdict": verdict,
            "passed": "",
            "failed": "",
            "pending": "",
            "report": "",
            "comment-url": comment_url,
            "check-url": check_url,
        }
    statuses = [item["status"] for item in _items(report)]
    return {
        "verdict": str(report["verdict"]),
        "passed": str(statuses.count("pass")),
        "failed": str(statuses.count("fail") + statuses.count("error")),
        "pending": str(statuses.count("pending")),
        "report": report_path,
        "comment-url": comment_url,
        "check-url": check_url,
    }


def _items(report: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    return [item for section in report["sections"] for item in section["items"]]
