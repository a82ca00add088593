"""The runner's contract: `python entrypoint.py` run as GitHub runs the Docker action (inputs as
INPUT_*, a real event payload, GITHUB_* variables) against the fake GitHub API over real HTTP.

Each test asserts what a user sees: the comment, the check run or status, the outputs, the job
summary, the log and the exit code. Faults use `Retry-After: 0` (or 1 s) so that the GitHub
layer's real retry loop runs without the test sleeping through its backoff.
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from apiq_gate.comment_state import CommentState, comment_marker, decode_state, encode_state
from tests.fakegithub import FakeGitHub, Identity, Reply, RepoHandle, TokenSpec
from tests.support.action_runner import ActionRunner, Job, event_payload
from tests.support.servers import Answer, serving

CONFIG_PATH = ".github/apiq-gate.yml"
GATE = "Payments go-live"
BOT = "github-actions[bot]"
MARKER = comment_marker(GATE, "apiq-gate")  # the config's name and the default check name
PR = 2
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"  # pull_request.opened's head
BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
STRONG_SECRET = "Zq8#vL2!pW9xR4@tY7mK1$nB6^cF3&hJ0*eD5"
RUNBOOK = {"docs/runbooks/rollback.md": "# Rollback\n\nRedeploy the previous tag.\n"}

CONTENTS = "GET /repos/{owner}/{repo}/contents/{path}"
LIST_COMMENTS = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"
CREATE_COMMENT = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
EDIT_COMMENT = "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"
CREATE_CHECK = "POST /repos/{owner}/{repo}/check-runs"
CREATE_STATUS = "POST /repos/{owner}/{repo}/statuses/{sha}"


def config(*items: str, environments: str = "") -> str:
    body = textwrap.dedent(
        """\
        version: 1
        name: Payments go-live
        {environments}
        sections:
          - id: operations
            title: Operations
            items:
              - id: rollback-runbook
                title: Rollback runbook written
                owner: "@payments/oncall"
                evidence: [{{file: docs/runbooks/rollback.md}}]
              - id: jwt-secret
                title: JWT secret is strong
                evidence: [{{env: {{strong: [JWT_SECRET]}}}}]
        """
    ).format(environments=environments)
    return body + "".join(textwrap.indent(textwrap.dedent(item), "      ") for item in items)


BASE_CONFIG = config()
RUNBOOK_LINE = BASE_CONFIG.splitlines().index("      - id: rollback-runbook") + 1  # where annotations point


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    return fake_github


@pytest.fixture
def pr_repo(fake: FakeGitHub) -> Callable[..., RepoHandle]:
    """The repository and pull request #2 of a pull_request payload; configs at base and head."""

    def seed(
        payload: str = "pull_request.opened",
        base: str | None = BASE_CONFIG,
        head: str | None = None,
    ) -> RepoHandle:
        base_files = {CONFIG_PATH: base} if base is not None else {"README.md": "x"}
        head_files = {CONFIG_PATH: head} if head is not None else base_files
        return fake.seed_pull_request_event(event_payload(payload), base_files=base_files, head_files=head_files)

    return seed


@pytest.fixture
def runner(tmp_path, fake: FakeGitHub) -> ActionRunner:
    return ActionRunner(tmp_path, api_url=fake.url, repository="Codertocat/Hello-World")


def run_pr(runner: ActionRunner, token: str, payload: dict[str, Any] | None = None, **options: Any) -> Job:
    options.setdefault("env", {"JWT_SECRET": STRONG_SECRET})
    return runner.run(
        event="pull_request",
        payload=payload or event_payload("pull_request.opened"),
        token=token,
        **options,
    )


def ours(repo: RepoHandle) -> list[Any]:
    return [c for c in repo.comments(PR) if c.author.login == BOT]


def assert_no_traceback(job: Job) -> None:
    assert "Traceback" not in job.stdout + job.stderr


# --- the sticky comment and the check ------------------------------------------------------------


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


def earlier_report(run_id: int, sha: str = HEAD) -> str:
    """A comment body as an earlier run of this gate left it: marker, state block, report."""
    state = CommentState(run_id=run_id, run_attempt=1, sha=sha, verdict="fail", statuses={"rollback-runbook": "fail"})
    return f"{MARKER}\n{encode_state(state)}\n### 🔴 Go-live blocked (run {run_id})\n"


