"""What went wrong talking to GitHub: a failure sorted for the retry loop, and the error users read.

`classify` turns whatever PyGithub or requests raised into a `Failure`: may it be retried, how
long GitHub asked us to wait, and whether a write may have taken effect anyway. `GitHubError` is
the one exception the rest of apiq-gate sees; its message says what failed, the HTTP status and
GitHub's own words, and the fix (which permission, when the quota resets). Whether the pull
request comes from a fork is the Action's to know: it adds `FORK_ADVICE` to a 403 there only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from github import GithubException
from requests import RequestException
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import Timeout

from apiq_gate.errors import GateError

FORK_SETUP_DOCS = "https://github.com/apiq/apiq-gate/blob/main/docs/action.md#forks"
GITHUB_STATUS_PAGE = "https://www.githubstatus.com"
FORK_ADVICE = (
    "On a pull request from a fork GitHub makes the workflow token read-only whatever the workflow "
    f"asks for; use the two-workflow setup (pull_request + workflow_run): {FORK_SETUP_DOCS}"
)

# transient: 5xx or no answer; secondary: GitHub's abuse limit (403/429, Retry-After);
# quota: the primary rate limit is used up until X-RateLimit-Reset; fatal: retrying cannot help.
FailureKind = Literal["transient", "secondary", "quota", "fatal"]


class GitHubError(GateError):
    """GitHub refused or failed a request, after bounded retries; the message says how to fix it."""

    def __init__(self, message: str, *, status: int | None = None, permission: str | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status of the last answer; None when GitHub never answered
        self.permission = permission  # the workflow permission that would have allowed it, if any


@dataclass(frozen=True, kw_only=True, slots=True)
class Failure:
    kind: FailureKind
    status: int | None
    message: str  # GitHub's own message, or the connection error
    retry_after: float | None = None  # seconds, when GitHub said (Retry-After)
    reset_at: float | None = None  # epoch seconds when the primary quota comes back
    may_have_applied: bool = False  # a write may have taken effect before the failure
    validation: tuple[str, ...] = ()  # a 422's `errors`, one line each


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None  # Retry-After may also be an HTTP date; GitHub sends seconds


def _validation_lines(data: Any) -> tuple[str, ...]:
    errors = data.get("errors") if isinstance(data, dict) else None
    lines: list[str] = []
    for entry in errors if isinstance(errors, list) else []:
        if isinstance(entry, str):
            lines.append(entry)
        elif isinstance(entry, dict):
            field = ".".join(str(entry[k]) for k in ("resource", "field") if entry.get(k))
            said = entry.get("message") or str(entry.get("code", "invalid")).replace("_", " ")
            lines.append(f"{field}: {said}" if field else str(said))
    return tuple(lines)


def classify_github(error: GithubException) -> Failure:
    status, headers, data = error.status, error.headers, error.data
    message = str(data.get("message", "")) if isinstance(data, dict) else str(data or "")
    retry_after = _number(_header(headers, "retry-after"))
    if status >= 500:
        # The answer came after (or instead of) the work: a create may have happened.
        return Failure(
            kind="transient",
            status=status,
            message=message,
            retry_after=retry_after,
            may_have_applied=True,
        )
    if status in (403, 429):
        remaining = _header(headers, "x-ratelimit-remaining")
        if retry_after is not None or "secondary rate limit" in message.lower():
            return Failure(kind="secondary", status=status, message=message, retry_after=retry_after)
        if remaining == "0":
            return Failure(
                kind="quota",
                status=status,
                message=message,
                reset_at=_number(_header(headers, "x-ratelimit-reset")),
            )
        if status == 429:
            return Failure(kind="secondary", status=status, message=message)
    return Failure(kind="fatal", status=status, message=message, validation=_validation_lines(data))


def classify_connection(error: RequestException) -> Failure:
    # A timeout or a dropped connection says nothing about whether the request was processed.
    kind = "timed out" if isinstance(error, Timeout) else "failed"
    detail = type(error).__name__ if isinstance(error, RequestsConnectionError | Timeout) else str(error)
    return Failure(
        kind="transient",
        status=None,
        message=f"the connection {kind} ({detail})",
        may_have_applied=True,
    )


def _clock_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%H:%M:%S UTC")


def _answer(failure: Failure) -> str:
    if failure.status is None:
        return failure.message
    said = f": {failure.message.rstrip('.')}" if failure.message else ""
    return f"GitHub answered {failure.status}{said}"


def _forbidden_fix(permission: str | None, message: str) -> str:
    if "github app" in message.lower():
        return (
            "Only a GitHub App's token (the workflow token is one) may write check runs; with a "
            "personal access token, publish a commit status instead."
        )
    if permission is None:
        return "The token is not allowed to do this."
    return f"The token lacks `{permission}`: grant it under `permissions:` in the workflow."


def describe(
    what: str,
    failure: Failure,
    *,
    permission: str | None,
    attempts: int,
    now: float,
    gave_up: str = "",
) -> GitHubError:
    """The error for a failure we stop at: `what` reads like "create the PR comment"."""
    head = f"Could not {what}: {_answer(failure)}"
    tries = f" (tried {attempts} times)" if attempts > 1 else ""
    if failure.kind == "transient":
        why = gave_up or "GitHub may be having an outage"
        text = f"{head}{tries}. {why}; see {GITHUB_STATUS_PAGE}."
    elif failure.kind == "quota":
        when = ""
        if failure.reset_at is not None:
            minutes = max(0, round((failure.reset_at - now) / 60))
            when = f" until {_clock_time(failure.reset_at)} (in about {minutes} min)"
        text = f"{head}. The token's API rate limit is used up{when}; re-run the job after that."
    elif failure.kind == "secondary":
        asked = f", asking to wait {failure.retry_after:g} s" if failure.retry_after is not None else ""
        why = f"; {gave_up}" if gave_up else ""
        text = (
            f"{head}{tries}. GitHub's secondary rate limit stopped the request{asked}{why}; "
            "re-run the job in a few minutes."
        )
    elif failure.status == 401:
        text = f"{head}. The token was rejected: check the `github-token` input."
    elif failure.status == 403:
        text = f"{head}. {_forbidden_fix(permission, failure.message)}"
    elif failure.status == 404:
        text = f"{head}. It does not exist, or the token cannot see it."
    elif failure.validation:
        text = f"{head}. GitHub said: " + "; ".join(failure.validation)
    else:
        text = f"{head}."
    return GitHubError(text, status=failure.status, permission=permission if failure.status == 403 else None)
