"""The values the GitHub layer hands out and takes in, and GitHub's size limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

COMMENT_BODY_LIMIT = 65_536  # characters in an issue or pull request comment
CHECK_OUTPUT_LIMIT = 65_535  # characters in a check run's output title, summary and text
STATUS_DESCRIPTION_LIMIT = 140  # characters in a commit status's description
ANNOTATIONS_PER_REQUEST = 50
ANNOTATION_TITLE_LIMIT = 255  # characters
ANNOTATION_MESSAGE_LIMIT = 64 * 1024  # bytes

CHECK_CONCLUSIONS = (
    "success",
    "failure",
    "neutral",
    "action_required",
    "cancelled",
    "skipped",
    "timed_out",
)
STATUS_STATES = ("error", "failure", "pending", "success")


@dataclass(frozen=True, kw_only=True, slots=True)
class CommentRef:
    """A pull request comment as GitHub holds it."""

    id: int
    url: str  # the comment on the pull request's page (html_url)
    body: str
    author: str  # login


@dataclass(frozen=True, kw_only=True, slots=True)
class Annotation:
    """A note on one line of a file, shown in the check run and the pull request's diff."""

    path: str  # relative to the repository root
    line: int  # 1-based
    level: Literal["failure", "warning", "notice"]
    title: str
    message: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Published:
    """Where the gate's verdict on a commit was published."""

    kind: Literal["check-run", "commit-status"]
    url: str | None  # the check run's page; None for a commit status, which has no page of its own


def measure(text: str) -> int:
    """Length in UTF-16 code units: never less than the characters GitHub counts."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int, note: str) -> str:
    """`text` if it fits `limit`, else its head (whole lines where possible) and then `note`."""
    if measure(text) <= limit:
        return text
    budget = max(limit - measure(note), 0)
    # Slicing the UTF-16 form may split a surrogate pair; "ignore" drops the half.
    head = text.encode("utf-16-le")[: budget * 2].decode("utf-16-le", errors="ignore")
    line_end = head.rfind("\n")
    if line_end >= len(head) // 2:
        head = head[: line_end + 1]
    return head + note
