"""What templates receive: the JSON report data plus a view of it shaped for reviewers.

The view answers the reviewer's questions in order (can we ship; what blocks; who must act;
what changed) and carries the trimming decisions, so every template, a repository's own
included, is trimmed the same way: a `Detail` says how much to show, and the view holds only
that much, with counts of what it left out. Pure: report data in, plain dicts out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from markupsafe import Markup

from apiq_gate.comment_state import item_key
from apiq_gate.render_filters import plural
from apiq_gate.report_detail import BAD, FULL, GOOD, Detail, clipped, limit_evidence, over, section_view, trim_notes
from apiq_gate.report_targets import shown_evidence

SIGNOFF_PREFIX = "sign-off by "
SIGNED_PREFIX = "signed off by "
EXPIRING_SOON_DAYS = 7
LOCAL_POINTER = "Run `apiq-gate check --format markdown` for the full report."


RUN_FIELDS: dict[str, Any] = {
    "repository": "",
    "sha": "",
    "ref": "",
    "event": "",
    "run_id": 0,
    "run_attempt": 0,
    "run_url": "",
    "config_path": "",
    "config_ref": "",
    "config_changed_by_pr": False,
    "config_change_unchecked": False,
    "pr_number": None,
    "server_url": "https://github.com",
    "artifact_name": "",
}


def run_context(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The `run` variable: the run's facts (empty for a local run) and the links made from them."""
    run = {**RUN_FIELDS, **fields}
    base = f"{str(run['server_url']).rstrip('/')}/{run['repository']}" if run["repository"] else ""
    sha = str(run["sha"])
    return {
        **run,
        "local": not run["repository"],
        "short_sha": sha[:7],
        "commit_url": f"{base}/commit/{sha}" if base and sha else "",
        "config_url": f"{base}/blob/{run['config_ref']}/{run['config_path']}"
        if base and run["config_ref"] and run["config_path"]
        else "",
        "pr_url": f"{base}/pull/{run['pr_number']}" if base and run["pr_number"] else "",
    }


def template_context(
    report: Mapping[str, Any],
    *,
    run: Mapping[str, Any],
    previous: Mapping[str, Any] | None = None,
    detail: Detail = FULL,
    target: str = "report",
    limit: int = 0,
    marker: str = "",
    state_block: str = "",
    full_report: str = "",
) -> dict[str, Any]:
    """Every variable a template receives (docs/templates.md describes each)."""
    return {
        "report": report,
        "run": run,
        "view": build_view(report, run=run, previous=previous, detail=detail),
        "target": target,
        "limit": limit,
        # Markdown and HTML comments we made: printed as they are (render.py escapes other text).
        "marker": Markup(marker),
        "state_block": Markup(state_block),
        "full_report": Markup(full_report or LOCAL_POINTER),
    }


