"""The run's deadline, as the probes it gave up on see it.

At its deadline (`defaults.deadline`) a run reports the evidence still being observed as
errors and leaves its threads behind. So that such a probe stops too, instead of going on
sampling, retrying or bursting against the target, the run puts the deadline in the probes'
RunContext: probes call `check(ctx)` between requests and `sleep(ctx, …)` for pauses, which
never sleeps past it, and HttpClient ends an exchange at it.
"""

from __future__ import annotations

import time

from apiq_gate.evidence.base import RunContext


class RunStopped(Exception):
    """The run's deadline has passed: the probe stops where it is."""


def deadline_of(ctx: RunContext) -> float | None:
    """The run's deadline (time.monotonic()), or None when nothing set one (unit tests)."""
    return ctx.deadline


def stopped(ctx: RunContext) -> bool:
    return ctx.deadline is not None and time.monotonic() >= ctx.deadline


def check(ctx: RunContext) -> None:
    """Between two requests: RunStopped if the run has given up on this probe."""
    if stopped(ctx):
        raise _stopped(ctx)


def sleep(ctx: RunContext, seconds: float) -> None:
    """ctx.sleep, ending at the run's deadline; RunStopped once it has passed."""
    if ctx.deadline is None:
        ctx.sleep(seconds)
        return
    left = ctx.deadline - time.monotonic()
    if left <= 0:
        raise _stopped(ctx)
    ctx.sleep(min(seconds, left))


def _stopped(ctx: RunContext) -> RunStopped:
    return RunStopped(f"did not finish within the run's deadline of {ctx.deadline_s:g}s")
