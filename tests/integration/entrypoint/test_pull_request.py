"""A pull request gated end to end: `entrypoint.py` run as GitHub runs the Docker action (inputs as
INPUT_*, a real event payload, GITHUB_* variables) against the fake GitHub API over real HTTP.
Each test asserts what a user sees: the comment, the check, the outputs, the summary, the log and
the exit code."""

from __future__ import annotations

from apiq_gate.comment_state import decode_state
from tests.fakegithub import TokenSpec
from tests.support.action_runner import event_payload
from tests.support.entrypoint_cases import (
    BASE,
    BASE_CONFIG,
    BOT,
    CONFIG_PATH,
    CONTENTS,
    CREATE_CHECK,
    EDIT_COMMENT,
    HEAD,
    LIST_COMMENTS,
    MARKER,
    PR,
    RUNBOOK,
    RUNBOOK_LINE,
    assert_no_traceback,
    config,
    run_pr,
)


def test_first_run__one_comment_a_failing_check_outputs_summary_and_exit_1(fake, pr_repo, runner):
    repo = pr_repo()
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token)

    assert job.exit_code == 1
    [comment] = repo.comments(PR)
    assert comment.author.login == BOT
    assert MARKER in comment.body
    assert "Go-live blocked: 1 required item failing" in comment.body
    assert "Rollback runbook written" in comment.body
    [check] = repo.check_runs(HEAD)  # on the PR's head, not the merge commit GITHUB_SHA
    assert (check.name, check.status, check.conclusion) == ("apiq-gate", "completed", "failure")
    assert check.title == "Go-live blocked: 1 required item failing"
    assert check.details_url == "https://github.com/Codertocat/Hello-World/actions/runs/4200"
    [annotation] = check.annotations
    assert (annotation["path"], annotation["start_line"], annotation["annotation_level"]) == (
        CONFIG_PATH,
        RUNBOOK_LINE,
        "failure",
    )
    assert job.outputs == {
        "verdict": "fail",
        "passed": "1",
        "failed": "1",
        "pending": "0",
        "report": "apiq-gate-report.json",
        "comment-url": f"https://github.com/Codertocat/Hello-World/pull/2#issuecomment-{comment.id}",
        "check-url": f"https://github.com/Codertocat/Hello-World/runs/{check.id}",
    }
    assert job.report["verdict"] == "fail"
    assert job.report["config"] == f"{CONFIG_PATH}@{BASE[:7]}"
    assert "Go-live blocked: 1 required item failing" in job.summary
    assert "docs/runbooks/rollback.md does not exist" in job.summary
    [annotation_line] = job.commands("error")
    assert annotation_line.startswith(
        f"::error file={CONFIG_PATH},line={RUNBOOK_LINE},title=rollback-runbook%3A fail::"
    )
    assert len(job.commands("group")) == len(job.commands("endgroup")) == 2
    assert job.lines[-1] == "apiq-gate: Go-live blocked: 1 required item failing"
    assert_no_traceback(job)


def test_second_run_on_synchronize__updates_the_same_comment_in_5_requests_and_turns_it_green(fake, pr_repo, runner):
    repo = pr_repo()
    token = fake.add_token(TokenSpec.workflow())
    run_pr(runner, token, run_id=100)  # pull_request.opened
    [first] = repo.comments(PR)
    before = len(fake.requests)

    runner.write(RUNBOOK)  # the author pushes the runbook; the gate passes now
    job = run_pr(runner, token, payload=event_payload("pull_request.synchronize"), run_id=101)

    assert [r.operation for r in fake.requests[before:]] == [
        CONTENTS,  # the config at the base
        CONTENTS,  # and at the head: does the PR change it?
        LIST_COMMENTS,
        EDIT_COMMENT,
        CREATE_CHECK,
    ]
    assert job.exit_code == 0
    [comment] = repo.comments(PR)
    assert comment.id == first.id
    assert "Ready for go-live" in comment.body
    assert decode_state(comment.body).run_id == 101
    assert [c.conclusion for c in repo.check_runs(HEAD)] == ["failure", "success"]
    assert job.outputs["verdict"] == "pass"
    assert job.outputs["comment-url"].endswith(f"#issuecomment-{first.id}")


