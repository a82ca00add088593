"""What a route receives and declares: the call, and the permissions GitHub would require."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .pagination import paginate
from .ratelimit import Quota
from .records import RepoRecord
from .replies import Reply, error, not_found
from .shapes import Urls
from .state import GitHubState
from .tokens import Level, TokenSpec


@dataclass(frozen=True, kw_only=True, slots=True)
class Call:
    """One request as a route sees it: path parameters decoded, JSON body parsed."""

    state: GitHubState
    urls: Urls
    params: Mapping[str, str]
    query: Sequence[tuple[str, str]]
    body: Any
    token: TokenSpec | None
    quota: Quota
    documentation_url: str

    def arg(self, name: str) -> str | None:
        return next((value for key, value in self.query if key == name), None)

    def repo(self) -> RepoRecord:
        record = self.state.repos.get(f"{self.params['owner']}/{self.params['repo']}".lower())
        if record is None:
            raise not_found(self.documentation_url)
        return record

    def number(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise not_found(self.documentation_url) from None

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; GitHub answers 400 for anything else."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise error(400, "Problems parsing JSON", self.documentation_url)
        return self.body


Handler = Callable[[Call], Reply]


@dataclass(frozen=True, kw_only=True, slots=True)
class Route:
    handler: Handler
    # Any one of these (scope, level) pairs suffices; empty means no permission is checked.
    needs: tuple[tuple[str, Level], ...] = ()
    # Some writes (check runs) are refused to personal access tokens whatever their scopes.
    apps_only: bool = False


def paged_reply(call: Call, items: Sequence[Any], link_path: str) -> Reply:
    """A 200 with one page of `items` and GitHub's Link header, linking by repository id."""
    page = paginate(items, call.query, f"{call.urls.api}{link_path}")
    return Reply(status=200, body=page.items, headers={"Link": page.link} if page.link else {})


def needs_text(needs: tuple[tuple[str, Level], ...]) -> str:
    """The X-Accepted-GitHub-Permissions value GitHub sends with a 403."""
    return "; ".join(f"{scope}={level}" for scope, level in needs)
