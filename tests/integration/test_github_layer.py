"""apiq_gate.github against the fake GitHub API over real HTTP: reading the config, the request
budget of a second run, GitHub Enterprise Server, and bad settings."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apiq_gate.github import GitHub, GitHubError
from tests.fakegithub import FakeGitHub, RepoHandle, TokenSpec
from tests.support.github_layer import (
    BOT,
    MARKER,
    Clock,
    connect,
    event,
    replaces_for,
    report_body,
    run_id_in,
)

OPENED = event("pull_request.opened")
BASE = OPENED["pull_request"]["base"]["sha"]
HEAD = OPENED["pull_request"]["head"]["sha"]
CONFIG = "apiq-gate.yml"
BASE_CONFIG = "version: 1\nname: Payments go-live\n"
HEAD_CONFIG = "version: 1\nname: Payments go-live\n# weakened\n"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(make_fake_github: Callable[..., FakeGitHub], clock: Clock) -> FakeGitHub:
    return make_fake_github(wall_clock=clock.time)


@pytest.fixture
def repo(fake: FakeGitHub) -> RepoHandle:
    return fake.seed_pull_request_event(
        OPENED,
        base_files={CONFIG: BASE_CONFIG, "docs/runbook.md": "# Runbook\n"},
        head_files={CONFIG: HEAD_CONFIG, "docs/runbook.md": "# Runbook\n"},
    )


@pytest.fixture
def gh(fake: FakeGitHub, repo: RepoHandle, clock: Clock) -> GitHub:
    return connect(fake, fake.add_token(TokenSpec.workflow()), clock, repo.full_name)


# -- read_file ---------------------------------------------------------------------------------


def test_read_file__base_and_head_each_read_at_their_sha(gh):
    assert gh.read_file(CONFIG, BASE) == BASE_CONFIG
    assert gh.read_file(CONFIG, HEAD) == HEAD_CONFIG


def test_read_file__branch_name_as_ref(gh):
    assert gh.read_file(CONFIG, OPENED["pull_request"]["base"]["ref"]) == BASE_CONFIG


def test_read_file__missing_on_that_ref_is_none(gh):
    assert gh.read_file("config/apiq-gate.yml", BASE) is None


def test_read_file__a_directory_is_a_plain_error(gh):
    with pytest.raises(GitHubError, match=r"^Could not read docs at [0-9a-f]{40}: it is a directory, not a file\.$"):
        gh.read_file("docs", BASE)


def test_read_file__a_file_over_1_mb_is_a_plain_error(repo, gh):
    big = repo.commit({CONFIG: "# padding\n" * 120_000}, message="Big config")

    with pytest.raises(GitHubError) as raised:
        gh.read_file(CONFIG, big)

    assert str(raised.value) == (
        f"Could not read {CONFIG} at {big}: it is 1.1 MB, and GitHub's contents API returns files up to 1 MB only."
    )


def test_read_file__not_utf8_is_a_plain_error(repo, gh):
    latin = repo.commit({CONFIG: "name: Caf\xe9\n".encode("latin-1")})

    with pytest.raises(GitHubError, match="it is not UTF-8 text"):
        gh.read_file(CONFIG, latin)


def test_read_file__unknown_ref_is_an_error_not_a_missing_config(gh):
    with pytest.raises(GitHubError, match="GitHub answered 404: No commit found for the ref no-such-branch") as raised:
        gh.read_file(CONFIG, "no-such-branch")

    assert raised.value.status == 404


# -- the request budget ------------------------------------------------------------------------


def test_second_run_on_a_pr_with_100_comments_makes_6_requests(fake, repo, gh, clock):
    for n in range(60):
        repo.comment(2, f"Comment {n}", author="octocat")
    ours = repo.comment(2, report_body(10), author=BOT)
    for n in range(39):
        repo.comment(2, f"Later comment {n}", author="hubot")
    assert len(repo.comments(2)) == 100

    base_config = gh.read_file(CONFIG, BASE)
    changed = gh.read_file(CONFIG, HEAD) != base_config
    previous = gh.find_comment(2, MARKER)  # the Action renders "what changed" from its state
    comment = gh.upsert_comment(2, report_body(11), MARKER, may_replace=replaces_for(11))
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

    assert changed
    assert previous is not None
    assert run_id_in(previous.body) == 10
    assert comment is not None
    assert comment.id == ours.id
    assert run_id_in(repo.comments(2)[60].body) == 11
    assert gh.requests_made == len(fake.requests) == 6
    assert [r.operation for r in fake.requests] == [
        "GET /repos/{owner}/{repo}/contents/{path}",
        "GET /repos/{owner}/{repo}/contents/{path}",
        "GET /user",
        "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
        "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
        "POST /repos/{owner}/{repo}/check-runs",
    ]
    assert dict(fake.requests[3].query) == {"per_page": "100"}


def test_requests_are_made_without_any_sleep(gh, clock):
    gh.read_file(CONFIG, BASE)
    gh.find_comment(2, MARKER)

    assert clock.sleeps == []


# -- GitHub Enterprise Server and settings -------------------------------------------------


def test_github_enterprise_server__api_under_a_path_prefix(make_fake_github, clock):
    ghes = make_fake_github(path_prefix="/api/v3", web_url="https://ghe.example.com", wall_clock=clock.time)
    repo = ghes.seed_pull_request_event(OPENED, base_files={CONFIG: BASE_CONFIG})
    gh = connect(ghes, ghes.add_token(TokenSpec.workflow()), clock, repo.full_name)

    assert gh.read_file(CONFIG, BASE) == BASE_CONFIG
    comment = gh.upsert_comment(2, report_body(10), MARKER, may_replace=replaces_for(10))

    assert comment is not None
    assert comment.url.startswith("https://ghe.example.com/")
    assert all(r.contract_problems == () for r in ghes.requests)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"token": ""},
            "No GitHub token: set the `github-token` input (it defaults to the workflow token).",
        ),
        (
            {"api_url": "api.github.com"},
            "GITHUB_API_URL 'api.github.com' is not an http(s) URL such as https://api.github.com",
        ),
        (
            {"repository": "Hello-World"},
            "GITHUB_REPOSITORY 'Hello-World' is not of the form owner/name",
        ),
    ],
)
def test_settings__bad_values_are_plain_errors(settings, message):
    values = {
        "token": "ghs_x",
        "api_url": "https://api.github.com",
        "repository": "o/r",
        **settings,
    }

    with pytest.raises(GitHubError) as raised:
        GitHub(**values)

    assert str(raised.value) == message
