"""The values of the expectation language, and how actual values are shown in results.

Literals with a unit keep what they mean: a duration compares as seconds, a size as bytes,
a status class (`2xx`) as a range of codes, a letter grade (`B+`) by its rank. `equal` and
`order` say None when two values cannot be compared, which the evaluator reports as an
error. Facts are whatever a probe returned, so showing them is defensive: bounded in
depth, items and length.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apiq_gate.config_types import format_duration, format_size

MAX_SHOWN = 80  # characters of one actual value in a result text
_MAX_ITEMS = 8  # items of a list or mapping shown before "…"
_MAX_DEPTH = 3
_MAX_EQUAL_DEPTH = 16  # nested lists compared item by item

# Latency aggregates, in seconds; bare `p95` is short for `latency.p95`.
LATENCY_NAMES = re.compile(r"p\d+(\.\d+)?|avg|mean|median|min|max")
# The MDN HTTP Observatory's grades, best first.
GRADES = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F")


@dataclass(frozen=True, slots=True)
class DurationLiteral:
    """`300ms`, `5s`, `21d`: compared with a number of seconds."""

    seconds: float


@dataclass(frozen=True, slots=True)
class SizeLiteral:
    """`512KB`, `1MB`: compared with a number of bytes."""

    size: int


@dataclass(frozen=True, slots=True)
class StatusClass:
    """`2xx`: every HTTP status from 200 to 299."""

    digit: int

    def holds(self, code: int) -> bool:
        return code // 100 == self.digit


@dataclass(frozen=True, slots=True)
class Grade:
    """A letter grade, `A+` best and `F` worst; a higher rank is better."""

    letter: str

    @property
    def rank(self) -> int:
        return len(GRADES) - GRADES.index(self.letter)


def grade_of(value: Any) -> Grade | None:
    """The grade a fact holds (`"B+"`, `"b+"`), or None if it is not one."""
    if isinstance(value, str) and value.strip().upper() in GRADES:
        return Grade(value.strip().upper())
    return None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_of(value: Any) -> float | int | None:
    """The number a value compares as: plain numbers, durations (seconds) and sizes (bytes)."""
    if is_number(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, DurationLiteral):
        return value.seconds
    if isinstance(value, SizeLiteral):
        return value.size
    return None


def kind_of(value: Any) -> str:
    """What a value is, in the words of an error message."""
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    if is_number(value):
        return "not a number (NaN)" if isinstance(value, float) and math.isnan(value) else "a number"
    names = {
        str: "text",
        DurationLiteral: "a duration",
        SizeLiteral: "a size",
        StatusClass: "a status class",
        Grade: "a grade",
    }
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"an unsupported value ({type(value).__name__})"


def key_text(key: Any) -> str:
    """A mapping key as text; facts from JSON have text keys, anything else is shown safely."""
    return key if isinstance(key, str) else _show(key, None, _MAX_DEPTH)


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show(value: Any, like: Any = None) -> str:
    """An actual value as a reader wants it: `412ms` next to `300ms`, `"ok"`, `[1, 2]`."""
    return shorten(_show(value, like, 0))


def _show(value: Any, like: Any, depth: int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if is_number(value):
        return _number(value, like)
    if isinstance(value, str):
        return json.dumps(value[: MAX_SHOWN + 1], ensure_ascii=False)
    if isinstance(value, list | tuple | Mapping):
        if depth >= _MAX_DEPTH:
            return "[…]" if isinstance(value, list | tuple) else "{…}"
        return _container(value, like, depth)
    return f"<{type(value).__name__}>"


def _container(value: list[Any] | tuple[Any, ...] | Mapping[Any, Any], like: Any, depth: int) -> str:
    parts = []
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    for count, (key, item) in enumerate(items):
        if count == _MAX_ITEMS:
            parts.append("…")
            break
        shown = _show(item, like, depth + 1)
        parts.append(f"{_show(key_text(key), None, depth)}: {shown}" if isinstance(value, Mapping) else shown)
    return ("{%s}" if isinstance(value, Mapping) else "[%s]") % ", ".join(parts)


def _number(value: float, like: Any) -> str:
    if isinstance(value, int) and value.bit_length() > 64:
        return f"<a {value.bit_length()}-bit number>"  # str() of a huge int is slow, or refused
    if not math.isfinite(value):
        return str(value)
    if isinstance(like, DurationLiteral):
        return _duration(value)
    if isinstance(like, SizeLiteral):
        return format_size(value)
    if isinstance(value, float):
        text = repr(value)
        return text if len(text) <= 12 else f"{value:.6g}"
    return str(value)


def _duration(seconds: float) -> str:
    if 0 < abs(seconds) < 0.001:
        return f"{seconds * 1000:.2g}ms"  # format_duration would round these to 0ms
    return format_duration(seconds)


# --- the semantics of == and < -----------------------------------------------------


def equal(a: Any, b: Any, depth: int = 0) -> bool | None:
    """Whether a equals b; None if they cannot be compared (text with a number, …)."""
    for x, y in ((a, b), (b, a)):
        if isinstance(x, StatusClass):
            return x.holds(y) if isinstance(y, int) and not isinstance(y, bool) else None
        if isinstance(x, Grade):
            grade = grade_of(y) if isinstance(y, str) else y if isinstance(y, Grade) else None
            return grade == x if grade is not None else None
    if a is None or b is None:
        return a is b  # anything may be compared with null
    if _is_nan(a) or _is_nan(b):
        return None  # NaN equals nothing, not even itself: no answer to give
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else None
    x, y = number_of(a), number_of(b)
    if x is not None and y is not None:
        return bool(x == y)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and depth < _MAX_EQUAL_DEPTH:
        return len(a) == len(b) and all(equal(p, q, depth + 1) is True for p, q in zip(a, b, strict=False))
    return None


def order(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 as a is below, at or above b; None if they have no common order."""
    if isinstance(a, Grade) or isinstance(b, Grade):
        x, y = (grade_of(v) if isinstance(v, str) else v for v in (a, b))
        if not (isinstance(x, Grade) and isinstance(y, Grade)):
            return None
        return (x.rank > y.rank) - (x.rank < y.rank)
    p, q = number_of(a), number_of(b)
    if p is None or q is None:
        return None
    return (p > q) - (p < q)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)
