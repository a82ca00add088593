"""Setting up the fake's world from a test, and reading it back.

`RepoHandle` is what a test holds for one repository: it adds commits (whole file trees),
branches, pull requests, issues, earlier comments and collaborators, and returns snapshots of
comments, check runs and statuses for assertions. `seed_pull_request_event` builds the repository
and pull request a vendored `pull_request` payload describes, so an event fixture and the fake
agree on SHAs, branches and numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .records import (
    CheckRunRecord,
    CommentRecord,
    PullFileRecord,
    PullRecord,
    RepoRecord,
    StatusRecord,
)
from .state import GitHubState

Files = Mapping[str, str | bytes]


def _as_bytes(files: Files) -> dict[str, bytes]:
    return {
        path.strip("/"): data.encode() if isinstance(data, str) else data
        for path, data in files.items()
    }


def changed_files(base: Files, head: Files) -> tuple[PullFileRecord, ...]:
    before, after = _as_bytes(base), _as_bytes(head)
    changes = []
    for path in sorted(set(before) | set(after)):
        if path not in before:
            changes.append(PullFileRecord(filename=path, status="added", deletions=0))
        elif path not in after:
            changes.append(
                PullFileRecord(filename=path, status="removed", additions=0, deletions=1)
            )
        elif before[path] != after[path]:
            changes.append(PullFileRecord(filename=path))
    return tuple(changes)


@dataclass(frozen=True, slots=True)
class RepoHandle:
    state: GitHubState
    record: RepoRecord

    @property
    def full_name(self) -> str:
        return self.record.full_name

    @property
    def id(self) -> int:
        return self.record.id

    # -- setting up ---------------------------------------------------------------------------

    def commit(
        self,
        files: Files,
        *,
        branch: str | None = None,
        sha: str | None = None,
        parents: Sequence[str] = (),
        message: str = "A commit",
    ) -> str:
        """Add a commit holding exactly `files`; move `branch` to it if given. Returns its SHA."""
        commit = self.state.add_commit(
            self.record, _as_bytes(files), sha=sha, parents=tuple(parents), message=message
        )
        if branch is not None:
            self.branch(branch, commit.sha)
        return commit.sha

    def branch(self, name: str, sha: str) -> None:
        with self.state.lock:
            if sha not in self.record.commits:
                raise ValueError(f"{self.full_name} has no commit {sha}")
            self.record.branches[name.removeprefix("refs/heads/")] = sha

    def pull_request(
        self,
        number: int,
        *,
        head_sha: str,
        base_sha: str,
        head_ref: str = "feature",
        base_ref: str | None = None,
        head_repo: str | None = None,
        author: str = "octocat",
        title: str = "A change",
        body: str | None = None,
        files: Sequence[str | PullFileRecord] = (),
    ) -> None:
        """A pull request; `head_repo="someone/fork"` makes it come from a fork."""
        with self.state.lock:
            for sha in (head_sha, base_sha):
                if sha not in self.record.commits:
                    raise ValueError(f"commit {sha} must be added to {self.full_name} first")
            if head_repo is not None and head_repo.lower() not in self.state.repos:
                owner, name = head_repo.split("/", 1)
                fork = RepoRecord(
                    id=self.state.next_id("repo"),
                    owner=self.state.user(owner),
                    name=name,
                    default_branch=self.record.default_branch,
                )
                fork.commits[head_sha] = self.record.commits[head_sha]
                fork.branches[head_ref] = head_sha
                self.state.repos[head_repo.lower()] = fork
            self.record.pulls[number] = PullRecord(
                number=number,
                title=title,
                body=body,
                user=self.state.user(author),
                head_ref=head_ref,
                head_sha=head_sha,
                head_repo=head_repo or self.full_name,
                base_ref=base_ref or self.record.default_branch,
                base_sha=base_sha,
                files=tuple(
                    f if isinstance(f, PullFileRecord) else PullFileRecord(filename=f)
                    for f in files
                ),
                created_at=self.state.clock(),
            )

    def issue(self, number: int) -> None:
        with self.state.lock:
            self.record.issue_numbers.add(number)

    def comment(self, issue_number: int, body: str, *, author: str = "octocat") -> CommentRecord:
        """An earlier comment, as if someone had written it before the test."""
        with self.state.lock:
            now = self.state.clock()
            comment = CommentRecord(
                id=self.state.next_id("comment"),
                issue_number=issue_number,
                body=body,
                author=self.state.user(author),
                created_at=now,
                updated_at=now,
            )
            self.record.comments[comment.id] = comment
            return comment

    def grant(self, login: str, role: str) -> None:
        """Make `login` a collaborator: admin, maintain, write, triage or read."""
        with self.state.lock:
            self.state.user(login)
            self.record.collaborators[login.lower()] = role

    # -- reading back -------------------------------------------------------------------------

    def comments(self, issue_number: int) -> tuple[CommentRecord, ...]:
        with self.state.lock:
            return tuple(
                sorted(
                    (c for c in self.record.comments.values() if c.issue_number == issue_number),
                    key=lambda c: c.id,
                )
            )

    def deleted_comments(self) -> tuple[CommentRecord, ...]:
        with self.state.lock:
            return tuple(self.record.deleted_comments)

    def check_runs(self, sha: str | None = None) -> tuple[CheckRunRecord, ...]:
        with self.state.lock:
            return tuple(
                r
                for r in sorted(self.record.check_runs.values(), key=lambda r: r.id)
                if sha is None or r.head_sha == sha
            )

    def statuses(self, sha: str | None = None) -> tuple[StatusRecord, ...]:
        with self.state.lock:
            return tuple(s for s in self.record.statuses if sha is None or s.sha == sha)

    def pull(self, number: int) -> PullRecord:
        with self.state.lock:
            return self.record.pulls[number]


def add_repo(
    state: GitHubState,
    full_name: str,
    *,
    default_branch: str = "main",
    private: bool = False,
    repo_id: int | None = None,
) -> RepoHandle:
    owner, name = full_name.split("/", 1)
    with state.lock:
        if full_name.lower() in state.repos:
            raise ValueError(f"{full_name} exists already")
        record = RepoRecord(
            id=repo_id or state.next_id("repo"),
            owner=state.user(owner),
            name=name,
            default_branch=default_branch,
            private=private,
        )
        state.repos[full_name.lower()] = record
        return RepoHandle(state, record)


def add_repo_from_payload(state: GitHubState, payload: Mapping[str, Any]) -> RepoHandle:
    """The repository an event payload names, with its id, default branch and visibility."""
    repository = payload["repository"]
    return add_repo(
        state,
        repository["full_name"],
        default_branch=repository["default_branch"],
        private=bool(repository.get("private")),
        repo_id=repository["id"],
    )


def seed_pull_request_event(
    state: GitHubState,
    payload: Mapping[str, Any],
    *,
    base_files: Files,
    head_files: Files | None = None,
) -> RepoHandle:
    """The repository, both commits and the pull request of a `pull_request` payload."""
    repo = add_repo_from_payload(state, payload)
    pull = payload["pull_request"]
    head, base = pull["head"], pull["base"]
    head_files = base_files if head_files is None else head_files
    repo.commit(base_files, sha=base["sha"], branch=base["ref"], message="Base")
    head_repo = (head.get("repo") or {}).get("full_name") or repo.full_name
    same_repo = head_repo.lower() == repo.full_name.lower()
    repo.commit(
        head_files,
        sha=head["sha"],
        parents=[base["sha"]],
        message="Head",
        branch=head["ref"] if same_repo else None,
    )
    repo.pull_request(
        payload["number"] if "number" in payload else pull["number"],
        head_sha=head["sha"],
        base_sha=base["sha"],
        head_ref=head["ref"],
        base_ref=base["ref"],
        head_repo=None if same_repo else head_repo,
        author=pull["user"]["login"],
        title=pull["title"],
        body=pull.get("body"),
        files=changed_files(base_files, head_files),
    )
    return repo
