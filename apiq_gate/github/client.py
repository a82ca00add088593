"""PyGithub configured for the gate, and the one retry loop every request goes through.

PyGithub is set up to do nothing behind our back: its urllib3 retries are off (`retry=None`), it
never sleeps between requests, pages hold 100 items, and every object is lazy, so building a
repository, issue or commit handle costs no request. Each request is counted where PyGithub signs
it with the token, so `requests_made` includes every page and every completion.

`Api.call` retries 5xx, dropped connections, 429 and secondary rate limits with bounded backoff,
honouring `Retry-After`, and waits for a primary rate limit only when it resets within a minute.
A write that may have taken effect before it failed (a 502 after the commit, a timeout) is not
simply repeated: the caller's `recover` looks for its effect first. The run as a whole sleeps at
most `SLEEP_BUDGET` seconds, and once GitHub has failed a whole call, later calls try once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from github import Auth, Github, GithubException
from github.Repository import Repository
from requests import RequestException

from apiq_gate.github.errors import (
    Failure,
    GitHubError,
    classify_connection,
    classify_github,
    describe,
)

T = TypeVar("T")

BACKOFF_FIRST = 1.0  # seconds before the first retry of a 5xx; doubled each time
SECONDARY_DEFAULT_WAIT = 60.0  # GitHub: "wait for at least one minute" when it names no time
MAX_WAIT = 60.0  # the longest single wait; GitHub asking for more ends the call
SLEEP_BUDGET = 120.0  # the longest total wait of one run
PER_PAGE = 100  # GitHub's maximum


class _CountingToken(Auth.Token):
    """The token, counting each request PyGithub signs with it (pages and lazy completions too)."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.requests = 0

    def authentication(self, headers: dict[str, Any]) -> None:
        self.requests += 1
        super().authentication(headers)


def _checked_api_url(api_url: str) -> str:
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GitHubError(f"GITHUB_API_URL {api_url!r} is not an http(s) URL such as https://api.github.com")
    return api_url.rstrip("/")


def _checked_repository(repository: str) -> str:
    owner, _, name = repository.partition("/")
    if not owner or not name or "/" in name:
        raise GitHubError(f"GITHUB_REPOSITORY {repository!r} is not of the form owner/name")
    return repository


class Api:
    def __init__(
        self,
        *,
        token: str,
        api_url: str,
        repository: str,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        max_attempts: int,
        timeout: int,
    ) -> None:
        if not token:
            raise GitHubError("No GitHub token: set the `github-token` input (it defaults to the workflow token).")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.repository = _checked_repository(repository)
        self._token = _CountingToken(token)
        self.github = Github(
            base_url=_checked_api_url(api_url),
            auth=self._token,
            per_page=PER_PAGE,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            timeout=timeout,
            lazy=True,
        )
        self.repo: Repository = self.github.get_repo(self.repository)  # lazy: no request
        self._sleep, self._clock, self._max_attempts = sleep, clock, max_attempts
        self._slept = 0.0
        self._outage = False  # GitHub failed a whole call: try later calls once each

    @property
    def requests_made(self) -> int:
        return self._token.requests

    def call(
        self,
        what: str,
        run: Callable[[], T],
        *,
        permission: str | None = None,
        recover: Callable[[], T | None] | None = None,
    ) -> T:
        """`run()` with retries; `what` completes "Could not ..." in the error message.

        `recover`, for a write that is not safe to repeat, returns the write's result if an
        earlier attempt did take effect, or None; it runs before each repetition that follows
        a failure after which the write may have happened.
        """
        attempts = 1 if self._outage else self._max_attempts
        unsure = False
        for attempt in range(1, attempts + 1):
            try:
                if unsure and recover is not None:
                    found = recover()
                    if found is not None:
                        return self._succeeded(found)
                    unsure = False
                return self._succeeded(run())
            except GithubException as error:
                failure = classify_github(error)
            except RequestException as error:
                failure = classify_connection(error)
            unsure = unsure or failure.may_have_applied
            wait, reason = self._wait_before_retry(failure, attempt)
            if wait is None or attempt == attempts:
                if failure.kind == "transient":
                    self._outage = True
                raise describe(
                    what,
                    failure,
                    permission=permission,
                    attempts=attempt,
                    now=self._clock(),
                    gave_up=reason,
                ) from None
            self._slept += wait
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _succeeded(self, result: T) -> T:
        self._outage = False
        return result

    def _wait_before_retry(self, failure: Failure, attempt: int) -> tuple[float | None, str]:
        """Seconds to wait before the next attempt, or None and why not."""
        if failure.kind == "fatal":
            return None, ""
        if failure.kind == "quota":
            if failure.reset_at is None:
                return None, ""
            wait = max(failure.reset_at - self._clock(), 0.0) + 1.0  # the reset second itself
        elif failure.retry_after is not None:
            wait = failure.retry_after
        elif failure.kind == "secondary":
            wait = SECONDARY_DEFAULT_WAIT
        else:
            wait = BACKOFF_FIRST * 2 ** (attempt - 1)
        if wait > MAX_WAIT:
            return None, f"that is longer than apiq-gate waits ({MAX_WAIT:g} s)"
        if self._slept + wait > SLEEP_BUDGET:
            return None, f"apiq-gate already waited {self._slept:g} s for GitHub in this run"
        return wait, ""
