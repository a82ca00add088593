#!/usr/bin/env python3
"""Regenerate tests/fixtures/events/*.json from real webhook payloads.

The payloads come from the npm package `@octokit/webhooks-examples` (example payloads GitHub's
community collected from real deliveries; a GitHub Actions run receives the same payload in
`GITHUB_EVENT_PATH`). This script installs a pinned version with npm into a temporary directory
and writes the first example of each event and action listed in PICKS, its content unchanged
(only re-indented).

One fixture is derived, because the package has no pull request from a fork:

`pull_request.opened.fork.json` is `pull_request.opened.json` with the head moved to a fork:
- `pull_request.head.repo` becomes the fork `octo-contributor/Hello-World`: a copy of the base
  repository with `fork: true`, a new id and node_id, the contributor as owner, and every URL that
  named `Codertocat/Hello-World` or the owner renamed;
- `pull_request.head.user`, `pull_request.user` and `sender` become the contributor (a `User`);
- `pull_request.head.label` becomes `octo-contributor:changes`;
- `pull_request.author_association` becomes `FIRST_TIME_CONTRIBUTOR`.
The base repository, the SHAs, the branch names and the PR number are unchanged, so tests can
seed the fake API once and run both variants. On such an event GitHub hands the workflow a
read-only token (no secrets), which is what the fork tests model.

Run from anywhere: `python scripts/vendor_events.py`. Needs node and npm; network only to the
npm registry. The output is deterministic for a given package version.
"""

from __future__ import annotations

import copy
import json
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/webhooks-examples"
VERSION = "7.6.1"
EXAMPLES_FILE = "api.github.com/index.json"
ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = ROOT / "tests" / "fixtures" / "events"

Payload = dict[str, Any]


def any_example(payload: Payload) -> bool:
    return True


def has_pull_requests(payload: Payload) -> bool:
    # The fork setup posts from `workflow_run`; pick a completed run that names its pull request.
    return bool(payload["workflow_run"]["pull_requests"])


# (output name, event, action or None for events without actions, extra condition)
PICKS: tuple[tuple[str, str, str | None, Callable[[Payload], bool]], ...] = (
    ("pull_request.opened", "pull_request", "opened", any_example),
    ("pull_request.synchronize", "pull_request", "synchronize", any_example),
    ("workflow_dispatch", "workflow_dispatch", None, any_example),
    ("check_run.rerequested", "check_run", "rerequested", any_example),
    ("push", "push", None, any_example),
    ("merge_group.checks_requested", "merge_group", "checks_requested", any_example),
    ("workflow_run.completed", "workflow_run", "completed", has_pull_requests),
)

FORK_OWNER = {
    "login": "octo-contributor",
    "id": 98765432,
    "node_id": "MDQ6VXNlcjk4NzY1NDMy",
    "type": "User",
}
FORK_REPO_ID = 987654321
FORK_REPO_NODE_ID = "MDEwOlJlcG9zaXRvcnk5ODc2NTQzMjE="


def npm_install(package: str, version: str, into: Path) -> Path:
    subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--save-exact",
            "--prefix",
            str(into),
            f"{package}@{version}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return into / "node_modules" / package


def pick(
    examples: dict[str, list[Payload]],
    event: str,
    action: str | None,
    condition: Callable[[Payload], bool],
) -> Payload:
    for payload in examples.get(event, []):
        if payload.get("action") == action and condition(payload):
            return payload
    raise SystemExit(f"{PACKAGE}@{VERSION} has no {event}.{action} example; update PICKS")


def renamed(value: Any, old: str, new: str) -> Any:
    """Replace `old` by `new` in every string of a JSON value."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [renamed(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: renamed(item, old, new) for key, item in value.items()}
    return value


def as_contributor(user: Payload) -> Payload:
    login = FORK_OWNER["login"]
    contributor: Payload = renamed(user, f"/{user['login']}", f"/{login}")
    contributor.update(FORK_OWNER)
    contributor["avatar_url"] = f"https://avatars.githubusercontent.com/u/{FORK_OWNER['id']}?v=4"
    return contributor


def fork_variant(opened: Payload) -> Payload:
    """Move the head of an opened PR to a fork owned by another user (see the module docstring)."""
    payload = copy.deepcopy(opened)
    pull = payload["pull_request"]
    base_repo = pull["base"]["repo"]
    base_owner = base_repo["owner"]["login"]
    fork_login = FORK_OWNER["login"]
    fork = renamed(base_repo, f"{base_owner}/", f"{fork_login}/")
    fork.update(
        id=FORK_REPO_ID,
        node_id=FORK_REPO_NODE_ID,
        full_name=f"{fork_login}/{base_repo['name']}",
        fork=True,
        owner=as_contributor(base_repo["owner"]),
    )
    pull["head"]["repo"] = fork
    pull["head"]["user"] = as_contributor(pull["head"]["user"])
    pull["head"]["label"] = f"{fork_login}:{pull['head']['ref']}"
    pull["user"] = as_contributor(pull["user"])
    pull["author_association"] = "FIRST_TIME_CONTRIBUTOR"
    payload["sender"] = as_contributor(payload["sender"])
    return payload


def write(name: str, payload: Payload) -> None:
    path = OUTPUT_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="vendor-events-") as temp:
        folder = npm_install(PACKAGE, VERSION, Path(temp))
        index = json.loads((folder / EXAMPLES_FILE).read_text(encoding="utf-8"))
    examples = {entry["name"]: entry["examples"] for entry in index}
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    chosen = {
        name: pick(examples, event, action, condition) for name, event, action, condition in PICKS
    }
    for name, payload in chosen.items():
        write(name, payload)
    write("pull_request.opened.fork", fork_variant(chosen["pull_request.opened"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
