"""The expectation language: what a user writes, and what they read back."""

from __future__ import annotations

import dataclasses
import math
import re

import jsonschema
import pytest
import yaml

from apiq_gate.conditions import (
    CheckResult,
    Expectation,
    ExpectationError,
    parse,
    parse_all,
    unknown_names,
)
from apiq_gate.structure import SchemaBuilder, Structurer

FACTS = {
    "status": 503,
    "headers": {
        "Content-Type": "application/json",
        "Strict-Transport-Security": "max-age=300",
        "Set-Cookie": "id=1",
    },
    "json": {
        "status": "ok",
        "checks": {"db": "ok", "cache": "down"},
        "items": [{"id": 1, "price": 3}, {"id": 2, "price": 12}],
        "tags": ["beta", "eu"],
        "data": None,
        "a-b": {"c.d": 1},
    },
    "body": "x" * 500,
    "size": 1_500_000,
    "latency": {
        "p50": 0.12,
        "p95": 0.412,
        "p99": 0.9,
        "max": 1.2,
        "samples": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
    },
    "error_rate": 0.0,
    "tls": {"days_left": 9, "verified": False},
    "accepts": {"TLSv1.1": True, "TLSv1.0": None},
    "hsts": {"max_age": 300},
    "grade": "C+",
    "ratio": math.nan,
}


def check(text: str, facts: dict | None = None) -> CheckResult:
    return parse(text).evaluate(FACTS if facts is None else facts)


