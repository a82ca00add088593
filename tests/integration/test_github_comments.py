"""The sticky PR comment against the fake GitHub API over real HTTP: one comment of ours per gate,
found across pages by marker and author, updated in place, never a second one. The only delete
ever sent is a run removing the duplicate it created itself in a race."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from apiq_gate.github import GitHub, GitHubError
from apiq_gate.github.comments import has_marker
from tests.fakegithub import FakeGitHub, Identity, Reply, RepoHandle, TokenSpec
from tests.fakegithub.records import CommentRecord
from tests.support.github_layer import (
    BOT,
    DELETE_COMMENT,
    EDIT_COMMENT,
    LIST_COMMENTS,
    MARKER,
    Clock,
    connect,
    deletes,
    deletes_of_others,
    event,
    replaces_for,
    report_body,
    run_id_in,
)

PR = 2


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(make_fake_github: Callable[..., FakeGitHub], clock: Clock) -> Iterator[FakeGitHub]:
    fake = make_fake_github(wall_clock=clock.time)
    yield fake
    assert deletes_of_others(fake) == [], "the gate deletes only its own race duplicate"


@pytest.fixture
def repo(fake: FakeGitHub) -> RepoHandle:
    return fake.seed_pull_request_event(event("pull_request.opened"), base_files={"apiq-gate.yml": "x"})


@pytest.fixture
def gh(fake: FakeGitHub, repo: RepoHandle, clock: Clock) -> GitHub:
    return connect(fake, fake.add_token(TokenSpec.workflow()), clock, repo.full_name)


def ours(repo: RepoHandle) -> list[CommentRecord]:
    return [c for c in repo.comments(PR) if c.author.login == BOT and has_marker(c.body, MARKER)]


def test_upsert__first_run_creates_one_comment(gh, repo):
    comment = gh.upsert_comment(PR, report_body(10), MARKER, may_replace=replaces_for(10))

    [stored] = repo.comments(PR)
    assert comment is not None
    assert (comment.id, comment.author, comment.body) == (stored.id, BOT, stored.body)
    assert comment.url == f"https://github.com/{repo.full_name}/pull/{PR}#issuecomment-{stored.id}"
    assert run_id_in(stored.body) == 10


def test_upsert__second_run_updates_the_same_comment(fake, gh, repo, clock):
    first = gh.upsert_comment(PR, report_body(10), MARKER, may_replace=replaces_for(10))
    second_run = connect(fake, fake.add_token(TokenSpec.workflow()), clock, repo.full_name)

    second = second_run.upsert_comment(PR, report_body(11), MARKER, may_replace=replaces_for(11))

    [stored] = repo.comments(PR)
    assert first is not None
    assert second is not None
    assert second.id == first.id == stored.id
    assert run_id_in(stored.body) == 11
    assert second_run.requests_made == 3  # GET /user, one page of comments, the update


def test_find_comment__ours_on_page_two_of_150_comments_is_found_and_updated(gh, repo):
    for n in range(120):
        repo.comment(PR, f"Looks good {n}", author="octocat")
    seeded = repo.comment(PR, report_body(10), author=BOT)
    for n in range(29):
        repo.comment(PR, f"Ship it {n}", author="hubot")

    found = gh.find_comment(PR, MARKER)
    updated = gh.upsert_comment(PR, report_body(11), MARKER, may_replace=replaces_for(11))

    assert found is not None
    assert updated is not None
    assert found.id == updated.id == seeded.id
    assert len(repo.comments(PR)) == 150
    assert [run_id_in(c.body) for c in ours(repo)] == [11]
    assert [c.id for c in repo.comments(PR) if c.last_editor is not None] == [seeded.id]


def test_upsert__someone_elses_comment_with_our_marker_is_never_edited(gh, repo):
    quoted = repo.comment(PR, f"Why does the bot write this?\n{MARKER}\n", author="octocat")

    comment = gh.upsert_comment(PR, report_body(10), MARKER, may_replace=replaces_for(10))

    assert comment is not None
    assert comment.id != quoted.id
    assert repo.comments(PR)[0] == quoted  # untouched, not even re-saved
    assert [c.id for c in ours(repo)] == [comment.id]


def test_find_comment__marker_mentioned_inside_a_sentence_is_not_ours(gh, repo):
    repo.comment(PR, f"Our marker is {MARKER} in a sentence", author=BOT)

    assert gh.find_comment(PR, MARKER) is None


def test_find_comment__another_gates_comment_is_not_ours(gh, repo):
    repo.comment(PR, report_body(10).replace("Payments go-live", "Search go-live"), author=BOT)

    assert gh.find_comment(PR, MARKER) is None


def test_upsert__an_older_run_never_overwrites_a_newer_report(fake, gh, repo):
    newer = repo.comment(PR, report_body(12), author=BOT)
    before = len(fake.requests)

    assert gh.upsert_comment(PR, report_body(11), MARKER, may_replace=replaces_for(11)) is None

    assert repo.comments(PR) == (newer,)
    assert {r.method for r in fake.requests[before:]} == {"GET"}


def test_upsert__personal_token_finds_comments_by_its_own_login(fake, repo, clock):
    token = fake.add_token(TokenSpec.personal(Identity(login="release-bot", id=9001)))
    gh = connect(fake, token, clock, repo.full_name)
    mine = repo.comment(PR, report_body(10), author="release-bot")
    repo.comment(PR, report_body(9), author=BOT)  # another tool's token, same marker

    comment = gh.upsert_comment(PR, report_body(11), MARKER, may_replace=replaces_for(11))

    assert gh.bot_login() == "release-bot"
    assert comment is not None
    assert comment.id == mine.id
    assert run_id_in(repo.comments(PR)[1].body) == 9


def test_upsert__reuses_the_listing_of_a_find_just_before_it(fake, gh, repo):
    repo.comment(PR, report_body(10), author=BOT)

    gh.find_comment(PR, MARKER)
    gh.upsert_comment(PR, report_body(11), MARKER, may_replace=replaces_for(11))

    assert len(fake.requests_for(LIST_COMMENTS)) == 1


def test_upsert__lists_again_when_the_find_is_older_than_30_seconds(fake, gh, repo, clock):
    gh.find_comment(PR, MARKER)  # none yet
    clock.sleep(31)  # the probes waited; meanwhile another run commented
    newer = repo.comment(PR, report_body(12), author=BOT)

    assert gh.upsert_comment(PR, report_body(11), MARKER, may_replace=replaces_for(11)) is None

    assert repo.comments(PR) == (newer,)
    assert len(fake.requests_for(LIST_COMMENTS)) == 2


def test_bot_login__workflow_token_is_github_actions_bot_and_asked_once(fake, gh):
    assert gh.bot_login() == gh.bot_login() == BOT
    assert len(fake.requests_for("GET /user")) == 1


def test_upsert__body_over_githubs_limit_is_cut_with_a_note(gh, repo):
    body = report_body(10, "| a row of the report |\n" * 4000)

    gh.upsert_comment(PR, body, MARKER, may_replace=replaces_for(10))

    [stored] = repo.comments(PR)
    assert len(stored.body) <= 65_536
    assert stored.body.startswith(MARKER)
    assert stored.body.endswith("the full report is in the job summary.\n")
    assert run_id_in(stored.body) == 10


# -- racing runs ---------------------------------------------------------------------------


def test_upsert__two_runs_racing_end_with_one_comment_holding_the_newer_report(fake, repo, clock):
    fake.faults.barrier(LIST_COMMENTS, parties=2)  # both runs list before either creates
    results: dict[int, object] = {}

    def run(run_id: int) -> None:
        gh = connect(fake, fake.add_token(TokenSpec.workflow()), clock, repo.full_name)
        try:
            results[run_id] = gh.upsert_comment(PR, report_body(run_id), MARKER, may_replace=replaces_for(run_id))
        except Exception as error:
            results[run_id] = error

    threads = [threading.Thread(target=run, args=(run_id,)) for run_id in (10, 11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert not any(isinstance(r, Exception) for r in results.values()), results
    assert len(fake.requests_for("POST *")) == 2  # the barrier made both create
    [kept] = repo.comments(PR)  # one comment left, and no pointer
    assert run_id_in(kept.body) == 11
    [duplicate] = repo.deleted_comments()
    assert duplicate.id > kept.id  # the younger one went, by the run that created it


def test_upsert__github_app_runs_racing_without_bot_login_end_with_one_comment(fake, repo, clock):
    # Both assume github-actions[bot] (a `ghs_` token), but GitHub writes as the App: each run
    # learns that from its own create and re-lists by it, so the runs see each other's comment.
    app = Identity(login="release-bot[bot]", id=98765, type="Bot")
    fake.faults.barrier(LIST_COMMENTS, parties=2)
    layers: dict[int, GitHub] = {}
    errors: list[Exception] = []

    def run(run_id: int) -> None:
        token = fake.add_token(replace(TokenSpec.workflow(), identity=app))
        gh = layers[run_id] = connect(fake, token, clock, repo.full_name, login=BOT)
        try:
            gh.upsert_comment(PR, report_body(run_id), MARKER, may_replace=replaces_for(run_id))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(run_id,)) for run_id in (10, 11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert errors == []
    [kept] = [c for c in repo.comments(PR) if has_marker(c.body, MARKER)]
    assert kept.author.login == "release-bot[bot]"
    assert run_id_in(kept.body) == 11
    assert {gh.learned_login for gh in layers.values()} == {"release-bot[bot]"}


def test_upsert__learned_login_stays_none_when_the_author_is_the_expected_one(gh, repo):
    gh.upsert_comment(PR, report_body(10), MARKER, may_replace=replaces_for(10))

    assert gh.learned_login is None


@pytest.mark.parametrize(("ours_run", "other_run", "kept_run"), [(11, 10, 11), (11, 12, 12)])
def test_upsert__run_that_lost_the_race_keeps_the_older_comment_with_the_newest_report(
    fake, gh, repo, ours_run, other_run, kept_run
):
    # The other run's comment lands between our listing (which saw none) and our create.
    other = repo.comment(PR, report_body(other_run), author=BOT)
    fake.faults.respond(LIST_COMMENTS, Reply(status=200, body=[]), description="stale listing")

    result = gh.upsert_comment(PR, report_body(ours_run), MARKER, may_replace=replaces_for(ours_run))

    [oldest] = repo.comments(PR)
    assert oldest.id == other.id
    assert run_id_in(oldest.body) == kept_run
    [mine] = repo.deleted_comments()
    assert run_id_in(mine.body) == ours_run
    assert (result is None) == (kept_run != ours_run)


def test_upsert__lost_race_deletes_only_its_own_comment_never_others_or_older_ones(fake, gh, repo):
    quoted = repo.comment(PR, f"Why does the bot write this?\n{MARKER}\n", author="octocat")
    older = repo.comment(PR, report_body(12), author=BOT)  # ours, from an earlier (newer) run
    fake.faults.respond(LIST_COMMENTS, Reply(status=200, body=[]), description="stale listing")

    assert gh.upsert_comment(PR, report_body(11), MARKER, may_replace=replaces_for(11)) is None

    assert repo.comments(PR) == (quoted, older)  # both untouched
    [deleted] = repo.deleted_comments()
    assert deleted.id not in (quoted.id, older.id)
    assert run_id_in(deleted.body) == 11
    [delete] = deletes(fake)
    assert delete.path.endswith(f"/issues/comments/{deleted.id}")


def test_upsert__lost_race_keeps_its_comment_when_the_oldest_cannot_be_updated(fake, gh, repo):
    other = repo.comment(PR, report_body(10), author=BOT)
    fake.faults.respond(LIST_COMMENTS, Reply(status=200, body=[]), description="stale listing")
    fake.faults.respond(
        EDIT_COMMENT,
        Reply(status=422, body={"message": "Validation Failed"}),
        description="edit refused",
    )

    with pytest.raises(GitHubError, match="Could not update comment"):
        gh.upsert_comment(PR, report_body(11), MARKER, may_replace=replaces_for(11))

    older, mine = repo.comments(PR)
    assert (older.id, run_id_in(older.body)) == (other.id, 10)
    assert run_id_in(mine.body) == 11  # the newest report stays on the PR
    assert deletes(fake) == []


def test_upsert__own_duplicate_deleted_before_a_502_is_not_deleted_twice(fake, gh, repo):
    repo.comment(PR, report_body(12), author=BOT)
    fake.faults.respond(LIST_COMMENTS, Reply(status=200, body=[]), description="stale listing")
    fake.faults.commit_then_fail(DELETE_COMMENT, status=502)

    assert gh.upsert_comment(PR, report_body(11), MARKER, may_replace=replaces_for(11)) is None

    assert [run_id_in(c.body) for c in repo.comments(PR)] == [12]
    assert [r.status for r in deletes(fake)] == [502, 404]  # the retry finds it gone: done


def test_upsert__duplicates_left_by_earlier_runs_become_pointers_unless_newer(gh, repo):
    keeper = repo.comment(PR, report_body(8), author=BOT)
    older = repo.comment(PR, report_body(9), author=BOT)
    newer = repo.comment(PR, report_body(13), author=BOT)

    gh.upsert_comment(PR, report_body(11), MARKER, may_replace=replaces_for(11))

    stored = {c.id: c.body for c in repo.comments(PR)}
    assert run_id_in(stored[keeper.id]) == 11
    assert stored[older.id].startswith("↪️ Superseded")
    assert stored[newer.id] == newer.body  # a newer run's report is never overwritten
