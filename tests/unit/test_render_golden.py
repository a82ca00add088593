"""Every shipped template against its full expected output, kept in tests/golden/ and reviewed like code.

After an intended change, regenerate and review the diff:
    APIQ_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_render_golden.py -q -p no:cacheprovider
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apiq_gate.comment import (
    render_check_summary,
    render_check_text,
    render_comment,
    render_step_summary,
)
from apiq_gate.preview import html_page
from apiq_gate.render import render, shipped_templates
from tests.unit.render_factory import REPORTS, RUN, previous_for

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("APIQ_UPDATE_GOLDEN") == "1"

Renderer = Callable[[dict[str, Any], str], str]
TEMPLATES: dict[str, tuple[str, Renderer]] = {
    "comment.md.j2": ("comment.md", lambda data, name: render_comment(data, RUN, previous_for(name, data))),
    "check_summary.md.j2": ("check_summary.md", lambda data, name: render_check_summary(data, RUN, previous_for(name, data))),
    "check_text.md.j2": ("check_text.md", lambda data, name: render_check_text(data, RUN)),
    "step_summary.md.j2": ("step_summary.md", lambda data, name: render_step_summary(data, RUN, previous_for(name, data))),
    "report.md.j2": ("report.md", lambda data, name: render("report.md.j2", data)),
    "report.txt.j2": ("report.txt", lambda data, name: render("report.txt.j2", data)),
}


def test_every_shipped_report_template_has_golden_files() -> None:
    assert set(shipped_templates()) == {*TEMPLATES, "preview.html.j2"}  # the page shell: its own test below


@pytest.mark.parametrize("report_name", sorted(REPORTS))
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_template_renders_exactly_the_golden_file(template: str, report_name: str) -> None:
    stem, render_with = TEMPLATES[template]
    golden = GOLDEN / f"{stem.replace('.', f'.{report_name}.', 1)}"
    rendered = render_with(REPORTS[report_name](), report_name)
    if UPDATE:
        golden.write_text(rendered, encoding="utf-8")
    assert golden.is_file(), f"{golden.name} is missing; run with APIQ_UPDATE_GOLDEN=1 and review it"
    assert rendered == golden.read_text(encoding="utf-8")


def test_preview_page__the_mixed_comment_in_its_page_shell_renders_exactly_the_golden_file() -> None:
    data = REPORTS["mixed"]()
    page = html_page(render_comment(data, RUN, previous_for("mixed", data)), title=f"{data['gate']}: apiq-gate preview")
    golden = GOLDEN / "preview.mixed.html"
    if UPDATE:
        golden.write_text(page, encoding="utf-8")
    assert golden.is_file(), f"{golden.name} is missing; run with APIQ_UPDATE_GOLDEN=1 and review it"
    assert page == golden.read_text(encoding="utf-8")
