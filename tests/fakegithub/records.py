"""The fake's stored objects: frozen records, replaced (never mutated) when the API changes them.

Tests read them back as snapshots (`repo.comments(2)`), so an assertion never races a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .tokens import Identity


@dataclass(frozen=True, kw_only=True, slots=True)
class CommitRecord:
    sha: str
    files: Mapping[str, bytes]
    parents: tuple[str, ...] = ()
    message: str = "A commit"
    created_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class PullFileRecord:
    filename: str
    status: str = "modified"
    additions: int = 1
    deletions: int = 0
    patch: str = "@@ -1 +1 @@\n-old\n+new"


@dataclass(frozen=True, kw_only=True, slots=True)
class PullRecord:
    number: int
    title: str
    body: str | None
    user: Identity
    head_ref: str
    head_sha: str
    head_repo: str  # "owner/name"; another owner's repository for a pull request from a fork
    base_ref: str
    base_sha: str
    files: tuple[PullFileRecord, ...] = ()
    state: str = "open"
    draft: bool = False
    created_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class CommentRecord:
    id: int
    issue_number: int
    body: str
    author: Identity
    created_at: datetime
    updated_at: datetime
    author_association: str = "NONE"
    last_editor: Identity | None = None  # who last changed it through the API, if anyone


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckRunRecord:
    id: int
    head_sha: str
    name: str
    status: str
    conclusion: str | None
    started_at: datetime
    completed_at: datetime | None
    details_url: str | None = None
    external_id: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: tuple[Mapping[str, Any], ...] = ()
    actions: tuple[Mapping[str, Any], ...] = ()
    creator: Identity


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusRecord:
    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: Identity
    created_at: datetime


@dataclass(kw_only=True, slots=True)
class RepoRecord:
    """One repository's mutable state; only GitHubState changes it, under its lock."""

    id: int
    owner: Identity
    name: str
    default_branch: str
    private: bool = False
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, CommitRecord] = field(default_factory=dict)
    pulls: dict[int, PullRecord] = field(default_factory=dict)
    issue_numbers: set[int] = field(
        default_factory=set
    )  # plain issues (pull requests are issues too)
    comments: dict[int, CommentRecord] = field(default_factory=dict)
    deleted_comments: list[CommentRecord] = field(default_factory=list)
    check_runs: dict[int, CheckRunRecord] = field(default_factory=dict)
    statuses: list[StatusRecord] = field(default_factory=list)
    collaborators: dict[str, str] = field(default_factory=dict)  # login (lower case) -> role

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"
