"""`apiq-gate demo`: the whole gate on a built-in example, with nothing but loopback.

It lays out a small demo repository (runbooks, a go-live document, a CA bundle), starts a
local HTTPS target for a made-up host pinned to 127.0.0.1, and runs the bundled checklist
against both, so every kind of result shows: passing, failing, pending, waived.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from apiq_gate.comment import RunInfo, render_comment
from apiq_gate.config import loads
from apiq_gate.demo.certs import make_demo_certificates
from apiq_gate.demo.target import DemoTarget
from apiq_gate.errors import UsageError
from apiq_gate.evaluate import exit_code
from apiq_gate.preview import html_page
from apiq_gate.report_io import format_report, report_to_data
from apiq_gate.run import RunOptions, run

DEMO_HOST = "demo.apiq.test"
DEMO_CONFIG = "demo.yml"

_REPOSITORY_FILES = {
    "docs/runbooks/rollback.md": "# Rollback\n\n1. `kubectl rollout undo deployment/apiq`\n2. Verify /api/health.\n",
    "docs/go-live.md": (
        "# Go-live\n\n## Final Verification\n"
        "- [x] **Backup Verification**: Backup and recovery procedures tested\n"
        "- [ ] **Support Ready**: Support team ready for go-live\n"
    ),
}


def demo_environ() -> dict[str, str]:
    """The deployed service's settings as the demo pretends them: one secret is weak."""
    return {
        "NODE_ENV": "production",
        "DATABASE_URL": "postgres://apiq@db.internal:5432/apiq",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "ENCRYPTION_MASTER_KEY": secrets.token_urlsafe(48),
        "NEXTAUTH_SECRET": "changeme",
    }


def run_demo(output_dir: Path, *, echo: Callable[[str], None]) -> int:
    repository = output_dir / "repository"
    try:
        for relative, text in _REPOSITORY_FILES.items():
            path = repository / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the demo into {output_dir}: {exc.strerror or exc}") from None
    _, cert, key = make_demo_certificates(repository, DEMO_HOST)
    template = resources.files("apiq_gate.data").joinpath(DEMO_CONFIG).read_text(encoding="utf-8")
    with DemoTarget(cert, key) as target:
        checklist = loads(template.replace("DEMO_PORT", str(target.port)), name=f"apiq_gate/data/{DEMO_CONFIG}")
        report = run(
            checklist,
            RunOptions(
                root=repository, environ=demo_environ(), environment="demo", config_label=f"(built-in) {DEMO_CONFIG}"
            ),
        )
    echo(format_report(report, "text"))
    markdown = output_dir / "report.md"
    markdown.write_text(format_report(report, "markdown"), encoding="utf-8")
    (output_dir / "report.json").write_text(format_report(report, "json"), encoding="utf-8")
    preview = output_dir / "comment-preview.html"
    comment = render_comment(report_to_data(report), RunInfo())
    preview.write_text(html_page(comment, title=f"{report.gate}: the PR comment"), encoding="utf-8")
    echo(f"Reports: {markdown} (Markdown), {output_dir / 'report.json'} (JSON).")
    echo(f"What reviewers would see on a pull request: open {preview} in a browser.")
    return exit_code(report)
