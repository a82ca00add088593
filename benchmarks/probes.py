"""Probe benchmark: how long a burst of probes takes through the gate, against one probe alone.

    python -m benchmarks.probes [--runs 5] [--scenario burst|mixed|all] [--delay 0.2]

Targets (`benchmarks/servers.py`, in their own process): HTTP and HTTPS on 127.0.0.1 that
answer every request after `--delay` seconds, with a deep accept queue, so the target is
never the bottleneck. Every measurement runs in a FRESH Python process through the real
code path, `apiq_gate.config.loads` of a generated config then `apiq_gate.run.run` with the
config's own defaults (concurrency included): nothing is warmed up, and the peak RSS read in
that process (ru_maxrss) is the run's alone.

Scenarios (probes in config order; every probe must pass, or the run is reported invalid):
- `burst`: 100 `http` probes (GET, status 200) then 30 `tls` probes (verified against the
  benchmark's private CA, days_left >= 21). Targets: wall <= 2x the slowest single probe;
  at least 40x faster than sequential.
- `mixed`: the burst, then 10 `latency` probes of 20 samples (keep-alive, one warm-up
  request, as by default). Target: wall <= 1.2x the slowest latency probe.
Peak RSS under 150 MB in both.

Per run, each probe kind is also run ALONE once, in its own fresh process, through the same
path (a config holding that one probe): `slowest_probe_s` is the slowest of those, and
`sequential_s` is each kind's single time multiplied by its count and summed (one
representative probe per kind, not every probe). One JSON line per scenario: the median over
`--runs` runs of each figure, each run's own figures in `runs`, and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if not __package__:  # run as `python benchmarks/x.py`: the repository root must be importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import bare as measure_bare
from benchmarks.measure import gate as measure_gate
from benchmarks.servers import Targets, serving_targets

SCENARIOS: dict[str, dict[str, int]] = {
    "burst": {"http": 100, "tls": 30},
    "mixed": {"http": 100, "tls": 30, "latency": 10},
}
SINGLES: dict[str, dict[str, int]] = {kind: {kind: 1} for kind in ("http", "tls", "latency")}
PEAK_RSS_LIMIT_MB = 150.0
SEQUENTIAL_METHOD = "each kind run alone once per run (fresh process), times its count, summed"
REPO = Path(__file__).resolve().parent.parent


# --- one measurement, in a fresh process -------------------------------------------------


def measure_in_child(
    counts: Mapping[str, int], targets: Targets, *, bare: bool = False
) -> dict[str, Any]:
    """One measurement (`measure.gate` or `measure.bare`) in a fresh interpreter."""
    payload = json.dumps({"counts": counts, "targets": _targets_json(targets), "bare": bare})
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.probes", "--child", payload],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def _targets_json(targets: Targets) -> dict[str, Any]:
    return {
        "http": targets.http_port, "https": targets.https_port, "ca_bundle": str(targets.ca_bundle),
        "name": targets.name, "pid": targets.pid,
    }  # fmt: skip


# --- one run and the summary ------------------------------------------------------------


def one_run(scenarios: list[str], targets: Targets) -> dict[str, dict[str, Any]]:
    """Each kind alone, then each scenario: one figure set per scenario."""
    singles = {kind: measure_in_child(counts, targets) for kind, counts in SINGLES.items()}
    for kind, single in singles.items():
        if single["not_passed_count"]:
            raise RuntimeError(f"the single {kind} probe did not pass: {single['not_passed']}")
    figures = {}
    for name in scenarios:
        counts = SCENARIOS[name]
        measured = measure_in_child(counts, targets)
        bare = (
            measure_in_child(counts, targets, bare=True) if set(counts) <= {"http", "tls"} else None
        )
        alone = {kind: singles[kind]["wall_s"] for kind in counts}
        slowest_kind = max(alone, key=alone.__getitem__)
        sequential = sum(alone[kind] * count for kind, count in counts.items())
        figures[name] = {
            **measured,
            "single_probe_s": alone,
            "slowest_probe_s": alone[slowest_kind],
            "slowest_kind": slowest_kind,
            "sequential_s": sequential,
            "wall_over_slowest": measured["wall_s"] / alone[slowest_kind],
            "speedup_vs_sequential": sequential / measured["wall_s"],
            **(_bare_figures(bare, alone[slowest_kind]) if bare else {}),
        }
    return figures


def _bare_figures(bare: Mapping[str, Any], slowest_s: float) -> dict[str, Any]:
    return {
        "bare_wall_s": bare["wall_s"],
        "bare_over_slowest": bare["wall_s"] / slowest_s,
        "bare_cpu_s": bare["cpu_s"],
        "bare_others_cpu_s": bare["others_cpu_s"],
    }


def targets_met(name: str, figures: Mapping[str, Any]) -> dict[str, bool]:
    met = {
        "peak_rss_mb < 150": figures["peak_rss_mb"] < PEAK_RSS_LIMIT_MB,
        "all probes passed": not figures["not_passed_count"],
    }
    if name == "burst":
        met["wall <= 2x slowest probe"] = figures["wall_over_slowest"] <= 2.0
        met[">= 40x faster than sequential"] = figures["speedup_vs_sequential"] >= 40.0
    else:
        met["wall <= 1.2x slowest latency probe"] = figures["wall_over_slowest"] <= 1.2
    return met


def summary(name: str, runs: list[dict[str, Any]], delay_s: float) -> dict[str, Any]:
    numeric = (
        "wall_s", "slowest_probe_s", "sequential_s", "peak_rss_mb", "wall_over_slowest",
        "speedup_vs_sequential", "load_s", "cpu_s", "target_cpu_s", "others_cpu_s",
        "bare_wall_s", "bare_over_slowest", "bare_others_cpu_s",
    )  # fmt: skip
    median = {
        key: round(statistics.median(run[key] for run in runs), 4)
        for key in numeric
        if key in runs[0]
    }
    median["not_passed_count"] = max(run["not_passed_count"] for run in runs)
    counts = SCENARIOS[name]
    return {
        "scenario": name,
        "probes": sum(counts.values()),
        "probe_kinds": counts,
        **median,
        "slowest_kind": runs[0]["slowest_kind"],
        "sequential_method": SEQUENTIAL_METHOD,
        "targets_met": targets_met(name, median),
        "runs_count": len(runs),
        "delay_s": delay_s,
        "concurrency": runs[0]["concurrency"],
        "machine": machine(),
        "runs": [_rounded(run) for run in runs],
    }


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "platform": platform.platform(terse=True),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, default=5, help="runs per scenario; the median is printed (5)"
    )
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument(
        "--delay", type=float, default=0.2, help="the targets' answer delay in seconds (0.2)"
    )
    parser.add_argument(
        "--child", help=argparse.SUPPRESS
    )  # internal: one measurement, JSON in and out
    args = parser.parse_args(argv)
    if args.child:
        given = json.loads(args.child)
        t = given["targets"]
        targets = Targets(
            http_port=t["http"],
            https_port=t["https"],
            ca_bundle=Path(t["ca_bundle"]),
            name=t["name"],
            pid=t["pid"],
        )
        measure = measure_bare if given["bare"] else measure_gate
        print(json.dumps(measure(given["counts"], targets)))
        return 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    scenarios = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    with (
        tempfile.TemporaryDirectory(prefix="apiq-bench-") as directory,
        serving_targets(args.delay, Path(directory)) as targets,
    ):
        runs = [one_run(scenarios, targets) for _ in range(args.runs)]
    for name in scenarios:
        print(json.dumps(summary(name, [run[name] for run in runs], args.delay)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
