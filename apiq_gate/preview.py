"""`apiq-gate render`: a saved JSON report as reviewers will see it, in Markdown or as a web page.

The HTML goes through cmark-gfm, the engine GitHub itself renders comments with, with
GitHub's extensions (tables, task lists, strikethrough, autolinks, the tag filter) and
hard line breaks as in comments, inside a page styled like a GitHub comment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cmarkgfm
from cmarkgfm.cmark import Options

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
        raise ReportFileError(f"{path}: file not found; write one with `apiq-gate check --format json --output {path}`") from None
    except IsADirectoryError:
        raise ReportFileError(f"{path}: is a directory, not a report file") from None
    except OSError as exc:
        raise ReportFileError(f"{path}: cannot be read: {exc.strerror}") from None
    if len(data) > REPORT_MAX_BYTES:
        raise ReportFileError(f"{path}: {len(data):,} bytes is too large for a report")
    try:
        report = json.loads(data)
    except UnicodeDecodeError:
        raise ReportFileError(f"{path}: not UTF-8 text; expected the JSON `apiq-gate check --format json` writes") from None
    except json.JSONDecodeError as exc:
        raise ReportFileError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(report, dict) or "report_version" not in report:
        raise ReportFileError(f"{path}: not an apiq-gate report (no `report_version`); expected the JSON `apiq-gate check --format json` writes")
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


def shape_problems(report: dict[str, Any]) -> list[str]:
    """What the templates rely on and the report lacks, each as `path: what is wrong`."""
    problems: list[str] = []

    def need(value: Any, path: str, kind: type | tuple[type, ...], choices: tuple[str, ...] = ()) -> bool:
        if value is MISSING:
            problems.append(f"{path}: missing")
            return False
        if not isinstance(value, kind) or isinstance(value, bool) and kind in (int, (int, float)):
            problems.append(f"{path}: expected {_kind_name(kind)}, found {type(value).__name__}")
            return False
        if choices and value not in choices:
            problems.append(f"{path}: {value!r} is not one of {', '.join(choices)}")
            return False
        return True

    for key, kind, choices in (
        ("gate", str, ()), ("verdict", str, ("pass", "fail", "pending")), ("fail_on", str, ("required", "recommended", "never")),
        ("config", str, ()), ("generated_at", str, ()), ("duration_s", (int, float), ()), ("phase", (str, type(None)), ()),
        ("environment", (str, type(None)), ()), ("warnings", list, ()), ("tool", dict, ()), ("totals", dict, ()), ("sections", list, ()),
    ):
        need(report.get(key, MISSING), key, kind, choices)
    if isinstance(report.get("tool"), dict):
        need(report["tool"].get("version", MISSING), "tool.version", str)
    if isinstance(report.get("totals"), dict) and need(report["totals"].get("blocking_severities", MISSING), "totals.blocking_severities", list):
        for n, severity in enumerate(report["totals"]["blocking_severities"]):
            need(severity, f"totals.blocking_severities[{n}]", str, SEVERITIES)
    for s, section in enumerate(_list(report.get("sections"))):
        where = f"sections[{s}]"
        if not need(section, where, dict):
            continue
        for key, kind in (("id", str), ("title", str), ("passed", int), ("evaluated", int), ("items", list)):
            need(section.get(key, MISSING), f"{where}.{key}", kind)
        for i, item in enumerate(_list(section.get("items"))):
            _item_problems(item, f"{where}.items[{i}]", need)
    return problems


def _item_problems(item: Any, where: str, need: Any) -> None:
    if not need(item, where, dict):
        return
    for key, kind in (("id", str), ("title", str), ("group", str), ("reason", str), ("owner", str), ("docs", str),
                      ("blocking", bool), ("evidence", list), ("source", (dict, type(None))), ("waiver", (dict, type(None)))):
        need(item.get(key, MISSING), f"{where}.{key}", kind)
    need(item.get("status", MISSING), f"{where}.status", str, STATUSES)
    need(item.get("severity", MISSING), f"{where}.severity", str, SEVERITIES)
    if isinstance(item.get("source"), dict):
        need(item["source"].get("line", MISSING), f"{where}.source.line", int)
    if isinstance(item.get("waiver"), dict):
        for key, kind in (("reason", str), ("approved_by", str), ("expires", str), ("active", bool), ("days_left", int)):
            need(item["waiver"].get(key, MISSING), f"{where}.waiver.{key}", kind)
    for e, evidence in enumerate(_list(item.get("evidence"))):
        if need(evidence, f"{where}.evidence[{e}]", dict):
            for key in ("kind", "label", "reason"):
                need(evidence.get(key, MISSING), f"{where}.evidence[{e}].{key}", str)
            need(evidence.get("status", MISSING), f"{where}.evidence[{e}].status", str, STATUSES)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {"str": "text", "int": "a whole number", "float": "a number", "dict": "an object", "list": "a list",
             "bool": "true or false", "NoneType": "null"}
    return " or ".join(names.get(k.__name__, k.__name__) for k in kinds)


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


def render_report(path: Path, *, view: str = "comment", html: bool = False) -> str:
    """A saved report as one of the shipped views, or through a repository's own comment template."""
    from apiq_gate.comment import (  # noqa: PLC0415  (comment imports the template machinery)
        RunInfo,
        render_check_summary,
        render_check_text,
        render_comment,
        render_step_summary,
    )
    from apiq_gate.render import TemplateError, render  # noqa: PLC0415

    report = read_report(path)
    run = RunInfo()  # a preview belongs to no run: no commit, no links, no previous state
    if view == "comment":
        markdown = render_comment(report, run)
    elif view == "check-summary":
        markdown = render_check_summary(report, run)
    elif view == "check-text":
        markdown = render_check_text(report, run)
    elif view == "step-summary":
        markdown = render_step_summary(report, run)
    elif view == "report":
        markdown = render("report.md.j2", report)
    elif Path(view).is_file():
        markdown = render_comment(report, run, template=view)
    else:
        raise TemplateError(f"'{view}' is neither a shipped view ({', '.join(VIEWS)}) nor a template file")
    return html_page(markdown, title=f"{report['gate']}: apiq-gate preview") if html else markdown
