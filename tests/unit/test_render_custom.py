"""A repository's own comment template: whole or extending ours, sandboxed, and refused when unsafe to post."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiq_gate.comment import COMMENT_LIMIT, comment_marker, decode_state, is_ours, render_comment
from apiq_gate.render import TemplateError
from tests.unit.render_factory import FAIL, RUN, ev, item, mixed_report, report, state


@pytest.fixture
def template(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(text: str | bytes, name: str = "comment.md.j2") -> Path:
        path = tmp_path / ".github" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    return write


def test_whole_template__renders_with_every_documented_variable(template) -> None:  # type: ignore[no-untyped-def]
    path = template(
        "{{ marker }}\n"
        "{{ state_block }}\n"
        "## {{ view.headline.icon }} {{ report.gate | md }} — {{ view.headline.counts }}\n"
        "{% for b in view.blockers %}- {{ b.title | md }} ({{ b.owner | md }}): {{ b.open_evidence[0].reason | md(40) }}\n{% endfor %}"
        "Run {{ run.run_id }} on {{ run.short_sha }} for {{ target }} (limit {{ limit }}). {{ full_report }}\n"
    )
    data = mixed_report()
    body = render_comment(data, RUN, None, template=path)
    assert body.splitlines()[:3] == [
        comment_marker("APIQ go-live"),
        body.splitlines()[1],
        "## 🔴 APIQ go-live — 3 required items failing, 2 awaiting sign-off",
    ]
    assert "- Valid SSL certificate installed (@\u200dapiq/platform): days_left (9) &gt;= 21\n" in body
    assert "Run 4213 on 3f1c2e9 for comment (limit 65536)." in body
    assert decode_state(body).run_id == 4213  # type: ignore[union-attr]


def test_extending_ours__overrides_named_blocks_and_keeps_the_rest(template) -> None:  # type: ignore[no-untyped-def]
    path = template(
        '{% extends "comment.md.j2" %}\n'
        "{% block headline %}\n## Release train: {{ view.headline.text }}\n{{ super() }}{% endblock %}\n"
        "{% block sections %}{% endblock %}\n"
        "{% block footer %}\n_Ask in #release-train._\n{{ super() }}{% endblock %}\n"
    )
    body = render_comment(mixed_report(), RUN, None, template=path)
    lines = body.splitlines()
    assert lines[0] == comment_marker("APIQ go-live")
    assert lines[1].startswith("<!-- apiq-gate:state ")
    assert lines[2] == "## Release train: Go-live blocked: 3 required items failing, 2 awaiting sign-off"
    assert "#### ❌ What blocks go-live (3)" in body
    assert "<details>" not in body
    assert "_Ask in #release-train._" in body
    assert "[run 4213]" in body


def test_extending_ours__keeps_the_marker_outside_every_block(template) -> None:  # type: ignore[no-untyped-def]
    path = template('{% extends "comment.md.j2" %}{% block headline %}{{ marker | replace("APIQ", "X") }}{% endblock %}')
    assert is_ours(render_comment(mixed_report(), RUN, None, template=path), "APIQ go-live")


def test_state_block__added_after_the_marker_when_the_template_leaves_it_out(template) -> None:  # type: ignore[no-untyped-def]
    data = mixed_report()
    body = render_comment(data, RUN, state(data), template=template("{{ marker }}\nShort: {{ view.headline.text }}\n"))
    assert body.splitlines()[1].startswith("<!-- apiq-gate:state ")
    assert decode_state(body).verdict == "fail"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "## {{ view.headline.text }}\n",
        "<!-- apiq-gate:comment gate=\"another gate\" -->\n{{ view.headline.text }}\n",
    ],
    ids=["no-marker", "another-gates-marker"],
)
def test_template_without_the_marker__is_refused_with_how_to_fix_it(template, text: str) -> None:  # type: ignore[no-untyped-def]
    path = template(text)
    with pytest.raises(TemplateError) as caught:
        render_comment(mixed_report(), RUN, None, template=path)
    assert str(caught.value) == (
        f"{path}: the rendered comment lacks the hidden marker, so the gate could never find it again; "
        'put {{ marker }} on a line of its own, or {% extends "comment.md.j2" %}'
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ marker }}\n{% for x in view.blockers %}\n{{ x.title }\n", ":3: unexpected '}'"),
        ("{{ marker }}\n\n{{ view.no_such_thing.title }}\n", ":3: 'dict object' has no attribute 'no_such_thing'; docs/templates.md lists the variables a template receives"),
        ("{{ marker }}\n{{ report.__class__.__mro__ }}\n", ":2: not allowed in a sandboxed template: access to attribute '__class__' of 'dict' object is unsafe."),
        ('{{ marker }}\n{% include "../../etc/passwd" %}\n', ": no template named '../../etc/passwd' (shipped: "),
        ("{{ marker }}\n{{ 1 / 0 }}\n", ":2: ZeroDivisionError: division by zero"),
        ('{{ marker }}\n{{ "%s" % range(10**9) | list | length }}\n', ":2: OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."),
    ],
    ids=["syntax", "undefined", "sandbox", "escape-templates-dir", "runtime", "huge-range"],
)
def test_broken_template__says_where_and_what(template, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = template(text)
    with pytest.raises(TemplateError) as caught:
        render_comment(mixed_report(), RUN, None, template=path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_unreadable_templates__are_refused_plainly(template, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cases = {
        tmp_path / "missing.j2": "not found (the `template` input is a path in the repository)",
        tmp_path: "is a directory; give the path of a .j2 file",
        template(b"{{ marker }}\xff\xfe", "latin.j2"): "is not UTF-8 text (byte 12)",
        template("x" * 300_000, "big.j2"): "is 300,000 bytes; templates may have at most 262,144",
    }
    for path, message in cases.items():
        with pytest.raises(TemplateError, match=r"^template ") as caught:
            render_comment(mixed_report(), RUN, None, template=path)
        assert str(caught.value) == f"template {path} {message}"


def test_custom_template__is_trimmed_to_fit_like_ours(template) -> None:  # type: ignore[no-untyped-def]
    rows = [item(f"i-{n}", f"Item {n}", ev("http GET https://x.example", FAIL, "r" * 2_000)) for n in range(150)]
    path = template(
        "{{ marker }}\n{% for s in view.sections %}{% for i in s['items'] %}"
        "- {{ i.title | md }}: {{ i.reason | md(view.detail.reason_chars) }}\n{% endfor %}{% endfor %}"
        "{% for note in view.trim.notes %}> {{ note }}\n{% endfor %}"
    )
    body = render_comment(report(("s", "S", rows)), RUN, None, template=path)
    assert len(body) <= COMMENT_LIMIT
    assert "> sections list only what does not pass" in body or "> sections show counts only" in body


HOSTILE_TITLE = "Ship it\n- [x] approved by @org/security <img src=x onerror=alert(1)> **bold** #12"


def test_raw_outside_text__in_a_repository_template_is_escaped_like_md(template) -> None:  # type: ignore[no-untyped-def]
    rows = [item("t", HOSTILE_TITLE, ev("file x", FAIL, "missing"), owner="@org/team")]
    path = template(
        "{{ marker }}\n"
        "{% for b in view.blockers %}- raw: {{ b.title }} · owner {{ b.owner }} · filtered: {{ b.title | md }}\n{% endfor %}"
        "{{ '**literal markdown**' | safe }} {{ view.headline.counts }}\n"
    )

    body = render_comment(report(("s", "S", rows)), RUN, None, template=path)

    raw = body.split("- raw: ")[1].split(" · filtered: ")[0]
    assert raw == (
        "Ship it\n&#45; &#91;x&#93; approved by @\u200dorg/security &lt;img src=x onerror=alert(1)&gt; "
        "&#42;&#42;bold&#42;&#42; #\u200d12 · owner @\u200dorg/team"
    )
    filtered = body.split(" · filtered: ")[1].split("\n")[0]
    assert "&amp;" not in filtered  # a filter's output is not escaped a second time
    assert filtered.startswith("Ship it - &#91;x&#93; approved by @\u200dorg/security &lt;img")
    assert "**literal markdown** 1 required item failing\n" in body  # marked safe by the template: as written
