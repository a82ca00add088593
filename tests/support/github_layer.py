"""Shared setup for the tests of apiq_gate.github against the fake GitHub API.

`Clock` is the one time source of a test: the fake's rate limits read it, the layer under test
reads it and sleeps on it. Sleeping records the wait and moves the clock on, so a test sees every
wait the layer chose and never waits itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apiq_gate.comment_state import (
    CommentState,
    comment_marker,
    decode_state,
    encode_state,
    may_replace,
)
from apiq_gate.github import GitHub
from tests.fakegithub import FakeGitHub, LoggedRequest

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
GATE = "Payments go-live"
MARKER = comment_marker(GATE)
BOT = "github-actions[bot]"

LIST_COMMENTS = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"
CREATE_COMMENT = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
EDIT_COMMENT = "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"
DELETE_COMMENT = "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}"
CREATE_CHECK = "POST /repos/{owner}/{repo}/check-runs"
UPDATE_CHECK = "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"
CONTENTS = "GET /repos/{owner}/{repo}/contents/{path}"
CREATE_STATUS = "POST /repos/{owner}/{repo}/statuses/{sha}"


class Clock:
    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def connect(fake: FakeGitHub, token: str, clock: Clock, repository: str, **options: Any) -> GitHub:
    """The layer as the Action builds it, pointed at the fake, sleeping on the test's clock."""
    return GitHub(
        token=token,
        api_url=fake.url,
        repository=repository,
        sleep=clock.sleep,
        clock=clock.time,
        **options,
    )


def report_body(run_id: int, text: str = "", *, sha: str = "ec26c3e") -> str:
    """A comment body as the reviewer's view renders it: marker, state block, report."""
    state = CommentState(run_id=run_id, run_attempt=1, sha=sha, verdict="fail", statuses={})
    return f"{MARKER}\n{encode_state(state)}\n🔴 Go-live blocked (run {run_id})\n{text}"


def replaces_for(run_id: int) -> Callable[[str], bool]:
    """The Action's rule: a run never overwrites the report of a newer run."""
    return lambda existing: may_replace(decode_state(existing), run_id, 1)


def run_id_in(body: str) -> int | None:
    state = decode_state(body)
    return state.run_id if state is not None else None


def deletes(fake: FakeGitHub) -> list[LoggedRequest]:
    return [r for r in fake.requests if r.method == "DELETE"]


def deletes_of_others(fake: FakeGitHub, markers: tuple[str, ...] = (MARKER,)) -> list[str]:
    """Every DELETE that was not a run removing its own race duplicate, described; [] when none.

    A run's own duplicate: a comment with our marker, created by a POST sent with the very token
    that deletes it (each run has a token of its own), and never changed since that POST."""
    deleted = {c.id: c for repo in fake.state.repos.values() for c in repo.deleted_comments}
    problems = []
    for request in deletes(fake):
        comment = deleted.get(int(request.path.rsplit("/", 1)[1]))
        token = _authorization(request)
        own = comment is not None and any(
            r.operation == CREATE_COMMENT
            and _authorization(r) == token
            and isinstance(r.body, dict)
            and r.body.get("body") == comment.body
            for r in fake.requests
        )
        if not (own and comment is not None and any(m in comment.body.splitlines() for m in markers)):
            problems.append(f"{request.method} {request.path}: not a comment this run created with our marker")
    return problems


def _authorization(request: LoggedRequest) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == "authorization"), None)
