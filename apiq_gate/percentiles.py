"""Percentiles by nearest rank, shared by the latency probe and the `p(N)` expectation.

CONFIG-NOTES: `statistics.quantiles` (exclusive method) reported a p95 above every sample;
nearest rank always reports a value that was measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction


def nearest_rank(values: Sequence[float], percent: float) -> float:
    """The `percent`-th percentile by nearest rank: the value at rank ⌈percent/100 * n⌉.

    It is always one of the values, never above the largest; p0 is the smallest. The rank
    is computed exactly (0.07 * 100 is 7.000000000000001 in floating point, which would
    round up to the wrong rank).
    """
    if not values:
        raise ValueError("no values")
    if not 0 <= percent <= 100:
        raise ValueError(f"{percent} is not a percentage")
    ordered = sorted(values)
    rank = math.ceil(Fraction(str(percent)) * len(ordered) / 100)
    return ordered[max(rank, 1) - 1]
