"""describe_event: what a run is, from real webhook payloads (tests/fixtures/events)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from apiq_gate.errors import UsageError
from apiq_gate.events import KNOWN_EVENTS, EventRun, describe_event
from apiq_gate.settings import Settings

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
MERGE_SHA = "5" * 40  # what GITHUB_SHA is on pull_request: a merge commit nobody pushed
DEFAULT_BRANCH_SHA = "d" * 40


def payload(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def describe(event: str, data: dict[str, Any], **settings: Any) -> EventRun:
    values = {
        "event_name": event,
        "repository": "Codertocat/Hello-World",
        "sha": MERGE_SHA,
        **settings,
    }
    return describe_event(event, data, Settings(**values))


PR_HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
PR_BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"


@pytest.mark.parametrize(
    ("event", "fixture", "expected"),
    [
        (
            "pull_request",
            "pull_request.opened",
            {
                "head_sha": PR_HEAD,
                "pr_number": 2,
                "base_sha": PR_BASE,
                "fork": False,
                "config_ref": PR_BASE,
                "pr_head_sha": PR_HEAD,
                "ref": "changes",
            },
        ),
        (
            "pull_request",
            "pull_request.synchronize",
            {"head_sha": PR_HEAD, "pr_number": 2, "config_ref": PR_BASE, "fork": False},
        ),
        (
            "pull_request",
            "pull_request.opened.fork",
            {"head_sha": PR_HEAD, "pr_number": 2, "config_ref": PR_BASE, "fork": True},
        ),
        (
            "pull_request_target",
            "pull_request.opened.fork",
            {"head_sha": PR_HEAD, "pr_number": 2, "config_ref": PR_BASE, "fork": True},
        ),
        (
            "merge_group",
            "merge_group.checks_requested",
            {
                "head_sha": "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d",
                "pr_number": None,
                "base_sha": "380387fbc80638b734a49e1be1c4dfec1c01b33c",
                "config_ref": "380387fbc80638b734a49e1be1c4dfec1c01b33c",
                "pr_head_sha": None,
            },
        ),
        (
            "push",
            "push",
            {"head_sha": MERGE_SHA, "pr_number": None, "config_ref": None},
        ),
        (
            "workflow_dispatch",
            "workflow_dispatch",
            {"head_sha": MERGE_SHA, "pr_number": None, "config_ref": None},
        ),
    ],
)
def test_describe_event__real_payloads(event, fixture, expected):
    run = describe(event, payload(fixture))
    assert {key: getattr(run, key) for key in expected} == expected
    assert run.skip == ""


def test_pull_request__judges_the_head_from_the_payload_not_the_merge_commit():
    run = describe("pull_request", payload("pull_request.opened"))
    assert run.head_sha == PR_HEAD != MERGE_SHA


def test_pull_request__a_deleted_fork_is_still_a_fork():
    data = payload("pull_request.opened.fork")
    data["pull_request"]["head"]["repo"] = None
    assert describe("pull_request", data).fork is True


def test_pull_request_review__is_judged_like_its_pull_request():
    data = payload("pull_request.opened")
    data["action"] = "submitted"
    run = describe("pull_request_review", data)
    assert (run.pr_number, run.head_sha, run.config_ref) == (2, PR_HEAD, PR_BASE)


@pytest.mark.parametrize(
    ("dispatch_inputs", "action_inputs", "expected"),
    [
        ({}, {}, (None, None)),
        ({"environment": "production", "phase": "go-live"}, {}, ("production", "go-live")),
        (
            {"environment": "production", "phase": "go-live"},
            {"environment": "staging"},
            ("staging", "go-live"),
        ),
        ({"environment": " ", "phase": 3}, {}, (None, None)),  # blank or not text: not a choice
        ({}, {"environment": "staging", "phase": "pre-deploy"}, ("staging", "pre-deploy")),
    ],
)
def test_workflow_dispatch__its_inputs_choose_environment_and_phase_unless_the_action_says(
    dispatch_inputs, action_inputs, expected
):
    data = payload("workflow_dispatch")
    data["inputs"] = dispatch_inputs
    run = describe("workflow_dispatch", data, **action_inputs)
    assert (run.environment, run.phase) == expected


def test_push__a_payload_named_environment_input_does_not_choose():
    data = {**payload("push"), "inputs": {"environment": "production"}}
    assert describe("push", data).environment is None


def check_run_payload(name: str = "apiq-gate", action: str = "rerequested", pulls: bool = True) -> dict[str, Any]:
    data = payload("check_run.rerequested")
    data["action"] = action
    data["check_run"]["name"] = name
    data["check_run"]["pull_requests"] = (
        [
            {
                "number": 7,
                "head": {
                    "ref": "feature",
                    "sha": "1" * 40,
                    "repo": {"id": 1, "name": "hello-world"},
                },
                "base": {"ref": "main", "sha": "b" * 40, "repo": {"id": 1, "name": "hello-world"}},
            }
        ]
        if pulls
        else []
    )
    return data


def test_check_run__a_re_request_of_this_gate_judges_the_check_runs_commit_by_the_base_config():
    run = describe("check_run", check_run_payload())
    assert (run.head_sha, run.pr_number, run.config_ref, run.fork) == (
        "d6fde92930d4715a2b49857d24b940956b26d2d3",
        7,
        "b" * 40,
        False,
    )


def test_check_run__without_a_pull_request_reads_the_default_branch_config():
    run = describe("check_run", check_run_payload(pulls=False), sha=DEFAULT_BRANCH_SHA)
    assert (run.pr_number, run.config_ref) == (None, DEFAULT_BRANCH_SHA)


@pytest.mark.parametrize(
    ("name", "action", "reason"),
    [
        (
            "randscape",
            "rerequested",
            "the re-requested check is 'randscape', not this gate's 'apiq-gate'",
        ),
        ("apiq-gate", "created", "the check_run event is `created`, not `rerequested`"),
        ("apiq-gate", "completed", "the check_run event is `completed`, not `rerequested`"),
    ],
)
def test_check_run__another_check_or_our_own_runs_events_are_skipped(name, action, reason):
    assert describe("check_run", check_run_payload(name, action)).skip == reason


def workflow_run_payload(*, fork: bool, pulls: bool) -> dict[str, Any]:
    data = payload("workflow_run.completed")
    run = data["workflow_run"]
    run["head_sha"] = "c" * 40
    owner = "someone" if fork else "octo-org"
    run["head_repository"] = {**run["head_repository"], "full_name": f"{owner}/octo-repo"}
    run["pull_requests"] = (
        [
            {
                "number": 9,
                "head": {"ref": "x", "sha": "c" * 40},
                "base": {"ref": "main", "sha": "b" * 40},
            }
        ]
        if pulls
        else []
    )
    return data


def test_workflow_run__a_pull_request_named_by_github_is_used_with_its_base_config():
    run = describe("workflow_run", workflow_run_payload(fork=False, pulls=True), pull_request=99)
    assert (run.head_sha, run.pr_number, run.config_ref, run.fork) == ("c" * 40, 9, "b" * 40, False)


def test_workflow_run__from_a_fork_takes_the_number_from_the_input_and_the_default_branch_config():
    run = describe(
        "workflow_run",
        workflow_run_payload(fork=True, pulls=False),
        pull_request=12,
        sha=DEFAULT_BRANCH_SHA,
    )
    assert (run.head_sha, run.pr_number, run.config_ref, run.fork) == (
        "c" * 40,
        12,
        DEFAULT_BRANCH_SHA,
        True,
    )


def test_workflow_run__a_listed_pull_request_with_another_head_is_not_taken_and_the_log_says_so():
    data = workflow_run_payload(fork=False, pulls=True)
    data["workflow_run"]["pull_requests"][0]["head"]["sha"] = "e" * 40  # the PR moved on
    run = describe("workflow_run", data, sha=DEFAULT_BRANCH_SHA)
    assert (run.pr_number, run.config_ref, run.head_sha) == (None, DEFAULT_BRANCH_SHA, "c" * 40)
    assert run.notes == (
        "No pull request to comment on: the workflow_run payload lists #9, but none has the run's head "
        "commit ccccccc; the verdict goes on that commit only",
    )


def test_workflow_run__a_listed_pull_request_with_another_head_leaves_the_input_to_choose():
    data = workflow_run_payload(fork=True, pulls=True)
    data["workflow_run"]["pull_requests"][0]["head"]["sha"] = "e" * 40
    run = describe("workflow_run", data, pull_request=12, sha=DEFAULT_BRANCH_SHA)
    assert (run.pr_number, run.config_ref, run.notes) == (12, DEFAULT_BRANCH_SHA, ())


def test_workflow_run__without_any_pull_request_publishes_on_the_commit_only():
    run = describe("workflow_run", workflow_run_payload(fork=False, pulls=False), sha=DEFAULT_BRANCH_SHA)
    assert (run.pr_number, run.config_ref, run.head_sha) == (None, DEFAULT_BRANCH_SHA, "c" * 40)


@pytest.mark.parametrize("event", ["issue_comment", "deployment_status", "pull_request_review_comment", "fork"])
def test_describe_event__an_unknown_event_is_refused_with_the_known_ones(event):
    with pytest.raises(UsageError) as caught:
        describe(event, payload("push"))
    message = str(caught.value)
    assert f"apiq-gate does not run on `{event}` events" in message
    assert all(known in message for known in KNOWN_EVENTS)
    assert "docs/action.md#events" in message


@pytest.mark.parametrize(
    ("event", "fixture", "remove", "named"),
    [
        (
            "pull_request",
            "pull_request.opened",
            ("pull_request", "head", "sha"),
            "pull_request.head.sha",
        ),
        ("pull_request", "pull_request.opened", ("pull_request", "base"), "pull_request.base.sha"),
        (
            "merge_group",
            "merge_group.checks_requested",
            ("merge_group", "base_sha"),
            "merge_group.base_sha",
        ),
        ("check_run", "check_run.rerequested", ("check_run",), "check_run"),
        (
            "workflow_run",
            "workflow_run.completed",
            ("workflow_run", "head_sha"),
            "workflow_run.head_sha",
        ),
    ],
)
def test_describe_event__a_payload_missing_a_field_names_it(event, fixture, remove, named):
    data = copy.deepcopy(payload(fixture))
    holder = data
    for key in remove[:-1]:
        holder = holder[key]
    del holder[remove[-1]]
    with pytest.raises(UsageError, match=f"the `{event}` event's payload has no valid `{named}`"):
        describe(event, data)


def test_pull_request__a_sha_that_is_not_hex_is_refused():
    data = payload("pull_request.opened")
    data["pull_request"]["head"]["sha"] = "$(curl evil)"
    with pytest.raises(UsageError, match=r"pull_request\.head\.sha"):
        describe("pull_request", data)


def test_branch_event__without_github_sha_is_a_usage_error():
    with pytest.raises(UsageError, match="GITHUB_SHA is not set"):
        describe("push", payload("push"), sha="")
