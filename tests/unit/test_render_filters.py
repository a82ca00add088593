"""One table per template filter: what a value becomes in a rendered report."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from apiq_gate.render_filters import (
    FILTERS,
    ZWJ,
    code,
    days_left,
    duration,
    escape_text,
    href,
    linked,
    md,
    one_line,
    plain,
    plural,
    short_ref,
    short_sha,
    status_icon,
    thousands,
    timestamp,
    verdict_word,
)


def test_every_filter_has_a_table_here() -> None:
    tested = {"md", "code", "href", "linked", "plain", "status_icon", "verdict_word", "plural", "duration", "days_left",
              "short_sha", "short_ref", "timestamp", "thousands"}
    assert set(FILTERS) == tested


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("plain words", None, "plain words"),
        ("tls.days_left (9) >= 21", None, "tls.days_left (9) &gt;= 21"),
        ("**bold** and *em*", None, "&#42;&#42;bold&#42;&#42; and &#42;em&#42;"),
        ("`code`", None, "&#96;code&#96;"),
        ("[x](https://evil.example)", None, "&#91;x&#93;(https&#58;//evil.example)"),
        ("- [x] fake", None, "&#45; &#91;x&#93; fake"),
        ("# heading", None, "&#35; heading"),
        ("1. first", None, "&#49;. first"),
        ("0.1.0", None, "0.1.0"),
        ("---", None, "&#45;--"),
        ("<img src=x onerror=alert(1)>", None, "&lt;img src=x onerror=alert(1)&gt;"),
        ("</details>", None, "&lt;/details&gt;"),
        ("a | b", None, "a &#124; b"),
        ("~~gone~~", None, "&#126;&#126;gone&#126;&#126;"),
        ("costs $5 and $6", None, "costs &#36;5 and &#36;6"),
        ("back\\slash", None, "back&#92;slash"),
        ("&lt; stays text", None, "&amp;lt; stays text"),
        ("JWT_SECRET", None, "JWT_SECRET"),
        ("_private_ name_", None, "&#95;private&#95; name&#95;"),
        ("ping @org/team and @alice", None, f"ping @{ZWJ}org/team and @{ZWJ}alice"),
        ("see #123 and owner/repo#9", None, f"see #{ZWJ}123 and owner/repo#{ZWJ}9"),
        ("see GH-42", None, f"see GH{ZWJ}-42"),
        ("visit www.evil.example", None, "visit www&#46;evil.example"),
        ("mail a@b.example", None, f"mail a@{ZWJ}b.example"),
        ("line one\n\nline two\r\n- three", None, "line one line two - three"),
        ("\n- [x] starts a line", None, "&#45; &#91;x&#93; starts a line"),
        ("\x1b[31mred\x1b[0m \u202eevil", None, "&#91;31mred&#91;0m evil"),
        ("x" * 50, 10, "xxxxxxxxx…"),
        ("", None, ""),
        (None, None, ""),
    ],
)
def test_md__outside_text_becomes_inert_prose(text: object, limit: int | None, expected: str) -> None:
    assert md(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("env JWT_SECRET", "`env JWT_SECRET`"),
        ("has `one` tick", "``has `one` tick``"),
        ("two `` ticks", "```two `` ticks```"),
        ("`starts with a tick", "`` `starts with a tick ``"),
        ("ends with a tick`", "`` ends with a tick` ``"),
        ("multi\nline\ttext", "`multi line text`"),
        ("@org/team <b>", "`@org/team <b>`"),
        ("", ""),
    ],
)
def test_code__span_cannot_be_broken_out_of(text: str, expected: str) -> None:
    assert code(text) == expected


def test_code__clips_long_text_before_choosing_the_fence() -> None:
    assert code("a" * 100, 10) == "`aaaaaaaaa…`"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://wiki.apiq.example/runbooks/tls", "https://wiki.apiq.example/runbooks/tls"),
        ("http://x.example/a?b=1#frag", "http://x.example/a?b=1#frag"),
        ("https://x.example/a_(b)", "https://x.example/a_%28b%29"),
        ("https://x.example/[x]", "https://x.example/%5Bx%5D"),
        ("javascript:alert(1)", ""),
        ("docs/runbooks/tls.md", ""),
        ("https://x.example/a b", ""),
        ('https://x.example/"onmouseover', ""),
        ("", ""),
        (None, ""),
    ],
)
def test_href__only_plain_http_links_survive(url: object, expected: str) -> None:
    assert href(url) == expected


@pytest.mark.parametrize(
    ("label", "url", "expected"),
    [
        ("docs", "https://x.example/d", "[docs](https://x.example/d)"),
        (code("3f1c2e9"), "https://github.com/o/r/commit/3f1c", "[`3f1c2e9`](https://github.com/o/r/commit/3f1c)"),
        ("`3f1c2e9`", "https://github.com/o/r/commit/3f1c", "[&#96;3f1c2e9&#96;](https://github.com/o/r/commit/3f1c)"),
        ("see](https://evil.example) @me", "https://x.example", "[see&#93;(https&#58;//evil.example) @\u200dme](https://x.example)"),
        ("docs", "javascript:alert(1)", "docs"),
        ("<b>docs</b>", "javascript:alert(1)", "&lt;b&gt;docs&lt;/b&gt;"),
        ("docs", "", "docs"),
        ("", "https://x.example", ""),
    ],
)
def test_linked__links_a_label_only_to_a_safe_url_and_escapes_a_plain_label(label: str, url: str, expected: str) -> None:
    assert linked(label, url) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" · ", " · "),  # a template's own separator: spacing kept
        ("\n", "\n"),
        ("Title\n- [x] done\r\n# heading", "Title\n&#45; &#91;x&#93; done\n&#35; heading"),
        ("<img src=x> **b** @org/team #1", "&lt;img src=x&gt; &#42;&#42;b&#42;&#42; @\u200dorg/team #\u200d1"),
        ("  2026-11-02 09:30 UTC", "  2026-11-02 09:30 UTC"),
        ("\x1b[2J\u202eevil", "&#91;2Jevil"),
    ],
)
def test_escape_text__what_templates_print_without_a_filter_is_inert_line_by_line(text: str, expected: str) -> None:
    escaped = escape_text(text)
    assert escaped == expected
    assert isinstance(escaped, Markup)  # not escaped again by jinja


@pytest.mark.parametrize("made", [md("x"), code("x"), linked("x", "https://x.example"), href("https://x.example")])
def test_markdown_made_by_a_filter__is_marked_safe(made: object) -> None:
    assert isinstance(made, Markup)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("\x1b]0;owned\x07title\x1b[2J", None, "]0;ownedtitle[2J"),
        ("two\nlines", None, "two lines"),
        ("**kept** as typed", None, "**kept** as typed"),
        ("abcdef", 4, "abc…"),
    ],
)
def test_plain__terminal_text_has_no_control_characters(text: str, limit: int | None, expected: str) -> None:
    assert plain(text, limit) == expected


def test_one_line__clips_a_huge_body_without_reading_all_of_it() -> None:
    assert one_line("word " * 1_000_000, 12) == "word word w…"


@pytest.mark.parametrize(
    ("status", "expected"),
    [("pass", "✅"), ("fail", "❌"), ("error", "❗"), ("pending", "⏳"), ("waived", "🟡"), ("skipped", "⏭️"), ("odd", "❔")],
)
def test_status_icon(status: str, expected: str) -> None:
    assert status_icon(status) == expected


@pytest.mark.parametrize(
    ("verdict", "expected"), [("pass", "PASSED"), ("fail", "FAILED"), ("pending", "AWAITING SIGN-OFF"), ("odd", "ODD")]
)
def test_verdict_word(verdict: str, expected: str) -> None:
    assert verdict_word(verdict) == expected


@pytest.mark.parametrize(
    ("count", "singular", "plural_form", "expected"),
    [(1, "item", None, "1 item"), (0, "item", None, "0 items"), (2, "entry", "entries", "2 entries")],
)
def test_plural(count: int, singular: str, plural_form: str | None, expected: str) -> None:
    assert plural(count, singular, plural_form) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"), [(0.042, "42 ms"), (0.9994, "999 ms"), (3.21, "3.2 s"), (125, "2 min 5 s"), (120, "2 min")]
)
def test_duration(seconds: float, expected: str) -> None:
    assert duration(seconds) == expected


@pytest.mark.parametrize(("days", "expected"), [(12, "12 days left"), (1, "1 day left"), (0, "last day today"), (-3, "expired 3 days ago")])
def test_days_left(days: int, expected: str) -> None:
    assert days_left(days) == expected


@pytest.mark.parametrize(
    ("sha", "expected"),
    [("3f1c2e9a7b6d5c4e3f2a1b0c9d8e7f6a5b4c3d2e", "3f1c2e9"), ("main", "main"), ("not a sha\nat all, long", "not a sha a…")],
)
def test_short_sha(sha: str, expected: str) -> None:
    assert short_sha(sha) == expected


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("3f1c2e9a7b6d5c4e3f2a1b0c9d8e7f6a5b4c3d2e", "3f1c2e9"),
        ("release/2026-q4-hotfix-branch", "release/2026-q4-hotfix-branch"),
        ("3f1c2e9a", "3f1c2e9a"),  # a short SHA or a hex-looking tag is shown as given
        ("main\n" + "x" * 200, "main " + "x" * 94 + "…"),
    ],
)
def test_short_ref(ref: str, expected: str) -> None:
    assert short_ref(ref) == expected


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("2026-11-02T09:30:00+00:00", "2026-11-02 09:30 UTC"),
        ("2026-11-02T11:30:00+02:00", "2026-11-02 09:30 UTC"),
        ("2026-11-02T09:30:00", "2026-11-02 09:30 UTC"),
        ("yesterday", "yesterday"),
    ],
)
def test_timestamp(iso: str, expected: str) -> None:
    assert timestamp(iso) == expected


@pytest.mark.parametrize(("number", "expected"), [(65536, "65,536"), (7, "7")])
def test_thousands(number: int, expected: str) -> None:
    assert thousands(number) == expected
