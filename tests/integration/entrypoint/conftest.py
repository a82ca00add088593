"""Fixtures of the Action's end-to-end tests: the fake GitHub API, the pull request's repository
and the runner that starts `entrypoint.py` as GitHub's runner would."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakegithub import FakeGitHub, RepoHandle
from tests.support.action_runner import ActionRunner, event_payload
from tests.support.entrypoint_cases import BASE_CONFIG, CONFIG_PATH


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


@pytest.fixture
def dispatch_repo(fake: FakeGitHub) -> RepoHandle:
    repo = fake.add_repo_from_payload(event_payload("workflow_dispatch"))
    repo.commit({CONFIG_PATH: BASE_CONFIG}, sha="d" * 40, branch="main")
    return repo