def test_pull_request_changing_the_config__is_judged_by_the_base_branch_and_the_comment_says_so(fake, pr_repo, runner):
    weakened = BASE_CONFIG.replace("docs/runbooks/rollback.md", "README.md")
    repo = pr_repo(head=weakened)
    runner.write({CONFIG_PATH: weakened, "README.md": "hello"})  # the PR's checkout holds its own version
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token)

    assert job.exit_code == 1
    assert job.report["config"] == f"{CONFIG_PATH}@{BASE[:7]}"
    [comment] = repo.comments(PR)
    assert "This pull request changes the gate's config" in comment.body
    assert "docs/runbooks/rollback.md does not exist" in comment.body


def test_config_at_the_pr_head_unreadable__the_gate_runs_on_the_base_config_and_notes_it(fake, pr_repo, runner):
    repo = pr_repo()
    payload = event_payload("pull_request.opened")
    payload["pull_request"]["head"]["sha"] = "e" * 40  # a head commit GitHub does not know (yet)
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token, payload=payload, inputs={"status": "none"})

    assert job.exit_code == 1  # the verdict's, not 2
    assert job.outputs["verdict"] == "fail"
    assert job.report["config"] == f"{CONFIG_PATH}@{BASE[:7]}"
    [comment] = repo.comments(PR)
    note = "Whether this pull request changes the gate's config could not be checked"
    assert note in comment.body
    assert "This pull request changes the gate's config" not in comment.body
    assert note in job.summary
    [warning] = job.commands("warning")
    assert "Could not check whether this pull request changes the gate's config" in warning
    assert "No commit found for the ref eeeeeee" in warning
    assert_no_traceback(job)


def test_no_config_on_the_base_branch__exit_2_says_to_merge_it_first(fake, pr_repo, runner):
    repo = pr_repo(base=None, head=BASE_CONFIG)
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token)

    assert job.exit_code == 2
    assert (
        "no config at the base commit f95f852 (this pull request adds it): apiq-gate reads its config from "
        "the trusted side, the pull request's base, never from the pull request; merge the config into the "
        "base branch first, then re-run (or set `config`)"
    ) in job.summary
    assert ".;" not in job.summary
    [annotation] = job.commands("error")
    assert annotation.startswith(f"::error file={CONFIG_PATH},line=1,title=apiq-gate%3A the config has problems::")
    assert "merge the config into the base branch first" in annotation
    assert job.outputs["verdict"] == "error"
    assert (repo.comments(PR), repo.check_runs()) == ((), ())
    assert_no_traceback(job)


def test_one_sign_off_missing__the_check_says_1_required_item_needs_a_sign_off(fake, pr_repo, runner):
    signed = config(
        """
        - id: security-review
          title: Security review signed off
          evidence: [{manual: {signers: ["@payments/security"]}}]
        """
    )
    repo = pr_repo(base=signed)
    runner.write(RUNBOOK)
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token)

    assert job.exit_code == 1
    [check] = repo.check_runs(HEAD)
    assert (check.conclusion, check.title) == (
        "action_required",
        "Awaiting sign-off: 1 required item needs a sign-off; nothing fails",
    )
    assert "1 required item needs a sign-off" in repo.comments(PR)[0].body


def test_many_failing_items__ten_error_lines_in_the_log_every_annotation_on_the_check(fake, pr_repo, runner):
    missing = "".join(
        f"""
        - id: doc-{n:02d}
          title: Document {n} written
          evidence: [{{file: docs/missing-{n}.md}}]
        """
        for n in range(12)
    )
    repo = pr_repo(base=config(missing))
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token)

    assert job.exit_code == 1
    errors = job.commands("error")
    assert len(errors) == 10  # GitHub shows a step's first 10: the 10th says how many more
    assert [e.split("title=")[1].split("%3A")[0] for e in errors[:9]] == [
        "rollback-runbook",
        *[f"doc-{n:02d}" for n in range(8)],
    ]
    assert errors[9] == "::error::… and 4 more failing required items; see the job summary"
    [check] = repo.check_runs(HEAD)
    assert len(check.annotations) == 13  # complete
    assert all(f"doc-{n:02d}" in job.summary for n in range(12))


def test_fail_on_never_with_a_commit_status__green_status_that_says_report_only(fake, pr_repo, runner):
    repo = pr_repo()
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token, inputs={"fail-on": "never", "status": "commit-status"})

    assert job.exit_code == 0
    [status] = repo.statuses(HEAD)
    assert (status.state, status.description) == ("success", "Report only: Go-live blocked: 1 required item failing")
    assert repo.check_runs() == ()
