"""JSON representations of check runs, their annotations and commit statuses."""

from __future__ import annotations

from typing import Any

from .records import CheckRunRecord, RepoRecord, StatusRecord
from .shapes import JSON, Urls, node_id, timestamp, user_json
from .tokens import GITHUB_ACTIONS_APP_ID, Identity


def app_json(urls: Urls) -> JSON:
    owner = Identity(login="github", id=9919, type="Organization")
    return {
        "id": GITHUB_ACTIONS_APP_ID,
        "slug": "github-actions",
        "node_id": node_id("Integration", GITHUB_ACTIONS_APP_ID),
        "owner": user_json(owner, urls),
        "name": "GitHub Actions",
        "description": "Automate your workflow from idea to production",
        "external_url": "https://help.github.com/en/actions",
        "html_url": f"{urls.web}/apps/github-actions",
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2024-04-10T20:33:16Z",
    }


def check_run_json(run: CheckRunRecord, repo: RepoRecord, urls: Urls) -> JSON:
    api = f"{urls.repo(repo)}/check-runs/{run.id}"
    return {
        "id": run.id,
        "name": run.name,
        "node_id": node_id("CheckRun", run.id),
        "head_sha": run.head_sha,
        "external_id": run.external_id or "",
        "url": api,
        "html_url": f"{urls.web}/{repo.full_name}/runs/{run.id}",
        "details_url": run.details_url or f"{urls.web}/{repo.full_name}/runs/{run.id}",
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": timestamp(run.started_at),
        "completed_at": timestamp(run.completed_at),
        "output": {
            "title": run.title,
            "summary": run.summary,
            "text": run.text,
            "annotations_count": len(run.annotations),
            "annotations_url": f"{api}/annotations",
        },
        "check_suite": {"id": 10_000_000_000 + run.id % 1_000_000},
        "app": app_json(urls),
        "pull_requests": [],
    }


def annotation_json(annotation: dict[str, Any], repo: RepoRecord, sha: str, urls: Urls) -> JSON:
    return {
        "path": annotation["path"],
        "blob_href": f"{urls.web}/{repo.full_name}/blob/{sha}/{annotation['path']}",
        "start_line": annotation["start_line"],
        "end_line": annotation["end_line"],
        "start_column": annotation.get("start_column"),
        "end_column": annotation.get("end_column"),
        "annotation_level": annotation["annotation_level"],
        "title": annotation.get("title"),
        "message": annotation["message"],
        "raw_details": annotation.get("raw_details"),
    }


def status_json(status: StatusRecord, repo: RepoRecord, urls: Urls) -> JSON:
    return {
        "url": f"{urls.repo(repo)}/statuses/{status.sha}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{status.creator.id}?v=4",
        "id": status.id,
        "node_id": node_id("StatusContext", status.id),
        "state": status.state,
        "description": status.description,
        "target_url": status.target_url,
        "context": status.context,
        "created_at": timestamp(status.created_at),
        "updated_at": timestamp(status.created_at),
        "creator": user_json(status.creator, urls),
    }
