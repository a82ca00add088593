"""JSON representations of the fake's records, shaped like api.github.com's.

Every `url` points back at the fake (PyGithub follows them: a pull request's `issue_url` is where
its comments live), `html_url`s at the web host. Node ids use GitHub's legacy encoding,
base64("0<len(type)>:<Type><id>"), as in the vendored webhook payloads.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .records import CommentRecord, PullRecord, RepoRecord
from .tokens import Identity

JSON = dict[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class Urls:
    api: str  # e.g. http://127.0.0.1:PORT, or http://127.0.0.1:PORT/api/v3 like GHES
    web: str  # e.g. https://github.com

    def repo(self, repo: RepoRecord) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def repo_by_id(self, repo: RepoRecord) -> str:
        return f"{self.api}/repositories/{repo.id}"


def node_id(type_name: str, number: int) -> str:
    return base64.b64encode(f"0{len(type_name)}:{type_name}{number}".encode()).decode()


def timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def user_json(user: Identity, urls: Urls) -> JSON:
    api_user = f"{urls.api}/users/{user.login}"
    html = (
        f"{urls.web}/apps/{user.login.removesuffix('[bot]')}"
        if user.type == "Bot"
        else f"{urls.web}/{user.login}"
    )
    return {
        "login": user.login,
        "id": user.id,
        "node_id": node_id(user.type if user.type != "Organization" else "Organization", user.id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
        "gravatar_id": "",
        "url": api_user,
        "html_url": html,
        "followers_url": f"{api_user}/followers",
        "following_url": f"{api_user}/following{{/other_user}}",
        "gists_url": f"{api_user}/gists{{/gist_id}}",
        "starred_url": f"{api_user}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api_user}/subscriptions",
        "organizations_url": f"{api_user}/orgs",
        "repos_url": f"{api_user}/repos",
        "events_url": f"{api_user}/events{{/privacy}}",
        "received_events_url": f"{api_user}/received_events",
        "type": user.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def repo_json(repo: RepoRecord, urls: Urls, *, fork: bool = False) -> JSON:
    api = urls.repo(repo)
    return {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": user_json(repo.owner, urls),
        "html_url": f"{urls.web}/{repo.full_name}",
        "description": None,
        "fork": fork,
        "url": api,
        "issues_url": f"{api}/issues{{/number}}",
        "issue_comment_url": f"{api}/issues/comments{{/number}}",
        "pulls_url": f"{api}/pulls{{/number}}",
        "commits_url": f"{api}/commits{{/sha}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "statuses_url": f"{api}/statuses/{{sha}}",
        "collaborators_url": f"{api}/collaborators{{/collaborator}}",
        "clone_url": f"{urls.web}/{repo.full_name}.git",
        "default_branch": repo.default_branch,
        "visibility": "private" if repo.private else "public",
        "archived": False,
        "disabled": False,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "pushed_at": "2024-01-01T00:00:00Z",
    }


def branch_json(
    repo: RepoRecord, fork_of: RepoRecord | None, ref: str, sha: str, urls: Urls
) -> JSON:
    return {
        "label": f"{repo.owner.login}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user_json(repo.owner, urls),
        "repo": repo_json(repo, urls, fork=fork_of is not None),
    }


def pull_json(pull: PullRecord, base: RepoRecord, head: RepoRecord, urls: Urls) -> JSON:
    api = f"{urls.repo(base)}/pulls/{pull.number}"
    html = f"{urls.web}/{base.full_name}/pull/{pull.number}"
    issue = f"{urls.repo(base)}/issues/{pull.number}"
    comments = [c for c in base.comments.values() if c.issue_number == pull.number]
    return {
        "url": api,
        "id": 100_000_000 + pull.number,
        "node_id": node_id("PullRequest", 100_000_000 + pull.number),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{urls.repo(base)}/pulls/comments{{/number}}",
        "comments_url": f"{issue}/comments",
        "statuses_url": f"{urls.repo(base)}/statuses/{pull.head_sha}",
        "number": pull.number,
        "state": pull.state,
        "locked": False,
        "title": pull.title,
        "user": user_json(pull.user, urls),
        "body": pull.body,
        "labels": [],
        "created_at": timestamp(pull.created_at),
        "updated_at": timestamp(pull.created_at),
        "closed_at": None,
        "merged_at": None,
        "merge_commit_sha": None,
        "draft": pull.draft,
        "head": branch_json(
            head, base if head is not base else None, pull.head_ref, pull.head_sha, urls
        ),
        "base": branch_json(base, None, pull.base_ref, pull.base_sha, urls),
        "author_association": "CONTRIBUTOR",
        "merged": False,
        "mergeable": None,
        "comments": len(comments),
        "commits": 1,
        "additions": sum(f.additions for f in pull.files),
        "deletions": sum(f.deletions for f in pull.files),
        "changed_files": len(pull.files),
    }


def issue_json(number: int, repo: RepoRecord, urls: Urls) -> JSON:
    """An issue; a pull request is also an issue, with a `pull_request` member."""
    api = f"{urls.repo(repo)}/issues/{number}"
    pull = repo.pulls.get(number)
    html = f"{urls.web}/{repo.full_name}/{'pull' if pull else 'issues'}/{number}"
    issue_id = 200_000_000 + number
    body: JSON = {
        "url": api,
        "repository_url": urls.repo(repo),
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": html,
        "id": issue_id,
        "node_id": node_id("Issue" if pull is None else "PullRequest", issue_id),
        "number": number,
        "title": pull.title if pull else f"Issue {number}",
        "user": user_json(pull.user if pull else repo.owner, urls),
        "labels": [],
        "state": pull.state if pull else "open",
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": sum(1 for c in repo.comments.values() if c.issue_number == number),
        "created_at": timestamp(pull.created_at) if pull else "2024-01-01T00:00:00Z",
        "updated_at": timestamp(pull.created_at) if pull else "2024-01-01T00:00:00Z",
        "closed_at": None,
        "author_association": "CONTRIBUTOR",
        "body": pull.body if pull else None,
    }
    if pull is not None:
        body["pull_request"] = {
            "url": f"{urls.repo(repo)}/pulls/{number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": None,
        }
    return body


def comment_json(comment: CommentRecord, repo: RepoRecord, urls: Urls) -> JSON:
    kind = "pull" if comment.issue_number in repo.pulls else "issues"
    api = f"{urls.repo(repo)}/issues/comments/{comment.id}"
    page = f"{urls.web}/{repo.full_name}/{kind}/{comment.issue_number}"
    return {
        "url": api,
        "html_url": f"{page}#issuecomment-{comment.id}",
        "issue_url": f"{urls.repo(repo)}/issues/{comment.issue_number}",
        "id": comment.id,
        "node_id": node_id("IssueComment", comment.id),
        "user": user_json(comment.author, urls),
        "created_at": timestamp(comment.created_at),
        "updated_at": timestamp(comment.updated_at),
        "author_association": comment.author_association,
        "body": comment.body,
        "reactions": {
            "url": f"{api}/reactions",
            "total_count": 0,
            "+1": 0,
            "-1": 0,
            "laugh": 0,
            "hooray": 0,
            "confused": 0,
            "heart": 0,
            "rocket": 0,
            "eyes": 0,
        },
        "performed_via_github_app": None,
    }
