"""How much a rendering shows: the rungs of the trimming ladder, sections cut to a rung, and the
note that names what was left out.

Trimming works on the data, not on the text, so a repository's own template is trimmed
exactly like ours. Blockers and pending sign-offs stay on every rung of a ladder (only their
long messages are shortened); past it, when they alone exceed the limit, the first are listed
and the rest counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from apiq_gate.render_filters import one_line, plural

BAD = frozenset({"fail", "error"})
GOOD = frozenset({"pass", "waived"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Detail:
    """How much a rendering shows; trimming walks down a ladder of these."""

    level: int = 0
    sections: str = "all"  # which items sections list: all | non-passing | blocking | none
    skipped_rows: bool = False  # list items that are not part of this run's phase
    evidence_rows: bool = True  # evidence lines under non-passing items in sections
    list_cap: int | None = None  # warnings, waivers, changes and signed sign-offs beyond this are counted
    reason_chars: int = 500  # per message, outside the blockers
    blocker_reason_chars: int = 1000  # per message of a blocker
    blocker_evidence_cap: int | None = None  # evidence lines per blocker (one always shows)
    label_chars: int = 120  # per evidence label (what was checked: a URL, a file, a variable)
    title_chars: int = 200  # per item title
    compact: bool = False  # blocker rows without ids, groups, config and docs links (owner kept)
    blocker_cap: int | None = None  # rows of blockers, then of awaiting sign-offs: only when they alone do not fit
    item_states: bool = True  # the comment's hidden state keeps each item's status (False: only the run)


FULL = Detail(skipped_rows=True)  # everything: the full report


def beyond_the_ladder(ladder: tuple[Detail, ...], rows: int, *, drop_item_states: bool = False) -> tuple[Detail, ...]:
    """Rungs for what the shortest rung cannot fit, in order: first the comment's hidden state keeps
    only the run (not each item's status), then ever fewer rows of blockers and sign-offs are listed
    (the rest counted, with a pointer to the full report), down to one. Only a checklist with many
    hundreds of failing items gets here."""
    last = ladder[-1]
    extra = []
    if drop_item_states:
        last = replace(last, level=last.level + 1, item_states=False)
        extra.append(last)
    extra += [replace(last, level=last.level + 1, blocker_cap=cap) for cap in range(rows - 1, 0, -1)]
    return (*ladder, *extra)


def listed_rows(report: Mapping[str, Any]) -> int:
    """Rows of blockers and awaiting sign-offs a rendering lists: never trimmed, only capped as a last resort."""
    items = [i for s in report["sections"] for i in s["items"]]
    return sum((bool(i["blocking"]) and i["status"] in BAD) or i["status"] == "pending" for i in items)


def _shown(item: dict[str, Any], mode: str, skipped_rows: bool) -> bool:
    if item["status"] == "skipped":
        return skipped_rows and mode == "all"
    if mode == "all":
        return True
    if mode == "non-passing":
        return item["status"] not in GOOD
    if mode == "blocking":
        return bool(item["blocking"])
    return False


def section_view(
    section: Mapping[str, Any], items: list[dict[str, Any]], detail: Detail, trim: dict[str, Any]
) -> dict[str, Any]:
    shown = by_group([i for i in items if _shown(i, detail.sections, detail.skipped_rows)])
    shown_ids = {i["id"] for i in shown}
    evaluated = [i for i in items if i["status"] != "skipped"]
    hidden = [i for i in evaluated if i["id"] not in shown_ids]
    trim["hidden_items"] += len(hidden)
    trim["hidden_passing"] += sum(i["status"] in GOOD for i in hidden)
    statuses = Counter(i["status"] for i in items)
    return {
        "id": section["id"],
        "title": section["title"],
        "passed": section["passed"],
        "evaluated": section["evaluated"],
        "icon": _section_icon(evaluated),
        "items": shown,
        "hidden": len(hidden),
        "skipped": statuses["skipped"],
        "counts": dict(statuses),
        "summary": _section_summary(evaluated),
    }


def by_group(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items without a group first, then each group where it first appears, config order within.

    Templates print a group's heading where the group changes; an ungrouped item after a grouped
    one would otherwise read as part of that group, and a group split by another would show twice.
    """
    first_seen: dict[str, int] = {}
    for item in items:
        first_seen.setdefault(item["group"], len(first_seen))
    return sorted(items, key=lambda i: (bool(i["group"]), first_seen[i["group"]]))


def _section_icon(evaluated: list[dict[str, Any]]) -> str:
    if not evaluated:
        return "⏭️"
    if any(i["icon"] in ("❌", "❗") for i in evaluated):
        return "❌"
    if any(i["status"] == "pending" for i in evaluated):
        return "⏳"
    if any(i["warning"] for i in evaluated):
        return "⚠️"
    return "✅"


def _section_summary(evaluated: list[dict[str, Any]]) -> str:
    """`2 failing, 1 awaiting sign-off`: what is not passing in a section, in words."""
    failing = sum(i["icon"] in ("❌", "❗") for i in evaluated)
    parts = [
        f"{failing} failing" if failing else "",
        f"{sum(i['status'] == 'pending' for i in evaluated)} awaiting sign-off"
        if any(i["status"] == "pending" for i in evaluated)
        else "",
        plural(sum(i["warning"] for i in evaluated), "warning") if any(i["warning"] for i in evaluated) else "",
    ]
    return ", ".join(p for p in parts if p)


def limit_evidence(blocker: dict[str, Any], cap: int | None) -> dict[str, Any]:
    if cap is None or len(blocker["open_evidence"]) <= cap:
        return blocker
    return {
        **blocker,
        "open_evidence": blocker["open_evidence"][:cap],
        "hidden_evidence": len(blocker["open_evidence"]) - cap,
    }


def over(rows: list[Any], cap: int | None) -> int:
    return max(len(rows) - cap, 0) if cap is not None else 0


def clipped(displayed: list[dict[str, Any]], blocker_ids: set[str], detail: Detail) -> int:
    """How many shown messages the limits of `detail` shorten (templates clip at the same lengths)."""
    count = 0
    for item in {i["id"]: i for i in displayed}.values():
        limit = detail.blocker_reason_chars if item["id"] in blocker_ids else detail.reason_chars
        texts = [item["reason"]] + [e["reason"] for e in item["open_evidence"]]
        count += any(len(one_line(t)) > limit for t in texts)
    return count


def trim_notes(trim: Mapping[str, Any], detail: Detail) -> list[str]:
    if detail.level == 0:
        return []
    notes = {
        "all": "",
        "non-passing": "sections list only what does not pass"
        + (f" ({plural(trim['hidden_passing'], 'passing item')} not listed)" if trim["hidden_passing"] else ""),
        "blocking": f"sections list only blocking items ({plural(trim['hidden_items'], 'item')} not listed)",
        "none": "sections show counts only",
    }
    found = [notes[detail.sections]]
    hidden = [plural(trim["hidden_blockers"], "blocking item")] if trim["hidden_blockers"] else []
    if trim["hidden_awaiting"]:
        hidden.append(f"{trim['hidden_awaiting']} awaiting sign-off")
    if hidden:
        found.append(" and ".join(hidden) + " not listed")
    if trim["hidden_evidence"] and detail.sections != "none":
        found.append("evidence details left out")
    capped = sum(trim["capped"].values())
    if capped:
        found.append(f"{plural(capped, 'row')} of warnings, waivers, sign-offs and changes left out")
    if trim["clipped_messages"]:
        found.append(f"long messages of {plural(trim['clipped_messages'], 'item')} shortened")
    return [note for note in found if note]