def test_pull_request_with_150_earlier_comments__finds_its_own_on_the_second_page(fake, pr_repo, runner):
    repo = pr_repo()
    for n in range(120):
        repo.comment(PR, f"comment {n}", author="octocat" if n % 2 else "hubot")
    mine = repo.comment(PR, earlier_report(100), author=BOT)  # the 121st: on page 2
    for n in range(30):
        repo.comment(PR, f"later comment {n}")
    quoted = repo.comment(PR, f"Why does it say\n{MARKER}\n?", author="mallory")  # not ours
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token, run_id=101)

    assert job.exit_code == 1
    assert [c.id for c in ours(repo)] == [mine.id]
    assert decode_state(ours(repo)[0].body).run_id == 101
    assert "Go-live blocked: 1 required item failing" in ours(repo)[0].body
    assert len(repo.comments(PR)) == 152
    assert next(c for c in repo.comments(PR) if c.id == quoted.id).body == quoted.body
    pages = fake.requests_for(LIST_COMMENTS)
    assert [dict(r.query).get("page", "1") for r in pages] == ["1", "2"]
    assert {dict(r.query)["per_page"] for r in pages} == {"100"}
    assert len(fake.requests_for(EDIT_COMMENT)) == 1
    assert fake.requests_for(CREATE_COMMENT) == ()
    assert repo.deleted_comments() == ()


def test_older_run_after_a_newer_one__leaves_the_newer_report_in_place(fake, pr_repo, runner):
    repo = pr_repo()
    newer_head = "a1" * 20  # the PR moved on; run 200 judged that head and wrote the comment
    newer = repo.comment(PR, earlier_report(200, sha=newer_head), author=BOT)
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token, run_id=100)  # a slow run of the older head finishes last

    [comment] = repo.comments(PR)
    assert comment.body == newer.body
    assert fake.requests_for(EDIT_COMMENT) + fake.requests_for(CREATE_COMMENT) == ()
    [note] = [w for w in job.commands("warning") if "newer run" in w]
    assert "(run 200, attempt 1)" in note
    assert job.outputs["comment-url"].endswith(f"#issuecomment-{newer.id}")
    assert job.exit_code == 1  # its own verdict still decides its job
    assert [c.head_sha for c in repo.check_runs()] == [HEAD]  # its check goes on its own commit


def test_two_check_names_over_one_config__two_comments_each_with_its_own_verdict(fake, pr_repo, runner):
    repo = pr_repo()
    runner.write(RUNBOOK)
    token = fake.add_token(TokenSpec.workflow())
    staging = {"inputs": {"check-name": "go-live (staging)"}, "env": {"JWT_SECRET": STRONG_SECRET}}
    production = {"inputs": {"check-name": "go-live (production)"}, "env": {"JWT_SECRET": "hunter2"}}

    passed = run_pr(runner, token, run_id=100, **staging)
    failed = run_pr(runner, token, run_id=101, **production)
    again = run_pr(runner, token, run_id=102, **staging)

    assert (passed.exit_code, failed.exit_code, again.exit_code) == (0, 1, 0)
    by_check = {c.body.splitlines()[0]: c for c in ours(repo)}
    assert set(by_check) == {comment_marker(GATE, "go-live (staging)"), comment_marker(GATE, "go-live (production)")}
    staging_comment = by_check[comment_marker(GATE, "go-live (staging)")]
    production_comment = by_check[comment_marker(GATE, "go-live (production)")]
    assert "Ready for go-live" in staging_comment.body
    assert decode_state(staging_comment.body).run_id == 102  # updated in place by its own check
    assert "Go-live blocked" in production_comment.body
    assert decode_state(production_comment.body).run_id == 101
    assert passed.outputs["comment-url"] == again.outputs["comment-url"] != failed.outputs["comment-url"]
    assert {(c.name, c.conclusion) for c in repo.check_runs(HEAD)} == {
        ("go-live (staging)", "success"),
        ("go-live (production)", "failure"),
    }


def test_comment_of_an_earlier_version_without_the_check_name__is_taken_over_not_duplicated(fake, pr_repo, runner):
    repo = pr_repo()
    state = CommentState(run_id=100, run_attempt=1, sha=HEAD, verdict="fail", statuses={})
    legacy = repo.comment(PR, f"{comment_marker(GATE)}\n{encode_state(state)}\n### 🔴 Go-live blocked\n", author=BOT)
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token, run_id=101)

    [comment] = repo.comments(PR)
    assert comment.id == legacy.id
    assert comment.body.startswith(MARKER + "\n")  # the current marker from now on
    assert decode_state(comment.body).run_id == 101
    assert job.outputs["comment-url"].endswith(f"#issuecomment-{legacy.id}")


