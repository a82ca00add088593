"""The run's deadline ends the run: probes still running are errors, stop sending, and never
keep the process alive; local evidence never waits behind them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from apiq_gate.config import loads
from apiq_gate.model import Status
from apiq_gate.run import RunOptions, run
from tests.support.servers import Answer, serving

LATE = "did not finish within the run's deadline of 1s"


def config_text(base_url: str) -> str:
    return textwrap.dedent(
        f"""\
        version: 1
        name: deadline
        defaults: {{timeout: 30s, deadline: 1s, concurrency: 4}}
        sections:
          - id: s
            title: S
            items:
              - {{id: hang-a, title: A, evidence: [{{http: '{base_url}/hang'}}]}}
              - {{id: hang-b, title: B, evidence: [{{http: '{base_url}/hang'}}]}}
              - id: samples
                title: Latency
                evidence: [{{latency: {{url: '{base_url}/slow', samples: 50, warmup: 0, p95: 1s}}}}]
              - id: burst
                title: Burst
                evidence: [{{rate_limit: {{url: '{base_url}/slow', requests: 200, concurrency: 2, within: 30s}}}}]
              - {{id: runbook, title: Runbook, evidence: [{{file: runbook.md}}]}}
        """
    )


def probe_threads(before: set[int]) -> list[threading.Thread]:
    """The run's threads started since `before` (the test server's own are not the run's)."""
    started = (t for t in threading.enumerate() if t.ident not in before)
    return [t for t in started if t.name.startswith(("observe", "rate-limit"))]


def test_run__the_deadline_ends_the_run_and_abandoned_probes_stop_sending(tmp_path: Path) -> None:
    (tmp_path / "runbook.md").write_text("# Rollback\n")
    routes = {"/hang": Answer(hang=True), "/slow": Answer(delay_s=0.2, body="ok")}
    with serving(routes) as server:
        checklist = loads(config_text(server.url("").rstrip("/")))
        before = {t.ident for t in threading.enumerate()}
        started = time.monotonic()
        report = run(checklist, RunOptions(root=tmp_path, environ={}))
        elapsed = time.monotonic() - started

        statuses = {item.id: (item.status, item.reason) for item in report.items()}
        assert elapsed < 1.8
        for item_id in ("hang-a", "hang-b", "samples", "burst"):
            assert statuses[item_id][0] is Status.ERROR, item_id
            assert LATE in statuses[item_id][1], item_id  # or "<target>: <LATE>", when it stopped first
        # With all four workers busy, the local check still ran: it never queues behind probes.
        assert statuses["runbook"][0] is Status.PASS

        # The probes left behind stop at the deadline (hanging exchanges are cut, no further
        # samples, retries or burst requests) instead of running on against the target.
        stopped_by = time.monotonic() + 1.0
        while probe_threads(before) and time.monotonic() < stopped_by:
            time.sleep(0.02)
        assert probe_threads(before) == []
        sent = len(server.requests)
        time.sleep(0.3)
        assert len(server.requests) == sent


def test_check__a_hanging_probe_does_not_keep_the_process_alive_after_the_report(tmp_path: Path) -> None:
    routes = {"/hang": Answer(hang=True), "/slow": Answer(delay_s=0.2, body="ok")}
    (tmp_path / "runbook.md").write_text("# Rollback\n")
    with serving(routes) as server:
        config = tmp_path / "apiq-gate.yml"
        config.write_text(config_text(server.url("").rstrip("/")))
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "apiq_gate", "check", "--config", str(config), "--root", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert LATE in done.stdout
    assert elapsed < 5  # the 1s deadline and start-up, not the probes' 30s timeouts
