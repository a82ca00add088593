"""pytest fixtures for the fake GitHub API.

Load them from tests/conftest.py with `pytest_plugins = ["tests.fakegithub.fixtures"]`.

`fake_github` is a started FakeGitHub, stopped after the test. At teardown the test errors if any
request it made violated GitHub's OpenAPI description, if a programmed fault never fired, or if
a barrier broke. A test that sends bad requests on purpose sets
`fake_github.fail_on_contract_violations = False` (or `require_faults_used = False`).
`make_fake_github(**options)` makes more, e.g. one served under `/api/v3` like GitHub Enterprise
Server, with the same teardown checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .server import FakeGitHub


@pytest.fixture
def make_fake_github() -> Iterator[Callable[..., FakeGitHub]]:
    started: list[FakeGitHub] = []

    def make(**options: Any) -> FakeGitHub:
        fake = FakeGitHub(**options).start()
        started.append(fake)
        return fake

    yield make
    problems: list[str] = []
    for fake in started:
        fake.stop()
        problems += fake.teardown_problems()
    if problems:
        pytest.fail("fake GitHub API:\n" + "\n".join(f"- {p}" for p in problems), pytrace=False)


@pytest.fixture
def fake_github(make_fake_github: Callable[..., FakeGitHub]) -> FakeGitHub:
    return make_fake_github()
