"""The one sticky comment per gate, end to end: found across pages, never overwritten by an older
run, one per check name, taken over from earlier versions, found again with a GitHub App's token,
and a single comment after two `entrypoint.py` processes race (a barrier in the fake API)."""

from __future__ import annotations

import threading

from apiq_gate.comment_state import CommentState, comment_marker, decode_state, encode_state
from tests.fakegithub import Reply, TokenSpec
from tests.support.action_runner import ActionRunner, Job
from tests.support.entrypoint_cases import (
    BOT,
    CREATE_COMMENT,
    EDIT_COMMENT,
    GATE,
    HEAD,
    LIST_COMMENTS,
    MARKER,
    PR,
    RUNBOOK,
    STRONG_SECRET,
    assert_no_traceback,
    earlier_report,
    github_app_token,
    ours,
    run_pr,
)


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
