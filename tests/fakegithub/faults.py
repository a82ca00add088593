"""Faults a test programs into the fake: GitHub's outages, rate limits and races, on demand.

Rules name the operations they hit with the OpenAPI key, or a shell-style pattern over it
("*" for every request, "POST *" for every create). Rules with a count are used up in the order
they were added; a rule that never fired by the end of the test is reported at teardown, because
a fault that never happened means the test did not test what it says.

- `fail(op, times=2, status=502)`: answer 5xx without touching state, then behave normally.
- `secondary_rate_limit(op, retry_after=60, status=403)`: GitHub's abuse limit, with `Retry-After`.
- `exhaust_rate_limit(token, reset_in=60, status=403)`: the primary quota runs out until reset.
- `commit_then_fail(op, status=502)`: the request takes effect, but the client sees a 502: a
  careful client checks before repeating a create.
- `disconnect(op)`: close the connection without an answer.
- `down()` / `down(mode="disconnect")` / `up()`: every request fails until `up()`.
- `barrier(op, parties=2)`: hold the first `parties` matching requests, each with its answer
  already decided, and release them together: two runs listing comments both see "none yet".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal

from .ratelimit import RateLimits
from .replies import SECONDARY_RATE_LIMIT_DOCS, Reply, error_body

Phase = Literal["before", "after"]
SERVER_ERROR_MESSAGES = {
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: "We couldn't respond to your request in time. Sorry about that.",
}


@dataclass(kw_only=True, slots=True)
class FaultRule:
    pattern: str
    remaining: int | None  # None: until the test ends
    phase: Phase  # "before": instead of handling; "after": handled, then this answer instead
    reply: Reply | None  # None: close the connection without answering
    description: str


@dataclass(kw_only=True, slots=True)
class HeldRequests:
    pattern: str
    barrier: threading.Barrier
    unclaimed: int


class Faults:
    def __init__(self, rate_limits: RateLimits, limit_of: Callable[[str], int]) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._barriers: list[HeldRequests] = []
        self._rate_limits = rate_limits
        self._limit_of = limit_of
        self.down_mode: Literal["503", "disconnect"] | None = None
        self.fired: list[str] = []  # "<description> on <operation>", in order
        self.problems: list[str] = []

    def _add(
        self, pattern: str, times: int | None, phase: Phase, reply: Reply | None, description: str
    ) -> None:
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every request")
        with self._lock:
            self._rules.append(
                FaultRule(
                    pattern=pattern,
                    remaining=times,
                    phase=phase,
                    reply=reply,
                    description=description,
                )
            )

    def respond(
        self, operation: str, reply: Reply, *, times: int | None = 1, description: str = ""
    ) -> None:
        """Answer `reply` instead of handling the request."""
        self._add(operation, times, "before", reply, description or f"{reply.status} answer")

    def fail(self, operation: str, *, times: int | None = 1, status: int = 502) -> None:
        message = SERVER_ERROR_MESSAGES.get(status, "Server Error")
        self.respond(
            operation,
            Reply(status=status, body={"message": message}),
            times=times,
            description=f"{status} server error",
        )

    def secondary_rate_limit(
        self,
        operation: str = "*",
        *,
        times: int | None = 1,
        retry_after: int = 60,
        status: int = 403,
    ) -> None:
        body = error_body(
            status,
            "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again. If you reach out to GitHub Support for help, please "
            "include the request ID {request_id}.",
            SECONDARY_RATE_LIMIT_DOCS,
        )
        self.respond(
            operation,
            Reply(status=status, body=body, headers={"Retry-After": str(retry_after)}),
            times=times,
            description=f"secondary rate limit ({status})",
        )

    def exhaust_rate_limit(self, token: str, *, reset_in: int = 60, status: int = 403) -> None:
        """Use up `token`'s primary quota; it comes back `reset_in` seconds later."""
        self._rate_limits.exhaust(token, self._limit_of(token), reset_in=reset_in, status=status)

    def commit_then_fail(self, operation: str, *, times: int | None = 1, status: int = 502) -> None:
        reply = Reply(
            status=status, body={"message": SERVER_ERROR_MESSAGES.get(status, "Server Error")}
        )
        self._add(operation, times, "after", reply, f"applied, then {status}")

    def disconnect(self, operation: str, *, times: int | None = 1) -> None:
        self._add(operation, times, "before", None, "connection closed")

    def down(self, mode: Literal["503", "disconnect"] = "503") -> None:
        self.down_mode = mode

    def up(self) -> None:
        self.down_mode = None

    def barrier(self, operation: str, parties: int, *, timeout: float = 5.0) -> None:
        if parties < 2:
            raise ValueError("a barrier needs at least 2 requests to hold together")
        with self._lock:
            self._barriers.append(
                HeldRequests(
                    pattern=operation,
                    unclaimed=parties,
                    barrier=threading.Barrier(parties, timeout=timeout),
                )
            )

    def take(self, operation: str, phase: Phase) -> FaultRule | None:
        """The rule that applies to this request now, counting it as used."""
        with self._lock:
            for rule in self._rules:
                if (
                    rule.phase == phase
                    and rule.remaining != 0
                    and fnmatchcase(operation, rule.pattern)
                ):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    self.fired.append(f"{rule.description} on {operation}")
                    return rule
        return None

    def claim_barrier(self, operation: str) -> HeldRequests | None:
        with self._lock:
            for held in self._barriers:
                if held.unclaimed > 0 and fnmatchcase(operation, held.pattern):
                    held.unclaimed -= 1
                    return held
        return None

    def wait(self, held: HeldRequests, operation: str) -> None:
        try:
            held.barrier.wait()
        except threading.BrokenBarrierError:
            arrived = held.barrier.parties - held.unclaimed
            problem = (
                f"barrier on {held.pattern!r} broke: {arrived} of {held.barrier.parties} "
                f"requests arrived in time ({operation})"
            )
            with self._lock:
                if problem not in self.problems:
                    self.problems.append(problem)

    def release_all(self) -> None:
        with self._lock:
            for held in self._barriers:
                held.barrier.abort()

    def unused(self) -> list[str]:
        with self._lock:
            left = [
                f"fault {r.description!r} on {r.pattern!r} fired {r.remaining} time(s) "
                "fewer than programmed"
                for r in self._rules
                if r.remaining
            ]
            left += [
                f"barrier on {h.pattern!r} still waited for {h.unclaimed} request(s)"
                for h in self._barriers
                if h.unclaimed
            ]
            return left


def render(reply: Reply, request_id: str) -> Reply:
    """Fill the request id into a fault's message, as GitHub's secondary-limit message has it."""
    body: Any = reply.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        body = {**body, "message": body["message"].replace("{request_id}", request_id)}
    return Reply(status=reply.status, body=body, headers=reply.headers)