def github_app_token(fake: FakeGitHub) -> str:
    """A GitHub App's installation token (`ghs_`): GET /user is 403, and it writes as the App."""
    app = Identity(login="release-bot[bot]", id=98765, type="Bot")
    return fake.add_token(replace(TokenSpec.workflow(), identity=app))


def test_github_app_token_without_bot_login__one_comment_all_the_same_and_a_warning_to_set_it(fake, pr_repo, runner):
    repo = pr_repo()
    token = github_app_token(fake)

    first = run_pr(runner, token, run_id=100)

    [comment] = repo.comments(PR)
    assert comment.author.login == "release-bot[bot]"
    [note] = [w for w in first.commands("warning") if "bot-login" in w]
    assert "Set the input `bot-login: release-bot[bot]`" in note
    assert "written by github-actions[bot]" in note
    assert "bot-login: release-bot[bot]" in first.summary
    assert first.outputs["comment-url"].endswith(f"#issuecomment-{comment.id}")

    # Still unset: the run creates a comment, learns its author, finds the first one and settles
    # on it, deleting its own duplicate (it costs requests; the warning says how to avoid them).
    second = run_pr(runner, token, run_id=101)

    assert [(c.id, decode_state(c.body).run_id) for c in repo.comments(PR)] == [(comment.id, 101)]
    assert len(repo.deleted_comments()) == 1
    assert len([w for w in second.commands("warning") if "bot-login" in w]) == 1
    assert second.outputs["comment-url"].endswith(f"#issuecomment-{comment.id}")
    before = len(fake.requests)

    third = run_pr(runner, token, run_id=102, inputs={"bot-login": "release-bot[bot]"})

    [updated] = repo.comments(PR)
    assert (updated.id, decode_state(updated.body).run_id) == (comment.id, 102)
    assert [w for w in third.commands("warning") if "bot-login" in w] == []
    assert [r.operation for r in fake.requests[before:]].count(CREATE_COMMENT) == 0


def test_two_runs_racing__end_with_exactly_one_comment_holding_the_newer_report(fake, pr_repo, tmp_path):
    repo = pr_repo()
    fake.faults.barrier(LIST_COMMENTS, parties=2)  # both list before either creates
    runners = {
        run_id: ActionRunner(tmp_path / str(run_id), api_url=fake.url, repository=repo.full_name)
        for run_id in (100, 101)
    }
    jobs: dict[int, Job] = {}

    def run(run_id: int) -> None:
        jobs[run_id] = run_pr(runners[run_id], fake.add_token(TokenSpec.workflow()), run_id=run_id)

    threads = [threading.Thread(target=run, args=(run_id,)) for run_id in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(fake.requests_for(CREATE_COMMENT)) == 2  # the barrier made both create
    [comment] = repo.comments(PR)
    assert decode_state(comment.body).run_id == 101
    [duplicate] = repo.deleted_comments()
    assert duplicate.id > comment.id
    assert MARKER in duplicate.body
    assert [job.exit_code for job in jobs.values()] == [1, 1]
    for job in jobs.values():
        assert job.outputs["comment-url"].endswith(f"#issuecomment-{comment.id}")
        assert [e for e in job.commands("error") if "title=rollback-runbook" not in e] == []
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


def test_run_that_loses_a_race_to_a_newer_run__comment_url_is_the_surviving_comment(fake, pr_repo, runner):
    repo = pr_repo()
    newer = repo.comment(PR, earlier_report(200), author=BOT)  # lands while our listing is in flight
    fake.faults.respond(LIST_COMMENTS, Reply(status=200, body=[]), description="listing before it landed")
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token, run_id=100)

    assert repo.comments(PR) == (newer,)  # ours was created, then deleted as the younger duplicate
    assert len(repo.deleted_comments()) == 1
    assert job.outputs["comment-url"].endswith(f"#issuecomment-{newer.id}")
    [note] = [w for w in job.commands("warning") if "newer run" in w]
    assert "(run 200, attempt 1)" in note
    assert job.exit_code == 1


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
    token = fake.add_token(TokenSpec.personal(Identity(login="release-manager", id=9001)), "ghp_personal0001")
    run_pr(runner, token, run_id=100, inputs={"status": status})
    before = len(fake.requests)

    job = run_pr(runner, token, run_id=101, inputs={"status": status})

    assert [r.operation for r in fake.requests[before:]] == requests
    refused = fake.requests_for(CREATE_CHECK)  # both runs asked, or neither
    assert (len(refused), {r.status for r in refused}) == ((2, {403}) if CREATE_CHECK in requests else (0, set()))
    [comment] = repo.comments(PR)
    assert (comment.author.login, decode_state(comment.body).run_id) == ("release-manager", 101)
    assert [s.state for s in repo.statuses(HEAD)] == ["failure", "failure"]
    fallback = [w for w in job.commands("warning") if "falls back to a commit status" in w]
    assert len(fallback) == requests.count(CREATE_CHECK)
    assert all("set `status: commit-status`" in w for w in fallback)


