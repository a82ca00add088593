"""The fake GitHub API behaves like GitHub for PyGithub and for plain HTTP clients.

Everything goes over real HTTP to 127.0.0.1: PyGithub as the product will configure it (no retry,
no throttling, 100 per page), or `requests` where the raw answer (headers, bodies) is the point.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from github import Auth, Github, GithubException, RateLimitExceededException, UnknownObjectException

from tests.fakegithub import FakeGitHub, RepoHandle, TokenSpec, check_request
from tests.fakegithub.contract import default_contract
from tests.fakegithub.operations import OPERATIONS

pytest_plugins = ["tests.fakegithub.fixtures", "pytester"]

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
CONFIG = "apiq.yml"
COMMENTS = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"
CREATE_COMMENT = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def client(fake: FakeGitHub, token: str) -> Github:
    return Github(
        base_url=fake.url,
        auth=Auth.Token(token),
        per_page=100,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def raw(fake: FakeGitHub, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, fake.url + path, headers={"Authorization": f"token {token}"}, timeout=5, **kwargs
    )


@pytest.fixture
def opened() -> dict[str, Any]:
    return event("pull_request.opened")


@pytest.fixture
def repo(fake_github: FakeGitHub, opened: dict[str, Any]) -> RepoHandle:
    return fake_github.seed_pull_request_event(
        opened, base_files={CONFIG: "checklist: base\n"}, head_files={CONFIG: "checklist: head\n"}
    )


@pytest.fixture
def token(fake_github: FakeGitHub) -> str:
    return fake_github.add_token(TokenSpec.workflow())


# -- comments and pagination -----------------------------------------------------------------


def test_comments__150_created_listed_over_two_pages_and_edited(fake_github, repo, token):
    earlier = [repo.comment(2, f"earlier {i}", author="reviewer").id for i in range(149)]
    pull = client(fake_github, token).get_repo(repo.full_name).get_pull(2)
    created = pull.create_issue_comment("report")
    listed = list(pull.get_issue_comments())
    listed[-1].edit("report, edited")

    assert [c.id for c in listed] == [*earlier, created.id]
    assert [c.user.login for c in listed[-2:]] == ["reviewer", "github-actions[bot]"]
    assert len(fake_github.requests_for(COMMENTS)) == 2  # page 1 with 100, page 2 with 50
    assert repo.comments(2)[-1].body == "report, edited"
    assert repo.comments(2)[-1].updated_at > repo.comments(2)[-1].created_at


def test_comments__link_header_is_githubs_next_and_last_by_repository_id(fake_github, repo, token):
    for i in range(150):
        repo.comment(2, f"earlier {i}", author="reviewer")
    path = f"/repos/{repo.full_name}/issues/2/comments"
    api = f"{fake_github.url}/repositories/{repo.id}/issues/2/comments"

    first = raw(fake_github, token, "GET", path, params={"per_page": 100})
    second = raw(
        fake_github,
        token,
        "GET",
        f"/repositories/{repo.id}/issues/2/comments",
        params={"per_page": 100, "page": 2},
    )
    single = raw(
        fake_github, token, "GET", path, params={"per_page": 100, "since": "2030-01-01T00:00:00Z"}
    )

    assert len(first.json()) == 100
    assert first.headers["Link"] == (
        f'<{api}?per_page=100&page=2>; rel="next", <{api}?per_page=100&page=2>; rel="last"'
    )
    assert len(second.json()) == 50
    assert second.headers["Link"] == (
        f'<{api}?per_page=100&page=1>; rel="prev", <{api}?per_page=100&page=1>; rel="first"'
    )
    assert single.json() == []
    assert "Link" not in single.headers


def test_comments__per_page_above_100_is_capped_like_github(fake_github, repo, token):
    for i in range(120):
        repo.comment(2, f"earlier {i}")

    answer = raw(
        fake_github,
        token,
        "GET",
        f"/repos/{repo.full_name}/issues/2/comments",
        params={"per_page": 500},
    )

    assert len(answer.json()) == 100
    assert fake_github.contract_violations() == []


def test_issue__a_pull_request_is_an_issue_whose_comments_are_the_same(fake_github, repo, token):
    issue = client(fake_github, token).get_repo(repo.full_name).get_issue(2)
    via_issue = issue.create_comment("report")

    assert issue.pull_request.html_url == f"https://github.com/{repo.full_name}/pull/2"
    assert via_issue.html_url.endswith(f"/pull/2#issuecomment-{via_issue.id}")
    assert [c.id for c in repo.comments(2)] == [via_issue.id]


def test_comments__delete_is_recorded(fake_github, repo, token):
    comment = (
        client(fake_github, token).get_repo(repo.full_name).get_pull(2).create_issue_comment("x")
    )
    comment.delete()

    assert [c.id for c in repo.deleted_comments()] == [comment.id]
    assert repo.comments(2) == ()
    assert len(fake_github.requests_for("DELETE *")) == 1


def test_comments__body_over_65536_characters_answers_422(fake_github, repo, token):
    pull = client(fake_github, token).get_repo(repo.full_name).get_pull(2)

    with pytest.raises(GithubException) as raised:
        pull.create_issue_comment("x" * 65537)

    assert raised.value.status == 422
    assert (
        raised.value.data["errors"][0]["message"]
        == "body is too long (maximum is 65536 characters)"
    )
    assert pull.create_issue_comment("x" * 65536).body == "x" * 65536


# -- check runs and statuses -----------------------------------------------------------------


ANNOTATION = {
    "path": CONFIG,
    "start_line": 1,
    "end_line": 1,
    "annotation_level": "failure",
    "message": "m",
}


def test_check_run__created_completed_in_one_call_with_annotations(
    fake_github, repo, token, opened
):
    sha = opened["pull_request"]["head"]["sha"]
    gh_repo = client(fake_github, token).get_repo(repo.full_name)

    run = gh_repo.create_check_run(
        name="apiq-gate",
        head_sha=sha,
        conclusion="failure",
        output={"title": "2 failing", "summary": "s", "annotations": [ANNOTATION] * 50},
    )
    run.edit(output={"title": "2 failing", "summary": "s", "annotations": [ANNOTATION] * 3})
    listed = list(gh_repo.get_commit(sha).get_check_runs(check_name="apiq-gate"))

    assert (run.status, run.conclusion, run.completed_at is not None) == (
        "completed",
        "failure",
        True,
    )
    assert [r.id for r in listed] == [run.id]
    assert listed[0].output.annotations_count == 53  # annotations add up over updates
    assert len(list(run.get_annotations())) == 53


@pytest.mark.parametrize(
    ("change", "expected_error"),
    [
        ({"name": None}, {"resource": "CheckRun", "code": "missing_field", "field": "name"}),
        (
            {"conclusion": "passed"},
            {"resource": "CheckRun", "code": "invalid", "field": "conclusion", "value": "passed"},
        ),
        (
            {"conclusion": None, "status": "completed"},
            {"resource": "CheckRun", "code": "missing_field", "field": "conclusion"},
        ),
        (
            {"output": {"title": "t"}},
            {"resource": "CheckRun", "code": "missing_field", "field": "output.summary"},
        ),
        (
            {"output": {"title": "t", "summary": "s", "text": "x" * 65536}},
            {
                "resource": "CheckRun",
                "code": "custom",
                "field": "output.text",
                "message": "text is too long (maximum is 65535 characters)",
            },
        ),
        (
            {"output": {"title": "t", "summary": "s", "annotations": [ANNOTATION] * 51}},
            {
                "resource": "CheckRun",
                "code": "custom",
                "field": "output.annotations",
                "message": "Only 50 annotations are allowed per request",
            },
        ),
        (
            {
                "output": {
                    "title": "t",
                    "summary": "s",
                    "annotations": [{**ANNOTATION, "message": None}],
                }
            },
            {
                "resource": "CheckRun",
                "code": "missing_field",
                "field": "output.annotations[0].message",
            },
        ),
    ],
)
def test_check_run__invalid_input_answers_422_validation_failed(
    fake_github, repo, token, opened, change, expected_error
):
    fake_github.fail_on_contract_violations = False  # these bodies are bad on purpose
    body = {
        "name": "apiq-gate",
        "head_sha": opened["pull_request"]["head"]["sha"],
        "conclusion": "success",
        **change,
    }
    body = {k: v for k, v in body.items() if v is not None}
    if "output" in body:
        body["output"]["annotations"] = [
            {k: v for k, v in a.items() if v is not None}
            for a in body["output"].get("annotations", [])
        ]

    answer = raw(fake_github, token, "POST", f"/repos/{repo.full_name}/check-runs", json=body)

    assert answer.status_code == 422
    assert answer.json()["message"] == "Validation Failed"
    assert expected_error in answer.json()["errors"]
    assert (
        answer.json()["documentation_url"]
        == "https://docs.github.com/rest/reference/checks#create-a-check-run"
    )
    assert repo.check_runs() == ()


def test_check_run__unknown_head_sha_answers_422(fake_github, repo, token):
    gh_repo = client(fake_github, token).get_repo(repo.full_name)

    with pytest.raises(GithubException) as raised:
        gh_repo.create_check_run(name="apiq-gate", head_sha="0" * 40, conclusion="success")

    assert raised.value.status == 422
    assert raised.value.data["message"] == f"No commit found for SHA: {'0' * 40}"


def test_status__description_over_140_characters_answers_422(fake_github, repo, token, opened):
    commit = (
        client(fake_github, token)
        .get_repo(repo.full_name)
        .get_commit(opened["pull_request"]["head"]["sha"])
    )

    with pytest.raises(GithubException) as raised:
        commit.create_status(state="failure", description="x" * 141, context="apiq-gate")
    status = commit.create_status(state="failure", description="x" * 140, context="apiq-gate")

    assert raised.value.status == 422
    assert raised.value.data["errors"] == [
        {
            "resource": "Status",
            "code": "custom",
            "field": "description",
            "message": "description is too long (maximum is 140 characters)",
        }
    ]
    assert [s.id for s in repo.statuses()] == [status.id]
    assert commit.get_combined_status().state == "failure"


# -- tokens and permissions ------------------------------------------------------------------


def test_user__workflow_token_is_forbidden_and_personal_token_reads_its_login(fake_github):
    workflow = fake_github.add_token(TokenSpec.workflow())
    personal = fake_github.add_token(TokenSpec.personal(fake_github.add_user("octocat")))

    with pytest.raises(GithubException) as raised:
        _ = client(fake_github, workflow).get_user().login

    assert raised.value.status == 403
    assert raised.value.data["message"] == "Resource not accessible by integration"
    assert client(fake_github, personal).get_user().login == "octocat"


def test_fork_token__reads_but_every_write_is_403_with_the_accepted_permissions(fake_github):
    payload = event("pull_request.opened.fork")
    repo = fake_github.seed_pull_request_event(payload, base_files={CONFIG: "x: 1\n"})
    read_only = fake_github.add_token(TokenSpec.fork_pull_request())
    pull = client(fake_github, read_only).get_repo(repo.full_name).get_pull(2)

    with pytest.raises(GithubException) as raised:
        pull.create_issue_comment("report")
    answer = raw(
        fake_github,
        read_only,
        "POST",
        f"/repos/{repo.full_name}/check-runs",
        json={"name": "g", "head_sha": pull.head.sha, "conclusion": "success"},
    )

    assert (pull.head.repo.full_name, pull.head.repo.fork) == ("octo-contributor/Hello-World", True)
    assert raised.value.status == 403
    assert raised.value.data["message"] == "Resource not accessible by integration"
    assert (
        raised.value.headers["x-accepted-github-permissions"] == "issues=write; pull_requests=write"
    )
    assert answer.status_code == 403
    assert answer.headers["X-Accepted-GitHub-Permissions"] == "checks=write"
    assert repo.comments(2) == ()
    assert repo.check_runs() == ()


def test_token_without_checks_write__gets_403_on_check_runs_only(fake_github, repo, opened):
    no_checks = fake_github.add_token(TokenSpec.workflow(checks=None))
    gh_repo = client(fake_github, no_checks).get_repo(repo.full_name)
    sha = opened["pull_request"]["head"]["sha"]

    with pytest.raises(GithubException) as raised:
        gh_repo.create_check_run(name="apiq-gate", head_sha=sha, conclusion="success")
    gh_repo.get_pull(2).create_issue_comment("still allowed")
    gh_repo.get_commit(sha).create_status(state="success", context="apiq-gate")

    assert raised.value.status == 403
    assert len(repo.comments(2)) == 1
    assert len(repo.statuses(sha)) == 1


def test_unknown_token__answers_401_bad_credentials(fake_github, repo):
    answer = raw(fake_github, "ghp_not_registered", "GET", f"/repos/{repo.full_name}")

    assert answer.status_code == 401
    assert answer.json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }


def test_check_run__a_later_workflow_token_may_update_it_a_personal_token_may_not(
    fake_github, repo, token, opened
):
    personal = fake_github.add_token(TokenSpec.personal(fake_github.add_user("octocat")))
    run = (
        client(fake_github, token)
        .get_repo(repo.full_name)
        .create_check_run(
            name="apiq-gate", head_sha=opened["pull_request"]["head"]["sha"], status="in_progress"
        )
    )
    later_run = fake_github.add_token(TokenSpec.workflow())

    as_user = raw(
        fake_github,
        personal,
        "PATCH",
        f"/repos/{repo.full_name}/check-runs/{run.id}",
        json={"conclusion": "success"},
    )
    as_later_run = raw(
        fake_github,
        later_run,
        "PATCH",
        f"/repos/{repo.full_name}/check-runs/{run.id}",
        json={"conclusion": "success"},
    )

    assert as_user.status_code == 403
    assert as_user.json()["message"] == "You must authenticate via a GitHub App."
    assert as_later_run.status_code == 200
    assert repo.check_runs()[0].status == "completed"


def test_check_runs_for_ref__latest_of_each_name_by_default(fake_github, repo, token, opened):
    sha = opened["pull_request"]["head"]["sha"]
    gh_repo = client(fake_github, token).get_repo(repo.full_name)
    first = gh_repo.create_check_run(name="apiq-gate", head_sha=sha, conclusion="failure")
    second = gh_repo.create_check_run(name="apiq-gate", head_sha=sha, conclusion="success")
    other = gh_repo.create_check_run(name="lint", head_sha=sha, conclusion="success")

    latest = raw(fake_github, token, "GET", f"/repos/{repo.full_name}/commits/{sha}/check-runs")
    every = raw(
        fake_github,
        token,
        "GET",
        f"/repos/{repo.full_name}/commits/{sha}/check-runs",
        params={"filter": "all"},
    )

    assert [r["id"] for r in latest.json()["check_runs"]] == [other.id, second.id]
    assert latest.json()["total_count"] == 2
    assert [r["id"] for r in every.json()["check_runs"]] == [other.id, second.id, first.id]


# -- sign-off lookups ----------------------------------------------------------------------------


def test_collaborator_permission__role_and_permission_like_github(fake_github, repo, token):
    repo.grant("maintainer-mia", "maintain")
    fake_github.add_user("stranger")

    mia = raw(
        fake_github,
        token,
        "GET",
        f"/repos/{repo.full_name}/collaborators/maintainer-mia/permission",
    )
    stranger = raw(
        fake_github, token, "GET", f"/repos/{repo.full_name}/collaborators/stranger/permission"
    )
    nobody = raw(
        fake_github, token, "GET", f"/repos/{repo.full_name}/collaborators/ghost-404/permission"
    )

    assert (mia.json()["permission"], mia.json()["role_name"]) == ("write", "maintain")
    assert mia.json()["user"]["login"] == "maintainer-mia"
    assert stranger.json()["permission"] == "read"  # anyone can read a public repository
    assert nobody.status_code == 404


def test_team_membership__needs_an_org_permission_the_workflow_token_lacks(fake_github, token):
    fake_github.add_team("octo-org", "release-managers", {"rita": "maintainer"})
    personal = fake_github.add_token(TokenSpec.personal(fake_github.add_user("octocat")))
    path = "/orgs/octo-org/teams/release-managers/memberships"

    member = raw(fake_github, personal, "GET", f"{path}/rita")
    not_member = raw(fake_github, personal, "GET", f"{path}/octocat")
    workflow = raw(fake_github, token, "GET", f"{path}/rita")

    assert (member.json()["role"], member.json()["state"]) == ("maintainer", "active")
    assert not_member.status_code == 404
    assert workflow.status_code == 403
    assert workflow.headers["X-Accepted-GitHub-Permissions"] == "members=read"


def test_anonymous__reads_public_repositories_on_a_quota_of_60_but_cannot_write(fake_github, repo):
    read = requests.get(f"{fake_github.url}/repos/{repo.full_name}", timeout=5)
    write = requests.post(
        f"{fake_github.url}/repos/{repo.full_name}/issues/2/comments", json={"body": "x"}, timeout=5
    )

    assert read.status_code == 200
    assert read.headers["X-RateLimit-Limit"] == "60"
    assert write.status_code == 401
    assert write.json()["message"] == "Requires authentication"


# -- contents ----------------------------------------------------------------------------------


def test_contents__read_per_ref_with_githubs_404_bodies(fake_github, repo, token, opened):
    gh_repo = client(fake_github, token).get_repo(repo.full_name)
    base_sha = opened["pull_request"]["base"]["sha"]

    at_base = gh_repo.get_contents(CONFIG, ref=base_sha)
    at_head = gh_repo.get_contents(CONFIG, ref=opened["pull_request"]["head"]["ref"])
    with pytest.raises(UnknownObjectException) as missing:
        gh_repo.get_contents("missing.yml", ref=base_sha)
    bad_ref = raw(
        fake_github,
        token,
        "GET",
        f"/repos/{repo.full_name}/contents/{CONFIG}",
        params={"ref": "no-such-branch"},
    )

    assert at_base.decoded_content == b"checklist: base\n"
    assert at_head.decoded_content == b"checklist: head\n"
    assert missing.value.data == {
        "message": "Not Found",
        "status": "404",
        "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content",
    }
    assert bad_ref.status_code == 404
    assert bad_ref.json()["message"] == "No commit found for the ref no-such-branch"


# -- rate limits and faults ------------------------------------------------------------------


def test_every_response__carries_rate_limit_and_request_id_headers(fake_github, repo, token):
    first = raw(fake_github, token, "GET", f"/repos/{repo.full_name}")
    missing = raw(fake_github, token, "GET", "/repos/nobody/nothing")
    quota = raw(fake_github, token, "GET", "/rate_limit")

    assert first.headers["X-RateLimit-Limit"] == "1000"
    assert first.headers["X-RateLimit-Remaining"] == "999"
    assert missing.headers["X-RateLimit-Used"] == "2"
    assert first.headers["X-RateLimit-Resource"] == "core"
    assert first.headers["X-GitHub-Request-Id"] != missing.headers["X-GitHub-Request-Id"]
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    assert quota.json()["resources"]["core"]["remaining"] == 998  # asking does not use the quota


def test_fault__502_twice_then_success_for_a_raw_client(fake_github, repo, token):
    fake_github.faults.fail("GET /repos/{owner}/{repo}", times=2, status=502)

    statuses = [
        raw(fake_github, token, "GET", f"/repos/{repo.full_name}").status_code for _ in range(3)
    ]

    assert statuses == [502, 502, 200]


def test_fault__secondary_rate_limit_is_a_403_with_retry_after(fake_github, repo, token):
    fake_github.faults.secondary_rate_limit(CREATE_COMMENT, retry_after=7)
    pull = client(fake_github, token).get_repo(repo.full_name).get_pull(2)

    with pytest.raises(RateLimitExceededException) as raised:
        pull.create_issue_comment("report")

    assert raised.value.status == 403
    assert raised.value.headers["retry-after"] == "7"
    assert raised.value.headers["x-ratelimit-remaining"] == "998"  # not the primary limit
    assert raised.value.data["message"].startswith("You have exceeded a secondary rate limit.")
    assert "C0DE:" in raised.value.data["message"]  # the request id, as GitHub includes it
    assert repo.comments(2) == ()


def test_fault__exhausted_primary_quota_answers_until_the_reset(make_fake_github, opened):
    now = [1_700_000_000.0]
    fake = make_fake_github(wall_clock=lambda: now[0])
    fake.seed_pull_request_event(opened, base_files={CONFIG: "x: 1\n"})
    token = fake.add_token(TokenSpec.workflow())
    fake.faults.exhaust_rate_limit(token, reset_in=60)

    blocked = raw(fake, token, "GET", "/repos/Codertocat/Hello-World")
    now[0] += 61
    after_reset = raw(fake, token, "GET", "/repos/Codertocat/Hello-World")

    assert blocked.status_code == 403
    assert blocked.json()["message"] == "API rate limit exceeded for installation ID 1."
    assert blocked.headers["X-RateLimit-Remaining"] == "0"
    assert blocked.headers["X-RateLimit-Reset"] == str(1_700_000_060)
    assert after_reset.status_code == 200
    assert after_reset.headers["X-RateLimit-Remaining"] == "999"


def test_fault__commit_then_fail_applies_the_create_but_answers_502(fake_github, repo, token):
    fake_github.faults.commit_then_fail(CREATE_COMMENT)

    answer = raw(
        fake_github, token, "POST", f"/repos/{repo.full_name}/issues/2/comments", json={"body": "r"}
    )

    assert answer.status_code == 502
    assert [c.body for c in repo.comments(2)] == ["r"]


def test_fault__down_answers_503_to_everything_until_up(fake_github, repo, token):
    fake_github.faults.down()
    during = [
        raw(fake_github, token, "GET", path).status_code
        for path in ("/rate_limit", f"/repos/{repo.full_name}")
    ]
    fake_github.faults.up()

    assert during == [503, 503]
    assert raw(fake_github, token, "GET", f"/repos/{repo.full_name}").status_code == 200


def test_fault__down_by_disconnect_closes_the_connection(fake_github, repo, token):
    fake_github.faults.down(mode="disconnect")

    with pytest.raises(requests.ConnectionError):
        raw(fake_github, token, "GET", f"/repos/{repo.full_name}")
    assert fake_github.requests[-1].status is None


def test_barrier__two_racing_runs_both_see_no_comment_and_both_create(fake_github, repo, token):
    fake_github.faults.barrier(COMMENTS, parties=2)
    seen: list[int] = []

    def run() -> None:
        pull = client(fake_github, token).get_repo(repo.full_name).get_pull(2)
        existing = list(pull.get_issue_comments())
        seen.append(len(existing))
        if not existing:
            pull.create_issue_comment("report")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert seen == [0, 0]
    assert len(repo.comments(2)) == 2  # the duplicate the product must then clean up


def test_barrier__a_missing_party_breaks_it_and_fails_the_test_at_teardown(opened):
    with FakeGitHub() as fake:
        fake.seed_pull_request_event(opened, base_files={CONFIG: "x: 1\n"})
        token = fake.add_token(TokenSpec.workflow())
        fake.faults.barrier(COMMENTS, parties=2, timeout=0.2)

        alone = raw(fake, token, "GET", "/repos/Codertocat/Hello-World/issues/2/comments")

    assert alone.status_code == 200
    assert fake.teardown_problems() == [
        f"barrier on {COMMENTS!r} broke: 1 of 2 requests arrived in time ({COMMENTS})",
        f"barrier on {COMMENTS!r} still waited for 1 request(s)",
    ]


def test_fault__one_that_never_fired_is_a_teardown_problem(opened):
    with FakeGitHub() as fake:
        fake.faults.fail(CREATE_COMMENT, times=2)

    assert fake.teardown_problems() == [
        f"fault '502 server error' on {CREATE_COMMENT!r} fired 2 time(s) fewer than programmed"
    ]


# -- GHES and the contract -------------------------------------------------------------------


def test_ghes_prefix__pygithub_works_under_api_v3_and_links_keep_the_prefix(
    make_fake_github, opened
):
    fake = make_fake_github(path_prefix="/api/v3")
    repo = fake.seed_pull_request_event(opened, base_files={CONFIG: "x: 1\n"})
    token = fake.add_token(TokenSpec.workflow())
    for i in range(101):
        repo.comment(2, f"earlier {i}")

    comments = list(client(fake, token).get_repo(repo.full_name).get_pull(2).get_issue_comments())

    assert fake.url.endswith("/api/v3")
    assert len(comments) == 101
    assert [r.path for r in fake.requests_for(COMMENTS)] == [
        "/repos/Codertocat/Hello-World/issues/2/comments",
        f"/repositories/{repo.id}/issues/2/comments",
    ]


def test_contract__accepts_what_github_describes():
    assert (
        check_request(
            "POST", "/repos/o/r/check-runs", {"name": "g", "head_sha": "abc", "status": "queued"}
        )
        == []
    )
    assert check_request("PATCH", "/repos/o/r/issues/comments/1", {"body": "x"}) == []
    assert (
        check_request(
            "GET", "/repositories/42/issues/2/comments", None, [("per_page", "100"), ("page", "2")]
        )
        == []
    )
    assert (
        check_request("GET", "/repos/o/r/contents/docs/deep/file.md", None, [("ref", "main")]) == []
    )
    assert (
        check_request("POST", "/repos/o/r/statuses/abc", {"state": "success", "description": None})
        == []
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "query", "problem"),
    [
        (
            "POST",
            "/repos/o/r/check-runs",
            {"head_sha": "abc"},
            [],
            "POST /repos/{owner}/{repo}/check-runs: body: 'name' is a required property",
        ),
        (
            "POST",
            "/repos/o/r/check-runs",
            {"name": "g", "head_sha": "a", "output": {"title": "t", "summary": "x" * 65536}},
            [],
            "POST /repos/{owner}/{repo}/check-runs: body.output.summary: maxLength is 65535",
        ),
        (
            "POST",
            "/repos/o/r/statuses/abc",
            {"state": "passed"},
            [],
            "POST /repos/{owner}/{repo}/statuses/{sha}: body.state: 'passed' is not one of "
            "['error', 'failure', 'pending', 'success']",
        ),
        (
            "PUT",
            "/repos/o/r/issues/comments/1",
            {"body": "x"},
            [],
            "PUT /repos/o/r/issues/comments/1: "
            "GitHub's description has only DELETE, GET, PATCH on this path",
        ),
        (
            "GET",
            "/repos/o/r/issues/2/comment",
            None,
            [],
            "GET /repos/o/r/issues/2/comment: "
            "no operation in GitHub's description matches this path",
        ),
        (
            "GET",
            "/repos/o/r/commits/abc/check-runs",
            None,
            [("filter", "newest")],
            "GET /repos/{owner}/{repo}/commits/{ref}/check-runs: "
            "query parameter filter='newest' is not one of ['latest', 'all']",
        ),
        (
            "GET",
            "/repos/o/r/issues/2/comments",
            None,
            [("perpage", "100")],
            "GET /repos/{owner}/{repo}/issues/{issue_number}/comments: "
            "query parameter 'perpage' is not defined",
        ),
        ("GET", "/user", {"x": 1}, [], "GET /user: takes no request body"),
    ],
)
def test_contract__reports_what_github_would_reject(method, path, body, query, problem):
    assert check_request(method, path, body, query) == [problem]


def test_contract__violations_of_real_requests_fail_the_test_at_teardown(opened):
    with FakeGitHub() as fake:
        repo = fake.seed_pull_request_event(opened, base_files={CONFIG: "x: 1\n"})
        token = fake.add_token(TokenSpec.workflow())
        answer = raw(
            fake, token, "POST", f"/repos/{repo.full_name}/issues/2/comments", json={"text": "x"}
        )

    assert answer.status_code == 422
    assert fake.teardown_problems() == [
        "request violates GitHub's OpenAPI description: "
        f"{CREATE_COMMENT}: body: 'body' is a required property"
    ]


def test_fixture__a_contract_violation_errors_the_test_at_teardown(pytester):
    pytester.makepyfile("""
        import requests
        from tests.fakegithub import TokenSpec

        pytest_plugins = ["tests.fakegithub.fixtures"]

        def test_typo_in_path(fake_github):
            token = fake_github.add_token(TokenSpec.workflow())
            url = fake_github.url + "/repos/o/r/issues/2/comment"
            requests.get(url, headers={"Authorization": "token " + token}, timeout=5)
    """)

    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*request violates GitHub's OpenAPI description: GET /repos/o/r/issues/2/comment: "
            "no operation in GitHub's description matches this path*"
        ]
    )


def test_contract__subset_holds_exactly_the_operations_the_fake_serves():
    contract = default_contract()

    assert set(contract.operations) == set(OPERATIONS)
    assert contract.source["package"] == "@octokit/openapi"


# -- vendored payloads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "check"),
    [
        (
            "pull_request.opened",
            lambda p: p["action"] == "opened" and p["pull_request"]["head"]["sha"],
        ),
        (
            "pull_request.synchronize",
            lambda p: p["action"] == "synchronize" and p["before"] != p["after"],
        ),
        ("workflow_dispatch", lambda p: p["ref"].startswith("refs/heads/") and "inputs" in p),
        (
            "check_run.rerequested",
            lambda p: p["action"] == "rerequested" and p["check_run"]["head_sha"],
        ),
        ("push", lambda p: p["ref"].startswith("refs/") and p["after"]),
        ("merge_group.checks_requested", lambda p: p["merge_group"]["head_sha"]),
        ("workflow_run.completed", lambda p: p["workflow_run"]["pull_requests"][0]["number"]),
    ],
)
def test_event_fixture__is_the_event_it_is_named_after(
    name: str, check: Callable[[dict[str, Any]], Any]
):
    assert check(event(name))


def test_event_fixture__fork_variant_differs_from_opened_only_in_the_head_and_author():
    opened, fork = event("pull_request.opened"), event("pull_request.opened.fork")

    assert fork["pull_request"]["head"]["repo"]["fork"] is True
    assert fork["pull_request"]["head"]["repo"]["owner"]["login"] == "octo-contributor"
    assert fork["pull_request"]["head"]["sha"] == opened["pull_request"]["head"]["sha"]
    assert fork["pull_request"]["base"] == opened["pull_request"]["base"]
    assert fork["repository"] == opened["repository"]
