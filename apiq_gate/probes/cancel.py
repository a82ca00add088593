"""The run's deadline, as the probes it gave up on see it.

At its deadline (`defaults.deadline`) a run reports the evidence still being observed as
errors and leaves its threads behind. So that such a probe stops too, instead of going on
sampling, retrying or bursting against the target, each round of observation hands its
evidence a sleep that knows the deadline (`DeadlineSleep`): probes call `check(ctx)`
between requests, HttpClient ends an exchange at the deadline, and a backoff never sleeps
past it.

The deadline travels in `ctx.sleep` because RunContext (evidence/base.py) has no field for
it; `deadline_of` is the one place that reads it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from apiq_gate.evidence.base import RunContext


class RunStopped(Exception):
    """The run's deadline has passed: the probe stops where it is."""


@dataclass(frozen=True, slots=True)
class DeadlineSleep:
    """A sleep that ends at the run's deadline, and raises RunStopped once it has passed."""

    sleep: Callable[[float], None]
    deadline: float  # time.monotonic()
    limit_s: float  # the deadline as configured, for the message

    def __call__(self, seconds: float) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.stopped()
        self.sleep(min(seconds, left))

    def stopped(self) -> RunStopped:
        return RunStopped(f"did not finish within the run's deadline of {self.limit_s:g}s")


def deadline_of(ctx: RunContext) -> float | None:
    """The run's deadline (time.monotonic()), or None when nothing set one (unit tests)."""
    return ctx.sleep.deadline if isinstance(ctx.sleep, DeadlineSleep) else None


def stopped(ctx: RunContext) -> bool:
    deadline = deadline_of(ctx)
    return deadline is not None and time.monotonic() >= deadline


def check(ctx: RunContext) -> None:
    """Between two requests: RunStopped if the run has given up on this probe."""
    if isinstance(ctx.sleep, DeadlineSleep) and time.monotonic() >= ctx.sleep.deadline:
        raise ctx.sleep.stopped()
