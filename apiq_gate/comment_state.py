"""What the gate keeps inside its own PR comment: a hidden marker and a small versioned state.

The marker (`<!-- apiq-gate:comment gate="APIQ go-live" check="apiq-gate" -->`) tells our
comment from every other, per gate (config name and check name), since several gates may comment
on one PR. The state block records which
run wrote the comment and each item's status, so the next run can show what changed and an
older run never overwrites a newer one. Decoding never raises: a comment edited by hand, a
foreign block or a newer format all read as "no state".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STATE_VERSION = 1
STATUSES = ("pass", "fail", "error", "pending", "waived", "skipped")
_STATE = re.compile(r"<!-- apiq-gate:state (\{.*?\}) -->")
_MARKER_SPECIAL = set('%"<>')  # without `>` nothing can close the comment; `"` ends the name


@dataclass(frozen=True, kw_only=True, slots=True)
class CommentState:
    """The run that wrote the comment, and each item's status then."""

    version: int = STATE_VERSION
    run_id: int
    run_attempt: int
    sha: str
    verdict: str
    statuses: Mapping[str, str] = field(default_factory=dict)  # item id -> status


def comment_marker(gate_name: str, check_name: str | None = None) -> str:
    """The hidden first line of the gate's comment; names are escaped so they cannot end the comment.

    With `check_name` (the Action passes its `check-name` input), two jobs judging one config
    under different check names (staging and production, a matrix) keep a comment each. Without
    it, the name-only marker that versions before check names wrote, which the Action still
    recognises so that an existing comment is taken over instead of left behind."""
    check = f' check="{_escaped(check_name)}"' if check_name is not None else ""
    return f'<!-- apiq-gate:comment gate="{_escaped(gate_name)}"{check} -->'


def _escaped(name: str) -> str:
    return "".join(
        char if char.isprintable() and char not in _MARKER_SPECIAL else "".join(f"%{b:02X}" for b in char.encode())
        for char in name
    )


def is_ours(body: str, gate_name: str, check_name: str | None = None) -> bool:
    """Does this comment body belong to this gate? (The Action also checks who wrote it.)"""
    marker = comment_marker(gate_name, check_name)
    return any(line.strip() == marker for line in body.splitlines())


def state_from_report(report: Mapping[str, Any], run_id: int, run_attempt: int, sha: str) -> CommentState:
    return CommentState(
        run_id=run_id,
        run_attempt=run_attempt,
        sha=sha,
        verdict=str(report["verdict"]),
        statuses={item["id"]: item["status"] for section in report["sections"] for item in section["items"]},
    )


def encode_state(state: CommentState) -> str:
    """The hidden state block: compact JSON, item ids grouped by status."""
    by_status: dict[str, list[str]] = {}
    for item_id, status in state.statuses.items():
        by_status.setdefault(status, []).append(item_id)
    data = {
        "v": state.version,
        "run_id": state.run_id,
        "run_attempt": state.run_attempt,
        "sha": state.sha,
        "verdict": state.verdict,
        "items": by_status,
    }
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    # JSON escapes keep `-->` and `<!--` out of the comment, whatever an id or a sha holds.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"<!-- apiq-gate:state {text} -->"


def decode_state(body: str) -> CommentState | None:
    """The state in a comment body; None for no state, garbage, or a version newer than ours."""
    match = _STATE.search(body) if isinstance(body, str) else None
    if match is None:
        return None
    try:
        data = json.loads(match.group(1))
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
        return None
    run_id, attempt, sha, verdict, items = (data.get(k) for k in ("run_id", "run_attempt", "sha", "verdict", "items"))
    if not (
        isinstance(run_id, int)
        and isinstance(attempt, int)
        and _count(run_id)
        and _count(attempt)
        and isinstance(sha, str)
        and isinstance(verdict, str)
        and isinstance(items, dict)
    ):
        return None
    statuses: dict[str, str] = {}
    for status, ids in items.items():
        if status not in STATUSES or not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return None
        statuses.update(dict.fromkeys(ids, status))
    return CommentState(run_id=run_id, run_attempt=attempt, sha=sha, verdict=verdict, statuses=statuses)


def may_replace(previous: CommentState | None, run_id: int, run_attempt: int) -> bool:
    """May this run overwrite the comment? Never when the comment holds a newer run's report."""
    return previous is None or (run_id, run_attempt) >= (previous.run_id, previous.run_attempt)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
