"""From raw request to decided answer, in the order GitHub's layers apply.

An outage or a fault comes first (GitHub's edge fails before it looks at you), then the token
(401 for one it does not know), then the primary rate limit, then permissions (403 with the
permissions that would have worked), then the operation itself, which may answer 404 or 422.
Every request is logged, with the problems GitHub's OpenAPI description finds in it.
"""

from __future__ import annotations

import json
import re
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .contract import REPOSITORY_BY_ID, Contract, Operation
from .faults import Faults, HeldRequests, render
from .ratelimit import ANONYMOUS_LIMIT, Quota, RateLimits
from .replies import (
    GENERIC_DOCS,
    INTEGRATION_FORBIDDEN,
    RATE_LIMIT_DOCS,
    ApiError,
    Reply,
    error,
    not_found,
)
from .router import Call, Route, needs_text
from .shapes import Urls
from .state import GitHubState
from .tokens import TokenSpec

AUTHORIZATION = re.compile(r"^(?:token|bearer)\s+(?P<token>\S+)$", re.IGNORECASE)
ANONYMOUS = "<anonymous>"


@dataclass(frozen=True, kw_only=True, slots=True)
class LoggedRequest:
    """One request as the fake received it, and what it answered."""

    method: str
    path: str  # without the GHES-style prefix and without the query
    query: tuple[tuple[str, str], ...]
    operation: str | None  # "POST /repos/{owner}/{repo}/check-runs"; None for unknown paths
    body: Any  # the parsed JSON body, or the raw text if it was not JSON, or None
    headers: Mapping[str, str]
    status: int | None  # None when the fake closed the connection without answering
    contract_problems: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    reply: Reply | None  # None: close the connection without answering
    held: HeldRequests | None = None
    operation: str = ""


@dataclass(kw_only=True, slots=True)
class _Request:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: Any = None
    operation: str | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)


