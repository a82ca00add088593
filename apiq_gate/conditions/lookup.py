"""Resolve operands against the facts: paths, wildcards and the value functions.

A value is either there (`Got`), not there (`Missing`, saying where the path ran out), or
could not be computed (`Broken`, saying why). Nothing here raises for odd facts: any
mapping, list or scalar is walked defensively.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apiq_gate.conditions import nodes as n
from apiq_gate.conditions.values import LATENCY_NAMES, is_number, key_text, kind_of
from apiq_gate.percentiles import nearest_rank


@dataclass(frozen=True, slots=True)
class Got:
    value: Any


@dataclass(frozen=True, slots=True)
class Missing:
    where: str  # the first part of the path that is not there
    why: str = ""  # e.g. "json is text", when walking stopped at a value without keys


@dataclass(frozen=True, slots=True)
class Broken:
    why: str


Resolved = Got | Missing | Broken
Items = list[tuple[str, Resolved]]  # (label, value) per item of all()/any()


def resolve(operand: n.Operand, facts: Mapping[str, Any]) -> Resolved:
    if isinstance(operand, n.Literal):
        return Got(operand.value)
    if isinstance(operand, n.ListLiteral):
        return Got([item.value for item in operand.items])
    if isinstance(operand, n.Path):
        return lookup(facts, operand.segments)[0][1]
    if isinstance(operand, n.Call):
        return _call(operand, facts)
    return Broken("all() and any() only start a condition")  # the parser prevents this


def items(quantifier: n.Quantifier, facts: Mapping[str, Any]) -> Items | Missing | Broken:
    """What all()/any() ranges over: a wildcard's matches, a list's items, a mapping's values."""
    inner = quantifier.operand
    if isinstance(inner, n.Path) and "*" in inner.segments:
        found = lookup(facts, inner.segments)
        if len(found) == 1 and isinstance(found[0][1], Missing):
            return found[0][1]  # e.g. the part before the wildcard is not there
        return found
    value = resolve(inner, facts)
    if not isinstance(value, Got):
        return value
    expanded = _children(inner.source, value.value)
    return expanded if isinstance(expanded, list) else Broken(f"{inner.source} is {kind_of(value.value)}, not a list")


def lookup(facts: Mapping[str, Any], segments: tuple[str, ...]) -> Items:
    """Every value a path names, labelled; exactly one unless the path has a `*`."""
    root = segments[0]
    current: Items = [(root, _root(facts, root))]
    for segment in segments[1:]:
        following: Items = []
        for label, found in current:
            if not isinstance(found, Got):
                following.append((label, found))
            elif segment == "*":
                expanded = _children(label, found.value)
                following.extend(expanded if isinstance(expanded, list) else [(label, expanded)])
            else:
                following.append((f"{label}.{segment}", step(found.value, segment, label)))
        current = following
    return current


def step(container: Any, key: str, label: str) -> Resolved:
    """One step down a path: a key of a mapping, an index of a list."""
    where = f"{label}.{key}"
    if isinstance(container, Mapping):
        found = _key(container, key, case_insensitive=label == "headers")
        return found if found is not None else Missing(where)
    if isinstance(container, list | tuple):
        index = key.isascii() and key.isdigit()
        if index and int(key) < len(container):
            return Got(container[int(key)])
        why = f"{label} has {len(container)} items" if index else f"{label} is a list; use an index, e.g. {label}.0"
        return Missing(where, why)
    return Missing(where, f"{label} is {kind_of(container)}")


def _root(facts: Mapping[str, Any], name: str) -> Resolved:
    if not isinstance(facts, Mapping):
        return Missing(name)
    found = _key(facts, name)
    if found is None and LATENCY_NAMES.fullmatch(name):  # `p95` is short for `latency.p95`
        latency = _key(facts, "latency")
        if latency is not None and isinstance(latency.value, Mapping):
            found = _key(latency.value, name)
    return found if found is not None else Missing(name)


def _key(mapping: Mapping[Any, Any], key: str, *, case_insensitive: bool = False) -> Got | None:
    try:
        if key in mapping:
            return Got(mapping[key])
        if case_insensitive:  # HTTP header names
            lowered = key.lower()
            for name, value in mapping.items():
                if isinstance(name, str) and name.lower() == lowered:
                    return Got(value)
    except (TypeError, KeyError):  # an odd Mapping; treat the key as absent
        pass
    return None


def _children(label: str, value: Any) -> Items | Missing:
    if isinstance(value, Mapping):
        return [(f"{label}.{key_text(key)}", Got(item)) for key, item in value.items()]
    if isinstance(value, list | tuple):
        return [(f"{label}.{index}", Got(item)) for index, item in enumerate(value)]
    return Missing(f"{label}.*", f"{label} is {kind_of(value)}, which has no items")


# --- the value functions -----------------------------------------------------------


def _call(call: n.Call, facts: Mapping[str, Any]) -> Resolved:
    (arg,) = call.args
    if call.name in _READERS:  # functions of a literal: header("X"), json("a.b"), p(95), …
        return _READERS[call.name](facts, arg)
    value = resolve(arg, facts)
    if not isinstance(value, Got):
        return value
    if call.name == "len" and isinstance(value.value, str | list | tuple | Mapping):
        return Got(len(value.value))
    if call.name == "lower" and isinstance(value.value, str):
        return Got(value.value.lower())
    needs = "text, a list or a mapping" if call.name == "len" else "text"
    return Broken(f"{call.name}() needs {needs}; {arg.source} is {kind_of(value.value)}")


def _walk(facts: Mapping[str, Any], root: str, keys: list[str]) -> Resolved:
    found = _root(facts, root)
    label = root
    for key in keys:
        if not isinstance(found, Got):
            return found
        found = step(found.value, key, label)
        label = f"{label}.{key}"
    return found


def percentile(facts: Mapping[str, Any], rank: float) -> Resolved:
    """p(N): nearest rank over latency.samples when the probe kept them, else latency.pN."""
    name = f"p{rank:g}"
    latency = _root(facts, "latency")
    if not isinstance(latency, Got) or not isinstance(latency.value, Mapping):
        return latency if isinstance(latency, Missing) else Missing(f"latency.{name}", "latency is not a mapping")
    samples = _key(latency.value, "samples")
    if samples is None:
        return step(latency.value, name, "latency")
    values = samples.value
    if not isinstance(values, list | tuple):
        return Broken(f"latency.samples is {kind_of(values)}, not a list")
    if not all(is_number(v) and not math.isnan(v) for v in values):
        return Broken("latency.samples holds values that are not numbers")
    if not values:
        return Missing("latency.samples.0", "no latency samples")
    return Got(nearest_rank(values, rank))


_READERS: dict[str, Callable[[Mapping[str, Any], Any], Resolved]] = {
    "header": lambda facts, name: _walk(facts, "headers", [name]),
    "json": lambda facts, path: _walk(facts, "json", path.split(".")),
    "accepts": lambda facts, version: _walk(facts, "accepts", [version]),
    "p": percentile,
}
