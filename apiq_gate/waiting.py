"""Wait mode, for right after a deploy: re-observe probes until they pass or their time is up.

Modelled on Azure DevOps release gates and Argo Rollouts analysis: each waiting probe is
re-checked every `interval` until it has passed `consecutive_successes` times in a row or
its `timeout` has passed (the last attempt is made at the timeout, never an interval after
it). The clock and sleep come from the RunContext, so tests don't wait.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from apiq_gate.config_types import format_duration
from apiq_gate.evaluate import EvidenceKey, Observed, ObserveFailed
from apiq_gate.evidence.base import Evidence, RunContext
from apiq_gate.model import Status
from apiq_gate.probes.base import Probe, Wait

ObserveMany = Callable[[Mapping[EvidenceKey, Evidence]], dict[EvidenceKey, Observed]]


@dataclass(kw_only=True, slots=True)
class _Waiting:
    wait: Wait
    deadline: float
    successes: int
    next_at: float

    def shortfall(self) -> str:
        """Why a last pass does not count (judged as a failure only if it did pass)."""
        needed, timeout = self.wait.consecutive_successes, format_duration(self.wait.timeout.seconds)
        return f"{self.successes} of {needed} consecutive passes before the {timeout} wait ended"


def passes(evidence: Evidence, observed: Observed) -> bool:
    if isinstance(observed.value, ObserveFailed):
        return False
    return evidence.judge(observed.value).status is Status.PASS


def wait_for(
    wanted: Mapping[EvidenceKey, Evidence],
    observations: dict[EvidenceKey, Observed],
    ctx: RunContext,
    observe_many: ObserveMany,
    default_wait: Wait | None,
) -> dict[EvidenceKey, Observed]:
    """Re-observe the probes that wait until each is done; returns the final observations."""
    start = ctx.clock()
    waiting: dict[EvidenceKey, _Waiting] = {}
    for key, evidence in wanted.items():
        if not isinstance(evidence, Probe):
            continue
        wait = evidence.wait or (default_wait if evidence.repeatable else None)
        if wait is None:
            continue
        successes = int(passes(evidence, observations[key]))
        if successes < wait.consecutive_successes:
            deadline = start + wait.timeout.seconds
            waiting[key] = _Waiting(
                wait=wait,
                deadline=deadline,
                successes=successes,
                next_at=min(start + wait.interval.seconds, deadline),
            )
    results = dict(observations)
    while waiting:
        now = ctx.clock()
        due = {key: wanted[key] for key, state in waiting.items() if state.next_at <= now}
        if not due:
            ctx.sleep(min(state.next_at for state in waiting.values()) - now)
            continue
        fresh = observe_many(due)
        now = ctx.clock()
        for key, observed in fresh.items():
            state = waiting[key]
            state.successes = state.successes + 1 if passes(wanted[key], observed) else 0
            attempts = results[key].attempts + 1
            results[key] = Observed(value=observed.value, attempts=attempts)
            if state.successes >= state.wait.consecutive_successes:
                del waiting[key]
            elif now >= state.deadline:
                results[key] = Observed(value=observed.value, attempts=attempts, short_of_passes=state.shortfall())
                del waiting[key]
            else:  # the last attempt is at the deadline, never an interval past it
                state.next_at = min(now + state.wait.interval.seconds, state.deadline)
    return results
