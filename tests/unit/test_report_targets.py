"""Evidence rows name the target a probe really hit, once: in the label, not again in the reason."""

from __future__ import annotations

import pytest

from apiq_gate.comment import render_comment
from apiq_gate.report_targets import shown_evidence
from tests.unit.render_factory import FAIL, RUN, ev, item, report


@pytest.mark.parametrize(
    ("label", "reason", "shown_label", "shown_reason"),
    [
        (
            "tls {env.host}:443",
            "days_left (9) >= 21 (app.apiq.example:443)",
            "tls app.apiq.example:443",
            "days_left (9) >= 21",
        ),
        (
            "http GET {env.url}/api/health",
            'json.status ("down") == "ok" (GET https://app.apiq.example/api/health)',
            "http GET https://app.apiq.example/api/health",
            'json.status ("down") == "ok"',
        ),
        (
            "security_headers GET {env.url}/",
            "GET https://app.apiq.example/: connection failed: Connection refused",
            "security_headers GET https://app.apiq.example/",
            "connection failed: Connection refused",
        ),
        (
            "http GET {env.url}/?key=${API_KEY}",
            "status (401) == 200 (GET https://app.apiq.example/?key=***)",
            "http GET https://app.apiq.example/?key=***",
            "status (401) == 200",
        ),
        (
            "cors {env.url}/api",
            "not wildcard_with_credentials (false) (OPTIONS https://app.apiq.example/api)",
            "cors OPTIONS https://app.apiq.example/api",
            "not wildcard_with_credentials (false)",
        ),
        # a literal label: the reason's repetition of the target goes
        ("tcp db.internal:5432", "open (false) (db.internal:5432)", "tcp db.internal:5432", "open (false)"),
        # the target could not be formed: the label is all there is, said once
        (
            "http GET {env.url}/health",
            "http GET {env.url}/health: the environment has no `url` for {env.url}",
            "http GET {env.url}/health",
            "the environment has no `url` for {env.url}",
        ),
        # a trailing parenthesis that is not the target stays
        ("tls {env.host}:443", "verified (false)", "tls {env.host}:443", "verified (false)"),
        (
            "file docs/runbook.md",
            "docs/runbook.md does not exist (checked at HEAD)",
            "file docs/runbook.md",
            "docs/runbook.md does not exist (checked at HEAD)",
        ),
        (
            "env JWT_SECRET",
            "JWT_SECRET is 12 characters; needs at least 32",
            "env JWT_SECRET",
            "JWT_SECRET is 12 characters; needs at least 32",
        ),
        ("manual", "awaiting sign-off (anyone)", "manual", "awaiting sign-off (anyone)"),
    ],
)
def test_shown_evidence__label_names_the_real_target_and_the_reason_does_not_repeat_it(
    label: str, reason: str, shown_label: str, shown_reason: str
) -> None:
    shown = shown_evidence({"kind": label.split(maxsplit=1)[0], "label": label, "reason": reason, "status": "fail"})
    assert (shown["label"], shown["reason"]) == (shown_label, shown_reason)
    assert shown["config_label"] == label


def test_comment__a_blocker_row_shows_the_target_the_probe_hit_not_the_placeholder() -> None:
    tls = ev("tls {env.host}:443", FAIL, "days_left (9) >= 21 (app.apiq.example:443)")
    rows = [item("ssl", "Valid SSL certificate", tls)]
    body = render_comment(report(("s", "Setup", rows)), RUN)

    assert "  - `tls app.apiq.example:443`: days_left (9) &gt;= 21\n" in body
    assert "{env.host}" not in body
