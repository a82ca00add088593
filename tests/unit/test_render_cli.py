"""`apiq-gate render REPORT.json`: what a team sees before the gate posts anything."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from apiq_gate.errors import ExitCode
from apiq_gate.render import render
from tests.unit.render_factory import mixed_report

Run = Callable[..., Result]


@pytest.fixture
def saved(tmp_path: Path) -> Callable[[object], Path]:
    def save(data: object, name: str = "report.json") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return path

    return save


def test_render__prints_the_comment_as_markdown(run_cli: Run, saved: Callable[[object], Path]) -> None:
    result = run_cli("render", saved(mixed_report()))
    assert result.exit_code == ExitCode.PASSED, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == '<!-- apiq-gate:comment gate="APIQ go-live" -->'
    assert lines[2] == "### 🔴 Go-live blocked: 3 required items failing, 2 awaiting sign-off"
    assert "- [ ] **Security audit signed off** `security-audit`" in result.stdout
    assert "<sub>environment `production` · phase `go-live` · config `.github/apiq-gate.yml` · fail-on `required`" in result.stdout


def test_render__html_is_a_standalone_page_rendered_by_cmark_gfm(run_cli: Run, saved: Callable[[object], Path], tmp_path: Path) -> None:
    out = tmp_path / "preview" / "comment.html"
    result = run_cli("render", saved(mixed_report()), "--html", "--output", out)
    assert result.exit_code == ExitCode.PASSED, result.output
    assert result.stdout == ""
    assert f"wrote {out}" in result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>APIQ go-live: apiq-gate preview</title>" in page
    assert "default-src 'none'" in page  # nothing is fetched: the page stands alone
    assert page.count('<input type="checkbox" disabled="" />') == 2  # the two awaiting sign-off
    assert page.count('<input type="checkbox" checked="" disabled="" />') == 1
    assert page.count("<details>") == 5
    assert "<summary>❌ Environment Setup 2/5 · 2 failing, 1 warning</summary>" in page
    assert "<h3>🔴 Go-live blocked: 3 required items failing, 2 awaiting sign-off</h3>" in page
    assert "<code>tls app.apiq.example:443</code>: days_left (9) &gt;= 21" in page


@pytest.mark.parametrize(
    ("view", "first_line"),
    [
        ("check-summary", "### 🔴 Go-live blocked: 3 required items failing, 2 awaiting sign-off"),
        ("check-text", "#### 📋 All sections (5)"),
        ("step-summary", "## apiq-gate: APIQ go-live"),
        ("report", "## apiq-gate report: APIQ go-live"),
    ],
)
def test_render__each_shipped_view(run_cli: Run, saved: Callable[[object], Path], view: str, first_line: str) -> None:
    result = run_cli("render", saved(mixed_report()), "--template", view)
    assert result.exit_code == ExitCode.PASSED, result.output
    assert result.stdout.splitlines()[0] == first_line


def test_render__a_repository_template(run_cli: Run, saved: Callable[[object], Path], tmp_path: Path) -> None:
    template = tmp_path / "mine.md.j2"
    template.write_text('{% extends "comment.md.j2" %}{% block sections %}\nSee the job summary.\n{% endblock %}', encoding="utf-8")
    result = run_cli("render", saved(mixed_report()), "-t", template)
    assert result.exit_code == ExitCode.PASSED, result.output
    assert "See the job summary." in result.stdout
    assert "<details>" not in result.stdout


def test_render__a_template_without_the_marker_is_refused(run_cli: Run, saved: Callable[[object], Path], tmp_path: Path) -> None:
    template = tmp_path / "bare.md.j2"
    template.write_text("{{ view.headline.text }}\n", encoding="utf-8")
    result = run_cli("render", saved(mixed_report()), "-t", template)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert result.stderr.startswith(f"error: {template}: the rendered comment lacks the hidden marker")


def _version(n: object) -> dict[str, object]:
    return {**mixed_report(), "report_version": n}


def _broken_item() -> dict[str, object]:
    data = mixed_report()
    data["sections"][1]["items"][0]["status"] = "maybe"  # type: ignore[index]
    del data["sections"][1]["items"][2]["evidence"]  # type: ignore[index]
    return data


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"report_version": 1,', "{path}:1:22: not valid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "{path}: not an apiq-gate report (no `report_version`); expected the JSON `apiq-gate check --format json` writes"),
        (_version(2), "{path}: report version 2; this apiq-gate reads version 1. Render it with the apiq-gate version that wrote it, or run `apiq-gate check` again"),
        (_version("1"), "{path}: report version '1'; this apiq-gate reads version 1."),
        ({"report_version": 1, "gate": "g"}, "{path}: not a valid version 1 report: verdict: missing; fail_on: missing; config: missing;"),
        (_broken_item(), "{path}: not a valid version 1 report: sections[1].items[0].status: 'maybe' is not one of pass, fail, error, pending, waived, skipped; sections[1].items[2].evidence: missing"),
    ],
    ids=["truncated-json", "not-a-report", "newer-version", "version-as-text", "missing-keys", "wrong-item-shape"],
)
def test_render__bad_report_files_exit_2_with_a_clear_message(
    run_cli: Run, saved: Callable[[object], Path], content: object, message: str
) -> None:
    path = saved(content)
    result = run_cli("render", path)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert result.stdout == ""
    assert result.stderr.startswith("error: " + message.format(path=path))
    assert "Traceback" not in result.stderr


def test_render__missing_file(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("render", tmp_path / "nope.json")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert result.stderr == f"error: {tmp_path / 'nope.json'}: file not found; write one with `apiq-gate check --format json --output {tmp_path / 'nope.json'}`\n"


def test_render__unknown_view(run_cli: Run, saved: Callable[[object], Path]) -> None:
    result = run_cli("render", saved(mixed_report()), "--template", "comentt")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert result.stderr == "error: 'comentt' is neither a shipped view (comment, check-summary, check-text, step-summary, report) nor a template file\n"


def _tampered_dates() -> dict[str, object]:
    """A report.json edited by hand: hostile text where dates belong (waiver expiry, generation and sign-off time)."""
    data = mixed_report()
    hostile = "<img src=x onerror=alert(1)> @org/team `x` - [x] \x1b[2J"
    data["generated_at"] = f"</sub>{hostile}"
    for section in data["sections"]:  # type: ignore[union-attr]
        for row in section["items"]:
            if row["waiver"]:
                row["waiver"]["expires"] = hostile
            if row["id"] == "legal-review":
                row["evidence"][0]["signoffs"] = [{"by": "@alice", "at": hostile}]
    return data


def test_render__dates_from_a_tampered_report_are_escaped(run_cli: Run, saved: Callable[[object], Path], tmp_path: Path) -> None:
    path = saved(_tampered_dates())

    markdown = run_cli("render", path).stdout
    page = tmp_path / "page.html"
    assert run_cli("render", path, "--html", "-o", page).exit_code == ExitCode.PASSED

    assert "<img" not in markdown
    assert "@org/team" not in markdown
    assert "\x1b" not in markdown
    assert "&lt;img src=x onerror=alert(1)&gt; @\u200dorg/team" in markdown
    assert markdown.count("&lt;img") == 3  # expiry, sign-off time, generation time
    assert "<img" not in page.read_text(encoding="utf-8")
    assert markdown.rstrip().endswith("</sub>")  # the footer's own closing tag, not the tampered one
    assert "\x1b" not in render("report.txt.j2", _tampered_dates())  # the terminal gets no escape sequence


def test_render__output_dash_is_standard_output(run_cli: Run, saved: Callable[[object], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = saved(mixed_report())
    monkeypatch.chdir(tmp_path)

    result = run_cli("render", path, "--html", "-o", "-")

    assert result.exit_code == ExitCode.PASSED, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert not (tmp_path / "-").exists()


def test_render__previous_report_shows_what_changed_since(run_cli: Run, saved: Callable[[object], Path]) -> None:
    before = mixed_report()
    jwt = next(i for s in before["sections"] for i in s["items"] if i["id"] == "jwt-secret")  # type: ignore[index]
    jwt["status"] = "pass"

    result = run_cli("render", saved(mixed_report()), "--previous", saved(before, "before.json"))

    assert result.exit_code == ExitCode.PASSED, result.output
    assert "#### 🔁 Since the last run\n<sub>compared with the previous report</sub>\n" in result.stdout
    assert "- ❌ **Newly failing:** Production JWT secret `jwt-secret`\n" in result.stdout


def test_render__previous_that_is_not_a_report_exits_2(run_cli: Run, saved: Callable[[object], Path]) -> None:
    result = run_cli("render", saved(mixed_report()), "--previous", saved("[]", "before.json"))

    assert result.exit_code == ExitCode.BAD_INPUT
    assert "before.json: not an apiq-gate report" in result.stderr
