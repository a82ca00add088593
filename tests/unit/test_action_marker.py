"""The comment's marker names the gate by config name AND check name, so two jobs judging one
config (staging and production, a matrix) never share a comment; the name-only marker of earlier
versions stays distinct from every new one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from apiq_gate.comment import comment_marker, is_ours, render_comment
from apiq_gate.render import TemplateError
from tests.unit.render_factory import RUN, mixed_report


@pytest.mark.parametrize(
    ("gate", "check", "expected"),
    [
        ("APIQ go-live", "apiq-gate", '<!-- apiq-gate:comment gate="APIQ go-live" check="apiq-gate" -->'),
        ("APIQ go-live", 'go-live "prod"', '<!-- apiq-gate:comment gate="APIQ go-live" check="go-live %22prod%22" -->'),
        ("APIQ go-live", "x --> <b>", '<!-- apiq-gate:comment gate="APIQ go-live" check="x --%3E %3Cb%3E" -->'),
        ("APIQ go-live", None, '<!-- apiq-gate:comment gate="APIQ go-live" -->'),  # earlier versions
    ],
)
def test_comment_marker__holds_the_check_name_escaped(gate: str, check: str | None, expected: str) -> None:
    assert comment_marker(gate, check) == expected


def test_comment_marker__each_check_name_and_the_legacy_marker_are_distinct() -> None:
    markers = {comment_marker("g", "staging"), comment_marker("g", "production"), comment_marker("g")}
    assert len(markers) == 3
    body = comment_marker("g", "staging") + "\n### 🟢 Ready"
    assert is_ours(body, "g", "staging")
    assert not is_ours(body, "g", "production")
    assert not is_ours(body, "g")


def test_render_comment__carries_the_marker_of_the_runs_check_name() -> None:
    body = render_comment(mixed_report(), replace(RUN, check_name="go-live (production)"))
    assert body.splitlines()[0] == comment_marker("APIQ go-live", "go-live (production)")


def test_render_comment__a_custom_template_printing_the_marker_passes_with_a_check_name(tmp_path: Path) -> None:
    template = tmp_path / "comment.md.j2"
    template.write_text("{{ marker }}\n## {{ view.headline.text }}\n", encoding="utf-8")
    run = replace(RUN, check_name="staging")

    body = render_comment(mixed_report(), run, None, template=template)

    assert body.splitlines()[0] == comment_marker("APIQ go-live", "staging")


def test_render_comment__a_custom_template_with_a_hard_coded_old_marker_is_refused(tmp_path: Path) -> None:
    template = tmp_path / "comment.md.j2"
    template.write_text(comment_marker("APIQ go-live") + "\n## report\n", encoding="utf-8")

    with pytest.raises(TemplateError, match="lacks the hidden marker"):
        render_comment(mixed_report(), replace(RUN, check_name="staging"), None, template=template)
