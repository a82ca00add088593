"""The probe interface: every live check of a deployed target implements `probe()`.

A probe kind is an evidence kind with network access. It returns facts (status, headers,
certificate, timings…) and never raises for an unhealthy target; expectations written in
config (`expect: [status == 200, p95 < 300ms]`) are judged against those facts separately,
so a failure reads with the actual value filled in: `status (503) in [200]`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from apiq_gate.conditions import CheckResult, Expectation
from apiq_gate.config_types import Duration
from apiq_gate.evidence.base import Evidence, RunContext
from apiq_gate.model import Environment, Outcome, Status
from apiq_gate.probes import cancel
from apiq_gate.probes.cancel import RunStopped
from apiq_gate.probes.targets import (
    TargetError,
    env_refs,
    environment_value,
    expand,
    host_of,
    is_ip,
    mask,
    override_problem,
    secret_refs,
    secret_refs_removed,
    url_secrets,
)
from apiq_gate.structure import doc

MAX_RETRIES = 5
MAX_BACKOFF_S = 4.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Wait:
    """Right after a deploy: re-check until the probe passes or the timeout ends."""

    timeout: Duration = doc("How long to keep trying", example="10m")
    interval: Duration = doc("Pause between attempts", default=Duration(15.0), example="15s")
    consecutive_successes: int = doc("Passes in a row needed", default=1, example=3)

    def problems(self) -> list[str]:
        found = []
        if self.timeout.seconds <= 0:
            found.append("wait.timeout must be more than 0s, e.g. 10m")
        if self.interval.seconds <= 0:
            found.append("wait.interval must be more than 0s, e.g. 15s: a re-check without a pause hammers the target")
        if self.consecutive_successes < 1:
            found.append("wait.consecutive_successes must be at least 1")
        return found


@dataclass(frozen=True, kw_only=True, slots=True)
class ProbeFacts:
    target: str  # what was probed, secrets masked: "GET https://app.example/api/health"
    facts: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None  # could not observe at all
    transient: bool = False  # a retry may help (timeout, reset, refused)
    secrets: tuple[str, ...] = ()  # values to mask; dropped before the facts leave the probe


@dataclass(frozen=True, kw_only=True, slots=True)
class Probe(Evidence):
    network = True
    # Whether wait mode may repeat it (a rate-limit burst must not be re-fired every interval).
    repeatable: ClassVar[bool] = True

    expect: tuple[Expectation, ...] = doc(
        "Expectations on the facts, all of which must hold", default=(), example=["status == 200", "p95 < 300ms"]
    )
    timeout: Duration | None = doc("Timeout of one attempt (default: defaults.timeout)", default=None)
    retries: int = doc(
        f"Retries of transient errors (timeouts, resets), with backoff; at most {MAX_RETRIES}", default=2
    )
    wait: Wait | None = doc("Keep re-checking until it passes, e.g. right after a deploy", default=None)
    ipv6: bool = doc("Allow IPv6 addresses (off: hosted runners have no IPv6)", default=False)

    # --- what each kind implements ------------------------------------------------

    def probe(self, ctx: RunContext) -> ProbeFacts:
        raise NotImplementedError

    def shorthand(self) -> tuple[Expectation, ...]:
        """Expectations implied by the kind's typed fields (e.g. `status: 200`)."""
        return ()

    def default_expectations(self) -> tuple[Expectation, ...]:
        """Used when the config gives neither `expect` nor shorthand fields."""
        return ()

    # --- shared behaviour ---------------------------------------------------------

    def secret_values(self, ctx: RunContext) -> tuple[str, ...]:
        """Values of the `${VAR}` secrets this probe's config refers to, and URL passwords."""
        names = {name for text in _strings(self) for name in secret_refs(text)}
        passwords = url_secrets(url) if isinstance(url := getattr(self, "url", None), str) else ()
        return (*(ctx.environ[name] for name in sorted(names) if ctx.environ.get(name)), *passwords)

    def declared_hosts(
        self, environment: Environment | None, fields: tuple[str, ...] = ("url", "host", "name", "server_name")
    ) -> set[str]:
        """Hosts this probe's own config names (fields `url`, `host`, `name`, `server_name`)."""
        hosts = set()
        for name in fields:
            value = getattr(self, name, None)
            if not isinstance(value, str):
                continue
            try:
                # A secret is no host name: leave `${VAR}` out rather than lose the whole URL.
                text = expand(secret_refs_removed(value), environment, {}).value
            except TargetError:
                continue
            hosts.add(host_of(text) if "://" in text else text.lower())
        return hosts - {""}

    def expectations(self) -> tuple[Expectation, ...]:
        given = (*self.shorthand(), *self.expect)
        return given or self.default_expectations()

    def seconds(self, ctx: RunContext) -> float:
        return self.timeout.seconds if self.timeout else ctx.timeout

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = []
        if self.retries < 0 or self.retries > MAX_RETRIES:
            problems.append(f"retries must be between 0 and {MAX_RETRIES}")
        if self.timeout is not None and self.timeout.seconds <= 0:
            problems.append("timeout must be more than 0s")
        if self.wait is not None:
            problems += self.wait.problems()
        if not self.expectations():
            problems.append(f"{self.kind} probe has no expectations; add `expect: [...]`")
        for name, environment in checklist.environments.items():
            for ref in sorted({ref for text in _strings(self) for ref in env_refs(text)}):
                if environment_value(environment, ref) is None:
                    problems.append(f"{{env.{ref}}} is used, but environment '{name}' has no `{ref}`")
            problems += [f"environment '{name}': {problem}" for problem in self._resolve_problems(environment)]
        return problems

    def _resolve_problems(self, environment: Environment) -> list[str]:
        """Why the environment's `resolve` entries for the hosts this probe connects to cannot be
        used by it (an IPv6 address without `ipv6: true`; the loader reports non-addresses)."""
        overrides = {host.lower(): address for host, address in environment.resolve.items() if is_ip(address)}
        connects_to = self.declared_hosts(environment, fields=("url", "host"))
        found = (
            override_problem(host, overrides[host], ipv6=self.ipv6) for host in sorted(connects_to & set(overrides))
        )
        return [problem for problem in found if problem]

    def observe(self, ctx: RunContext) -> ProbeFacts:
        attempt = 0
        while True:
            try:
                facts = self.probe(ctx)
            except TargetError as exc:
                # The message may quote an expanded value: mask every secret this probe uses.
                facts = ProbeFacts(target=self.label(), error=str(exc), secrets=self.secret_values(ctx))
            except RunStopped as exc:  # the run gave up on this probe: no more requests
                return ProbeFacts(target=self.label(), error=str(exc))
            if not (facts.transient and attempt < self.retries) or cancel.stopped(ctx):
                return _masked(facts)
            try:
                cancel.sleep(ctx, min(0.5 * 2**attempt, MAX_BACKOFF_S))
            except RunStopped:
                return _masked(facts)
            attempt += 1

    def judge(self, observation: ProbeFacts) -> Outcome:
        if observation.error is not None:
            return Outcome(status=Status.ERROR, reason=f"{observation.target}: {observation.error}")
        checks = [e.evaluate(observation.facts) for e in self.expectations()]
        details = tuple(c.text for c in checks)
        failed = [c.text for c in checks if c.ok is False]
        unknown = [c.text for c in checks if c.ok is None]
        if failed:
            return Outcome(status=Status.FAIL, reason=_reason(failed, observation), details=details)
        if unknown:
            return Outcome(status=Status.ERROR, reason=_reason(unknown, observation), details=details)
        return Outcome(status=Status.PASS, reason=_reason([c.text for c in checks], observation), details=details)


def _strings(value: Any) -> list[str]:
    """Every string in a probe's config (fields, headers, bodies), to find `{env.*}` uses."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in _strings(getattr(value, f.name))]
    return []


def _reason(texts: list[str], observation: ProbeFacts) -> str:
    return f"{'; '.join(texts)} ({observation.target})"


def _masked(facts: ProbeFacts) -> ProbeFacts:
    if not facts.secrets:
        return facts
    secrets = facts.secrets
    return replace(
        facts,
        target=mask(facts.target, secrets),
        facts=_mask_values(facts.facts, secrets),
        error=mask(facts.error, secrets) if facts.error else None,
        secrets=(),
    )


def _mask_values(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return mask(value, secrets)
    if isinstance(value, Mapping):
        return {_mask_values(k, secrets): _mask_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_values(v, secrets) for v in value]
    return value


__all__ = ["CheckResult", "Probe", "ProbeFacts", "Wait"]