@pytest.mark.parametrize(
    ("text", "ok", "shown"),
    [
        # the texts of the issue
        ("status in [200]", False, "status (503) in [200]"),
        ("tls.days_left >= 21", False, "tls.days_left (9) >= 21"),
        ("p95 < 300ms", False, "p95 (412ms) < 300ms"),
        (
            r'header("Strict-Transport-Security") matches "max-age=\d{8}"',
            False,
            r'header("Strict-Transport-Security") ("max-age=300") matches "max-age=\d{8}"',
        ),
        # status codes and classes
        ("status == 503", True, "status (503) == 503"),
        ("status != 503", False, "status (503) != 503"),
        ("status in [2xx, 304]", False, "status (503) in [2xx, 304]"),
        ("status == 5xx", True, "status (503) == 5xx"),
        ("status != 5xx", False, "status (503) != 5xx"),
        ("status not in [2xx, 3xx]", True, "status (503) not in [2xx, 3xx]"),
        # units: the actual is shown in the unit of the literal it is compared with
        ("latency.p99 <= 1s", True, "latency.p99 (900ms) <= 1s"),
        ("latency.max > 1s", True, "latency.max (1.2s) > 1s"),
        ("300ms > p95", False, "300ms > p95 (412ms)"),
        ("hsts.max_age >= 180d", False, "hsts.max_age (5m) >= 180d"),
        ("size < 1MB", False, "size (1.5MB) < 1MB"),
        ("size >= 512KB", True, "size (1.5MB) >= 512KB"),
        ("error_rate == 0", True, "error_rate (0.0) == 0"),
        ("error_rate < 0.01", True, "error_rate (0.0) < 0.01"),
        # p(): nearest rank over the samples (10 samples: p95 is the 10th, p50 the 5th)
        ("p(95) < 1s", False, "p(95) (1s) < 1s"),
        ("p(50) <= 500ms", True, "p(50) (500ms) <= 500ms"),
        ("p(10) == 100ms", True, "p(10) (100ms) == 100ms"),
        # text
        ('json.status == "ok"', True, 'json.status ("ok") == "ok"'),
        ("json.status == 'ok'", True, "json.status (\"ok\") == 'ok'"),
        ('json.status matches "^o"', True, 'json.status ("ok") matches "^o"'),
        ('json.status not matches "(?i)OK"', False, 'json.status ("ok") not matches "(?i)OK"'),
        (
            'header("content-type") contains "json"',
            True,
            'header("content-type") ("application/json") contains "json"',
        ),
        (
            'headers.content-type == "application/json"',
            True,
            'headers.content-type ("application/json") == "application/json"',
        ),
        (
            'lower(header("Content-Type")) == "application/json"',
            True,
            'lower(header("Content-Type")) ("application/json") == "application/json"',
        ),
        ('json.tags contains "eu"', True, 'json.tags (["beta", "eu"]) contains "eu"'),
        ('json.tags not contains "us"', True, 'json.tags (["beta", "eu"]) not contains "us"'),
        ('json.status in ["ok", "degraded"]', True, 'json.status ("ok") in ["ok", "degraded"]'),
        ('"eu" in json.tags', True, '"eu" in json.tags (["beta", "eu"])'),
        (
            'json contains "checks"',
            True,
            'json ({"status": "ok", "checks": {"db": "ok", "cache": "down"}, "items": [{"id": 1, '
            '"…) contains "checks"',
        ),
        # paths, indexes and json()
        ("json.items.1.id == 2", True, "json.items.1.id (2) == 2"),
        ('json("a-b") exists', True, 'json("a-b") ({"c.d": 1}) exists'),
        ("json.a-b exists", True, 'json.a-b ({"c.d": 1}) exists'),
        ("len(json.items) == 2", True, "len(json.items) (2) == 2"),
        ("len(json.checks) >= 3", False, "len(json.checks) (2) >= 3"),
        # booleans, exists
        ("tls.verified", False, "tls.verified (false)"),
        ("tls.verified == false", True, "tls.verified (false) == false"),
        ('not accepts("TLSv1.1")', False, 'not accepts("TLSv1.1") (true)'),
        ("json.data == null", True, "json.data (null) == null"),
        ("json.status != null", True, 'json.status ("ok") != null'),
        ("json.status exists", True, 'json.status ("ok") exists'),
        ("json.nope exists", False, "json.nope (missing) exists"),
        ("json.nope not exists", True, "json.nope (missing) not exists"),
        ('header("Server") not exists', True, 'header("Server") (missing) not exists'),
        ("exists(json.data)", True, "exists(json.data) (null)"),
        # grades: A+ > A > A- > B+ > … > F
        ("grade >= B", False, 'grade ("C+") >= B'),
        ("grade >= C", True, 'grade ("C+") >= C'),
        ("grade > C", True, 'grade ("C+") > C'),
        ("grade < B-", True, 'grade ("C+") < B-'),
        ("grade == C+", True, 'grade ("C+") == C+'),
        ('grade == "C+"', True, 'grade ("C+") == "C+"'),
        ("grade in [A+, A, A-]", False, 'grade ("C+") in [A+, A, A-]'),
        # all() and any(): the deciding item is named
        (
            'all(json.checks.*) == "ok"',
            False,
            'all(json.checks.*) (json.checks.cache = "down") == "ok"',
        ),
        ('any(json.checks.*) == "ok"', True, 'any(json.checks.*) (json.checks.db = "ok") == "ok"'),
        (
            'any(json.checks.*) == "broken"',
            False,
            'any(json.checks.*) (["ok", "down"]) == "broken"',
        ),
        (
            "all(json.items.*.price) < 10",
            False,
            "all(json.items.*.price) (json.items.1.price = 12) < 10",
        ),
        ("all(json.items.*.id) > 0", True, "all(json.items.*.id) ([1, 2]) > 0"),
        ("all(json.items.*.id) not in [3, 4]", True, "all(json.items.*.id) ([1, 2]) not in [3, 4]"),
        (
            "all(json.items.*.id) not in [2]",
            False,
            "all(json.items.*.id) (json.items.1.id = 2) not in [2]",
        ),
        (
            "all(json.tags) matches '^[a-z]+$'",
            True,
            'all(json.tags) (["beta", "eu"]) matches \'^[a-z]+$\'',
        ),
        (
            "any(json.items.*.id) == 2 and all(json.items.*) exists",
            True,
            'any(json.items.*.id) (json.items.1.id = 2) == 2 and all(json.items.*) ([{"id": 1, '
            '"price": 3}, {"id": 2, "price": 12}]) exists',
        ),
    ],
)
def test_evaluate__result_and_text_with_actual_values(text, ok, shown):
    result = check(text)
    assert (result.ok, result.text) == (ok, shown)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # missing data is an error, never a pass; the text says where the path ran out
        ('json.nope == "ok"', 'json.nope (missing) == "ok"'),
        ('json.nope != "ok"', 'json.nope (missing) != "ok"'),
        ("json.data.x == 1", "json.data.x (missing) == 1: json.data is null"),
        ("json.items.5.id == 1", "json.items.5.id (missing) == 1: json.items has 2 items"),
        (
            "json.items.x == 1",
            "json.items.x (missing) == 1: json.items is a list; use an index, e.g. json.items.0",
        ),
        ("json.x.y.z == 1", "json.x.y.z (missing) == 1: no json.x"),
        ("not json.nope == 1", "not json.nope (missing) == 1"),
        ("json.nope", "json.nope (missing)"),
        ('accepts("TLSv1.3")', 'accepts("TLSv1.3") (missing): no accepts.TLSv1.3'),
        ('json("a-b.c.d") == 1', 'json("a-b.c.d") (missing) == 1: no json.a-b.c'),
        (
            'accepts("TLSv1.0")',
            'accepts("TLSv1.0") (null): accepts("TLSv1.0") is null, not true/false',
        ),
        ('all(json.nope.*) == "ok"', 'all(json.nope.*) (missing) == "ok": no json.nope'),
        (
            'all(json.status.*) == "ok"',
            'all(json.status.*) (missing) == "ok": json.status is text, which has no items',
        ),
        (
            "all(json.items.*.weight) > 0",
            "all(json.items.*.weight) (json.items.0.weight missing) > 0",
        ),
        ('any(json.data) == "x"', 'any(json.data) (error) == "x": json.data is null, not a list'),
        # type mismatches are errors, with both sides named
        ('status == "503"', 'status (503) == "503": status is a number, "503" is text'),
        ('status in ["503"]', 'status (503) in ["503"]: status is a number; ["503"] holds text'),
        ("json.status > 3", 'json.status ("ok") > 3: json.status is text, 3 is a number'),
        ("json.status < 3s", 'json.status ("ok") < 3s: json.status is text, 3s is a duration'),
        (
            "tls.verified == 1",
            "tls.verified (false) == 1: tls.verified is true/false, 1 is a number",
        ),
        ("json.status", 'json.status ("ok"): json.status is text, not true/false'),
        (
            '"o" in json.status',
            '"o" in json.status ("ok"): json.status is text, not a list; to find text in text, '
            'write json.status contains "o"',
        ),
        (
            "status matches '^5'",
            "status (503) matches '^5': status is a number; matches needs text",
        ),
        (
            "body contains 3",
            'body ("'
            + "x" * 78
            + "…) contains 3: body is text and 3 is a number; contains needs text in text, or an "
            "item in a list",
        ),
        (
            "len(status) > 1",
            "len(status) (error) > 1: len() needs text, a list or a mapping; status is a number",
        ),
        (
            "lower(status) == 'x'",
            "lower(status) (error) == 'x': lower() needs text; status is a number",
        ),
        (
            "json.status >= B",
            'json.status ("ok") >= B: json.status ("ok") is not a letter grade (A+ … F)',
        ),
        ("ratio < 1", "ratio (nan) < 1: ratio is not a number (NaN)"),
        (
            "json.checks == json.checks",
            'json.checks ({"db": "ok", "cache": "down"}) == json.checks ({"db": "ok", "cache": '
            '"down"}): json.checks is a mapping, json.checks is a mapping',
        ),
    ],
)
def test_evaluate__missing_data_and_wrong_types_are_errors(text, shown):
    result = check(text)
    assert (result.ok, result.text) == (None, shown)


