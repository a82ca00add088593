"""Checks on a comparison that need no facts, so that a mistake fails when the config loads.

Ordering text, true/false, a status class or a list is refused. So are two unit mistakes
that would otherwise pass silently: a latency (seconds) compared with a number without a
unit (`p95 < 300` would mean five minutes), and a day count compared with a duration
(`tls.days_left >= 21d` would mean 1.8 million days).
"""

from __future__ import annotations

from typing import Any, NoReturn

from apiq_gate.conditions import nodes as n
from apiq_gate.conditions.lexer import ExpectationError, Token
from apiq_gate.conditions.values import (
    GRADES,
    LATENCY_NAMES,
    DurationLiteral,
    Grade,
    SizeLiteral,
    kind_of,
)

_ORDERING = ("<", "<=", ">", ">=")


def check_comparison(op: Token, left: n.Operand, right: n.Operand) -> None:
    """Refuse comparisons whose literal side shows they cannot mean what was meant."""
    for this, other in ((left, right), (right, left)):
        if op.text in _ORDERING and isinstance(other, n.ListLiteral):
            _fail("a list has no order", op, "to test membership, write x in [a, b]")
        if not isinstance(other, n.Literal):
            continue
        if op.text in _ORDERING and not _orderable(other.value):
            hint = (
                f"write {other.value} without quotes to compare grades"
                if _grade_text(other.value)
                else "compare with == or !="
            )
            _fail(f"{other.source} is {kind_of(other.value)}, which has no order", op, hint)
        if _is_latency(this) and _is_plain_number(other.value):
            _fail(
                f"{this.source} is a duration; {other.source} has no unit",
                op,
                f"write e.g. {this.source} {op.text} 300ms",
            )
        if _is_day_count(this) and isinstance(other.value, DurationLiteral):
            _fail(
                f"{this.source} counts days; compare it with a number",
                op,
                f"write e.g. {this.source} {op.text} 21",
            )


def _fail(message: str, token: Token, hint: str) -> NoReturn:
    raise ExpectationError(message, token.column, hint=hint)


def _orderable(value: Any) -> bool:
    return isinstance(value, int | float | DurationLiteral | SizeLiteral | Grade) and not isinstance(value, bool)


def _grade_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper() in GRADES


def _is_plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value != 0


def _is_latency(operand: n.Operand) -> bool:
    if isinstance(operand, n.Call):
        return operand.name == "p"
    if not isinstance(operand, n.Path):
        return False
    segments = operand.segments
    bare = len(segments) == 1
    under_latency = len(segments) == 2 and segments[0] == "latency"
    return (bare or under_latency) and LATENCY_NAMES.fullmatch(segments[-1]) is not None


def _is_day_count(operand: n.Operand) -> bool:
    return isinstance(operand, n.Path) and operand.segments[-1] in ("days_left", "days")
