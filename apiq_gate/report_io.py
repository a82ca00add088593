"""The versioned JSON report: what `check --format json` writes and the Action, templates and
`render` consume (documented by schema/report.schema.json, checked by a test); and its formats."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from apiq_gate import __version__
from apiq_gate.evaluate import exit_code
from apiq_gate.model import ItemResult, Report, Status, blocking_severities, passed

REPORT_VERSION = 1


def report_to_data(report: Report) -> dict[str, Any]:
    items = report.items()
    blocking = {i.id for i in report.blocking()}
    today = report.generated_at.astimezone(dt.UTC).date()  # waivers expire by the UTC day, as in evaluate
    return {
        "report_version": REPORT_VERSION,
        "tool": {"name": "apiq-gate", "version": __version__},
        "gate": report.gate,
        "verdict": report.verdict.value,
        "fail_on": report.fail_on.value,
        "exit_code": exit_code(report),
        "phase": report.phase,
        "environment": report.environment,
        "config": report.config,
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "duration_s": round(report.duration_s, 3),
        "counts": report.counts,
        "totals": {
            "items": len(items),
            "evaluated": sum(i.status is not Status.SKIPPED for i in items),
            "passed": sum(i.status is Status.PASS for i in items),
            "blocking": len(blocking),
            "blocking_severities": sorted(s.value for s in blocking_severities(report.fail_on)),
        },
        "warnings": list(report.warnings),
        "sections": [
            {
                "id": section.id,
                "title": section.title,
                "passed": sum(passed(i.status) and i.status is not Status.SKIPPED for i in section.items),
                "evaluated": len(section.evaluated),
                "items": [_item(item, item.id in blocking, today) for item in section.items],
            }
            for section in report.sections
        ],
        **report.extra,
    }


def _item(item: ItemResult, blocking: bool, today: dt.date) -> dict[str, Any]:
    waiver = item.waiver
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "group": item.group,
        "severity": item.severity.value,
        "status": item.status.value,
        "blocking": blocking,
        "reason": item.reason,
        "owner": item.owner,
        "docs": item.docs,
        "source": {"file": item.source.file, "line": item.source.line} if item.source else None,
        "waiver": None
        if waiver is None
        else {
            "reason": waiver.reason,
            "approved_by": waiver.approved_by,
            "expires": waiver.expires.isoformat(),
            "active": waiver.active_on(today),
            "days_left": (waiver.expires - today).days,
        },
        "evidence": [
            {
                "kind": e.kind,
                "label": e.label,
                "status": e.outcome.status.value,
                "reason": e.outcome.reason,
                "details": list(e.outcome.details),
                "attempts": e.attempts,
            }
            for e in item.evidence
        ],
    }


TEMPLATE_BY_FORMAT = {"text": "report.txt.j2", "markdown": "report.md.j2"}


def format_report(report: Report, fmt: str) -> str:
    """The report as text, markdown (rendered from templates/) or JSON."""
    data = report_to_data(report)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    from apiq_gate.render import render  # noqa: PLC0415

    return render(TEMPLATE_BY_FORMAT[fmt], data)