def test_evaluate__status_class_needs_a_numeric_status():
    result = check("status in [2xx, 304]", {"status": "200"})
    assert (result.ok, result.text) == (
        None,
        'status ("200") in [2xx, 304]: status is text; [2xx, 304] holds a status class',
    )


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        # or: passes if any side passes, else an error if any side errs
        ("status == 503 or json.nope == 1", True),
        ("json.nope == 1 or status == 503", True),
        ("status == 200 or json.nope == 1", None),
        ("status == 200 or status == 201", False),
        # and: fails if any side fails, else an error if any side errs
        ("status == 200 and json.nope == 1", False),
        ("json.nope == 1 and status == 200", False),
        ("status == 503 and json.nope == 1", None),
        ("status == 503 and status != 200", True),
        # not keeps an error an error
        ("not json.nope == 1", None),
        ("not (status == 503 and json.nope == 1)", None),
        ("not (status == 200 and json.nope == 1)", True),
        ("not not status == 503", True),
        # precedence: and binds tighter than or; not tighter than and
        ("status == 503 or status == 1 and status == 2", True),
        ("(status == 503 or status == 1) and status == 2", False),
        ("not status == 200 and status == 503", True),
    ],
)
def test_evaluate__and_or_not_combine_errors_safely(text, ok):
    assert check(text).ok is ok


