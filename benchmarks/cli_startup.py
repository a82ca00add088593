"""How fast does `apiq-gate --help` start? Target: median under 0.3 s.

Runs the installed console script (or `python -m apiq_gate` when it is not on PATH) ten
times and prints one JSON line: median, min and max wall-clock seconds and the machine.
When the median misses the target, `python -X importtime -c "import apiq_gate.cli"`
shows which import is to blame.

    python benchmarks/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

TARGET_S = 0.3


def command() -> list[str]:
    script = shutil.which("apiq-gate")
    return [script, "--help"] if script else [sys.executable, "-m", "apiq_gate", "--help"]


def time_once(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    argv = command()
    time_once(argv)  # warm the file cache and bytecode, as every run after a checkout's first is
    samples = [time_once(argv) for _ in range(runs)]
    median = statistics.median(samples)
    print(
        json.dumps(
            {
                "command": " ".join([os.path.basename(argv[0]), *argv[1:]]),
                "runs": runs,
                "median_s": round(median, 3),
                "min_s": round(min(samples), 3),
                "max_s": round(max(samples), 3),
                "target_s": TARGET_S,
                "within_target": median < TARGET_S,
                "nproc": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_1m": round(os.getloadavg()[0], 2)
                if hasattr(os, "getloadavg")
                else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
