"""Deterministic reports for the rendering tests: a fixed clock, a fixed run, seed-like content.

Reports are built from the model's own values and turned into JSON data by `report_to_data`,
exactly as the Action does, so the templates are tested against the real data shape.
"""

from __future__ import annotations

import datetime as dt
import zlib
from pathlib import Path
from typing import Any

import yaml

from apiq_gate.comment import CommentState, RunInfo
from apiq_gate.evaluate import count, verdict
from apiq_gate.importer import import_markdown
from apiq_gate.model import (
    EvidenceResult,
    FailOn,
    ItemResult,
    Outcome,
    Report,
    SectionResult,
    Severity,
    Status,
    Waiver,
)
from apiq_gate.report_io import report_to_data
from apiq_gate.structure import Source

NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
CONFIG = ".github/apiq-gate.yml"
RUN = RunInfo(
    repository="apiq/platform",
    sha="3f1c2e9a7b6d5c4e3f2a1b0c9d8e7f6a5b4c3d2e",
    ref="refs/pull/42/merge",
    event="pull_request",
    run_id=4213,
    run_attempt=1,
    run_url="https://github.com/apiq/platform/actions/runs/4213",
    config_path=CONFIG,
    config_ref="main",
    pr_number=42,
    artifact_name="apiq-gate-report",
)
PASS, FAIL, ERROR, PENDING, SKIPPED = Status.PASS, Status.FAIL, Status.ERROR, Status.PENDING, Status.SKIPPED


def ev(label: str, status: Status, reason: str, kind: str | None = None) -> EvidenceResult:
    return EvidenceResult(kind=kind or label.split(maxsplit=1)[0], label=label, outcome=Outcome(status=status, reason=reason))


def signoff(signers: str, signed_by: str | None = None) -> EvidenceResult:
    if signed_by:
        return ev(f"sign-off by {signers}", PASS, f"signed off by {signed_by}", kind="manual")
    return ev(f"sign-off by {signers}", PENDING, f"awaiting sign-off from {signers}", kind="manual")


def item(
    item_id: str,
    title: str,
    *evidence: EvidenceResult,
    section: str = "",
    group: str = "",
    severity: Severity = Severity.REQUIRED,
    owner: str = "",
    docs: str = "",
    waiver: Waiver | None = None,
    skipped: str | None = None,
) -> ItemResult:
    if skipped:
        status, reason, evidence = SKIPPED, f"not part of the {skipped} phase", ()
    else:
        worst = next(s for s in (FAIL, ERROR, PENDING, PASS) if any(e.outcome.status is s for e in evidence))
        status, reason = worst, "; ".join(e.outcome.reason for e in evidence if e.outcome.status is worst)
    if waiver and status in (FAIL, ERROR, PENDING) and waiver.active_on(NOW.date()):
        reason = f"waived until {waiver.expires.isoformat()} by {waiver.approved_by}: {waiver.reason} (was: {reason})"
        status = Status.WAIVED
    return ItemResult(
        id=item_id, title=title, section=section, group=group, severity=severity, status=status, reason=reason,
        evidence=tuple(evidence), owner=owner, docs=docs, waiver=waiver, source=Source(file=CONFIG, line=10 + zlib.crc32(item_id.encode()) % 400),
    )


def report(
    *sections: tuple[str, str, list[ItemResult]],
    phase: str | None = "go-live",
    environment: str | None = "production",
    fail_on: FailOn = FailOn.REQUIRED,
    gate: str = "APIQ go-live",
    warnings: tuple[str, ...] = (),
) -> dict[str, Any]:
    results = tuple(SectionResult(id=sid, title=title, items=tuple(items)) for sid, title, items in sections)
    items = [i for s in results for i in s.items]
    return report_to_data(
        Report(
            gate=gate, verdict=verdict(items, fail_on), fail_on=fail_on, phase=phase, environment=environment,
            sections=results, warnings=warnings, counts=count(items), generated_at=NOW, config=CONFIG, duration_s=1.284,
        )
    )


def state(data: dict[str, Any], run_id: int = 4190, **changed: str) -> CommentState:
    """The state an earlier run left: this report's statuses, with `changed` ones (id_with_underscores=status)."""
    statuses = {i["id"]: i["status"] for s in data["sections"] for i in s["items"]}
    statuses.update({k.replace("_", "-"): v for k, v in changed.items()})
    return CommentState(run_id=run_id, run_attempt=1, sha="9c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f", verdict="fail", statuses=statuses)


