"""Routes for who-am-I, quota, repositories, contents, commits, pull requests and permissions."""

from __future__ import annotations

import base64
import posixpath
from typing import Any

from .records import CommitRecord, RepoRecord
from .replies import INTEGRATION_FORBIDDEN, Reply, error, not_found, unprocessable
from .router import Call, Route, paged_reply
from .shapes import node_id, pull_json, repo_json, timestamp, user_json
from .state import git_blob_sha, resolve_ref

CONTENT_INLINE_MAX = 1024 * 1024  # larger files come back with `encoding: none` and no content
PERMISSION_OF_ROLE = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}


def get_user(call: Call) -> Reply:
    if call.token is None:
        raise error(401, "Requires authentication", call.documentation_url)
    if not call.token.reads_user:
        raise error(403, INTEGRATION_FORBIDDEN, call.documentation_url)
    body = user_json(call.token.identity, call.urls)
    body.update(name=call.token.identity.login, email=None, created_at="2020-01-01T00:00:00Z")
    return Reply(status=200, body=body)


def get_rate_limit(call: Call) -> Reply:
    core = call.quota.as_json()
    search = {"limit": 30, "used": 0, "remaining": 30, "reset": core["reset"]}
    graphql = {"limit": 5000, "used": 0, "remaining": 5000, "reset": core["reset"]}
    return Reply(
        status=200,
        body={"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core},
    )


def get_repo(call: Call) -> Reply:
    return Reply(status=200, body=repo_json(call.repo(), call.urls))


def _file_json(
    call: Call, repo: RepoRecord, ref: str, path: str, data: bytes | None
) -> dict[str, Any]:
    api = f"{call.urls.repo(repo)}/contents/{path}?ref={ref}"
    sha = git_blob_sha(data) if data is not None else git_blob_sha(path.encode())
    html = f"{call.urls.web}/{repo.full_name}/{'blob' if data is not None else 'tree'}/{ref}/{path}"
    entry: dict[str, Any] = {
        "type": "file" if data is not None else "dir",
        "size": len(data) if data is not None else 0,
        "name": posixpath.basename(path),
        "path": path,
        "sha": sha,
        "url": api,
        "git_url": f"{call.urls.repo(repo)}/git/{'blobs' if data is not None else 'trees'}/{sha}",
        "html_url": html,
        "download_url": (
            f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}"
            if data is not None
            else None
        ),
        "_links": {"self": api, "git": f"{call.urls.repo(repo)}/git/blobs/{sha}", "html": html},
    }
    return entry


def _encoded(data: bytes) -> tuple[str, str]:
    if len(data) > CONTENT_INLINE_MAX:
        return "", "none"
    # GitHub wraps base64 content at 60 characters per line, each line ending in a newline.
    flat = base64.b64encode(data).decode()
    return "".join(flat[i : i + 60] + "\n" for i in range(0, len(flat), 60)), "base64"


def get_contents(call: Call) -> Reply:
    repo = call.repo()
    ref = call.arg("ref")
    commit = resolve_ref(repo, ref)
    if commit is None:
        raise (
            not_found(call.documentation_url)
            if ref is None
            else error(404, f"No commit found for the ref {ref}", call.documentation_url)
        )
    path = call.params["path"].strip("/")
    shown_ref = ref or repo.default_branch
    if path in commit.files:
        data = commit.files[path]
        body = _file_json(call, repo, shown_ref, path, data)
        body["content"], body["encoding"] = _encoded(data)
        return Reply(status=200, body=body)
    prefix = f"{path}/" if path else ""
    children = sorted(
        {name[len(prefix) :].split("/", 1)[0] for name in commit.files if name.startswith(prefix)}
    )
    if not children:
        raise not_found(call.documentation_url)
    listing = [
        _file_json(call, repo, shown_ref, prefix + child, commit.files.get(prefix + child))
        for child in children
    ]
    return Reply(status=200, body=listing)


def _commit_json(call: Call, repo: RepoRecord, commit: CommitRecord) -> dict[str, Any]:
    api = f"{call.urls.repo(repo)}/commits/{commit.sha}"
    person = {
        "name": repo.owner.login,
        "email": f"{repo.owner.id}+{repo.owner.login}@users.noreply.github.com",
        "date": timestamp(commit.created_at),
    }
    return {
        "sha": commit.sha,
        "node_id": node_id("Commit", int(commit.sha[:8], 16)),
        "commit": {
            "author": person,
            "committer": person,
            "message": commit.message,
            "tree": {
                "sha": git_blob_sha(commit.sha.encode()),
                "url": f"{call.urls.repo(repo)}/git/trees",
            },
            "url": f"{call.urls.repo(repo)}/git/commits/{commit.sha}",
            "comment_count": 0,
        },
        "url": api,
        "html_url": f"{call.urls.web}/{repo.full_name}/commit/{commit.sha}",
        "comments_url": f"{api}/comments",
        "author": user_json(repo.owner, call.urls),
        "committer": user_json(repo.owner, call.urls),
        "parents": [
            {"sha": p, "url": f"{call.urls.repo(repo)}/commits/{p}"} for p in commit.parents
        ],
        "stats": {"total": 0, "additions": 0, "deletions": 0},
        "files": [],
    }