# --- permissions ---------------------------------------------------------------------------------


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


def test_fail_on_never_with_a_commit_status__green_status_that_says_report_only(fake, pr_repo, runner):
    repo = pr_repo()
    token = fake.add_token(TokenSpec.workflow())

    job = run_pr(runner, token, inputs={"fail-on": "never", "status": "commit-status"})

    assert job.exit_code == 0
    [status] = repo.statuses(HEAD)
    assert (status.state, status.description) == ("success", "Report only: Go-live blocked: 1 required item failing")
    assert repo.check_runs() == ()


# --- GitHub faults -------------------------------------------------------------------------------


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


def github_down(fake: FakeGitHub) -> None:
    """Every request answered 503 for the whole run (Retry-After: 0, so retries don't sleep)."""
    fake.faults.respond(
        "*",
        Reply(status=503, body={"message": "Service Unavailable"}, headers={"Retry-After": "0"}),
        times=None,
        description="GitHub down",
    )


@pytest.fixture
def dispatch_repo(fake: FakeGitHub) -> RepoHandle:
    repo = fake.add_repo_from_payload(event_payload("workflow_dispatch"))
    repo.commit({CONFIG_PATH: BASE_CONFIG}, sha="d" * 40, branch="main")
    return repo


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


# --- the runner's files --------------------------------------------------------------------------


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


# --- events --------------------------------------------------------------------------------------


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


# --- secrets, and a live probe inside the Action -------------------------------------------------


def test_planted_secrets__masked_first_and_never_shown_anywhere(fake, pr_repo, runner):
    probe_token, probe_key = "tok-Hx81-planted-AUTH-value", "key-Qm52-planted-QUERY-value"
    with serving({"/health": Answer(status=503, body=b"down")}) as health:
        probed = config(
            """
            - id: health
              title: Health endpoint answers
              evidence:
                - http:
                    url: "{env.url}/health?key=${PROBE_KEY}"
                    headers: {Authorization: "Bearer ${PROBE_TOKEN}"}
                    status: [200]
                    retries: 0
            """,
            environments=f"environments:\n  production: {{url: '{health.url('').rstrip('/')}'}}",
        )
        repo = pr_repo(base=probed)
        token = fake.add_token(TokenSpec.workflow())
        job = run_pr(
            runner,
            token,
            env={"JWT_SECRET": STRONG_SECRET, "PROBE_TOKEN": probe_token, "PROBE_KEY": probe_key},
        )
        [request] = health.requests  # the probe ran inside the Action, with the secrets filled in

    assert request.headers["authorization"] == f"Bearer {probe_token}"
    assert request.path == f"/health?key={probe_key}"
    masks = [line for line in job.lines if line.startswith("::add-mask::")]
    assert job.lines[: len(masks)] == masks, "every mask comes before any other line"
    assert {f"::add-mask::{v}" for v in (token, STRONG_SECRET, probe_token, probe_key)} <= set(masks)
    [comment] = repo.comments(PR)
    [check] = repo.check_runs(HEAD)
    published = [comment.body, check.title, check.summary, check.text, str(check.annotations)]
    for secret in (STRONG_SECRET, probe_token, probe_key):
        assert secret not in job.everything_shown
        assert all(secret not in text for text in published)
    assert "Health endpoint answers" in comment.body
    assert "/health?key=*** " in job.stdout.replace(")", " ")  # the failing probe's target, masked
    assert job.exit_code == 1
