"""Evidence rows as reviewers read them: the target a probe really hit, said once.

A probe's label is written before the run, so it may hold placeholders (`tls {env.host}:443`,
`http GET {env.url}/health`); the target it hit is known only after, and the probe appends it to
its reason (`days_left (9) >= 21 (app.apiq.example:443)`) or, for an error, puts it first
(`GET https://app.apiq.example/: connection failed: …`). A row shows the label with the real
target (`tls app.apiq.example:443`) and the reason without repeating it. The target is taken
from the reason only when it holds the literal parts of the label in order, so a reason that
merely ends in a parenthesis is left alone. Pure: report data in, plain dicts out.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

# `{env.url}` (the run's environment) and `${TOKEN}` (a secret, masked in the target).
_PLACEHOLDER = re.compile(r"\{env\.[A-Za-z0-9_-]+\}|\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_OPEN = " ("
_ERROR_SEPARATOR = ": "


def shown_evidence(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """`evidence` with `label` naming the real target and `reason` without it.

    Also `config_label` (the label as the config writes it) and `target` (what was hit, or empty
    when the reason does not say).
    """
    label, reason = str(evidence["label"]), str(evidence["reason"])
    kind, _, written = label.partition(" ")
    row = {**evidence, "config_label": label, "target": ""}
    if not written:
        return row
    if reason.startswith(label + _ERROR_SEPARATOR):  # the target could not even be formed: the label is all there is
        return {**row, "reason": reason[len(label) + len(_ERROR_SEPARATOR) :]}
    found = _trailing_target(reason, written) or _leading_target(reason, written)
    if found is None:
        return row
    target, rest = found
    return {**row, "label": f"{kind} {target}", "reason": rest, "target": target}


def _trailing_target(reason: str, written: str) -> tuple[str, str] | None:
    """`checks (target)` → (target, checks); only the last parenthesis (a target has no ` (`)."""
    start = reason.rfind(_OPEN)
    if not reason.endswith(")") or start <= 0:
        return None
    target = reason[start + len(_OPEN) : -1]
    return (target, reason[:start]) if _hits(written, target) else None


def _leading_target(reason: str, written: str) -> tuple[str, str] | None:
    """`target: error` → (target, error); only the first separator (a target has no `: `)."""
    end = reason.find(_ERROR_SEPARATOR)
    if end <= 0:
        return None
    target = reason[:end]
    return (target, reason[end + len(_ERROR_SEPARATOR) :]) if _hits(written, target) else None


def _hits(written: str, target: str) -> bool:
    """Could `target` be what the label `written` in the config became? Its literal parts, in order."""
    return bool(target.strip()) and _pattern(written).search(target) is not None


@functools.lru_cache(maxsize=1024)
def _pattern(written: str) -> re.Pattern[str]:
    return re.compile(".+?".join(re.escape(part) for part in _PLACEHOLDER.split(written)))
