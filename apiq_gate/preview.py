"""`apiq-gate render`: a saved JSON report as reviewers will see it, in Markdown or as a web page.

The HTML goes through cmark-gfm, the engine GitHub itself renders comments with, with
GitHub's extensions (tables, task lists, strikethrough, autolinks, the tag filter) and
hard line breaks as in comments, inside a page styled like a GitHub comment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cmarkgfm  # type: ignore[import-untyped]
from cmarkgfm.cmark import Options  # type: ignore[import-untyped]

from apiq_gate.errors import GateError
from apiq_gate.render import environment
from apiq_gate.report_io import REPORT_VERSION

REPORT_MAX_BYTES = 50_000_000
MISSING = object()
STATUSES = ("pass", "fail", "error", "pending", "waived", "skipped")
SEVERITIES = ("required", "recommended", "optional")


class ReportFileError(GateError):
    """A saved report cannot be read: missing, not JSON, another version, or the wrong shape."""


def read_report(path: Path) -> dict[str, Any]:
    """The report data in `path`, checked far enough that every template can render it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReportFileError(
            f"{path}: file not found; write one with `apiq-gate check --format json --output {path}`"
        ) from None
    except IsADirectoryError:
        raise ReportFileError(f"{path}: is a directory, not a report file") from None
    except OSError as exc:
        raise ReportFileError(f"{path}: cannot be read: {exc.strerror}") from None
    if len(data) > REPORT_MAX_BYTES:
        raise ReportFileError(f"{path}: {len(data):,} bytes is too large for a report")
    try:
        report = json.loads(data)
    except UnicodeDecodeError:
        raise ReportFileError(
            f"{path}: not UTF-8 text; expected the JSON `apiq-gate check --format json` writes"
        ) from None
    except json.JSONDecodeError as exc:
        raise ReportFileError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(report, dict) or "report_version" not in report:
        raise ReportFileError(
            f"{path}: not an apiq-gate report (no `report_version`); "
            "expected the JSON `apiq-gate check --format json` writes"
        )
    version = report["report_version"]
    if version != REPORT_VERSION:
        raise ReportFileError(
            f"{path}: report version {version!r}; this apiq-gate reads version {REPORT_VERSION}. "
            "Render it with the apiq-gate version that wrote it, or run `apiq-gate check` again"
        )
    problems = shape_problems(report)
    if problems:
        listed = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise ReportFileError(f"{path}: not a valid version {REPORT_VERSION} report: {listed}")
    return report


Kind = type | tuple[type, ...]
Spec = dict[str, tuple[Kind, tuple[str, ...]]]
TEXT, WHOLE, NULL = (str, ()), (int, ()), type(None)
REPORT_FIELDS: Spec = {
    "gate": TEXT, "verdict": (str, ("pass", "fail", "pending")), "fail_on": (str, ("required", "recommended", "never")),
    "config": TEXT, "generated_at": TEXT, "duration_s": ((int, float), ()), "phase": ((str, NULL), ()),
    "environment": ((str, NULL), ()), "warnings": (list, ()), "tool": (dict, ()), "totals": (dict, ()),
    "sections": (list, ()),
}  # fmt: skip
SECTION_FIELDS: Spec = {"id": TEXT, "title": TEXT, "passed": WHOLE, "evaluated": WHOLE, "items": (list, ())}
ITEM_FIELDS: Spec = {
    "id": TEXT, "title": TEXT, "group": TEXT, "reason": TEXT, "owner": TEXT, "docs": TEXT, "blocking": (bool, ()),
    "evidence": (list, ()), "source": ((dict, NULL), ()), "waiver": ((dict, NULL), ()),
    "status": (str, STATUSES), "severity": (str, SEVERITIES),
}  # fmt: skip
WAIVER_FIELDS: Spec = {"reason": TEXT, "approved_by": TEXT, "expires": TEXT, "active": (bool, ()), "days_left": WHOLE}
EVIDENCE_FIELDS: Spec = {"kind": TEXT, "label": TEXT, "reason": TEXT, "status": (str, STATUSES)}


