r"""Expectations: the small, safe language probes are judged with.

An expectation is a string in the config, parsed once when the config loads (never
`eval`), then evaluated against the facts a probe observed. Every result is pass, fail or
**error**, and its text is the expectation with the actual values filled in:
`p95 (412ms) < 300ms`, `days_left (9) >= 21`, `status (503) in [200]`.

Grammar, loosest first::

    expectation := all_of ("or" all_of)*
    all_of      := one ("and" one)*
    one         := "not" one | "(" expectation ")" | predicate
    predicate   := subject (== | != | < | <= | > | >=) value
                 | subject ["not"] in value           -- [a, b], or a fact holding a list
                 | subject ["not"] matches "regex"    -- re.search; (?i) ignores case
                 | subject ["not"] contains value     -- text in text, item in list, key
                 | subject ["not"] exists | exists(value)
                 | subject                            -- a fact that is true or false
    subject     := value | all(value) | any(value)    -- all/any: the predicate per item
    value       := path | function(...) | literal | [literal, ...]

Values
- Paths: `status`, `json.data.items.0.id` (numbers index lists), `hsts.max_age`,
  `headers.content-type` (header names ignore case). A `*` segment (`json.checks.*`) is
  allowed inside all()/any() only. `p95` is short for `latency.p95` when the facts have no
  top-level `p95` (likewise p50, p99, avg, mean, median, min, max).
- Literals: numbers `200`, `0.5`, `-1`; text `"ok"` or `'ok'` (a backslash escapes only
  the quote and itself, so `"max-age=\d{8}"` reaches the regex as written); `true`,
  `false`, `null`; durations `300ms 5s 10m 2h 21d` (compared as seconds); sizes
  `512B 64KB 1MB 1GiB` (bytes); status classes `1xx`..`5xx` (`status in [2xx, 304]`,
  `status == 2xx`); letter grades `A+ A A- B+ … D- F`, ordered with A+ best
  (`grade >= B`; a fact holding "B+" is read as a grade).

Functions: all(x) and any(x), the condition holds for every / some item of x (a wildcard
path, a list, or a mapping's values) · exists(x) · len(x) of text, a list or a mapping ·
lower(x) · header("Name"), in any case · json("a.b") into the JSON body, for keys a path
cannot spell (spaces, unusual characters) · p(95), the nearest-rank percentile of
`latency.samples` (seconds) when the facts hold samples, else `latency.p95` ·
accepts("TLSv1.1"), i.e. `accepts["TLSv1.1"]` of the tls probe.

Semantics
- Missing data is an error, never a pass: `json.status (missing) == "ok"`, and all()/any()
  over nothing is an error too. Only exists / not exists turn "not there" into an answer.
- Values of the wrong type are errors, not false: `status ("200") == 200` says that
  status is text. Anything may be compared with null; NaN is an error.
- `not` keeps an error an error. `and` fails if any part fails, else errs if any part errs;
  `or` passes if any part passes, else errs if any part errs.
- Actual values are shown in the unit of the literal they are compared with (`412ms`,
  `1.5MB`, `5m`), shortened to 80 characters.

Checked when the config loads: syntax, unknown functions, regular expressions, ordering
text or true/false or status classes, a latency (`p95`, `latency.max`, `p(99)`) compared
with a number without a unit (`p95 < 300` would mean five minutes), a day count
(`days_left`) compared with a duration, a wildcard outside all()/any(), a condition that
reads no fact. Each error names the column and how to fix it.

In YAML, write one expectation per `- ` line; quote the whole line ('…') when it contains
`: ` or ` #`, or starts with a quote, `[`, `{` or `*`. In a flow list (`expect: [a, b]`)
commas and brackets split items, so `status in [2xx, 304]` needs quotes or the block form.

Examples (expectation, then its text when it fails)::

    status in [2xx, 304]                  status (503) in [2xx, 304]
    json.status == "ok"                   json.status (missing) == "ok"
    all(json.checks.*) == "ok"            all(json.checks.*) (json.checks.cache = "down") == "ok"
    p95 < 300ms and error_rate == 0       p95 (412ms) < 300ms and error_rate (0.0) == 0
    days_left >= 21                       days_left (9) >= 21
    not accepts("TLSv1.1")                not accepts("TLSv1.1") (true)
    grade >= B                            grade ("C+") >= B
    hsts.max_age >= 180d                  hsts.max_age (5m) >= 180d
    header("Strict-Transport-Security") matches "max-age=\d{8}"
        header("Strict-Transport-Security") ("max-age=300") matches "max-age=\d{8}"
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from apiq_gate import structure as st
from apiq_gate.conditions import nodes
from apiq_gate.conditions.evaluator import evaluate
from apiq_gate.conditions.lexer import ExpectationError
from apiq_gate.conditions.parser import parse_condition
from apiq_gate.conditions.values import shorten

__all__ = ["CheckResult", "Expectation", "ExpectationError", "parse", "parse_all", "unknown_names"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckResult:
    """One expectation judged: ok is True, False, or None when it could not be evaluated."""

    ok: bool | None  # None is an error, never a pass
    text: str  # the expectation with actual values filled in


@dataclass(frozen=True, slots=True)
class Expectation:
    """A parsed expectation; equal when the text is."""

    text: str
    condition: nodes.Condition = field(compare=False, repr=False)

    def __str__(self) -> str:
        return self.text

    @property
    def roots(self) -> frozenset[str]:
        """The top-level fact names it reads (`json` for json(), `headers` for header(), …)."""
        return frozenset(_roots(self.condition))

    def arguments(self, function: str) -> tuple[Any, ...]:
        """The arguments of every call to `function`, e.g. the versions accepts() asks about."""
        return tuple(
            arg
            for node in _nodes(self.condition)
            if isinstance(node, nodes.Call) and node.name == function
            for arg in node.args
        )

    def evaluate(self, facts: Mapping[str, Any]) -> CheckResult:
        """Judge the facts. Never raises: anything unforeseen becomes an error result."""
        try:
            outcome = evaluate(self.condition, facts)
        except Exception as exc:  # a bug here must not hide the other checks, nor crash a run
            return CheckResult(ok=None, text=f"{self.text}: could not be evaluated ({type(exc).__name__})")
        reasons = list(dict.fromkeys(r for r in outcome.reasons if r))
        if outcome.ok is not True and reasons:
            return CheckResult(ok=outcome.ok, text=f"{outcome.text}: {shorten('; '.join(reasons), 200)}")
        return CheckResult(ok=outcome.ok, text=outcome.text)

    @classmethod
    def __structure__(cls, node: yaml.Node, s: st.Structurer, path: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            return s.problem(
                node,
                path,
                "expected an expectation, got a mapping",
                "quote the whole expectation: YAML reads ': ' as a key",
            )
        if not (isinstance(node, yaml.ScalarNode) and node.tag == st.STR):
            return s.problem(
                node,
                path,
                f"expected an expectation such as `status == 200`, got {st.describe(node)}",
                "write it as text",
            )
        try:
            return parse(node.value)
        except ExpectationError as exc:
            return s.problem(node, path, f"invalid expectation {exc.describe()}", exc.hint)

    @classmethod
    def __schema__(cls, schemas: st.SchemaBuilder) -> dict[str, Any]:
        return {
            "type": "string",
            "minLength": 1,
            "description": "An expectation on the probe's facts, e.g. `status in [2xx, 304]`, "
            "`p95 < 300ms`, `grade >= B`.",
            "examples": [
                "status == 200",
                'json.status == "ok"',
                "p95 < 300ms",
                "days_left >= 21",
            ],
        }


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Expectation:
    """Parse an expectation; ExpectationError says what is wrong, where, and how to fix it."""
    try:
        return Expectation(text, parse_condition(text))
    except ExpectationError as exc:
        raise ExpectationError(exc.message, exc.column, hint=exc.hint, text=text) from None
    except RecursionError:  # the parser limits nesting; this is a second line of defence
        raise ExpectationError("nested too deeply", 1, hint="split it into several expectations", text=text) from None


def parse_all(texts: Iterable[str]) -> tuple[Expectation, ...]:
    return tuple(parse(text) for text in texts)


def unknown_names(expectation: Expectation, known: Collection[str]) -> list[str]:
    """Problems for the top-level names a probe kind never reports, with a suggestion each."""
    problems = []
    for name in sorted(expectation.roots - set(known)):
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f"did you mean {close[0]}?" if close else f"this probe reports {', '.join(sorted(known))}"
        problems.append(f"'{name}' in `{expectation.text}` is not a fact of this probe; {hint}")
    return problems


def _roots(node: Any) -> Iterable[str]:
    implied = {"header": "headers", "json": "json", "p": "latency", "accepts": "accepts"}
    for found in _nodes(node):
        if isinstance(found, nodes.Path):
            yield found.segments[0]
        elif isinstance(found, nodes.Call) and found.name in implied:
            yield implied[found.name]


def _nodes(node: Any) -> Iterable[Any]:
    """Every node of a condition, operands included."""
    if isinstance(node, nodes.And | nodes.Or):
        for part in node.parts:
            yield from _nodes(part)
        return
    if node is None or isinstance(node, str | float):  # absent, or a function's literal argument
        return
    yield node
    if isinstance(node, nodes.Call):
        for arg in node.args:
            yield from _nodes(arg)
    for name in ("inner", "operand", "left", "right"):
        yield from _nodes(getattr(node, name, None))
