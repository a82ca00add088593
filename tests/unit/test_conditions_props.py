"""Properties of the expectation language: no text crashes the parser, no facts crash evaluation."""

from __future__ import annotations

import re
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiq_gate.conditions import ExpectationError, parse

# No deadlines: a loaded 2-core CI machine must not turn a slow example into a failure.
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST_WITH_FACTS = settings(FAST, max_examples=60)  # generating facts dominates the time

# --- facts: JSON-like values whose keys the generated paths often hit -----------------

KEYS = [
    "status",
    "json",
    "headers",
    "body",
    "tls",
    "grade",
    "a",
    "b",
    "0",
    "1",
    "items",
    "accepts",
    "latency",
    "samples",
    "p95",
    "X-A",
    "x-a",
    "TLSv1.1",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["A+", "B", "f", "ok", "200"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
facts = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), values, max_size=8)

# --- expectations: generated from the grammar, so every one of them is valid ---------


def quoted(text: str) -> str:
    """Text in the language's own quoting: a backslash escapes only the quote and itself."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


ROOTS = ["status", "json", "headers", "body", "tls", "grade", "error_rate", "a", "b"]
SEGMENTS = ["a", "b", "0", "1", "items", "status", "content-type", "X-A"]
paths = st.builds(
    lambda root, rest: ".".join([root, *rest]),
    st.sampled_from(ROOTS),
    st.lists(st.sampled_from(SEGMENTS), max_size=3),
)
wildcards = st.builds(
    lambda path, rest: ".".join([path, "*", *rest]),
    paths,
    st.lists(st.sampled_from(SEGMENTS), max_size=2),
)
numbers = st.integers(-1000, 10**6).map(str) | st.floats(0, 1e6, allow_nan=False).map(
    lambda f: f"{f:.3f}"
)
durations = st.builds(
    lambda v, u: f"{v}{u}", st.integers(0, 999), st.sampled_from(["ms", "s", "m", "h", "d"])
)
sizes = st.builds(
    lambda v, u: f"{v}{u}", st.integers(0, 999), st.sampled_from(["B", "KB", "kB", "MB", "GiB"])
)
grades = st.sampled_from(["A+", "A", "A-", "B+", "B", "C-", "D", "F"])
ordered_literals = numbers | durations | sizes | grades
literals = (
    ordered_literals
    | st.text(max_size=12).map(quoted)
    | st.sampled_from(["true", "false", "null", "2xx", "5xx"])
)
lists = st.lists(literals, min_size=1, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
calls = (
    paths.map(lambda p: f"len({p})")
    | paths.map(lambda p: f"lower({p})")
    | st.sampled_from(['header("X-A")', 'json("a.0")', 'accepts("TLSv1.1")'])
)
subjects = paths | calls
values_ = subjects | literals
regexes = st.sampled_from([r"^ok$", "(?i)json", r"max-age=\d{8}", "a|b", r"\\", ".*"]) | st.text(
    string.printable, max_size=8
).map(re.escape)


def tails(allow_exists: bool) -> st.SearchStrategy[str]:
    no = st.sampled_from(["", "not "])
    forms = [
        st.builds(lambda op, v: f" {op} {v}", st.sampled_from(["==", "!="]), values_),
        st.builds(
            lambda op, v: f" {op} {v}",
            st.sampled_from(["<", "<=", ">", ">="]),
            ordered_literals | subjects,
        ),
        st.builds(lambda n, v: f" {n}in {v}", no, lists | paths),
        st.builds(lambda n, t: f" {n}matches {quoted(t)}", no, regexes),
        st.builds(lambda n, v: f" {n}contains {v}", no, values_),
        st.just(""),  # a bare fact, true or false
    ]
    if allow_exists:
        forms.append(no.map(lambda n: f" {n}exists"))
    return st.one_of(forms)


def predicates(allow_exists: bool) -> st.SearchStrategy[str]:
    quantified = st.builds(
        lambda q, w: f"{q}({w})", st.sampled_from(["all", "any"]), wildcards | paths
    )
    forms = [
        st.builds(lambda s, t: s + t, subjects | quantified, tails(allow_exists)),
        st.builds(
            lambda lit, op, p: f"{lit} {op} {p}", literals, st.sampled_from(["==", "!="]), subjects
        ),
        st.builds(lambda d, op: f"p(95) {op} {d}", durations, st.sampled_from(["<", ">=", "=="])),
    ]
    if allow_exists:
        forms.append(subjects.map(lambda s: f"exists({s})"))
    return st.one_of(forms)


def expectations(allow_exists: bool = True) -> st.SearchStrategy[str]:
    return st.recursive(
        predicates(allow_exists),
        lambda inner: (
            st.builds(
                lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["and", "or"]), inner
            )
            | inner.map(lambda e: f"not ({e})")
            | inner.map(lambda e: f"({e})")
        ),
        max_leaves=5,
    )


TOKENS = [
    "status",
    "json.a.*",
    "==",
    "!=",
    "<",
    ">=",
    "and",
    "or",
    "not",
    "in",
    "matches",
    "contains",
    "exists",
    "(",
    ")",
    "[",
    "]",
    ",",
    "200",
    "2xx",
    "300ms",
    "1MB",
    "-1",
    "B+",
    "F",
    '"ok"',
    "'x",
    "all(",
    "any(",
    "len(",
    "p(",
    "header(",
    "json(",
    "true",
    "null",
    ".",
    "*",
]


# --- the properties ---------------------------------------------------------------------


def parse_error(text: str) -> ExpectationError | None:
    """The error parsing raises, if any; any other exception fails the test."""
    try:
        parse(text)
    except ExpectationError as error:
        return error
    return None


@FAST
@given(st.text(max_size=60))
def test_parse__any_text_parses_or_raises_expectation_error(text):
    error = parse_error(text)
    if error is not None:
        assert error.message
        assert 1 <= error.column <= len(text) + 1


@FAST
@given(st.lists(st.sampled_from(TOKENS), max_size=12), st.sampled_from([" ", ""]))
def test_parse__any_token_soup_parses_or_raises_expectation_error(tokens, separator):
    text = separator.join(tokens)
    error = parse_error(text)
    if error is not None:
        assert error.message
        assert 1 <= error.column <= len(text) + 1


@FAST
@given(expectations())
def test_parse__every_expectation_of_the_grammar_parses(text):
    assert parse(text).text == text


@FAST_WITH_FACTS
@given(expectations(), facts)
def test_evaluate__never_raises_and_not_keeps_an_error_an_error(text, observed):
    result = parse(text).evaluate(observed)
    assert result.ok in (True, False, None)
    assert isinstance(result.text, str)
    assert "could not be evaluated" not in result.text  # the safety net never had to catch
    negated = parse(f"not ({text})").evaluate(observed).ok
    assert negated is (None if result.ok is None else not result.ok)


@FAST
@given(expectations(allow_exists=False))
def test_evaluate__without_exists_no_facts_is_never_a_pass(text):
    assert parse(text).evaluate({}).ok is None
