"""Check runs and commit statuses against the fake GitHub API over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apiq_gate.github import Annotation, GitHub, GitHubError, Published
from tests.fakegithub import FakeGitHub, Identity, Reply, RepoHandle, TokenSpec
from tests.fakegithub.replies import custom_error, error_body
from tests.support.github_layer import (
    CREATE_CHECK,
    UPDATE_CHECK,
    Clock,
    connect,
    event,
)

HEAD = event("pull_request.opened")["pull_request"]["head"]["sha"]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(make_fake_github: Callable[..., FakeGitHub], clock: Clock) -> FakeGitHub:
    return make_fake_github(wall_clock=clock.time)


@pytest.fixture
def repo(fake: FakeGitHub) -> RepoHandle:
    return fake.seed_pull_request_event(event("pull_request.opened"), base_files={"apiq-gate.yml": "x"})


@pytest.fixture
def gh(fake: FakeGitHub, repo: RepoHandle, clock: Clock) -> GitHub:
    return connect(fake, fake.add_token(TokenSpec.workflow()), clock, repo.full_name)


def annotations(count: int) -> list[Annotation]:
    return [
        Annotation(
            path="apiq-gate.yml",
            line=n + 1,
            level="failure",
            title=f"item-{n}",
            message="Required item fails",
        )
        for n in range(count)
    ]


def publish(gh: GitHub, **overrides: Any) -> Published:
    values: dict[str, Any] = {
        "name": "apiq-gate / Payments go-live",
        "head_sha": HEAD,
        "conclusion": "failure",
        "title": "Go-live blocked: 3 required items failing",
        "summary": "## Blockers\n- TLS certificate expires in 9 days",
        "text": "## Security Verification 10/12\n",
        "annotations": [],
        "details_url": "https://github.com/Codertocat/Hello-World/actions/runs/42",
    }
    values.update(overrides)
    return gh.publish_check(**values)


def test_publish_check__created_completed_in_one_call(fake, gh, repo):
    published = publish(gh, annotations=annotations(3))

    [run] = repo.check_runs(HEAD)
    assert (run.status, run.conclusion, run.name) == (
        "completed",
        "failure",
        "apiq-gate / Payments go-live",
    )
    assert (run.title, run.summary, run.text) == (
        "Go-live blocked: 3 required items failing",
        "## Blockers\n- TLS certificate expires in 9 days",
        "## Security Verification 10/12\n",
    )
    assert run.details_url == "https://github.com/Codertocat/Hello-World/actions/runs/42"
    assert [a["start_line"] for a in run.annotations] == [1, 2, 3]
    assert published == Published(kind="check-run", url=f"https://github.com/{repo.full_name}/runs/{run.id}")
    assert gh.requests_made == len(fake.requests) == 1


def test_publish_check__120_annotations_go_50_with_the_create_then_50_and_20(fake, gh, repo):
    publish(gh, annotations=annotations(120))

    [run] = repo.check_runs(HEAD)
    assert [a["title"] for a in run.annotations] == [f"item-{n}" for n in range(120)]
    sent = [len(r.body["output"]["annotations"]) for r in fake.requests]
    assert sent == [50, 50, 20]
    assert [r.method for r in fake.requests] == ["POST", "PATCH", "PATCH"]
    assert (run.status, run.text) == ("completed", "## Security Verification 10/12\n")


def test_publish_check__title_summary_and_text_over_the_limit_are_cut_with_a_note(gh, repo):
    huge = "| row | of | the | report |\n" * 3000

    publish(gh, title="T" * 70_000, summary=huge, text=huge + "😀" * 10)

    [run] = repo.check_runs(HEAD)
    for field in (run.title, run.summary, run.text):
        assert field is not None
        assert len(field.encode("utf-16-le")) // 2 <= 65_535
    assert run.summary is not None
    assert run.summary.endswith("the full report is in the job summary.\n")
    assert run.title is not None
    assert run.title.endswith("T…")


def test_publish_check__long_annotation_title_is_cut_to_255(gh, repo):
    publish(
        gh,
        annotations=[Annotation(path="apiq-gate.yml", line=3, level="warning", title="x" * 400, message="m")],
    )

    [run] = repo.check_runs(HEAD)
    assert len(run.annotations[0]["title"]) == 255


def test_publish_check__without_checks_write_is_a_403_naming_the_permission(fake, repo, clock):
    gh = connect(fake, fake.add_token(TokenSpec.workflow(checks=None)), clock, repo.full_name)

    with pytest.raises(GitHubError) as raised:
        publish(gh)

    assert raised.value.status == 403
    assert raised.value.permission == "checks: write"
    assert str(raised.value).startswith(
        "Could not create the check run 'apiq-gate / Payments go-live': GitHub answered 403: "
        "Resource not accessible by integration. The token lacks `checks: write`"
    )
    assert repo.check_runs() == ()
    assert clock.sleeps == []


def test_publish_check__personal_token_is_told_only_apps_write_check_runs(fake, repo, clock):
    token = fake.add_token(TokenSpec.personal(Identity(login="release-bot", id=9001)))
    gh = connect(fake, token, clock, repo.full_name)

    with pytest.raises(GitHubError) as raised:
        publish(gh)

    assert raised.value.status == 403
    assert "Only a GitHub App's token (the workflow token is one) may write check runs" in str(raised.value)


def test_publish_check__validation_failure_shows_githubs_messages(fake, gh, repo):
    answer = error_body(
        422,
        "Validation Failed",
        "https://docs.github.com/rest/checks/runs#create-a-check-run",
        errors=[custom_error("CheckRun", "output.summary", "summary is too long (maximum is 65535 characters)")],
    )
    fake.faults.respond(CREATE_CHECK, Reply(status=422, body=answer))

    with pytest.raises(GitHubError) as raised:
        publish(gh)

    assert raised.value.status == 422
    assert str(raised.value) == (
        "Could not create the check run 'apiq-gate / Payments go-live': GitHub answered 422: "
        "Validation Failed. GitHub said: CheckRun.output.summary: summary is too long "
        "(maximum is 65535 characters)"
    )


def test_publish_check__unknown_commit_is_githubs_422_message(gh):
    with pytest.raises(GitHubError, match=r"GitHub answered 422: No commit found for SHA: 0{40}") as raised:
        publish(gh, head_sha="0" * 40)

    assert raised.value.status == 422


def test_publish_check__commit_then_502_on_create_leaves_one_check_run(fake, gh, repo, clock):
    fake.faults.commit_then_fail(CREATE_CHECK)

    published = publish(gh)

    [run] = repo.check_runs(HEAD)
    assert published.url == f"https://github.com/{repo.full_name}/runs/{run.id}"
    assert [r.method for r in fake.requests] == ["POST", "GET"]  # the create, then the lookup
    assert clock.sleeps == [1.0]


def test_publish_check__commit_then_502_on_an_annotation_batch_sends_it_once(fake, gh, repo):
    fake.faults.commit_then_fail(UPDATE_CHECK)

    publish(gh, annotations=annotations(75))

    [run] = repo.check_runs(HEAD)
    assert len(run.annotations) == 75
    assert [r.method for r in fake.requests] == ["POST", "PATCH", "GET"]


def test_publish_status__description_cut_to_140_characters(gh, repo):
    published = gh.publish_status(
        sha=HEAD,
        context="apiq-gate / Payments go-live",
        state="failure",
        description="Go-live blocked: " + "TLS certificate expires soon, " * 10,
        target_url="https://github.com/Codertocat/Hello-World/actions/runs/42",
    )

    [status] = repo.statuses(HEAD)
    assert published == Published(kind="commit-status", url=None)
    assert (status.state, status.context) == ("failure", "apiq-gate / Payments go-live")
    assert status.description is not None
    assert len(status.description) == 140
    assert status.description.endswith("…")
    assert status.target_url == "https://github.com/Codertocat/Hello-World/actions/runs/42"


@pytest.mark.parametrize("state", ["error", "failure", "pending", "success"])
def test_publish_status__each_state_githubs_accepts(gh, repo, state):
    gh.publish_status(sha=HEAD, context="apiq-gate", state=state, description="", target_url=None)

    assert [s.state for s in repo.statuses(HEAD)] == [state]


def test_publish_status__without_statuses_write_is_a_403_naming_the_permission(fake, repo, clock):
    gh = connect(fake, fake.add_token(TokenSpec.workflow(statuses=None)), clock, repo.full_name)

    with pytest.raises(GitHubError, match="The token lacks `statuses: write`") as raised:
        gh.publish_status(sha=HEAD, context="apiq-gate", state="success", description="ok", target_url=None)

    assert raised.value.status == 403
