"""GitHub failing: 5xx, rate limits, outages, writes that happened before a 502, read-only tokens.

Every wait the layer chooses is recorded by the test's clock and none is slept for real.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from apiq_gate.github import GitHub, GitHubError
from tests.fakegithub import FakeGitHub, RepoHandle, TokenSpec
from tests.support.github_layer import (
    BOT,
    CONTENTS,
    CREATE_COMMENT,
    MARKER,
    Clock,
    connect,
    deletes,
    event,
    replaces_for,
    report_body,
)

OPENED = event("pull_request.opened")
BASE = OPENED["pull_request"]["base"]["sha"]
HEAD = OPENED["pull_request"]["head"]["sha"]
CONFIG = "apiq-gate.yml"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(make_fake_github: Callable[..., FakeGitHub], clock: Clock) -> FakeGitHub:
    return make_fake_github(wall_clock=clock.time)


@pytest.fixture
def repo(fake: FakeGitHub) -> RepoHandle:
    return fake.seed_pull_request_event(OPENED, base_files={CONFIG: "version: 1\n"})


@pytest.fixture
def token(fake: FakeGitHub) -> str:
    return fake.add_token(TokenSpec.workflow())


@pytest.fixture
def gh(fake: FakeGitHub, repo: RepoHandle, token: str, clock: Clock) -> GitHub:
    return connect(fake, token, clock, repo.full_name)


def publish_check(gh: GitHub) -> None:
    gh.publish_check(
        name="apiq-gate",
        head_sha=HEAD,
        conclusion="failure",
        title="Go-live blocked",
        summary="1 required item failing",
        text="",
        annotations=[],
        details_url=None,
    )


def test_502_twice_then_success_takes_3_requests(fake, gh, clock):
    fake.faults.fail(CONTENTS, times=2, status=502)

    assert gh.read_file(CONFIG, BASE) == "version: 1\n"

    assert gh.requests_made == len(fake.requests) == 3
    assert clock.sleeps == [1.0, 2.0]


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_waits_as_retry_after_says_then_succeeds(fake, gh, clock, status):
    fake.faults.secondary_rate_limit(CONTENTS, retry_after=1, status=status)

    assert gh.read_file(CONFIG, BASE) == "version: 1\n"

    assert clock.sleeps == [1.0]
    assert [r.status for r in fake.requests] == [status, 200]


def test_secondary_rate_limit_asking_for_longer_than_a_minute_stops_at_once(fake, gh, clock):
    fake.faults.secondary_rate_limit(CONTENTS, retry_after=300)

    with pytest.raises(GitHubError) as raised:
        gh.read_file(CONFIG, BASE)

    assert clock.sleeps == []
    assert raised.value.status == 403
    assert "GitHub's secondary rate limit stopped the request, asking to wait 300 s; that is longer " in str(
        raised.value
    )
    assert str(raised.value).endswith("re-run the job in a few minutes.")


def test_primary_rate_limit_with_a_distant_reset_fails_at_once_saying_when(fake, gh, token, clock):
    fake.faults.exhaust_rate_limit(token, reset_in=47 * 60)

    with pytest.raises(GitHubError) as raised:
        gh.read_file(CONFIG, BASE)

    reset = dt.datetime.fromtimestamp(int(clock.now) + 47 * 60, dt.UTC).strftime("%H:%M:%S UTC")
    assert str(raised.value) == (
        f"Could not read {CONFIG} at {BASE}: GitHub answered 403: API rate limit exceeded for "
        f"installation ID 1. The token's API rate limit is used up until {reset} "
        "(in about 47 min); re-run the job after that."
    )
    assert clock.sleeps == []
    assert len(fake.requests) == 1


def test_primary_rate_limit_resetting_within_seconds_is_waited_for(fake, gh, token, clock):
    fake.faults.exhaust_rate_limit(token, reset_in=5)

    assert gh.read_file(CONFIG, BASE) == "version: 1\n"

    assert clock.sleeps == [6.0]  # until the reset second has passed


def test_github_down_for_the_whole_run_gives_up_after_4_attempts_then_tries_once(fake, gh, repo, clock):
    fake.faults.down()

    with pytest.raises(GitHubError) as first:
        publish_check(gh)
    with pytest.raises(GitHubError) as second:
        gh.upsert_comment(2, report_body(10), MARKER, may_replace=replaces_for(10))

    assert clock.sleeps == [1.0, 2.0, 4.0]  # 7 s in all, and none for the second call
    assert len(fake.requests) == 5
    assert first.value.status == 503
    assert str(first.value) == (
        "Could not create the check run 'apiq-gate': GitHub answered 503: Service Unavailable "
        "(tried 4 times). GitHub may be having an outage; see https://www.githubstatus.com."
    )
    assert str(second.value).startswith("Could not find out who the token acts as (GET /user): GitHub answered 503")
    assert repo.check_runs() == ()


def test_github_back_after_an_outage_is_used_again(fake, gh, clock):
    fake.faults.down()
    with pytest.raises(GitHubError):
        gh.read_file(CONFIG, BASE)
    fake.faults.up()

    assert gh.read_file(CONFIG, BASE) == "version: 1\n"


def test_connections_dropped_without_an_answer_are_retried_like_5xx(fake, gh, clock):
    fake.faults.disconnect(CONTENTS, times=2)

    assert gh.read_file(CONFIG, BASE) == "version: 1\n"

    assert clock.sleeps == [1.0, 2.0]


def test_github_unreachable_is_a_plain_error(fake, gh, clock):
    fake.faults.down(mode="disconnect")

    with pytest.raises(GitHubError) as raised:
        gh.read_file(CONFIG, BASE)

    assert raised.value.status is None
    assert str(raised.value).startswith(f"Could not read {CONFIG} at {BASE}: the connection failed (ConnectionError)")
    assert "(tried 4 times)" in str(raised.value)


def test_comment_created_then_502_is_not_created_again(fake, gh, repo, clock):
    fake.faults.commit_then_fail(CREATE_COMMENT)

    comment = gh.upsert_comment(2, report_body(10), MARKER, may_replace=replaces_for(10))

    [stored] = repo.comments(2)
    assert comment is not None
    assert comment.id == stored.id
    assert len(fake.requests_for(CREATE_COMMENT)) == 1
    assert clock.sleeps == [1.0]


def test_comment_create_failing_before_it_happened_is_repeated(fake, gh, repo):
    fake.faults.fail(CREATE_COMMENT, times=1, status=500)

    comment = gh.upsert_comment(2, report_body(10), MARKER, may_replace=replaces_for(10))

    [stored] = repo.comments(2)
    assert comment is not None
    assert comment.id == stored.id
    assert [r.status for r in fake.requests_for(CREATE_COMMENT)] == [500, 201]


def test_fork_pull_request_read_only_token_is_a_403_naming_the_permission(fake, clock):
    fork = event("pull_request.opened.fork")
    repo = fake.seed_pull_request_event(fork, base_files={CONFIG: "version: 1\n"})
    gh = connect(fake, fake.add_token(TokenSpec.fork_pull_request()), clock, repo.full_name)

    assert gh.read_file(CONFIG, fork["pull_request"]["base"]["sha"]) == "version: 1\n"
    with pytest.raises(GitHubError) as raised:
        gh.upsert_comment(fork["number"], report_body(10), MARKER, may_replace=replaces_for(10))

    assert raised.value.status == 403
    assert raised.value.permission == "pull-requests: write"
    message = str(raised.value)
    assert message.startswith(
        f"Could not create the comment on pull request #{fork['number']}: GitHub answered 403: "
        "Resource not accessible by integration. The token lacks `pull-requests: write`"
    )
    assert message.endswith("grant it under `permissions:` in the workflow.")
    assert "fork" not in message  # the layer cannot tell; the Action adds the fork setup on forks
    assert repo.comments(fork["number"]) == ()
    assert clock.sleeps == []
    assert gh.bot_login() == BOT


def test_bad_credentials_are_not_retried(fake, repo, clock):
    gh = connect(fake, "ghs_revoked", clock, repo.full_name)

    with pytest.raises(GitHubError) as raised:
        gh.read_file(CONFIG, BASE)

    assert raised.value.status == 401
    assert str(raised.value).endswith("The token was rejected: check the `github-token` input.")
    assert len(fake.requests) == 1


def test_a_run_waits_at_most_two_minutes_in_all(fake, gh, clock):
    fake.faults.secondary_rate_limit("*", retry_after=60, times=None)

    with pytest.raises(GitHubError, match="apiq-gate already waited 120 s for GitHub in this run"):
        gh.read_file(CONFIG, BASE)

    assert clock.sleeps == [60.0, 60.0]
    assert deletes(fake) == []
