"""`apiq-gate demo`, the README's first command: a real local HTTPS target, every kind of result."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from apiq_gate.cli import cli


def test_demo__shows_passing_failing_pending_and_waived_items_and_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--output-dir", str(tmp_path)])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    report = json.loads((tmp_path / "report.json").read_text())
    statuses = {item["id"]: item["status"] for s in report["sections"] for item in s["items"]}
    # Live probes against the local HTTPS target, through the real network path:
    assert statuses["ssl-certificate"] == "pass"
    assert statuses["health-checks"] == "pass"
    assert statuses["api-response-times"] == "pass"
    assert statuses["security-headers"] == "fail"  # the page has no Content-Security-Policy
    # Repository facts and the run's environment:
    assert statuses["rollback-runbook"] == "pass"
    assert statuses["strong-secrets"] == "fail"
    assert statuses["penetration-test"] == "pending"
    assert statuses["cdn"] == "waived"
    assert report["verdict"] == "fail"
    assert "NEXTAUTH_SECRET is 8 characters" in result.output
    assert "changeme" not in result.output  # the weak secret itself is never printed
    assert (tmp_path / "report.md").read_text().count("strong-secrets") >= 1
    preview = (tmp_path / "comment-preview.html").read_text()
    assert "Go-live blocked" in preview and "<details" in preview
