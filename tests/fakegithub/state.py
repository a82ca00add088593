"""The fake's whole world: repositories, users, teams and tokens, behind one lock.

Timestamps come from a ticking clock (one second per object created or changed, from a fixed
instant), so the same test produces the same `created_at` values every time and no two objects
share one. IDs grow like GitHub's: large, increasing, never reused.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count

from .records import CommitRecord, RepoRecord
from .replies import not_found
from .tokens import GITHUB_ACTIONS_BOT, Identity, TokenSpec

EPOCH = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


class TickingClock:
    """Each call returns the next second after `start`: deterministic and strictly increasing."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self._ticks = count()
        self._start = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=next(self._ticks))


def git_blob_sha(data: bytes) -> str:
    """The SHA GitHub shows for a file's content: git's blob hash."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class GitHubState:
    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or TickingClock()
        self.repos: dict[str, RepoRecord] = {}  # "owner/name" in lower case
        self.users: dict[str, Identity] = {GITHUB_ACTIONS_BOT.login: GITHUB_ACTIONS_BOT}
        self.tokens: dict[str, TokenSpec] = {}
        self.teams: dict[tuple[str, str], dict[str, str]] = {}  # (org, slug) -> login -> role
        self.team_ids: dict[tuple[str, str], int] = {}
        self._ids = {
            "user": count(583231),
            "repo": count(1296269),
            "comment": count(1_900_000_001),
            "check_run": count(21_000_000_001),
            "status": count(30_000_000_001),
            "team": count(2_000_001),
            "commit": count(1),
        }

    def next_id(self, kind: str) -> int:
        with self.lock:
            return next(self._ids[kind])

    def user(self, login: str, *, kind: str = "User") -> Identity:
        """The account with this login, created on first mention."""
        with self.lock:
            key = login.lower()
            if key not in self.users:
                account_type = "Bot" if login.endswith("[bot]") else kind
                self.users[key] = Identity(login=login, id=self.next_id("user"), type=account_type)  # type: ignore[arg-type]
            return self.users[key]

    def repo(self, owner: str, name: str) -> RepoRecord:
        record = self.repos.get(f"{owner}/{name}".lower())
        if record is None:
            raise not_found("https://docs.github.com/rest/repos/repos#get-a-repository")
        return record

    def repo_by_id(self, repo_id: int) -> RepoRecord | None:
        return next((r for r in self.repos.values() if r.id == repo_id), None)

    def new_commit_sha(self, files: dict[str, bytes], parents: tuple[str, ...]) -> str:
        digest = hashlib.sha1(f"{next(self._ids['commit'])}".encode())
        for path in sorted(files):
            digest.update(path.encode() + b"\0" + files[path])
        for parent in parents:
            digest.update(parent.encode())
        return digest.hexdigest()

    def add_commit(
        self,
        repo: RepoRecord,
        files: dict[str, bytes],
        *,
        sha: str | None,
        parents: tuple[str, ...],
        message: str,
    ) -> CommitRecord:
        with self.lock:
            commit = CommitRecord(
                sha=sha or self.new_commit_sha(files, parents),
                files=dict(files),
                parents=parents,
                message=message,
                created_at=self.clock(),
            )
            repo.commits[commit.sha] = commit
            return commit


def resolve_ref(repo: RepoRecord, ref: str | None) -> CommitRecord | None:
    """A branch (`main`, `heads/main`, `refs/heads/main`), a full SHA or an unambiguous prefix."""
    if ref is None:
        ref = repo.default_branch
    for prefix in ("refs/heads/", "heads/"):
        ref = ref.removeprefix(prefix)
    if ref in repo.branches:
        return repo.commits.get(repo.branches[ref])
    if ref in repo.commits:
        return repo.commits[ref]
    if len(ref) >= 7:
        matches = [c for sha, c in repo.commits.items() if sha.startswith(ref.lower())]
        if len(matches) == 1:
            return matches[0]
    return None
