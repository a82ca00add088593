"""Settings.from_environ: the Action's inputs as the runner passes them, and GITHUB_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apiq_gate.config_types import Duration
from apiq_gate.errors import UsageError
from apiq_gate.model import FailOn
from apiq_gate.probes.base import Wait
from apiq_gate.settings import CommentMode, Settings, StatusMode, input_env

WORKSPACE = Path(__file__).resolve().parent  # any directory that exists
RUNNER = {
    "GITHUB_EVENT_NAME": "pull_request",
    "GITHUB_REPOSITORY": "apiq/payments",
    "GITHUB_WORKSPACE": str(WORKSPACE),
}


def settings(**variables: str) -> Settings:
    return Settings.from_environ({**RUNNER, **variables})


def with_input(input_id: str, value: str) -> Settings:
    return settings(**{input_env(input_id): value})


@pytest.mark.parametrize(
    ("input_id", "variable"),
    [
        ("config", "INPUT_CONFIG"),
        ("github-token", "INPUT_GITHUB-TOKEN"),
        ("check-name", "INPUT_CHECK-NAME"),
        ("fail-on", "INPUT_FAIL-ON"),
        ("working-directory", "INPUT_WORKING-DIRECTORY"),
    ],
)
def test_input_env__upper_cases_the_id_and_keeps_hyphens(input_id, variable):
    assert input_env(input_id) == variable


def test_from_environ__without_inputs_gives_the_documented_defaults():
    s = settings()
    assert (s.config, s.phase, s.environment, s.github_token) == (
        ".github/apiq-gate.yml",
        None,
        None,
        "",
    )
    assert (s.comment, s.check_name, s.status, s.fail_on) == (
        CommentMode.ALWAYS,
        "apiq-gate",
        StatusMode.CHECK_RUN,
        FailOn.REQUIRED,
    )
    assert (s.wait, s.template, s.working_directory, s.pull_request) == (None, None, ".", None)
    assert (s.api_url, s.server_url, s.run_id, s.run_attempt) == (
        "https://api.github.com",
        "https://github.com",
        0,
        1,
    )


@pytest.mark.parametrize(
    ("input_id", "raw", "field", "expected"),
    [
        ("config", "  ci/gate.yml ", "config", "ci/gate.yml"),
        ("config", "./ci//gate.yml", "config", "ci/gate.yml"),
        ("phase", "go-live", "phase", "go-live"),
        ("phase", "   ", "phase", None),
        ("environment", "production\n", "environment", "production"),
        ("github-token", " ghs_abc \n", "github_token", "ghs_abc"),
        ("comment", "On-Failure", "comment", CommentMode.ON_FAILURE),
        ("comment", "never", "comment", CommentMode.NEVER),
        ("check-name", "  Go-live   gate ", "check_name", "Go-live gate"),
        ("status", "both", "status", StatusMode.BOTH),
        ("status", "commit-status", "status", StatusMode.COMMIT_STATUS),
        ("status", "none", "status", StatusMode.NONE),
        ("fail-on", "recommended", "fail_on", FailOn.RECOMMENDED),
        ("fail-on", "never", "fail_on", FailOn.NEVER),
        ("wait", "10m", "wait", Wait(timeout=Duration(600.0), interval=Duration(15.0))),
        ("wait", "", "wait", None),
        ("template", ".github/apiq-comment.md.j2", "template", ".github/apiq-comment.md.j2"),
        ("template", "", "template", None),
        ("working-directory", "services/payments/", "working_directory", "services/payments"),
        ("working-directory", "", "working_directory", "."),
        ("pull-request", "#42", "pull_request", 42),
        ("pull-request", "", "pull_request", None),
        ("bot-login", "apiq-release-bot[bot]", "bot_login", "apiq-release-bot[bot]"),
        ("bot-login", "", "bot_login", None),
    ],
)
def test_from_environ__converts_each_input(input_id: str, raw: str, field: str, expected: Any):
    assert getattr(with_input(input_id, raw), field) == expected


@pytest.mark.parametrize(
    ("input_id", "raw", "message"),
    [
        (
            "comment",
            "sometimes",
            "input `comment`: 'sometimes' is not one of always, on-failure, never",
        ),
        (
            "status",
            "check",
            "input `status`: 'check' is not one of check-run, commit-status, both, none",
        ),
        (
            "fail-on",
            "optional",
            "input `fail-on`: 'optional' is not one of required, recommended, never",
        ),
        ("wait", "ten minutes", "input `wait`: 'ten minutes' is not a duration"),
        ("wait", "0s", "input `wait`: give a duration longer than zero"),
        ("config", "", "input `config` is empty"),
        (
            "config",
            "../other/gate.yml",
            "input `config`: '../other/gate.yml' leaves the repository",
        ),
        ("template", "/etc/passwd", "input `template`: '/etc/passwd' leaves the repository"),
        (
            "working-directory",
            "a/../../b",
            "input `working-directory`: 'a/../../b' leaves the repository",
        ),
        ("check-name", "   ", "input `check-name` is empty"),
        ("check-name", "x" * 101, "input `check-name` is 101 characters; at most 100"),
        ("pull-request", "abc", "input `pull-request`: 'abc' is not a pull request number"),
        ("pull-request", "0", "input `pull-request`: '0' is not a pull request number"),
    ],
)
def test_from_environ__a_bad_input_names_the_input_and_what_it_accepts(input_id, raw, message):
    with pytest.raises(UsageError) as caught:
        with_input(input_id, raw)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"GITHUB_EVENT_NAME": ""}, "GITHUB_EVENT_NAME is not set"),
        ({"GITHUB_REPOSITORY": "payments"}, "GITHUB_REPOSITORY: 'payments' is not owner/name"),
        ({"GITHUB_RUN_ID": "12a"}, "GITHUB_RUN_ID: '12a' is not a number"),
        (
            {"GITHUB_API_URL": "api.github.com"},
            "GITHUB_API_URL: 'api.github.com' is not an http(s) URL",
        ),
        ({"GITHUB_WORKSPACE": ""}, "GITHUB_WORKSPACE is not set; the runner sets it to the job's workspace"),
        ({"GITHUB_WORKSPACE": "/no/such/workspace"}, "GITHUB_WORKSPACE '/no/such/workspace' is not a directory"),
    ],
)
def test_from_environ__a_bad_runner_variable_is_named(variables, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings(**variables)


def test_from_environ__runner_variables():
    s = settings(
        GITHUB_EVENT_PATH="/github/workflow/event.json",
        GITHUB_API_URL="https://ghe.example.com/api/v3/",
        GITHUB_SERVER_URL="https://ghe.example.com",
        GITHUB_RUN_ID="9001",
        GITHUB_RUN_ATTEMPT="2",
        GITHUB_SHA="a" * 40,
        GITHUB_REF="refs/pull/2/merge",
        GITHUB_OUTPUT="/github/file_commands/output",
        GITHUB_STEP_SUMMARY="/github/file_commands/summary",
    )
    assert s.event_path == Path("/github/workflow/event.json")
    assert s.api_url == "https://ghe.example.com/api/v3"  # GHES: the trailing slash would double up
    assert (s.run_id, s.run_attempt, s.sha, s.ref) == (9001, 2, "a" * 40, "refs/pull/2/merge")
    assert s.output_path == Path("/github/file_commands/output")
    assert s.summary_path == Path("/github/file_commands/summary")


def test_settings__the_token_stays_out_of_repr():
    s = with_input("github-token", "ghs_TopSecretToken123")
    assert s.github_token == "ghs_TopSecretToken123"
    assert "TopSecret" not in repr(s)


def test_settings__root_is_the_working_directory_inside_the_workspace():
    s = settings(**{"INPUT_WORKING-DIRECTORY": "services/payments"})
    assert s.root == WORKSPACE / "services" / "payments"


@pytest.mark.parametrize(
    ("run_id", "attempt", "url"),
    [
        ("", "", ""),
        ("77", "1", "https://github.com/apiq/payments/actions/runs/77"),
        ("77", "3", "https://github.com/apiq/payments/actions/runs/77/attempts/3"),
    ],
)
def test_settings__run_url_points_at_the_attempt(run_id, attempt, url):
    assert settings(GITHUB_RUN_ID=run_id, GITHUB_RUN_ATTEMPT=attempt).run_url == url


@pytest.mark.parametrize(
    ("check_name", "file"),
    [
        ("apiq-gate", "apiq-gate-report.json"),
        ("Go-live: EU", "go-live--eu-report.json"),
        ("///", "apiq-gate-report.json"),
    ],
)
def test_settings__report_file_is_named_after_the_check(check_name, file):
    assert with_input("check-name", check_name).report_file == file
