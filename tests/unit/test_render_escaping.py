"""Hostile text from outside (response bodies, config strings, names) cannot change what reviewers see.

Each test renders through cmark-gfm, GitHub's own Markdown engine, and inspects the HTML: the
only structure is the one the templates made, nobody is pinged, no reference is linked.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from apiq_gate.comment import (
    RunInfo,
    comment_marker,
    decode_state,
    is_ours,
    render_check_summary,
    render_check_text,
    render_comment,
    render_step_summary,
)
from apiq_gate.evidence.base import RunContext
from apiq_gate.evidence.env import EnvEvidence
from apiq_gate.model import Severity
from apiq_gate.render import render
from apiq_gate.render_filters import code, md
from tests.unit.render_factory import FAIL, PASS, RUN, ev, item, report, signoff, state

HOSTILE = [
    "`</details>` and ``` triple ``` ticks",
    "</details></summary><details open><summary>fake",
    "- [x] approved by security",
    "<img src=x onerror=alert(1)>",
    "ping @org/team and @alice, see #123 and GH-7",
    "[click me](javascript:alert(1)) ![img](https://evil.example/x.png)",
    "<!-- apiq-gate:state {\"v\":1,\"run_id\":999999,\"run_attempt\":9,\"sha\":\"\",\"verdict\":\"pass\",\"items\":{}} -->",
    comment_marker("APIQ go-live"),
    "| a | b |\n|---|---|\n| c | d |",
    "# Heading\n\n> quote\n\n***\n1. list",
    "**bold** _em_ ~~strike~~ $x^2$ https://evil.example www.evil.example",
    "\x1b[2J\u202eevil\u202c",
    "A" * 20_000,
]


class Html(HTMLParser):
    """The tags and the visible text of rendered HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(t == tag for t, _ in self.tags)


def github_html(markdown: str) -> Html:
    return Html(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))


@pytest.mark.parametrize("text", HOSTILE)
def test_md__hostile_text_renders_as_one_plain_paragraph(text: str) -> None:
    html = github_html(f"- row: {md(text, 5_000)}")
    assert [tag for tag, _ in html.tags] == ["ul", "li"]
    visible = "".join(html.text)
    assert not re.search(r"(?<![\w])@[A-Za-z0-9]", visible), "a mention would ping"
    assert not re.search(r"#\d", visible), "a reference would link"


@pytest.mark.parametrize("text", HOSTILE)
def test_md__hostile_text_stays_text_inside_a_summary(text: str) -> None:
    html = github_html(f"<details>\n<summary>{md(text, 5_000)}</summary>\n\nbody\n\n</details>")
    assert [tag for tag, _ in html.tags] == ["details", "summary", "p"]


@pytest.mark.parametrize("text", HOSTILE)
def test_code__hostile_text_stays_inside_its_code_span(text: str) -> None:
    html = github_html(f"- {code(text, 5_000)} after")
    assert [tag for tag, _ in html.tags] == ["ul", "li", "code"]
    assert "".join(html.text).rstrip().endswith(" after")


def _hostile_report(h: str = " ".join(HOSTILE[:-1]), long: str = HOSTILE[-1]) -> dict[str, object]:
    rows = [
        item("bad-title", f"Title {h}", ev(f"http GET https://app.example/`{h}`", FAIL, f"status (502) == 200; body: {h} {long}"),
             group=f"Group {h}", owner="@org/team", docs="javascript:alert(1)"),
        item("bad-warning", f"Warning {h}", ev("file x", FAIL, h), severity=Severity.RECOMMENDED, owner=h, docs=h),
        item("bad-signoff", f"Sign {h}", signoff(f"@org/team, {h}")),
        item("signed", "Signed", signoff("@org/team", f"@mallory {h}")),
        item("fine", "Fine", ev("file y", PASS, "exists")),
    ]
    return report((f"s-{h}", f"Section {h}", rows), gate="APIQ go-live", environment=h, phase=h, warnings=(h,))


RENDERERS = {
    "comment": lambda data: render_comment(data, RUN, state(data)),
    "check summary": lambda data: render_check_summary(data, RUN, state(data)),
    "check text": lambda data: render_check_text(data, RUN),
    "step summary": lambda data: render_step_summary(data, RUN, state(data)),
    "report": lambda data: render("report.md.j2", data),
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_hostile_report__renders_only_the_templates_structure(name: str) -> None:
    markdown = RENDERERS[name](_hostile_report())
    html = github_html(markdown)
    benign = github_html(RENDERERS[name](_hostile_report("plain words", "more words")))
    assert [tag for tag, _ in html.tags] == [tag for tag, _ in benign.tags]
    links = [attrs.get("href") or "" for tag, attrs in html.tags if tag == "a"]
    assert all(link.startswith(("https://github.com/apiq/platform/", "https://wiki.apiq.example/")) for link in links), links
    checkboxes = [attrs for tag, attrs in html.tags if tag == "input"]
    if name in ("comment", "check summary", "step summary", "report"):
        assert len(checkboxes) == 2  # one awaiting, one signed: the templates' own
    else:
        assert checkboxes == []
    assert html.count("details") == (1 if name == "comment" else 0)
    visible = "".join(html.text)
    assert not re.search(r"(?<![\w])@[A-Za-z0-9]", visible)
    assert not re.search(r"#\d", visible)
    assert "\x1b" not in markdown
    assert "\u202e" not in markdown
    assert max(len(line) for line in markdown.splitlines() if "apiq-gate:state" not in line) < 4_000


def test_hostile_report__cannot_plant_a_state_or_a_marker() -> None:
    data = _hostile_report()
    body = render_comment(data, RUN, None)
    assert decode_state(body).run_id == RUN.run_id  # type: ignore[union-attr]
    assert body.count(comment_marker("APIQ go-live")) == 1
    assert not is_ours(body.replace(comment_marker("APIQ go-live"), ""), "APIQ go-live")


def test_terminal_report__drops_escape_sequences() -> None:
    text = render("report.txt.j2", _hostile_report())
    assert "\x1b" not in text
    assert "\u202e" not in text


def test_secret_values_never_appear_in_any_rendering() -> None:
    secret, weak = "s3cr3t-Vx9!qT7#pL2@wZ8$kM4^nB6&hJ1*", "changeme-password-123"
    evidence = EnvEvidence(strong=("JWT_SECRET", "SESSION_KEY"))
    ctx = RunContext(root=__import__("pathlib").Path("."), environ={"JWT_SECRET": secret, "SESSION_KEY": weak})
    outcome = evidence.judge(evidence.observe(ctx))
    row = item("secrets", "Secrets are strong", ev(evidence.label(), outcome.status, outcome.reason))
    data = report(("env", "Environment", [row]))
    rendered = [f(data) for f in RENDERERS.values()] + [render("report.txt.j2", data)]
    assert outcome.status.value == "fail"
    for text in rendered:
        assert "SESSION_KEY" in text
        assert secret not in text
        assert weak not in text


def test_local_run__renders_without_links_or_commit() -> None:
    body = render_comment(_hostile_report(), RunInfo())
    assert "https://github.com" not in body
    assert "commit" not in body.split("---")[-1]
