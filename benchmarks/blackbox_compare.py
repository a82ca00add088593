"""apiq-gate's probes against Prometheus' blackbox_exporter, check by check, on the same targets.

    python -m benchmarks.blackbox_compare [--output docs/blackbox-comparison.md]

Needs Debian's `prometheus-blackbox-exporter` (the script only checks for it; install it
with `apt-get install prometheus-blackbox-exporter`). Everything runs on 127.0.0.1: local
HTTP and HTTPS servers with certificates made here (a private CA; valid, expired, expiring
in 9 days, an intermediate expiring first, a wrong host), the test suite's DNS server (A
records, a name that does not exist), an open and a closed TCP port. Each check is probed
ONCE by each tool: blackbox_exporter through `/probe?module=…&target=…&debug=true` (its
metrics and its probe log), apiq-gate through `config.loads` of an equivalent config and
each probe's `observe` + `judge`. Prints the comparison as Markdown.

How blackbox_exporter's verdict is read: as Prometheus would alert on it. A check passes
when `probe_success` is 1 and the check's extra rule (e.g. certificate expiry at least 21
days away, written on `probe_ssl_earliest_cert_expiry`) does not fire; a rule on a metric
the probe did not return does not fire, as in PromQL (no series, no alert).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

if not __package__:  # run as `python benchmarks/x.py`: the repository root must be importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.blackbox_checks import NAME, Check, Ports, checks
from benchmarks.blackbox_report import Row, markdown

EXPORTER = "prometheus-blackbox-exporter"
INSTALL_HINT = f"install it first: apt-get update && apt-get install -y {EXPORTER}"


@dataclass(frozen=True, kw_only=True, slots=True)
class BlackboxResult:
    metrics: dict[str, float]
    log_error: str | None  # the probe log's first error, e.g. "x509: certificate has expired…"


# --- blackbox_exporter ------------------------------------------------------------------


def exporter_version(binary: str) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else ""
    return first.split(", ", 1)[-1].split(" (", 1)[0] if first else "unknown"


@contextlib.contextmanager
def running_exporter(binary: str, modules: dict[str, Any], directory: Path) -> Iterator[str]:
    """blackbox_exporter on a free loopback port with `modules`; yields its base URL."""
    config = directory / "blackbox.yml"
    config.write_text(yaml.safe_dump({"modules": modules}, sort_keys=False))
    port = _free_port()
    log = (directory / "blackbox.log").open("w")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def probe_blackbox(base: str, module: str, target: str) -> BlackboxResult:
    answer = requests.get(f"{base}/probe", params={"module": module, "target": target, "debug": "true"}, timeout=15)
    answer.raise_for_status()
    text = answer.text
    logs, _, rest = text.partition("Metrics that would have been returned:")
    metrics_text = rest.split("Module configuration:", 1)[0]
    return BlackboxResult(metrics=parse_metrics(metrics_text), log_error=first_error(logs))


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text format → {"name{labels}": value} (labels kept as written)."""
    metrics = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            metrics[name] = float(value)
    return metrics


def first_error(logs: str) -> str | None:
    """The reason in blackbox's probe log: the `err=` (or `msg=`) of its first error line."""
    for line in logs.splitlines():
        if "level=error" not in line or 'msg="Probe failed"' in line:
            continue
        for key in (" err=", " msg="):
            if key in line:
                return _logfmt_value(line.split(key, 1)[1])
    return None


