"""One measurement of the probe benchmark, made inside a fresh Python process.

`benchmarks/probes.py` starts `python -m benchmarks.probes --child '<json>'` for each
measurement, which calls `gate()` or `bare()` here and prints one JSON line. Besides the
wall time, each measurement reports who used the CPU during it: this process (`cpu_s`), the
target process (`target_cpu_s`) and everything else on the machine (`others_cpu_s`), so a
run disturbed by other work on a shared machine can be told from a slow gate.
"""

from __future__ import annotations

import os
import resource
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from benchmarks.servers import Targets

LATENCY_SAMPLES = 20
SETTLE_BUSY = 0.15  # of one core, used by other processes, before a measurement starts
SETTLE_WITHIN_S = 30.0


def config_text(counts: Mapping[str, int], targets: Targets) -> str:
    """A checklist with one item per probe, kinds in the order given."""
    probes: dict[str, Callable[[int], dict[str, Any]]] = {
        "http": lambda i: {"http": {"url": f"{{env.url}}/probe/{i}", "status": [200]}},
        "tls": lambda i: {
            "tls": {
                "host": "{env.host}",
                "port": targets.https_port,
                "ca_bundle": "ca.pem",
                "days_left": 21,
            }
        },
        "latency": lambda i: {"latency": {"url": f"{{env.url}}/latency/{i}", "samples": LATENCY_SAMPLES, "p95": "2s"}},
    }
    items = [
        {"id": f"{kind}-{i:03d}", "title": f"{kind} probe {i}", "evidence": [probes[kind](i)]}
        for kind, count in counts.items()
        for i in range(count)
    ]
    environment = {
        "url": f"http://{targets.name}:{targets.http_port}",
        "host": targets.name,
        "resolve": {targets.name: "127.0.0.1"},
    }
    config = {
        "version": 1,
        "name": "probe benchmark",
        "environments": {"bench": environment},
        "sections": [{"id": "probes", "title": "Probes", "items": items}],
    }
    return yaml.safe_dump(config, sort_keys=False)


def gate(counts: Mapping[str, int], targets: Targets) -> dict[str, Any]:
    """`config.loads` of the generated config, then `run.run` with the config's defaults."""
    from apiq_gate.config import loads  # noqa: PLC0415  (imports happen before the clock starts)
    from apiq_gate.model import Status  # noqa: PLC0415
    from apiq_gate.run import RunOptions, run  # noqa: PLC0415

    rss_after_imports = peak_rss_mb()
    started = time.perf_counter()
    checklist = loads(config_text(counts, targets), "benchmark.yml")
    load_s = time.perf_counter() - started
    settled_s = settle(targets)
    with cpu_window(targets) as cpu:
        report = run(checklist, RunOptions(root=targets.ca_bundle.parent, environ={}))
    not_passed = [f"{i.id}: {i.status}: {i.reason}" for i in report.items() if i.status is not Status.PASS]
    return {
        **cpu,
        "settle_s": settled_s,
        "load_s": load_s,
        "peak_rss_mb": peak_rss_mb(),
        "rss_after_imports_mb": rss_after_imports,
        "concurrency": checklist.defaults.concurrency,
        "not_passed": not_passed[:5],
        "not_passed_count": len(not_passed),
    }


def bare(counts: Mapping[str, int], targets: Targets) -> dict[str, Any]:
    """The floor on this machine: the same requests with no gate at all, one thread each.

    `requests` with a new Session per HTTP probe (as the gate's HttpClient makes one per
    probe) and ONE verified `ssl` handshake per TLS probe (the gate's tls probe makes two
    handshakes and parses the chain: see the README).
    """
    import requests  # noqa: PLC0415

    context = ssl.create_default_context(cafile=str(targets.ca_bundle))

    def http(i: int) -> None:
        with requests.Session() as session:
            session.get(f"http://127.0.0.1:{targets.http_port}/probe/{i}", timeout=10).raise_for_status()

    def tls(_: int) -> None:
        address = ("127.0.0.1", targets.https_port)
        with socket.create_connection(address, timeout=10) as sock:
            context.wrap_socket(sock, server_hostname=targets.name).getpeercert()

    work = {"http": http, "tls": tls}
    threads = [threading.Thread(target=work[kind], args=(i,)) for kind, count in counts.items() for i in range(count)]
    settled_s = settle(targets)
    with cpu_window(targets) as cpu:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return {**cpu, "settle_s": settled_s, "peak_rss_mb": peak_rss_mb()}


@contextmanager
def cpu_window(targets: Targets) -> Iterator[dict[str, float]]:
    """Wall time of the block, and the CPU seconds used meanwhile by us, the target, the rest."""
    figures: dict[str, float] = {}
    machine, own, target = _machine_busy_s(), time.process_time(), targets.cpu_s()
    started = time.perf_counter()
    yield figures
    figures["wall_s"] = time.perf_counter() - started
    figures["cpu_s"] = time.process_time() - own
    figures["target_cpu_s"] = targets.cpu_s() - target
    busy = _machine_busy_s() - machine
    # /proc counts in clock ticks (10 ms): a small negative remainder is rounding, not work.
    figures["others_cpu_s"] = max(0.0, busy - figures["cpu_s"] - figures["target_cpu_s"])


def settle(targets: Targets, *, busy_below: float = SETTLE_BUSY, within_s: float = SETTLE_WITHIN_S) -> float:
    """Wait until the rest of the machine is nearly idle; the seconds waited (bounded).

    On a shared machine another process's test run can take a whole core in the middle of a
    0.3 s burst. Measuring then says nothing about the gate, so each measurement first waits
    (at most `within_s`) for a 0.5 s stretch in which the machine, the target excluded, was
    busy less than `busy_below` of one core. Each figure still reports `others_cpu_s`.
    """
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        machine, target = _machine_busy_s(), targets.cpu_s()
        time.sleep(0.5)
        others = _machine_busy_s() - machine - (targets.cpu_s() - target)
        if others / 0.5 < busy_below:
            break
    return time.monotonic() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _machine_busy_s() -> float:
    """CPU seconds all cores have spent busy since boot (Linux /proc/stat; 0 elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
