"""`rate_limit` (opt-in): a strictly bounded burst shows whether the service limits request rates.

The probe sends up to `requests` requests, `concurrency` at a time, for at most `within`,
and stops at the first sign of a limiter: a 429, rate-limit headers (`RateLimit`,
`RateLimit-*`, `X-RateLimit-*`, `X-Rate-Limit-*`) or a `Retry-After` on a 429/503. The
bounds are checked when the config loads and capped again here (at most 200 requests, 20 at
a time, 30 s), so the probe never sends more, however the server behaves. A burst is never
retried, and the probe refuses `wait` (every attempt would be another burst).

Fields (besides the common `expect`, `timeout`, `ipv6`, and the request fields `url`,
`method`, `headers`, `body`, `verify`, `body_cap`): `requests` (50), `concurrency` (5),
`within` (10s). With no `expect`: `limited`. Redirects are never followed (every hop would
be one more request); a 3xx counts as an answer. `wait`, `retries` and `follow_redirects`,
which other probes take, are config errors here.

Facts: `limited` (a 429 or rate-limit headers came back), `first_429_after` (requests sent
before the first one answered 429; absent without a 429), `sent` (requests sent),
`responses`, `errors` (requests without an answer), `statuses` ({"200": 12, "429": 1}),
`rate_limit_headers` (seen) and `rate_limit_header_names`, `retry_after` (seconds, when a
Retry-After came back), `elapsed` (seconds), `stopped` (why the burst ended: "429",
"rate-limit headers", "request bound" or "time bound").

Example:

    - id: rate-limiting
      title: Rate limiting configured
      evidence:
        - rate_limit:
            url: "{env.url}/api/auth/login"
            method: POST
            body: {email: "probe@apiq.example", password: "wrong"}
            requests: 30
            concurrency: 5
            within: 10s
            expect: [limited, first_429_after <= 20]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

from apiq_gate import structure as st
from apiq_gate.conditions import Expectation, parse, unknown_names
from apiq_gate.config_types import Duration
from apiq_gate.evidence import register
from apiq_gate.evidence.base import RunContext
from apiq_gate.probes import cancel
from apiq_gate.probes.base import ProbeFacts
from apiq_gate.probes.http_client import HttpClient, HttpExchange, HttpFailure, HttpRequest
from apiq_gate.probes.kinds._request import RequestProbe
from apiq_gate.structure import doc

MAX_REQUESTS = 200
MAX_CONCURRENCY = 20
MAX_WITHIN_S = 30.0
BURST_BODY_CAP = 64_000  # bytes read per answer: a burst is about statuses and headers
FACTS = frozenset({"limited", "first_429_after", "sent", "responses", "errors", "statuses",
                   "rate_limit_headers", "rate_limit_header_names", "retry_after", "elapsed",
                   "stopped"})  # fmt: skip
_LIMIT_PREFIXES = ("ratelimit", "x-ratelimit-", "x-rate-limit-")
REFUSED_KEYS = {
    "wait": "a rate_limit probe cannot `wait`: every attempt would be another burst",
    "retries": "a burst is never retried: a retry would be another burst",
    "follow_redirects": "a burst never follows redirects: each hop would be one more request",
}


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class RateLimitProbe(RequestProbe):
    """A strictly bounded burst meets a rate limit (429 or RateLimit headers). Opt-in."""

    kind = "rate_limit"
    repeatable: ClassVar[bool] = False  # wait mode must not repeat a burst
    # Common probe keys a burst cannot honour: not config keys of this kind (so neither the
    # reference nor the schema offers them), and a config naming one hears why.
    wait: ClassVar[None] = None  # type: ignore[misc]
    retries: ClassVar[int] = 0  # type: ignore[misc]
    follow_redirects: ClassVar[bool] = False  # type: ignore[misc]

    requests: int = doc(f"Requests sent at most (1-{MAX_REQUESTS})", default=50, example=30)
    concurrency: int = doc(f"Requests in flight at once (1-{MAX_CONCURRENCY})", default=5)
    within: Duration = doc(
        f"Longest the burst may last (at most {MAX_WITHIN_S:g}s)",
        default=Duration(10.0),
        example="10s",
    )

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        if not isinstance(node, yaml.MappingNode):
            return s.dataclass(node, cls, path)
        kept = []
        for key_node, value_node in node.value:
            why = REFUSED_KEYS.get(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            if why is None:
                kept.append((key_node, value_node))
            else:
                s.problem(key_node, st.join(path, key_node.value), why)
        if len(kept) == len(node.value):
            return s.dataclass(node, cls, path)
        s.dataclass(yaml.MappingNode(node.tag, kept, node.start_mark, node.end_mark), cls, path)  # its problems too
        return st.INVALID

    def default_expectations(self) -> tuple[Expectation, ...]:
        return (parse("limited"),)

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = RequestProbe.check(self, checklist, item_id)
        if not 1 <= self.requests <= MAX_REQUESTS:
            problems.append(f"requests must be between 1 and {MAX_REQUESTS}")
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            problems.append(f"concurrency must be between 1 and {MAX_CONCURRENCY}")
        if not 0 < self.within.seconds <= MAX_WITHIN_S:
            problems.append(f"within must be more than 0s and at most {MAX_WITHIN_S:g}s")
        for expectation in self.expect:
            problems.extend(unknown_names(expectation, FACTS))
        return problems

    def probe(self, ctx: RunContext) -> ProbeFacts:
        prepared = self.prepare(ctx)
        count = max(1, min(self.requests, MAX_REQUESTS))  # capped again: config checks can be bypassed
        workers = max(1, min(self.concurrency, MAX_CONCURRENCY, count))
        within = min(max(self.within.seconds, 0.0), MAX_WITHIN_S)
        body_cap = min(prepared.request.body_cap, BURST_BODY_CAP)
        # Redirects are not followed: each hop would be a request beyond the count.
        request = dataclasses.replace(prepared.request, body_cap=body_cap, follow_redirects=False)
        burst = Burst(
            limit=count, deadline=ctx.clock() + within, clock=ctx.clock, cancelled=lambda: cancel.stopped(ctx)
        )
        started = ctx.clock()
        failures: list[Exception] = []
        # Daemon threads: a burst the run gave up on never keeps the process alive.
        threads = [
            threading.Thread(target=_worker, args=(burst, request, ctx, failures), name=f"rate-limit-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()  # bounded: by `within`, and by the run's deadline
        if failures:
            raise failures[0]  # a TargetError (undeclared host), or RunStopped
        facts = burst_facts(burst, elapsed=ctx.clock() - started, now=ctx.now)
        if not burst.answers:
            why = burst.errors[0] if burst.errors else "no request was sent"
            error = f"none of {burst.sent} requests was answered: {why}"
            return ProbeFacts(target=prepared.target, facts=facts, error=error, secrets=prepared.secrets)
        return ProbeFacts(target=prepared.target, facts=facts, secrets=prepared.secrets)


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer:
    index: int  # 1-based, in the order the requests were sent
    status: int
    headers: Mapping[str, str]


@dataclass(kw_only=True)
class Burst:
    """One burst's shared state: hands out request numbers until a bound or a limiter stops it."""

    limit: int
    deadline: float
    clock: Callable[[], float]
    cancelled: Callable[[], bool] = lambda: False  # the run gave up on the probe
    sent: int = 0
    stopped: str = ""
    answers: list[Answer] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def claim(self) -> tuple[int, float] | None:
        """The next request's number and the seconds left for it, or None when the burst is over."""
        with self._lock:
            if self.stopped:
                return None
            if self.cancelled():
                self.stopped = "run deadline"
                return None
            if self.sent >= self.limit:
                self.stopped = "request bound"
                return None
            left = self.deadline - self.clock()
            if left <= 0:
                self.stopped = "time bound"
                return None
            self.sent += 1
            return self.sent, left

    def record(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)
            if answer.status == 429:
                self.stopped = self.stopped or "429"
            elif limit_headers(answer.status, answer.headers):
                self.stopped = self.stopped or "rate-limit headers"

    def fail(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    def abort(self) -> None:
        with self._lock:
            self.stopped = self.stopped or "aborted"


def _worker(burst: Burst, request: HttpRequest, ctx: RunContext, failures: list[Exception]) -> None:
    try:
        with HttpClient(ctx) as client:  # one per worker: a requests.Session is not shared across threads
            while (claimed := burst.claim()) is not None:
                index, left = claimed
                timeout = min(request.timeout, left)  # the burst ends by `within`, answered or not
                try:
                    exchange = client.send(dataclasses.replace(request, timeout=timeout))
                except HttpFailure as exc:
                    burst.fail(str(exc))
                    continue
                burst.record(Answer(index=index, status=exchange.status, headers=_limit_relevant(exchange)))
    except Exception as exc:
        burst.abort()  # the other workers stop too
        failures.append(exc)


def _limit_relevant(exchange: HttpExchange) -> dict[str, str]:
    headers = exchange.headers.items()
    return {k: v[:100] for k, v in headers if k.startswith(_LIMIT_PREFIXES) or k == "retry-after"}


def limit_headers(status: int, headers: Mapping[str, str]) -> list[str]:
    """Names of the headers that show a rate limiter (Retry-After only on a 429 or 503)."""
    names = [name for name in headers if name.startswith(_LIMIT_PREFIXES)]
    if "retry-after" in headers and status in (429, 503):
        names.append("retry-after")
    return sorted(names)


def burst_facts(burst: Burst, *, elapsed: float, now: dt.datetime) -> dict[str, Any]:
    answers = sorted(burst.answers, key=lambda a: a.index)
    names = sorted({name for a in answers for name in limit_headers(a.status, a.headers)})
    statuses: dict[str, int] = {}
    for answer in answers:
        statuses[str(answer.status)] = statuses.get(str(answer.status), 0) + 1
    first_429 = next((a for a in answers if a.status == 429), None)
    facts: dict[str, Any] = {
        "limited": first_429 is not None or bool(names),
        "sent": burst.sent,
        "responses": len(answers),
        "errors": len(burst.errors),
        "statuses": statuses,
        "rate_limit_headers": bool(names),
        "rate_limit_header_names": names,
        "elapsed": round(elapsed, 3),
        "stopped": burst.stopped,
    }
    if first_429 is not None:
        facts["first_429_after"] = first_429.index - 1
    retry_afters = (retry_after_s(a.headers["retry-after"], now) for a in answers if "retry-after" in a.headers)
    retry_after = next(retry_afters, None)
    if retry_after is not None:
        facts["retry_after"] = retry_after
    return facts


def retry_after_s(value: str, now: dt.datetime) -> float | None:
    """Retry-After in seconds: a number of seconds, or an HTTP date; None if it is neither."""
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())
