"""Durations in config: what a bare number means, and the values no duration can have."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from apiq_gate.config_types import Duration
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
