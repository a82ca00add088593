"""One run of the gate: pick the items of the phase, observe their evidence concurrently, evaluate.

This is the impure shell around `evaluate`: it owns the clock, the threads, the deadline and
the selection of the environment, and hands plain data to the pure core.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from apiq_gate.errors import UsageError
from apiq_gate.evaluate import EvidenceKey, Observed, ObserveFailed, evaluate, in_phase
from apiq_gate.evidence.base import Evidence, RunContext
from apiq_gate.model import Checklist, Environment, FailOn, Report
from apiq_gate.probes.base import Probe, Wait
from apiq_gate.probes.pool import DaemonPool
from apiq_gate.probes.targets import host_of
from apiq_gate.waiting import wait_for


@dataclass(frozen=True, kw_only=True, slots=True)
class RunOptions:
    root: Path
    environ: Mapping[str, str]
    phase: str | None = None
    environment: str | None = None
    fail_on: FailOn = FailOn.REQUIRED
    config_label: str = ""
    max_workers: int | None = None  # default: the config's defaults.concurrency
    wait: Wait | None = None  # wait mode for every probe that has none of its own
    now: dt.datetime | None = None  # fixed in tests; the clock otherwise
    signoffs: Mapping[str, tuple[object, ...]] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def select_environment(checklist: Checklist, name: str | None) -> tuple[str | None, Environment | None]:
    """The environment a run targets: the one asked for, the default, or the first declared."""
    known = list(checklist.environments)
    if name is None:
        name = checklist.defaults.environment or (known[0] if known else None)
    if name is None:
        return None, None
    if name not in checklist.environments:
        listed = ", ".join(known) if known else "none are declared"
        raise UsageError(f"unknown environment '{name}' (environments in the config: {listed})")
    return name, checklist.environments[name]


def check_phase(checklist: Checklist, phase: str | None) -> None:
    if phase is not None and phase not in checklist.phases:
        raise UsageError(f"unknown phase '{phase}' (phases in the config: {', '.join(checklist.phases)})")


def run(checklist: Checklist, options: RunOptions) -> Report:
    check_phase(checklist, options.phase)
    env_name, environment = select_environment(checklist, options.environment)
    now = options.now or dt.datetime.now(dt.UTC)
    ctx = RunContext(
        root=options.root,
        environ=options.environ,
        environment_name=env_name,
        environment=environment,
        now=now,
        timeout=checklist.defaults.timeout.seconds,
        signoffs=options.signoffs,
        allowed_hosts=allowed_hosts(checklist, environment),
        sleep=options.sleep,
        clock=options.clock,
    )
    started = time.monotonic()
    wanted = {
        (item.id, index): evidence
        for _, item in checklist.items()
        if in_phase(item, options.phase)
        for index, evidence in enumerate(item.evidence)
    }
    workers = options.max_workers or checklist.defaults.concurrency
    deadline = checklist.defaults.deadline.seconds

    def observe_many(subset: Mapping[EvidenceKey, Evidence]) -> dict[EvidenceKey, Observed]:
        return observe_all(subset, ctx, workers, deadline)

    observations = wait_for(wanted, observe_many(wanted), ctx, observe_many, options.wait)
    return evaluate(
        checklist,
        observations,
        phase=options.phase,
        environment=env_name,
        fail_on=options.fail_on,
        now=now,
        config_label=options.config_label,
        duration_s=time.monotonic() - started,
    )


def allowed_hosts(checklist: Checklist, environment: Environment | None) -> frozenset[str]:
    """Every host the config declares: environments' URLs, hosts and `resolve` names, and
    the hosts probes name themselves. Probes reach nothing else, redirects included."""
    hosts: set[str] = set()
    for env in checklist.environments.values():
        hosts.update(filter(None, [host_of(env.url or ""), (env.host or "").lower()]))
        hosts.update(name.lower() for name in env.resolve)
    for _, item in checklist.items():
        for evidence in item.evidence:
            if isinstance(evidence, Probe):
                hosts.update(evidence.declared_hosts(environment))
    return frozenset(hosts)


def observe_all(
    wanted: Mapping[EvidenceKey, Evidence], ctx: RunContext, max_workers: int, deadline_s: float
) -> dict[EvidenceKey, Observed]:
    """Observe every piece of evidence; results keyed as asked, in config order.

    Probes run concurrently on daemon threads; local evidence (files, variables, sign-offs)
    runs meanwhile on this thread, so it never queues behind a slow probe. What has not
    finished by the deadline is an error result: its thread is left behind, told to stop
    (see probes/cancel.py), and never keeps the process alive.
    """
    deadline = time.monotonic() + deadline_s
    probe_ctx = dataclasses.replace(ctx, deadline=deadline, deadline_s=deadline_s)
    network = {key: evidence for key, evidence in wanted.items() if evidence.network}
    pool = DaemonPool(
        {key: functools.partial(_observe_one, evidence, probe_ctx) for key, evidence in network.items()},
        max_workers,
        name="observe",
    )
    local = {key: _observe_one(evidence, ctx) for key, evidence in wanted.items() if key not in network}
    finished = {**local, **pool.results(deadline)}
    late = Observed(value=ObserveFailed(error=f"did not finish within the run's deadline of {deadline_s:g}s"))
    return {key: finished.get(key, late) for key in wanted}


def _observe_one(evidence: Evidence, ctx: RunContext) -> Observed:
    try:
        return Observed(value=evidence.observe(ctx))
    except Exception as exc:
        return Observed(value=ObserveFailed(error=f"{evidence.kind} evidence could not be observed: {exc}"))
