"""Evaluate a parsed condition against facts: true, false, or an error (None), with its text.

Missing data and values of the wrong type are errors, never passes. `not` keeps an error an
error; `and` fails if any part fails, else errors if any part errs; `or` passes if any part
passes, else errors if any part errs. The text is the condition as written, each fact
followed by its actual value: `status (503) in [200]`, `p95 (412ms) < 300ms`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apiq_gate.conditions import nodes as n
from apiq_gate.conditions.lookup import Broken, Got, Missing, Resolved, items, resolve
from apiq_gate.conditions.values import Grade, equal, kind_of, order, show


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool | None
    text: str
    reasons: tuple[str, ...] = ()


Test = Callable[[Resolved, str], tuple[bool | None, str]]  # (value, its label) -> (ok, why not)


def evaluate(node: n.Condition, facts: Mapping[str, Any]) -> Outcome:
    if isinstance(node, n.Not):
        inner = evaluate(node.inner, facts)
        text = f"not {_grouped(node.inner, inner.text)}"
        return Outcome(None if inner.ok is None else not inner.ok, text, inner.reasons)
    if isinstance(node, n.And | n.Or):
        parts = [evaluate(part, facts) for part in node.parts]
        oks = [p.ok for p in parts]
        decisive = isinstance(node, n.Or)  # `or` is decided by a pass, `and` by a failure
        ok = decisive if decisive in oks else (None if None in oks else not decisive)
        joiner = " or " if decisive else " and "
        text = joiner.join(
            _grouped(part, p.text) if isinstance(node, n.And) else p.text
            for part, p in zip(node.parts, parts, strict=True)
        )
        return Outcome(ok, text, tuple(r for p in parts for r in p.reasons))
    return _predicate(node, facts)


def _grouped(node: n.Condition, text: str) -> str:
    return f"({text})" if isinstance(node, n.And | n.Or) else text


def _predicate(node: n.Predicate, facts: Mapping[str, Any]) -> Outcome:
    subject = _subject(node)
    test, other, other_reasons, like = _test(node, facts)
    if getattr(node, "negated", False):
        test = _negated(test)  # per item, so that all(x.*) not in [...] means "none of them"
    if isinstance(subject, n.Quantifier):
        ok, actual, reasons = _quantified(subject, facts, test, like)
    else:
        value = resolve(subject, facts)
        ok, why = test(value, subject.source)
        actual = "" if isinstance(subject, n.Literal | n.ListLiteral) else _shown(value, like)
        reasons = (*_ran_out(subject, value), *((why,) if why else ()))
    return Outcome(ok, _render(node, subject, actual, other), (*reasons, *other_reasons))


def _subject(node: n.Predicate) -> n.Operand:
    return node.operand if isinstance(node, n.Exists | n.Truthy) else node.left


def _negated(test: Test) -> Test:
    def negated(value: Resolved, label: str) -> tuple[bool | None, str]:
        ok, why = test(value, label)
        return (None if ok is None else not ok), why

    return negated


def _test(node: n.Predicate, facts: Mapping[str, Any]) -> tuple[Test, str, tuple[str, ...], Any]:
    """How one value is tested; the other side as shown, with its reasons; the unit it sets."""
    if isinstance(node, n.Exists):
        return _exists, "", (), None
    if isinstance(node, n.Truthy):
        return _truthy, "", (), None
    if isinstance(node, n.Matches):
        regex = node.regex
        return (
            (lambda v, label: _on_text(v, label, lambda text: regex.search(text) is not None)),
            node.pattern.source,
            (),
            None,
        )
    operand = node.right
    right = resolve(operand, facts)
    other = _side(operand, right, _unit_of(node.left))
    reasons = _ran_out(operand, right)
    if isinstance(node, n.Compare):
        op = node.op
        return (
            (lambda v, label: _compare(op, v, label, right, operand.source)),
            other,
            reasons,
            _unit_of(operand),
        )
    check = _member if isinstance(node, n.Member) else _contains
    return (
        (lambda v, label: check(v, label, right, operand.source)),
        other,
        reasons,
        _unit_of(operand),
    )


def _quantified(
    q: n.Quantifier, facts: Mapping[str, Any], test: Test, like: Any
) -> tuple[bool | None, str, tuple[str, ...]]:
    found = items(q, facts)
    if isinstance(found, Missing | Broken):
        ok, why = test(found, q.operand.source)
        return ok, _shown(found, like), (*_ran_out(q.operand, found), *((why,) if why else ()))
    if not found:
        return None, "no values", (f"{q.operand.source} has nothing to check",)
    results = [(label, value, *test(value, label)) for label, value in found]
    wanted = not q.every  # all() is decided by a failure, any() by a pass
    for decisive in (wanted, None):
        for label, value, ok, why in results:
            if ok is decisive:
                shown = f"{label} missing" if isinstance(value, Missing) else f"{label} = {_shown(value, like)}"
                return decisive, shown, (why,) if why else ()
    values = [value.value for _, value, _, _ in results if isinstance(value, Got)]
    return not wanted, show(values, like), ()


def _render(node: n.Predicate, subject: n.Operand, actual: str, other: str) -> str:
    left = f"{subject.source} ({actual})" if actual else subject.source
    no = "not " if getattr(node, "negated", False) else ""
    if isinstance(node, n.Compare):
        return f"{left} {node.op} {other}"
    if isinstance(node, n.Exists):
        return f"exists({subject.source}) ({actual})" if node.call_form else f"{left} {no}exists"
    if isinstance(node, n.Truthy):
        return left
    word = {n.Member: "in", n.Matches: "matches", n.Contains: "contains"}[type(node)]
    return f"{left} {no}{word} {other}"


def _side(operand: n.Operand, value: Resolved, like: Any) -> str:
    """An operand as shown: literals as written, facts as `source (value)`."""
    if isinstance(operand, n.Literal | n.ListLiteral):
        return operand.source
    return f"{operand.source} ({_shown(value, like)})"


def _shown(value: Resolved, like: Any) -> str:
    if isinstance(value, Missing):
        return "missing"
    if isinstance(value, Broken):
        return "error"
    return show(value.value, like)


def _ran_out(operand: n.Operand, value: Resolved) -> tuple[str, ...]:
    """Where a path ran out, when that is not the path itself: `no json.data`, `json is text`."""
    if isinstance(value, Missing) and (value.why or value.where != operand.source):
        return (value.why or f"no {value.where}",)
    return ()


def _unit_of(operand: n.Operand) -> Any:
    if isinstance(operand, n.Literal):
        return operand.value
    if isinstance(operand, n.ListLiteral):
        return operand.items[0].value
    return None


# --- what one value is tested with -------------------------------------------------


def _exists(value: Resolved, label: str) -> tuple[bool | None, str]:
    return (None, value.why) if isinstance(value, Broken) else (isinstance(value, Got), "")


def _truthy(value: Resolved, label: str) -> tuple[bool | None, str]:
    if not isinstance(value, Got):
        return None, value.why if isinstance(value, Broken) else ""
    if isinstance(value.value, bool):
        return value.value, ""
    return None, f"{label} is {kind_of(value.value)}, not true/false"


def _on_text(value: Resolved, label: str, check: Callable[[str], bool]) -> tuple[bool | None, str]:
    if not isinstance(value, Got):
        return None, value.why if isinstance(value, Broken) else ""
    if not isinstance(value.value, str):
        return None, f"{label} is {kind_of(value.value)}; matches needs text"
    return check(value.value), ""


def _compare(op: str, value: Resolved, label: str, right: Resolved, right_label: str) -> tuple[bool | None, str]:
    if not (isinstance(value, Got) and isinstance(right, Got)):
        return None, _why_not(value, right)
    a, b = value.value, right.value
    if _is_nan(a) or _is_nan(b):
        return None, f"{label if _is_nan(a) else right_label} is not a number (NaN)"
    result = equal(a, b) if op in ("==", "!=") else order(a, b)
    if result is None:
        return None, _mismatch(a, label, b, right_label)
    if op in ("==", "!="):
        return result == (op == "=="), ""
    ops = {"<": result < 0, "<=": result <= 0, ">": result > 0, ">=": result >= 0}
    return ops[op], ""


def _member(value: Resolved, label: str, right: Resolved, right_label: str) -> tuple[bool | None, str]:
    if not (isinstance(value, Got) and isinstance(right, Got)):
        return None, _why_not(value, right)
    a, collection = value.value, right.value
    if isinstance(collection, Mapping):
        collection = list(collection)  # `"x-api" in headers`: one of its keys
    if not isinstance(collection, list | tuple):
        text = isinstance(collection, str)
        hint = f"; to find text in text, write {right_label} contains {label}" if text else ""
        return None, f"{right_label} is {kind_of(collection)}, not a list{hint}"
    results = [equal(a, item) for item in collection]
    if True in results:
        return True, ""
    if collection and all(r is None for r in results):
        return None, f"{label} is {kind_of(a)}; {right_label} holds {kind_of(collection[0])}"
    return False, ""


def _contains(value: Resolved, label: str, right: Resolved, right_label: str) -> tuple[bool | None, str]:
    if not (isinstance(value, Got) and isinstance(right, Got)):
        return None, _why_not(value, right)
    whole, part = value.value, right.value
    if isinstance(whole, str) and isinstance(part, str):
        return part in whole, ""
    if isinstance(whole, list | tuple):
        return any(equal(item, part) for item in whole), ""
    if isinstance(whole, Mapping) and isinstance(part, str):
        return part in whole, ""
    return (
        None,
        f"{label} is {kind_of(whole)} and {right_label} is {kind_of(part)}; "
        "contains needs text in text, or an item in a list",
    )


def _why_not(*values: Resolved) -> str:
    """Why a value cannot be tested; nothing to add when it is missing (the text says so)."""
    return next((value.why for value in values if isinstance(value, Broken)), "")


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _mismatch(a: Any, label: str, b: Any, right_label: str) -> str:
    for grade, text, text_label in ((a, b, right_label), (b, a, label)):
        if isinstance(grade, Grade) and isinstance(text, str):
            return f"{text_label} ({show(text)}) is not a letter grade (A+ … F)"
    return f"{label} is {kind_of(a)}, {right_label} is {kind_of(b)}"