def test_evaluate__composite_text_keeps_the_grouping():
    result = check('(status == 200 or status == 503) and not json.status == "ok"')
    assert (
        result.text
        == '(status (503) == 200 or status (503) == 503) and not json.status ("ok") == "ok"'
    )


def test_evaluate__reasons_are_shown_for_errors_but_not_for_passes():
    result = check("status == 503 or json.status > 3")
    assert (result.ok, result.text) == (True, 'status (503) == 503 or json.status ("ok") > 3')


def test_evaluate__long_actual_values_are_shortened_to_80_characters():
    result = check('body == "y"')
    actual = result.text.removeprefix("body (").removesuffix(') == "y"')
    assert len(actual) == 80
    assert actual.endswith("…")


@pytest.mark.parametrize(
    ("latency", "shown"),
    [
        ({"p95": 0.412}, "p(95) (412ms) < 300ms"),  # no samples: the probe's own p95
        ({"samples": [0.2, 0.5]}, "p(95) (500ms) < 300ms"),
        ({"samples": []}, "p(95) (missing) < 300ms: no latency samples"),
        (
            {"samples": [0.1, "x"]},
            "p(95) (error) < 300ms: latency.samples holds values that are not numbers",
        ),
        ({"p50": 0.1}, "p(95) (missing) < 300ms: no latency.p95"),
    ],
)
def test_percentile__samples_first_then_the_probe_aggregate(latency, shown):
    assert check("p(95) < 300ms", {"latency": latency}).text == shown


def test_percentile__bare_aggregate_prefers_a_top_level_fact():
    assert check("p95 < 300ms", {"p95": 0.1, "latency": {"p95": 0.9}}).text == "p95 (100ms) < 300ms"


def test_evaluate__small_durations_are_not_rounded_to_zero():
    assert check("p95 < 1ms", {"p95": 0.0004}).text == "p95 (0.4ms) < 1ms"


@pytest.mark.parametrize(
    "facts",
    [
        {},
        {"json": "not json"},
        {"json": [1, 2, 3], "headers": ["a"], "latency": 5, "tls": {"accepts": []}},
        {"status": 10**5000, "json": {"x": float("inf")}},
        {"headers": {1: "one", None: "none"}, "json": {"checks": {(1, 2): object(), 10**5000: 1}}},
    ],
)
def test_evaluate__odd_facts_give_errors_not_exceptions(facts):
    texts = [
        "status == 2xx",
        'header("x") == "y"',
        "p(95) < 1s",
        "json.x.y < 1MB",
        'all(json.checks.*) == "ok"',
        'accepts("TLSv1")',
    ]
    for result in (parse(text).evaluate(facts) for text in texts):
        assert result.ok in (None, False)
        assert "could not be evaluated" not in result.text


def test_evaluate__facts_that_contain_themselves_are_shown_bounded():
    cyclic: dict = {"status": 200}
    cyclic["json"] = cyclic
    result = parse("json.json.json == 1").evaluate(cyclic)
    assert result.ok is None
    assert len(result.text) < 200


