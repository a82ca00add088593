"""A fake GitHub REST API over real HTTP, with GitHub's OpenAPI description as its contract.

Use it through the `fake_github` fixture (tests/fakegithub/fixtures.py):

    def test_first_run(fake_github):
        token = fake_github.add_token(TokenSpec.workflow())          # GITHUB_TOKEN-like
        repo = fake_github.seed_pull_request_event(                  # repo, both commits, PR #2
            event_payload, base_files={"apiq.yml": "..."}, head_files={"apiq.yml": "..."})
        env = {"GITHUB_API_URL": fake_github.url, "INPUT_GITHUB-TOKEN": token, ...}
        ...run the action...
        assert len(repo.comments(2)) == 1
        assert repo.check_runs()[0].conclusion == "failure"
        assert len(fake_github.requests) <= 6                        # REST calls made

Tokens: `TokenSpec.workflow()` (GET /user is 403, writes by `github-actions[bot]`, 1,000/hour),
`TokenSpec.workflow(checks=None)` (no `checks: write`), `TokenSpec.fork_pull_request()`
(read-only), `TokenSpec.personal(identity)` (a user; cannot create check runs).

Faults (`fake_github.faults`, see faults.py): `fail`, `secondary_rate_limit`,
`exhaust_rate_limit`, `commit_then_fail`, `disconnect`, `down`/`up`, `barrier`. Operations are
named by their OpenAPI key, e.g. "POST /repos/{owner}/{repo}/issues/{issue_number}/comments".

Reading back: `repo.comments(n)`, `repo.deleted_comments()`, `repo.check_runs(sha)`,
`repo.statuses(sha)`, and `fake_github.requests` / `requests_for("PATCH *")`: every request with
its operation, query, body, headers, status and contract problems.

At teardown the fixture fails the test when a request broke GitHub's OpenAPI description, a
programmed fault never fired, or a barrier broke.

Not modelled: GraphQL, conditional requests (ETag/304), secondary limits GitHub would trigger on
its own, and the raw media types; the served operations are listed in operations.py.
"""

from .contract import check_request
from .dispatch import LoggedRequest
from .records import CheckRunRecord, CommentRecord, PullFileRecord, StatusRecord
from .replies import Reply
from .seeding import RepoHandle
from .server import FakeGitHub
from .tokens import GITHUB_ACTIONS_BOT, Identity, TokenSpec

__all__ = [
    "GITHUB_ACTIONS_BOT",
    "CheckRunRecord",
    "CommentRecord",
    "FakeGitHub",
    "Identity",
    "LoggedRequest",
    "PullFileRecord",
    "Reply",
    "RepoHandle",
    "StatusRecord",
    "TokenSpec",
    "check_request",
]
