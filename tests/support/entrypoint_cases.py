"""What the end-to-end tests of the Action share: the gate's config, its pull request and how a
run of `entrypoint.py` on a pull_request event is started (tests/integration/entrypoint/).

The config has two required items: a runbook file (missing unless a test writes `RUNBOOK` into the
checkout) and a strong JWT_SECRET (set by `run_pr`). So a run fails by default, on one item.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from typing import Any

from apiq_gate.comment_state import CommentState, comment_marker, encode_state
from tests.fakegithub import FakeGitHub, Identity, Reply, RepoHandle, TokenSpec
from tests.support.action_runner import ActionRunner, Job, event_payload

CONFIG_PATH = ".github/apiq-gate.yml"

GATE = "Payments go-live"

BOT = "github-actions[bot]"

MARKER = comment_marker(GATE, "apiq-gate")  # the config's name and the default check name

PR = 2

HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"  # pull_request.opened's head

BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"

STRONG_SECRET = "Zq8#vL2!pW9xR4@tY7mK1$nB6^cF3&hJ0*eD5"

RUNBOOK = {"docs/runbooks/rollback.md": "# Rollback\n\nRedeploy the previous tag.\n"}

CONTENTS = "GET /repos/{owner}/{repo}/contents/{path}"

LIST_COMMENTS = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"

CREATE_COMMENT = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"

EDIT_COMMENT = "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"

CREATE_CHECK = "POST /repos/{owner}/{repo}/check-runs"

CREATE_STATUS = "POST /repos/{owner}/{repo}/statuses/{sha}"


def config(*items: str, environments: str = "") -> str:
    body = textwrap.dedent(
        """\
        version: 1
        name: Payments go-live
        {environments}
        sections:
          - id: operations
            title: Operations
            items:
              - id: rollback-runbook
                title: Rollback runbook written
                owner: "@payments/oncall"
                evidence: [{{file: docs/runbooks/rollback.md}}]
              - id: jwt-secret
                title: JWT secret is strong
                evidence: [{{env: {{strong: [JWT_SECRET]}}}}]
        """
    ).format(environments=environments)
    return body + "".join(textwrap.indent(textwrap.dedent(item), "      ") for item in items)


BASE_CONFIG = config()

RUNBOOK_LINE = BASE_CONFIG.splitlines().index("      - id: rollback-runbook") + 1  # where annotations point


def run_pr(runner: ActionRunner, token: str, payload: dict[str, Any] | None = None, **options: Any) -> Job:
    options.setdefault("env", {"JWT_SECRET": STRONG_SECRET})
    return runner.run(
        event="pull_request",
        payload=payload or event_payload("pull_request.opened"),
        token=token,
        **options,
    )


def ours(repo: RepoHandle) -> list[Any]:
    return [c for c in repo.comments(PR) if c.author.login == BOT]


def assert_no_traceback(job: Job) -> None:
    assert "Traceback" not in job.stdout + job.stderr


def earlier_report(run_id: int, sha: str = HEAD) -> str:
    """A comment body as an earlier run of this gate left it: marker, state block, report."""
    state = CommentState(run_id=run_id, run_attempt=1, sha=sha, verdict="fail", statuses={"rollback-runbook": "fail"})
    return f"{MARKER}\n{encode_state(state)}\n### 🔴 Go-live blocked (run {run_id})\n"


def github_down(fake: FakeGitHub) -> None:
    """Every request answered 503 for the whole run (Retry-After: 0, so retries don't sleep)."""
    fake.faults.respond(
        "*",
        Reply(status=503, body={"message": "Service Unavailable"}, headers={"Retry-After": "0"}),
        times=None,
        description="GitHub down",
    )


def github_app_token(fake: FakeGitHub) -> str:
    """A GitHub App's installation token (`ghs_`): GET /user is 403, and it writes as the App."""
    app = Identity(login="release-bot[bot]", id=98765, type="Bot")
    return fake.add_token(replace(TokenSpec.workflow(), identity=app))
