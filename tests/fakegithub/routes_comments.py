"""Issues and their comments (a pull request's conversation): list, create, read, edit, delete."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .records import CommentRecord, RepoRecord
from .replies import Reply, error, not_found, validation_failed
from .router import Call, Route, paged_reply
from .shapes import comment_json, issue_json
from .tokens import Identity, Level
from .validation import comment_errors

READ: tuple[tuple[str, Level], ...] = (("issues", "read"), ("pull_requests", "read"))
WRITE: tuple[tuple[str, Level], ...] = (("issues", "write"), ("pull_requests", "write"))


def _author(call: Call) -> Identity:
    if call.token is None:  # the dispatcher answers 401 to anonymous writes before routes run
        raise error(401, "Requires authentication", call.documentation_url)
    return call.token.identity


def _association(repo: RepoRecord, author: Identity) -> str:
    if author == repo.owner:
        return "OWNER"
    if author.login.lower() in repo.collaborators:
        return "COLLABORATOR"
    return "NONE"


def _comment(call: Call) -> tuple[RepoRecord, CommentRecord]:
    repo = call.repo()
    comment = repo.comments.get(call.number("comment_id"))
    if comment is None:
        raise not_found(call.documentation_url)
    return repo, comment


def _validated_body(call: Call) -> str:
    body = call.json_object()
    errors = comment_errors(body)
    if errors:
        raise validation_failed(call.documentation_url, errors)
    return str(body["body"])


def get_issue(call: Call) -> Reply:
    repo = call.repo()
    number = call.number("issue_number")
    if number not in repo.pulls and number not in repo.issue_numbers:
        raise not_found(call.documentation_url)
    return Reply(status=200, body=issue_json(number, repo, call.urls))


def list_comments(call: Call) -> Reply:
    repo = call.repo()
    number = call.number("issue_number")
    if number not in repo.pulls and number not in repo.issue_numbers:
        raise not_found(call.documentation_url)
    comments = sorted(
        (c for c in repo.comments.values() if c.issue_number == number), key=lambda c: c.id
    )
    since = call.arg("since")
    if since is not None:
        cutoff = datetime.fromisoformat(since.replace("Z", "+00:00"))
        comments = [c for c in comments if c.updated_at >= cutoff]
    shaped = [comment_json(c, repo, call.urls) for c in comments]
    return paged_reply(call, shaped, f"/repositories/{repo.id}/issues/{number}/comments")


def create_comment(call: Call) -> Reply:
    repo = call.repo()
    number = call.number("issue_number")
    if number not in repo.pulls and number not in repo.issue_numbers:
        raise not_found(call.documentation_url)
    text = _validated_body(call)
    author = _author(call)
    now = call.state.clock()
    comment = CommentRecord(
        id=call.state.next_id("comment"),
        issue_number=number,
        body=text,
        author=author,
        created_at=now,
        updated_at=now,
        author_association=_association(repo, author),
    )
    repo.comments[comment.id] = comment
    shaped = comment_json(comment, repo, call.urls)
    return Reply(status=201, body=shaped, headers={"Location": shaped["url"]})


def get_comment(call: Call) -> Reply:
    repo, comment = _comment(call)
    return Reply(status=200, body=comment_json(comment, repo, call.urls))


def edit_comment(call: Call) -> Reply:
    repo, comment = _comment(call)
    text = _validated_body(call)
    edited = replace(comment, body=text, updated_at=call.state.clock(), last_editor=_author(call))
    repo.comments[comment.id] = edited
    return Reply(status=200, body=comment_json(edited, repo, call.urls))


def delete_comment(call: Call) -> Reply:
    repo, comment = _comment(call)
    del repo.comments[comment.id]
    repo.deleted_comments.append(comment)
    return Reply(status=204)


ROUTES: dict[str, Route] = {
    "GET /repos/{owner}/{repo}/issues/{issue_number}": Route(handler=get_issue, needs=READ),
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments": Route(
        handler=list_comments, needs=READ
    ),
    "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": Route(
        handler=create_comment, needs=WRITE
    ),
    "GET /repos/{owner}/{repo}/issues/comments/{comment_id}": Route(
        handler=get_comment, needs=READ
    ),
    "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}": Route(
        handler=edit_comment, needs=WRITE
    ),
    "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}": Route(
        handler=delete_comment, needs=WRITE
    ),
}