def build_view(
    report: Mapping[str, Any], *, run: Mapping[str, Any], previous: Mapping[str, Any] | None, detail: Detail
) -> dict[str, Any]:
    blocking_severities = set(report["totals"]["blocking_severities"])
    sections = [
        (section, [_item(item, section, blocking_severities, run) for item in section["items"]])
        for section in report["sections"]
    ]
    items = [item for _, section_items in sections for item in section_items]
    blockers = [i for i in items if i["blocking"] and i["status"] in BAD]
    # Required sign-offs first: they hold the release; the order within each follows the config.
    awaiting = sorted(
        (i for i in items if i["status"] == "pending"), key=lambda i: i["severity"] not in blocking_severities
    )
    signed = [i for i in items if i["status"] != "pending" and i["signed"]]
    warnings = [i for i in items if i["warning"]]
    waivers = [i for i in items if i["waiver"] and i["waiver"]["active"]]
    changes = _changes(items, previous)
    cap = detail.list_cap
    # Only when the blockers alone would not fit: the first rows stay, blockers before sign-offs.
    rows_cap = detail.blocker_cap
    shown_blockers = blockers if rows_cap is None else blockers[:rows_cap]
    shown_awaiting = awaiting if rows_cap is None else awaiting[: max(rows_cap - len(blockers), 0)]
    trim: dict[str, Any] = {
        "hidden_blockers": len(blockers) - len(shown_blockers),
        "hidden_awaiting": len(awaiting) - len(shown_awaiting),
        "hidden_items": 0,
        "hidden_passing": 0,
        "hidden_evidence": not detail.evidence_rows,
        "capped": {
            "warnings": over(warnings, cap),
            "waivers": over(waivers, cap),
            "signed": over(signed, cap),
            "changes": sum(over(changes[k], cap) for k in ("newly_failing", "newly_passing", "other"))
            if changes
            else 0,
        },
    }
    section_views = [section_view(section, section_items, detail, trim) for section, section_items in sections]
    displayed = shown_blockers + shown_awaiting + warnings[:cap] + [i for s in section_views for i in s["items"]]
    trim["clipped_messages"] = clipped(displayed, {b["id"] for b in blockers}, detail)
    trim["trimmed"] = detail.level > 0
    trim["notes"] = trim_notes(trim, detail)
    return {
        "headline": headline(report, items),
        "actors": _actors(blockers, awaiting),
        "blockers": [limit_evidence(b, detail.blocker_evidence_cap) for b in shown_blockers],
        "awaiting": shown_awaiting,
        "signed": signed[:cap],
        "warnings": warnings[:cap],
        "waivers": waivers[:cap],
        "changes": _cap_changes(changes, cap),
        "sections": section_views,
        "trim": trim,
        "detail": asdict(detail),
        "legend": "✅ pass · ❌ fail · ⚠️ warning · ❗ error · ⏳ awaiting sign-off · 🟡 waived · ⏭️ not in this phase",
    }


def headline(report: Mapping[str, Any], items: list[dict[str, Any]]) -> dict[str, str]:
    """The verdict as one sentence with counts: the comment's first line and the check's title."""
    severities = set(report["totals"]["blocking_severities"])
    noun = "required item" if severities == {"required"} else "blocking item"
    judged = [i for i in items if i["severity"] in severities and i["status"] != "skipped"]
    failing = sum(i["status"] in BAD for i in judged)
    pending = sum(i["status"] == "pending" for i in judged)
    verdict = report["verdict"]
    if verdict == "fail":
        icon, title = "🔴", "Go-live blocked"
        counts = f"{plural(failing, noun)} failing" + (f", {pending} awaiting sign-off" if pending else "")
    elif verdict == "pending":
        icon, title = "⏳", "Awaiting sign-off"
        counts = f"{plural(pending, noun)} {'needs' if pending == 1 else 'need'} a sign-off; nothing fails"
    else:
        passing = sum(i["status"] in GOOD for i in judged)
        waived = sum(i["status"] == "waived" for i in judged)
        icon, title = "🟢", "Ready for go-live"
        counts = f"{passing}/{len(judged)} {noun}s pass" if judged else f"no {noun}s in this run"
        counts += f" ({waived} waived)" if waived else ""
    return {"icon": icon, "verdict": verdict, "title": title, "counts": counts, "text": f"{title}: {counts}"}


def _item(
    item: Mapping[str, Any], section: Mapping[str, Any], blocking_severities: set[str], run: Mapping[str, Any]
) -> dict[str, Any]:
    status = item["status"]
    would_block = item["severity"] in blocking_severities
    warning = status in BAD and not would_block and item["severity"] == "recommended"
    manual = [e for e in item["evidence"] if e["kind"] == "manual"]
    waiver = item.get("waiver")
    return {
        **item,
        "where": section["title"] + (f" › {item['group']}" if item["group"] else ""),  # noqa: RUF001
        "section_title": section["title"],
        "icon": _item_icon(status, would_block, item["severity"]),
        "warning": warning,
        # What keeps the item from passing: the failed evidence of a failing item, else all that is not passing.
        "open_evidence": [
            shown_evidence(e) for e in item["evidence"] if e["status"] in (BAD if status in BAD else BAD | {"pending"})
        ],
        "hidden_evidence": 0,
        "signers": [s for e in manual for s in _signers(e["label"])],
        "signed": [s for e in manual if e["status"] == "pass" for s in _signoffs(e)],
        "expiring_soon": bool(waiver and waiver["active"] and waiver["days_left"] <= EXPIRING_SOON_DAYS),
        "config_url": _config_line_url(item, run),
    }