# --- the four reports of the golden files ------------------------------------------------

PLATFORM, SECURITY, RELEASE = "@apiq/platform", "@apiq/security", "@apiq/release"
RUNBOOK = "https://wiki.apiq.example/runbooks/go-live"
# Probe labels are written with placeholders; the probe's reason ends with the target it hit (or starts with it, on an error).
APP, APP_URL = "app.apiq.example", "https://app.apiq.example"


def _pre_deploy(**status: Status) -> tuple[str, str, list[ItemResult]]:
    doc = "checklist docs/DEPLOYMENT.md"
    return ("pre-deployment", "Pre-Deployment Requirements", [
        item("e2e-tests", "All E2E tests passing", ev(doc, PASS, "ticked: All E2E tests passing (line 23)"), group="Testing Complete"),
        item("load-testing", "Load testing completed", ev(doc, PASS, "ticked: Load testing completed (line 25)"), group="Testing Complete"),
        item("rollback-plan", "Rollback plan documented", ev("file docs/runbooks/rollback.md", status.get("rollback", PASS),
             "file docs/runbooks/rollback.md exists" if status.get("rollback", PASS) is PASS else "file docs/runbooks/rollback.md does not exist"),
             group="Deployment Readiness", owner=RELEASE, docs=RUNBOOK),
    ])


def _environment(ssl: Status = PASS, jwt: Status = PASS, cdn: Status = PASS, lb: Status = PASS) -> tuple[str, str, list[ItemResult]]:
    return ("environment", "Environment Setup", [
        item("ssl-certificate", "Valid SSL certificate installed",
             ev("tls {env.host}:443", ssl, f"days_left ({9 if ssl is FAIL else 74}) >= 21 ({APP}:443)"),
             group="Infrastructure Setup", owner=PLATFORM, docs="https://wiki.apiq.example/runbooks/tls"),
        item("load-balancer", "Load balancer configured for high availability",
             ev("http GET {env.url}/health", lb, f"status ({200 if lb is PASS else 503}) == 200 (GET {APP_URL}/health)"),
             group="Infrastructure Setup", owner=PLATFORM),
        item("cdn", "Content delivery network configured",
             ev("http GET {env.url}/static/app.js", cdn,
                ('headers.cache-control (missing) matches "max-age"' if cdn is FAIL
                 else 'headers.cache-control ("public, max-age=31536000") matches "max-age"') + f" (GET {APP_URL}/static/app.js)"),
             group="Infrastructure Setup", severity=Severity.RECOMMENDED),
        item("node-env", "NODE_ENV set to production", ev("env NODE_ENV", PASS, "NODE_ENV == production"), group="Environment Variables"),
        item("jwt-secret", "Production JWT secret", ev("env JWT_SECRET", jwt,
             "JWT_SECRET is 12 characters; needs at least 32" if jwt is FAIL else "JWT_SECRET is set and strong"),
             group="Environment Variables", owner=PLATFORM),
    ])


def _security(headers: Status = PASS, audit: str | None = "@carol", pentest_waived: bool = False) -> tuple[str, str, list[ItemResult]]:
    waiver = Waiver(item="penetration-test", reason="external test booked for 2026-11-10; staging test passed",
                    approved_by="@apiq/cto", expires=dt.date(2026, 11, 14)) if pentest_waived else None
    headers_reason = {PASS: f'grade ("A") >= B (GET {APP_URL}/)', ERROR: f"GET {APP_URL}/: connection failed: Connection refused"}
    return ("security", "Security Verification", [
        item("security-headers", "Security headers configured",
             ev("security_headers GET {env.url}/", headers, headers_reason.get(headers, f'grade ("D") >= B (GET {APP_URL}/)')),
             group="Security Testing", owner=SECURITY),
        item("penetration-test", "Penetration testing completed",
             signoff(SECURITY, None if pentest_waived else "@dave"), group="Security Testing", waiver=waiver),
        item("security-audit", "Security audit signed off", signoff(SECURITY, audit), group="Security Testing"),
    ])


