"""The command line through click's runner: options, formats, exit codes and messages."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from apiq_gate import __version__
from apiq_gate.errors import ISSUES_URL
from apiq_gate.evidence.base import Evidence
from apiq_gate.model import Outcome, Status
from apiq_gate.schema import config_schema

CONFIG = """
    version: 1
    name: Payments API go-live
    environments:
      staging: {url: https://staging.payments.example}
      production: {url: https://payments.example}
    sections:
      - id: operations
        title: Operations
        items:
          - id: rollback-runbook
            title: Rollback runbook written
            phases: [pre-deploy]
            evidence: [{file: docs/runbooks/rollback.md}]
          - id: status-page
            title: Status page linked
            severity: recommended
            phases: [go-live]
            evidence: [{file: docs/status-page.md}]
          - id: launch-review
            title: Launch reviewed
            severity: optional
            phases: [post-launch]
            evidence: [{manual: {signers: ["@payments/leads"]}}]
"""


@pytest.fixture
def repo(tmp_path, write_config, write_file) -> Path:
    """A repository whose required item passes, recommended item fails, optional one waits."""
    write_file("docs/runbooks/rollback.md", "# Rollback\n")
    return write_config(CONFIG)


def check_json(run_cli, config: Path, *options: object):
    result = run_cli(
        "check", "--config", config, "--root", config.parent, "--format", "json", *options
    )
    return result, json.loads(result.stdout) if result.stdout.startswith("{") else None


def statuses(report: dict) -> dict[str, str]:
    return {
        item["id"]: item["status"] for section in report["sections"] for item in section["items"]
    }


# --- check: formats and output ------------------------------------------------------------


def test_check__json_report_to_stdout(run_cli, repo):
    result, report = check_json(run_cli, repo)

    assert result.exit_code == 0, result.output
    assert (report["gate"], report["verdict"], report["exit_code"], report["environment"]) == (
        "Payments API go-live",
        "pass",
        0,
        "staging",
    )
    assert statuses(report) == {
        "rollback-runbook": "pass",
        "status-page": "fail",
        "launch-review": "pending",
    }


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_check__human_formats_show_each_item_and_its_reason(fmt, run_cli, repo):
    result = run_cli("check", "--config", repo, "--root", repo.parent, "--format", fmt)

    assert result.exit_code == 0, result.output
    for shown in (
        "Payments API go-live",
        "Rollback runbook written",
        "Status page linked",
        "docs/status-page.md does not exist in the repository",
        "Launch reviewed",
    ):
        assert shown in result.stdout


def test_check__markdown_starts_with_a_heading(run_cli, repo):
    result = run_cli("check", "--config", repo, "--root", repo.parent, "--format", "markdown")

    assert result.stdout.startswith("#")


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_check__output_writes_the_report_to_a_file_not_stdout(fmt, run_cli, repo, tmp_path):
    target = tmp_path / "out" / f"report.{fmt}"

    result = run_cli(
        "check", "--config", repo, "--root", repo.parent, "--format", fmt, "--output", target
    )

    assert result.exit_code == 0, result.output
    written = target.read_text(encoding="utf-8")
    assert "docs/status-page.md does not exist in the repository" in written
    assert "docs/status-page.md" not in result.stdout
    if fmt == "json":
        assert json.loads(written)["verdict"] == "pass"


def test_check__default_config_path_is_dot_github(run_cli, repo, tmp_path, monkeypatch):
    (tmp_path / ".github").mkdir()
    repo.rename(tmp_path / ".github" / "apiq-gate.yml")
    monkeypatch.chdir(tmp_path)

    result = run_cli("check", "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["config"] == ".github/apiq-gate.yml"


# --- check: phase, environment --------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (
            "pre-deploy",
            {"rollback-runbook": "pass", "status-page": "skipped", "launch-review": "skipped"},
        ),
        (
            "go-live",
            {"rollback-runbook": "skipped", "status-page": "fail", "launch-review": "skipped"},
        ),
        (
            "post-launch",
            {"rollback-runbook": "skipped", "status-page": "skipped", "launch-review": "pending"},
        ),
    ],
)
def test_check__phase_evaluates_only_its_items(phase, expected, run_cli, repo):
    _, report = check_json(run_cli, repo, "--phase", phase)

    assert report["phase"] == phase
    assert statuses(report) == expected


def test_check__unknown_phase_is_a_usage_error(run_cli, repo):
    result = run_cli("check", "--config", repo, "--root", repo.parent, "--phase", "golive")

    assert result.exit_code == 2
    assert (
        "unknown phase 'golive' (phases in the config: pre-deploy, go-live, post-launch)"
        in result.stderr
    )
    assert result.stdout == ""


def test_check__environment_is_chosen_by_name(run_cli, repo):
    result, report = check_json(run_cli, repo, "--environment", "production")

    assert result.exit_code == 0
    assert report["environment"] == "production"


def test_check__unknown_environment_is_a_usage_error(run_cli, repo):
    result = run_cli("check", "--config", repo, "--root", repo.parent, "--environment", "prod")

    assert result.exit_code == 2
    assert (
        "unknown environment 'prod' (environments in the config: staging, production)"
        in result.stderr
    )
    assert "Traceback" not in result.output


# --- check: fail-on policies and exit codes ---------------------------------------------------


@pytest.mark.parametrize(
    ("runbook_written", "fail_on", "verdict", "code"),
    [
        (True, "required", "pass", 0),  # only a recommended item fails
        (True, "recommended", "fail", 1),
        (True, "never", "pass", 0),
        (False, "required", "fail", 1),  # the required item fails
        (False, "recommended", "fail", 1),
        (False, "never", "fail", 0),  # shown, but never fails the job
    ],
)
def test_check__fail_on_policy_sets_verdict_and_exit_code(
    runbook_written, fail_on, verdict, code, run_cli, repo
):
    if not runbook_written:
        (repo.parent / "docs" / "runbooks" / "rollback.md").unlink()

    result, report = check_json(run_cli, repo, "--fail-on", fail_on)

    assert (report["verdict"], report["fail_on"], report["exit_code"], result.exit_code) == (
        verdict,
        fail_on,
        code,
        code,
    )


def test_check__required_sign_off_outstanding_is_pending_and_exits_1(
    run_cli, write_config, tmp_path
):
    config = write_config(
        """
        version: 1
        name: Payments API go-live
        sections:
          - id: security
            title: Security
            items:
              - id: pen-test
                title: Penetration test signed off
                evidence: [{manual: {signers: ["@payments/security"]}}]
        """
    )

    result, report = check_json(run_cli, config)

    assert (report["verdict"], result.exit_code) == ("pending", 1)


def test_check__unknown_fail_on_policy_is_a_usage_error(run_cli, repo):
    result = run_cli("check", "--config", repo, "--fail-on", "optional")

    assert result.exit_code == 2
    assert "'optional' is not one of 'required', 'recommended', 'never'" in result.stderr


def test_check__unknown_format_is_a_usage_error(run_cli, repo):
    result = run_cli("check", "--config", repo, "--format", "pdf")

    assert result.exit_code == 2
    assert "'pdf' is not one of 'text', 'json', 'markdown'" in result.stderr


def test_check__missing_config_exits_2_naming_the_path(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = run_cli("check")

    assert result.exit_code == 2
    assert ".github/apiq-gate.yml:1:1: file not found; create it, or pass --config" in result.stderr


# --- validate, schema, help, version ---------------------------------------------------------


def test_validate__valid_config_exits_0_with_a_summary(run_cli, repo, monkeypatch):
    monkeypatch.chdir(repo.parent)

    result = run_cli("validate", repo.name)

    assert result.exit_code == 0
    assert result.stdout == "apiq-gate.yml: valid (1 sections, 3 items, 0 waivers)\n"


def test_validate__broken_config_exits_2_with_the_located_problem(
    run_cli, write_config, monkeypatch
):
    config = write_config(CONFIG.replace("severity: optional", "severity: optionl"))
    monkeypatch.chdir(config.parent)

    result = run_cli("validate", config.name)

    assert result.exit_code == 2
    assert (
        "apiq-gate.yml:21:19: sections[0].items[2].severity: 'optionl' is not one of required, "
        "recommended, optional; did you mean 'optional'?"
    ) in result.stderr


def test_schema__prints_the_config_schema(run_cli):
    result = run_cli("schema")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == config_schema()


def test_schema__output_writes_it_to_a_file(run_cli, tmp_path):
    target = tmp_path / "apiq-gate.schema.json"

    result = run_cli("schema", "--output", target)

    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == config_schema()


def test_help__lists_the_commands_and_the_exit_codes(run_cli):
    result = run_cli("--help")

    assert result.exit_code == 0
    for command in ("check", "validate", "schema", "import", "demo"):
        assert f"  {command}" in result.stdout
    for code in (
        "0  the gate passed",
        "1  the gate failed",
        "2  bad config or bad usage",
        "3  unexpected error",
    ):
        assert code in result.stdout


def test_version__prints_the_version(run_cli):
    result = run_cli("--version")

    assert (result.exit_code, result.stdout) == (0, f"apiq-gate, version {__version__}\n")


def test_unknown_command__is_a_usage_error(run_cli):
    result = run_cli("chek")

    assert result.exit_code == 2
    assert "No such command 'chek'" in result.stderr


# --- an unexpected error: exit 3, one line, where to report it ----------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Unlabelable(Evidence):
    """A kind with a bug outside observe/judge (which run and evaluate already fence)."""

    kind = "unlabelable"

    def label(self) -> str:
        raise RuntimeError("label template missing")

    def observe(self, ctx: object) -> object:
        return None

    def judge(self, observation: object) -> Outcome:
        return Outcome(status=Status.PASS, reason="fine")


def test_unexpected_error__exits_3_with_one_line_and_the_issues_url(
    run_cli, write_config, register_kind
):
    register_kind(Unlabelable)
    config = write_config(
        """
        version: 1
        name: Gate
        sections:
          - id: s
            title: S
            items:
              - id: i
                title: I
                evidence: [{unlabelable: {}}]
        """
    )

    result = run_cli("check", "--config", config, "--root", config.parent)

    assert result.exit_code == 3
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unexpected RuntimeError: label template missing" in lines[0]
    assert ISSUES_URL in lines[0]


def test_cli__an_output_path_that_cannot_be_written_is_bad_usage_not_a_bug(run_cli, write_config, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")

    for args in (["schema", "-o", blocker / "x.json"], ["demo", "--output-dir", blocker / "demo"]):
        result = run_cli(*args)
        assert result.exit_code == 2, result.output
        assert "cannot write" in result.output and "bug" not in result.output


def test_cli__output_dash_is_standard_output(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = run_cli("schema", "-o", "-")

    assert result.exit_code == 0 and result.output.startswith("{")
    assert not (tmp_path / "-").exists()


def test_cli__a_reader_that_goes_away_keeps_the_verdict_as_the_exit_code(tmp_path):
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    # `apiq-gate demo | head -1`: the pipe closes early; the exit code is still the gate's (1).
    done = subprocess.run(
        f"{sys.executable} -m apiq_gate demo --output-dir {tmp_path / 'demo'} | head -1; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "unexpected" not in done.stderr