def _item_icon(status: str, would_block: bool, severity: str) -> str:
    if status in BAD and not would_block:
        return "⚠️" if severity == "recommended" else "ℹ️"  # noqa: RUF001  (the information emoji)
    return {"pass": "✅", "fail": "❌", "error": "❗", "pending": "⏳", "waived": "🟡", "skipped": "⏭️"}.get(
        status, "❔"
    )


def _signers(label: str) -> list[str]:
    """`sign-off by @org/a, @org/b` → ['@org/a', '@org/b']; anyone with write access → []."""
    if not label.startswith(SIGNOFF_PREFIX):
        return []
    who = label.removeprefix(SIGNOFF_PREFIX)
    return [] if who == "a reviewer" else [s.strip() for s in who.split(",") if s.strip()]


def _signoffs(evidence: Mapping[str, Any]) -> list[dict[str, str]]:
    """Who signed and when: `signoffs: [{by, at}]` when the report carries them, else the reason."""
    recorded = evidence.get("signoffs")
    if isinstance(recorded, list):
        return [{"by": str(s.get("by", "")), "at": str(s.get("at", ""))} for s in recorded if isinstance(s, Mapping)]
    reason = str(evidence["reason"])
    return [{"by": reason.removeprefix(SIGNED_PREFIX), "at": ""}] if reason.startswith(SIGNED_PREFIX) else []


def _config_line_url(item: Mapping[str, Any], run: Mapping[str, Any]) -> str:
    source = item.get("source")
    return f"{run['config_url']}#L{source['line']}" if source and run.get("config_url") else ""


def _actors(blockers: list[dict[str, Any]], awaiting: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Who must act: owners of failing items and people who may sign, each with a count."""
    owners = Counter(b["owner"] or "" for b in blockers)
    signers = Counter(s for item in awaiting for s in (item["signers"] or ["a reviewer"]))
    return {
        "owners": [{"who": who, "count": n} for who, n in owners.most_common() if who]
        + ([{"who": "", "count": owners[""]}] if owners[""] else []),
        "signers": [{"who": who, "count": n} for who, n in signers.most_common()],
    }


def _changes(items: list[dict[str, Any]], previous: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if previous is None or not previous.get("complete", True):
        return None  # a first run, or the last comment had no room for its items' statuses
    before: Mapping[str, str] = previous["statuses"]
    key: Callable[[str], str] = item_key if previous.get("hashed") else str  # version 2 states keep hashed ids
    failing, passing, other = [], [], []
    for item in items:
        was, now = before.get(key(item["id"])), item["status"]
        if was == now:
            continue
        row = {**item, "was": was or "", "new": was is None}
        if now in BAD and was not in BAD:
            failing.append(row)
        elif now in GOOD and was in (BAD | {"pending"}):
            passing.append(row)
        elif was is not None:
            other.append(row)
    keys = {key(i["id"]) for i in items}
    return {
        "since": {k: previous[k] for k in ("run_id", "run_attempt", "sha")},
        "newly_failing": failing,
        "newly_passing": passing,
        "other": other,
        "removed": sum(k not in keys for k in before),
        "any": bool(failing or passing or other),
    }


def _cap_changes(changes: dict[str, Any] | None, cap: int | None) -> dict[str, Any] | None:
    if changes is None or cap is None:
        return changes
    return {**changes, **{k: changes[k][:cap] for k in ("newly_failing", "newly_passing", "other")}}
