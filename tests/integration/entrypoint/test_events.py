"""Events other than a pull request, end to end: workflow_dispatch, workflow_run, check_run
re-requested, merge_group and an unknown event; each judges the right commit by the trusted config."""

from __future__ import annotations

import pytest

from tests.fakegithub import TokenSpec
from tests.support.action_runner import ActionRunner, event_payload
from tests.support.entrypoint_cases import (
    BASE_CONFIG,
    CONFIG_PATH,
    CREATE_COMMENT,
    LIST_COMMENTS,
    PR,
    RUNBOOK,
    STRONG_SECRET,
    assert_no_traceback,
    config,
)


def test_workflow_dispatch__its_inputs_choose_environment_and_phase(fake, dispatch_repo, tmp_path):
    """Also: `working-directory` roots the evidence paths (a monorepo's package)."""
    phased = config(
        """
        - id: smoke-tests
          title: Smoke tests recorded
          phases: [post-launch]
          evidence: [{file: docs/smoke.md}]
        """,
        environments="environments:\n  staging: {url: 'https://staging.payments.example'}\n"
        "  production: {url: 'https://payments.example'}",
    )
    runner = ActionRunner(tmp_path, api_url=fake.url, repository=dispatch_repo.full_name)
    runner.write(
        {
            CONFIG_PATH: phased,
            **{f"services/payments/{path}": text for path, text in RUNBOOK.items()},
        }
    )
    payload = event_payload("workflow_dispatch")
    payload["inputs"] = {"environment": "production", "phase": "go-live"}
    token = fake.add_token(TokenSpec.workflow())

    job = runner.run(
        event="workflow_dispatch",
        payload=payload,
        token=token,
        inputs={"working-directory": "services/payments"},
        env={"JWT_SECRET": STRONG_SECRET},
        sha="d" * 40,
        ref="refs/heads/main",
    )

    assert (job.report["environment"], job.report["phase"]) == ("production", "go-live")
    statuses = {i["id"]: i["status"] for s in job.report["sections"] for i in s["items"]}
    assert statuses == {"rollback-runbook": "pass", "jwt-secret": "pass", "smoke-tests": "skipped"}
    assert job.exit_code == 0
    [check] = dispatch_repo.check_runs("d" * 40)
    assert check.conclusion == "success"
    assert job.report["config"] == CONFIG_PATH  # the branch's own checkout


def test_workflow_run_whose_pull_request_has_another_head__no_comment_on_it_and_the_log_says_so(fake, tmp_path):
    payload = event_payload("workflow_run.completed")  # lists PR #2, whose head is not the run's
    run_head = payload["workflow_run"]["head_sha"]
    repo = fake.add_repo_from_payload(payload)
    trusted = repo.commit({CONFIG_PATH: BASE_CONFIG}, sha="d" * 40, branch="master")
    repo.commit({CONFIG_PATH: BASE_CONFIG}, sha=run_head, parents=[trusted])
    base, head = (payload["workflow_run"]["pull_requests"][0][side]["sha"] for side in ("base", "head"))
    repo.commit({CONFIG_PATH: BASE_CONFIG}, sha=base)
    repo.commit({CONFIG_PATH: BASE_CONFIG}, sha=head, parents=[base])
    repo.pull_request(PR, head_sha=head, base_sha=base)
    runner = ActionRunner(tmp_path, api_url=fake.url, repository=repo.full_name)
    token = fake.add_token(TokenSpec.workflow())

    job = runner.run(
        event="workflow_run",
        payload=payload,
        token=token,
        env={"JWT_SECRET": STRONG_SECRET},
        sha=trusted,
        ref="refs/heads/master",
    )

    assert job.exit_code == 1
    assert repo.comments(PR) == ()
    assert [c.head_sha for c in repo.check_runs()] == [run_head]
    assert job.report["config"] == f"{CONFIG_PATH}@{trusted[:7]}"
    [notice] = job.commands("notice")
    assert f"lists #2, but none has the run's head commit {run_head[:7]}" in notice
    assert job.outputs["comment-url"] == ""