@pytest.mark.parametrize(
    ("text", "message", "column", "hint"),
    [
        ("", "the expectation is empty", 1, "status == 200"),
        ("status === 200", "unexpected '='", 10, "write =="),
        ("status = 200", "unexpected '='", 8, "write =="),
        ("status == 200 && ok", "unexpected '&&'", 15, "write and"),
        ("status == ", "expected a value, found the end", 11, "e.g. status"),
        (
            "status == 200 status",
            "unexpected 'status' after a complete condition",
            15,
            "join conditions with and / or",
        ),
        ("(status == 200", "expected ')' to close the '(' at column 1", 15, ""),
        ("status == 200)", "unexpected ')'", 14, "matching '('"),
        ("a < b < c", "comparisons cannot be chained", 7, "a < b and b < c"),
        ('json.status == "ok', "unterminated string", 16, 'end the text with "'),
        ("status in []", "the list is empty", 11, "list the values"),
        ("status in [a]", "expected a value in the list, found 'a'", 12, "literals"),
        ("status in [200 304]", "expected ',' or ']' in the list, found '304'", 16, ""),
        (
            "foo(x) == 1",
            "unknown function 'foo'",
            1,
            "the functions are all(), any(), accepts(), exists(), header(), json(), len(), "
            "lower(), p()",
        ),
        ("lenght(json.items) > 0", "unknown function 'lenght'", 1, "did you mean len()?"),
        ("len > 0", "len is a function", 1, "call it: len(…)"),
        ("header(Server) exists", "expected a quoted name in header()", 8, ""),
        ("p(0) < 1s", "p(0) is not a percentile", 3, "above 0, up to 100"),
        ("p(x) < 1s", "expected a number in p()", 3, ""),
        (
            'x matches "("',
            "invalid regular expression: missing ), unterminated subpattern",
            12,
            "escape special characters",
        ),
        ("x matches ok", "expected a quoted regular expression after matches", 11, ""),
        ("300xs > latency.p50", "unknown unit 'xs' in 300xs", 1, "durations: ms, s, m, h, d"),
        ("-5ms < p95", "-5ms is negative", 1, "never negative"),
        ("p95 < 300", "p95 is a duration; 300 has no unit", 5, "p95 < 300ms"),
        (
            "latency.max <= 2",
            "latency.max is a duration; 2 has no unit",
            13,
            "latency.max <= 300ms",
        ),
        ("p(99) < 1", "p(99) is a duration; 1 has no unit", 7, "p(99) < 300ms"),
        (
            "tls.days_left >= 21d",
            "tls.days_left counts days; compare it with a number",
            15,
            "tls.days_left >= 21",
        ),
        ('grade >= "B"', '"B" is text, which has no order', 7, "write B without quotes"),
        ("status < 2xx", "2xx is a status class, which has no order", 8, "compare with == or !="),
        ("verified < true", "true is true/false, which has no order", 10, ""),
        ("status < [200]", "a list has no order", 8, "x in [a, b]"),
        (
            'json.checks.* == "ok"',
            "the wildcard in json.checks.* needs all() or any()",
            1,
            'all(json.checks.*) == "ok"',
        ),
        ("len(all(json.items)) > 0", "all() only starts a condition", 5, ""),
        ("status == any(json.codes)", "any() only starts a condition", 11, ""),
        ("x == exists(y)", "exists() is a condition, not a value", 6, "x exists"),
        ("x not", "expected in, matches, contains or exists after 'not', found the end", 6, ""),
        ("True", "unknown name 'True'", 1, "write true (lower case)"),
        ("json.data == None", "unknown name 'None'", 14, "write null"),
        ("json.", "expected a name after 'json.'", 6, "json.data.id"),
        ("x @ y", "unexpected character '@'", 3, "quote text"),
        ("1 == 1", "this condition reads no fact", 1, "compare a fact"),
        ("true", "this condition reads no fact", 1, ""),
        ("(" * 40 + "status" + ")" * 40, "nested more than 32 levels deep", 33, "split it"),
        ("status == " + "1" * 2000, "longer than 2000 characters", 2000, "split it"),
    ],
)
def test_parse__errors_say_what_where_and_how_to_fix(text, message, column, hint):
    with pytest.raises(ExpectationError) as caught:
        parse(text)
    error = caught.value
    assert message in error.message
    assert error.column == column
    assert hint in error.hint
    assert str(error).endswith(f"(column {column})")


def test_parse__error_message_quotes_the_expectation():
    with pytest.raises(
        ExpectationError, match=r'^"status === 200": unexpected \'=\' \(column 10\)$'
    ):
        parse("status === 200")


