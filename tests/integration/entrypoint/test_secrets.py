"""Secrets inside the Action, end to end: masked before anything else is printed and never shown
in the log, the summary, the outputs, the report, the comment or the check, with a live probe."""

from __future__ import annotations

from tests.fakegithub import TokenSpec
from tests.support.entrypoint_cases import (
    HEAD,
    PR,
    STRONG_SECRET,
    config,
    run_pr,
)
from tests.support.servers import Answer, serving


def test_planted_secrets__masked_first_and_never_shown_anywhere(fake, pr_repo, runner):
    probe_token, probe_key = "tok-Hx81-planted-AUTH-value", "key-Qm52-planted-QUERY-value"
    with serving({"/health": Answer(status=503, body=b"down")}) as health:
        probed = config(
            """
            - id: health
              title: Health endpoint answers
              evidence:
                - http:
                    url: "{env.url}/health?key=${PROBE_KEY}"
                    headers: {Authorization: "Bearer ${PROBE_TOKEN}"}
                    status: [200]
                    retries: 0
            """,
            environments=f"environments:\n  production: {{url: '{health.url('').rstrip('/')}'}}",
        )
        repo = pr_repo(base=probed)
        token = fake.add_token(TokenSpec.workflow())
        job = run_pr(
            runner,
            token,
            env={"JWT_SECRET": STRONG_SECRET, "PROBE_TOKEN": probe_token, "PROBE_KEY": probe_key},
        )
        [request] = health.requests  # the probe ran inside the Action, with the secrets filled in

    assert request.headers["authorization"] == f"Bearer {probe_token}"
    assert request.path == f"/health?key={probe_key}"
    masks = [line for line in job.lines if line.startswith("::add-mask::")]
    assert job.lines[: len(masks)] == masks, "every mask comes before any other line"
    assert {f"::add-mask::{v}" for v in (token, STRONG_SECRET, probe_token, probe_key)} <= set(masks)
    [comment] = repo.comments(PR)
    [check] = repo.check_runs(HEAD)
    published = [comment.body, check.title, check.summary, check.text, str(check.annotations)]
    for secret in (STRONG_SECRET, probe_token, probe_key):
        assert secret not in job.everything_shown
        assert all(secret not in text for text in published)
    assert "Health endpoint answers" in comment.body
    assert "/health?key=*** " in job.stdout.replace(")", " ")  # the failing probe's target, masked
    assert job.exit_code == 1
