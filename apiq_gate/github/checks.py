"""The verdict on a commit: a check run created already completed, or a commit status.

The check run is created with its conclusion in one call, so a cancelled job never leaves one
`in_progress`. GitHub takes at most 50 annotations per request: the first 50 go with the create,
the rest follow in updates of 50 (GitHub appends them). Title, summary and text are cut to
GitHub's limit here only as a hard guard; the templates trim the content well before that.

Repeating a create that may have happened would leave two check runs, so each create carries a
fresh `external_id` and is looked up by it before it is repeated; an update that appends
annotations is checked against the run's annotation count the same way. A commit status is
simply repeated: GitHub shows only the latest status of each context.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from github.CheckRun import CheckRun

from apiq_gate.github.client import Api
from apiq_gate.github.values import (
    ANNOTATION_MESSAGE_LIMIT,
    ANNOTATION_TITLE_LIMIT,
    ANNOTATIONS_PER_REQUEST,
    CHECK_CONCLUSIONS,
    CHECK_OUTPUT_LIMIT,
    STATUS_DESCRIPTION_LIMIT,
    STATUS_STATES,
    Annotation,
    Published,
    cut,
)

CHECKS_WRITE, STATUSES_WRITE = "checks: write", "statuses: write"
OUTPUT_NOTE = (
    "\n\n> ✂️ Cut by apiq-gate to fit GitHub's limit of 65,535 characters; the full report is in the job summary.\n"
)


def _annotation_json(annotation: Annotation) -> dict[str, Any]:
    message = annotation.message.encode()[:ANNOTATION_MESSAGE_LIMIT].decode(errors="ignore")
    return {
        "path": annotation.path,
        "start_line": annotation.line,
        "end_line": annotation.line,
        "annotation_level": annotation.level,
        "title": cut(annotation.title, ANNOTATION_TITLE_LIMIT, "…"),
        "message": message or annotation.title or "-",  # GitHub refuses an empty message
    }


def _batches(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [items[i : i + ANNOTATIONS_PER_REQUEST] for i in range(0, len(items), ANNOTATIONS_PER_REQUEST)]


class Checks:
    def __init__(self, api: Api) -> None:
        self._api = api

    def publish_check(
        self,
        *,
        name: str,
        head_sha: str,
        conclusion: str,
        title: str,
        summary: str,
        text: str,
        annotations: Sequence[Annotation],
        details_url: str | None,
    ) -> Published:
        if conclusion not in CHECK_CONCLUSIONS:
            raise ValueError(f"conclusion {conclusion!r} is not one of {CHECK_CONCLUSIONS}")
        output: dict[str, Any] = {
            "title": cut(title, CHECK_OUTPUT_LIMIT, "…"),
            "summary": cut(summary, CHECK_OUTPUT_LIMIT, OUTPUT_NOTE),
            "text": cut(text, CHECK_OUTPUT_LIMIT, OUTPUT_NOTE),
        }
        batches = _batches([_annotation_json(a) for a in annotations]) or [[]]
        run = self._create(name, head_sha, conclusion, {**output, "annotations": batches[0]}, details_url)
        sent = len(batches[0])
        for batch in batches[1:]:
            sent += len(batch)
            self._append(run, {**output, "annotations": batch}, expected_count=sent)
        return Published(kind="check-run", url=run.html_url)

    def _create(
        self,
        name: str,
        head_sha: str,
        conclusion: str,
        output: dict[str, Any],
        details_url: str | None,
    ) -> CheckRun:
        external_id = f"apiq-gate-{uuid.uuid4().hex}"
        extra: dict[str, Any] = {"details_url": details_url} if details_url else {}

        def create() -> CheckRun:
            return self._api.repo.create_check_run(
                name=name,
                head_sha=head_sha,
                status="completed",
                conclusion=conclusion,
                output=output,
                external_id=external_id,
                **extra,
            )

        def created_before() -> CheckRun | None:
            runs = self._api.repo.get_commit(head_sha).get_check_runs(check_name=name, filter="all")
            return next((r for r in runs if r.external_id == external_id), None)

        return self._api.call(
            f"create the check run {name!r}",
            create,
            permission=CHECKS_WRITE,
            recover=created_before,
        )

    def _append(self, run: CheckRun, output: dict[str, Any], *, expected_count: int) -> None:
        def append() -> bool:
            run.edit(output=output)
            return True

        def appended_before() -> bool | None:
            current = self._api.repo.get_check_run(run.id)  # lazy; reading its output fetches it
            return True if current.output.annotations_count >= expected_count else None

        self._api.call(
            f"add annotations to the check run {run.name!r}",
            append,
            permission=CHECKS_WRITE,
            recover=appended_before,
        )

    def publish_status(
        self, *, sha: str, context: str, state: str, description: str, target_url: str | None
    ) -> Published:
        if state not in STATUS_STATES:
            raise ValueError(f"state {state!r} is not one of {STATUS_STATES}")
        extra: dict[str, Any] = {"target_url": target_url} if target_url else {}
        commit = self._api.repo.get_commit(sha)  # lazy: no request
        self._api.call(
            f"set the commit status {context!r}",
            lambda: commit.create_status(
                state=state,
                description=cut(description, STATUS_DESCRIPTION_LIMIT, "…"),
                context=context,
                **extra,
            ),
            permission=STATUSES_WRITE,
        )
        return Published(kind="commit-status", url=None)
