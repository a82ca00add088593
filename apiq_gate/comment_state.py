"""What the gate keeps inside its own PR comment: a hidden marker and a small versioned state.

The marker (`<!-- apiq-gate:comment gate="APIQ go-live" check="apiq-gate" -->`) tells our
comment from every other, per gate (config name and check name), since several gates may comment
on one PR. The state block records which
run wrote the comment and each item's status, so the next run can show what changed and an
older run never overwrites a newer one. Decoding never raises: a comment edited by hand, a
foreign block or a newer format all read as "no state".

The state must stay small next to the comment's 65,536 characters whatever the checklist's size,
so version 2 keeps each item as a 6-character key (32 bits of a BLAKE2b hash of its id) rather
than the id itself: 1,500 items take 9,000 characters, however long their ids. The next run
hashes its own ids to look them up; a collision (about 1 in 2,000 for 1,500 items) can only
mislabel one row of "what changed". When even that does not fit, the block keeps only the run
(`"keys":null`), so an older run still never overwrites the comment. Version 1 blocks (ids in
clear) are still read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STATE_VERSION = 2
READABLE_VERSIONS = (1, 2)
STATUSES = ("pass", "fail", "error", "pending", "waived", "skipped")
KEY_CHARS = 6  # base64url of 4 hash bytes, without padding
_KEYS = re.compile(rf"(?:[A-Za-z0-9_-]{{{KEY_CHARS}}})*")
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
    statuses: Mapping[str, str] = field(default_factory=dict)  # item id (or its `item_key`, if hashed) -> status
    hashed: bool = False  # statuses are keyed by `item_key(id)`: read from a version 2 block
    complete: bool = True  # False: the block kept only the run (the statuses did not fit), so nothing to compare

    def status_of(self, item_id: str) -> str | None:
        return self.statuses.get(item_key(item_id) if self.hashed else item_id)


def item_key(item_id: str) -> str:
    """The 6 characters a version 2 state keeps for an item id."""
    digest = hashlib.blake2b(item_id.encode("utf-8"), digest_size=4).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:KEY_CHARS]


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


def encode_state(state: CommentState, *, with_items: bool = True) -> str:
    """The hidden state block: one line of JSON, the items' keys run together per status.

    `with_items=False` keeps only the run: for a comment where even the keys do not fit.
    """
    keys: dict[str, str] | None = None
    if with_items and state.complete:
        grouped: dict[str, list[str]] = {}
        for item, status in state.statuses.items():
            grouped.setdefault(status, []).append(item if state.hashed else item_key(item))
        keys = {status: "".join(found) for status, found in grouped.items()}
    data = {
        "v": STATE_VERSION,
        "run_id": state.run_id,
        "run_attempt": state.run_attempt,
        "sha": state.sha,
        "verdict": state.verdict,
        "keys": keys,
    }
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    # JSON escapes keep `-->` and `<!--` out of the comment, whatever a sha holds.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"<!-- apiq-gate:state {text} -->"


def decode_state(body: str) -> CommentState | None:
    """The state in a comment body (version 1 or 2); None for no state, garbage, or a newer version."""
    match = _STATE.search(body) if isinstance(body, str) else None
    if match is None:
        return None
    try:
        data = json.loads(match.group(1))
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not (_count(data.get("v")) and data["v"] in READABLE_VERSIONS):
        return None
    run_id, attempt, sha, verdict = (data.get(k) for k in ("run_id", "run_attempt", "sha", "verdict"))
    if not (_count(run_id) and _count(attempt) and isinstance(sha, str) and isinstance(verdict, str)):
        return None
    run = {"version": data["v"], "run_id": run_id, "run_attempt": attempt, "sha": sha, "verdict": verdict}
    if data["v"] == 1:
        statuses = _v1_statuses(data.get("items"))
        return None if statuses is None else CommentState(**run, statuses=statuses)
    if "keys" not in data:
        return None
    if data["keys"] is None:
        return CommentState(**run, hashed=True, complete=False)
    statuses = _v2_statuses(data["keys"])
    return None if statuses is None else CommentState(**run, statuses=statuses, hashed=True)


def _v1_statuses(items: Any) -> dict[str, str] | None:
    """`{"fail": ["ssl-certificate"], ...}`: ids in clear."""
    if not isinstance(items, dict):
        return None
    statuses: dict[str, str] = {}
    for status, ids in items.items():
        if status not in STATUSES or not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return None
        statuses.update(dict.fromkeys(ids, status))
    return statuses


def _v2_statuses(keys: Any) -> dict[str, str] | None:
    """`{"fail": "Xk3_a9Qm0-bZ", ...}`: 6-character item keys run together."""
    if not isinstance(keys, dict):
        return None
    statuses: dict[str, str] = {}
    for status, joined in keys.items():
        if status not in STATUSES or not isinstance(joined, str) or not _KEYS.fullmatch(joined):
            return None
        for start in range(0, len(joined), KEY_CHARS):
            statuses[joined[start : start + KEY_CHARS]] = str(status)
    return statuses


def may_replace(previous: CommentState | None, run_id: int, run_attempt: int) -> bool:
    """May this run overwrite the comment? Never when the comment holds a newer run's report."""
    return previous is None or (run_id, run_attempt) >= (previous.run_id, previous.run_attempt)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