def shape_problems(report: dict[str, Any]) -> list[str]:
    """What the templates rely on and the report lacks, each as `path: what is wrong`."""
    shape = _Shape()
    shape.fields(report, "", REPORT_FIELDS)
    shape.fields(report.get("tool"), "tool", {"version": TEXT}, whole=False)
    totals = report.get("totals")
    if isinstance(totals, dict) and shape.check(
        totals.get("blocking_severities", MISSING), "totals.blocking_severities", list
    ):
        for n, severity in enumerate(totals["blocking_severities"]):
            shape.check(severity, f"totals.blocking_severities[{n}]", str, SEVERITIES)
    for s, section in enumerate(_list(report.get("sections"))):
        if not shape.fields(section, f"sections[{s}]", SECTION_FIELDS):
            continue
        for i, item in enumerate(_list(section.get("items"))):
            where = f"sections[{s}].items[{i}]"
            if not shape.fields(item, where, ITEM_FIELDS):
                continue
            shape.fields(item.get("source"), f"{where}.source", {"line": WHOLE}, whole=False)
            shape.fields(item.get("waiver"), f"{where}.waiver", WAIVER_FIELDS, whole=False)
            for e, evidence in enumerate(_list(item.get("evidence"))):
                shape.fields(evidence, f"{where}.evidence[{e}]", EVIDENCE_FIELDS)
    return shape.problems


class _Shape:
    """Collects `path: what is wrong` for values that do not have the kind templates expect."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fields(self, value: Any, where: str, spec: Spec, *, whole: bool = True) -> bool:
        """Check an object and its fields; with `whole=False` an absent or null object is fine."""
        if not isinstance(value, dict):
            if whole:
                self.check(value, where, dict)
            return False
        ok = True
        for key, (kind, choices) in spec.items():
            ok &= self.check(value.get(key, MISSING), f"{where}.{key}" if where else key, kind, choices)
        return ok

    def check(self, value: Any, path: str, kind: Kind, choices: tuple[str, ...] = ()) -> bool:
        if value is MISSING:
            self.problems.append(f"{path}: missing")
            return False
        wants_number = kind in (int, (int, float))
        if not isinstance(value, kind) or (wants_number and isinstance(value, bool)):
            self.problems.append(f"{path}: expected {_kind_name(kind)}, found {type(value).__name__}")
            return False
        if choices and value not in choices:
            self.problems.append(f"{path}: {value!r} is not one of {', '.join(choices)}")
            return False
        return True


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _kind_name(kind: Kind) -> str:
    names = {"str": "text", "int": "a whole number", "float": "a number", "dict": "an object", "list": "a list",
             "bool": "true or false", "NoneType": "null"}  # fmt: skip
    return " or ".join(names.get(k.__name__, k.__name__) for k in (kind if isinstance(kind, tuple) else (kind,)))


def markdown_to_html(markdown: str) -> str:
    """Markdown as GitHub renders a comment: cmark-gfm, GitHub's extensions, hard line breaks.

    Raw HTML stays (our `<details>` and `<sub>`); the tag filter disarms `<script>`, `<iframe>`,
    `<style>` and the rest of GitHub's list, as GitHub does.
    """
    options = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_HARDBREAKS
    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=options))


def html_page(markdown: str, *, title: str) -> str:
    """A standalone page (no network) showing `markdown` as a comment by the gate's bot."""
    return environment().get_template("preview.html.j2").render(title=title, body=markdown_to_html(markdown))


VIEWS = ("comment", "check-summary", "check-text", "step-summary", "report")


def render_report(path: Path, *, view: str = "comment", html: bool = False, previous: Path | None = None) -> str:
    """A saved report as one of the shipped views, or through a repository's own comment template.

    With `previous` (an earlier saved report), the views show what changed since it, as the
    Action shows what changed since the run that wrote its comment.
    """
    from apiq_gate.comment import (  # noqa: PLC0415  (comment imports the template machinery)
        RunInfo,
        render_check_summary,
        render_check_text,
        render_comment,
        render_step_summary,
        state_from_report,
    )
    from apiq_gate.render import TemplateError, render  # noqa: PLC0415

    report = read_report(path)
    run = RunInfo()  # a preview belongs to no run: no commit, no links
    # Run 0 is no workflow run: the templates say "the previous report".
    before = state_from_report(read_report(previous), 0, 0, "") if previous is not None else None
    if view == "comment":
        markdown = render_comment(report, run, before)
    elif view == "check-summary":
        markdown = render_check_summary(report, run, before)
    elif view == "check-text":
        markdown = render_check_text(report, run)
    elif view == "step-summary":
        markdown = render_step_summary(report, run, before)
    elif view == "report":
        markdown = render("report.md.j2", report)
    elif Path(view).is_file():
        markdown = render_comment(report, run, before, template=view)
    else:
        raise TemplateError(f"'{view}' is neither a shipped view ({', '.join(VIEWS)}) nor a template file")
    return html_page(markdown, title=f"{report['gate']}: apiq-gate preview") if html else markdown
