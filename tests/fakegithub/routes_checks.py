"""Check runs and commit statuses: the two ways a gate reports on a commit."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from .records import CheckRunRecord, CommitRecord, RepoRecord, StatusRecord
from .replies import Reply, error, not_found, unprocessable, validation_failed
from .router import Call, Route, paged_reply
from .shapes import repo_json
from .shapes_checks import annotation_json, check_run_json, status_json
from .state import resolve_ref
from .validation import check_run_errors, status_errors


def _moment(value: Any, fallback: datetime) -> datetime:
    if not isinstance(value, str):
        return fallback
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return fallback


def _commit_for(call: Call, repo: RepoRecord, ref: str, *, exact: bool) -> CommitRecord:
    commit = repo.commits.get(ref) if exact else resolve_ref(repo, ref)
    if commit is None:
        raise unprocessable(call.documentation_url, f"No commit found for SHA: {ref}")
    return commit


def _run(call: Call) -> tuple[RepoRecord, CheckRunRecord]:
    repo = call.repo()
    run = repo.check_runs.get(call.number("check_run_id"))
    if run is None:
        raise not_found(call.documentation_url)
    return repo, run


def _output_fields(body: dict[str, Any], run: CheckRunRecord | None) -> dict[str, Any]:
    output = body.get("output")
    if not isinstance(output, dict):
        return {}
    # Annotations accumulate over updates; title, summary and text are replaced.
    earlier = run.annotations if run is not None else ()
    return {
        "title": output.get("title", run.title if run else None),
        "summary": output.get("summary"),
        "text": output.get("text"),
        "annotations": (*earlier, *output.get("annotations", [])),
    }


def create_check_run(call: Call) -> Reply:
    repo = call.repo()
    body = call.json_object()
    errors = check_run_errors(body, creating=True)
    if errors:
        raise validation_failed(call.documentation_url, errors)
    commit = _commit_for(call, repo, body["head_sha"], exact=True)
    now = call.state.clock()
    conclusion = body.get("conclusion")
    status = "completed" if conclusion is not None else body.get("status", "queued")
    assert call.token is not None  # routes with apps_only never run anonymously
    run = CheckRunRecord(
        id=call.state.next_id("check_run"),
        head_sha=commit.sha,
        name=body["name"],
        status=status,
        conclusion=conclusion,
        started_at=_moment(body.get("started_at"), now),
        completed_at=_moment(body.get("completed_at"), now) if status == "completed" else None,
        details_url=body.get("details_url"),
        external_id=body.get("external_id"),
        actions=tuple(body.get("actions", [])),
        creator=call.token.identity,
        **_output_fields(body, None),
    )
    repo.check_runs[run.id] = run
    shaped = check_run_json(run, repo, call.urls)
    return Reply(status=201, body=shaped, headers={"Location": shaped["url"]})


def update_check_run(call: Call) -> Reply:
    repo, run = _run(call)
    body = call.json_object()
    errors = check_run_errors(body, creating=False)
    if errors:
        raise validation_failed(call.documentation_url, errors)
    assert call.token is not None
    if call.token.identity != run.creator:
        raise error(403, "Resource not accessible by integration", call.documentation_url)
    now = call.state.clock()
    conclusion = body.get("conclusion", run.conclusion)
    status = "completed" if "conclusion" in body else body.get("status", run.status)
    changes: dict[str, Any] = {
        "name": body.get("name", run.name),
        "details_url": body.get("details_url", run.details_url),
        "external_id": body.get("external_id", run.external_id),
        "status": status,
        "conclusion": conclusion if status == "completed" else None,
        "started_at": _moment(body.get("started_at"), run.started_at),
        "completed_at": (
            _moment(body.get("completed_at"), run.completed_at or now)
            if status == "completed"
            else None
        ),
        **_output_fields(body, run),
    }
    if "actions" in body:
        changes["actions"] = tuple(body["actions"])
    updated = replace(run, **changes)
    repo.check_runs[run.id] = updated
    return Reply(status=200, body=check_run_json(updated, repo, call.urls))


def get_check_run(call: Call) -> Reply:
    repo, run = _run(call)
    return Reply(status=200, body=check_run_json(run, repo, call.urls))


def list_annotations(call: Call) -> Reply:
    repo, run = _run(call)
    shaped = [annotation_json(dict(a), repo, run.head_sha, call.urls) for a in run.annotations]
    return paged_reply(call, shaped, f"/repositories/{repo.id}/check-runs/{run.id}/annotations")


def list_check_runs_for_ref(call: Call) -> Reply:
    repo = call.repo()
    ref = call.params["ref"]
    commit = _commit_for(call, repo, ref, exact=False)
    runs = sorted(
        (r for r in repo.check_runs.values() if r.head_sha == commit.sha),
        key=lambda r: r.id,
        reverse=True,
    )
    if call.arg("filter") != "all":  # "latest" (the default): the most recent run of each name
        newest: dict[str, CheckRunRecord] = {}
        for run in runs:
            newest.setdefault(run.name, run)
        runs = list(newest.values())
    if (name := call.arg("check_name")) is not None:
        runs = [r for r in runs if r.name == name]
    if (status := call.arg("status")) is not None:
        runs = [r for r in runs if r.status == status]
    reply = paged_reply(
        call,
        [check_run_json(r, repo, call.urls) for r in runs],
        f"/repositories/{repo.id}/commits/{ref}/check-runs",
    )
    return replace(reply, body={"total_count": len(runs), "check_runs": reply.body})


def create_status(call: Call) -> Reply:
    repo = call.repo()
    body = call.json_object()
    errors = status_errors(body)
    if errors:
        raise validation_failed(call.documentation_url, errors)
    commit = _commit_for(call, repo, call.params["sha"], exact=True)
    assert call.token is not None
    status = StatusRecord(
        id=call.state.next_id("status"),
        sha=commit.sha,
        state=body["state"],
        context=body.get("context") or "default",
        description=body.get("description"),
        target_url=body.get("target_url"),
        creator=call.token.identity,
        created_at=call.state.clock(),
    )
    repo.statuses.append(status)
    shaped = status_json(status, repo, call.urls)
    return Reply(status=201, body=shaped, headers={"Location": shaped["url"]})


def _statuses_newest_first(call: Call, repo: RepoRecord) -> tuple[CommitRecord, list[StatusRecord]]:
    commit = _commit_for(call, repo, call.params["ref"], exact=False)
    return commit, [s for s in reversed(repo.statuses) if s.sha == commit.sha]


def list_statuses(call: Call) -> Reply:
    repo = call.repo()
    _, statuses = _statuses_newest_first(call, repo)
    return paged_reply(
        call,
        [status_json(s, repo, call.urls) for s in statuses],
        f"/repositories/{repo.id}/commits/{call.params['ref']}/statuses",
    )


def combined_status(call: Call) -> Reply:
    repo = call.repo()
    commit, statuses = _statuses_newest_first(call, repo)
    latest: dict[str, StatusRecord] = {}
    for status in statuses:
        latest.setdefault(status.context.lower(), status)
    states = {s.state for s in latest.values()}
    combined = (
        "failure"
        if states & {"error", "failure"}
        else "pending"
        if not states or "pending" in states
        else "success"
    )
    api = f"{call.urls.repo(repo)}/commits/{commit.sha}"
    reply = paged_reply(
        call,
        [status_json(s, repo, call.urls) for s in latest.values()],
        f"/repositories/{repo.id}/commits/{call.params['ref']}/status",
    )
    body = {
        "state": combined,
        "statuses": reply.body,
        "sha": commit.sha,
        "total_count": len(latest),
        "repository": repo_json(repo, call.urls),
        "commit_url": api,
        "url": f"{api}/status",
    }
    return replace(reply, body=body)


ROUTES: dict[str, Route] = {
    "POST /repos/{owner}/{repo}/check-runs": Route(
        handler=create_check_run, needs=(("checks", "write"),), apps_only=True
    ),
    "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": Route(
        handler=update_check_run, needs=(("checks", "write"),), apps_only=True
    ),
    "GET /repos/{owner}/{repo}/check-runs/{check_run_id}": Route(
        handler=get_check_run, needs=(("checks", "read"),)
    ),
    "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations": Route(
        handler=list_annotations, needs=(("checks", "read"),)
    ),
    "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": Route(
        handler=list_check_runs_for_ref, needs=(("checks", "read"),)
    ),
    "POST /repos/{owner}/{repo}/statuses/{sha}": Route(
        handler=create_status, needs=(("statuses", "write"),)
    ),
    "GET /repos/{owner}/{repo}/commits/{ref}/statuses": Route(
        handler=list_statuses, needs=(("statuses", "read"),)
    ),
    "GET /repos/{owner}/{repo}/commits/{ref}/status": Route(
        handler=combined_status, needs=(("statuses", "read"),)
    ),
}
