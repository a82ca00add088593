"""`latency`: N timed requests to one endpoint, aggregated into percentiles and an error rate.

Fields: the request fields of `http` (`url`, `method`, `headers` with `${VAR}` secrets,
`body`, `follow_redirects`, `verify`, `body_cap`; `timeout` applies to each request), and
- `samples` (10; 1 to 1000): timed requests, one after another (never against each other);
- `warmup` (1; up to 100): untimed requests first (connection set-up, caches);
- `connections`: `keep-alive` (one connection reused: steady-state latency) or `cold` (a new
  connection per request: what a first visit costs, TCP and TLS handshakes included);
- `pause` (0s; up to 1m) between requests;
- `min_samples`: successful samples needed for percentiles (default: `samples` minus the
  failures `max_error_rate` allows, so all of them when no error is allowed);
- shorthand budgets: `p95: 300ms` → `p95 < 300ms`, likewise `p99` and `max` (written with
  their unit: a bare `300` is a config error, not five minutes);
  `max_error_rate: 0.1` → `error_rate <= 0.1`. Without `max_error_rate`, and unless an
  `expect` entry reads `error_rate` or `errors` itself, the probe also expects
  `error_rate == 0`: a latency budget says little about requests that fail.

Facts: `p50`, `p90`, `p95`, `p99`, `max`, `min`, `avg` (seconds, over successful samples;
percentiles by NEAREST RANK: the smallest sample with at least p% of the samples at or below
it, always a measured value; `statistics.quantiles`' default interpolates and once reported
a p95 above every sample), `samples` (successful samples), `requests` (timed requests made),
`errors` and `error_rate` (0..1: a failed request or a status outside 2xx/3xx is an error),
`status_codes` (`{"200": 9, "503": 1}`), `failures` (`[{error, count}]` of requests without
a response), `latency.samples` (the successful samples' seconds, in order: `p(75) < 1s`
takes any percentile from them). With fewer successful samples than `min_samples` the timing
facts are absent, so an expectation on them is an error result that says how many samples
succeeded — never a pass. If no request gets any answer, the probe stops early (the target
is unreachable) and the result is an error, retried like any transient one.

A request's time is from sending it to reading the (capped) body, redirects included.

Examples (the seed's "Workflow Generation: natural language generation <5 seconds" and
"API Response Times: all API endpoints respond quickly"):

    - id: performance-testing.workflow-generation
      title: "Workflow Generation: Natural language generation <5 seconds"
      evidence:
        - latency:
            url: "{env.url}/api/workflows/generate"
            method: POST
            headers: {Authorization: "Bearer ${APIQ_PROBE_TOKEN}"}
            body: {prompt: "When a GitHub issue is opened, post it to Slack"}
            samples: 5
            warmup: 0             # each call costs model tokens
            timeout: 15s          # per request
            p95: 5s
    - id: performance-testing.api-response-times
      title: "API Response Times: All API endpoints respond quickly"
      evidence:
        - latency: {url: "{env.url}/api/health", samples: 20, p95: 300ms, p99: 800ms}
        - latency:
            url: "{env.url}/api/workflows"
            headers: {Authorization: "Bearer ${APIQ_PROBE_TOKEN}"}
            samples: 20
            connections: cold
            max_error_rate: 0.05
            expect: [p95 < 500ms, p50 < 200ms]
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from apiq_gate.conditions import Expectation, parse, unknown_names
from apiq_gate.config_types import Duration, LatencyBudget, format_duration, parse_duration
from apiq_gate.evidence import register
from apiq_gate.evidence.base import RunContext
from apiq_gate.model import Outcome, Status
from apiq_gate.percentiles import nearest_rank
from apiq_gate.probes import cancel
from apiq_gate.probes.base import Probe, ProbeFacts
from apiq_gate.probes.http_client import HttpClient, HttpFailure, HttpRequest
from apiq_gate.probes.kinds._request import RequestProbe
from apiq_gate.probes.targets import TargetError
from apiq_gate.structure import doc

MAX_SAMPLES = 1000
MAX_WARMUP = 100
MAX_PAUSE_S = 60.0
UNREACHABLE_AFTER = 3  # requests without any answer before the target counts as unreachable
MAX_FAILURE_KINDS = 5  # distinct failure messages kept in the facts
PERCENTILES = (50, 90, 95, 99)
TIMING_FACTS = (*(f"p{p}" for p in PERCENTILES), "max", "min", "avg")
_PERCENTILE_NAME = re.compile(r"p\d+(\.\d+)?")
FACT_NAMES = frozenset(
    {
        *TIMING_FACTS,
        "samples",
        "requests",
        "errors",
        "error_rate",
        "status_codes",
        "failures",
        "latency",
    }
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Sample:
    seconds: float | None = None  # None: no response
    status: int | None = None
    failure: str | None = None
    transient: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


class _Unreachable(Exception):
    """No request got any answer: the samples would only repeat the same failure."""

    def __init__(self, sample: Sample, requests: int) -> None:
        prefix = f"no answer to {requests} requests; last: " if requests > 1 else ""
        super().__init__(f"{prefix}{sample.failure}")
        self.transient = sample.transient


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class LatencyProbe(RequestProbe):
    """Timed requests to one endpoint: percentiles, max and error rate against budgets."""

    kind = "latency"

    samples: int = doc(f"Timed requests, one after another (1 to {MAX_SAMPLES})", default=10, example=20)
    warmup: int = doc(f"Untimed requests before the samples (up to {MAX_WARMUP})", default=1)
    connections: Literal["keep-alive", "cold"] = doc(
        "keep-alive reuses one connection; cold opens a new one per request (handshakes included)",
        default="keep-alive",
    )
    pause: Duration = doc("Pause between requests", default=Duration(0.0), example="100ms")
    min_samples: int | None = doc(
        "Successful samples needed for timings (default: samples minus the errors that max_error_rate allows)",
        default=None,
    )
    p95: LatencyBudget | None = doc("Budget for the 95th percentile: p95 < budget", default=None, example="300ms")
    p99: LatencyBudget | None = doc("Budget for the 99th percentile: p99 < budget", default=None, example="1s")
    max: LatencyBudget | None = doc("Budget for the slowest sample: max < budget", default=None, example="2s")
    max_error_rate: float | None = doc(
        "Highest acceptable error rate, 0 to 1: error_rate <= it", default=None, example=0.01
    )

    def shorthand(self) -> tuple[Expectation, ...]:
        budgets = (("p95", self.p95), ("p99", self.p99), ("max", self.max))
        texts = [f"{name} < {duration_text(budget.seconds)}" for name, budget in budgets if budget is not None]
        if self.max_error_rate is not None:
            texts.append(f"error_rate <= {format(Decimal(repr(self.max_error_rate)), 'f')}")
        elif not any({"error_rate", "errors"} & expectation.roots for expectation in self.expect):
            texts.append("error_rate == 0")
        return tuple(parse(text) for text in texts)

    def required_samples(self) -> int:
        if self.min_samples is not None:
            return self.min_samples
        allowed = math.floor(self.samples * Fraction(str(self.max_error_rate or 0)))
        return max(1, self.samples - allowed)

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = RequestProbe.check(self, checklist, item_id)
        if not 1 <= self.samples <= MAX_SAMPLES:
            problems.append(f"samples must be between 1 and {MAX_SAMPLES}")
        if not 0 <= self.warmup <= MAX_WARMUP:
            problems.append(f"warmup must be between 0 and {MAX_WARMUP}")
        if self.pause.seconds > MAX_PAUSE_S:
            problems.append(f"pause must be at most {format_duration(MAX_PAUSE_S)}")
        if self.min_samples is not None and not 1 <= self.min_samples <= self.samples:
            problems.append(f"min_samples must be between 1 and samples ({self.samples})")
        if self.max_error_rate is not None and not 0 <= self.max_error_rate <= 1:
            problems.append("max_error_rate is a fraction between 0 and 1, e.g. 0.05 for 5%")
        for name in ("p95", "p99", "max"):
            budget = getattr(self, name)
            if budget is not None and budget.seconds <= 0:
                problems.append(f"{name} must be a duration above 0, e.g. 300ms")
        for expectation in self.expect:
            percentiles = {name for name in expectation.roots - FACT_NAMES if _PERCENTILE_NAME.fullmatch(name)}
            problems += [
                f"'{name}' in `{expectation.text}` is not a fact of this probe; write p({name[1:]}) for that percentile"
                for name in sorted(percentiles)
            ]
            problems += unknown_names(expectation, FACT_NAMES | percentiles)
        return problems

    def probe(self, ctx: RunContext) -> ProbeFacts:
        prepared = self.prepare(ctx)
        try:
            samples = self.sample(ctx, prepared.request)
        except _Unreachable as exc:
            return prepared.failed(str(exc), transient=exc.transient)
        except TargetError as exc:
            return prepared.failed(str(exc))
        return prepared.observed(summarize(samples, self.required_samples()))

    def sample(self, ctx: RunContext, request: HttpRequest) -> list[Sample]:
        """The timed samples, after the warm-up; `_Unreachable` when nothing ever answers."""
        shared = HttpClient(ctx) if self.connections == "keep-alive" else None
        timed: list[Sample] = []
        answered = False
        try:
            total = self.warmup + self.samples
            for index in range(total):
                cancel.check(ctx)  # a run that gave up on the probe gets no more samples
                if index and self.pause.seconds:
                    cancel.sleep(ctx, self.pause.seconds)
                sample = _send(ctx, request, shared)
                answered = answered or sample.status is not None
                if not answered and (not sample.transient or index + 1 >= min(UNREACHABLE_AFTER, total)):
                    raise _Unreachable(sample, index + 1)
                if index >= self.warmup:
                    timed.append(sample)
        finally:
            if shared is not None:
                shared.close()
        return timed

    def judge(self, observation: ProbeFacts) -> Outcome:
        outcome = Probe.judge(self, observation)
        facts = observation.facts
        if outcome.status is not Status.ERROR or observation.error is not None or "p95" in facts:
            return outcome
        why = (
            "too few successful samples for timings: "
            f"{facts.get('samples')} of {facts.get('requests')} "
            f"(min_samples {self.required_samples()}){error_summary(facts)}"
        )
        return Outcome(status=Status.ERROR, reason=f"{why}; {outcome.reason}", details=outcome.details)


def _send(ctx: RunContext, request: HttpRequest, shared: HttpClient | None) -> Sample:
    try:
        if shared is not None:
            exchange = shared.send(request)
        else:
            with HttpClient(ctx) as client:
                exchange = client.send(request)
    except HttpFailure as exc:
        return Sample(failure=str(exc), transient=exc.transient)
    return Sample(seconds=exchange.total_s, status=exchange.status)


def summarize(samples: Sequence[Sample], min_samples: int) -> dict[str, Any]:
    """The facts of a run of samples; timings only when enough of them succeeded."""
    times = [s.seconds for s in samples if s.ok and s.seconds is not None]
    errors = len(samples) - len(times)
    failures = Counter(s.failure for s in samples if s.failure)
    facts: dict[str, Any] = {
        "samples": len(times),
        "requests": len(samples),
        "errors": errors,
        "error_rate": errors / len(samples) if samples else 1.0,
        "status_codes": {str(code): n for code, n in sorted(Counter(s.status for s in samples if s.status).items())},
        "failures": [{"error": error, "count": n} for error, n in failures.most_common(MAX_FAILURE_KINDS)],
    }
    if times and len(times) >= min_samples:
        facts.update({f"p{p}": nearest_rank(times, p) for p in PERCENTILES})
        facts.update(max=max(times), min=min(times), avg=sum(times) / len(times))
        facts["latency"] = {"samples": times}  # for p(N), any percentile, in the expectations
    return facts


def error_summary(facts: Mapping[str, Any]) -> str:
    """`; errors: status 503 (2), connection failed: … (1)` from the facts, or nothing."""
    parts = [f"status {code} ({n})" for code, n in facts.get("status_codes", {}).items() if not 200 <= int(code) < 400]
    parts += [f"{f['error']} ({f['count']})" for f in facts.get("failures", [])]
    return f"; errors: {', '.join(parts)}" if parts else ""


def duration_text(seconds: float) -> str:
    """A budget as the expectation language writes it: `300ms`, `5s`, exact to the config."""
    shown = format_duration(seconds)
    try:
        if parse_duration(shown) == seconds:
            return shown
    except ValueError:
        pass
    return f"{format(Decimal(repr(seconds)), 'f')}s"


__all__ = ["LatencyProbe", "summarize"]