def get_commit(call: Call) -> Reply:
    repo = call.repo()
    commit = resolve_ref(repo, call.params["ref"])
    if commit is None:
        raise unprocessable(
            call.documentation_url, f"No commit found for SHA: {call.params['ref']}"
        )
    return Reply(status=200, body=_commit_json(call, repo, commit))


def get_pull(call: Call) -> Reply:
    repo = call.repo()
    pull = repo.pulls.get(call.number("pull_number"))
    if pull is None:
        raise not_found(call.documentation_url)
    head = call.state.repos.get(pull.head_repo.lower(), repo)
    return Reply(status=200, body=pull_json(pull, repo, head, call.urls))


def list_pull_files(call: Call) -> Reply:
    repo = call.repo()
    number = call.number("pull_number")
    pull = repo.pulls.get(number)
    if pull is None:
        raise not_found(call.documentation_url)
    files = [
        {
            "sha": git_blob_sha(f.filename.encode()),
            "filename": f.filename,
            "status": f.status,
            "additions": f.additions,
            "deletions": f.deletions,
            "changes": f.additions + f.deletions,
            "blob_url": f"{call.urls.web}/{repo.full_name}/blob/{pull.head_sha}/{f.filename}",
            "raw_url": f"{call.urls.web}/{repo.full_name}/raw/{pull.head_sha}/{f.filename}",
            "contents_url": f"{call.urls.repo(repo)}/contents/{f.filename}?ref={pull.head_sha}",
            "patch": f.patch,
        }
        for f in pull.files
    ]
    return paged_reply(call, files, f"/repositories/{repo.id}/pulls/{number}/files")


def get_collaborator_permission(call: Call) -> Reply:
    repo = call.repo()
    login = call.params["username"]
    user = call.state.users.get(login.lower())
    if user is None:
        raise not_found(call.documentation_url)
    role = (
        "admin"
        if user == repo.owner
        else repo.collaborators.get(login.lower(), "none" if repo.private else "read")
    )
    permission = PERMISSION_OF_ROLE[role]
    body_user = user_json(user, call.urls)
    body_user["permissions"] = {
        "admin": role == "admin",
        "maintain": role in ("admin", "maintain"),
        "push": permission in ("admin", "write"),
        "triage": role != "none" and role != "read",
        "pull": permission != "none",
    }
    body_user["role_name"] = role
    return Reply(status=200, body={"permission": permission, "role_name": role, "user": body_user})


def get_team_membership(call: Call) -> Reply:
    key = (call.params["org"].lower(), call.params["team_slug"].lower())
    members = call.state.teams.get(key)
    login = call.params["username"]
    if members is None or login.lower() not in members:
        raise not_found(call.documentation_url)
    org_id = call.state.user(call.params["org"], kind="Organization").id
    team_id = call.state.team_ids[key]
    url = f"{call.urls.api}/organizations/{org_id}/team/{team_id}/memberships/{login}"
    return Reply(status=200, body={"url": url, "role": members[login.lower()], "state": "active"})


ROUTES: dict[str, Route] = {
    "GET /user": Route(handler=get_user),
    "GET /rate_limit": Route(handler=get_rate_limit),
    "GET /repos/{owner}/{repo}": Route(handler=get_repo, needs=(("metadata", "read"),)),
    "GET /repos/{owner}/{repo}/contents/{path}": Route(
        handler=get_contents, needs=(("contents", "read"),)
    ),
    "GET /repos/{owner}/{repo}/commits/{ref}": Route(
        handler=get_commit, needs=(("contents", "read"),)
    ),
    "GET /repos/{owner}/{repo}/pulls/{pull_number}": Route(
        handler=get_pull, needs=(("pull_requests", "read"),)
    ),
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": Route(
        handler=list_pull_files, needs=(("pull_requests", "read"),)
    ),
    "GET /repos/{owner}/{repo}/collaborators/{username}/permission": Route(
        handler=get_collaborator_permission, needs=(("metadata", "read"),)
    ),
    "GET /orgs/{org}/teams/{team_slug}/memberships/{username}": Route(
        handler=get_team_membership, needs=(("members", "read"),)
    ),
}