class Dispatcher:
    def __init__(
        self,
        *,
        state: GitHubState,
        faults: Faults,
        rate_limits: RateLimits,
        contract: Contract,
        routes: Mapping[str, Route],
        urls: Urls,
        path_prefix: str,
    ) -> None:
        self.state, self.faults, self.rate_limits = state, faults, rate_limits
        self.contract, self.routes, self.urls, self.path_prefix = (
            contract,
            routes,
            urls,
            path_prefix,
        )
        self.log: list[LoggedRequest] = []
        self.crashes: list[str] = []
        self._log_lock = threading.Lock()
        self._request_ids = count(1)

    def _record(self, request: _Request, status: int | None) -> None:
        entry = LoggedRequest(
            method=request.method,
            path=request.path,
            query=request.query,
            operation=request.operation,
            body=request.body,
            headers=request.headers,
            status=status,
            contract_problems=request.problems,
        )
        with self._log_lock:
            self.log.append(entry)

    @staticmethod
    def _common_headers(request_id: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": request_id,
        }

    def dispatch(
        self, method: str, target: str, headers: Mapping[str, str], raw_body: bytes
    ) -> Outcome:
        number = next(self._request_ids)
        # Shaped like GitHub's ids ("C0DE:0001:009E37:001EEF:6650F00D"), unique per request.
        request_id = f"C0DE:{number:04X}:{number * 40503:06X}:{number * 7919:06X}:6650F00D"
        parts = urlsplit(target)
        prefixed = parts.path.startswith(self.path_prefix)
        request = _Request(
            method=method,
            path=parts.path.removeprefix(self.path_prefix) or "/",
            query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
            headers=headers,
        )
        outcome = self._decide(request, raw_body, prefixed=prefixed)
        status = outcome.reply.status if outcome.reply is not None else None
        self._record(request, status)
        if outcome.reply is None:
            return outcome
        reply = outcome.reply
        merged = {**self._common_headers(request_id), **reply.headers}
        return replace(outcome, reply=replace(render(reply, request_id), headers=merged))

    def _decide(self, request: _Request, raw_body: bytes, *, prefixed: bool) -> Outcome:
        if raw_body:
            try:
                request.body = json.loads(raw_body)
            except ValueError:
                request.body = raw_body.decode("utf-8", "replace")
                return Outcome(reply=error(400, "Problems parsing JSON", GENERIC_DOCS).reply)
        canonical = self._canonical(request.path)
        matched = self.contract.match(request.method, canonical) if prefixed else None
        request.operation = matched[0].key if matched else None
        request.problems = tuple(
            self.contract.check_request(request.method, request.path, request.body, request.query)
            if prefixed
            else [f"{request.method} {request.path}: outside the API prefix {self.path_prefix}"]
        )
        operation = request.operation or f"{request.method} {request.path}"
        if self.faults.down_mode == "disconnect":
            return Outcome(reply=None, operation=operation)
        if self.faults.down_mode == "503":
            return Outcome(
                reply=Reply(status=503, body={"message": "Service Unavailable"}),
                operation=operation,
            )
        rule = self.faults.take(operation, "before")
        if rule is not None:
            if rule.reply is None:
                return Outcome(reply=None, operation=operation)
            # GitHub's API answers its errors with the token's quota, as any other answer.
            quota = self._peek(request.headers)
            headers = {**(quota.headers() if quota else {}), **rule.reply.headers}
            return Outcome(reply=replace(rule.reply, headers=headers), operation=operation)
        reply = self._handle(request, matched)
        if reply.status < 400 and (after := self.faults.take(operation, "after")) is not None:
            reply = after.reply or reply
        return Outcome(reply=reply, held=self.faults.claim_barrier(operation), operation=operation)

    def _handle(self, request: _Request, matched: tuple[Operation, dict[str, str]] | None) -> Reply:
        """Authenticate, charge the quota, authorize, then run the operation."""
        quota: Quota | None = None
        try:
            token_value, token = self._authenticate(request.headers)
            route = self.routes.get(matched[0].key) if matched is not None else None
            if matched is None or route is None:
                raise not_found()
            operation, raw_params = matched
            quota = self._charge(token_value, token, operation.key)
            params = {name: unquote(value) for name, value in raw_params.items()}
            self._authorize(route, token, request.method, params, operation.documentation_url)
            call = Call(
                state=self.state,
                urls=self.urls,
                params=params,
                query=request.query,
                body=request.body,
                token=token,
                quota=quota,
                documentation_url=operation.documentation_url,
            )
            with self.state.lock:
                reply = route.handler(call)
        except ApiError as failure:
            reply = failure.reply
        except Exception:  # a bug in the fake: answer 500 and fail the test at teardown
            self.crashes.append(traceback.format_exc())
            reply = Reply(status=500, body={"message": "the fake GitHub API crashed; see teardown"})
        if quota is not None:
            reply = replace(reply, headers={**quota.headers(), **reply.headers})
        return reply

    def _canonical(self, path: str) -> str:
        found = REPOSITORY_BY_ID.match(path)
        if found is None:
            return path
        repo = self.state.repo_by_id(int(found["repository_id"]))
        if repo is None:
            return path
        return f"/repos/{repo.full_name}{path[found.end() :]}"

    def _authenticate(self, headers: Mapping[str, str]) -> tuple[str, TokenSpec | None]:
        header = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if header is None:
            return ANONYMOUS, None
        found = AUTHORIZATION.match(header.strip())
        token = self.state.tokens.get(found["token"]) if found else None
        if found is None or token is None:
            raise error(401, "Bad credentials", GENERIC_DOCS)
        return found["token"], token

    def _peek(self, headers: Mapping[str, str]) -> Quota | None:
        try:
            token_value, token = self._authenticate(headers)
        except ApiError:
            return None
        return self.rate_limits.peek(token_value, token.rate_limit if token else ANONYMOUS_LIMIT)

    def _charge(self, token_value: str, token: TokenSpec | None, operation: str) -> Quota:
        limit = token.rate_limit if token is not None else ANONYMOUS_LIMIT
        if operation == "GET /rate_limit":  # asking for the quota does not use it
            return self.rate_limits.peek(token_value, limit)
        quota, allowed = self.rate_limits.charge(token_value, limit)
        if not allowed:
            subject = token.rate_limit_subject if token is not None else "127.0.0.1"
            raise error(
                self.rate_limits.exhausted_status,
                f"API rate limit exceeded for {subject}.",
                RATE_LIMIT_DOCS,
                headers=quota.headers(),
            )
        return quota

    def _authorize(
        self,
        route: Route,
        token: TokenSpec | None,
        method: str,
        params: Mapping[str, str],
        documentation_url: str,
    ) -> None:
        if token is None:
            repo = self.state.repos.get(f"{params.get('owner')}/{params.get('repo')}".lower())
            if method != "GET":
                raise error(401, "Requires authentication", documentation_url)
            if repo is not None and repo.private:
                raise not_found(documentation_url)
            return
        if route.apps_only and token.kind == "personal":
            raise error(403, "You must authenticate via a GitHub App.", documentation_url)
        if route.needs and not any(token.allows(scope, level) for scope, level in route.needs):
            message = (
                INTEGRATION_FORBIDDEN
                if token.kind == "installation"
                else ("Resource not accessible by personal access token")
            )
            raise error(
                403,
                message,
                documentation_url,
                headers={"X-Accepted-GitHub-Permissions": needs_text(route.needs)},
            )
