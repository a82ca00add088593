"""All of apiq-gate's GitHub traffic, in the gate's own words; the only importer of PyGithub.

    gh = GitHub(token=..., api_url=os.environ["GITHUB_API_URL"], repository="owner/name")
    text = gh.read_file("apiq-gate.yml", base_sha)            # None: no config on that ref
    gh.upsert_comment(pr, body, marker, may_replace=...)       # the one sticky comment
    gh.publish_check(name=..., head_sha=..., conclusion=...)   # or gh.publish_status(...)

Every method raises `GitHubError` (never a PyGithub or requests exception) after bounded retries
(see client.py). A second run on a pull request with up to 100 comments costs six requests:
the config at the base and at the head, GET /user, one page of comments (shared by
`find_comment` and the `upsert_comment` after it), the comment update and the check run; five
when `login` is given, as the Action does for the workflow token (GET /user would answer 403).
How the sticky comment survives racing runs (deleting nothing but the duplicate a run itself
just created) is told in comments.py.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Sequence

from github import GithubException
from github.ContentFile import ContentFile

from apiq_gate.github.checks import Checks
from apiq_gate.github.client import Api
from apiq_gate.github.comments import Comments
from apiq_gate.github.errors import GitHubError
from apiq_gate.github.values import Annotation, CommentRef, Published

__all__ = ["GITHUB_ACTIONS_BOT", "Annotation", "CommentRef", "GitHub", "GitHubError", "Published"]

GITHUB_ACTIONS_BOT = "github-actions[bot]"  # who writes with the workflow token


class GitHub:
    """One repository on GitHub (or GitHub Enterprise Server), as the gate uses it."""

    def __init__(
        self,
        *,
        token: str,
        api_url: str,
        repository: str,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 4,
        clock: Callable[[], float] = time.time,
        timeout: int = 15,
        login: str | None = None,
    ) -> None:
        """`login`: who the token writes as, when GET /user cannot tell: a GitHub App's
        installation token writes as "<app-slug>[bot]", not as github-actions[bot]."""
        self._api = Api(
            token=token,
            api_url=api_url,
            repository=repository,
            sleep=sleep,
            clock=clock,
            max_attempts=max_attempts,
            timeout=timeout,
        )
        self._login = login
        self._comments = Comments(self._api, self.bot_login, clock)
        self._checks = Checks(self._api)

    def close(self) -> None:
        """Close the pooled connections."""
        self._api.github.close()

    @property
    def requests_made(self) -> int:
        """REST requests sent so far, retries and pages included."""
        return self._api.requests_made

    @property
    def learned_login(self) -> str | None:
        """The author GitHub gave a comment this run created, when it is not `bot_login()` (a
        GitHub App's token writes as `<slug>[bot]`); later listings of this run use it. None
        otherwise."""
        return self._comments.learned

    def bot_login(self) -> str:
        """The login the token writes as: GET /user; github-actions[bot] when that is forbidden."""
        if self._login is None:
            self._login = self._api.call("find out who the token acts as (GET /user)", self._user_login)
        return self._login

    def _user_login(self) -> str:
        try:
            return str(self._api.github.get_user().login)
        except GithubException as error:
            # An installation token (the workflow token) has no user: GitHub answers 403. A rate
            # limit's 403 carries Retry-After or a used-up quota, and goes to the retry loop.
            headers = error.headers or {}
            limited = "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0"
            if error.status == 403 and not limited:
                return GITHUB_ACTIONS_BOT
            raise

    def read_file(self, path: str, ref: str) -> str | None:
        """The file's text at `ref` (a branch or SHA); None when it does not exist there."""
        where = f"{path} at {ref}"
        try:
            found = self._api.call(
                f"read {where}",
                lambda: self._api.repo.get_contents(path.strip("/"), ref=ref),
                permission="contents: read",
            )
        except GitHubError as error:
            if error.status == 404 and "no commit found" not in str(error).lower():
                return None
            raise
        if isinstance(found, list):
            raise GitHubError(f"Could not read {where}: it is a directory, not a file.")
        return _decoded(found, where)

    def find_comment(self, pr: int, marker: str, *, legacy_markers: Sequence[str] = ()) -> CommentRef | None:
        """Our comment on the pull request (marker and author), the oldest if several. An
        `upsert_comment` within 30 seconds reuses this listing instead of listing again.
        `legacy_markers`: markers earlier versions wrote, recognised as ours too."""
        return self._comments.find(pr, (marker, *legacy_markers))

    def upsert_comment(
        self,
        pr: int,
        body: str,
        marker: str,
        *,
        may_replace: Callable[[str], bool],
        legacy_markers: Sequence[str] = (),
    ) -> CommentRef | None:
        """Update our comment in place, or create it; None when `may_replace(existing body)` says
        the comment holds a newer run's report (then nothing is written). A comment found by a
        legacy marker is updated like any other of ours, and so gets `body`'s current marker."""
        return self._comments.upsert(pr, body, (marker, *legacy_markers), may_replace)

    def publish_check(
        self,
        *,
        name: str,
        head_sha: str,
        conclusion: str,
        title: str,
        summary: str,
        text: str,
        annotations: Sequence[Annotation],
        details_url: str | None,
    ) -> Published:
        """A completed check run; GitHubError with status 403 when the token cannot write checks."""
        return self._checks.publish_check(
            name=name,
            head_sha=head_sha,
            conclusion=conclusion,
            title=title,
            summary=summary,
            text=text,
            annotations=annotations,
            details_url=details_url,
        )

    def publish_status(
        self, *, sha: str, context: str, state: str, description: str, target_url: str | None
    ) -> Published:
        """A commit status (`state`: error, failure, pending or success)."""
        return self._checks.publish_status(
            sha=sha, context=context, state=state, description=description, target_url=target_url
        )


def _decoded(found: ContentFile, where: str) -> str:
    if found.type != "file":
        raise GitHubError(f"Could not read {where}: it is a {found.type}, not a file.")
    if found.encoding != "base64":
        size = f"{found.size / 1_048_576:.1f} MB" if found.size else "too large"
        raise GitHubError(
            f"Could not read {where}: it is {size}, and GitHub's contents API returns files up to 1 MB only."
        )
    try:
        return base64.b64decode(found.content).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise GitHubError(f"Could not read {where}: it is not UTF-8 text.") from None
