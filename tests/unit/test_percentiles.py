"""Nearest-rank percentiles, and the facts a latency probe derives from its samples."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiq_gate.conditions import parse
from apiq_gate.config_types import Duration
from apiq_gate.percentiles import nearest_rank
from apiq_gate.probes.kinds.latency import LatencyProbe, Sample, summarize

# CONFIG-NOTES.md: on these 10 samples (max 900 ms) statistics.quantiles' default method
# reported a p95 of 1224 ms, above every sample.
CONFIG_NOTES_SAMPLES = [0.10, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.90]
ONE_TO_TWENTY = [float(i) for i in range(1, 21)]
ONE_TO_HUNDRED = [float(i) for i in range(1, 101)]


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([0.9], 50, 0.9),
        ([0.9], 99, 0.9),
        (CONFIG_NOTES_SAMPLES, 95, 0.90),
        (CONFIG_NOTES_SAMPLES, 99, 0.90),
        (CONFIG_NOTES_SAMPLES, 90, 0.18),
        (CONFIG_NOTES_SAMPLES, 50, 0.14),
        (CONFIG_NOTES_SAMPLES, 0, 0.10),
        (ONE_TO_TWENTY, 95, 19.0),  # rank ceil(0.95 * 20) = 19
        (ONE_TO_TWENTY, 50, 10.0),
        (ONE_TO_TWENTY, 5, 1.0),
        (ONE_TO_TWENTY, 100, 20.0),
        (
            ONE_TO_HUNDRED,
            7,
            7.0,
        ),  # 0.07 * 100 is 7.000000000000001 in floats: rank 8 would be wrong
        (ONE_TO_HUNDRED, 99, 99.0),
        (ONE_TO_HUNDRED, 99.9, 100.0),
        ([3.0, 1.0, 2.0], 50, 2.0),  # order of arrival does not matter
        ([1.0, 2.0, 3.0, 4.0], 50, 2.0),  # never interpolated: 2.5 was not measured
    ],
)
def test_nearest_rank__table(values: list[float], percent: float, expected: float) -> None:
    assert nearest_rank(values, percent) == expected


def test_nearest_rank__config_notes_case_stays_within_the_samples_where_quantiles_did_not() -> None:
    assert statistics.quantiles(CONFIG_NOTES_SAMPLES, n=100)[94] == pytest.approx(1.224)
    assert nearest_rank(CONFIG_NOTES_SAMPLES, 95) == 0.90


@pytest.mark.parametrize(("values", "percent"), [([], 50), ([1.0], -1), ([1.0], 100.5)])
def test_nearest_rank__refuses_no_values_and_non_percentages(
    values: list[float], percent: float
) -> None:
    with pytest.raises(ValueError, match=r"no values|not a percentage"):
        nearest_rank(values, percent)


@given(
    st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=50),
    st.floats(min_value=0, max_value=100),
    st.floats(min_value=0, max_value=100),
)
def test_nearest_rank__is_a_measured_value_and_grows_with_the_percentage(
    values: list[float], a: float, b: float
) -> None:
    low, high = sorted((a, b))
    assert nearest_rank(values, low) in values
    assert min(values) <= nearest_rank(values, low) <= nearest_rank(values, high) <= max(values)


# --- summarize: the facts of a run of samples ------------------------------------------


def ok(seconds: float, status: int = 200) -> Sample:
    return Sample(seconds=seconds, status=status)


def test_summarize__timings_over_successful_samples_only() -> None:
    samples = [
        ok(0.1),
        ok(0.3),
        ok(0.2),
        ok(0.05, status=503),
        Sample(failure="timed out after 2s", transient=True),
    ]
    facts = summarize(samples, min_samples=3)
    assert facts["samples"] == 3
    assert facts["requests"] == 5
    assert facts["errors"] == 2
    assert facts["error_rate"] == pytest.approx(0.4)
    assert facts["status_codes"] == {"200": 3, "503": 1}
    assert facts["failures"] == [{"error": "timed out after 2s", "count": 1}]
    assert (facts["min"], facts["p50"], facts["p95"], facts["max"]) == (
        0.1,
        0.2,
        0.3,
        0.3,
    )  # the 503's 0.05 s is not a sample
    assert facts["avg"] == pytest.approx(0.2)
    assert facts["latency"] == {"samples": [0.1, 0.3, 0.2]}


def test_summarize__redirect_statuses_count_as_successes() -> None:
    facts = summarize([ok(0.1, status=301), ok(0.1, status=304)], min_samples=2)
    assert facts["errors"] == 0
    assert facts["p95"] == 0.1


def test_summarize__too_few_successful_samples_leaves_no_timings() -> None:
    facts = summarize([ok(0.1), ok(0.2), ok(0.1, status=500)], min_samples=3)
    assert facts["samples"] == 2
    assert not {"p50", "p90", "p95", "p99", "max", "min", "avg", "latency"} & set(facts)


def test_summarize__no_samples_is_all_errors() -> None:
    facts = summarize([Sample(failure="connection failed: refused", transient=True)], min_samples=1)
    assert facts["error_rate"] == 1.0
    assert "p95" not in facts


@pytest.mark.parametrize(
    ("samples", "max_error_rate", "min_samples", "required"),
    [
        (10, None, None, 10),  # no error allowed: every sample must succeed
        (10, 0.1, None, 9),
        (10, 0.25, None, 8),  # 2.5 errors allowed: 2
        (100, 0.29, None, 71),  # 0.29 * 100 is 28.999999999999996 in floats
        (10, 1.0, None, 1),  # never fewer than one
        (10, 0.5, 3, 3),  # min_samples wins when given
    ],
)
def test_latency_probe__required_samples(
    samples: int, max_error_rate: float | None, min_samples: int | None, required: int
) -> None:
    probe = LatencyProbe(
        url="http://127.0.0.1/",
        samples=samples,
        max_error_rate=max_error_rate,
        min_samples=min_samples,
    )
    assert probe.required_samples() == required


def test_latency_probe__budgets_become_expectations() -> None:
    probe = LatencyProbe(
        url="http://127.0.0.1/",
        p95=Duration(0.3),
        p99=Duration(1.25),
        max=Duration(2.0),
        max_error_rate=0.05,
    )
    assert [e.text for e in probe.expectations()] == [
        "p95 < 300ms",
        "p99 < 1.25s",
        "max < 2s",
        "error_rate <= 0.05",
    ]


def test_latency_probe__a_budget_alone_also_expects_no_errors() -> None:
    probe = LatencyProbe(url="http://127.0.0.1/", p95=Duration(0.3))
    assert [e.text for e in probe.expectations()] == ["p95 < 300ms", "error_rate == 0"]


def test_latency_probe__an_error_expectation_of_its_own_replaces_the_implied_one() -> None:
    probe = LatencyProbe(url="http://127.0.0.1/", expect=(parse("errors <= 1"),))
    assert [e.text for e in probe.expectations()] == ["errors <= 1"]


def test_latency_probe__without_budgets_expects_no_errors() -> None:
    assert [e.text for e in LatencyProbe(url="http://127.0.0.1/").expectations()] == [
        "error_rate == 0"
    ]
