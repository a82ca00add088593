"""Durations in config: what a bare number means, and the values no duration can have."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from apiq_gate.config import loads
from apiq_gate.config_types import Duration, format_duration
from apiq_gate.errors import ConfigError
from apiq_gate.structure import Structurer


def structure(text: str, tp: Any) -> tuple[Any, list[str]]:
    s = Structurer("t.yml")
    value = s.structure(yaml.compose(text, Loader=yaml.SafeLoader), tp, "timeout")
    return value, [str(p) for p in s.problems]


@pytest.mark.parametrize("text", ["-5", "-0.5"])
def test_duration__a_negative_number_is_a_located_problem(text):
    _, problems = structure(text, Duration)

    assert problems == [f"t.yml:1:1: timeout: a duration cannot be negative ({text})"]


@pytest.mark.parametrize("text", [".nan", ".inf", "-.inf"])
def test_duration__not_a_number_or_infinity_is_a_located_problem(text):
    _, problems = structure(text, Duration)

    assert problems == [f"t.yml:1:1: timeout: '{text}' is not a duration; write e.g. 300ms, 5s, 10m, 2h or 21d"]


@pytest.mark.parametrize(("text", "seconds"), [("0", 0.0), ("2.5", 2.5), ("0s", 0.0), ("300ms", 0.3)])
def test_duration__zero_and_positive_values_are_read(text, seconds):
    assert structure(text, Duration) == (Duration(seconds), [])


# --- fields where a bare number is a trap ---------------------------------------------------


def probe_config_problems(evidence: str) -> list[str]:
    text = (
        "version: 1\nname: g\nsections:\n  - id: s\n    title: S\n    items:\n"
        "      - id: fast\n        title: Fast\n        evidence:\n"
        f"          - {evidence}\n"
    )
    with pytest.raises(ConfigError) as caught:
        loads(text, "apiq-gate.yml")
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("field", "written", "hint"),
    [("p95", "300", "write 300ms"), ("p99", "800", "write 800ms"), ("max", "2", "write 2s"), ("p95", "0.5", "write 0.5s")],
)
def test_latency_budget__a_bare_number_is_a_located_error_asking_for_a_unit(field, written, hint):
    problems = probe_config_problems(f"latency: {{url: 'https://app.example/', {field}: {written}}}")

    seconds = format_duration(float(written))
    where = f"apiq-gate.yml:10:{54 + len(field)}: sections[0].items[0].evidence[0].latency.{field}"
    assert problems == [f"{where}: {written} has no unit (it would mean {seconds}); {hint}"]


def test_hsts_max_age__a_bare_number_is_a_located_error_asking_for_a_unit():
    problems = probe_config_problems("security_headers: {url: 'https://app.example/', hsts_max_age: 15552000}")

    where = "apiq-gate.yml:10:75: sections[0].items[0].evidence[0].security_headers.hsts_max_age"
    assert problems == [f"{where}: 15552000 has no unit (it would mean 180d); write 15552000s, or in days, e.g. 180d"]


def test_budgets_with_units_load():
    checklist = loads(
        "version: 1\nname: g\nsections:\n  - id: s\n    title: S\n    items:\n"
        "      - id: fast\n        title: Fast\n        evidence:\n"
        "          - latency: {url: 'https://app.example/', p95: 300ms, p99: 1s, max: 2.5s}\n"
        "          - security_headers: {url: 'https://app.example/', hsts_max_age: 180d}\n",
        "apiq-gate.yml",
    )

    latency, headers = checklist.sections[0].items[0].evidence
    assert {e.text for e in latency.expectations()} >= {"p95 < 300ms", "p99 < 1s", "max < 2.5s"}
    assert "hsts.max_age >= 180d" in {e.text for e in headers.expectations()}
