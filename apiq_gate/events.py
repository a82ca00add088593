"""What this run is, from the event that started it: pure, payload and settings in, a value out.

Three questions decide everything the Action does with GitHub:
- which commit is judged (a pull request's head from the payload, never GITHUB_SHA, which is a
  merge commit on pull_request events), and which pull request gets the comment;
- where the config comes from: on anything a pull request can change, from the trusted side (the
  base commit, read through the API) so a pull request cannot weaken the gate that judges it;
  on branch events from the checkout, which is the branch itself;
- which environment and phase: the inputs, else a `workflow_dispatch` run's own inputs.

Unknown events are refused (exit 2) with the list of known ones: guessing where the trusted
config lives is how a gate ends up judged by the code it is meant to judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from apiq_gate.errors import UsageError
from apiq_gate.settings import Settings

DOCS_EVENTS = "https://github.com/apiq/apiq-gate/blob/main/docs/action.md#events"

# Events whose payload carries the pull request; the checkout (if any) may be the PR's code.
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target", "pull_request_review")
# Events that run on a branch or tag of the repository itself: the checkout is trusted.
# (Not `deployment` or `deployment_status`: an app may deploy a pull request's commit, and that
# checkout would hold the pull request's config.)
BRANCH_EVENTS = ("push", "schedule", "workflow_dispatch", "repository_dispatch", "release")
OTHER_EVENTS = ("merge_group", "check_run", "workflow_run")
KNOWN_EVENTS = (*PULL_REQUEST_EVENTS, *BRANCH_EVENTS, *OTHER_EVENTS)


@dataclass(frozen=True, kw_only=True, slots=True)
class EventRun:
    """What the event asks the gate to do."""

    event: str
    head_sha: str  # the commit judged; the check run or commit status goes on it
    ref: str = ""  # the branch or tag the run is about, for the report's footer
    pr_number: int | None = None  # where the comment goes; None: no comment
    base_sha: str | None = None
    fork: bool = False  # the pull request comes from another repository: the token may be read-only
    environment: str | None = None
    phase: str | None = None
    config_ref: str | None = None  # read the config through the API at this commit; None: the checkout
    pr_head_sha: str | None = None  # read it here too, to tell the reviewer that the PR changes it
    skip: str = ""  # not for this gate (exit 0), and why
    notes: tuple[str, ...] = ()  # said in the log as notices: choices the payload forced


def describe_event(name: str, payload: Mapping[str, Any], settings: Settings) -> EventRun:
    """The run an event asks for; UsageError for an unknown event or a payload it cannot be."""
    if name in PULL_REQUEST_EVENTS:
        run = _pull_request(name, payload)
    elif name in BRANCH_EVENTS:
        run = _branch(name, settings)
    elif name == "merge_group":
        run = _merge_group(payload)
    elif name == "check_run":
        run = _check_run(payload, settings)
    elif name == "workflow_run":
        run = _workflow_run(payload, settings)
    else:
        raise UsageError(
            f"apiq-gate does not run on `{name}` events: it cannot tell which side of that event "
            f"is trusted to hold the config. It runs on {', '.join(KNOWN_EVENTS)}; "
            f"see {DOCS_EVENTS}"
        )
    environment, phase = chosen_target(name, payload, settings)
    return replace(run, environment=environment, phase=phase)


def chosen_target(name: str, payload: Mapping[str, Any], settings: Settings) -> tuple[str | None, str | None]:
    """Environment and phase: the Action's inputs, else a `workflow_dispatch` run's own inputs
    of the same names."""
    asked = payload.get("inputs") if name == "workflow_dispatch" else None
    asked = asked if isinstance(asked, Mapping) else {}

    def pick(given: str | None, key: str) -> str | None:
        if given:
            return given
        value = asked.get(key)
        return value.strip() or None if isinstance(value, str) else None

    return pick(settings.environment, "environment"), pick(settings.phase, "phase")


# --- one function per family of events ---------------------------------------------------------


def _pull_request(name: str, payload: Mapping[str, Any]) -> EventRun:
    pull = _get(payload, name, "pull_request")
    head_sha = _sha(payload, name, "pull_request", "head", "sha")
    base_sha = _sha(payload, name, "pull_request", "base", "sha")
    number = payload.get("number", pull.get("number"))
    if not isinstance(number, int):
        raise _bad_payload(name, "number")
    return EventRun(
        event=name,
        head_sha=head_sha,
        ref=str(_get(payload, name, "pull_request", "head", "ref")),
        pr_number=number,
        base_sha=base_sha,
        fork=_pull_from_fork(pull, payload),
        config_ref=base_sha,
        pr_head_sha=head_sha,
    )


def _branch(name: str, settings: Settings) -> EventRun:
    if not settings.sha:
        raise UsageError("GITHUB_SHA is not set; the runner sets it for every event")
    return EventRun(event=name, head_sha=settings.sha, ref=settings.ref)


def _merge_group(payload: Mapping[str, Any]) -> EventRun:
    # The queue's merge commit holds the queued pull requests' code: the config comes from its base.
    head_sha = _sha(payload, "merge_group", "merge_group", "head_sha")
    base_sha = _sha(payload, "merge_group", "merge_group", "base_sha")
    ref = _get(payload, "merge_group", "merge_group", "head_ref")
    return EventRun(event="merge_group", head_sha=head_sha, ref=str(ref), base_sha=base_sha, config_ref=base_sha)


def _check_run(payload: Mapping[str, Any], settings: Settings) -> EventRun:
    check = _get(payload, "check_run", "check_run")
    head_sha = _sha(payload, "check_run", "check_run", "head_sha")
    action = payload.get("action")
    if action != "rerequested":
        # Our own check run's `created` and `completed` events must not start another run.
        return EventRun(
            event="check_run",
            head_sha=head_sha,
            skip=f"the check_run event is `{action}`, not `rerequested`",
        )
    if check.get("name") != settings.check_name:
        return EventRun(
            event="check_run",
            head_sha=head_sha,
            skip=f"the re-requested check is '{check.get('name')}', not this gate's '{settings.check_name}'",
        )
    pulls = [p for p in check.get("pull_requests") or () if isinstance(p, Mapping)]
    if not pulls:
        # No pull request (or one from a fork, which GitHub leaves out): the default branch's.
        return EventRun(event="check_run", head_sha=head_sha, config_ref=settings.sha or None)
    pull = pulls[0]
    base_sha = _sha(pull, "check_run", "base", "sha")
    return EventRun(
        event="check_run",
        head_sha=head_sha,
        ref=str(_nested(pull, "head", "ref") or ""),
        pr_number=_number(pull, "check_run"),
        base_sha=base_sha,
        fork=_nested(pull, "head", "repo", "id") != _nested(pull, "base", "repo", "id"),
        config_ref=base_sha,
        pr_head_sha=head_sha,
    )


def _workflow_run(payload: Mapping[str, Any], settings: Settings) -> EventRun:
    """The fork setup's second half: this run has a write token and the default branch's code.

    The pull request comes from the payload when GitHub lists it (same-repository pull requests)
    with the run's own head commit, else from the `pull-request` input, which the workflow takes
    from the first half's artifact after checking it against this payload's head SHA
    (docs/action.md#forks). A listed pull request whose head is another commit is not this run's
    (it moved on, or merely shares the branch): no pull request then, and the log says so. Either
    way the config is the trusted one: the base commit, or the default branch this workflow runs on.
    """
    run = _get(payload, "workflow_run", "workflow_run")
    head_sha = _sha(payload, "workflow_run", "workflow_run", "head_sha")
    head_repo = _nested(run, "head_repository", "full_name")
    fork = head_repo is None or str(head_repo).lower() != str(_nested(payload, "repository", "full_name")).lower()
    ref = str(run.get("head_branch") or "")
    trusted_ref = settings.sha or None
    pulls = [p for p in run.get("pull_requests") or () if isinstance(p, Mapping)]
    matching = [p for p in pulls if _nested(p, "head", "sha") == head_sha]
    if matching:
        pull = matching[0]
        base_sha = _sha(pull, "workflow_run", "base", "sha")
        return EventRun(
            event="workflow_run",
            head_sha=head_sha,
            ref=ref,
            pr_number=_number(pull, "workflow_run"),
            base_sha=base_sha,
            fork=fork,
            config_ref=base_sha,
            pr_head_sha=head_sha,
        )
    if settings.pull_request is not None:
        return EventRun(
            event="workflow_run",
            head_sha=head_sha,
            ref=ref,
            pr_number=settings.pull_request,
            fork=fork,
            config_ref=trusted_ref,
            pr_head_sha=head_sha,
        )
    notes: tuple[str, ...] = ()
    if pulls:
        listed = ", ".join(f"#{p.get('number')}" for p in pulls)
        notes = (
            f"No pull request to comment on: the workflow_run payload lists {listed}, but none has the "
            f"run's head commit {head_sha[:7]}; the verdict goes on that commit only",
        )
    return EventRun(event="workflow_run", head_sha=head_sha, ref=ref, fork=fork, config_ref=trusted_ref, notes=notes)


# --- reading payloads: a missing field names itself ---------------------------------------------


def _pull_from_fork(pull: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    head_repo = _nested(pull, "head", "repo", "full_name")
    base_repo = _nested(pull, "base", "repo", "full_name") or _nested(payload, "repository", "full_name")
    # A deleted fork leaves `head.repo` null: still a fork, and its token is still read-only.
    return head_repo is None or str(head_repo).lower() != str(base_repo).lower()


def _nested(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _get(payload: Mapping[str, Any], event: str, *keys: str) -> Any:
    value = _nested(payload, *keys)
    if value is None:
        raise _bad_payload(event, ".".join(keys))
    return value


def _sha(payload: Mapping[str, Any], event: str, *keys: str) -> str:
    value = _get(payload, event, *keys)
    if not isinstance(value, str) or len(value) < 7 or any(c not in "0123456789abcdef" for c in value.lower()):
        raise _bad_payload(event, ".".join(keys))
    return value


def _number(pull: Mapping[str, Any], event: str) -> int:
    number = pull.get("number")
    if not isinstance(number, int):
        raise _bad_payload(event, "pull_requests[].number")
    return number


def _bad_payload(event: str, where: str) -> UsageError:
    return UsageError(
        f"the `{event}` event's payload has no valid `{where}`; GITHUB_EVENT_PATH should be the file the runner wrote"
    )
