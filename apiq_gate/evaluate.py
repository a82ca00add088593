"""The pure core: checklist + observations -> item results -> verdict.

Nothing here reads files, the environment, the network or the clock: observations and
`today` come in as data, so every rule below is a table test away.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apiq_gate.model import (
    Checklist,
    EvidenceResult,
    FailOn,
    Item,
    ItemResult,
    Outcome,
    Report,
    SectionResult,
    Severity,
    Status,
    Verdict,
    Waiver,
    blocking_severities,
    passed,
)

EvidenceKey = tuple[str, int]  # (item id, index of the evidence in the item)

# When evidence disagrees, the worst status speaks for the item.
_WORST_FIRST = (Status.FAIL, Status.ERROR, Status.PENDING, Status.PASS)


@dataclass(frozen=True, kw_only=True, slots=True)
class ObserveFailed:
    """Observing raised where it should have returned facts: judged as an error, never a pass."""

    error: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Observed:
    value: Any
    attempts: int = 1
    # Wait mode ended before the passes in a row it asked for: a pass of the last attempt
    # alone does not count. Says so, e.g. "2 of 3 consecutive passes before the 4s wait ended".
    short_of_passes: str | None = None


def in_phase(item: Item, phase: str | None) -> bool:
    return phase is None or phase in (item.phases or ())


def evaluate(
    checklist: Checklist,
    observations: Mapping[EvidenceKey, Observed],
    *,
    phase: str | None,
    environment: str | None,
    fail_on: FailOn,
    now: dt.datetime,
    config_label: str,
    duration_s: float = 0.0,
) -> Report:
    today = now.astimezone(dt.UTC).date()
    waivers = {w.item: w for w in checklist.waivers}
    warnings = [
        f"waiver for '{w.item}' expired on {w.expires.isoformat()} (approved by {w.approved_by}); "
        "the item is judged on its evidence"
        for w in checklist.waivers
        if not w.active_on(today)
    ]
    sections = tuple(
        SectionResult(
            id=section.id,
            title=section.title,
            items=tuple(
                judge_item(
                    section.id, item, observations=observations, waiver=waivers.get(item.id), today=today, phase=phase
                )
                for item in section.items
            ),
        )
        for section in checklist.sections
    )
    items = [i for s in sections for i in s.items]
    return Report(
        gate=checklist.name,
        verdict=verdict(items, fail_on),
        fail_on=fail_on,
        phase=phase,
        environment=environment,
        sections=sections,
        warnings=tuple(warnings),
        counts=count(items),
        generated_at=now,
        config=config_label,
        duration_s=duration_s,
    )


def judge_item(
    section_id: str,
    item: Item,
    *,
    observations: Mapping[EvidenceKey, Observed],
    waiver: Waiver | None,
    today: dt.date,
    phase: str | None,
) -> ItemResult:
    results: tuple[EvidenceResult, ...] = ()
    if not in_phase(item, phase):
        status, reason = Status.SKIPPED, f"not part of the {phase} phase"
    else:
        results = tuple(judge_evidence(item, index, observations) for index in range(len(item.evidence)))
        status, reason = combine([r.outcome for r in results])
    active = waiver if waiver and waiver.active_on(today) else None
    if active and status in (Status.FAIL, Status.ERROR, Status.PENDING):
        status = Status.WAIVED
        reason = f"waived until {active.expires.isoformat()} by {active.approved_by}: {active.reason} (was: {reason})"
    return ItemResult(
        id=item.id,
        title=item.title,
        section=section_id,
        group=item.group,
        severity=item.effective_severity,
        status=status,
        reason=reason,
        evidence=results,
        owner=item.owner,
        docs=item.docs,
        description=item.description,
        waiver=waiver,
        source=item.source,
    )


def judge_evidence(item: Item, index: int, observations: Mapping[EvidenceKey, Observed]) -> EvidenceResult:
    evidence = item.evidence[index]
    observed = observations.get((item.id, index))
    if observed is None:
        outcome = Outcome(status=Status.ERROR, reason="no observation was made (fail closed)")
    elif isinstance(observed.value, ObserveFailed):
        outcome = Outcome(status=Status.ERROR, reason=observed.value.error)
    else:
        try:
            outcome = evidence.judge(observed.value)
        except Exception as exc:
            outcome = Outcome(status=Status.ERROR, reason=f"could not judge {evidence.kind} evidence: {exc!r}")
        if observed.short_of_passes and outcome.status is Status.PASS:
            reason = f"{observed.short_of_passes}; last attempt: {outcome.reason}"
            outcome = Outcome(status=Status.FAIL, reason=reason, details=outcome.details)
        if observed.attempts > 1:  # wait mode re-checked it: every format shows the reason
            reason = f"{outcome.reason} (after {observed.attempts} attempts)"
            outcome = Outcome(status=outcome.status, reason=reason, details=outcome.details)
    attempts = observed.attempts if observed else 0
    return EvidenceResult(kind=evidence.kind, label=evidence.label(), outcome=outcome, attempts=attempts)


def combine(outcomes: list[Outcome]) -> tuple[Status, str]:
    """All evidence must hold; the worst outcome speaks, with every reason of its status."""
    if not outcomes:
        return Status.ERROR, "the item has no evidence"
    for status in _WORST_FIRST:
        reasons = [o.reason for o in outcomes if o.status is status]
        if reasons:
            return status, "; ".join(reasons)
    return Status.ERROR, "unknown evidence status"


def verdict(items: list[ItemResult], fail_on: FailOn) -> Verdict:
    blocking = [i for i in items if i.severity in blocking_severities(fail_on) and not passed(i.status)]
    if any(i.status in (Status.FAIL, Status.ERROR) for i in blocking):
        return Verdict.FAIL
    if blocking:
        return Verdict.PENDING
    return Verdict.PASS


def count(items: list[ItemResult]) -> dict[str, dict[str, int]]:
    """severity -> status -> number of items, every key present (zeros included)."""
    table = {sev.value: {st.value: 0 for st in Status} for sev in Severity}
    for item in items:
        table[item.severity.value][item.status.value] += 1
    return table


def exit_code(report: Report) -> int:
    if report.fail_on is FailOn.NEVER or report.verdict is Verdict.PASS:
        return 0
    return 1