def _logfmt_value(text: str) -> str:
    """The value at the start of `text`: bare up to a space, or quoted with \\" escapes."""
    if not text.startswith('"'):
        return text.split(" ", 1)[0]
    value, escaped = [], False
    for char in text[1:]:
        if escaped:
            value.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            break
        else:
            value.append(char)
    return "".join(value)


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{EXPORTER} exited at start (code {process.returncode}); see its log")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/-/healthy", timeout=1).ok:
                return
        time.sleep(0.1)
    raise SystemExit(f"{EXPORTER} did not answer on {base} within 10 s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- apiq-gate --------------------------------------------------------------------------


def apiq_config(all_checks: list[Check], ports: Ports) -> str:
    items = [{"id": check.id, "title": check.check, "evidence": [check.apiq]} for check in all_checks]
    environment = {
        "url": f"http://{NAME}:{ports.http}",
        "host": NAME,
        "resolve": {NAME: "127.0.0.1"},
    }
    config = {
        "version": 1,
        "name": "blackbox comparison",
        "environments": {"local": environment},
        "defaults": {"timeout": "5s"},
        "sections": [{"id": "checks", "title": "Checks", "items": items}],
    }
    return yaml.safe_dump(config, sort_keys=False)


def probe_apiq(all_checks: list[Check], ports: Ports, root: Path) -> dict[str, tuple[Any, Any]]:
    """Each check's (facts, outcome), through the real config loader and each probe's
    observe + judge (not `run`, whose report keeps outcomes but not the facts compared here)."""
    from apiq_gate.config import loads  # noqa: PLC0415  (after the servers: imports are slow-ish)
    from apiq_gate.evidence.base import RunContext  # noqa: PLC0415
    from apiq_gate.run import allowed_hosts  # noqa: PLC0415

    checklist = loads(apiq_config(all_checks, ports), "blackbox-comparison.yml")
    environment = checklist.environments["local"]
    ctx = RunContext(
        root=root,
        environ={},
        environment_name="local",
        environment=environment,
        timeout=checklist.defaults.timeout.seconds,
        allowed_hosts=allowed_hosts(checklist, environment),
    )
    results = {}
    for _, item in checklist.items():
        probe = item.evidence[0]
        observed = probe.observe(ctx)
        results[item.id] = (observed, probe.judge(observed))
    return results


# --- the comparison ---------------------------------------------------------------------


def compare(binary: str) -> tuple[list[Row], str]:
    from tests.support.certs import CertFactory  # noqa: PLC0415  (test support: the repo root)
    from tests.support.dns_server import serving_dns  # noqa: PLC0415
    from tests.support.servers import Answer, serving  # noqa: PLC0415
    from tests.support.tls_servers import closed_port, serving_tls  # noqa: PLC0415

    routes = {
        "/ok": Answer(status=200, body="ok"),
        "/down": Answer(status=503, body="maintenance"),
        "/with-header": Answer(status=200, headers={"X-Request-Id": "7f3e2a90-5b1c"}, body="ok"),
        "/without-header": Answer(status=200, body="ok"),
    }
    zone = {f"app.{NAME}": {"A": ["127.0.0.1"]}, f"txt.{NAME}": {"TXT": ["v=spf1 -all"]}}
    with tempfile.TemporaryDirectory(prefix="apiq-blackbox-") as name, contextlib.ExitStack() as stack:
        directory = Path(name)
        certs = CertFactory(directory)
        served = {
            "valid": certs.leaf(NAME, days=90),
            "expired": certs.leaf(NAME, days=-2),
            "soon": certs.leaf(NAME, days=9),
            "intermediate": certs.leaf(NAME, days=90, intermediate_days=5),
            "wrong_host": certs.leaf(NAME, san=(f"other.{NAME}",)),
        }
        tls_ports = {key: stack.enter_context(serving_tls(cert)).port for key, cert in served.items()}
        http = stack.enter_context(serving(routes))
        dns = stack.enter_context(serving_dns(zone))
        ports = Ports(http=http.port, tls=tls_ports, dns=dns.port, closed=closed_port(), ca=certs.ca_bundle)
        all_checks = checks(ports)
        modules = {check.id: check.blackbox_module for check in all_checks}
        with running_exporter(binary, modules, directory) as base:
            blackbox = {c.id: probe_blackbox(base, c.id, c.blackbox_target) for c in all_checks}
        apiq = probe_apiq(all_checks, ports, directory)
        now = time.time()
        rows = [
            Row.of(
                check,
                metrics=blackbox[check.id].metrics,
                log_error=blackbox[check.id].log_error,
                observed=apiq[check.id][0],
                outcome=apiq[check.id][1],
                now=now,
            )
            for check in all_checks
        ]
    return rows, exporter_version(binary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, help="also write the Markdown to this file")
    args = parser.parse_args(argv)
    binary = shutil.which(EXPORTER)
    if binary is None:
        print(f"{EXPORTER} is not installed; {INSTALL_HINT}", file=sys.stderr)
        return 2
    rows, version = compare(binary)
    from apiq_gate import __version__ as apiq_version  # noqa: PLC0415

    document = markdown(rows, blackbox_version=version, apiq_version=apiq_version, day=dt.date.today())
    print(document)
    if args.output:
        args.output.write_text(document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
