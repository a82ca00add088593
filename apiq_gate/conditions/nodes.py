"""The parsed form of an expectation: frozen nodes, each keeping its source text.

Operands (`Literal`, `ListLiteral`, `Path`, `Call`, `Quantifier`) name values; conditions
(`Compare`, `Member`, `Matches`, `Contains`, `Exists`, `Truthy`, `Not`, `And`, `Or`) are
true, false or an error. Results are rendered from the operands' `source`, so a failure
reads the way the expectation was written, with actual values filled in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any  # int, float, str, bool, None, or a literal from values.py
    source: str


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Literal, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Path:
    """A dotted path into the facts; `*` segments only inside all()/any()."""

    segments: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Call:
    """len(x), lower(x), header("X"), json("a.b"), p(95), accepts("TLSv1.1")."""

    name: str
    args: tuple[Any, ...]  # operands, or plain str/float for the literal-argument functions
    source: str


@dataclass(frozen=True, slots=True)
class Quantifier:
    """all(x) / any(x): the condition around it must hold for every / some item of x."""

    every: bool
    operand: Path | Call
    source: str


Operand = Literal | ListLiteral | Path | Call | Quantifier


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == != < <= > >=
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Member:
    left: Operand
    right: Operand  # a list literal, or a path to a list or mapping
    negated: bool


@dataclass(frozen=True, slots=True)
class Matches:
    left: Operand
    pattern: Literal
    regex: re.Pattern[str]
    negated: bool


@dataclass(frozen=True, slots=True)
class Contains:
    left: Operand
    right: Operand
    negated: bool


@dataclass(frozen=True, slots=True)
class Exists:
    operand: Operand
    negated: bool
    call_form: bool  # written exists(x) rather than x exists


@dataclass(frozen=True, slots=True)
class Truthy:
    """A bare operand used as a condition: `verified`, `accepts("TLSv1.1")`."""

    operand: Operand


@dataclass(frozen=True, slots=True)
class Not:
    inner: Condition


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Condition, ...]


Predicate = Compare | Member | Matches | Contains | Exists | Truthy
Condition = Predicate | Not | And | Or
