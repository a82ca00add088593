"""Who a token acts as and what it may do, as GitHub decides it.

Three kinds matter to the gate:
- the workflow token (`GITHUB_TOKEN`): an installation token of the GitHub Actions app; `GET /user`
  answers 403 and whatever it writes is authored by `github-actions[bot]`;
- the same token on a pull request from a fork: every permission read-only;
- a personal access token: acts as a user, reads `/user`, but cannot create check runs (the Checks
  API accepts writes from GitHub Apps only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

Level = Literal["read", "write"]
TokenKind = Literal["installation", "personal"]

# Repository (and one organization) permissions of GitHub Apps that the served operations need.
SCOPES = ("metadata", "contents", "pull_requests", "issues", "checks", "statuses", "members")

# The permissions the README tells users to grant the gate's job; `metadata: read` is implicit.
WORKFLOW_DEFAULTS: Mapping[str, Level] = MappingProxyType(
    {
        "metadata": "read",
        "contents": "read",
        "pull_requests": "write",
        "checks": "write",
        "statuses": "write",
    }
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Identity:
    """A GitHub account as the API shows it in `user` fields."""

    login: str
    id: int
    type: Literal["User", "Bot", "Organization"] = "User"


GITHUB_ACTIONS_BOT = Identity(login="github-actions[bot]", id=41898282, type="Bot")
GITHUB_ACTIONS_APP_ID = 15368


def _frozen(levels: Mapping[str, Level]) -> Mapping[str, Level]:
    unknown = sorted(set(levels) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown permission scopes {unknown}; known: {SCOPES}")
    return MappingProxyType(dict(levels))


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenSpec:
    """What the fake knows about one token value."""

    identity: Identity
    kind: TokenKind
    permissions: Mapping[str, Level] = field(default_factory=dict)
    rate_limit: int = 5000
    # How GitHub names the owner of the quota in "API rate limit exceeded for ...".
    rate_limit_subject: str = "installation ID 1"

    @classmethod
    def workflow(cls, **levels: Level | None) -> TokenSpec:
        """The workflow token with the README's permissions; `checks=None` takes one away."""
        merged: dict[str, Level] = dict(WORKFLOW_DEFAULTS)
        for scope, level in levels.items():
            if level is None:
                merged.pop(scope, None)
            else:
                merged[scope] = level
        # GitHub gives the workflow token 1,000 requests per hour per repository.
        return cls(
            identity=GITHUB_ACTIONS_BOT,
            kind="installation",
            permissions=_frozen(merged),
            rate_limit=1000,
        )

    @classmethod
    def fork_pull_request(cls) -> TokenSpec:
        """The workflow token on a pull request from a fork: read-only everywhere."""
        read_only: dict[str, Level] = dict.fromkeys(WORKFLOW_DEFAULTS, "read")
        return cls(
            identity=GITHUB_ACTIONS_BOT,
            kind="installation",
            permissions=_frozen(read_only),
            rate_limit=1000,
        )

    @classmethod
    def personal(cls, identity: Identity) -> TokenSpec:
        """A classic personal access token with the `repo` and `read:org` scopes."""
        everything: dict[str, Level] = dict.fromkeys(SCOPES, "write")
        everything["members"] = "read"
        return cls(
            identity=identity,
            kind="personal",
            permissions=_frozen(everything),
            rate_limit_subject=f"user ID {identity.id}",
        )

    @property
    def reads_user(self) -> bool:
        # Installation tokens have no user behind them: GitHub answers GET /user with 403.
        return self.kind == "personal"

    def allows(self, scope: str, level: Level) -> bool:
        granted = self.permissions.get(scope)
        return granted == "write" or granted == level

    def with_permissions(self, **levels: Level | None) -> TokenSpec:
        merged: dict[str, Level] = dict(self.permissions)
        for scope, level in levels.items():
            if level is None:
                merged.pop(scope, None)
            else:
                merged[scope] = level
        return replace(self, permissions=_frozen(merged))
