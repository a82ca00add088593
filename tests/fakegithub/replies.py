"""What the fake answers, and GitHub's error bodies.

GitHub's REST errors are JSON objects `{"message", "documentation_url", "status"}` (the string
`status` field appeared in 2024), plus `errors` for 422 "Validation Failed". The messages below
are the ones GitHub sends, because clients (PyGithub among them) classify errors by message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GENERIC_DOCS = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_RATE_LIMIT_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
INTEGRATION_FORBIDDEN = "Resource not accessible by integration"


@dataclass(frozen=True, kw_only=True, slots=True)
class Reply:
    """One HTTP answer: a status, a JSON body (None for an empty body) and extra headers."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by a route to answer with an error reply."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"{reply.status} {reply.body!r}")
        self.reply = reply


def error_body(
    status: int, message: str, documentation_url: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    body["documentation_url"] = documentation_url
    body["status"] = str(status)
    return body


def error(
    status: int,
    message: str,
    documentation_url: str = GENERIC_DOCS,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ApiError:
    return ApiError(
        Reply(
            status=status,
            body=error_body(status, message, documentation_url, errors),
            headers=dict(headers or {}),
        )
    )


def not_found(documentation_url: str = GENERIC_DOCS) -> ApiError:
    return error(404, "Not Found", documentation_url)


def validation_failed(documentation_url: str, errors: list[dict[str, Any]]) -> ApiError:
    return error(422, "Validation Failed", documentation_url, errors=errors)


def unprocessable(documentation_url: str, message: str) -> ApiError:
    return error(422, message, documentation_url)


def forbidden_for_integration(documentation_url: str, accepted: str) -> ApiError:
    # GitHub names the permissions that would have worked, e.g. "checks=write".
    return error(
        403,
        INTEGRATION_FORBIDDEN,
        documentation_url,
        headers={"X-Accepted-GitHub-Permissions": accepted},
    )


def missing_field(resource: str, name: str) -> dict[str, Any]:
    return {"resource": resource, "code": "missing_field", "field": name}


def invalid_field(resource: str, name: str, value: Any = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"resource": resource, "code": "invalid", "field": name}
    if value is not None:
        entry["value"] = value
    return entry


def custom_error(resource: str, name: str, message: str) -> dict[str, Any]:
    return {"resource": resource, "code": "custom", "field": name, "message": message}