@pytest.mark.parametrize("with_pull_request", [False, True])
def test_check_run_rerequested__judges_the_checks_commit_by_the_trusted_config(fake, tmp_path, with_pull_request):
    payload = event_payload("check_run.rerequested")  # "Re-run" on the check named `randscape`
    check_head = payload["check_run"]["head_sha"]
    repo = fake.add_repo_from_payload(payload)
    trusted = repo.commit({CONFIG_PATH: BASE_CONFIG}, sha="d" * 40, branch="master")
    weakened = BASE_CONFIG.replace("docs/runbooks/rollback.md", "README.md")
    repo.commit({CONFIG_PATH: weakened, "README.md": "x"}, sha=check_head, parents=[trusted], branch="changes")
    if with_pull_request:
        repo.pull_request(PR, head_sha=check_head, base_sha=trusted, head_ref="changes", base_ref="master")
        same_repo = {"id": payload["repository"]["id"], "name": payload["repository"]["name"]}
        payload["check_run"]["pull_requests"] = [
            {
                "number": PR,
                "head": {"ref": "changes", "sha": check_head, "repo": same_repo},
                "base": {"ref": "master", "sha": trusted, "repo": same_repo},
            }
        ]
    runner = ActionRunner(tmp_path, api_url=fake.url, repository=repo.full_name)
    runner.write({CONFIG_PATH: weakened, "README.md": "x"})  # whatever is checked out is not the config
    token = fake.add_token(TokenSpec.workflow())

    job = runner.run(
        event="check_run",
        payload=payload,
        token=token,
        inputs={"check-name": "randscape"},
        env={"JWT_SECRET": STRONG_SECRET},
        sha=trusted,
        ref="refs/heads/master",
    )

    assert job.exit_code == 1
    assert job.report["config"] == f"{CONFIG_PATH}@{trusted[:7]}"
    [check] = repo.check_runs()
    assert (check.name, check.head_sha, check.conclusion) == ("randscape", check_head, "failure")
    comments = repo.comments(PR) if with_pull_request else ()
    assert len(comments) == int(with_pull_request)
    if with_pull_request:
        assert "This pull request changes the gate's config" in comments[0].body
    assert_no_traceback(job)


def test_check_run_of_another_check__skipped_with_exit_0_and_nothing_published(fake, runner):
    token = fake.add_token(TokenSpec.workflow())

    job = runner.run(event="check_run", payload=event_payload("check_run.rerequested"), token=token)

    assert job.exit_code == 0
    assert job.outputs["verdict"] == "skipped"
    assert "the re-requested check is 'randscape', not this gate's 'apiq-gate'" in job.summary
    assert fake.requests == ()


def test_merge_group__judges_the_queue_commit_by_its_base_config_without_a_comment(fake, tmp_path):
    payload = event_payload("merge_group.checks_requested")
    group = payload["merge_group"]
    repo = fake.add_repo_from_payload(payload)
    repo.commit({CONFIG_PATH: BASE_CONFIG}, sha=group["base_sha"], branch="main")
    weakened = BASE_CONFIG.replace("docs/runbooks/rollback.md", "README.md")
    repo.commit({CONFIG_PATH: weakened, "README.md": "x"}, sha=group["head_sha"], parents=[group["base_sha"]])
    runner = ActionRunner(tmp_path, api_url=fake.url, repository=repo.full_name)
    runner.write({CONFIG_PATH: weakened, "README.md": "x"})  # the queued pull requests' code
    token = fake.add_token(TokenSpec.workflow())

    job = runner.run(
        event="merge_group",
        payload=payload,
        token=token,
        env={"JWT_SECRET": STRONG_SECRET},
        sha=group["head_sha"],
        ref=group["head_ref"],
    )

    assert job.exit_code == 1  # the queue's required check fails: the group is not merged
    assert job.report["config"] == f"{CONFIG_PATH}@{group['base_sha'][:7]}"
    [check] = repo.check_runs()
    assert (check.name, check.head_sha, check.conclusion) == ("apiq-gate", group["head_sha"], "failure")
    assert fake.requests_for(LIST_COMMENTS) + fake.requests_for(CREATE_COMMENT) == ()
    assert job.outputs["comment-url"] == ""
    assert_no_traceback(job)


def test_unknown_event__exit_2_with_the_events_it_knows(fake, runner):
    token = fake.add_token(TokenSpec.workflow())

    job = runner.run(event="issue_comment", payload={"action": "created"}, token=token)

    assert job.exit_code == 2
    assert "apiq-gate does not run on `issue_comment` events" in job.summary
    assert "pull_request_target" in job.summary
    assert job.outputs["verdict"] == "error"
    assert fake.requests == ()
