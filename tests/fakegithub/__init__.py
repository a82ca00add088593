"""A fake GitHub REST API over real HTTP, with GitHub's OpenAPI description as its contract."""

from .contract import check_request
from .dispatch import LoggedRequest
from .records import CheckRunRecord, CommentRecord, PullFileRecord, StatusRecord
from .replies import Reply
from .seeding import RepoHandle
from .server import FakeGitHub
from .tokens import GITHUB_ACTIONS_BOT, Identity, TokenSpec

__all__ = [
    "GITHUB_ACTIONS_BOT",
    "CheckRunRecord",
    "CommentRecord",
    "FakeGitHub",
    "Identity",
    "LoggedRequest",
    "PullFileRecord",
    "Reply",
    "RepoHandle",
    "StatusRecord",
    "TokenSpec",
    "check_request",
]
