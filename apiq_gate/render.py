"""The one jinja2 environment: every report, comment and summary renders from templates/.

Sandboxed (repositories may bring their own templates later) and strict (a misspelt
variable is an error, not an empty string). Filters are small pure functions.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from apiq_gate.errors import GateError

STATUS_ICONS = {
    "pass": "✅",
    "fail": "❌",
    "error": "⚠️",
    "pending": "⏳",
    "waived": "🟡",
    "skipped": "⏭️",
}
VERDICT_WORDS = {"pass": "PASSED", "fail": "FAILED", "pending": "AWAITING SIGN-OFF"}


class TemplateError(GateError):
    """A template could not be rendered."""


def templates_dir() -> Path:
    """templates/ of a checkout, or the copy installed as the package `apiq_gate.templates`."""
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if checkout.is_dir():
        return checkout
    import apiq_gate.templates  # noqa: PLC0415  (present in installed wheels only)

    return Path(next(iter(apiq_gate.templates.__path__)))


def status_icon(status: str) -> str:
    return STATUS_ICONS.get(status, "❔")


def verdict_word(verdict: str) -> str:
    return VERDICT_WORDS.get(verdict, verdict.upper())


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def md_cell(text: str) -> str:
    """Text safe inside one Markdown table cell: no row breaks, no column breaks."""
    return " ".join(str(text).split()).replace("|", "\\|")


@functools.cache
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown and text, not HTML: escaping is explicit, per field
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(status_icon=status_icon, verdict_word=verdict_word, plural=plural, md_cell=md_cell)
    return env


def render(template: str, report: dict[str, Any]) -> str:
    """Render `template` (a file in templates/) with the JSON report data."""
    try:
        return environment().get_template(template).render(report=report)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {template} could not be rendered: {exc}") from None