def _go_live(stakeholders: str | None = "@erin", legal: str | None = "@alice") -> tuple[str, str, list[ItemResult]]:
    return ("go-live", "Go-Live Checklist", [
        item("stakeholder-signoff", "Stakeholder sign-off", signoff(f"{RELEASE}, @apiq/product", stakeholders), group="Final Verification"),
        item("legal-review", "Legal review of terms and privacy policy", signoff("@apiq/legal", legal), group="Final Verification"),
    ])


def _post_launch() -> tuple[str, str, list[ItemResult]]:
    return ("post-launch", "Post-Launch Monitoring", [
        item("error-rates", "Error rates monitored for 24 hours", skipped="go-live"),
        item("uptime", "Uptime above 99.9% in the first week", skipped="go-live"),
    ])


def passing_report() -> dict[str, Any]:
    return report(_pre_deploy(), _environment(), _security(), _go_live(), _post_launch())


def failing_report() -> dict[str, Any]:
    return report(
        _pre_deploy(rollback=FAIL), _environment(ssl=FAIL, jwt=FAIL, cdn=FAIL), _security(headers=ERROR), _go_live(), _post_launch(),
    )


def pending_report() -> dict[str, Any]:
    return report(_pre_deploy(), _environment(), _security(audit=None), _go_live(stakeholders=None), _post_launch())


def mixed_report() -> dict[str, Any]:
    return report(
        _pre_deploy(), _environment(ssl=FAIL, jwt=FAIL, cdn=FAIL), _security(headers=ERROR, audit=None, pentest_waived=True),
        _go_live(stakeholders=None), _post_launch(),
        warnings=("waiver for 'cdn' expired on 2026-10-31 (approved by @apiq/cto); the item is judged on its evidence",),
    )


REPORTS = {"passing": passing_report, "failing": failing_report, "pending": pending_report, "mixed": mixed_report}


def previous_for(name: str, data: dict[str, Any]) -> CommentState | None:
    """What the comment held before: green after red, a first run, no change, a bit of everything."""
    if name == "passing":
        return state(data, ssl_certificate="fail", rollback_plan="fail")
    if name == "pending":
        return state(data)
    if name == "mixed":
        return state(data, jwt_secret="pass", load_balancer="fail", legal_review="pending", security_audit="pass")
    return None


# --- the seed checklist at full size, for the size tests ---------------------------------

SEED = Path(__file__).resolve().parents[2] / "examples" / "docs" / "apiq-production-deployment-checklist.md"
TEAMS = ("@apiq/platform", "@apiq/security", "@apiq/product", "@apiq/release", "@apiq/support")
LONG_BODY = (
    "response body did not match /\"status\":\\s*\"ok\"/; got: <!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1><p>upstream `app-7f9c` closed the connection - [x] see #123 @apiq/oncall</p></body></html> "
)


def seed_items() -> list[tuple[str, str, str, str, str]]:
    """(section id, section title, group, item id, title) of every item of the seed checklist, via the importer."""
    config = yaml.safe_load(import_markdown(SEED.read_text(encoding="utf-8"), document="docs/checklist.md", name="APIQ go-live"))
    return [(s["id"], s["title"], i.get("group", ""), i["id"], i["title"]) for s in config["sections"] for i in s["items"]]


def seed_report(status: Status, message_chars: int = 2_000) -> dict[str, Any]:
    """The whole seed checklist, every item with `status`; failures carry two long messages each."""
    sections: dict[str, tuple[str, str, list[ItemResult]]] = {}
    for n, (sid, stitle, group, iid, title) in enumerate(seed_items()):
        url = f"https://app.apiq.example/api/v1/{iid}/health?probe=apiq-gate&attempt=3"
        if status is PASS:
            evidence = [ev(f"http GET {url}", PASS, "status (200) == 200"), ev("file docs/checklist.md", PASS, f"ticked: {title}")]
        else:
            body = (LONG_BODY * (message_chars // len(LONG_BODY) + 1))[:message_chars]
            evidence = [ev(f"http GET {url}", status, f"status (502) == 200; {body}"),
                        ev(f"tls {iid}.apiq.example:443", status, f"tls.days_left ({n % 20}) >= 21; {body}")]
        row = item(iid, title, *evidence, section=sid, group=group, owner=TEAMS[n % len(TEAMS)],
                   docs=f"https://wiki.apiq.example/runbooks/{iid}")
        sections.setdefault(sid, (sid, stitle, []))[2].append(row)
    return report(*sections.values())
