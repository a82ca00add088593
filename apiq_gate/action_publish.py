"""Publishing a run's verdict on GitHub: the sticky comment, the check run or commit status.

GitHub's answers never change the verdict. Each failure is collected as a plain sentence (the
GitHubError's own message says what failed, the status and the fix) and the run goes on with
the next publication; the caller reports them in the log and the job summary. Two failures are
expected and said as warnings instead: a token that may not write checks (a commit status is
published instead), and a pull request from a fork (the token is read-only; the job summary
holds the report and the fork setup is linked).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apiq_gate.action_decisions import (
    CommentPlan,
    blocker_notes,
    comment_plan,
    commit_status_description,
    conclusion,
    falls_back_to_status,
    fork_read_only,
    may_replace,
    permission_denied,
    publish_plan,
    status_state,
)
from apiq_gate.comment import (
    CommentState,
    RunInfo,
    check_title,
    comment_marker,
    decode_state,
    render_check_summary,
    render_check_text,
    render_comment,
)
from apiq_gate.events import EventRun
from apiq_gate.github import Annotation, GitHub, GitHubError
from apiq_gate.github.errors import FORK_ADVICE
from apiq_gate.render import TemplateError
from apiq_gate.settings import Settings

FORK_DOCS = "https://github.com/apiq/apiq-gate/blob/main/docs/action.md#forks"
FORK_WARNING = (
    "This pull request comes from a fork, so GitHub gave this workflow a read-only token: "
    "apiq-gate could not post its comment or check. The full report is in this job's summary. "
    "To publish on pull requests from forks, use the two-workflow setup "
    f"(pull_request + workflow_run): {FORK_DOCS}"
)


@dataclass(kw_only=True, slots=True)
class Publication:
    """What was published, and what GitHub refused."""

    comment_url: str = ""
    check_url: str = ""
    previous: CommentState | None = None  # the state in the comment before this run
    problems: list[str] = field(default_factory=list)  # GitHub errors: reported as errors
    warnings: list[str] = field(default_factory=list)  # expected refusals and skips: said once each
    read_only: bool = False  # a fork's read-only token: nothing more is attempted
    template_failed: bool = False  # the repository's comment template could not render: bad input


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """What is published, and where."""

    report: Mapping[str, Any]
    run: RunInfo
    event: EventRun
    settings: Settings
    template: Path | None = None


def with_fork_advice(error: GitHubError, fork: bool) -> GitHubError:
    """A 403 on a pull request from a fork: say why the token is read-only, and the way out.
    Anywhere else the advice would mislead (the fix is the workflow's `permissions:`)."""
    if not (fork and permission_denied(error.status, str(error))):
        return error
    return GitHubError(f"{error} {FORK_ADVICE}", status=error.status, permission=error.permission)


def publish(github: GitHub, target: Target) -> Publication:
    done = Publication()
    _comment(github, target, done)
    if not done.read_only:
        _verdict(github, target, done)
    return done


def _attempt(
    done: Publication,
    target: Target,
    action: Callable[[], object],
    *,
    forbidden_expected: bool = False,
) -> GitHubError | None:
    """Run one publication; a GitHubError is recorded (or becomes the fork warning) and returned.
    With `forbidden_expected`, a 403 is left to the caller, which has a fallback for it."""
    try:
        action()
    except GitHubError as error:
        denied = permission_denied(error.status, str(error))
        if fork_read_only(target.event.fork, denied):
            done.read_only = True
            if FORK_WARNING not in done.warnings:
                done.warnings.append(FORK_WARNING)
        elif not (forbidden_expected and denied):
            done.problems.append(str(error))
        return error
    return None


def _comment(github: GitHub, target: Target, done: Publication) -> None:
    pr = target.event.pr_number
    plan = comment_plan(target.settings.comment, str(target.report["verdict"]), pr)
    if plan is CommentPlan.SKIP or pr is None:
        return
    # One comment per gate: the config's name and the check name (two jobs may judge one config).
    # The name-only marker of earlier versions is still ours: its comment is taken over.
    gate = str(target.report["gate"])
    marker, legacy = comment_marker(gate, target.settings.check_name), (comment_marker(gate),)
    run_id, attempt = target.run.run_id, target.run.run_attempt

    def upsert() -> None:
        existing = github.find_comment(pr, marker, legacy_markers=legacy)
        done.previous = decode_state(existing.body) if existing else None
        if existing is not None and not may_replace(existing.body, run_id, attempt):
            done.comment_url = existing.url
            done.warnings.append(_newer_note(done.previous, existing.url))
            return
        if existing is None and plan is CommentPlan.UPDATE_ONLY:
            return  # the gate passes and never failed here: no comment to turn green
        try:
            body = render_comment(target.report, target.run, done.previous, target.template)
        except TemplateError as error:
            # Name the template as the repository does, not by the local copy it was read into.
            shown = str(error).replace(str(target.template), target.settings.template or "")
            done.problems.append(f"The comment was not posted: {shown}")
            done.template_failed = True
            return
        written = github.upsert_comment(
            pr,
            body,
            marker,
            may_replace=lambda text: may_replace(text, run_id, attempt),
            legacy_markers=legacy,
        )
        if written is None:  # a newer run wrote in between (or won a race): point at its comment
            survivor = github.find_comment(pr, marker, legacy_markers=legacy)
            done.comment_url = survivor.url if survivor else ""
            done.warnings.append(_newer_note(decode_state(survivor.body) if survivor else None, done.comment_url))
        else:
            done.comment_url = written.url

    _attempt(done, target, upsert)
    if github.learned_login is not None:
        done.warnings.append(_login_note(github.bot_login(), github.learned_login))


def _login_note(looked_for: str, author: str) -> str:
    return (
        f"apiq-gate looked for its comment among those written by {looked_for}, but GitHub wrote it "
        f"as {author}: the token is a GitHub App's. Set the input `bot-login: {author}`. Until then "
        "each run finds the comment only after posting another, which it then deletes."
    )


def _newer_note(previous: CommentState | None, url: str) -> str:
    which = f" (run {previous.run_id}, attempt {previous.run_attempt})" if previous else ""
    where = f": {url}" if url else ""
    return f"The pull request's comment holds a newer run's report{which}; this older run left it as it is{where}"


def _verdict(github: GitHub, target: Target, done: Publication) -> None:
    settings, report = target.settings, target.report
    plan = publish_plan(settings.status)
    outcome = conclusion(str(report["verdict"]), settings.fail_on)
    details_url = target.run.run_url or None
    status_wanted = plan.commit_status
    if plan.check_run:
        annotations = [
            Annotation(path=n.path, line=n.line, level=n.level, title=n.title, message=n.message)
            for n in blocker_notes(report)
            if n.path and n.line
        ]

        def check() -> None:
            published = github.publish_check(
                name=settings.check_name,
                head_sha=target.event.head_sha,
                conclusion=outcome,
                title=check_title(report),
                summary=render_check_summary(report, target.run, done.previous),
                text=render_check_text(report, target.run),
                annotations=annotations,
                details_url=details_url,
            )
            done.check_url = published.url or ""

        error = _attempt(done, target, check, forbidden_expected=True)
        denied = error is not None and permission_denied(error.status, str(error))
        if denied and not done.read_only:
            if falls_back_to_status(settings.status, denied):
                status_wanted = True
                done.warnings.append(
                    "The token may not create check runs (GitHub answered 403), so apiq-gate "
                    f"falls back to a commit status '{settings.check_name}'. For a check run, "
                    "give the job `permissions: checks: write` and use the workflow token; a "
                    "personal token can never write checks, so with one set `status: commit-status` "
                    "instead of a request GitHub refuses on every run."
                )
            else:
                done.warnings.append(
                    "The token may not create check runs (GitHub answered 403); the commit "
                    "status carries the verdict. Grant `checks: write` for a check run."
                )
    if status_wanted and not done.read_only:
        _attempt(
            done,
            target,
            lambda: github.publish_status(
                sha=target.event.head_sha,
                context=settings.check_name,
                state=status_state(outcome),
                description=commit_status_description(check_title(report), outcome),
                target_url=details_url,
            ),
        )
