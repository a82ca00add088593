"""Tokens that may not do everything, end to end: a personal token, a fork's read-only token, no
`checks: write`, no `contents: read`, no `pull-requests: write`. Nothing crashes, each refusal is
said once with its fix, and the fork advice appears only on pull requests from forks."""

from __future__ import annotations

import pytest

from apiq_gate.comment_state import decode_state
from tests.fakegithub import Identity, TokenSpec
from tests.support.action_runner import event_payload
from tests.support.entrypoint_cases import (
    CONTENTS,
    CREATE_CHECK,
    CREATE_STATUS,
    EDIT_COMMENT,
    HEAD,
    LIST_COMMENTS,
    PR,
    assert_no_traceback,
    earlier_report,
    ours,
    run_pr,
)


@pytest.mark.parametrize(
    ("status", "requests"),
    [
        ("check-run", [CONTENTS, CONTENTS, "GET /user", LIST_COMMENTS, EDIT_COMMENT, CREATE_CHECK, CREATE_STATUS]),
        ("commit-status", [CONTENTS, CONTENTS, "GET /user", LIST_COMMENTS, EDIT_COMMENT, CREATE_STATUS]),
    ],
)
def test_second_run_with_a_personal_token__check_runs_refused_each_run_unless_status_is_commit_status(
    fake, pr_repo, runner, status, requests
):
    repo = pr_repo()
    first = repo.comment(PR, earlier_report(100), author="release-manager")  # the first run's
    token = fake.add_token(TokenSpec.personal(Identity(login="release-manager", id=9001)), "ghp_personal0001")

    job = run_pr(runner, token, run_id=101, inputs={"status": status})

    assert [r.operation for r in fake.requests] == requests
    assert {r.status for r in fake.requests_for(CREATE_CHECK)} <= {403}
    [comment] = repo.comments(PR)
    assert (comment.id, decode_state(comment.body).run_id) == (first.id, 101)
    assert [s.state for s in repo.statuses(HEAD)] == ["failure"]
    fallback = [w for w in job.commands("warning") if "falls back to a commit status" in w]
    assert len(fallback) == requests.count(CREATE_CHECK)
    assert all("set `status: commit-status`" in w for w in fallback)


def test_fork_pull_request_with_a_read_only_token__no_crash_report_in_summary_one_warning(fake, pr_repo, runner):
    repo = pr_repo("pull_request.opened.fork")
    token = fake.add_token(TokenSpec.fork_pull_request())

    job = run_pr(runner, token, payload=event_payload("pull_request.opened.fork"))

    assert job.exit_code == 1  # the verdict's
    assert (repo.comments(PR), repo.check_runs(), repo.statuses()) == ((), (), ())
    [fork_warning] = job.commands("warning")
    assert "comes from a fork" in fork_warning
    assert "docs/action.md#forks" in fork_warning
    assert [e for e in job.commands("error") if "title=rollback-runbook" not in e] == []
    assert "Go-live blocked: 1 required item failing" in job.summary
    assert "docs/action.md#forks" in job.summary
    assert job.outputs["verdict"] == "fail"
    assert (job.outputs["comment-url"], job.outputs["check-url"]) == ("", "")
    writes = [r for r in fake.requests if r.method != "GET"]
    assert len(writes) == 1  # the first refusal stops every further write
    assert_no_traceback(job)


def test_no_checks_write__falls_back_to_a_commit_status_and_says_so_once(fake, pr_repo, runner):
    repo = pr_repo()
    token = fake.add_token(TokenSpec.workflow(checks=None))

    job = run_pr(runner, token)

    assert job.exit_code == 1
    assert repo.check_runs() == ()
    [status] = repo.statuses(HEAD)
    assert (status.context, status.state) == ("apiq-gate", "failure")
    assert status.description == "Go-live blocked: 1 required item failing"
    assert len(status.description) <= 140
    assert status.target_url == "https://github.com/Codertocat/Hello-World/actions/runs/4200"
    [fallback] = job.commands("warning")
    assert "falls back to a commit status 'apiq-gate'" in fallback
    assert "checks: write" in fallback
    assert "commit status" in job.summary
    assert job.outputs["check-url"] == ""
    assert len(ours(repo)) == 1


@pytest.mark.parametrize(
    ("payload", "spec", "fork_advice"),
    [
        ("pull_request.opened", TokenSpec.workflow(contents=None), False),
        ("pull_request.opened.fork", TokenSpec.fork_pull_request().with_permissions(contents=None), True),
    ],
)
def test_no_contents_read__exit_2_names_the_permission_and_gives_fork_advice_only_on_a_fork(
    fake, pr_repo, runner, payload, spec, fork_advice
):
    pr_repo(payload)
    token = fake.add_token(spec)

    job = run_pr(runner, token, payload=event_payload(payload))

    assert job.exit_code == 2
    [shown] = job.commands("error")
    assert "GitHub answered 403" in shown
    assert "The token lacks `contents: read`: grant it under `permissions:` in the workflow." in shown
    assert ("docs/action.md#forks" in shown) is fork_advice
    assert ("from a fork" in job.summary) is fork_advice
    assert_no_traceback(job)


def test_no_pull_requests_write_on_a_same_repository_pr__error_names_it_without_fork_advice(fake, pr_repo, runner):
    repo = pr_repo()
    token = fake.add_token(TokenSpec.workflow(pull_requests="read"))

    job = run_pr(runner, token)

    assert job.exit_code == 1  # the verdict's
    [shown] = [e for e in job.commands("error") if "title=rollback-runbook" not in e]
    assert "Could not create the comment on pull request #2: GitHub answered 403" in shown
    assert "The token lacks `pull-requests: write`" in shown
    assert "fork" not in shown
    assert "fork" not in job.summary
    assert [c.conclusion for c in repo.check_runs(HEAD)] == ["failure"]  # the check still goes out
