"""GitHub and the runner failing, end to end: 502s, a secondary rate limit, GitHub down, files the
runner gave that cannot be written, no workspace. No traceback, and the exit code is the verdict's
(or 2 when there is no verdict). Faults use `Retry-After: 0` so that the GitHub layer's real retry
loop runs without the test sleeping through its backoff."""

from __future__ import annotations

import pytest

from tests.fakegithub import Reply, TokenSpec
from tests.support.action_runner import ActionRunner, event_payload
from tests.support.entrypoint_cases import (
    BASE_CONFIG,
    CONFIG_PATH,
    CONTENTS,
    CREATE_COMMENT,
    PR,
    RUNBOOK,
    STRONG_SECRET,
    assert_no_traceback,
    github_down,
    run_pr,
)


def test_github_answering_502_twice_then_succeeding__the_run_goes_on_as_usual(fake, pr_repo, runner):
    repo = pr_repo()
    token = fake.add_token(TokenSpec.workflow())
    fake.faults.respond(
        CONTENTS,
        Reply(status=502, body={"message": "Server Error"}, headers={"Retry-After": "0"}),
        times=2,
    )

    job = run_pr(runner, token)

    assert job.exit_code == 1
    assert len(repo.comments(PR)) == 1
    assert [c.conclusion for c in repo.check_runs()] == ["failure"]
    assert [r.status for r in fake.requests_for(CONTENTS)][:3] == [502, 502, 200]
    assert [e for e in job.commands("error") if "title=rollback-runbook" not in e] == []


def test_secondary_rate_limit__retried_as_github_asks_and_one_comment_created(fake, pr_repo, runner):
    repo = pr_repo()
    token = fake.add_token(TokenSpec.workflow())
    fake.faults.secondary_rate_limit(CREATE_COMMENT, retry_after=0)

    job = run_pr(runner, token)

    assert job.exit_code == 1
    assert len(repo.comments(PR)) == 1
    assert [r.status for r in fake.requests_for(CREATE_COMMENT)] == [403, 201]
    assert job.outputs["comment-url"]
    assert [e for e in job.commands("error") if "title=rollback-runbook" not in e] == []


@pytest.mark.parametrize(("runbook", "verdict", "exit_code"), [(False, "fail", 1), (True, "pass", 0)])
def test_github_down_for_the_whole_run__summary_and_outputs_written_exit_code_is_the_verdicts(
    fake, dispatch_repo, tmp_path, runbook, verdict, exit_code
):
    runner = ActionRunner(tmp_path, api_url=fake.url, repository=dispatch_repo.full_name)
    runner.write({CONFIG_PATH: BASE_CONFIG, **(RUNBOOK if runbook else {})})
    token = fake.add_token(TokenSpec.workflow())
    github_down(fake)

    job = runner.run(
        event="workflow_dispatch",
        payload=event_payload("workflow_dispatch"),
        token=token,
        env={"JWT_SECRET": STRONG_SECRET},
        sha="d" * 40,
        ref="refs/heads/main",
    )

    assert job.exit_code == exit_code
    assert job.outputs["verdict"] == verdict
    assert job.report["verdict"] == verdict
    github_errors = [e for e in job.commands("error") if "title=rollback-runbook" not in e]
    assert len(github_errors) == 1
    assert "Could not create the check run" in github_errors[0]
    assert "503" in github_errors[0]
    assert "### Publishing on GitHub" in job.summary
    assert ("Ready for go-live" if runbook else "Go-live blocked") in job.summary
    assert dispatch_repo.check_runs() == ()
    assert_no_traceback(job)


def test_github_down_on_a_pull_request__no_config_can_be_read_so_exit_2_never_0(fake, pr_repo, runner):
    pr_repo()
    token = fake.add_token(TokenSpec.workflow())
    github_down(fake)
    runner.write({CONFIG_PATH: BASE_CONFIG, **RUNBOOK})  # a passing config in the checkout is not used

    job = run_pr(runner, token)

    assert job.exit_code == 2
    assert job.outputs["verdict"] == "error"
    assert "No verdict was reached, so the gate does not pass" in job.summary
    assert "503" in job.summary
    assert_no_traceback(job)


@pytest.mark.parametrize(
    ("variable", "where", "reason"),
    [
        ("GITHUB_OUTPUT", "gone/output", "No such file or directory"),  # its folder is gone
        ("GITHUB_STEP_SUMMARY", "summary-dir", "Is a directory"),
    ],
)
def test_unwritable_runner_file__one_error_naming_it_no_traceback_exit_code_is_the_verdicts(
    fake, pr_repo, runner, tmp_path, variable, where, reason
):
    pr_repo()
    (tmp_path / "summary-dir").mkdir()
    path = tmp_path / where
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token, env={"JWT_SECRET": STRONG_SECRET, variable: str(path)})

    assert job.exit_code == 1
    [named] = [e for e in job.commands("error") if variable in e]
    assert named.startswith(f"::error title=apiq-gate could not write {variable}::")
    assert f"apiq-gate could not write {variable} ({path}): {reason}" in named
    assert [e for e in job.commands("error") if "title=rollback-runbook" not in e] == [named]
    assert "apiq-gate: Go-live blocked: 1 required item failing" in job.lines  # the run went on
    assert_no_traceback(job)


@pytest.mark.parametrize(
    ("workspace", "message"),
    [
        ("", "GITHUB_WORKSPACE is not set; the runner sets it to the job's workspace"),
        ("no-such-workspace", "is not a directory; it should be the job's workspace"),
    ],
)
def test_missing_workspace__exit_2_with_a_clear_message_not_a_bug(fake, runner, tmp_path, workspace, message):
    token = fake.add_token(TokenSpec.workflow())
    where = str(tmp_path / workspace) if workspace else ""

    job = run_pr(runner, token, env={"GITHUB_WORKSPACE": where})

    assert job.exit_code == 2
    [shown] = job.commands("error")
    assert shown.startswith("::error title=apiq-gate could not run::")
    assert message in shown
    assert message in job.summary
    assert job.outputs["verdict"] == "error"
    assert fake.requests == ()
    assert_no_traceback(job)