@pytest.mark.parametrize(
    ("text", "roots"),
    [
        ("status in [2xx]", {"status"}),
        ('header("X") exists and json("a.b") == 1', {"headers", "json"}),
        ('p(95) < 1s or not accepts("TLSv1")', {"latency", "accepts"}),
        ("all(json.items.*.id) > len(body)", {"json", "body"}),
        ("p95 < 1s", {"p95"}),
    ],
)
def test_roots__name_the_facts_an_expectation_reads(text, roots):
    assert parse(text).roots == roots


def test_arguments__list_what_a_function_is_asked_about():
    expectation = parse(
        'not accepts("TLSv1.0") and (not accepts("TLSv1.1") or tls.protocol == "TLSv1.3")'
    )
    assert expectation.arguments("accepts") == ("TLSv1.0", "TLSv1.1")
    assert expectation.arguments("header") == ()


def test_unknown_names__suggests_the_closest_fact():
    problems = unknown_names(
        parse("stauts == 200 and body exists"), ["status", "headers", "json", "body"]
    )
    assert problems == [
        "'stauts' in `stauts == 200 and body exists` is not a fact of this probe; did you mean "
        "status?"
    ]


def test_expectation__is_frozen_and_equal_by_text():
    first, second = parse_all(["status == 200", "status == 200"])
    assert first == second
    assert hash(first) == hash(second)
    assert str(first) == "status == 200"
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.text = "x"  # type: ignore[misc]


# --- in a config: located errors and the schema -------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ProbeConfig:
    expect: tuple[Expectation, ...]


CONFIG = """\
probe:
  expect:
    - status in [2xx, 304]
    - status === 200
    - header("X-Api"): v1
    - 200
    - 'grade >= "B"'
"""


def structure(text: str) -> tuple[object, list[str]]:
    root = yaml.compose(text)
    structurer = Structurer("checks.yml")
    value = structurer.structure(root.value[0][1], ProbeConfig, "probe")
    return value, [str(p) for p in structurer.problems]


def test_config__expectations_parse_when_the_config_loads():
    value, problems = structure("probe:\n  expect: [p95 < 300ms, 'json.status == \"ok\"']\n")
    assert problems == []
    assert value == ProbeConfig(expect=parse_all(["p95 < 300ms", 'json.status == "ok"']))


def test_config__bad_expectations_are_located_errors_with_column_and_hint():
    _, problems = structure(CONFIG)
    assert problems == [
        "checks.yml:4:7: probe.expect[1]: invalid expectation \"status === 200\": unexpected '=' "
        "(column 10); write ==",
        "checks.yml:5:7: probe.expect[2]: expected an expectation, got a mapping; quote the whole "
        "expectation: YAML reads ': ' as a key",
        "checks.yml:6:7: probe.expect[3]: expected an expectation such as `status == 200`, got an "
        "integer; write it as text",
        'checks.yml:7:7: probe.expect[4]: invalid expectation "grade >= "B"": "B" is text, which '
        "has no order (column 7); write B without quotes to compare grades",
    ]


def test_config__schema_accepts_text_and_refuses_other_values():
    builder = SchemaBuilder()
    schema = {**builder.schema(ProbeConfig), "$defs": builder.defs}
    jsonschema.validate({"expect": ["status == 200"]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"expect": [200]}, schema)


def test_docs__every_example_in_the_package_docstring_reads_as_documented():
    import apiq_gate.conditions as conditions  # noqa: PLC0415

    examples = conditions.__doc__.split("its text when it fails)::")[1].strip("\n").splitlines()
    lines = [line.strip() for line in examples if line.strip()]
    facts = {
        "status": 503,
        "json": {"checks": {"db": "ok", "cache": "down"}},
        "latency": {"p95": 0.412},
        "error_rate": 0.0,
        "days_left": 9,
        "accepts": {"TLSv1.1": True},
        "grade": "C+",
        "hsts": {"max_age": 300},
        "headers": {"strict-transport-security": "max-age=300"},
    }
    pairs = []
    while lines:
        parts = re.split(r"\s{3,}", lines.pop(0))
        pairs.append((parts[0], parts[1] if len(parts) == 2 else lines.pop(0)))
    assert len(pairs) == 9
    for expectation, text in pairs:
        result = parse(expectation).evaluate(facts)
        assert (result.ok is not True, result.text) == (True, text)
